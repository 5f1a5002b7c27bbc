"""Configuration from the environment; defaults give a working local app (SQLite, in-process jobs)."""
import os
from pathlib import Path


def from_environment(instance_path: str) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'brokerage.sqlite'}"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-change-me"),
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "") in ("1", "true", "yes"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Brokerage events <noreply@brokerage.localhost>"),
        "MAIL_OUTBOX": os.environ.get("MAIL_OUTBOX") or str(Path(instance_path) / "outbox"),
        "BASE_URL": os.environ.get("BASE_URL") or None,  # None: links use the address each request came to
        "SOLVER_TIME_LIMIT": float(os.environ.get("SOLVER_TIME_LIMIT", "30")),
        "SOLVER_WORKERS": int(os.environ.get("SOLVER_WORKERS", "2")),
        "WTF_CSRF_TIME_LIMIT": None,
    }


def sqlalchemy_url(database_url: str) -> str:
    """DATABASE_URL as usually written (postgres://, postgresql://) with the psycopg 3 driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix):]
    return database_url
