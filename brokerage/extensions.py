"""Flask extensions, created once and bound to the app in create_app()."""
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
import sqlite3

from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
# Per client address (behind a proxy, PROXIES makes that the visitor's, not the proxy's): see accounts/views.py.
limiter = Limiter(get_remote_address)


@limiter.request_filter
def _limits_off() -> bool:
    # On or off per app (REQUEST_LIMITS): RATELIMIT_ENABLED would stick to the shared Limiter from app to app.
    return not current_app.config.get("REQUEST_LIMITS", True)
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message_category = "info"
# Said to someone who followed a link to a page for members (an event's Register button): they may be new.
login_manager.login_message = "Log in to go on. New here? Create an account with the link below the form."


def _lower(text):
    return text.lower() if isinstance(text, str) else text


@event.listens_for(Engine, "connect")
def _sqlite_unicode_lower(dbapi_connection, _record):
    # SQLite's lower() folds only ASCII, so a search for 'übersee' missed 'Übersee' (PostgreSQL folds all letters).
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
