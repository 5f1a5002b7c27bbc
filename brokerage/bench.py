"""Web app at scale: `python -m brokerage.bench` times the pages and actions that grow with an event.

It loads a generated event (solver.generate: European, US, Japanese and Korean participants with
their local business hours and skewed popularity) into a scratch database, schedules it with the
real solver, and drives the app through its test client: every figure is one real request, with its
SQL statement count and response size. Figures go to docs/benchmarks.md with --markdown.

    python -m brokerage.bench --participants 2000 [--database postgresql://...] [--markdown docs/benchmarks.md]

--database must name an empty database (its tables are created, then dropped); without it the bench
uses a temporary SQLite file.
"""
from __future__ import annotations

import os
import platform
import random
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

SECTION = "## Web app at scale"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def load_event(instance: dict, password_hash: str):
    """The generated event as database rows: one window per session, the app's own slots, accepted requests."""
    from brokerage.accounts.models import User
    from brokerage.demo import SECTOR_BLOCKS
    from brokerage.events.models import Availability, Event, EventOrganiser, MeetingWindow, Opportunity, Participant
    from brokerage.events.slots import rebuild_slots
    from brokerage.extensions import db
    from brokerage.meetings.models import Meeting, MeetingRequest
    from brokerage.timeutil import now_utc

    slots = instance["slots"]
    days = sorted({_utc(s["start"]).date() for s in slots})
    organiser = User(email="organiser@bench.example", name="Bench Organiser", password_hash=password_hash)
    db.session.add(organiser)
    db.session.flush()
    event = Event(slug="bench", name=instance["name"], timezone="Europe/Brussels", start_date=days[0],
                  end_date=days[-1] + timedelta(days=1), slot_minutes=20, pause_minutes=5, room_capacity=None,
                  created_by_id=organiser.id, opened_at=now_utc())
    event.organisers = [EventOrganiser(user_id=organiser.id, role="organiser")]
    sessions: dict[str, list[dict]] = {}
    for slot in slots:
        sessions.setdefault(slot["session"], []).append(slot)
    for name, members in sessions.items():
        event.windows.append(MeetingWindow(label=name, start=_utc(members[0]["start"]),
                                           end=_utc(members[-1]["end"])))
    db.session.add(event)
    db.session.flush()
    rebuild_slots(event)
    slot_id = {s["id"]: next(x.id for x in event.slots if x.start == _utc(s["start"])) for s in slots}

    users = [User(email=f"{p['id']}@bench.example", name=p.get("name") or p["id"], password_hash=password_hash)
             for p in instance["participants"]]
    db.session.add_all(users)
    db.session.flush()
    people = {}
    rng = random.Random(len(users))  # profiles as varied as the demo's, so matching has real text to weigh
    for p, user in zip(instance["participants"], users):
        sectors = rng.sample(list(SECTOR_BLOCKS), rng.choice([1, 2]))
        _, field, offers, needs = SECTOR_BLOCKS[sectors[0]]
        people[p["id"]] = Participant(
            event_id=event.id, user_id=user.id, status="approved", organisation=f"{p['id']} Ltd", country="BE",
            organisation_type="sme", timezone=p["timezone"], sectors=",".join(sectors),
            description=f"Generated for the benchmark. Core technologies: {', '.join(rng.sample(offers, 2))}.",
            opportunities=[Opportunity(kind=kind, title=rng.choice(texts), keywords=field.lower(),
                                       description=f"{rng.choice(texts)} in {field.lower()}.")
                           for kind, texts in rng.sample([("tech_offer", offers), ("tech_request", needs),
                                                          ("rnd", offers), ("partnership", offers)],
                                                         rng.choice([1, 2, 3]))])
    db.session.add_all(people.values())
    db.session.flush()
    db.session.execute(sa.insert(Availability), [
        {"participant_id": people[p["id"]].id, "slot_id": slot_id[s]}
        for p in instance["participants"] for s in p.get("available", [])])
    requests = [MeetingRequest(event_id=event.id, requester_id=people[m["participants"][0]].id,
                               recipient_id=people[m["participants"][1]].id, status="accepted",
                               weight=m.get("weight", 1)) for m in instance["meetings"]]
    db.session.add_all(requests)
    db.session.flush()
    db.session.add_all(Meeting(event_id=event.id, request_id=r.id) for r in requests)
    db.session.commit()
    return event


class Counter:
    """SQL statements sent while it is on."""

    def __init__(self, engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


@contextmanager
def measured(rows: list, counter: Counter, what: str):
    start, before = time.perf_counter(), counter.count
    box = {}
    yield box
    rows.append((what, time.perf_counter() - start, counter.count - before, box.get("bytes"), box.get("note", "")))


def run(participants: int, database: str | None, seed: int, time_limit: float) -> tuple[list, dict]:
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from brokerage import create_app
    from brokerage.events.models import Event
    from brokerage.extensions import db
    from brokerage.meetings.models import Meeting
    from brokerage.scheduling import jobs
    from brokerage.scheduling.models import PublishNotice
    from solver.generate import generate_event

    scratch = tempfile.mkdtemp(prefix="brokerage-bench-")
    url = database or f"sqlite:///{scratch}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "MAIL_SERVER": None, "MAIL_OUTBOX": f"{scratch}/outbox", "REDIS_URL": None,
                      "BASE_URL": "http://localhost", "SOLVER_TIME_LIMIT": time_limit})
    rows: list = []
    # Requests run outside any app context, as in production: each gets its own (and its own `g`).
    with app.app_context():
        engine = db.engine
        if sa.inspect(engine).get_table_names():
            raise SystemExit(f"bench: {url}: the database is not empty; give an empty one")
        upgrade()
    try:
        instance = generate_event(participants, seed=seed)
        with app.app_context():
            started = time.perf_counter()
            event = load_event(instance, generate_password_hash("bench-password"))
            event_id, slug, organiser_id = event.id, event.slug, event.created_by_id
            if engine.dialect.name == "postgresql":
                # A live event grows over weeks and autovacuum keeps the planner's statistics; loaded in
                # one go, the tables have none yet and joins get nested-loop plans 200 times slower.
                db.session.commit()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(sa.text("ANALYZE"))
            facts = {"participants": participants, "meetings": len(instance["meetings"]),
                     "slots": len(event.slots), "load s": time.perf_counter() - started,
                     "database": engine.dialect.name}
        counter = Counter(engine)
        client, token = _login(app, "organiser@bench.example")

        def get(path: str, what: str, who=client) -> None:
            with measured(rows, counter, what) as box:
                response = who.get(path)
                box["bytes"] = len(response.data)
            if response.status_code != 200:
                raise SystemExit(f"bench: GET {path} answered {response.status_code}")

        def post(path: str, what: str, data: dict | None = None, expect: int = 302) -> None:
            with measured(rows, counter, what):
                response = client.post(path, data={"csrf_token": token, **(data or {})})
            if response.status_code != expect:
                raise SystemExit(f"bench: POST {path} answered {response.status_code}")

        get(f"/organise/{slug}/", "organiser dashboard")
        with app.app_context(), measured(rows, counter, "start a run (snapshot of the event)"):
            run_id = jobs.create_run(db.session.get(Event, event_id), organiser_id, time_limit).id
        with app.app_context():
            started = time.perf_counter()
            jobs.execute_run(run_id)  # the solver itself is measured by `python -m solver bench`
            facts["solver s"] = time.perf_counter() - started
        post(f"/organise/{slug}/runs/{run_id}/apply", "apply the run's timetable")
        with app.app_context():
            facts["scheduled"] = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(
                Meeting.event_id == event_id, Meeting.slot_id.is_not(None)))
        get(f"/organise/{slug}/timetable", "timetable review")
        get(f"/organise/{slug}/timetable/publish", "publish: who is mailed, and one mail")
        post(f"/organise/{slug}/timetable/publish", "publish (the request)")
        with measured(rows, counter, "publish: mails written and sent in the background") as box:
            with app.app_context():
                while db.session.scalar(sa.select(sa.func.count(PublishNotice.id)).where(
                        PublishNotice.status.in_(("pending", "sending")))):
                    db.session.rollback()
                    time.sleep(0.05)
            box["note"] = f"{len(os.listdir(f'{scratch}/outbox'))} mails"
        get(f"/organise/{slug}/", "organiser dashboard, published")
        get(f"/organise/{slug}/participants", "participant list")
        post(f"/organise/{slug}/mail", "mail to all approved: the preview",
             {"audience": "approved", "subject": "Agendas", "body": "Your agenda is ready.", "preview": "1"}, expect=200)
        get(f"/organise/{slug}/export/meetings.csv", "meetings CSV export")
        get(f"/organise/{slug}/impact", "impact report")
        person, _ = _login(app, f"{_busiest(instance)}@bench.example")
        get(f"/events/{slug}/marketplace", "marketplace with suggested partners", person)
        get(f"/events/{slug}/marketplace?q=Ltd", "marketplace search", person)
        get(f"/events/{slug}/agenda", "agenda of the busiest participant", person)
        get(f"/events/{slug}/requests", "meeting requests of the busiest participant", person)
        get(f"/events/{slug}/availability", "availability grid", person)
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            with engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            engine.dispose()
    return rows, facts


def _login(app, email: str):
    """A logged-in test client and its session's CSRF token (the app's forms stay protected)."""
    client = app.test_client()
    token = CSRF.search(client.get("/accounts/login").get_data(as_text=True)).group(1)
    response = client.post("/accounts/login", data={"csrf_token": token, "email": email,
                                                      "password": "bench-password"})
    if response.status_code != 302:
        raise SystemExit(f"bench: cannot log in as {email}")
    # Every page a user is logged in to carries the logout form, with the session's token.
    return client, CSRF.search(client.get("/").get_data(as_text=True)).group(1)


def _busiest(instance: dict) -> str:
    counts: dict[str, int] = {}
    for m in instance["meetings"]:
        for p in m["participants"]:
            counts[p] = counts.get(p, 0) + 1
    return max(counts, key=lambda p: (counts[p], p))


def table(rows: list) -> str:
    lines = ["| what | seconds | SQL statements | response KB | |", "| --- | ---: | ---: | ---: | --- |"]
    for what, seconds, statements, size, note in rows:
        kb = f"{size / 1024:,.0f}" if size is not None else ""
        lines.append(f"| {what} | {seconds:.2f} | {statements} | {kb} | {note} |")
    return "\n".join(lines)


def section(runs: list[tuple[list, dict]], command: str, speed: float) -> str:
    parts = [SECTION, "", f"Produced on {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by:", "", "```",
             command, "```", "",
             f"Python {platform.python_version()}, {os.cpu_count()} logical cores; host speed check "
             f"{speed:.2f} s (the solver benchmark's: lower is faster; shared hosts vary twofold from day to "
             "day, so compare runs by it). Each row is one request "
             "through the app's test client (no network), with the SQL statements it sent. Mail goes to "
             ".eml files, so publishing measures building the mails and invites, not an SMTP server.", ""]
    for rows, facts in runs:
        parts += [f"### {facts['participants']:,} participants, {facts['meetings']:,} accepted requests, "
                  f"{facts['slots']} slots ({facts['database']})", "",
                  f"Loaded in {facts['load s']:.1f} s; solver run {facts['solver s']:.1f} s; "
                  f"{facts['scheduled']:,} meetings scheduled.", "", table(rows), ""]
    return "\n".join(parts)


def write_markdown(path: Path, text: str) -> None:
    """Replace this bench's section of the file, keeping the solver's."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    head, _, tail = old.partition(SECTION)
    rest = tail[tail.find("\n## "):] if "\n## " in tail else ""
    path.write_text(head.rstrip() + "\n\n" + text.rstrip() + "\n" + rest, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from solver.generate import ArgumentError, Parser  # one line on bad arguments, as the solver's commands
    parser = Parser(prog="python -m brokerage.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=20.0, help="solver seconds per run")
    parser.add_argument("--markdown", type=Path, help="write the tables into this file's web section")
    from brokerage.config import sqlalchemy_url
    from solver.bench import TITLE, markdown_target_problem, speed_check
    try:
        args = parser.parse_args(argv)
        if args.markdown and (problem := markdown_target_problem(args.markdown, (TITLE, SECTION))):
            parser.error(f"--markdown: {problem}")  # said before a long run
    except ArgumentError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    database = sqlalchemy_url(args.database) if args.database else None
    speed = speed_check()
    runs = []
    for n in args.participants:
        try:
            rows, facts = run(n, database, args.seed, args.time_limit)
        except ValueError as error:  # the generator's own message: sizes it cannot build
            print(f"bench: {error}", file=sys.stderr)
            return 2
        print(f"{n} participants, {facts['meetings']} requests, {facts['database']}")
        print(table(rows), flush=True)
        runs.append((rows, facts))
    if args.markdown:
        shown = " ".join(["python -m brokerage.bench", *(argv if argv is not None else sys.argv[1:])])
        write_markdown(args.markdown, section(runs, shown, speed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
