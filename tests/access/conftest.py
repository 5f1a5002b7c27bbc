"""Cross-role access fixtures: one event with three approved participants, their requests, meetings,
availability, opportunities and an outcome; its organiser and co-organiser; another event's organiser;
a stranger; and test clients logged in as each of them through the real login form.

Works on SQLite and PostgreSQL (uses the shared `app` / `make_event` fixtures of tests/conftest.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

import sqlalchemy as sa

from brokerage.extensions import db

UTC = timezone.utc
PASSWORD = "correct horse"
SLUG = "march-2027"
OTHER_SLUG = "other-event-2027"
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
                      r'|value="([^"]+)" name="csrf_token"')


@dataclass
class World:
    slug: str
    event_id: int
    other_event_id: int
    emails: dict[str, str]
    ids: dict[str, int | str] = field(default_factory=dict)


def _user(email: str, name: str):
    from brokerage.accounts.models import User

    user = db.session.scalar(db.select(User).filter_by(email=email))
    if user is None:
        user = User(email=email, name=name)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
    return user


@pytest.fixture
def world(app, make_event) -> World:
    from brokerage.events.models import Availability, Event, EventOrganiser, Opportunity, Participant, Slot
    from brokerage.meetings.models import Meeting, MeetingOutcome, MeetingRequest
    from brokerage.scheduling.models import ScheduleRun

    event_id = make_event(slug=SLUG, organiser_email="organiser@een.example")
    other_event_id = make_event(slug=OTHER_SLUG, organiser_email="other-organiser@een.example",
                                name="Another brokerage event")
    emails = {
        "organiser": "organiser@een.example",
        "co_organiser": "co-organiser@kita.example",
        "other_organiser": "other-organiser@een.example",
        "participant_a": "anna@lyon-robotics.example",
        "participant_b": "bob@boston-sensors.example",
        "participant_c": "chiyo@osaka-materials.example",
        "stranger": "stranger@nowhere.example",
    }
    with app.app_context():
        event = db.session.get(Event, event_id)
        users = {role: _user(email, role.replace("_", " ").title()) for role, email in emails.items()}
        co_link = EventOrganiser(event_id=event_id, user_id=users["co_organiser"].id, role="co_organiser",
                                 organisation="KITA Tokyo office")
        db.session.add(co_link)
        people = {}
        for key, country, zone_name, org in (
                ("participant_a", "FR", "Europe/Paris", "Lyon Robotics"),
                ("participant_b", "US", "America/New_York", "Boston Sensors"),
                ("participant_c", "JP", "Asia/Tokyo", "Osaka Materials")):
            people[key] = Participant(event_id=event_id, user_id=users[key].id, status="approved", organisation=org,
                                      country=country, organisation_type="sme", sectors="robotics",
                                      timezone=zone_name, description=f"{org} profile",
                                      organiser_notes=f"ORGANISER-ONLY note on {org}")
            db.session.add(people[key])
        db.session.flush()
        a, b, c = people["participant_a"], people["participant_b"], people["participant_c"]
        opp_a = Opportunity(participant_id=a.id, kind="tech_offer", title="Cobots for SMEs")
        opp_b = Opportunity(participant_id=b.id, kind="tech_request", title="MEMS sensors wanted")
        db.session.add_all([opp_a, opp_b])
        slots = db.session.scalars(db.select(Slot).filter_by(event_id=event_id).order_by(Slot.start)).all()
        europe_americas = [s for s in slots if s.start >= datetime(2027, 3, 16, 14, 0, tzinfo=UTC)]
        asia_europe = [s for s in slots if s.start < datetime(2027, 3, 16, 14, 0, tzinfo=UTC)]
        for p, chosen in ((a, slots), (b, europe_americas), (c, asia_europe)):
            db.session.add_all(Availability(participant_id=p.id, slot_id=s.id) for s in chosen)
        now = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
        r_ab = MeetingRequest(event_id=event_id, requester_id=a.id, recipient_id=b.id, message="Let us talk cobots",
                              status="accepted", responded_at=now)
        r_cb = MeetingRequest(event_id=event_id, requester_id=c.id, recipient_id=b.id, message="Materials x sensors",
                              status="accepted", responded_at=now)
        r_ac_pending = MeetingRequest(event_id=event_id, requester_id=a.id, recipient_id=c.id, message="Pending A->C")
        db.session.add_all([r_ab, r_cb, r_ac_pending])
        db.session.flush()
        # A second, still pending request of B's that A has nothing to do with (C -> B would clash with r_cb).
        extra = Participant(event_id=event_id, user_id=_user("dae@seoul-ai.example", "Dae").id, status="approved",
                            organisation="Seoul AI", country="KR", organisation_type="sme", sectors="ai",
                            timezone="Asia/Seoul")
        db.session.add(extra)
        db.session.flush()
        # A registration still waiting for approval: approving it is what forbidden users must not manage to do.
        db.session.add(Participant(event_id=event_id, user_id=_user("gert@pending.example", "Gert").id,
                                   status="pending", organisation="Pending GmbH", country="DE",
                                   organisation_type="sme", sectors="ai", timezone="Europe/Berlin"))
        r_bc_pending = MeetingRequest(event_id=event_id, requester_id=b.id, recipient_id=extra.id,
                                      message="Pending B->Seoul AI")
        db.session.add_all([r_bc_pending])
        db.session.flush()
        m_ab = Meeting(event_id=event_id, request_id=r_ab.id, slot_id=europe_americas[0].id,
                       published_slot_id=europe_americas[0].id, sequence=1)
        m_cb = Meeting(event_id=event_id, request_id=r_cb.id, slot_id=europe_americas[1].id,
                       published_slot_id=europe_americas[1].id, sequence=1)
        db.session.add_all([m_ab, m_cb])
        db.session.flush()
        db.session.add(MeetingOutcome(meeting_id=m_cb.id, participant_id=b.id, rating="cooperation_possible",
                                      follow_up="negotiation", comment="B's private comment"))
        event.timetable_published = True
        event.published_at = now
        run = ScheduleRun(event_id=event_id, created_by_id=users["organiser"].id, status="failed",
                          error="a recorded failure for the access tests")
        db.session.add(run)
        from brokerage.organiser.announcements import Announcement, AnnouncementMail
        announcement = Announcement(event_id=event_id, author_id=users["organiser"].id, audience="approved",
                                    subject="Book your meetings", body="By Friday, please.", token="0" * 32,
                                    mails=[AnnouncementMail(participant_id=a.id, status="failed", error="refused")])
        db.session.add(announcement)
        db.session.commit()
        ids = {
            "a": a.id, "b": b.id, "c": c.id,
            "opp_a": opp_a.id, "opp_b": opp_b.id,
            "r_ab": r_ab.id, "r_cb": r_cb.id, "r_ac_pending": r_ac_pending.id, "r_b_pending": r_bc_pending.id,
            "m_ab": m_ab.id, "m_cb": m_cb.id,
            "run": run.id, "window": event.windows[0].id, "slot": europe_americas[2].id,
            "co_link": co_link.id, "announcement": announcement.id,
            "organiser_link": db.session.scalar(db.select(EventOrganiser.id).filter_by(
                event_id=event_id, user_id=users["organiser"].id)),
            "feed_a": a.feed_token, "feed_b": b.feed_token,
        }
    return World(slug=SLUG, event_id=event_id, other_event_id=other_event_id, emails=emails, ids=ids)


def token_of(html: str) -> str | None:
    match = TOKEN_RE.search(html)
    return next((g for g in match.groups() if g), None) if match else None


class RoleClient:
    """A test client for one role, logged in through the real form; post() adds a valid CSRF token."""

    def __init__(self, app, role: str, email: str | None):
        self.role, self.email = role, email
        self.client = app.test_client()
        if email:
            page = self.client.get("/accounts/login").get_data(as_text=True)
            response = self.client.post("/accounts/login", data={
                "csrf_token": token_of(page), "email": email, "password": PASSWORD})
            assert response.status_code == 302, f"{role} could not log in ({response.status_code})"
        self.csrf = token_of(self.client.get("/accounts/login").get_data(as_text=True))
        assert self.csrf, "no CSRF token on the login page"

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        return self.client.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kwargs)


class _Clients(dict):
    """Role -> RoleClient, logged in on first use (password hashing is slow on a shared machine)."""

    def __init__(self, app, world):
        super().__init__()
        self.app, self.world = app, world

    def __missing__(self, role):
        client = RoleClient(self.app, role, None if role == "anonymous" else self.world.emails[role])
        self[role] = client
        return client


@pytest.fixture
def clients(app, world):
    return _Clients(app, world)


@pytest.fixture
def snapshot(app):
    """Every row of every table (plus the outbox's file names): compare before/after to prove nothing changed."""
    outbox = Path(app.config["MAIL_OUTBOX"])

    def take():
        with app.app_context():
            with db.engine.connect() as conn:
                state = {t.name: sorted(repr(tuple(row)) for row in conn.execute(sa.select(t)))
                         for t in db.metadata.sorted_tables}
            db.session.remove()
        state["__outbox__"] = sorted(p.name for p in outbox.glob("*.eml")) if outbox.exists() else []
        return state

    return take
