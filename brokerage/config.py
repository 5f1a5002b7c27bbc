"""Configuration from the environment; defaults give a working local app (SQLite, in-process jobs)."""
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

MAX_SOLVER_TIME_LIMIT = 600  # seconds; the runs form offers 1 to this
DEV_SECRET_KEY = "dev-only-change-me"
LOCAL_HOSTS = ["localhost", "127.0.0.1"]  # (Werkzeug cannot match an IPv6 literal such as [::1])


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it."""


def _number(name: str, default: str, kind, low: float, high: float):
    text = os.environ.get(name, default)
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a {'whole ' if kind is int else ''}number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={text!r} must be from {low:g} to {high:g}")
    return value


def _flag(name: str) -> bool:
    text = os.environ.get(name, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name}={os.environ[name]!r}: use true or false")


def from_environment(instance_path: str) -> dict:
    """The settings; a bad value stops the app with one line naming it (exit 2), not a traceback."""
    try:
        return _settings(instance_path)
    except ConfigError as error:
        print(f"brokerage: configuration: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _settings(instance_path: str) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'brokerage.sqlite'}"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": _database_url(database_url),
        "REDIS_URL": _redis_url(),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _number("MAIL_PORT", "25", int, 1, 65535),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Brokerage events <noreply@brokerage.localhost>"),
        "MAIL_OUTBOX": os.environ.get("MAIL_OUTBOX") or str(Path(instance_path) / "outbox"),
        "BASE_URL": _base_url(),  # None: links use the address each request came to
        # None: BASE_URL's host, or this machine's names only (see trusted_hosts)
        "TRUSTED_HOSTS": _trusted_hosts(),
        "SOLVER_TIME_LIMIT": _number("SOLVER_TIME_LIMIT", "30", float, 1, MAX_SOLVER_TIME_LIMIT),
        "SOLVER_WORKERS": _number("SOLVER_WORKERS", "2", int, 1, 256),
        # Proxies in front of the app that add X-Forwarded-For: the visitor's address is then that many
        # entries from its end (limits on logins and sign-ups count per address; 0 trusts no header).
        "PROXIES": _number("PROXIES", "0", int, 0, 5),
        "RATELIMIT_ENABLED": True,  # always, on the shared Limiter; REQUEST_LIMITS turns them off for one app
        "REQUEST_LIMITS": True,
        # A Redis outage must not lock everyone out: limits then count in the process.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Runs solving at once in one process (the web app's threads, or one RQ worker): the others wait, queued.
        "SOLVER_RUNS_AT_ONCE": _number("SOLVER_RUNS_AT_ONCE", "1", int, 1, 64),
        "WTF_CSRF_TIME_LIMIT": None,
        # Lax: a form on another site cannot post with the session; Secure once the site is served over HTTPS.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": (_base_url() or "").startswith("https://"),
        # Werkzeug's 500 kB default for a form's text fields is under the 1 MB CSV a participant import
        # takes (pasted, or sent back from its preview): the limit sits above it, the importer says why.
        "MAX_FORM_MEMORY_SIZE": 3_000_000,
        "MAX_CONTENT_LENGTH": 16_000_000,
    }


def _base_url() -> str | None:
    text = os.environ.get("BASE_URL") or None
    if text is not None:
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:  # also an unclosed [ of an IPv6 address
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"BASE_URL={text!r} must be the site's address, like https://events.example.org")
        if ":" in parts.hostname:  # Werkzeug's host check cannot match IPv6 literals
            raise ConfigError(f"BASE_URL={text!r}: use a host name, not an IPv6 address")
    return text


def _trusted_hosts() -> list[str] | None:
    names = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    if any(":" in name for name in names):
        raise ConfigError(f"TRUSTED_HOSTS={os.environ['TRUSTED_HOSTS']!r}: host names only, without ports "
                          "or IPv6 addresses")
    return names or None


def _database_url(text: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    url = sqlalchemy_url(text)
    try:
        make_url(url).get_dialect().import_dbapi()  # the driver too: a URL no installed driver serves
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError):
        raise ConfigError(f"DATABASE_URL={text!r}: use postgresql://user@host:5432/db or sqlite:///path") from None
    return url


def limits_storage(redis_url: str | None) -> str:
    """Where the request limits count: Redis when workers share one, else each process by itself."""
    if not redis_url:
        return "memory://"
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


def _redis_url() -> str | None:
    text = os.environ.get("REDIS_URL") or None
    if text is not None:
        try:
            scheme = urlsplit(text).scheme
        except ValueError:
            scheme = ""
        if scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(f"REDIS_URL={text!r}: use redis://host:6379/0")
    return text


def check_secret_key(config: dict) -> None:
    """The development key is public: sessions signed with it can be forged. Outside development
    (a real database or a public address) the app refuses to start without a key of its own."""
    if config.get("TESTING") or config.get("SECRET_KEY") not in (None, "", DEV_SECRET_KEY):
        return
    production = config.get("BASE_URL") or not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite")
    if production:
        raise ConfigError("SECRET_KEY is not set: give the app a long random key of its own "
                          "(python -c 'import secrets; print(secrets.token_hex(32))')")


def trusted_hosts(base_url: str | None) -> list[str]:
    """The Host headers the app answers to. Links in mails follow the request's host when BASE_URL is
    unset, so a forged Host would put an attacker's address in a password-reset mail: only this
    machine's own names are taken then, and BASE_URL's host besides once it is set."""
    return ([urlsplit(base_url).hostname] if base_url else []) + LOCAL_HOSTS


def sqlalchemy_url(database_url: str) -> str:
    """DATABASE_URL as usually written (postgres://, postgresql://) with the psycopg 3 driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix):]
    return database_url
