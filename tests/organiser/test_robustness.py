"""Console input that must be refused politely, and mail servers that fail after a change was saved."""
from __future__ import annotations

import socket

import pytest

from brokerage.extensions import db

SLUG = "eu-asia-us-2027"
NOTICE = "Remove the invisible control characters from this text."


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connecting is refused


@pytest.mark.parametrize("path, data", [
    ("team", {"email": "yuki@jetro.example", "organisation": "JETRO\x00", "role": "co_organiser"}),
    ("team", {"email": "yuki@jetro.example", "name": "Yuki\x00", "organisation": "JETRO", "role": "co_organiser"}),
    ("windows", {"label": "Asia\x00", "clock": "UTC", "day": "2027-03-16", "start": "07:00", "end": "08:00"}),
    ("settings", {"name": "Brokerage", "description": "a\x00b", "timezone": "Europe/Brussels",
                  "start_date": "2027-03-16", "end_date": "2027-03-17", "slot_minutes": "20", "pause_minutes": "5",
                  "request_mode": "approval", "video_mode": "template",
                  "video_link_template": "https://meet.jit.si/{event}-{meeting}"}),
])
def test_nul_characters_are_refused_with_a_message(app, console, path, data):
    # PostgreSQL refuses NUL in text: the forms must say so instead of failing when saving.
    response = console.post(path, data)
    assert response.status_code in (200, 400)
    assert NOTICE in response.get_data(as_text=True)
    from brokerage.events.models import Event, EventOrganiser
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug=SLUG))
        assert not event.windows and event.description == ""
        assert db.session.scalar(db.select(db.func.count(EventOrganiser.id))) == 1


def test_nul_in_organiser_notes_is_refused_and_the_text_kept(app, console, add_participant):
    kenji = add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics")
    response = console.post(f"participants/{kenji}", {"support_office": "JETRO", "organiser_notes": "kept\x00 text"})
    page = response.get_data(as_text=True)
    assert NOTICE in page and "kept" in page
    from brokerage.events.models import Participant
    with app.app_context():
        assert db.session.get(Participant, kenji).organiser_notes == ""


@pytest.mark.parametrize("back", ["/organise/x\r\nSet-Cookie: a=b", "/organise/../..\\evil.example", "//evil.example"])
def test_status_change_does_not_follow_a_forged_back_address(app, console, add_participant, back):
    kenji = add_participant("kenji@osaka-robotics.example")
    response = console.post(f"participants/{kenji}/status", {"status": "approved", "back": back},
                            form_path="participants")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organise/{SLUG}/participants"
    assert "Set-Cookie: a=b" not in str(response.headers)


def test_mail_server_down_keeps_the_decision_and_says_so(app, console, client, add_participant):
    kenji = add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port())
    response = console.post(f"participants/{kenji}/status", {"status": "approved"}, form_path="participants",
                            follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "could not e-mail kenji@osaka-robotics.example" in page and "Osaka Robotics is approved." in page
    from brokerage.events.models import Participant
    with app.app_context():
        assert db.session.get(Participant, kenji).status == "approved"


def test_mail_server_down_during_import_registers_every_row(app, console):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port())
    text = ("email,organisation,country,organisation_type,timezone\n"
            "a@osaka.example,Osaka A,JP,sme,Asia/Tokyo\nb@seoul.example,Seoul B,KR,sme,Asia/Seoul\n")
    response = console.post("import/confirm", {"csv_text": text}, form_path="import", follow_redirects=True)
    assert response.status_code == 200
    assert "Imported 2 participant(s)" in response.get_data(as_text=True)
