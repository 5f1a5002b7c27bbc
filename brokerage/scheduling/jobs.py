"""Solver runs as background jobs: a thread by default, an RQ worker when REDIS_URL is set.

A run writes only its own ScheduleRun row. While it solves, the job's main thread beats a heartbeat
into `progress` every second and polls `cancel_requested`; a run whose heartbeat stops is marked failed.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context

from brokerage.events.models import Event
from brokerage.extensions import db
from brokerage.scheduling import solver_bridge
from brokerage.scheduling.models import ACTIVE, ScheduleRun
from brokerage.timeutil import now_utc

BEAT_SECONDS = 1.0
BUSY = "A run is already in progress for this event; wait for it or cancel it first."
WORKER_LOST = ("The scheduling job stopped unexpectedly (worker killed or restarted); the published timetable is "
               "unchanged. Start the run again once a worker is running.")
WORKER_FAILED = "The scheduling worker failed before starting the run; its log says why."
OTHER_DATABASE = "uses another database than the web app"


class RunRefused(Exception):
    """Why a run cannot start, in words for the organiser."""


def start_run(event: Event, user_id: int, time_limit: float) -> ScheduleRun:
    run = create_run(event, user_id, time_limit)
    _dispatch(run)
    return run


def create_run(event: Event, user_id: int, time_limit: float) -> ScheduleRun:
    """A queued run with a snapshot of the event's data; raises RunRefused when there is nothing to do."""
    reap_stale_runs(event.id)
    if db.session.scalar(db.select(ScheduleRun.id).filter(ScheduleRun.event_id == event.id,
                                                           ScheduleRun.status.in_(ACTIVE))):
        raise RunRefused(BUSY)
    if not event.slots:
        raise RunRefused("This event has no meeting slots yet; add meeting windows first.")
    instance = solver_bridge.build_instance(event)
    if not instance["meetings"]:
        raise RunRefused("There are no accepted meetings between approved participants to schedule yet.")
    try:
        solver_bridge.check_instance(instance)
    except solver_bridge.InputError as error:
        raise RunRefused(f"The event's data cannot be scheduled: {error}") from None
    instance["working_timetable"] = solver_bridge.hint_from_database(instance)
    run = ScheduleRun(event_id=event.id, created_by_id=user_id, time_limit=time_limit, instance=instance,
                      progress={"phase": "queued"})
    db.session.add(run)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another organiser's run started in between (one active run per event)
        db.session.rollback()
        raise RunRefused(BUSY) from None
    return run


def _dispatch(run: ScheduleRun) -> None:
    if current_app.config.get("REDIS_URL"):
        try:
            run.job_id = _enqueue(execute_run, run.id, timeout=int(run.time_limit) + 600).id
        except _QueueUnreachable as error:
            _finish(run, "failed", error=f"The job queue could not be reached ({error}); try again later.")
            return
        db.session.commit()
        return
    run.job_id = f"schedule-run-{run.id}"
    db.session.commit()
    _in_thread(run.job_id, _execute, run.id)


def in_background(job, *args) -> None:
    """Run job(*args) outside the request: on an RQ worker when REDIS_URL is set, else in a thread of
    this process (also when the queue cannot be reached: the work is recorded and must not wait)."""
    if current_app.config.get("REDIS_URL"):
        try:
            _enqueue(job, *args, timeout=3600)
            return
        except _QueueUnreachable as error:
            current_app.logger.warning("job queue unreachable (%s): running %s in the web process", error,
                                       job.__name__)
    _in_thread(f"{job.__name__}-{'-'.join(map(str, args))}", job, *args)


class _QueueUnreachable(Exception):
    pass


def _enqueue(job, *args, timeout: int):
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue
    config = current_app.config
    try:
        queue = Queue(config.get("SCHEDULING_QUEUE", "scheduling"), connection=Redis.from_url(config["REDIS_URL"]))
        return queue.enqueue(job, *args, job_timeout=timeout)
    except (RedisError, ValueError) as error:  # ValueError: a REDIS_URL redis-py cannot read
        raise _QueueUnreachable(error) from None


def _in_thread(name: str, function, *args) -> None:
    app = current_app._get_current_object()

    def body():
        with app.app_context():
            function(*args)
    thread = threading.Thread(target=body, name=name, daemon=True)
    threads = app.extensions.setdefault("brokerage.job_threads", [])
    threads[:] = [t for t in threads if t.is_alive()]
    threads.append(thread)
    thread.start()


def wait_for_threads(app, timeout: float = 60) -> None:
    """Let the app's in-process jobs finish (a test's teardown, before its database goes)."""
    for thread in list(app.extensions.get("brokerage.job_threads", [])):
        thread.join(timeout)


def with_app(function, *args) -> None:
    """Call function(*args) in an app context: the current one, or (on an RQ worker) one built from the
    environment."""
    if has_app_context():
        function(*args)
        return
    from brokerage import create_app
    with create_app().app_context():
        function(*args)


def execute_run(run_id: int) -> None:
    """The job: RQ imports and calls this; outside a Flask app (an `rq worker`) it builds one from the environment."""
    with_app(_execute, run_id)


def _execute(run_id: int) -> None:
    try:
        run = db.session.get(ScheduleRun, run_id)
    except sa.exc.SQLAlchemyError:  # e.g. a database without the app's tables
        db.session.rollback()
        run = None
    if run is None:  # fail the job where the worker's operator sees it; the run page shows this line
        raise LookupError(f"schedule run {run_id} is not in this database: this worker {OTHER_DATABASE}; "
                          "start it with the web app's DATABASE_URL")
    if run.status != "queued":
        return
    if run.cancel_requested:
        _finish(run, "cancelled")
        return
    slots = _solver_slots()
    while not slots.acquire(timeout=BEAT_SECONDS):
        # Runs of other events hold the cores: wait queued, with a heartbeat so nobody takes this one for lost.
        db.session.refresh(run)
        if run.status != "queued":  # cancelled while waiting
            return
        run.progress = {"phase": WAITING, "heartbeat": now_utc().isoformat()}
        db.session.commit()
    try:
        _solve(run)
    finally:
        slots.release()


WAITING = "waiting for a run of another event to finish"
_slots_lock = threading.Lock()


def _solver_slots() -> threading.BoundedSemaphore:
    return _solver_slots_for(current_app)


def _solver_slots_for(app) -> threading.BoundedSemaphore:
    """This process's solver places: every run takes SOLVER_WORKERS cores, and two events' runs at once on
    the web app's machine would leave it none."""
    with _slots_lock:
        return app.extensions.setdefault(
            "brokerage.solver_slots", threading.BoundedSemaphore(app.config.get("SOLVER_RUNS_AT_ONCE", 1)))


def _solve(run: ScheduleRun) -> None:
    run_id = run.id
    db.session.refresh(run)
    if run.status != "queued":  # cancelled while its place was being taken
        return
    run.status, run.started_at = "running", now_utc()
    run.progress = {"phase": "starting", "heartbeat": now_utc().isoformat()}
    db.session.commit()
    latest: dict = {}
    outcome: dict = {}
    stop = threading.Event()
    # The solver thread gets plain values: the ORM row belongs to this thread's session.
    instance = {k: v for k, v in run.instance.items() if k != "working_timetable"}
    hint, time_limit = run.instance.get("working_timetable"), run.time_limit
    workers = current_app.config.get("SOLVER_WORKERS", 2)

    def solve():
        try:
            outcome["solution"], outcome["problems"] = solver_bridge.run_solver(
                instance, time_limit=time_limit, workers=workers, hint=hint, on_progress=latest.update, stop=stop)
        except Exception as error:  # reported on the run page; the web app never sees it as a 500
            outcome["error"] = error

    solver_thread = threading.Thread(target=solve, name=f"solver-{run_id}", daemon=True)
    try:
        solver_thread.start()
        while solver_thread.is_alive():
            solver_thread.join(BEAT_SECONDS)
            db.session.refresh(run)
            if run.cancel_requested:
                stop.set()
            run.progress = {**latest, "phase": latest.get("phase", "solving"), "heartbeat": now_utc().isoformat()}
            db.session.commit()
        _record_outcome(run, outcome, cancelled=stop.is_set())
    except Exception as error:
        db.session.rollback()
        current_app.logger.exception("schedule run %s failed", run_id)
        run = db.session.get(ScheduleRun, run_id)
        _finish(run, "failed", error=f"The scheduling job failed: {error}")
    finally:
        # The solver must be done before its place goes to the next run (a database hiccup above ends the
        # heartbeat loop, not the solver).
        stop.set()
        if solver_thread.is_alive():
            solver_thread.join()


def _record_outcome(run: ScheduleRun, outcome: dict, cancelled: bool) -> None:
    if "error" in outcome:
        current_app.logger.error("solver error in run %s: %r", run.id, outcome["error"])
        _finish(run, "failed", error=f"The solver stopped with an error: {outcome['error']}")
        return
    solution = outcome["solution"]
    run.solution = solution
    if cancelled:
        _finish(run, "cancelled", error="Cancelled by an organiser.")
    elif outcome["problems"]:
        _finish(run, "failed", error="The solver's timetable broke a rule: " + "; ".join(outcome["problems"][:3]))
    elif solution["status"] == "INFEASIBLE":
        reasons = "; ".join(u["reason"] for u in solution["unscheduled"][:3])
        _finish(run, "failed", error=f"No valid timetable exists with the locked meetings: {reasons}")
    elif solution["status"] == "UNKNOWN":
        _finish(run, "failed", error="No valid timetable was found within the time limit; try a longer time limit.")
    else:
        _finish(run, "succeeded")


def _finish(run: ScheduleRun, status: str, error: str = "") -> None:
    run.status, run.error, run.finished_at = status, error, now_utc()
    run.progress = {**(run.progress or {}), "phase": status}
    db.session.commit()


def request_cancel(run: ScheduleRun) -> None:
    run.cancel_requested = True
    if run.status == "queued":
        # A thread or RQ job that has not started will see it and do nothing; RQ drops the waiting job.
        run.status = "cancelled"
        run.finished_at = now_utc()
        _cancel_rq_job(run)
    db.session.commit()


def _cancel_rq_job(run: ScheduleRun) -> None:
    from redis.exceptions import RedisError
    try:
        job = (_rq_job(run) or (None, None))[0]
        if job is not None:
            job.cancel()
    except (RedisError, ValueError):
        pass  # unreachable, or already ended: the job would find the run cancelled anyway


def _rq_job(run: ScheduleRun):
    """(the run's RQ job or None when Redis no longer has it, the connection); None without RQ.
    Raises RedisError when Redis cannot be reached."""
    url = current_app.config.get("REDIS_URL")
    if not url or not run.job_id:
        return None
    from redis import Redis
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    connection = Redis.from_url(url)
    try:
        return Job.fetch(run.job_id, connection=connection), connection
    except NoSuchJobError:
        return None, connection


def reap_stale_runs(event_id: int, now: datetime | None = None) -> int:
    """Mark failed the runs whose job is gone: no heartbeat for a while, or RQ lost the job."""
    now = now or now_utc()
    timeout = timedelta(seconds=current_app.config.get("SCHEDULE_HEARTBEAT_TIMEOUT", 30))
    reaped = 0
    for run in db.session.scalars(db.select(ScheduleRun).filter(ScheduleRun.event_id == event_id,
                                                                 ScheduleRun.status.in_(ACTIVE))):
        if run.status == "running":
            if now - _last_beat(run, run.started_at or run.created_at) > timeout:
                _finish(run, "failed", error=WORKER_LOST)
                reaped += 1
        elif not current_app.config.get("REDIS_URL") and now - _last_beat(run, run.created_at) > timeout:
            _finish(run, "failed", error=WORKER_LOST)  # its thread died with the web process before starting
            reaped += 1
        elif problem := _rq_queued_problem(run, now - run.created_at > timeout):
            _finish(run, "failed", error=problem)
            _cancel_rq_job(run)  # a worker started later must not pick it up
            reaped += 1
    return reaped


def _last_beat(run: ScheduleRun, otherwise: datetime) -> datetime:
    beat = (run.progress or {}).get("heartbeat")
    return datetime.fromisoformat(beat) if beat else otherwise


START_WORKER = ("start one with `rq worker --worker-ttl 60 scheduling` and the web app's whole environment "
                "(DATABASE_URL, REDIS_URL, SECRET_KEY, the MAIL_* settings, BASE_URL)")
NO_WORKER = f"No scheduling worker is running: {START_WORKER}, then start the run again."


def worker_missing() -> bool:
    """Whether background work would wait for nobody: RQ is in use and no worker listens on its queue
    (False when it cannot be told, or without RQ, where jobs run in the web process)."""
    if not current_app.config.get("REDIS_URL"):
        return False
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, Worker
    try:
        queue = Queue(current_app.config.get("SCHEDULING_QUEUE", "scheduling"),
                      connection=Redis.from_url(current_app.config["REDIS_URL"]))
        return not Worker.all(queue=queue)
    except (RedisError, ValueError):
        return False
JOB_DONE_ELSEWHERE = ("The scheduling worker ended the job without running it: does it use the web app's "
                      "DATABASE_URL?")


def _worker_error(job) -> str:
    """Why the job failed before it could start the run, in words for the organiser: the one cause we know
    (a worker on another database), else that the worker failed. Raw exception text stays in the worker's
    log: it may name hosts and users."""
    result = job.latest_result()
    if result is not None and OTHER_DATABASE in (result.exc_string or ""):
        return (f"The scheduling worker {OTHER_DATABASE}: start it with the web app's DATABASE_URL, then start "
                "the run again.")
    return WORKER_FAILED


def _rq_queued_problem(run: ScheduleRun, waited: bool) -> str | None:
    """Why a queued RQ run will never start (None while it may): its job is lost or ended, or,
    after a wait, no worker listens on the queue."""
    from redis.exceptions import RedisError
    try:
        found = _rq_job(run)
        if found is None:
            return None
        job, _ = found
        if job is None:
            return WORKER_LOST
        status = job.get_status()
        if status == "failed":
            return _worker_error(job)
        if status in ("stopped", "canceled"):
            return WORKER_LOST
        if status == "finished":
            return JOB_DONE_ELSEWHERE
        if waited and status == "queued" and worker_missing():
            return NO_WORKER
        return None
    except RedisError:
        return None  # cannot tell; the page says it is queued
