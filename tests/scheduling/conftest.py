"""Tiny events for the scheduling tests: participants in four regions, their availability and agreed meetings."""
from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from werkzeug.security import generate_password_hash

from brokerage.extensions import db


@dataclass
class Person:
    id: int
    email: str


@pytest.fixture
def people(app):
    """people(event_id, [(email, organisation, country, tz, slot_indices or 'all')]) -> {email: Person}."""
    from brokerage.accounts.models import User
    from brokerage.events.models import Availability, Participant, Slot

    def make(event_id, specs, status="approved"):
        out = {}
        with app.app_context():
            slots = db.session.scalars(db.select(Slot).filter_by(event_id=event_id).order_by(Slot.start)).all()
            for email, organisation, country, tz, available in specs:
                user = db.session.scalar(db.select(User).filter_by(email=email))
                if user is None:
                    user = User(email=email, name=organisation + " contact")
                    # A cheap hash keeps tests fast; login still checks it like any other.
                    user.password_hash = generate_password_hash("correct horse", method="pbkdf2:sha256:1000")
                    db.session.add(user)
                    db.session.flush()
                p = Participant(event_id=event_id, user_id=user.id, status=status, organisation=organisation,
                                country=country, organisation_type="sme", timezone=tz)
                db.session.add(p)
                db.session.flush()
                chosen = slots if available == "all" else [slots[i] for i in available]
                for slot in chosen:
                    db.session.add(Availability(participant_id=p.id, slot_id=slot.id))
                out[email] = Person(p.id, email)
            db.session.commit()
        return out

    return make


@pytest.fixture
def meeting(app):
    """meeting(event_id, a, b, weight=1, slot=None, published=None, locked=False) -> meeting id (slots by index)."""
    from brokerage.events.models import Slot
    from brokerage.meetings.models import Meeting, MeetingRequest

    def make(event_id, a, b, weight=1, slot=None, published=None, locked=False, status="accepted"):
        with app.app_context():
            slots = db.session.scalars(db.select(Slot).filter_by(event_id=event_id).order_by(Slot.start)).all()
            request = MeetingRequest(event_id=event_id, requester_id=a.id, recipient_id=b.id, status=status,
                                     weight=weight)
            db.session.add(request)
            db.session.flush()
            m = Meeting(event_id=event_id, request_id=request.id, locked=locked,
                        slot_id=slots[slot].id if slot is not None else None,
                        published_slot_id=slots[published].id if published is not None else None)
            db.session.add(m)
            db.session.commit()
            return m.id

    return make


def build_busy_event(make_event, people, meeting) -> int:
    """24 participants in four regions with partial availability and 120 meetings: enough to keep CP-SAT busy."""
    event_id = make_event()
    specs = [(f"p{i}@x.eu", f"Org {i}", ["FR", "JP", "US", "KR"][i % 4],
              ["Europe/Paris", "Asia/Tokyo", "America/New_York", "Asia/Seoul"][i % 4],
              [s for s in range(14) if (s + i) % 3]) for i in range(24)]
    p = list(people(event_id, specs).values())
    for i in range(24):
        for j in (1, 2, 3, 5, 7):
            meeting(event_id, p[i], p[(i + j) % 24])
    return event_id


def wait_for_run(app, run_id, timeout=60):
    """Poll the run's row (the job runs in its own thread) until it finishes."""
    from brokerage.scheduling.models import ScheduleRun
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            run = db.session.get(ScheduleRun, run_id)
            if run.status not in ("queued", "running"):
                return run.status
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def login(auth, email):
    auth.login(email)
