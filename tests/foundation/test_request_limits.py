"""Limits per client address on what guessing or mass mailing would use: failed logins, sign-ups, resets."""
from __future__ import annotations

import uuid

import pytest
import redis

from tests.support import Auth, csrf_token

WRONG = {"email": "olga@een.example", "password": "not her password"}


pytestmark = pytest.mark.rate_limits


def _login(client, data, address="198.51.100.7", **headers):
    return client.post("/accounts/login", data={"csrf_token": csrf_token(client, "/accounts/login"), **data},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_ten_failed_logins_a_minute_from_one_address_then_the_form_says_wait(client, auth):
    auth.signup("olga@een.example", name="Olga")
    client.post("/accounts/logout", data={"csrf_token": csrf_token(client, "/")})
    for _ in range(10):
        assert _login(client, WRONG).status_code == 200
    refused = _login(client, {**WRONG, "password": "correct horse"})  # even the right one waits now
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many failed logins from your network" in page and "Try again in about 1 minute." in page
    assert 'value="olga@een.example"' in page and 'id="email-error"' not in page  # the address is not wrong
    assert "correct horse" not in page  # the password is never shown again
    # Someone else, at another address, is not held up.
    assert _login(client, {**WRONG, "password": "correct horse"}, address="203.0.113.9").status_code == 302


def test_the_hourly_limit_says_how_long_to_wait(client, auth, monkeypatch):
    """60 failures spread over minutes reach the hourly limit: the wait named is the hour's, not a minute."""
    import time
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    auth.signup("olga@een.example", name="Olga")
    client.post("/accounts/logout", data={"csrf_token": csrf_token(client, "/")})
    for n in range(60):
        assert _login(client, WRONG).status_code == 200, n
        clock[0] += 8  # 7.5 failures a minute: under the minute's limit
    clock[0] += 60
    refused = _login(client, {**WRONG, "password": "correct horse"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 600
    assert "Try again in about 1 minute." not in refused.get_data(as_text=True)
    assert "minutes." in refused.get_data(as_text=True)


def test_logins_sent_at_once_are_capped_too(app):
    """Failed logins are counted after their answer, so a burst sent at once passes that check; every login is
    counted before it, which caps the burst at 30 password checks."""
    import threading
    clients = [app.test_client() for _ in range(40)]
    tokens = [csrf_token(c, "/accounts/login") for c in clients]
    start, answers = threading.Barrier(len(clients)), []

    def attempt(client, token):
        start.wait()
        answers.append(client.post("/accounts/login", data={"csrf_token": token, "email": "x@example.com",
                                                            "password": "x"},
                                   environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code)
    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(200) <= 30 and answers.count(429) >= 10


def test_logins_that_succeed_do_not_count(app):
    Auth(app.test_client()).signup("olga@een.example", name="Olga")
    for _ in range(15):
        client = app.test_client()
        assert _login(client, {**WRONG, "password": "correct horse"}).status_code == 302


def test_behind_a_proxy_each_visitor_counts_apart(client, auth):
    """PROXIES=1: the address the proxy saw, not the proxy's own, which every visitor shares."""
    from werkzeug.middleware.proxy_fix import ProxyFix
    client.application.wsgi_app = ProxyFix(client.application.wsgi_app, x_for=1)
    auth.signup("olga@een.example", name="Olga")
    client.post("/accounts/logout", data={"csrf_token": csrf_token(client, "/")})
    for _ in range(10):
        _login(client, WRONG, address="10.0.0.2", **{"X-Forwarded-For": "192.0.2.1"})
    assert _login(client, WRONG, address="10.0.0.2", **{"X-Forwarded-For": "192.0.2.1"}).status_code == 429
    assert _login(client, {**WRONG, "password": "correct horse"}, address="10.0.0.2",
                  **{"X-Forwarded-For": "192.0.2.2"}).status_code == 302


def test_twenty_sign_up_mails_an_hour_from_one_address_and_what_was_typed_stays(client):
    def sign_up(n):
        return client.post("/accounts/signup", data={"csrf_token": csrf_token(client, "/accounts/signup"),
                                                     "name": f"Person {n}", "email": f"p{n}@example.com"},
                           environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert all(sign_up(n).status_code == 302 for n in range(20))
    refused = sign_up(20)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Many sign-ups came from your network" in page
    assert 'value="p20@example.com"' in page and 'value="Person 20"' in page
    reset = client.post("/accounts/reset", data={"csrf_token": csrf_token(client, "/accounts/reset"),
                                                 "email": "p1@example.com"}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert reset.status_code == 302  # resets count apart


@pytest.mark.redis
def test_with_redis_the_count_is_shared_by_every_worker_and_survives_a_restart(tmp_path, migrated_database):
    """Production: REDIS_URL set, several gunicorn workers; a new app (another worker) sees the same count."""
    import shutil
    from brokerage import create_app
    from tests.conftest import POSTGRES_URL
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"brokerage-test-{uuid.uuid4().hex}"
    url = migrated_database
    if not POSTGRES_URL:
        shutil.copy(migrated_database, tmp_path / "limits.sqlite")
        url = f"sqlite:///{tmp_path / 'limits.sqlite'}"

    def worker():
        return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                           "MAIL_OUTBOX": str(tmp_path / "outbox"), "BASE_URL": "http://localhost",
                           "REDIS_URL": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": prefix})
    try:
        first = worker()
        assert first.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
        for _ in range(10):
            assert _login(first.test_client(), WRONG).status_code == 200
        assert redis.Redis.from_url("redis://127.0.0.1:6379/0").keys(f"*{prefix}*")
        second = worker()
        assert _login(second.test_client(), WRONG).status_code == 429
    finally:
        connection = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in connection.keys(f"*{prefix}*"):
            connection.delete(key)
