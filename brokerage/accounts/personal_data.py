"""A user's personal data: a copy to take away, and erasure (GDPR articles 15, 17 and 20).

Erasure keeps the rows partners and organisers rely on (held meetings, counts in impact reports) but
strips them of the person: their names, profile texts, messages, comments and contact details go.
"""
from __future__ import annotations

import json
from datetime import datetime

from brokerage.accounts.models import ERASED_DOMAIN, User
from brokerage.events.models import Availability, EventOrganiser, Participant, Slot, new_token
from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingOutcome, MeetingRequest, RequestMessage
from brokerage.scheduling.models import ScheduleRun
from brokerage.scheduling.solver_bridge import participant_key
from brokerage.timeutil import now_utc

ERASED_NAME = "Deleted participant"


def _utc(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _registrations(user: User) -> list[Participant]:
    return db.session.scalars(db.select(Participant).filter_by(user_id=user.id).order_by(Participant.id)).all()


def export(user: User) -> dict:
    """Everything the app holds about the user, times in UTC (RFC 3339)."""
    events = []
    for person in _registrations(user):
        requests = db.session.scalars(db.select(MeetingRequest).where(db.or_(
            MeetingRequest.requester_id == person.id, MeetingRequest.recipient_id == person.id))
            .order_by(MeetingRequest.id)).all()
        outcomes = {o.meeting_id: o for o in db.session.scalars(
            db.select(MeetingOutcome).filter_by(participant_id=person.id))}
        events.append({
            "event": {"name": person.event.name, "slug": person.event.slug},
            "status": person.status,
            "registered_at": _utc(person.created_at),
            "profile": {name: getattr(person, name) for name in (
                "organisation", "country", "organisation_type", "sectors", "website", "description", "languages",
                "timezone", "support_office", "video_link")},
            "opportunities": [{"kind": o.kind, "title": o.title, "description": o.description,
                               "keywords": o.keywords, "created_at": _utc(o.created_at)} for o in person.opportunities],
            "available_slots_utc": [_utc(start) for start in db.session.scalars(
                db.select(Slot.start).join(Availability, Availability.slot_id == Slot.id)
                .where(Availability.participant_id == person.id).order_by(Slot.start))],
            "meeting_requests": [{
                "direction": ("arranged by the organisers" if r.arranged_by_id else
                              "sent" if r.requester_id == person.id else "received"),
                "partner": r.other(person).organisation, "message": r.message, "status": r.status,
                "created_at": _utc(r.created_at), "responded_at": _utc(r.responded_at),
                "messages": [{"from": "you" if m.author_id == person.id else r.other(person).organisation,
                              "text": m.body, "sent_at": _utc(m.created_at)} for m in db.session.scalars(
                    db.select(RequestMessage).filter_by(request_id=r.id).order_by(RequestMessage.id))],
                "meeting": None if r.meeting is None else {
                    "cancelled": r.meeting.cancelled,
                    "start_utc": _utc(r.meeting.published_slot.start if r.meeting.published_slot else None),
                    "end_utc": _utc(r.meeting.published_end),
                    "your_outcome": None if r.meeting.id not in outcomes else {
                        "rating": outcomes[r.meeting.id].rating, "follow_up": outcomes[r.meeting.id].follow_up,
                        "comment": outcomes[r.meeting.id].comment,
                        "entered_by": "the organisers" if outcomes[r.meeting.id].recorded_by_id else "you"}},
            } for r in requests],
        })
    organising = db.session.scalars(db.select(EventOrganiser).filter_by(user_id=user.id)).all()
    return {
        "exported_at": _utc(now_utc()),
        "account": {"email": user.email, "name": user.name, "created_at": _utc(user.created_at)},
        "events": events,
        "organising": [{"event": link.event.slug, "role": link.role, "organisation": link.organisation}
                       for link in organising],
    }


def erase_refusal(user: User) -> str | None:
    """Why the account cannot be erased now, or None: an event must never lose its last organiser."""
    links = db.session.scalars(db.select(EventOrganiser).filter_by(user_id=user.id)).all()
    if links:
        names = ", ".join(sorted(link.event.name for link in links))
        return (f"You are on the organising team of {names}: ask another organiser to remove you from the team "
                "(Team page) first.")
    if user.is_admin:
        return "Site administrators cannot delete their own account here."
    return None


def erase(user: User) -> int:
    """Leave every event (calling off meetings not yet held; partners are told), then strip the user's
    data. Returns how many meetings were called off. Check erase_refusal first."""
    from brokerage.meetings.views import withdraw

    called_off = 0
    for person in _registrations(user):
        if person.status in ("approved", "pending"):  # a rejection stands: the organisers' decision
            called_off += withdraw(person.event, person)
        named = participant_key(person)
        person.organisation = ERASED_NAME
        _rename_in_solver_texts(person, named, participant_key(person))
        # The support office stays: it is the organisers' record of which office brought the company in
        # (the impact report credits each office with its clients' meetings), not the person's data.
        for name in ("sectors", "website", "description", "languages", "organiser_notes", "video_link"):
            setattr(person, name, "")
        person.feed_token = new_token()  # calendar feeds subscribed elsewhere stop answering
        person.opportunities.clear()
        person.availability.clear()
        db.session.execute(db.update(MeetingRequest).where(MeetingRequest.requester_id == person.id).values(message=""))
        db.session.execute(db.update(RequestMessage).where(RequestMessage.author_id == person.id).values(body=""))
        db.session.execute(db.update(MeetingOutcome).where(MeetingOutcome.participant_id == person.id).values(comment=""))
    user.email = f"deleted-{user.id}@{ERASED_DOMAIN}"
    user.name = "Deleted user"
    user.set_unusable_password()  # every session ends
    db.session.commit()
    return called_off


def _rename_in_solver_texts(person: Participant, old: str, new: str) -> None:
    """Solver runs and their reasons for unscheduled meetings quote participants by name (the
    organiser reads them): those quotes now name the erased participant."""
    def renamed(data):
        text = json.dumps(data)
        needle = json.dumps(old)[1:-1]  # as json.dumps escapes it
        return json.loads(text.replace(needle, json.dumps(new)[1:-1])) if needle in text else data

    for run in db.session.scalars(db.select(ScheduleRun).filter_by(event_id=person.event_id)):
        run.instance, run.solution, run.progress = renamed(run.instance), renamed(run.solution), renamed(run.progress)
    for meeting in db.session.scalars(db.select(Meeting).filter_by(event_id=person.event_id)
                                      .where(Meeting.unscheduled_reason.contains(old, autoescape=True))):
        meeting.unscheduled_reason = meeting.unscheduled_reason.replace(old, new)
