"""Shared fixtures: an app on a freshly migrated database (SQLite by default, PostgreSQL when DATABASE_URL says so)."""
from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from brokerage import create_app
from brokerage.config import sqlalchemy_url
from brokerage.extensions import db
from tests.support import Auth

POSTGRES_URL = sqlalchemy_url(os.environ.get("DATABASE_URL", ""))


def _config(url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_SERVER": None,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "REDIS_URL": None,
        "SOLVER_TIME_LIMIT": 10.0,
        "BASE_URL": "http://localhost",
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Run the real migrations once per session; tests then start from that schema."""
    if POSTGRES_URL:
        app = create_app(_config(POSTGRES_URL, tmp_path_factory.mktemp("pg")))
        with app.app_context():
            url = app.config["SQLALCHEMY_DATABASE_URI"]
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade()
            db.engine.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    app = create_app(_config(f"sqlite:///{path}", tmp_path_factory.mktemp("tpl")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def app(migrated_database, tmp_path, request):
    config = _config(migrated_database, tmp_path)
    if not POSTGRES_URL:
        database = tmp_path / "test.sqlite"
        shutil.copy(migrated_database, database)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    # The limits per client address are off: the suite logs in hundreds of times from one address.
    config["REQUEST_LIMITS"] = request.node.get_closest_marker("rate_limits") is not None
    app = create_app(config)
    yield app
    # Publish mails and runs go on in threads: they finish before the database is emptied under them.
    from brokerage.scheduling.jobs import wait_for_threads
    wait_for_threads(app)
    with app.app_context():
        db.session.remove()
        if POSTGRES_URL:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    """The .eml files the app wrote, parsed, oldest first."""
    from email import policy
    from email.parser import BytesParser
    from pathlib import Path

    folder = Path(app.config["MAIL_OUTBOX"])

    def read():
        settled(app)  # publishing mails in the background: read once it is done
        if not folder.exists():
            return []
        return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]

    return read


def settled(app, timeout: float = 30.0) -> None:
    """Wait until no publish notice or announcement is waiting to be mailed (the background jobs have finished)."""
    import time

    from brokerage.organiser.announcements import AnnouncementMail
    from brokerage.scheduling.models import PublishNotice
    deadline = time.monotonic() + timeout
    with app.app_context():
        while any(db.session.scalar(db.select(db.func.count(table.id)).where(table.status.in_(("pending", "sending"))))
                  for table in (PublishNotice, AnnouncementMail)):
            if time.monotonic() > deadline:
                raise AssertionError("publish mails still waiting after 30 s")
            db.session.rollback()  # see the job's commits
            time.sleep(0.02)


@pytest.fixture
def auth(client):
    return Auth(client)


UTC = timezone.utc


@pytest.fixture
def make_event(app):
    """An event with windows and slots, built directly (the organiser console has its own tests).

    Default: Tue 2027-03-16, the week the US is on summer time and Europe not yet.
    """
    from brokerage.accounts.models import User
    from brokerage.events.models import Event, EventOrganiser, MeetingWindow
    from brokerage.events.slots import rebuild_slots
    from brokerage.timeutil import now_utc

    def make(slug="march-2027", organiser_email="organiser@een.example", windows=None, **fields):
        with app.app_context():
            organiser = db.session.scalar(db.select(User).filter_by(email=organiser_email))
            if organiser is None:
                organiser = User(email=organiser_email, name="Olga Organiser", may_create_events=True)
                organiser.set_password("correct horse")
                db.session.add(organiser)
                db.session.flush()
            event = Event(slug=slug, name=fields.pop("name", "EU-Japan-Korea-US tech brokerage"),
                          timezone=fields.pop("timezone", "Europe/Brussels"),
                          start_date=fields.pop("start_date", date(2027, 3, 16)),
                          end_date=fields.pop("end_date", date(2027, 3, 16)),
                          created_by_id=organiser.id, opened_at=fields.pop("opened_at", now_utc()), **fields)
            db.session.add(event)
            db.session.add(EventOrganiser(event=event, user_id=organiser.id, role="organiser"))
            for label, start, end in windows or [
                ("Asia-Europe", datetime(2027, 3, 16, 7, 0, tzinfo=UTC), datetime(2027, 3, 16, 10, 0, tzinfo=UTC)),
                ("Europe-Americas", datetime(2027, 3, 16, 14, 0, tzinfo=UTC), datetime(2027, 3, 16, 17, 0, tzinfo=UTC)),
            ]:
                event.windows.append(MeetingWindow(label=label, start=start, end=end))
            db.session.flush()
            rebuild_slots(event)
            db.session.commit()
            return event.id

    return make
