"""Availability: slots in the participant's own clock, one-click working hours, slot-by-slot refinement, common slots."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from brokerage.events.models import Availability, Slot
from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingRequest
from brokerage.timeutil import to_local
from meetings_support import add_participant, is_checked, logged_in, slot_at, slot_ids, token_from

UTC = timezone.utc
SLUG = "march-2027"
PAGE = f"/events/{SLUG}/availability"


@pytest.fixture
def event_id(make_event):
    return make_event()


def marked(app, participant_id) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(db.select(Availability.slot_id).filter_by(participant_id=participant_id)))


def save(client, ids, page=PAGE):
    return client.post(page, data={"csrf_token": token_from(client, page), "slot": [str(i) for i in ids], "save": "1"})


def use_hours(client, start="09:00", end="18:00"):
    return client.post(PAGE, data={"csrf_token": token_from(client, PAGE), "start": start, "end": end, "use_hours": "1"})


def at(hour, minute=0, day=16):
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("tz, country, caption, first_window, second_window", [
    ("Europe/Paris", "FR", "Europe/Paris (UTC+01:00)", "08:00–08:20", "15:00–15:20"),
    ("America/New_York", "US", "America/New_York (UTC-04:00)", "03:00–03:20", "10:00–10:20"),
    ("Asia/Tokyo", "JP", "Asia/Tokyo (UTC+09:00)", "16:00–16:20", "23:00–23:20"),
    ("Asia/Seoul", "KR", "Asia/Seoul (UTC+09:00)", "16:00–16:20", "23:00–23:20"),
])
def test_slots_in_my_zone_with_event_time(app, event_id, tz, country, caption, first_window, second_window):
    add_participant(app, event_id, "me@example.com", "My Org", tz, country)
    html = logged_in(app, "me@example.com").get(PAGE).get_data(as_text=True)
    assert f"Times in your time zone, {caption}; event time Europe/Brussels (UTC+01:00)" in html
    assert first_window in html and second_window in html
    # Event time alongside: the 07:00 UTC slot is 08:00 in Brussels.
    assert "Tue 16 Mar 2027, 08:00–08:20" in html


def test_days_follow_my_clock(app, event_id):
    add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    tokyo = logged_in(app, "kenji@tokyo.example").get(PAGE).get_data(as_text=True)
    # 15:15 UTC on the 16th is 00:15 on the 17th in Tokyo.
    assert "Wed 17 Mar 2027" in tokyo and "00:15–00:35" in tokyo
    assert "Wed 17 Mar 2027" not in logged_in(app, "anne@paris.example").get(PAGE).get_data(as_text=True)


def test_osaka_late_slot_is_next_day(app, make_event):
    late = make_event(slug="late", windows=[("Late Europe", at(23), datetime(2027, 3, 17, 0, 0, tzinfo=UTC))])
    add_participant(app, late, "yuki@osaka.example", "Osaka Sensors", "Asia/Tokyo", "JP")
    html = logged_in(app, "yuki@osaka.example").get("/events/late/availability").get_data(as_text=True)
    assert "Wed 17 Mar 2027" in html and "08:00–08:20" in html and "Tue 16 Mar 2027, 23:00" not in html


@pytest.mark.parametrize("tz, expected_utc", [
    ("America/New_York", [at(14), at(14, 25), at(14, 50), at(15, 15), at(15, 40), at(16, 5), at(16, 30)]),
    ("Europe/Paris", [at(8, 15), at(8, 40), at(9, 5), at(9, 30),
                      at(14), at(14, 25), at(14, 50), at(15, 15), at(15, 40), at(16, 5), at(16, 30)]),
    ("Asia/Tokyo", [at(7), at(7, 25), at(7, 50), at(8, 15), at(8, 40)]),
])
def test_working_hours_mark_exactly_the_slots_inside(app, event_id, tz, expected_utc):
    me = add_participant(app, event_id, "me@example.com", "My Org", tz)
    client = logged_in(app, "me@example.com")
    save(client, slot_ids(app, event_id)[-1:])  # an earlier tick outside the hours is cleared
    assert f"Use my working hours 09:00-18:00 {tz}" in client.get(PAGE).get_data(as_text=True)
    response = use_hours(client)
    assert response.status_code == 302
    assert marked(app, me) == {slot_at(app, event_id, start) for start in expected_utc}
    assert f"Marked the {len(expected_utc)} slots between 09:00 and 18:00 in {tz}" in \
        client.get(PAGE).get_data(as_text=True)


def test_refine_slot_by_slot_in_one_post(app, event_id):
    me = add_participant(app, event_id, "me@example.com", "My Org")
    client = logged_in(app, "me@example.com")
    ids = slot_ids(app, event_id)
    assert save(client, ids[:3]).status_code == 302
    assert marked(app, me) == set(ids[:3])
    assert save(client, [ids[1], ids[5]]).status_code == 302
    assert marked(app, me) == {ids[1], ids[5]}
    html = client.get(PAGE).get_data(as_text=True)
    assert is_checked(html, ids[5]) and is_checked(html, ids[1]) and not is_checked(html, ids[0])
    assert save(client, []).status_code == 302 and marked(app, me) == set()


def test_foreign_or_garbage_slot_ids_are_refused_and_ticks_kept(app, event_id, make_event):
    other = make_event(slug="other-event")
    me = add_participant(app, event_id, "me@example.com", "My Org")
    client = logged_in(app, "me@example.com")
    ids = slot_ids(app, event_id)
    save(client, ids[:1])
    response = save(client, [ids[2], slot_ids(app, other)[0]])
    assert response.status_code == 400 and "no longer part of this event" in response.get_data(as_text=True)
    assert is_checked(response.get_data(as_text=True), ids[2])
    response = client.post(PAGE, data={"csrf_token": token_from(client, PAGE), "slot": ["abc"], "save": "1"})
    assert response.status_code == 400
    assert marked(app, me) == {ids[0]}


def test_bad_working_hours_are_explained(app, event_id):
    me = add_participant(app, event_id, "me@example.com", "My Org")
    client = logged_in(app, "me@example.com")
    response = use_hours(client, "18:00", "09:00")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "must be after its start" in html and 'value="18:00"' in html
    assert use_hours(client, "", "25:99").status_code == 400
    assert marked(app, me) == set()


@pytest.fixture
def seoul(app, event_id):
    me = add_participant(app, event_id, "me@example.com", "My Org", "Asia/Seoul", "KR")
    return me, logged_in(app, "me@example.com"), event_id


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), st.text(max_size=8)),
       end=st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), st.text(max_size=8)))
def test_any_working_hours_input_is_saved_exactly_or_explained(app, seoul, start, end):
    me, client, event_id = seoul
    response = use_hours(client, start, end)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        begin, until = time.fromisoformat(start), time.fromisoformat(end)
        with app.app_context():
            expected = {s.id for s in db.session.scalars(db.select(Slot).filter_by(event_id=event_id))
                        if begin <= to_local(s.start, "Asia/Seoul").time()
                        and to_local(s.end, "Asia/Seoul").time() <= until
                        and to_local(s.end, "Asia/Seoul").date() == to_local(s.start, "Asia/Seoul").date()}
        assert marked(app, me) == expected


def agree(app, event_id, requester, recipient):
    with app.app_context():
        request = MeetingRequest(event_id=event_id, requester_id=requester, recipient_id=recipient,
                                 message="hello", status="accepted")
        db.session.add(Meeting(event_id=event_id, request=request))
        db.session.commit()


def test_common_slots_with_partner_time_or_a_clear_message(app, event_id):
    anne = add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    kenji = add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    pat = add_participant(app, event_id, "pat@boston.example", "Boston Bio", "America/New_York", "US")
    agree(app, event_id, anne, kenji)
    agree(app, event_id, pat, anne)
    ids = slot_ids(app, event_id)
    anne_client, kenji_client = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    save(anne_client, ids[:2])
    save(kenji_client, ids[1:3])
    html = anne_client.get(PAGE).get_data(as_text=True)
    common = html.split('id="common-slots"')[1]
    assert "their time zone Asia/Tokyo (UTC+09:00)" in common
    # The shared slot 07:25 UTC: 08:25 for Anne in Paris, 16:25 for Kenji in Tokyo.
    assert "Tue 16 Mar 2027, 08:25–08:45" in common and "Tue 16 Mar 2027, 16:25–16:45" in common
    assert "Tue 16 Mar 2027, 08:00–08:20" not in common
    assert "No common slot yet — mark more slots or ask Boston Bio to mark more." in common
    kenji_view = kenji_client.get(PAGE).get_data(as_text=True).split('id="common-slots"')[1]
    assert "Paris Photonics" in kenji_view and "Boston Bio" not in kenji_view


def test_only_registered_participants_see_availability(app, event_id, auth, client):
    add_participant(app, event_id, "rita@rejected.example", "Rejected Ltd", status="rejected")
    assert logged_in(app, "rita@rejected.example").get(PAGE).status_code == 403
    auth.signup("nobody@example.com")
    assert client.get(PAGE).status_code == 403
    assert save(logged_in(app, "rita@rejected.example"), slot_ids(app, event_id)[:1], page=PAGE).status_code in (400, 403)
    assert client.get("/events/no-such-event/availability").status_code == 404


@pytest.mark.parametrize("garbage", ["\u00b2", "9" * 5000])
def test_non_ascii_or_huge_slot_ids_are_refused_not_a_crash(app, event_id, garbage):
    anne = add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    client = logged_in(app, "anne@paris.example")
    first = slot_ids(app, event_id)[0]
    response = save(client, [first, garbage])
    assert response.status_code == 400
    assert is_checked(response.get_data(as_text=True), first)  # the valid tick is kept while the error shows
    assert marked(app, anne) == set()


def test_late_windows_that_cross_midnight_stay_apart_and_in_time_order(app, make_event):
    """The presets repeat a window label each day; 22:00-01:00 UTC runs into the next day."""
    import re
    from datetime import date
    windows = []
    for day in (16, 17):
        windows += [("Asia-Europe", datetime(2027, 3, day, 7, tzinfo=timezone.utc), datetime(2027, 3, day, 10, tzinfo=timezone.utc)),
                    ("Americas-Asia", datetime(2027, 3, day, 22, tzinfo=timezone.utc), datetime(2027, 3, day + 1, 1, tzinfo=timezone.utc))]
    event = make_event(windows=windows, start_date=date(2027, 3, 16), end_date=date(2027, 3, 17))
    add_participant(app, event, "anne@paris.example", "Paris Photonics", "Europe/Paris", "FR")
    html = logged_in(app, "anne@paris.example").get(PAGE).get_data(as_text=True)
    headings = [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in re.findall(r"<h3>(.*?)</h3>", html, re.S)]
    assert [h for h in headings if "Mar 2027" in h] == ["Tue 16 Mar 2027 · Asia-Europe", "Tue 16 Mar 2027 · Americas-Asia",
                        "Wed 17 Mar 2027 · Americas-Asia", "Wed 17 Mar 2027 · Asia-Europe",
                        "Wed 17 Mar 2027 · Americas-Asia", "Thu 18 Mar 2027 · Americas-Asia"]


def test_the_hour_the_clocks_go_back_shows_each_times_offset(app, make_event):
    """Sun 7 Nov 2027 in Los Angeles: 01:00-02:00 happens twice (PDT, then PST) inside one window."""
    from datetime import date
    window = ("Americas-Asia", datetime(2027, 11, 7, 8, 0, tzinfo=UTC), datetime(2027, 11, 7, 10, 0, tzinfo=UTC))
    event = make_event(windows=[window], start_date=date(2027, 11, 7), end_date=date(2027, 11, 7))
    add_participant(app, event, "raj@sf.example", "Bay Bio", "America/Los_Angeles", "US")
    html = logged_in(app, "raj@sf.example").get(PAGE).get_data(as_text=True)
    assert "01:00–01:20 <small>(UTC-07:00)</small>" in html  # 08:00 UTC, still summer time
    assert "01:15–01:35 <small>(UTC-08:00)</small>" in html  # 09:15 UTC, after the clocks went back
    paris = make_event(slug="paris-day")
    add_participant(app, paris, "anne@paris.example", "Paris Photonics", "Europe/Paris", "FR")
    plain = logged_in(app, "anne@paris.example").get("/events/paris-day/availability").get_data(as_text=True)
    assert "<small>(UTC" not in plain  # an ordinary day shows plain times
