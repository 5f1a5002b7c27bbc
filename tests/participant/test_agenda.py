"""The agenda: the published timetable in my clock, with my partner's clock beside it and the video link."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from brokerage.extensions import db
from brokerage.meetings.models import Meeting
from brokerage.meetings.services import meeting_room
from meetings_support import add_participant, agreed_meeting, logged_in, publish

UTC = timezone.utc
SLUG = "march-2027"
AGENDA = f"/events/{SLUG}/agenda"


def at(hour, minute=0):
    return datetime(2027, 3, 16, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(app, make_event):
    event_id = make_event()
    ids = {
        "event": event_id,
        "anne": add_participant(app, event_id, "anne@paris.example", "Paris Photonics", "Europe/Paris", "FR"),
        "kenji": add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP"),
        "pat": add_participant(app, event_id, "pat@boston.example", "Boston Bio", "America/New_York", "US"),
        "minji": add_participant(app, event_id, "minji@seoul.example", "Seoul Semis", "Asia/Seoul", "KR"),
    }
    ids["anne_kenji"] = agreed_meeting(app, event_id, ids["anne"], ids["kenji"], at(7))
    ids["pat_anne"] = agreed_meeting(app, event_id, ids["pat"], ids["anne"], at(14))
    ids["minji_pat"] = agreed_meeting(app, event_id, ids["minji"], ids["pat"], at(14, 25))
    return ids


def test_unpublished_timetable_is_said_plainly(app, world):
    html = logged_in(app, "anne@paris.example").get(AGENDA).get_data(as_text=True)
    assert "The timetable is not published yet." in html
    assert "Tokyo Robotics" not in html and "meet.jit.si" not in html
    assert "Europe/Paris (UTC+01:00)" in html


@pytest.mark.parametrize("email, caption, expected", [
    # (my time, partner organisation, partner's local time, partner's zone)
    ("anne@paris.example", "Europe/Paris (UTC+01:00)", [
        ("08:00–08:20", "Tokyo Robotics", "Tue 16 Mar 2027, 16:00–16:20", "Asia/Tokyo (UTC+09:00)"),
        ("15:00–15:20", "Boston Bio", "Tue 16 Mar 2027, 10:00–10:20", "America/New_York (UTC-04:00)")]),
    ("pat@boston.example", "America/New_York (UTC-04:00)", [
        ("10:00–10:20", "Paris Photonics", "Tue 16 Mar 2027, 15:00–15:20", "Europe/Paris (UTC+01:00)"),
        ("10:25–10:45", "Seoul Semis", "Tue 16 Mar 2027, 23:25–23:45", "Asia/Seoul (UTC+09:00)")]),
    ("kenji@tokyo.example", "Asia/Tokyo (UTC+09:00)", [
        ("16:00–16:20", "Paris Photonics", "Tue 16 Mar 2027, 08:00–08:20", "Europe/Paris (UTC+01:00)")]),
    ("minji@seoul.example", "Asia/Seoul (UTC+09:00)", [
        ("23:25–23:45", "Boston Bio", "Tue 16 Mar 2027, 10:25–10:45", "America/New_York (UTC-04:00)")]),
])
def test_agenda_in_my_zone_with_partner_time(app, world, email, caption, expected):
    publish(app, world["event"])
    html = logged_in(app, email).get(AGENDA).get_data(as_text=True)
    assert f"times in your time zone, {caption}" in html
    rows = html.split('<tr id="meeting-')[1:]
    assert len(rows) == len(expected)
    for row, (mine, partner, theirs, their_zone) in zip(rows, expected):
        assert mine in row and partner in row and theirs in row and their_zone in row
        meeting_id = row.split('"')[0]
        with app.app_context():
            uid = db.session.get(Meeting, int(meeting_id)).uid
            assert f"https://meet.jit.si/{SLUG}-{meeting_room(int(meeting_id), uid)}" in row
        assert f"/events/{SLUG}/meetings/{meeting_id}.ics" in row
    assert f"/events/{SLUG}/agenda.ics" in html


def test_agenda_uses_published_slot_and_drops_cancelled(app, world):
    from brokerage.events.models import Slot
    publish(app, world["event"])
    with app.app_context():
        moved = db.session.get(Meeting, world["anne_kenji"])
        # The organisers moved it in their working timetable but have not republished: participants see the old slot.
        moved.slot = db.session.scalar(db.select(Slot).filter_by(start=at(9, 30)))
        db.session.get(Meeting, world["pat_anne"]).cancelled = True
        db.session.commit()
    html = logged_in(app, "anne@paris.example").get(AGENDA).get_data(as_text=True)
    assert "08:00–08:20" in html and "10:30–10:50" not in html
    assert "Boston Bio" not in html


def test_unscheduled_agreed_meeting_is_listed_apart(app, world):
    agreed_meeting(app, world["event"], world["kenji"], world["minji"], published=False)
    publish(app, world["event"])
    html = logged_in(app, "minji@seoul.example").get(AGENDA).get_data(as_text=True)
    assert "Agreed meetings not in the timetable" in html
    assert "Tokyo Robotics" in html.split('id="unscheduled"')[1]


def test_participant_video_mode_uses_requesters_link(app, world):
    from brokerage.events.models import Event, Participant
    with app.app_context():
        db.session.get(Event, world["event"]).video_mode = "participant"
        db.session.get(Participant, world["pat"]).video_link = "https://zoom.example/j/123"
        db.session.commit()
    publish(app, world["event"])
    row = logged_in(app, "anne@paris.example").get(AGENDA).get_data(as_text=True).split(f'id="meeting-{world["pat_anne"]}"')[1]
    assert "https://zoom.example/j/123" in row.split("</tr>")[0]


def test_agenda_needs_an_approved_registration(app, world, auth, client):
    add_participant(app, world["event"], "pending@example.com", "Pending Co", status="pending")
    assert logged_in(app, "pending@example.com").get(AGENDA).status_code == 403
    auth.signup("nobody@example.com")
    assert client.get(AGENDA).status_code == 403
    assert client.get("/events/nope/agenda").status_code == 404


def test_logged_out_visitors_are_sent_to_log_in(client, world):
    for page in (AGENDA, f"/events/{SLUG}/requests", f"/events/{SLUG}/availability", f"/events/{SLUG}/agenda.ics"):
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
