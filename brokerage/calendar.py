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
    summer: bool  # a DAYLIGHT onset

    @property
    def local(self) -> datetime:
        """The onset as RFC 5545 writes it: the local time just before the change (02:00 for
        Berlin's spring change, 03:00 for its autumn one), read with TZOFFSETFROM."""
        return (self.at + self.before).replace(tzinfo=None)


def _changes(tz_name: str, first_year: int, last_year: int) -> list[_Change]:
    """The zone's changes in those years, from zoneinfo: of offset, and of summer time or name at an
    unchanged offset (Greenland's move to -02 in 2023), which readers need to tell standard from
    summer time. Each day compared with the next, the instant found by bisection to the second."""
    tz = zone(tz_name)

    def state(moment: datetime) -> tuple:
        local = moment.astimezone(tz)
        return local.utcoffset(), local.dst(), local.tzname()

    changes, day = [], datetime(first_year, 1, 1, tzinfo=UTC)
    while day.year <= last_year:
        after = day + timedelta(days=1)
        if state(day) != state(after):
            low, high = 0, 86_400  # seconds into the day: the old state at low, the new at high
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if state(day + timedelta(seconds=middle)) == state(day) else (low, middle)
            at = day + timedelta(seconds=high)
            (before, was_dst, _), (offset, dst, name) = state(day), state(at)
            # Summer time as tzdata has it; Dublin's is the end of its winter's negative one.
            changes.append(_Change(at, before, offset, name, dst > timedelta(0) or (not dst and was_dst < timedelta(0))))
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
    """The zone's rules in those years as Outlook, Google and Apple read them. A zone that changes
    clocks by a yearly rule gets what Google writes: one STANDARD and one DAYLIGHT observance, each
    with an RRULE (Outlook misreads lists of dates and keeps one pair per zone). Any other zone (a
    new offset, summer time abolished, Morocco's Ramadan) gets its exact history: the offset at the
    start, then one observance per kind of change, with the dates it happened."""
    timezone = icalendar.Timezone()
    timezone.add("tzid", tz_name)
    changes = _changes(tz_name, first_year, last_year)
    groups = [[c for c in changes if c.summer == summer] for summer in (False, True)]
    # A rule only where it held every year of the range: without an end it also claims the years after.
    every_year = set(range(first_year, last_year + 1))
    rules = [_yearly_rule(group) if {c.at.year for c in group} == every_year else None for group in groups]
    if changes and all(rules[k] or not groups[k] for k in (0, 1)):
        for group, rule in zip(groups, rules):
            if group:
                timezone.add_component(_observance(group, rule))
        return timezone.to_ical()
    moment = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone(tz_name))
    opening = _Change(datetime(first_year, 1, 1, tzinfo=UTC) - moment.utcoffset(), moment.utcoffset(),
                      moment.utcoffset(), moment.tzname(), moment.dst() > timedelta(0))  # from 1 January, 00:00
    kinds: dict[tuple, list[_Change]] = {}
    for change in [opening, *changes]:
        kinds.setdefault((change.before, change.after, change.name, change.summer), []).append(change)
    for group in kinds.values():
        timezone.add_component(_observance(group, None))
    return timezone.to_ical()


def _observance(changes: list[_Change], rule: dict | None) -> icalendar.Component:
    """One STANDARD or DAYLIGHT block for changes of one kind: the first as DTSTART, the rest by
    `rule` or as RDATEs (onsets are read with TZOFFSETFROM, so all share it)."""
    first = changes[0]
    observance = icalendar.TimezoneDaylight() if first.summer else icalendar.TimezoneStandard()
    observance.add("dtstart", first.local)
    if rule:
        observance.add("rrule", rule)
    elif len(changes) > 1:
        observance.add("rdate", [c.local for c in changes[1:]])
    observance.add("tzname", first.name)
    observance.add("tzoffsetfrom", first.before)
    observance.add("tzoffsetto", first.after)
    return observance


def _cn(name: str) -> str:
    """A name for a CN parameter: its double quotes would be written as RFC 6868's ^', which vobject and
    node-ical show as such."""
    return name.replace('"', "'")


def _ambiguous(local: datetime) -> bool:
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _event(entry: CalendarEntry, method: str | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", now_utc())
    start, end = (moment.astimezone(zone(entry.timezone)) for moment in (entry.start, entry.end))
    if _ambiguous(start) or _ambiguous(end):
        # The hour around clocks going back shows the same local times twice. RFC 5545 reads such a time as
        # the first, Thunderbird's ical.js as the second: written locally, a meeting there would move an hour
        # in some calendar. UTC is read alike everywhere.
        start, end = entry.start.astimezone(UTC), entry.end.astimezone(UTC)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", entry.summary)
    event.add("description", entry.description)
    if entry.url and not any(c.isspace() for c in entry.url):  # one saved before links were checked for it
        event.add("location", entry.url)
        event.add("url", entry.url)
    cancelled = entry.cancelled or method == "CANCEL"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{entry.organizer.email}")
    organizer.params["cn"] = icalendar.vText(_cn(entry.organizer.name))
    event.add("organizer", organizer)
    for person in entry.attendees:
        attendee = icalendar.vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = icalendar.vText(_cn(person.name))
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("ACCEPTED")
        event.add("attendee", attendee)
    return event
