"""The one place that builds iCalendar data (RFC 5545 / iTIP RFC 5546) for downloads, feeds and invites."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    # clients such as Outlook read only these. The rules of the year before the first meeting to
    # the year after the last: enough for any client.
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


@dataclass(frozen=True)
class _Change:
    at: datetime  # aware UTC
    before: timedelta  # UTC offsets either side
    after: timedelta
    name: str  # abbreviation after the change (CEST)

    @property
    def local(self) -> datetime:
        """The onset as RFC 5545 writes it: the local time just before the change (02:00 for
        Berlin's spring change, 03:00 for its autumn one), read with TZOFFSETFROM."""
        return (self.at + self.before).replace(tzinfo=None)


def _changes(tz_name: str, first_year: int, last_year: int) -> list[_Change]:
    """The zone's offset changes in those years, from zoneinfo: each day's offset compared with the
    next, the instant found by bisection to the second."""
    tz = zone(tz_name)
    offset = lambda moment: moment.astimezone(tz).utcoffset()  # noqa: E731
    changes, day = [], datetime(first_year, 1, 1, tzinfo=UTC)
    while day.year <= last_year:
        after = day + timedelta(days=1)
        if offset(day) != offset(after):
            low, high = 0, 86_400  # seconds into the day: the old offset at low, the new at high
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(day + timedelta(seconds=middle)) == offset(day) else (low, middle)
            at = day + timedelta(seconds=high)
            changes.append(_Change(at, offset(day), offset(at), at.astimezone(tz).tzname()))
        day = after
    return changes


def _yearly_rule(changes: list[_Change]) -> dict | None:
    """One RRULE for changes that recur yearly (same month, weekday, week of the month and local
    time), as tzdata's current rules do; None when they do not. 'Last Sunday' is preferred to
    'fourth Sunday' when both fit: the next year may have five."""
    first = changes[0].local
    if len(changes) < 2 or any((c.local.month, c.local.weekday(), c.local.time(), c.before, c.after)
           != (first.month, first.weekday(), first.time(), changes[0].before, changes[0].after) for c in changes):
        return None
    if len({c.at.year for c in changes}) != len(changes) or changes[-1].at.year - changes[0].at.year != len(changes) - 1:
        return None  # not once a year, every year
    day = _WEEKDAYS[first.weekday()]
    if all(c.local.day > calendar.monthrange(c.local.year, c.local.month)[1] - 7 for c in changes):
        return {"freq": "yearly", "bymonth": first.month, "byday": f"-1{day}"}
    weeks = {(c.local.day - 1) // 7 + 1 for c in changes}
    return {"freq": "yearly", "bymonth": first.month, "byday": f"{weeks.pop()}{day}"} if len(weeks) == 1 else None


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@lru_cache(maxsize=256)
def _vtimezone(tz_name: str, first_year: int, last_year: int) -> bytes:
    """The zone's rules in those years as Outlook, Google and Apple read them: a STANDARD and a
    DAYLIGHT observance with a yearly RRULE where the zone has one (as Google writes them: Outlook
    misreads lists of dates), each onset in the local time before the change."""
    timezone = icalendar.Timezone()
    timezone.add("tzid", tz_name)
    changes = _changes(tz_name, first_year, last_year)
    if not changes:  # one offset all along (Tokyo, Seoul)
        moment = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone(tz_name))
        standard = icalendar.TimezoneStandard()
        standard.add("dtstart", datetime(first_year, 1, 1))
        standard.add("tzname", moment.tzname())
        standard.add("tzoffsetfrom", moment.utcoffset())
        standard.add("tzoffsetto", moment.utcoffset())
        timezone.add_component(standard)
    # Summer time is the larger offset (Dublin's tzdata calls its winter the exception).
    for summer in (False, True):
        kind = [c for c in changes if (c.after > c.before) == summer]
        if not kind:
            continue
        observance = icalendar.TimezoneDaylight() if summer else icalendar.TimezoneStandard()
        observance.add("dtstart", kind[0].local)
        rule = _yearly_rule(kind)
        if rule:
            observance.add("rrule", rule)
        elif len(kind) > 1:
            observance.add("rdate", [c.local for c in kind[1:]])
        observance.add("tzname", kind[0].name)
        observance.add("tzoffsetfrom", kind[0].before)
        observance.add("tzoffsetto", kind[0].after)
        timezone.add_component(observance)
    return timezone.to_ical()


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
