"""Event set-up through the organiser console: creation, settings, deadlines in the event's zone, windows and slots."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from brokerage.extensions import db
from tests.support import allow_organising

UTC = timezone.utc

SETTINGS = {
    "name": "EU-Japan-Korea-US tech brokerage", "description": "Meet partners across 17 hours.",
    "timezone": "Europe/Brussels", "start_date": "2027-03-16", "end_date": "2027-03-17",
    "slot_minutes": "20", "pause_minutes": "5", "room_capacity": "", "registration_deadline": "",
    "booking_deadline": "", "participant_approval": "y", "request_mode": "approval", "max_pending_requests": "",
    "max_meetings": "", "video_mode": "template", "video_link_template": "https://meet.jit.si/{event}-{meeting}",
}


def _event(app, slug="eu-asia-us-2027"):
    from brokerage.events.models import Event
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug=slug))
        return event, [(w.label, w.start, w.end) for w in event.windows], [(s.start, s.end) for s in event.slots]


def _window(console, label, day, start, end, next_day=False, path="windows"):
    data = {"label": label, "clock": "UTC", "day": day, "start": start, "end": end}
    if next_day:
        data["ends_next_day"] = "y"
    return console.post(path, data, form_path="windows")


def test_only_users_the_administrator_lets_in_create_events(app, client, auth, create_event):
    """An event's organiser can import addresses and mail them: not something any sign-up may do."""
    auth.signup("stranger@example.com", name="Stranger")
    assert create_event(slug="", name="Mail Cannon").status_code == 403
    assert client.get("/organise/new").status_code == 403
    assert "Organise</a>" not in client.get("/").get_data(as_text=True)  # a participant has no console
    assert "ask the site" in client.get("/organise/").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["allow-organising", "nobody@example.com"])
    assert result.exit_code == 2 and result.output.strip() == "Error: no account uses nobody@example.com: they sign up first."
    result = app.test_cli_runner().invoke(args=["allow-organising", "Stranger@Example.com"])
    assert result.exit_code == 0 and "1 account(s) may now create events." in result.output
    assert create_event(slug="", name="Fine Now").status_code == 302
    assert "Organise</a>" in client.get("/").get_data(as_text=True)
    app.test_cli_runner().invoke(args=["allow-organising", "--revoke", "stranger@example.com"])
    assert create_event(slug="", name="Second").status_code == 403
    assert client.get("/organise/fine-now/").status_code == 200  # their event stays theirs


def test_a_user_let_in_creates_an_event_and_becomes_its_organiser(app, client, auth, create_event):
    auth.signup("newcomer@cluster.example", name="Nina Newcomer")
    allow_organising(app, "newcomer@cluster.example")
    response = create_event(slug="", name="Korea–EU Mobility Days")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organise/korea-eu-mobility-days/windows")
    from brokerage.events.models import Event, EventOrganiser
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug="korea-eu-mobility-days"))
        link = db.session.scalar(db.select(EventOrganiser).filter_by(event_id=event.id))
        assert (link.role, link.organisation, link.user.email) == ("organiser", "EEN Brussels", "newcomer@cluster.example")
    # The same form sent twice (a double click) makes one event, with or without an address typed.
    assert create_event(slug="", name="Korea–EU Mobility Days").headers["Location"].endswith(
        "/organise/korea-eu-mobility-days/windows")
    assert create_event(slug="korea-eu-mobility-days", name="Korea–EU Mobility Days").headers["Location"].endswith(
        "/organise/korea-eu-mobility-days/windows")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Event.id))) == 1
        event.created_at = datetime(2026, 1, 1, tzinfo=UTC)  # long ago: a second event of that name is meant
        db.session.merge(event)
        db.session.commit()
    # A second event with the same name gets its own address.
    assert create_event(slug="", name="Korea–EU Mobility Days").headers["Location"].endswith(
        "/organise/korea-eu-mobility-days-2/windows")
    page = client.get("/organise/").get_data(as_text=True)
    assert 'href="/organise/korea-eu-mobility-days/"' in page and 'href="/organise/korea-eu-mobility-days-2/"' in page


def test_new_event_errors_are_shown_and_input_kept(client, auth, make_event, create_event):
    make_event(slug="taken-slug")
    auth.signup("olga@een-brussels.example")
    allow_organising(client.application, "olga@een-brussels.example")
    page = create_event(name="Spring brokerage", start_date="2027-03-17", end_date="2027-03-16").get_data(as_text=True)
    assert "The last day cannot be before the first day." in page and 'value="Spring brokerage"' in page
    page = create_event(slug="taken-slug").get_data(as_text=True)
    assert "This web address is taken" in page
    page = create_event(slug="Not A Slug!").get_data(as_text=True)
    assert "Use lower-case letters" in page and 'value="Not A Slug!"' in page


def test_full_set_up_flow(app, console, client):
    # Standard windows on both event days, then the dashboard shows them.
    response = console.post("windows/presets", {"preset": "all"}, form_path="windows", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "6 window(s) added." in page
    event, windows, slots = _event(app)
    assert [label for label, _, _ in windows] == ["Asia-Europe", "Europe-Americas", "Americas-Asia"] * 2
    # The week when the US has changed clocks and Europe has not: presets follow each region's clock.
    assert windows[0][1:] == (datetime(2027, 3, 16, 7, tzinfo=UTC), datetime(2027, 3, 16, 10, tzinfo=UTC))
    assert windows[1][1:] == (datetime(2027, 3, 16, 13, tzinfo=UTC), datetime(2027, 3, 16, 16, tzinfo=UTC))
    assert windows[2][1:] == (datetime(2027, 3, 16, 22, tzinfo=UTC), datetime(2027, 3, 17, 1, tzinfo=UTC))
    assert "on a weekend" not in page
    assert len(slots) == 6 * 7 and f"The event now has {len(slots)} meeting slots." in page

    response = console.post("settings", {**SETTINGS, "slot_minutes": "30", "pause_minutes": "10", "room_capacity": "40",
                                         "request_mode": "automatic", "max_meetings": "8", "max_pending_requests": "15"},
                            follow_redirects=True)
    assert "Settings saved. The event now has 24 meeting slots." in response.get_data(as_text=True)
    event, _, slots = _event(app)
    assert (event.slot_minutes, event.pause_minutes, event.room_capacity, event.request_mode, event.max_meetings,
            event.max_pending_requests) == (30, 10, 40, "automatic", 8, 15)
    assert len(slots) == 24

    dashboard = client.get(console.url()).get_data(as_text=True)
    assert "24 meeting slots of 30 minutes" in dashboard and "40 concurrent video rooms" in dashboard
    assert "Americas-Asia" in dashboard and "event time Europe/Brussels" in dashboard
    assert "Tue 16 Mar 2027, 23:00 – 02:00 (+1 day)</td>" in dashboard  # ends on the next day in Brussels too
    for endpoint_path in ("settings", "windows", "team", "participants", "import", "runs", "timetable", "impact"):
        assert f"/organise/{console.slug}/{endpoint_path}" in dashboard


def test_deadlines_are_entered_in_event_time_and_stored_in_utc(app, console, client):
    response = console.post("settings", {**SETTINGS, "registration_deadline": "2027-03-10T17:00",
                                         "booking_deadline": "2027-03-15T12:00"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    event, _, _ = _event(app)
    assert event.registration_deadline == datetime(2027, 3, 10, 16, 0, tzinfo=UTC)  # 17:00 CET
    assert event.booking_deadline == datetime(2027, 3, 15, 11, 0, tzinfo=UTC)
    # Shown back on the event's clock, naming it.
    assert 'value="2027-03-10T17:00"' in page
    assert "Wed 10 Mar 2027, 17:00 event time, Europe/Brussels (UTC+01:00) = 10 Mar 2027, 16:00 UTC" in page
    # The same wall-clock input means another instant when the event runs on Tokyo time.
    console.post("settings", {**SETTINGS, "timezone": "Asia/Tokyo", "registration_deadline": "2027-03-10T17:00"})
    event, _, _ = _event(app)
    assert event.registration_deadline == datetime(2027, 3, 10, 8, 0, tzinfo=UTC) and event.booking_deadline is None


def test_a_deadline_in_the_repeated_hour_survives_saving_other_settings(app, console, client):
    """31 Oct 2027 00:30 UTC is 02:30 in Brussels in summer time, and 01:30 UTC is 02:30 again after the
    change: saving the settings page, which shows 02:30, must not move the deadline to the other one."""
    from brokerage.events.models import Event
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug=console.slug))
        event.booking_deadline = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # the second 02:30
        db.session.commit()
    page = client.get(console.url("settings")).get_data(as_text=True)
    assert 'value="2027-10-31T02:30"' in page
    page = console.post("settings", {**SETTINGS, "name": "Renamed", "start_date": "2027-11-02", "end_date": "2027-11-03",
                                     "booking_deadline": "2027-10-31T02:30"}, follow_redirects=True).get_data(as_text=True)
    assert "Settings saved." in page
    event, _, _ = _event(app)
    assert event.name == "Renamed" and event.booking_deadline == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_settings_errors_keep_input(app, console):
    page = console.post("settings", {**SETTINGS, "name": "Renamed", "pause_minutes": "-5", "room_capacity": "lots",
                                     "video_link_template": "https://meet.jit.si/{event}-{room}",
                                     "registration_deadline": "2027-04-01T10:00"}).get_data(as_text=True)
    assert "Give 0 to 60 minutes." in page
    assert "Unknown placeholder {room}" in page
    assert "on or before the last event day" in page
    assert 'value="Renamed"' in page and 'value="https://meet.jit.si/{event}-{room}"' in page
    assert _event(app)[0].name == "EU-Japan-Korea-US tech brokerage"  # nothing saved
    for template, message in [("https://meet.jit.si/{event}", "Include {meeting}"),
                              ("meet.jit.si/{meeting}", "Start the link with https://"),
                              ("https://meet.jit.si/{meeting", "Unbalanced"),
                              ("https://[meet.jit.si/{meeting}", "Start the link with https://"),
                              ("https://meet.jit.si/{meeting!r}", "Unknown placeholder"),
                              ("https://meet.jit.si/{event} {meeting}", "A link has no spaces")]:
        assert message in console.post("settings", {**SETTINGS, "video_link_template": template}).get_data(as_text=True)
    # 'participant' mode does not need a template.
    console.post("settings", {**SETTINGS, "video_mode": "participant", "video_link_template": ""})
    assert _event(app)[0].video_mode == "participant"


def test_a_first_day_in_year_1_is_a_message_even_with_a_deadline(app, console):
    response = console.post("settings", {**SETTINGS, "start_date": "0001-01-01",
                                         "registration_deadline": "2027-01-01T10:00"})
    assert response.status_code == 200
    assert "Give a date between the years 2000 and 2100." in response.get_data(as_text=True)


def test_line_breaks_in_a_name_become_spaces(app, console):
    # Pasted text may carry U+2028 or a CR LF; mail subjects that quote the name cannot.
    console.post("settings", {**SETTINGS, "name": "EU\u2028Japan\r\nbrokerage "})
    assert _event(app)[0].name == "EU Japan brokerage"


def test_dates_cannot_leave_windows_behind(app, console):
    _window(console, "Asia-Europe", "2027-03-17", "07:00", "10:00")
    page = console.post("settings", {**SETTINGS, "end_date": "2027-03-16"}).get_data(as_text=True)
    assert "1 meeting window(s) lie outside these dates" in page
    assert _event(app)[0].end_date.isoformat() == "2027-03-17"


def test_window_crossing_midnight_utc_is_shown_on_every_clock(app, console, client):
    response = _window(console, "Americas-Asia", "2027-03-16", "23:00", "02:00", next_day=True)
    assert response.status_code == 302
    _, windows, slots = _event(app)
    assert windows == [("Americas-Asia", datetime(2027, 3, 16, 23, tzinfo=UTC), datetime(2027, 3, 17, 2, tzinfo=UTC))]
    assert len(slots) == 7 and slots[-1] == (datetime(2027, 3, 17, 1, 30, tzinfo=UTC), datetime(2027, 3, 17, 1, 50, tzinfo=UTC))
    page = client.get(console.url("windows")).get_data(as_text=True)
    assert "+1 day" in page
    tokyo = page.split('data-zone="Asia/Tokyo"')[1].split("</tr>")[0]
    assert "Asia/Tokyo (UTC+09:00)" in tokyo and "Wed 17 Mar 08:00" in tokyo and "+1 day" in tokyo
    los_angeles = page.split('data-zone="America/Los_Angeles"')[1].split("</tr>")[0]
    assert "UTC-07:00" in los_angeles and "Tue 16 Mar 16:00" in los_angeles and "Tue 16 Mar 19:00" in los_angeles


def test_event_days_count_in_utc_or_on_the_events_clock(app, console, client):
    """A Tokyo event on Thu 10 - Fri 11 June: its first morning starts on 9 June in UTC. Standard windows
    follow their own region's day: the US West Coast's Thursday and Friday afternoons, which are Friday and
    Saturday mornings in Tokyo, and the Saturday is pointed out."""
    console.post("settings", {**SETTINGS, "timezone": "Asia/Tokyo", "start_date": "2027-06-10", "end_date": "2027-06-11"})
    assert _window(console, "Tokyo early", "2027-06-09", "21:00", "22:00").status_code == 302
    page = _window(console, "Too late", "2027-06-12", "15:00", "16:00").get_data(as_text=True)
    assert "it starts Sun 13 Jun 00:00 there" in page  # 12 June in UTC, 13 June in Tokyo: after the event
    page = _window(console, "Far off", "9999-12-31", "23:00", "01:00", next_day=True).get_data(as_text=True)
    assert "Choose a day from 09 Jun 2027 to 12 Jun 2027: the event runs" in page  # a message, not an overflow
    assert 'min="2027-06-09"' in page and 'max="2027-06-12"' in page  # the date picker offers those days
    page = console.post("windows/presets", {"preset": "americas-asia"}, form_path="windows",
                        follow_redirects=True).get_data(as_text=True)
    assert "Some fall on a weekend for some of those meeting (Sat 12 Jun)" in page
    _, windows, _ = _event(app)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert [(label, start.astimezone(tokyo).strftime("%a %d %b %H:%M")) for label, start, _ in windows] == [
        ("Tokyo early", "Thu 10 Jun 06:00"), ("Americas-Asia", "Fri 11 Jun 07:00"), ("Americas-Asia", "Sat 12 Jun 07:00")]
    # The windows page shows the event's own clock beside the regions' (Tokyo is one of them already).
    console.post("settings", {**SETTINGS, "timezone": "Europe/Oslo", "start_date": "2027-06-09", "end_date": "2027-06-11"})
    oslo = client.get(console.url("windows")).get_data(as_text=True).split('data-zone="Europe/Oslo"')
    assert len(oslo) == 4 and "Fri 11 Jun 00:00" in oslo[2]  # each window; Americas-Asia at midnight in Oslo
    # In Brussels the early Tokyo window starts on the evening of 9 June, in UTC too: outside 10-11 June.
    page = console.post("settings", {**SETTINGS, "start_date": "2027-06-10", "end_date": "2027-06-11"}).get_data(as_text=True)
    assert ("1 meeting window(s) lie outside these dates (e.g. &#39;Tokyo early&#39; on 09 Jun 2027, "
            "event time)") in page


def test_standard_windows_on_a_weekend_are_pointed_out(app, console):
    console.post("settings", {**SETTINGS, "start_date": "2027-03-26", "end_date": "2027-03-29"})
    page = console.post("windows/presets", {"preset": "asia-europe"}, form_path="windows",
                        follow_redirects=True).get_data(as_text=True)
    assert "4 window(s) added." in page
    assert "Some fall on a weekend for some of those meeting (Sat 27 Mar, Sun 28 Mar)" in page


def test_window_across_europes_clock_change_names_both_offsets(console, client):
    """Sat 27 Mar 2027 22:00 - Sun 01:00 UTC is 23:00 CET to 03:00 CEST in Brussels: one offset for
    both would read as a four-hour window."""
    console.post("settings", {**SETTINGS, "start_date": "2027-03-27", "end_date": "2027-03-28"})
    assert _window(console, "Americas-Asia", "2027-03-27", "22:00", "01:00", next_day=True).status_code == 302
    page = client.get(console.url("windows")).get_data(as_text=True)
    brussels = page.split('data-zone="Europe/Brussels"')[1].split("</tr>")[0]
    assert "UTC+01:00; UTC+02:00 from Sun 28 Mar" in brussels and "Sun 28 Mar 03:00" in brussels
    tokyo = page.split('data-zone="Asia/Tokyo"')[1].split("</tr>")[0]
    assert "Asia/Tokyo (UTC+09:00)" in tokyo


def test_bad_windows_are_refused_with_the_input_kept(app, console):
    assert _window(console, "Asia-Europe", "2027-03-16", "07:00", "10:00").status_code == 302
    for data, message in [
        (("Overlap", "2027-03-16", "09:30", "11:00"), "It overlaps &#39;Asia-Europe&#39;"),
        (("Backwards", "2027-03-16", "15:00", "14:00"), "The window must end after it starts"),
        (("Too early", "2027-03-15", "15:00", "17:00"),
         "The window must start on an event day, 16 Mar 2027 to 17 Mar 2027, in UTC or on the event&#39;s clock "
         "(Europe/Brussels: it starts Mon 15 Mar 16:00 there)"),
        (("Too short", "2027-03-16", "15:00", "15:10"), "shorter than one 20-minute meeting"),
    ]:
        page = _window(console, *data).get_data(as_text=True)
        assert message in page, message
        assert f'value="{data[0]}"' in page and f'value="{data[2]}"' in page
    page = _window(console, "", "", "", "").get_data(as_text=True)
    assert "Choose the day." in page and "Give the start time." in page
    assert len(_event(app)[1]) == 1


def test_edit_and_delete_windows(app, console, client):
    _window(console, "Asia-Europe", "2027-03-16", "07:00", "10:00")
    _window(console, "Europe-Americas", "2027-03-16", "14:00", "17:00")
    from brokerage.events.models import MeetingWindow
    with app.app_context():
        first, second = db.session.scalars(db.select(MeetingWindow).order_by(MeetingWindow.start)).all()
        first_id, second_id = first.id, second.id
    # Editing a window may not make it overlap the other one; growing it adds slots.
    page = _window(console, "Asia-Europe", "2027-03-16", "07:00", "15:00", path=f"windows/{first_id}").get_data(as_text=True)
    assert "It overlaps" in page
    response = _window(console, "Asia-Europe (long)", "2027-03-16", "06:00", "10:00", path=f"windows/{first_id}")
    assert response.status_code == 302
    _, windows, slots = _event(app)
    assert windows[0] == ("Asia-Europe (long)", datetime(2027, 3, 16, 6, tzinfo=UTC), datetime(2027, 3, 16, 10, tzinfo=UTC))
    assert len(slots) == 9 + 7
    response = console.post(f"windows/{second_id}/delete", {}, form_path="windows", follow_redirects=True)
    assert "The event now has 9 meeting slots." in response.get_data(as_text=True)
    assert client.get(console.url(f"windows/{second_id}")).status_code == 404


def test_changing_slot_length_keeps_availability_on_slots_that_still_start_then(app, console, add_participant):
    _window(console, "Asia-Europe", "2027-03-16", "07:00", "10:00")
    from brokerage.events.models import Availability, Slot
    participant_id = add_participant("kenji@osaka-robotics.example", status="approved")
    with app.app_context():
        first, second = db.session.scalars(db.select(Slot).order_by(Slot.start)).all()[:2]
        db.session.add_all([Availability(participant_id=participant_id, slot_id=first.id),
                            Availability(participant_id=participant_id, slot_id=second.id)])
        db.session.commit()
        kept_id = first.id
    response = console.post("settings", {**SETTINGS, "slot_minutes": "30", "pause_minutes": "0"}, follow_redirects=True)
    assert "The event now has 6 meeting slots." in response.get_data(as_text=True)
    with app.app_context():
        slots = db.session.scalars(db.select(Slot).order_by(Slot.start)).all()
        assert [s.start.strftime("%H:%M") for s in slots] == ["07:00", "07:30", "08:00", "08:30", "09:00", "09:30"]
        assert slots[0].id == kept_id and slots[0].end == datetime(2027, 3, 16, 7, 30, tzinfo=UTC)
        # 07:25 (the old second slot) is gone, and its availability with it.
        assert db.session.scalars(db.select(Availability.slot_id)).all() == [kept_id]


def test_only_logged_in_users_reach_the_console(client, post):
    response = client.get("/organise/new")
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    assert post(client, "/organise/new", {}, form_url="/accounts/login").status_code == 302


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
FIELD_VALUES = TEXT | st.sampled_from(["", "0", "-1", "99999999999999999999", "9999-12-31", "0001-01-01", "2027-03-16",
                                       "23:59", "24:00", "2027-03-16T07:00", "9999-12-31T23:59", "0001-01-01T00:00",
                                       "y", "{", "https://x/{meeting}"])


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(window=st.fixed_dictionaries({name: FIELD_VALUES for name in ("label", "day", "start", "end", "ends_next_day")},
                                    optional={"clock": TEXT | st.sampled_from(["UTC", "Europe/Brussels", "Asia/Tokyo"])}),
       changes=st.dictionaries(st.sampled_from(sorted(SETTINGS)), FIELD_VALUES, max_size=6))
def test_arbitrary_form_input_never_breaks_the_console(console, post, window, changes):
    assert console.post("windows", window).status_code in (200, 302)
    assert console.post("settings", {**SETTINGS, **changes}).status_code in (200, 302)
    new_event = {"name": changes.get("name", "x"), "slug": window["label"], "start_date": window["day"],
                 "end_date": window["end"], "timezone": "UTC", "organisation": "x"}
    assert post(console.client, "/organise/new", new_event).status_code in (200, 302)


def test_deleting_a_window_unschedules_its_meetings(app, console, add_participant):
    _window(console, "Asia-Europe", "2027-03-16", "07:00", "10:00")
    kenji = add_participant("kenji@osaka-robotics.example", status="approved")
    anna = add_participant("anna@berlin.example", status="approved", country="DE", timezone="Europe/Berlin")
    from brokerage.events.models import Availability, MeetingWindow, Slot
    from brokerage.meetings.models import Meeting, MeetingRequest
    with app.app_context():
        slot = db.session.scalars(db.select(Slot).order_by(Slot.start)).first()
        request = MeetingRequest(event_id=slot.event_id, requester_id=kenji, recipient_id=anna, status="accepted")
        # Only in the working timetable: published meetings block the deletion (tests/scheduling/test_publish.py).
        db.session.add_all([request, Meeting(event_id=slot.event_id, request=request, slot=slot),
                            Availability(participant_id=kenji, slot_id=slot.id)])
        db.session.commit()
        window_id = db.session.scalar(db.select(MeetingWindow.id))
    response = console.post(f"windows/{window_id}/delete", {}, form_path="windows", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The event now has 0 meeting slots. 1 meeting(s) lost their slot" in page
    # Kenji had marked that slot: the organiser learns that someone's availability went with it.
    assert "1 participant(s) had marked slots that no longer exist" in page
    with app.app_context():
        meeting = db.session.scalar(db.select(Meeting))
        assert (meeting.slot_id, meeting.published_slot_id) == (None, None)
        assert db.session.scalar(db.select(db.func.count()).select_from(Availability)) == 0


def test_a_new_event_is_a_draft_until_its_organisers_open_it(app, console, client, add_participant):
    """Set up first, then open: a half-made event is neither listed nor taking registrations."""
    from tests.support import Auth
    stranger = app.test_client()
    Auth(stranger).signup("stranger@example.com")
    home = stranger.get("/").get_data(as_text=True)
    assert f'href="/events/{console.slug}"' not in home
    refused = stranger.get(f"/events/{console.slug}/register")
    assert refused.status_code == 403 and "not open yet" in refused.get_data(as_text=True)
    assert "Registration is not open yet" in stranger.get(f"/events/{console.slug}").get_data(as_text=True)
    dashboard = client.get(console.url()).get_data(as_text=True)
    assert 'id="event-state">draft' in dashboard and 'id="open-event" disabled' in dashboard  # no windows yet
    assert f'href="/events/{console.slug}"' in client.get("/").get_data(as_text=True)  # its organiser sees it
    # People imported early see it (without the organisers' draft label); someone rejected does not.
    for email, status, listed in (("early@x.example", "approved", True), ("gone@x.example", "rejected", False)):
        add_participant(email, status=status)
        browser = app.test_client()
        Auth(browser).login(email)
        home = browser.get("/").get_data(as_text=True)
        assert (f'href="/events/{console.slug}"' in home) is listed and "draft: not listed" not in home

    refused = console.post("open", {}, form_path="", follow_redirects=True)  # the button is off; a forged post too
    assert "Add meeting windows first" in refused.get_data(as_text=True)
    console.post("windows", {"label": "Asia-Europe", "clock": "UTC", "day": "2027-03-16", "start": "07:00", "end": "10:00"})
    response = console.post("open", {}, form_path="", follow_redirects=True)
    assert "is open: listed on the home page" in response.get_data(as_text=True)
    assert f'href="/events/{console.slug}"' in stranger.get("/").get_data(as_text=True)
    assert stranger.get(f"/events/{console.slug}/register").status_code == 200


def test_windows_are_typed_on_the_events_clock_or_another(app, console, client):
    """A Brussels organiser types Brussels times without converting; a Tokyo co-organiser can type Tokyo's."""
    page = client.get(console.url("windows")).get_data(as_text=True)
    assert '<option selected value="Europe/Brussels">Europe/Brussels (UTC+01:00), the event&#39;s</option>' in page
    assert '<option value="UTC">UTC</option>' in page and '<option value="Asia/Tokyo">' in page
    form = {"label": "Asia-Europe", "day": "2027-03-16", "start": "08:00", "end": "11:00"}
    assert console.post("windows", form).status_code == 302  # no clock sent: the event's, as the page preselects
    assert console.post("windows", {**form, "label": "Tokyo evening", "clock": "Asia/Tokyo", "day": "2027-03-17",
                                    "start": "16:00", "end": "19:00"}).status_code == 302
    assert console.post("windows", {**form, "label": "Night", "clock": "UTC", "day": "2027-03-16", "start": "22:00",
                                    "end": "01:00", "ends_next_day": "y"}).status_code == 302
    _, windows, _ = _event(app)
    assert windows == [
        ("Asia-Europe", datetime(2027, 3, 16, 7, tzinfo=UTC), datetime(2027, 3, 16, 10, tzinfo=UTC)),
        ("Night", datetime(2027, 3, 16, 22, tzinfo=UTC), datetime(2027, 3, 17, 1, tzinfo=UTC)),
        ("Tokyo evening", datetime(2027, 3, 17, 7, tzinfo=UTC), datetime(2027, 3, 17, 10, tzinfo=UTC)),
    ]
    # Editing shows a window on the event's clock; saving it unchanged changes nothing.
    with app.app_context():
        from brokerage.events.models import MeetingWindow
        night = db.session.scalar(db.select(MeetingWindow).filter_by(label="Night")).id
    edit = client.get(console.url(f"windows/{night}")).get_data(as_text=True)
    assert 'value="23:00"' in edit and 'value="02:00"' in edit and 'checked id="ends_next_day"' in edit
    assert console.post(f"windows/{night}", {"label": "Night", "day": "2027-03-16", "start": "23:00", "end": "02:00",
                                             "ends_next_day": "y"}, form_path=f"windows/{night}").status_code == 302
    assert _event(app)[1][1] == ("Night", datetime(2027, 3, 16, 22, tzinfo=UTC), datetime(2027, 3, 17, 1, tzinfo=UTC))


def test_a_time_the_clock_skips_is_refused_and_a_repeated_one_is_its_first_pass(app, console):
    console.post("settings", {**SETTINGS, "start_date": "2027-03-27", "end_date": "2027-03-28"})
    page = console.post("windows", {"label": "Spring", "day": "2027-03-28", "start": "02:30", "end": "04:00"})
    text = page.get_data(as_text=True)
    assert "02:30 on 28 Mar 2027 does not exist in Europe/Brussels: its clocks go forward then." in text
    assert 'value="Spring"' in text and 'value="02:30"' in text  # what was typed is kept
    assert _event(app)[1] == []
    # 02:30 happens twice on 31 October in Brussels: the first, summer-time one (00:30 UTC).
    console.post("settings", {**SETTINGS, "start_date": "2027-10-30", "end_date": "2027-10-31"})
    assert console.post("windows", {"label": "Autumn", "day": "2027-10-31", "start": "02:30",
                                    "end": "04:00"}).status_code == 302
    assert _event(app)[1] == [("Autumn", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 3, tzinfo=UTC))]
    page = console.post("windows", {"label": "X", "clock": "Mars/Olympus", "day": "2027-03-28", "start": "10:00",
                                    "end": "11:00"}).get_data(as_text=True)
    assert "Not a valid choice" in page and len(_event(app)[1]) == 1


def test_a_window_in_the_hour_the_clock_repeats_is_edited_in_utc_and_kept(app, console, client):
    """01:00-02:00 UTC on 31 Oct 2027 is 02:00-03:00 in Brussels, its 02:00 the second one: shown on that clock,
    saving it would read 02:00 as the first and double the window. The edit form shows it in UTC instead."""
    console.post("settings", {**SETTINGS, "start_date": "2027-10-30", "end_date": "2027-10-31"})
    assert _window(console, "Second pass", "2027-10-31", "01:00", "02:00").status_code == 302
    with app.app_context():
        from brokerage.events.models import MeetingWindow
        window_id = db.session.scalar(db.select(MeetingWindow.id))
    edit = client.get(console.url(f"windows/{window_id}")).get_data(as_text=True)
    assert '<option selected value="UTC">UTC</option>' in edit and 'value="01:00"' in edit and 'value="02:00"' in edit
    assert console.post(f"windows/{window_id}", {"label": "Renamed", "clock": "UTC", "day": "2027-10-31",
                                                 "start": "01:00", "end": "02:00"},
                        form_path=f"windows/{window_id}").status_code == 302
    assert _event(app)[1] == [("Renamed", datetime(2027, 10, 31, 1, tzinfo=UTC), datetime(2027, 10, 31, 2, tzinfo=UTC))]


def test_a_skipped_end_time_is_named_under_the_end(console):
    console.post("settings", {**SETTINGS, "start_date": "2027-03-27", "end_date": "2027-03-28"})
    page = console.post("windows", {"label": "Spring", "day": "2027-03-28", "start": "01:00",
                                    "end": "02:30"}).get_data(as_text=True)
    assert '<small class="field-error" id="end-error">02:30 on 28 Mar 2027 does not exist in Europe/Brussels' in page
    assert 'id="start-error"' not in page


def test_changing_only_the_clock_of_a_window_being_edited_moves_nothing(app, console, client):
    """The edit form shows a window on the event's clock; picking Tokyo in the menu without retyping the times
    once read the Brussels times as Tokyo's and moved the window 8 hours. The saved message says where it is."""
    assert _window(console, "Asia-Europe", "2027-03-16", "07:00", "10:00").status_code == 302
    with app.app_context():
        from brokerage.events.models import MeetingWindow
        window_id = db.session.scalar(db.select(MeetingWindow.id))
    edit = client.get(console.url(f"windows/{window_id}")).get_data(as_text=True)
    shown = re.search(r'name="shown" type="hidden" value="([^"]+)"', edit).group(1)
    assert shown == "Europe/Brussels|2027-03-16|08:00|11:00|False"
    saved = console.post(f"windows/{window_id}", {"label": "Renamed", "clock": "Asia/Tokyo", "day": "2027-03-16",
                                                  "start": "08:00", "end": "11:00", "shown": shown},
                         form_path=f"windows/{window_id}", follow_redirects=True).get_data(as_text=True)
    assert ("Window &#39;Renamed&#39; saved: Tue 16 Mar 07:00–10:00 UTC, Tue 16 Mar 08:00–11:00 Europe/Brussels."
            in saved)
    # Retyped on the new clock, the times are that clock's.
    console.post(f"windows/{window_id}", {"label": "Renamed", "clock": "Asia/Tokyo", "day": "2027-03-16",
                                          "start": "16:00", "end": "18:00", "shown": shown},
                 form_path=f"windows/{window_id}")
    assert _event(app)[1] == [("Renamed", datetime(2027, 3, 16, 7, tzinfo=UTC), datetime(2027, 3, 16, 9, tzinfo=UTC))]
