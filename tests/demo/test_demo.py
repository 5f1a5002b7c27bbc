from collections import Counter
from datetime import time

import pytest

from brokerage import demo, timeutil
from brokerage.extensions import db


@pytest.fixture
def built(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _event(app):
    from brokerage.events.models import Event
    return db.session.scalar(db.select(Event).filter_by(slug=demo.SLUG))


def test_demo_builds_a_believable_event(app, built):
    from brokerage.meetings.models import Meeting, MeetingRequest
    assert "Demo logins" in built and demo.PASSWORD in built
    for email in ["organiser@demo.example", "paris@demo.example", "newyork@demo.example", "tokyo@demo.example", "seoul@demo.example"]:
        assert email in built
    with app.app_context():
        event = _event(app)
        assert event.name == "EU–Japan–Korea–US Deep-Tech Brokerage" and event.timezone == "Europe/Brussels"
        assert [(w.label, w.start.hour, w.end.hour) for w in event.windows[:3]] == [
            ("Asia–Europe", 7, 10), ("Europe–Americas", 14, 17), ("Americas–Asia", 22, 1)]
        assert len(event.slots) == 42 and event.room_capacity == 20  # 7 slots of 20+5 min per 3-hour window
        approved = [p for p in event.participants if p.status == "approved"]
        regions = Counter(p.region for p in approved)
        assert 75 <= len(approved) <= 85 and regions["EU"] >= 40 and min(regions["US"], regions["JP"], regions["KR"]) >= 8
        assert len({p.country for p in approved if p.region == "EU"}) >= 15
        assert {"America/New_York", "America/Los_Angeles"} <= {p.timezone for p in approved if p.region == "US"}
        assert len({p.organisation for p in approved}) == len(approved)
        assert len({p.description for p in approved}) == len(approved)
        assert all(1 <= len(p.opportunities) <= 3 for p in approved)
        assert {t for p in approved for t in [p.organisation_type]} >= {"sme", "research", "large"}

        requests = db.session.scalars(db.select(MeetingRequest).filter_by(event_id=event.id)).all()
        status = Counter(r.status for r in requests)
        assert status["accepted"] > status["pending"] > status["declined"] > 0
        accepted = [r for r in requests if r.status == "accepted"]
        cross = sum(r.requester.region != r.recipient.region for r in accepted)
        assert cross / len(accepted) > 0.7
        incoming = Counter(r.recipient_id for r in requests)
        assert max(incoming.values()) >= 4 * (len(requests) / len(approved))  # a few organisations are in demand
        # Accepted meetings await the scheduler: agreed, not placed.
        meetings = db.session.scalars(db.select(Meeting).filter_by(event_id=event.id)).all()
        assert len(meetings) == len(accepted) and all(m.slot_id is None and m.published_slot_id is None for m in meetings)


def test_availability_follows_local_business_hours_and_makes_meetings_schedulable(app, built):
    from brokerage.meetings.models import MeetingRequest
    with app.app_context():
        event = _event(app)
        slots = {s.id: s for s in event.slots}
        free = {p.id: {a.slot_id for a in p.availability} for p in event.participants}
        tokyo = [p for p in event.participants if p.timezone == "Asia/Tokyo"]
        assert tokyo and all(free[p.id] for p in tokyo)
        for p in event.participants:
            for slot_id in free[p.id]:
                start, end = (timeutil.to_local(t, p.timezone) for t in (slots[slot_id].start, slots[slot_id].end))
                assert time(9) <= start.time() and end.time() <= time(18) and start.date() == end.date(), (p.timezone, start)
        # Tokyo meets Europe in its late afternoon and the Americas in its morning.
        tokyo_hours = {timeutil.fmt_time(slots[s].start, "Asia/Tokyo") for p in tokyo for s in free[p.id]}
        assert "16:00" in tokyo_hours and "09:05" in tokyo_hours
        # Every accepted meeting has hours both sides share, and nobody has more meetings than free slots.
        accepted = db.session.scalars(db.select(MeetingRequest).filter_by(event_id=event.id, status="accepted")).all()
        load = Counter()
        for r in accepted:
            assert free[r.requester_id] & free[r.recipient_id]
            load.update([r.requester_id, r.recipient_id])
        assert all(n <= min(len(free[pid]), event.max_meetings) for pid, n in load.items())


def test_second_run_changes_nothing_and_reset_rebuilds_the_same_event(app, built):
    from brokerage.events.models import Event, Participant
    runner = app.test_cli_runner()
    with app.app_context():
        first = sorted(db.session.scalars(db.select(Participant.organisation).join(Event).filter(Event.slug == demo.SLUG)))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "exists already" in again.output and "--reset" in again.output
    assert "Demo logins" in again.output
    reset = runner.invoke(args=["demo", "--reset"])
    assert reset.exit_code == 0 and "Rebuilt" in reset.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Event).filter_by(slug=demo.SLUG)) == 1
        second = sorted(db.session.scalars(db.select(Participant.organisation).join(Event).filter(Event.slug == demo.SLUG)))
    assert second == first  # seeded: the same event every time


def test_demo_logins_work(client, auth, built):
    response = auth.login("tokyo@demo.example", demo.PASSWORD)
    assert response.status_code == 302
    page = client.get(f"/events/{demo.SLUG}/outcomes")
    assert page.status_code == 200 and "Asia/Tokyo" in page.get_data(as_text=True)
    auth.logout()
    auth.login("organiser@demo.example", demo.PASSWORD)
    report = client.get(f"/organise/{demo.SLUG}/impact").get_data(as_text=True)
    assert 'id="total-participants">80<' in report


def test_unmigrated_database_gets_one_line_and_exit_2(tmp_path):
    from brokerage import create_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}",
                      "MAIL_OUTBOX": str(tmp_path / "outbox")})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 2 and "flask db upgrade" in result.output


def test_demo_names_an_unreachable_database(tmp_path, monkeypatch):
    from brokerage import create_app
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    result = create_app({"TESTING": True}).test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 2 and "Cannot reach the database" in result.output and "upgrade" not in result.output


def test_bad_settings_stop_the_app_with_one_line(tmp_path, monkeypatch, capsys):
    import pytest

    from brokerage import config
    for name, value in [("MAIL_PORT", "abc"), ("SOLVER_TIME_LIMIT", "900"), ("SOLVER_WORKERS", "two"),
                        ("MAIL_USE_TLS", "maybe")]:
        monkeypatch.setenv(name, value)
        with pytest.raises(SystemExit) as stop:
            config.from_environment(str(tmp_path))
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and name in err and "Traceback" not in err
        monkeypatch.delenv(name)
    for value in ("True", "ON", "yes", "1"):
        monkeypatch.setenv("MAIL_USE_TLS", value)
        assert config.from_environment(str(tmp_path))["MAIL_USE_TLS"] is True


def test_every_demo_login_can_still_book_a_meeting(app, built):
    """Whoever tries the demo as Tokyo or New York can send a request: those accounts are below the event's
    meeting limit."""
    from brokerage.accounts.models import User
    from brokerage.events.models import Participant
    from brokerage.meetings.views import active_meetings_count
    with app.app_context():
        for email, _ in demo.LOGIN_PARTICIPANTS.values():
            me = db.session.scalar(db.select(Participant).join(User, Participant.user_id == User.id)
                                   .where(User.email == email))
            assert 0 < active_meetings_count(me) <= demo.MAX_MEETINGS - 2, email
