"""Hand-built participants, requests, meetings and outcomes for the outcome and impact tests."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from werkzeug.security import generate_password_hash

from brokerage.extensions import db

UTC = timezone.utc
# Hashing is deliberately slow; one hash of "correct horse" serves every hand-built account.
PASSWORD_HASH = generate_password_hash("correct horse")
PAST_WINDOWS = [("Europe-Americas", datetime(2026, 3, 10, 14, 0, tzinfo=UTC), datetime(2026, 3, 10, 17, 0, tzinfo=UTC))]


class Builder:
    def __init__(self, app, make_event):
        self.app, self.make_event = app, make_event

    def past_event(self, slug="past-2026", **fields):
        """An event whose meetings have all started, so they can be rated (its timetable published)."""
        fields.setdefault("timetable_published", True)
        return self.make_event(slug=slug, windows=PAST_WINDOWS, start_date=date(2026, 3, 10), end_date=date(2026, 3, 10), **fields)

    def participant(self, event_id, email, country="FR", tz="Europe/Paris", organisation_type="sme",
                    organisation=None, status="approved"):
        from brokerage.accounts.models import User
        from brokerage.events.models import Participant
        with self.app.app_context():
            user = db.session.scalar(db.select(User).filter_by(email=email))
            if user is None:
                user = User(email=email, name=email.split("@")[0].title(), password_hash=PASSWORD_HASH)
                db.session.add(user)
            participant = Participant(event_id=event_id, user=user, status=status, country=country, timezone=tz,
                                      organisation=organisation or f"{email.split('@')[0].title()} {country}",
                                      organisation_type=organisation_type)
            db.session.add(participant)
            db.session.commit()
            return participant.id

    def request(self, event_id, requester_id, recipient_id, status="accepted", slot=0, published=True,
                cancelled=False, ratings=()):
        """A request; accepted ones get a meeting in the slot-th slot. ratings: (participant_id, rating, follow_up[, comment])."""
        from brokerage.events.models import Slot
        from brokerage.meetings.models import Meeting, MeetingOutcome, MeetingRequest
        with self.app.app_context():
            # A cancelled meeting's request is cancelled too, as when a participant cancels it.
            request = MeetingRequest(event_id=event_id, requester_id=requester_id, recipient_id=recipient_id,
                                     status="cancelled" if cancelled else status)
            db.session.add(request)
            meeting = None
            if status == "accepted":
                slot_row = db.session.scalars(db.select(Slot).filter_by(event_id=event_id).order_by(Slot.start)).all()[slot]
                meeting = Meeting(event_id=event_id, request=request, slot=slot_row,
                                  published_slot=slot_row if published else None, cancelled=cancelled)
                db.session.add(meeting)
                for participant_id, rating, follow_up, *comment in ratings:
                    db.session.add(MeetingOutcome(meeting=meeting, participant_id=participant_id,
                                                  rating=rating, follow_up=follow_up, comment="".join(comment)))
            db.session.commit()
            return meeting.id if meeting else request.id

    def user(self, email):
        from brokerage.accounts.models import User
        with self.app.app_context():
            db.session.add(User(email=email, name="Someone", password_hash=PASSWORD_HASH))
            db.session.commit()

    def co_organiser(self, event_id, email):
        from brokerage.accounts.models import User
        from brokerage.events.models import EventOrganiser
        with self.app.app_context():
            user = User(email=email, name="Partner", password_hash=PASSWORD_HASH)
            db.session.add(EventOrganiser(event_id=event_id, user=user, role="co_organiser", organisation="EEN Japan"))
            db.session.commit()


@pytest.fixture
def build(app, make_event):
    return Builder(app, make_event)
