"""Settings an operator can get wrong: one line naming the setting, exit 2, never a traceback or a
silently insecure default."""
import pytest

from brokerage import create_app
from brokerage.config import from_environment


@pytest.mark.parametrize("name, value", [
    ("DATABASE_URL", "nonsense"),
    ("DATABASE_URL", "mysql://root@127.0.0.1/brokerage"),  # no driver installed for it
    ("REDIS_URL", "127.0.0.1:6379/7"),  # the scheme forgotten: runs stayed queued for ever
    ("BASE_URL", "https://events.example.org:8443x"),  # a port that is no number: publishing gave a 500
])
def test_a_setting_that_cannot_work_stops_with_one_line(tmp_path, monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stop:
        from_environment(str(tmp_path))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and name in err


@pytest.mark.parametrize("env", [
    {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/brokerage"},
    {"BASE_URL": "https://events.example.org", "SECRET_KEY": ""},
])
def test_production_without_a_secret_key_does_not_start(tmp_path, monkeypatch, capsys, env):
    """The development key is public: a session cookie forged with it opened the organiser console."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stop:
        create_app({"MAIL_OUTBOX": str(tmp_path)})
    assert stop.value.code == 2
    assert "SECRET_KEY is not set" in capsys.readouterr().err


def test_development_on_sqlite_needs_no_key(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dev.sqlite"})
    assert app.config["SECRET_KEY"]
    monkeypatch.setenv("SECRET_KEY", "a-real-key")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/brokerage")
    assert create_app().config["SECRET_KEY"] == "a-real-key"


@pytest.mark.parametrize("name, value", [
    ("BASE_URL", "https://[2001:db8::1"),  # an unclosed [ : a traceback before
    ("BASE_URL", "https://[2001:db8::10]:8443"),  # served nowhere: Werkzeug cannot match IPv6 hosts
    ("REDIS_URL", "redis://[::1:6379/0"),
    ("TRUSTED_HOSTS", "events.example.org:443"),
])
def test_addresses_the_app_could_never_answer_on_stop_it(tmp_path, monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stop:
        from_environment(str(tmp_path))
    assert stop.value.code == 2 and name in capsys.readouterr().err
