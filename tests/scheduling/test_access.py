"""Only the event's own organisers reach the scheduling console; state changes are POST with CSRF."""
from __future__ import annotations

import pytest

from brokerage.extensions import db
from tests.support import csrf_token

ORGANISER = "organiser@een.example"


@pytest.fixture
def targets(app, make_event, people, meeting):
    from brokerage.accounts.models import User
    from brokerage.events.models import EventOrganiser
    from brokerage.scheduling.models import ScheduleRun
    event_id = make_event()
    make_event(slug="other-event", organiser_email="other@een.example")
    p = people(event_id, [("eu@example.eu", "Lyon Robotics", "FR", "Europe/Paris", "all"),
                          ("jp@example.jp", "Osaka Sensors", "JP", "Asia/Tokyo", "all")])
    people(event_id, [("co@example.jp", "JETRO desk", "JP", "Asia/Tokyo", [])])  # a user who is also co-organiser
    meeting_id = meeting(event_id, p["eu@example.eu"], p["jp@example.jp"], slot=0)
    with app.app_context():
        co = db.session.scalar(db.select(User).filter_by(email="co@example.jp"))
        db.session.add(EventOrganiser(event_id=event_id, user_id=co.id, role="co_organiser"))
        run = ScheduleRun(event_id=event_id, created_by_id=1, status="succeeded", instance={}, progress={})
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    base = "/organise/march-2027"
    gets = [f"{base}/runs", f"{base}/runs/{run_id}", f"{base}/timetable", f"{base}/meetings/{meeting_id}/move",
            f"{base}/timetable/publish"]
    posts = [f"{base}/runs", f"{base}/runs/{run_id}/cancel", f"{base}/runs/{run_id}/apply", f"{base}/timetable/publish",
             f"{base}/timetable/unpublish", f"{base}/meetings/{meeting_id}/move", f"{base}/meetings/{meeting_id}/lock",
             f"{base}/meetings/{meeting_id}/unschedule"]
    return event_id, gets, posts


def snapshot(app, event_id):
    from brokerage.events.models import Event
    from brokerage.meetings.models import Meeting
    from brokerage.scheduling.models import ScheduleRun
    with app.app_context():
        m = db.session.scalars(db.select(Meeting).filter_by(event_id=event_id)).one()
        runs = db.session.scalars(db.select(ScheduleRun.status).filter_by(event_id=event_id)).all()
        return (m.slot_id, m.published_slot_id, m.locked, db.session.get(Event, event_id).timetable_published, runs)


@pytest.mark.parametrize("email", ["eu@example.eu", "co@example.jp", "other@een.example"])
def test_participants_co_organisers_and_strangers_get_403(app, client, auth, targets, email):
    event_id, gets, posts = targets
    before = snapshot(app, event_id)
    auth.login(email)
    token = csrf_token(client, "/accounts/login")
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url, data={"csrf_token": token, "time_limit": "5", "slot_id": "1", "locked": "1"}
                           ).status_code == 403, url
    assert snapshot(app, event_id) == before


def test_anonymous_is_sent_to_login(client, targets):
    _, gets, posts = targets
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


def test_posts_need_csrf_and_state_changes_refuse_get(app, client, auth, targets):
    event_id, gets, posts = targets
    before = snapshot(app, event_id)
    auth.login(ORGANISER)
    for url in posts:
        assert client.post(url, data={"time_limit": "5", "slot_id": "1", "locked": "1"}).status_code == 400, url
        if url not in gets:
            assert client.get(url).status_code == 405, url
    assert snapshot(app, event_id) == before


def test_organiser_sees_every_page(client, auth, targets):
    _, gets, _ = targets
    auth.login(ORGANISER)
    for url in gets:
        assert client.get(url).status_code == 200, url


def test_unknown_run_or_meeting_of_another_event_is_404(app, client, auth, targets, make_event):
    auth.login("other@een.example")
    _, gets, _ = targets
    run_url = gets[1].replace("march-2027", "other-event")
    move_url = gets[3].replace("march-2027", "other-event")
    assert client.get(run_url).status_code == 404
    assert client.get(move_url).status_code == 404
