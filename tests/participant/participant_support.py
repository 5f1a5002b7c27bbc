"""Helpers for the registration, opportunity and marketplace tests."""
from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc

PROFILE = {
    "organisation": "Nordlicht Robotics GmbH",
    "country": "DE",
    "organisation_type": "sme",
    "sectors": ["robotics", "ai"],
    "website": "https://nordlicht.example",
    "description": "Grippers for delicate food handling.",
    "languages": "German, English",
    "timezone": "Europe/Berlin",
    "video_link": "",
}


def logged_in(app, email: str):
    """A separate browser session for each person, logged in through the login form."""
    from tests.support import Auth

    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def signed_up(app, email: str):
    """A new browser session for a person who has just created an account through the signup form."""
    from tests.support import Auth

    client = app.test_client()
    assert Auth(client).signup(email).status_code == 302
    return client


def register(client, slug: str, follow_redirects: bool = False, **changes):
    from tests.support import post_form

    return post_form(client, f"/events/{slug}/register", {**PROFILE, **changes}, follow_redirects=follow_redirects)


def at(hour: int, minute: int = 0, day: int = 16) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


_PASSWORD_HASH: list[str] = []


def make_participant(app, event_id: int, email: str, organisation: str, country: str = "FR",
                     tz: str = "Europe/Paris", status: str = "approved", opportunities=(), **fields) -> int:
    """A user with a registration made directly (one shared password hash keeps bulk set-ups fast)."""
    from werkzeug.security import generate_password_hash

    from brokerage.accounts.models import User
    from brokerage.events.models import Opportunity, Participant
    from brokerage.extensions import db

    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(generate_password_hash("correct horse"))
    with app.app_context():
        user = User(email=email, name=organisation + " contact", password_hash=_PASSWORD_HASH[0])
        db.session.add(user)
        db.session.flush()
        participant = Participant(event_id=event_id, user_id=user.id, status=status, organisation=organisation,
                                  country=country, timezone=tz, **{"organisation_type": "sme", **fields})
        participant.opportunities = [Opportunity(**o) for o in opportunities]
        db.session.add(participant)
        db.session.commit()
        return participant.id
