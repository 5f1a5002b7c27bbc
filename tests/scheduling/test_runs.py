"""Solver runs: instance from the database, background jobs, progress, cancel, apply, stale-run detection."""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from brokerage.extensions import db
from tests.support import post_form
from tests.scheduling.conftest import build_busy_event, wait_for_run

ORGANISER = "organiser@een.example"


@pytest.fixture
def world(app, make_event, people, meeting):
    """EU/JP/KR meet in the morning window (slots 0-6), EU/US in the afternoon one (7-13)."""
    event_id = make_event()
    p = people(event_id, [
        ("eu@example.eu", "Lyon Robotics", "FR", "Europe/Paris", "all"),
        ("jp@example.jp", "Osaka Sensors", "JP", "Asia/Tokyo", range(0, 7)),
        ("us@example.com", "Boston Bio", "US", "America/New_York", range(7, 14)),
        ("kr@example.kr", "Seoul Chips", "KR", "Asia/Seoul", range(0, 4)),
        ("idle@example.de", "Berlin Late", "DE", "Europe/Berlin", []),
    ])
    eu, jp, us, kr, idle = (p[e] for e in ("eu@example.eu", "jp@example.jp", "us@example.com", "kr@example.kr",
                                            "idle@example.de"))
    ids = {
        "eu-jp": meeting(event_id, eu, jp, weight=3), "eu-us": meeting(event_id, eu, us),
        "eu-kr": meeting(event_id, eu, kr), "jp-kr": meeting(event_id, jp, kr),
        "us-jp": meeting(event_id, us, jp), "eu-idle": meeting(event_id, eu, idle),
    }
    return event_id, p, ids


def slots_of(app, ids):
    from brokerage.meetings.models import Meeting
    with app.app_context():
        return {name: (db.session.get(Meeting, mid).slot_id, db.session.get(Meeting, mid).published_slot_id)
                for name, mid in ids.items()}


def test_instance_reflects_availability_preferences_and_locks(app, world, meeting):
    from brokerage.events.models import Event
    from brokerage.scheduling.solver_bridge import build_instance, check_instance
    event_id, p, ids = world
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.room_capacity, event.max_meetings = 3, 4
        instance = build_instance(event)
        check_instance(instance)
    assert len(instance["slots"]) == 14 and {s["capacity"] for s in instance["slots"]} == {3}
    assert len({s["session"] for s in instance["slots"]}) == 2
    people = {x["db_id"]: x for x in instance["participants"]}
    assert people[p["idle@example.de"].id]["available"] == []
    # 16:00-18:50 in Tokyo: the slots from 16:00 to 17:40 end by 18:00 local.
    assert len(people[p["jp@example.jp"].id]["preferred"]) == 5
    # New York 10:00-12:50 EDT is all inside working hours.
    assert len(people[p["us@example.com"].id]["preferred"]) == 7
    assert {x["max_meetings"] for x in people.values()} == {4}
    weights = {m["db_id"]: m["weight"] for m in instance["meetings"]}
    assert weights[ids["eu-jp"]] == 3 and len(weights) == 6


def test_run_in_thread_then_apply_changes_only_working_timetable(app, client, auth, world):
    event_id, p, ids = world
    auth.login(ORGANISER)
    before = slots_of(app, ids)
    response = post_form(client, "/organise/march-2027/runs", {"time_limit": "5"})
    assert response.status_code == 302
    run_url = response.headers["Location"]
    run_id = int(run_url.rstrip("/").rsplit("/", 1)[1])
    assert wait_for_run(app, run_id) == "succeeded"
    assert slots_of(app, ids) == before  # a run writes only its own row

    page = client.get(run_url).get_data(as_text=True)
    assert "succeeded" in page and 'id="apply-run"' in page and "http-equiv" not in page
    assert "share no available slot" in page and "Berlin Late" in page
    assert "Total priority of scheduled meetings (max)" in page  # one request has priority 3

    response = post_form(client, f"{run_url}/apply", {}, form_url=run_url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/timetable")
    after = slots_of(app, ids)
    assert all(after[n][0] for n in ("eu-jp", "eu-us", "eu-kr", "jp-kr"))
    assert after["us-jp"][0] is None and after["eu-idle"][0] is None
    assert all(published is None for _, published in after.values())
    from brokerage.meetings.models import Meeting
    with app.app_context():
        assert "no slot" in db.session.get(Meeting, ids["eu-idle"]).unscheduled_reason
        assert db.session.get(Meeting, ids["us-jp"]).unscheduled_reason


def test_rerun_keeps_locked_meetings_and_published_slots(app, make_event, people, meeting):
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs, timetable
    from brokerage.meetings.models import Meeting
    event_id = make_event()
    p = people(event_id, [("a@x.eu", "A", "FR", "Europe/Paris", "all"), ("b@x.eu", "B", "IT", "Europe/Rome", "all"),
                          ("c@x.jp", "C", "JP", "Asia/Tokyo", "all")])
    a, b, c = p["a@x.eu"], p["b@x.eu"], p["c@x.jp"]
    locked = meeting(event_id, a, b, slot=12, locked=True)
    published = meeting(event_id, a, c, slot=9, published=9)
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.timetable_published = True
        db.session.commit()
        run = jobs.start_run(event, event.created_by_id, 3)
        run_id = run.id
    assert wait_for_run(app, run_id) == "succeeded"
    with app.app_context():
        event = db.session.get(Event, event_id)
        timetable.apply_run(event, db.session.get(jobs.ScheduleRun, run_id))
        slots = [s.id for s in event.slots]
        assert db.session.get(Meeting, locked).slot_id == slots[12]
        assert db.session.get(Meeting, published).slot_id == slots[9]


def test_apply_refuses_a_run_older_than_the_data(app, client, auth, world, meeting):
    from brokerage.scheduling import jobs
    from brokerage.events.models import Event
    event_id, p, ids = world
    with app.app_context():
        run_id = jobs.start_run(db.session.get(Event, event_id), 1, 3).id
    assert wait_for_run(app, run_id) == "succeeded"
    meeting(event_id, p["us@example.com"], p["kr@example.kr"])  # a new meeting accepted meanwhile
    auth.login(ORGANISER)
    url = f"/organise/march-2027/runs/{run_id}"
    response = post_form(client, f"{url}/apply", {}, form_url=url, follow_redirects=True)
    assert "changed since this run started" in response.get_data(as_text=True)
    assert all(slot is None for slot, _ in slots_of(app, ids).values())


def test_bad_time_limit_is_refused_with_a_message(app, client, auth, world):
    from brokerage.scheduling.models import ScheduleRun
    auth.login(ORGANISER)
    for value in ("", "abc", "0", "100000", "NaN", "sNaN", "Infinity"):
        response = post_form(client, "/organise/march-2027/runs", {"time_limit": value})
        assert response.status_code == 400
        assert "seconds" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ScheduleRun.id))) == 0


def test_event_without_meetings_cannot_start_a_run(app, client, auth, make_event):
    make_event()
    auth.login(ORGANISER)
    response = post_form(client, "/organise/march-2027/runs", {"time_limit": "5"}, follow_redirects=True)
    assert "no accepted meetings" in response.get_data(as_text=True)


def test_one_run_at_a_time_and_cancel(app, client, auth, world):
    from brokerage.scheduling.models import ScheduleRun
    event_id, _, _ = world
    auth.login(ORGANISER)
    # A queued run stands for one in progress (its job has not picked it up yet).
    with app.app_context():
        run = ScheduleRun(event_id=event_id, created_by_id=1, status="queued", instance={}, progress={})
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    response = post_form(client, "/organise/march-2027/runs", {"time_limit": "5"}, follow_redirects=True)
    assert "already in progress" in response.get_data(as_text=True)
    page = client.get(f"/organise/march-2027/runs/{run_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and 'id="cancel-run"' in page
    url = f"/organise/march-2027/runs/{run_id}"
    post_form(client, f"{url}/cancel", {}, form_url=url)
    with app.app_context():
        run = db.session.get(ScheduleRun, run_id)
        assert run.cancel_requested and run.status == "cancelled"


def test_two_organisers_starting_at_once_get_one_run(app, world):
    """The check for an active run and the insert are not atomic: the database keeps it to one."""
    import threading

    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    event_id, _, _ = world
    barrier, outcomes = threading.Barrier(2), []

    def start():
        with app.app_context():
            event = db.session.get(Event, event_id)
            barrier.wait()
            try:
                outcomes.append(jobs.create_run(event, 1, 5).id)
            except jobs.RunRefused as refused:
                outcomes.append(str(refused))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(type, outcomes), key=str) == [int, str] and jobs.BUSY in outcomes
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ScheduleRun.id))) == 1
        # Even past the check (two clicks racing), the database refuses a second active run.
        db.session.add(ScheduleRun(event_id=event_id, created_by_id=1, status="running", instance={}, progress={}))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()


def test_progress_page_while_running_and_cancel_stops_the_solver(app, client, auth, make_event, people, meeting):
    """A bigger event and a long time limit: the page shows live progress; cancel stops the solver early."""
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    event_id = build_busy_event(make_event, people, meeting)
    with app.app_context():
        run_id = jobs.start_run(db.session.get(Event, event_id), 1, 120).id
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with app.app_context():
            progress = db.session.get(ScheduleRun, run_id).progress or {}
        if progress.get("objective"):
            break
        time.sleep(0.05)
    auth.login(ORGANISER)
    url = f"/organise/march-2027/runs/{run_id}"
    page = client.get(url).get_data(as_text=True)
    # Followed in place by a script (a reload every 2 s threw keyboard focus to the top); without
    # JavaScript the refresh still works.
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page and "js/run-progress.js" in page
    assert 'id="run-live"' in page and 'id="run-status" class="badge ">running' in page
    assert 'id="cancel-run"' in page and " s of 120 s" in page
    assert re.search(r"Meetings scheduled \(max\)</td><td>\d+</td>", page)  # live objective; no priorities set
    post_form(client, f"{url}/cancel", {}, form_url=url)
    started = time.monotonic()
    assert wait_for_run(app, run_id, timeout=30) == "cancelled"
    assert time.monotonic() - started < 10


def test_a_run_waits_while_another_events_run_holds_the_solver(app, client, auth, world, monkeypatch):
    """One run solves at a time per process (SOLVER_RUNS_AT_ONCE=1): the next waits queued, says why on its
    page, is not taken for lost however long it waits, can be cancelled, and solves once the place frees."""
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    event_id, _, _ = world
    place = jobs._solver_slots_for(app)
    assert place.acquire(timeout=5)  # another event's run is solving
    try:
        with app.app_context():
            run_id = jobs.start_run(db.session.get(Event, event_id), 1, 3).id
        time.sleep(2.5)
        with app.app_context():
            run = db.session.get(ScheduleRun, run_id)
            assert (run.status, run.progress["phase"]) == ("queued", jobs.WAITING)
            later = jobs.now_utc() + jobs.timedelta(seconds=0.5)  # the waiting run beat just now
            monkeypatch.setitem(app.config, "SCHEDULE_HEARTBEAT_TIMEOUT", 1)
            assert jobs.reap_stale_runs(event_id, now=later) == 0
        auth.login(ORGANISER)
        assert jobs.WAITING in client.get(f"/organise/march-2027/runs/{run_id}").get_data(as_text=True)
    finally:
        place.release()
    assert wait_for_run(app, run_id) == "succeeded"

    # Cancelled while waiting: it never solves, and its place is not kept.
    assert place.acquire(timeout=5)
    try:
        with app.app_context():
            run_id = jobs.start_run(db.session.get(Event, event_id), 1, 3).id
        time.sleep(1.5)
        with app.app_context():
            jobs.request_cancel(db.session.get(ScheduleRun, run_id))
        time.sleep(1.5)
    finally:
        place.release()
    assert wait_for_run(app, run_id) == "cancelled"
    with app.app_context():
        assert db.session.get(ScheduleRun, run_id).started_at is None
    assert place.acquire(timeout=1)
    place.release()


def test_a_run_that_fails_midway_frees_its_place_only_once_its_solver_stopped(app, make_event, people, meeting,
                                                                              monkeypatch):
    """A database hiccup in the heartbeat fails the run; the solver thread is stopped before the next run may
    start, or two would solve at once with SOLVER_RUNS_AT_ONCE=1."""
    import threading
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    event_id = build_busy_event(make_event, people, meeting)
    real, beats = jobs.now_utc, []

    def flaky():
        if threading.current_thread().name.startswith("schedule-run-"):
            beats.append(1)
            if len(beats) == 5:
                raise RuntimeError("server closed the connection unexpectedly")
        return real()
    monkeypatch.setattr(jobs, "now_utc", flaky)
    with app.app_context():
        run_id = jobs.start_run(db.session.get(Event, event_id), 1, 60).id
    assert wait_for_run(app, run_id, timeout=30) == "failed"
    place = jobs._solver_slots_for(app)
    assert place.acquire(timeout=30)
    try:
        assert not [t for t in threading.enumerate() if t.name == f"solver-{run_id}" and t.is_alive()]
    finally:
        place.release()
