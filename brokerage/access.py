"""Who may do what: every view loads its event, participant or organiser role through here."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from brokerage.extensions import db, login_manager
from brokerage.events.models import Event, EventOrganiser, Participant


def form_id(value: str) -> int:
    """A row id sent in a form, for `request.form.get(..., type=form_id)`: out of range is no id (None), as in
    URLs, where SQLite could not even compare a 20-digit number."""
    number = int(value)
    if not 0 < number < 2**31:
        raise ValueError(value)
    return number


@login_manager.user_loader
def load_user(session_id: str):
    """The user of a session, unless their password changed since it began."""
    from brokerage.accounts.models import User
    user_id, _, stamp = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and stamp == user.password_stamp() else None


def get_event(slug: str) -> Event:
    return db.first_or_404(db.select(Event).filter_by(slug=slug))


def participant_for(event: Event, user=None) -> Participant | None:
    user = user or current_user
    if not user.is_authenticated:
        return None
    return db.session.scalar(db.select(Participant).filter_by(event_id=event.id, user_id=user.id))


def require_participant(event: Event, approved: bool = True) -> Participant:
    """The current user's registration; 403 unless registered (and approved, for booking and browsing)."""
    participant = participant_for(event)
    if participant is None:
        abort(403, "You are not registered for this event.")
    if approved and participant.status == "rejected":
        abort(403, "Your registration for this event was not accepted by the organisers.")
    if approved and participant.status == "withdrawn":
        abort(403, "You left this event.")
    if approved and participant.status != "approved":
        abort(403, "Your registration has not been approved by the organisers yet.")
    return participant


def organiser_role(event: Event, user=None) -> str | None:
    """'organiser', 'co_organiser' or None. Site administrators are organisers of every event."""
    user = user or current_user
    if not user.is_authenticated:
        return None
    if user.is_admin:
        return "organiser"
    link = db.session.scalar(db.select(EventOrganiser).filter_by(event_id=event.id, user_id=user.id))
    return link.role if link else None


def require_organiser(event: Event, co_organiser_ok: bool = False) -> str:
    """Organisers act on their own events only; co-organisers only where the view allows it (participants)."""
    role = organiser_role(event)
    if role == "organiser" or (role == "co_organiser" and co_organiser_ok):
        return role
    abort(403, "Only this event's organisers can do that.")
