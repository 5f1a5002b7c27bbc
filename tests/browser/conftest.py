"""End-to-end harness: the real app on a live werkzeug server, driven by Debian's headless Chromium.

Fixtures
- live_app / live_server: a fresh migrated SQLite database, CSRF on, mail to an outbox folder,
  served on 127.0.0.1:<free port> in a daemon thread (threaded) for one test.
- browser (session): headless Chromium through Playwright's sync API.
- new_page(tz): a page in its own browser context (own cookies) whose clock is in `tz`.
- mails(): the outbox, parsed with email.parser, oldest first.
- db_do(fn): run fn() inside the live app's app context (direct set-up / checks).

The browser tests run on SQLite only (CI runs them once); they skip cleanly without /usr/bin/chromium.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from tests.conftest import settled


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]



def _skip_reason() -> str | None:
    if os.environ.get("DATABASE_URL"):
        return "browser tests run on SQLite only (DATABASE_URL is set)"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


@pytest.fixture(autouse=True)
def _browser_prerequisites():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app, host: str, port: int):
        from werkzeug.serving import make_server

        self.app = app
        self.url = f"http://{host}:{port}"
        self._server = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_app(migrated_database, tmp_path):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("browser tests run on SQLite only")
    from brokerage import create_app
    from brokerage.extensions import db

    database = tmp_path / "live.sqlite"
    shutil.copy(migrated_database, database)
    port = _free_port()
    app = create_app({
        "TESTING": False,  # real error handling, like production
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "WTF_CSRF_ENABLED": True,
        "MAIL_SERVER": None,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "REDIS_URL": None,
        "SOLVER_TIME_LIMIT": 5.0,
        "SOLVER_WORKERS": 1,
        "BASE_URL": f"http://127.0.0.1:{port}",
    })
    app.config["LIVE_PORT"] = port
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = LiveServer(live_app, "127.0.0.1", live_app.config["LIVE_PORT"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def db_do(live_app):
    """Run a function inside the live app's context and commit; for set-up and DB checks."""
    from brokerage.extensions import db

    def run(fn):
        with live_app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            finally:
                db.session.remove()

    return run


@pytest.fixture
def mails(live_app):
    folder = Path(live_app.config["MAIL_OUTBOX"])

    def read():
        settled(live_app)  # publishing mails in the background: read once it is done
        if not folder.exists():
            return []
        return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]

    return read


@pytest.fixture(scope="session")
def playwright_instance():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser, live_server, request, tmp_path):
    """new_page("Asia/Tokyo") -> a Page in a fresh context (its own login) with the browser clock in that zone."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    contexts = []

    def make(timezone_id: str = "Europe/Paris", locale: str = "en-GB"):
        context = browser.new_context(timezone_id=timezone_id, locale=locale, base_url=live_server.url,
                                      accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        return page

    page_errors: list[str] = []
    make.page_errors = page_errors
    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, context in enumerate(contexts):
        if failed:
            for j, page in enumerate(context.pages):
                try:
                    shot = tmp_path / f"failure-{request.node.name}-{i}-{j}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    print(f"screenshot: {shot} ({page.url})")
                except Exception:  # noqa: BLE001 - best effort only
                    pass
        context.close()
