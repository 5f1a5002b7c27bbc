"""Scheduling jobs outside the web process: a real RQ worker, and a worker killed midway."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from brokerage.extensions import db
from tests.scheduling.conftest import build_busy_event, wait_for_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_event(app, make_event, people, meeting):
    """24 participants in four regions, 120 meetings, half of them already published."""
    from brokerage.events.models import Event
    event_id = build_busy_event(make_event, people, meeting)
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.timetable_published = True
        db.session.commit()
    return event_id


def published_state(app, event_id) -> bytes:
    from brokerage.meetings.models import Meeting
    with app.app_context():
        rows = db.session.execute(db.select(Meeting.id, Meeting.slot_id, Meeting.published_slot_id, Meeting.sequence,
                                            Meeting.uid).filter_by(event_id=event_id).order_by(Meeting.id)).all()
    return json.dumps([list(r) for r in rows]).encode()


def test_killed_job_leaves_published_timetable_and_run_shows_failed(app, client, auth, busy_event):
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    from brokerage.scheduling import timetable
    with app.app_context():
        run = jobs.start_run(db.session.get(Event, busy_event), 1, 2)
        run_id = run.id
    assert wait_for_run(app, run_id) == "succeeded"
    with app.app_context():
        event = db.session.get(Event, busy_event)
        timetable.apply_run(event, db.session.get(ScheduleRun, run_id))
        # Half the meetings are published: their published slots must survive the killed re-run byte for byte.
        for m in timetable.working_meetings(event)[::2]:
            m.published_slot_id = m.slot_id
        db.session.commit()
        run_id = jobs.create_run(event, 1, 120).id
    before = published_state(app, busy_event)

    script = ("import sys, json; from brokerage import create_app; from brokerage.scheduling.jobs import execute_run; "
              "app = create_app(json.loads(sys.argv[1])); ctx = app.app_context(); ctx.push(); execute_run(int(sys.argv[2]))")
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "MAIL_OUTBOX", "SECRET_KEY")}
    worker = subprocess.Popen([sys.executable, "-c", script, json.dumps(config), str(run_id)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                progress = db.session.get(ScheduleRun, run_id).progress or {}
            if progress.get("phase") not in (None, "queued", "starting"):
                break  # the solver reported progress: it is midway
            assert worker.poll() is None, "the job ended before it could be killed"
            time.sleep(0.1)
        else:
            raise AssertionError("the job never reported progress")
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(10)
    with app.app_context():
        assert db.session.get(ScheduleRun, run_id).status == "running"  # nobody told it yet

    app.config["SCHEDULE_HEARTBEAT_TIMEOUT"] = 1
    time.sleep(1.5)
    auth.login("organiser@een.example")
    page = client.get(f"/organise/march-2027/runs/{run_id}").get_data(as_text=True)
    assert "worker killed" in page and 'id="run-status"' in page
    with app.app_context():
        run = db.session.get(ScheduleRun, run_id)
        assert run.status == "failed" and run.error == jobs.WORKER_LOST
    assert published_state(app, busy_event) == before


@pytest.fixture
def rq_queue(app):
    """A queue of this test's own on the local Redis, which the app's runs go to; emptied afterwards."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue
    connection = Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        connection.ping()
    except RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    queue = Queue(f"test-scheduling-{uuid.uuid4().hex}", connection=connection)
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", SCHEDULING_QUEUE=queue.name)
    yield queue
    queue.delete(delete_jobs=True)


@pytest.fixture
def pair_event(make_event, people, meeting):
    """An event with one meeting, Paris and Tokyo."""
    event_id = make_event()
    p = people(event_id, [("a@x.eu", "A", "FR", "Europe/Paris", "all"), ("b@x.jp", "B", "JP", "Asia/Tokyo", "all")])
    meeting(event_id, p["a@x.eu"], p["b@x.jp"])
    return event_id


@pytest.mark.redis
def test_run_on_a_real_rq_worker(app, client, auth, rq_queue, pair_event):
    from rq import SimpleWorker
    from brokerage.scheduling.models import ScheduleRun
    from tests.support import post_form
    auth.login("organiser@een.example")
    response = post_form(client, "/organise/march-2027/runs", {"time_limit": "3"})
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        run = db.session.get(ScheduleRun, run_id)
        assert run.status == "queued" and run.job_id
    assert rq_queue.count == 1
    with app.app_context():
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    with app.app_context():
        run = db.session.get(ScheduleRun, run_id)
        assert run.status == "succeeded", run.error
        assert len(run.solution["assignments"]) == 1


@pytest.mark.redis
def test_lost_rq_job_is_reported_failed(app, rq_queue, pair_event):
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    with app.app_context():
        run_id = jobs.start_run(db.session.get(Event, pair_event), 1, 3).id
        rq_queue.delete(delete_jobs=True)  # the job vanishes from Redis
        assert jobs.reap_stale_runs(pair_event) == 1
        assert db.session.get(ScheduleRun, run_id).status == "failed"


def test_queued_run_whose_thread_never_started_is_failed(app, make_event):
    from datetime import timedelta
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    from brokerage.timeutil import now_utc
    event_id, other_id = make_event(), make_event(slug="other-2027")  # one active run per event
    with app.app_context():
        run = ScheduleRun(event_id=event_id, created_by_id=1, status="queued", instance={}, progress={},
                          created_at=now_utc() - timedelta(minutes=5))
        fresh = ScheduleRun(event_id=other_id, created_by_id=1, status="queued", instance={}, progress={})
        db.session.add_all([run, fresh])
        db.session.commit()
        assert jobs.reap_stale_runs(event_id) == 1 and jobs.reap_stale_runs(other_id) == 0
        assert (run.status, run.error, fresh.status) == ("failed", jobs.WORKER_LOST, "queued")


@pytest.mark.redis
def test_rq_run_without_a_worker_fails_with_advice_and_a_queued_one_cancels_at_once(app, rq_queue, pair_event):
    from datetime import timedelta
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    with app.app_context():  # no worker listens on the queue
        run = jobs.start_run(db.session.get(Event, pair_event), 1, 3)
        assert jobs.reap_stale_runs(pair_event) == 0  # just queued: a worker may be on its way
        assert jobs.reap_stale_runs(pair_event, now=run.created_at + timedelta(minutes=2)) == 1
        assert (run.status, run.error) == ("failed", jobs.NO_WORKER)

        second = jobs.start_run(db.session.get(Event, pair_event), 1, 3)
        jobs.request_cancel(second)
        assert db.session.get(ScheduleRun, second.id).status == "cancelled"  # no worker needed for that
        assert rq_queue.count == 0  # its waiting job is gone
        third = jobs.create_run(db.session.get(Event, pair_event), 1, 3)  # nothing blocks a new run
        assert third.status == "queued"


@pytest.mark.redis
def test_worker_on_another_database_is_named_as_the_cause(app, tmp_path, rq_queue, pair_event):
    """A worker started without the web app's DATABASE_URL cannot find the run: the run page says so."""
    from rq import SimpleWorker
    from brokerage import create_app
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    elsewhere = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/other.sqlite", "SECRET_KEY": "test"})
    with elsewhere.app_context():
        db.create_all()
    with app.app_context():
        run_id = jobs.start_run(db.session.get(Event, pair_event), 1, 3).id
    with elsewhere.app_context():
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    with app.app_context():
        assert jobs.reap_stale_runs(pair_event) == 1
        error = db.session.get(ScheduleRun, run_id).error
    assert error == ("The scheduling worker uses another database than the web app: start it with the web app's "
                     "DATABASE_URL, then start the run again.")


@pytest.mark.redis
def test_worker_on_a_database_without_tables_is_named_too_and_other_failures_show_no_details(
        app, tmp_path, rq_queue, pair_event):
    from rq import SimpleWorker
    from brokerage import create_app
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import ScheduleRun
    empty = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.sqlite", "SECRET_KEY": "test"})
    with app.app_context():
        run_id = jobs.start_run(db.session.get(Event, pair_event), 1, 3).id
    with empty.app_context():  # no tables at all: not even `flask db upgrade` was run there
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    with app.app_context():
        assert jobs.reap_stale_runs(pair_event) == 1
        assert db.session.get(ScheduleRun, run_id).error.startswith(
            "The scheduling worker uses another database than the web app")
    job = rq_queue.enqueue("math.sqrt", -1)  # any other failure: its text stays in the worker's log
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    assert jobs._worker_error(job) == jobs.WORKER_FAILED


@pytest.mark.redis
def test_publish_mails_wait_for_a_worker_and_the_page_says_so(app, client, auth, outbox, rq_queue, pair_event):
    """With RQ and no worker, a publish's mails are queued: the page names what to start, and 'send again'
    does not claim that nothing is waiting."""
    from rq import SimpleWorker
    from tests.support import post_form
    from brokerage.events.models import Slot
    from brokerage.meetings.models import Meeting
    timetable = "/organise/march-2027/timetable"
    with app.app_context():  # placed, so there is something to announce
        db.session.execute(db.update(Meeting).values(slot_id=db.session.scalar(db.select(Slot.id).order_by(Slot.start).limit(1))))
        db.session.commit()
    auth.login("organiser@een.example")
    post_form(client, f"{timetable}/publish", {}, form_url=timetable)
    page = client.get(timetable).get_data(as_text=True)
    assert 'id="mails-waiting">2<' in page and "No worker is running, so these mails" in page
    assert "rq worker --worker-ttl 60 scheduling" in page
    assert not list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))  # (outbox() would wait for them)
    response = post_form(client, f"{timetable}/mails/retry", {}, form_url=timetable, follow_redirects=True)
    assert "No mail was refused or stuck; 2 are still being sent." in response.get_data(as_text=True)
    with app.app_context():
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    # Neither has a slot: both hear that the timetable is out and their meeting is not in it yet.
    assert sorted(m["To"] for m in outbox()) == ["a@x.eu", "b@x.jp"]
    page = client.get(timetable).get_data(as_text=True)
    assert 'id="mails-sent">2<' in page and "No worker is running" not in page
