"""Helpers for the meetings tests: participants made directly, people logged in through the real login form."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from werkzeug.security import generate_password_hash

from brokerage.extensions import db

UTC = timezone.utc


def add_participant(app, event_id: int, email: str, organisation: str, tz: str = "Europe/Paris",
                    country: str = "FR", status: str = "approved", **fields) -> int:
    from brokerage.accounts.models import User
    from brokerage.events.models import Participant

    with app.app_context():
        # A cheap hash keeps the tests fast; logging in still goes through the real check.
        user = User(email=email, name=fields.pop("name", organisation + " contact"),
                    password_hash=generate_password_hash("correct horse", method="pbkdf2:sha256:1000"))
        db.session.add(user)
        db.session.flush()
        participant = Participant(event_id=event_id, user_id=user.id, status=status, organisation=organisation,
                                  country=country, organisation_type="sme", timezone=tz, **fields)
        db.session.add(participant)
        db.session.commit()
        return participant.id


def logged_in(app, email: str):
    """A separate browser session for each person, logged in through the login form."""
    from tests.support import Auth

    client = app.test_client()
    response = Auth(client).login(email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token_from(client, url: str) -> str:
    from tests.support import csrf_token

    return csrf_token(client, url)


def post_action(client, url: str, page: str):
    """Press a small action button (accept, decline, cancel, reset) on a page, CSRF token included."""
    return client.post(url, data={"csrf_token": token_from(client, page)})


def slot_ids(app, event_id: int) -> list[int]:
    from brokerage.events.models import Slot

    with app.app_context():
        return list(db.session.scalars(db.select(Slot.id).filter_by(event_id=event_id).order_by(Slot.start)))


def slot_at(app, event_id: int, start: datetime) -> int:
    from brokerage.events.models import Slot

    with app.app_context():
        return db.session.scalar(db.select(Slot.id).filter_by(event_id=event_id, start=start))


def is_checked(html: str, slot_id: int) -> bool:
    return re.search(rf'id="slot-{slot_id}"\s+checked', html) is not None


def agreed_meeting(app, event_id: int, requester: int, recipient: int, start: datetime | None = None,
                   published: bool = True) -> int:
    """An accepted request with its meeting, placed at `start` in the working and (if published) the published timetable."""
    from brokerage.events.models import Slot
    from brokerage.meetings.models import Meeting, MeetingRequest

    with app.app_context():
        request = MeetingRequest(event_id=event_id, requester_id=requester, recipient_id=recipient,
                                 message="Let us talk", status="accepted")
        slot = db.session.scalar(db.select(Slot).filter_by(event_id=event_id, start=start)) if start else None
        meeting = Meeting(event_id=event_id, request=request, slot=slot, published_slot=slot if published else None)
        db.session.add(meeting)
        db.session.commit()
        return meeting.id


def publish(app, event_id: int, published: bool = True) -> None:
    from brokerage.events.models import Event

    with app.app_context():
        db.session.get(Event, event_id).timetable_published = published
        db.session.commit()
