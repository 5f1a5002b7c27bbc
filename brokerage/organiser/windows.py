"""Meeting windows: the rules they follow, the standard three, and how they look around the world."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from brokerage.events.models import Event, MeetingWindow
from brokerage.regions import REGION_ZONES
from brokerage.timeutil import UTC, Span, local_to_utc, to_local, zone_label


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    anchor_zone: str  # the clock the window is set by, so it follows that region's summer time
    start: time
    end: time
    why: str


PRESETS = (
    Preset("asia-europe", "Asia-Europe", "Europe/Brussels", time(8), time(11),
           "European morning, Japanese and Korean late afternoon"),
    Preset("europe-americas", "Europe-Americas", "America/New_York", time(9), time(12),
           "US East Coast morning, European afternoon"),
    Preset("americas-asia", "Americas-Asia", "America/Los_Angeles", time(15), time(18),
           "US West Coast afternoon, Japanese and Korean next morning (crosses midnight UTC)"),
)
PRESETS_BY_KEY = {preset.key: preset for preset in PRESETS}


def event_days(event: Event) -> list[date]:
    return [event.start_date + timedelta(days=n) for n in range((event.end_date - event.start_date).days + 1)]


def on_event_day(moment: datetime, start_date: date, end_date: date, tz_name: str) -> bool:
    """A window starts on an event day in UTC or on the event's own clock: a Tokyo event's first morning
    starts the day before in UTC, a Brussels event's US West Coast session just after midnight there."""
    return start_date <= moment.date() <= end_date or start_date <= to_local(moment, tz_name).date() <= end_date


def preset_windows(event: Event, preset: Preset) -> list[tuple[datetime, datetime, date]]:
    """The preset on each event day as its anchor region counts days, so that region meets on the event's
    dates (its weekdays); with the day, on the anchor's clock."""
    return [(local_to_utc(day, preset.start, preset.anchor_zone), local_to_utc(day, preset.end, preset.anchor_zone), day)
            for day in event_days(event)]


def window_clocks(event: Event) -> list[tuple[str, str]]:
    """The clocks a window may be typed on: the event's own first, then UTC and the regions'."""
    zones = dict.fromkeys((event.timezone, "UTC", *REGION_ZONES))
    span = Span(datetime.combine(event.start_date, time(12), UTC), datetime.combine(event.end_date, time(12), UTC))
    return [(tz_name, "UTC" if tz_name == "UTC" else zone_label(tz_name, span) + (", the event's" if tz_name == event.timezone else ""))
            for tz_name in zones]


class SkippedTime(ValueError):
    """A time the clock skips; `which` is "start" or "end"."""

    def __init__(self, which: str, message: str):
        super().__init__(message)
        self.which = which


def typed_times(day: date, start: time, end: time, next_day: bool, tz_name: str) -> tuple[datetime, datetime]:
    """A window typed on a clock, in UTC; SkippedTime names a time the clock skips (clocks going forward).
    A time that happens twice (clocks going back) is its first pass."""
    times = []
    for which, when, clock in (("start", day, start), ("end", day + timedelta(days=1 if next_day else 0), end)):
        moment = local_to_utc(when, clock, tz_name)
        if to_local(moment, tz_name).replace(tzinfo=None) != datetime.combine(when, clock):
            raise SkippedTime(which, f"{clock:%H:%M} on {when:%d %b %Y} does not exist in {tz_name}: its clocks go "
                                     "forward then. Choose another time.")
        times.append(moment)
    return times[0], times[1]


def clock_times(window: MeetingWindow, tz_name: str) -> tuple[date, time, time, bool] | None:
    """A window as the form shows it on a clock; None where the form could not give it back: its end two days
    after its start there, or a time in the second pass of an hour the clock repeats (typed_times reads the first)."""
    start, end = to_local(window.start, tz_name), to_local(window.end, tz_name)
    days = (end.date() - start.date()).days
    if days > 1 or start.fold or end.fold:
        return None
    return start.date(), start.time(), end.time(), days == 1


def window_problem(event: Event, start: datetime, end: datetime, ignore: MeetingWindow | None = None) -> str | None:
    """Why this window cannot be saved, or None. Times are UTC."""
    if end <= start:
        return "The window must end after it starts (tick 'ends on the next day' for a window past midnight)."
    if end - start > timedelta(hours=24):
        return "A window lasts at most 24 hours."
    if not on_event_day(start, event.start_date, event.end_date, event.timezone):
        local = to_local(start, event.timezone)
        return (f"The window must start on an event day, {event.start_date:%d %b %Y} to {event.end_date:%d %b %Y}, "
                f"in UTC or on the event's clock ({event.timezone}: it starts {local:%a %d %b %H:%M} there); "
                "change the event dates in the settings first.")
    if end - start < timedelta(minutes=event.slot_minutes):
        return f"The window is shorter than one {event.slot_minutes}-minute meeting."
    for other in event.windows:
        if other is not ignore and other.id != getattr(ignore, "id", None) and other.start < end and start < other.end:
            local_start, local_end = to_local(other.start, event.timezone), to_local(other.end, event.timezone)
            return (f"It overlaps '{other.label}' ({other.start:%d %b %H:%M}–{other.end:%H:%M} UTC, "
                    f"{local_start:%d %b %H:%M}–{local_end:%H:%M} {event.timezone}).")
    return None


def local_view(moment: datetime, tz_name: str, reference: date) -> dict:
    """A moment on a zone's clock, with the day shift against the UTC day it belongs to."""
    local = to_local(moment, tz_name)
    return {"time": local.strftime("%H:%M"), "day": local.strftime("%a %d %b"),
            "shift": (local.date() - reference).days, "zone": zone_label(tz_name, moment)}


def event_zones(event: Event) -> tuple[str, ...]:
    """The regions' clocks, and the event's own where it is none of them (an Oslo event shows Oslo)."""
    return REGION_ZONES if event.timezone in REGION_ZONES else (*REGION_ZONES, event.timezone)


def window_table(window: MeetingWindow, zones=REGION_ZONES) -> list[dict]:
    reference = window.start.date()
    # Over the whole window: a clock change inside it gives the end another offset than the start.
    return [{"zone": tz_name, "label": zone_label(tz_name, Span(window.start, window.end)),
             "start": local_view(window.start, tz_name, reference), "end": local_view(window.end, tz_name, reference)}
            for tz_name in zones]
