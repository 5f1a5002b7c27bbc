"""A forged Host header must not put an attacker's address into mailed links (password resets above all)."""
import pytest

from brokerage import create_app
from brokerage.config import from_environment


def _client(tmp_path, **config):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
                      "MAIL_OUTBOX": str(tmp_path / "outbox"), **config})
    return app.test_client()


def test_without_base_url_only_this_machine_is_served(tmp_path):
    client = _client(tmp_path, BASE_URL=None)
    assert client.get("/accounts/login", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/accounts/login", headers={"Host": "localhost"}).status_code == 200
    refused = client.get("/accounts/reset", headers={"Host": "attacker.example"})
    assert refused.status_code == 400
    assert "set BASE_URL" in refused.get_data(as_text=True)
    assert not (tmp_path / "outbox").exists()


def test_base_url_host_is_served_and_others_refused(tmp_path):
    client = _client(tmp_path, BASE_URL="https://events.example.org")
    assert client.get("/accounts/login", headers={"Host": "events.example.org"}).status_code == 200
    assert client.get("/accounts/login", headers={"Host": "evil.example.org"}).status_code == 400


def test_trusted_hosts_setting_replaces_the_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", "events.example.org, www.events.example.org")
    settings = from_environment(str(tmp_path))
    assert settings["TRUSTED_HOSTS"] == ["events.example.org", "www.events.example.org"]


@pytest.mark.parametrize("value", ["events.example.org", "ftp://events.example.org", "https://"])
def test_a_base_url_that_is_not_an_address_stops_the_app(tmp_path, monkeypatch, capsys, value):
    monkeypatch.setenv("BASE_URL", value)
    with pytest.raises(SystemExit) as stop:
        from_environment(str(tmp_path))
    assert stop.value.code == 2
    assert "BASE_URL" in capsys.readouterr().err


def test_pages_refuse_frames_and_the_session_cookie_stays_on_this_site(tmp_path, monkeypatch):
    """A page framed by another site could have its buttons (Publish, Leave the event) clicked unseen."""
    response = _client(tmp_path, BASE_URL=None).get("/accounts/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"] and "Secure" not in response.headers["Set-Cookie"]
    monkeypatch.setenv("BASE_URL", "https://events.example.org")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is True  # served over HTTPS: HTTPS only
