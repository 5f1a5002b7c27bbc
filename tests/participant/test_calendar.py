"""Calendar downloads and the private feed: valid RFC 5545 in the reader's zone, stable UIDs, revocable feed links."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.tz import tzical

from brokerage.extensions import db
from brokerage.meetings.models import Meeting
from brokerage.meetings.services import meeting_room
from meetings_support import add_participant, agreed_meeting, logged_in, post_action, publish

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
        "anne": add_participant(app, event_id, "anne@paris.example", "Société Générale d'Optique", "Europe/Paris", "FR"),
        "pat": add_participant(app, event_id, "pat@boston.example", "Boston Bio 株式会社", "America/New_York", "US"),
        "kenji": add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP"),
    }
    ids["pat_anne"] = agreed_meeting(app, event_id, ids["pat"], ids["anne"], at(14))
    ids["kenji_pat"] = agreed_meeting(app, event_id, ids["kenji"], ids["pat"], at(7, 25))
    publish(app, event_id)
    return ids


def check_rfc5545(body: bytes) -> icalendar.Calendar:
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines), "bare LF/CR: lines must end with CRLF"
    assert max(len(line) for line in lines) <= 75, "lines must be folded at 75 octets"
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return calendar


def events_of(calendar):
    return [c for c in calendar.walk("VEVENT")]


def vtimezone_offset(calendar, tzid: str, moment: datetime):
    """The offset the calendar's own VTIMEZONE gives (not the reader's zoneinfo), so a wrong VTIMEZONE shows up;
    read by dateutil's RFC 5545 reader, not by the icalendar package that wrote it."""
    component = next(c for c in calendar.walk("VTIMEZONE") if str(c["TZID"]) == tzid)
    return moment.astimezone(tzical(io.StringIO(component.to_ical().decode())).get()).utcoffset()


@pytest.mark.parametrize("email, tzid, wall, offset_hours", [
    ("pat@boston.example", "America/New_York", "20270316T100000", -4),  # US already on summer time
    ("anne@paris.example", "Europe/Paris", "20270316T150000", 1),       # Europe not yet
])
def test_meeting_ics_in_the_readers_zone_on_the_dst_gap_week(app, world, email, tzid, wall, offset_hours):
    response = logged_in(app, email).get(f"/events/{SLUG}/meetings/{world['pat_anne']}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".ics" in response.headers["Content-Disposition"]
    body = response.data
    assert f"DTSTART;TZID={tzid}:{wall}".encode() in body
    calendar = check_rfc5545(body)
    (event,) = events_of(calendar)
    with app.app_context():
        meeting = db.session.get(Meeting, world["pat_anne"])
        assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == meeting.sequence
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.astimezone(UTC) == at(14) and end.astimezone(UTC) == at(14, 20)
    assert vtimezone_offset(calendar, tzid, at(14)).total_seconds() == offset_hours * 3600
    assert str(event["STATUS"]) == "CONFIRMED"
    with app.app_context():
        room = meeting_room(world["pat_anne"], meeting.uid)
    assert f"https://meet.jit.si/{SLUG}-{room}" in str(event["LOCATION"])
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == ["mailto:anne@paris.example", "mailto:pat@boston.example"]
    assert str(event["ORGANIZER"]) == "mailto:noreply@brokerage.localhost"
    description = str(event["DESCRIPTION"])
    assert "EU-Japan-Korea-US tech brokerage" in description
    assert "Europe/Paris (UTC+01:00)" in description and "America/New_York (UTC-04:00)" in description


def test_summary_names_the_partner(app, world):
    body = logged_in(app, "anne@paris.example").get(f"/events/{SLUG}/meetings/{world['pat_anne']}.ics").data
    (event,) = events_of(check_rfc5545(body))
    assert str(event["SUMMARY"]) == "B2B meeting: Boston Bio 株式会社"


def test_agenda_ics_holds_all_my_published_meetings(app, world):
    response = logged_in(app, "pat@boston.example").get(f"/events/{SLUG}/agenda.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    calendar = check_rfc5545(response.data)
    starts = sorted(e.decoded("DTSTART").astimezone(UTC) for e in events_of(calendar))
    assert starts == [at(7, 25), at(14)]
    assert [str(c["TZID"]) for c in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_someone_elses_meeting_ics_is_refused(app, world, make_event):
    anne = logged_in(app, "anne@paris.example")
    assert anne.get(f"/events/{SLUG}/meetings/{world['kenji_pat']}.ics").status_code == 403
    assert anne.get(f"/events/{SLUG}/meetings/99999.ics").status_code == 404
    assert anne.get(f"/events/{SLUG}/meetings/{10**30}.ics").status_code == 404
    make_event(slug="other-event")
    assert anne.get(f"/events/other-event/meetings/{world['pat_anne']}.ics").status_code == 403  # not registered there
    publish(app, world["event"], False)
    assert anne.get(f"/events/{SLUG}/meetings/{world['pat_anne']}.ics").status_code == 404


def feed_path(html: str) -> str:
    match = re.search(r'id="feed-url" value="http://localhost(/feed/[^"]+\.ics)"', html)
    assert match, "feed address not shown"
    return match.group(1)


def test_feed_follows_the_published_timetable_and_reset_revokes_it(app, world):
    from brokerage.events.models import Slot
    pat = logged_in(app, "pat@boston.example")
    html = pat.get(AGENDA).get_data(as_text=True)
    path = feed_path(html)
    assert f'value="webcal://localhost{path}"' in html

    anonymous = app.test_client()
    response = anonymous.get(path)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert len(events_of(check_rfc5545(response.data))) == 2

    # The organisers move one meeting and cancel the other: the feed follows with the same UID and a higher SEQUENCE.
    with app.app_context():
        moved = db.session.get(Meeting, world["pat_anne"])
        moved.slot = moved.published_slot = db.session.scalar(db.select(Slot).filter_by(start=at(16, 30)))
        moved.sequence += 1
        uid = moved.uid
        db.session.get(Meeting, world["kenji_pat"]).cancelled = True
        db.session.commit()
    (event,) = events_of(check_rfc5545(anonymous.get(path).data))
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART").astimezone(UTC) == at(16, 30)
    assert b"DTSTART;TZID=America/New_York:20270316T123000" in anonymous.get(path).data

    assert pat.get(f"/events/{SLUG}/agenda/feed-reset").status_code == 405
    assert pat.post(f"/events/{SLUG}/agenda/feed-reset").status_code == 400  # no CSRF token
    assert anonymous.get(path).status_code == 200
    response = post_action(pat, f"/events/{SLUG}/agenda/feed-reset", AGENDA)
    assert response.status_code == 302
    new_path = feed_path(pat.get(AGENDA).get_data(as_text=True))
    assert new_path != path
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(new_path).status_code == 200


def test_feed_is_empty_but_valid_before_publication(app, world):
    publish(app, world["event"], False)
    pat = logged_in(app, "pat@boston.example")
    body = app.test_client().get(feed_path(pat.get(AGENDA).get_data(as_text=True))).data
    calendar = check_rfc5545(body)
    assert events_of(calendar) == []
    # RFC 5545 wants one component at least: the reader's time zone, ready for what comes.
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert check_rfc5545(pat.get(f"/events/{SLUG}/agenda.ics").data).walk("VEVENT") == []


def test_calendar_name_is_escaped_text(app, world):
    from brokerage.calendar import build_calendar
    body = build_calendar([], name="Brokerage – Seoul Semis, Busan; R&D \\ lab").replace(b"\r\n ", b"")
    assert b"X-WR-CALNAME:Brokerage \xe2\x80\x93 Seoul Semis\\, Busan\\; R&D \\\\ lab" in body


def test_unknown_feed_token_is_not_found(client):
    assert client.get("/feed/not-a-token.ics").status_code == 404
    assert client.get("/feed/.ics").status_code == 404


def test_vtimezone_covers_meetings_after_2038():
    """Outlook reads only the VTIMEZONE: it must still hold summer time in the meeting's year."""
    from brokerage.calendar import CalendarEntry, CalendarPerson, build_calendar

    start = datetime(2040, 7, 2, 14, 0, tzinfo=UTC)
    person = CalendarPerson("anne@paris.example", "Anne")
    entry = CalendarEntry("m1@test", 0, start, start + timedelta(minutes=25), "Meeting", "", "", person,
                          (person,), "Europe/Brussels")
    calendar = check_rfc5545(build_calendar([entry]))
    assert vtimezone_offset(calendar, "Europe/Brussels", start) == timedelta(hours=2)


@pytest.mark.parametrize("tz_name", [
    "Europe/Berlin", "Europe/London", "Europe/Dublin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
    "Asia/Seoul", "Australia/Sydney", "America/Santiago", "Australia/Lord_Howe", "Africa/Casablanca"])
def test_vtimezone_gives_zoneinfo_offsets_around_every_clock_change(tz_name):
    """Read by an RFC 5545 reader, a zone's VTIMEZONE must give zoneinfo's offset at every moment of the
    meetings' years, the minutes either side of each change included (an onset written in the local time after
    the change, as icalendar 7 writes it, puts the hour after Europe's spring change at the old offset)."""
    from brokerage.calendar import _vtimezone

    read = tzical(io.StringIO(_vtimezone(tz_name, 2026, 2028).decode())).get()
    real = ZoneInfo(tz_name)
    moments = [datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=6 * k) for k in range(4 * 365 * 2)]
    changes = [m for m, n in zip(moments, moments[1:]) if m.astimezone(real).utcoffset() != n.astimezone(real).utcoffset()]
    moments += [c + timedelta(minutes=k) for c in changes for k in range(0, 6 * 60, 10)]
    wrong = [m for m in moments if m.astimezone(read).utcoffset() != m.astimezone(real).utcoffset()]
    assert len(changes) >= (0 if tz_name in ("Asia/Tokyo", "Asia/Seoul") else 4) and not wrong, wrong[:3]


@pytest.mark.parametrize("tz_name, year", [("America/Nuuk", 2024), ("Asia/Almaty", 2023), ("Europe/Volgograd", 2020),
                                            ("Africa/Casablanca", 2027), ("America/Nuuk", 2023)])
def test_vtimezone_of_a_zone_that_changed_its_rules_keeps_its_history(tz_name, year):
    """A new standard offset (Almaty 2024, Volgograd 2020) or summer time begun again (Nuuk 2024) cannot be one
    yearly rule: each kind of change is written with its own offsets, after the offset in force on 1 January."""
    from brokerage.calendar import _vtimezone

    read = tzical(io.StringIO(_vtimezone(tz_name, year - 1, year + 1).decode())).get()
    real = ZoneInfo(tz_name)
    for month in range(1, 13):
        moment = datetime(year, month, 15, 12, tzinfo=UTC)
        assert moment.astimezone(read).utcoffset() == moment.astimezone(real).utcoffset(), moment


def test_vtimezone_states_yearly_rules_as_outlook_reads_them():
    """Outlook misreads a zone given as lists of dates (RDATE); Google's shape, a yearly RRULE per observance
    with the onset in the local time before the change, imports everywhere."""
    from brokerage.calendar import _vtimezone

    text = _vtimezone("America/New_York", 2026, 2028).decode()
    assert "RDATE" not in text
    assert "DTSTART:20260308T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in text
    assert "DTSTART:20261101T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in text
    # Europe: the last Sunday, never "the fourth" (some years have five).
    assert "BYDAY=-1SU;BYMONTH=3" in _vtimezone("Europe/Berlin", 2026, 2028).decode()


def test_a_calendar_name_that_quotes_ical_keywords_stays_valid():
    import icalendar

    from brokerage.calendar import build_calendar
    body = build_calendar([], name="Acme BEGIN:VEVENT Ltd", timezone="Europe/Paris")
    calendar = icalendar.Calendar.from_ical(body)
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert str(calendar["X-WR-CALNAME"]) == "Acme BEGIN:VEVENT Ltd"


@pytest.mark.parametrize("tz_name, first, last, moment", [
    ("America/Mexico_City", 2021, 2024, datetime(2023, 7, 1, 17, tzinfo=UTC)),  # summer time ended in 2022
    ("America/Montevideo", 2013, 2016, datetime(2016, 1, 15, 15, tzinfo=UTC)),
    ("Asia/Ulaanbaatar", 2015, 2018, datetime(2017, 7, 1, 4, tzinfo=UTC))])     # summer time only 2015-2016
def test_vtimezone_states_a_yearly_rule_only_where_it_held_every_year(tz_name, first, last, moment):
    from brokerage.calendar import _vtimezone

    read = tzical(io.StringIO(_vtimezone(tz_name, first, last).decode())).get()
    assert moment.astimezone(read).utcoffset() == moment.astimezone(ZoneInfo(tz_name)).utcoffset()


@pytest.mark.parametrize("tz_name, start", [
    ("Europe/Brussels", datetime(2027, 10, 31, 0, 0, tzinfo=UTC)),   # 02:00 CEST, the first 02:00
    ("Europe/Brussels", datetime(2027, 10, 31, 1, 0, tzinfo=UTC)),   # 02:00 CET, the second
    ("Europe/Brussels", datetime(2027, 10, 31, 0, 50, tzinfo=UTC)),  # starts in the first hour, ends in the second
    ("America/Los_Angeles", datetime(2027, 11, 7, 8, 15, tzinfo=UTC)),  # 01:15 PDT
    ("America/Los_Angeles", datetime(2027, 11, 7, 9, 15, tzinfo=UTC)),  # 01:15 PST, in the Asia-Europe window
    ("Europe/Berlin", datetime(2027, 10, 30, 23, 50, tzinfo=UTC)),   # ends at 02:10 CEST, the first 02:10
    ("Asia/Tokyo", datetime(2027, 10, 31, 0, 15, tzinfo=UTC)),      # no clock change: local
    ("Europe/Brussels", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),    # 03:00 CEST, just after the spring change
])
def test_meetings_in_the_repeated_hour_keep_their_moment(tz_name, start):
    """On the night clocks go back a local time happens twice; an RFC 5545 reader takes the first. Read with
    the calendar's own VTIMEZONE, as such a reader does, every meeting must start and end when it does."""
    from brokerage.calendar import CalendarEntry, CalendarPerson, build_calendar

    person = CalendarPerson("anne@paris.example", "Anne")
    end = start + timedelta(minutes=20)
    calendar = check_rfc5545(build_calendar([CalendarEntry("m1@test", 0, start, end, "Meeting", "", "", person,
                                                           (person,), tz_name)]))
    event = events_of(calendar)[0]

    def read(prop):
        value = event[prop]
        if "TZID" not in value.params:
            assert value.dt.utcoffset() == timedelta(0)
            return value.dt
        component = next(c for c in calendar.walk("VTIMEZONE") if str(c["TZID"]) == value.params["TZID"])
        wall = datetime.strptime(value.to_ical().decode(), "%Y%m%dT%H%M%S")
        # Fold 0: the first of two equal local times. Converted, as PEP 495 makes equality across zones false
        # for such times.
        return wall.replace(tzinfo=tzical(io.StringIO(component.to_ical().decode())).get()).astimezone(UTC)

    assert (read("DTSTART"), read("DTEND")) == (start, end)
    # Written on the reader's clock unless a local time is ambiguous: ical.js (Thunderbird) reads those as
    # the second pass, against RFC 5545.
    def ambiguous(moment):
        local = moment.astimezone(ZoneInfo(tz_name))
        return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()

    assert ("TZID" in event["DTSTART"].params) == (not ambiguous(start) and not ambiguous(end))


def test_double_quotes_in_names_stay_readable_in_every_reader():
    """RFC 6868 writes " in a CN as ^', which vobject and node-ical show as such: names use ' instead."""
    from brokerage.calendar import CalendarEntry, CalendarPerson, build_calendar

    start = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
    organiser = CalendarPerson("noreply@een.example", 'EU "Deep-tech" brokerage organisers')
    kenji = CalendarPerson("kenji@tokyo.example", 'Kenji "Ken" Sato (Tokyo Robotics)')
    body = build_calendar([CalendarEntry("m1@test", 0, start, start + timedelta(minutes=20), "Meeting", "", "",
                                         organiser, (kenji,), "Asia/Tokyo")], method="REQUEST")
    assert b"^'" not in body
    event = events_of(check_rfc5545(body))[0]
    assert event["ORGANIZER"].params["CN"] == "EU 'Deep-tech' brokerage organisers"
    assert event["ATTENDEE"].params["CN"] == "Kenji 'Ken' Sato (Tokyo Robotics)"
