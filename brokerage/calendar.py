"""The one place that builds iCalendar data (RFC 5545 / iTIP RFC 5546) for downloads, feeds and invites."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import icalendar

from brokerage.timeutil import now_utc, zone

PRODID = "-//Brokerage events//Meeting scheduler//EN"


@dataclass(frozen=True)
class CalendarPerson:
    email: str
    name: str


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    sequence: int
    start: datetime  # aware UTC
    end: datetime
    summary: str
    description: str
    url: str
    organizer: CalendarPerson
    attendees: tuple[CalendarPerson, ...]
    timezone: str  # the reader's zone: times are written in it, with its VTIMEZONE, so clients show local time
    cancelled: bool = False


def build_calendar(entries: list[CalendarEntry], method: str | None = None, name: str | None = None,
                   timezone: str = "UTC") -> bytes:
    """A VCALENDAR; `method` is REQUEST/CANCEL for mailed invites and None for downloads and feeds.
    `timezone` (the reader's) fills an empty one: RFC 5545 wants at least one component."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", icalendar.vText(name))  # TEXT: commas and semicolons escaped
    for entry in entries:
        calendar.add_component(_event(entry, method))
    # VTIMEZONE blocks for every TZID used, generated from zoneinfo so DST rules are the real ones;
    # clients such as Outlook read only these (icalendar's default range ends in 2038).
    # The rules from the year before the first meeting to the year after the last: enough for any
    # client, and a short block (decades of changes made publishing to 2,000 people crawl).
    years = [y for e in entries for y in (e.start.year, e.end.year)] or [now_utc().year]
    zones = b"".join(_vtimezone(tz_name, min(years) - 1, max(years) + 1)
                     for tz_name in sorted({e.timezone for e in entries} or {timezone}))
    # Serialised once per zone and years and placed ahead of the events (streaming readers want
    # a TZID defined before it is used): it is most of an invite's lines, and publishing writes
    # thousands of invites.
    body = calendar.to_ical()
    # At the start of a line: a property's text (a calendar named "... BEGIN:VEVENT") never is.
    at = body.find(b"\r\nBEGIN:VEVENT\r\n")
    at = (at if at >= 0 else body.rindex(b"\r\nEND:VCALENDAR")) + 2
    return body[:at] + zones + body[at:]


@lru_cache(maxsize=256)
def _vtimezone(tz_name: str, first_year: int, last_year: int) -> bytes:
    return icalendar.Timezone.from_tzinfo(zone(tz_name), tz_name, first_date=date(first_year, 1, 1),
                                          last_date=date(last_year, 12, 31)).to_ical()


def _event(entry: CalendarEntry, method: str | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", now_utc())
    event.add("dtstart", entry.start.astimezone(zone(entry.timezone)))
    event.add("dtend", entry.end.astimezone(zone(entry.timezone)))
    event.add("summary", entry.summary)
    event.add("description", entry.description)
    if entry.url:
        event.add("location", entry.url)
        event.add("url", entry.url)
    cancelled = entry.cancelled or method == "CANCEL"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{entry.organizer.email}")
    organizer.params["cn"] = icalendar.vText(entry.organizer.name)
    event.add("organizer", organizer)
    for person in entry.attendees:
        attendee = icalendar.vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = icalendar.vText(person.name)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("ACCEPTED")
        event.add("attendee", attendee)
    return event
