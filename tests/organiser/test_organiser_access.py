"""Every organiser console route, GET and POST, is closed to participants, strangers and other events' organisers."""
from __future__ import annotations

import pytest

from brokerage.extensions import db

SLUG = "march-2027"
# Routes any logged-in user may use: their own list of events and creating a new one.
OPEN_TO_USERS = {"organiser.index", "organiser.new_event"}
CO_ORGANISER_OK = {"organiser.participants", "organiser.participant", "organiser.set_status", "organiser.approve_pending",
                   "organiser.mail_suggestions", "organiser.arrange_meeting", "organiser.record_outcome",
                   "organiser.import_csv",
                   "organiser.import_confirm", "organiser.mail_participants", "organiser.retry_announcement"}


@pytest.fixture
def world(app, make_event, add_participant):
    from brokerage.accounts.models import User
    from brokerage.events.models import EventOrganiser, MeetingWindow

    event_id = make_event(slug=SLUG)
    make_event(slug="other-2027", organiser_email="other@een.example")
    participant_id = add_participant("kenji@osaka-robotics.example", slug=SLUG, status="approved")
    with app.app_context():
        stranger = User(email="stranger@example.com", name="Stranger")
        co = User(email="co@jetro.example", name="Co")
        for user in (stranger, co):
            user.set_password("correct horse")
            db.session.add(user)
        db.session.flush()
        link = EventOrganiser(event_id=event_id, user_id=co.id, role="co_organiser", organisation="JETRO")
        db.session.add(link)
        db.session.commit()
        window_id = db.session.scalar(db.select(MeetingWindow.id).filter_by(event_id=event_id))
        return {"slug": SLUG, "participant_id": participant_id, "window_id": window_id, "organiser_id": link.id,
                "what": "meetings", "meeting_id": 1, "announcement_id": 1}  # refused before anything is looked up


def _urls(app, world):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("organiser.") and rule.endpoint not in OPEN_TO_USERS:
            path = rule.rule
            for name, value in world.items():
                path = path.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
            assert "<" not in path, f"test does not know a parameter of {rule.rule}"
            yield rule.endpoint, path, rule.methods


def _snapshot(app):
    from brokerage.events.models import Event, EventOrganiser, MeetingWindow, Participant, Slot
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug=SLUG))
        return (event.name, event.slot_minutes, db.session.scalar(db.select(db.func.count(MeetingWindow.id))),
                db.session.scalar(db.select(db.func.count(Slot.id))),
                sorted(db.session.execute(db.select(Participant.id, Participant.status, Participant.organiser_notes)).all()),
                db.session.scalar(db.select(db.func.count(EventOrganiser.id))))


FORM = {"status": "rejected", "name": "Hijacked", "label": "X", "clock": "UTC", "day": "2027-03-16", "start": "01:00", "end": "02:00",
        "preset": "all", "email": "evil@example.com", "organisation": "Evil", "role": "organiser",
        "organiser_notes": "pwned", "csv_text": "email,organisation,country,organisation_type\nevil@example.com,E,DE,sme\n",
        "slot_minutes": "30", "pause_minutes": "0", "timezone": "UTC", "start_date": "2027-03-16", "end_date": "2027-03-16",
        "audience": "approved", "subject": "Hijacked", "body": "pwned", "send": "1", "expected": "1"}


@pytest.mark.parametrize("who", ["kenji@osaka-robotics.example", "stranger@example.com", "other@een.example"])
def test_participants_strangers_and_other_organisers_get_403_everywhere(app, client, auth, world, post, who):
    before = _snapshot(app)
    auth.login(who)
    checked = 0
    for endpoint, path, methods in _urls(app, world):
        if "GET" in methods:
            assert client.get(path).status_code == 403, (who, "GET", path)
        response = post(client, path, FORM, form_url="/accounts/login")
        assert response.status_code == (403 if "POST" in methods else 405), (who, "POST", path)
        checked += 1
    assert checked >= 14
    assert _snapshot(app) == before


def test_co_organiser_reaches_participant_pages_only(app, client, auth, world, post):
    auth.login("co@jetro.example")
    for endpoint, path, methods in _urls(app, world):
        if endpoint in CO_ORGANISER_OK or endpoint == "organiser.dashboard":
            continue
        if "GET" in methods:
            assert client.get(path).status_code == 403, path
        if "POST" in methods:
            assert post(client, path, FORM, form_url="/accounts/login").status_code == 403, path
    for path in ("participants", f"participants/{world['participant_id']}", "import", "export/participants.csv"):
        assert client.get(f"/organise/{SLUG}/{path}").status_code == 200, path


def test_anonymous_visitors_are_sent_to_log_in(app, client, world):
    for endpoint, path, methods in _urls(app, world):
        response = client.get(path) if "GET" in methods else client.post(path)
        assert response.status_code in (302, 400), path  # POST without a CSRF token stops at 400 first
        if response.status_code == 302:
            assert "/accounts/login" in response.headers["Location"]


def test_unknown_events_and_ids_are_404(app, client, auth, world):
    auth.login("organiser@een.example")
    assert client.get("/organise/no-such-event/").status_code == 404
    assert client.get(f"/organise/{SLUG}/windows/999999").status_code == 404
    assert client.get(f"/organise/{SLUG}/participants/999999").status_code == 404
    assert client.get(f"/organise/{SLUG}/export/nothing.csv").status_code == 404
    from brokerage.events.models import MeetingWindow
    with app.app_context():
        other_window = db.session.scalars(db.select(MeetingWindow).join(MeetingWindow.event)
                                          .filter_by(slug="other-2027")).first().id
    assert client.get(f"/organise/{SLUG}/windows/{other_window}").status_code == 404
