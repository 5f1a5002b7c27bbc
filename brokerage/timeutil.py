"""The one place that converts times. The database holds UTC; zones apply at the edges."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import pytz
import sqlalchemy as sa

UTC = timezone.utc


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in and out, stored naive-UTC so SQLite and PostgreSQL behave alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


# A form sent twice within this time (a double click, a resent request) is taken as one.
DOUBLE_SUBMIT = timedelta(minutes=2)


def now_utc() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_timezone(name: str | None) -> bool:
    return bool(name) and name in _zone_names()


def is_place_timezone(name: str | None) -> bool:
    """A zone a participant can live in: pytz's curated list, or an older name of a place
    (Asia/Calcutta). Not a fixed offset such as EST or Etc/GMT+5: those ignore summer time, so
    a New York participant given EST would see everything an hour off from March to November."""
    return is_valid_timezone(name) and (name in pytz.common_timezones_set or (
        "/" in name and not name.startswith(("Etc/", "SystemV/"))))


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # 'localtime' is the server's own zone, not one a participant lives in (the solver refuses it).
    return frozenset(available_timezones()) - {"localtime"}


def to_local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(zone(tz_name))


def local_to_utc(day: date, clock: time, tz_name: str) -> datetime:
    """A wall-clock time in a zone as UTC (a time in a DST gap moves forward, as clocks do)."""
    local = datetime.combine(day, clock, tzinfo=zone(tz_name))
    return local.astimezone(UTC)


def fmt_time(moment: datetime, tz_name: str, mark_repeated: bool = True) -> str:
    """mark_repeated=False where the page names each time's offset itself (the availability grid)."""
    return _clock(moment, tz_name, "%H:%M") if mark_repeated else to_local(moment, tz_name).strftime("%H:%M")


def fmt_datetime(moment: datetime, tz_name: str) -> str:
    return _clock(moment, tz_name, "%a %d %b %Y, %H:%M")


def _clock(moment: datetime, tz_name: str, pattern: str) -> str:
    """The local time; in the hour that happens twice when clocks go back, with its offset, since
    '02:30' alone could be either."""
    local = to_local(moment, tz_name)
    text = local.strftime(pattern)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += f" ({_offset_text(moment, tz_name)})"
    return text


def fmt_day(moment: datetime, tz_name: str) -> str:
    return to_local(moment, tz_name).strftime("%a %d %b %Y")


def fmt_their_time(moment: datetime, their_tz: str, my_tz: str) -> str:
    """A partner's clock beside mine: with their day when it is not mine (Tokyo's Thursday morning is
    Los Angeles' Wednesday afternoon)."""
    if to_local(moment, their_tz).date() == to_local(moment, my_tz).date():
        return fmt_time(moment, their_tz)
    return fmt_datetime(moment, their_tz)


@dataclass(frozen=True)
class Span:
    """From an event's first meeting to its last: a zone's UTC offset may change in between."""
    start: datetime
    end: datetime


def utc_offset(moment: datetime, tz_name: str) -> str:
    """'UTC-08:00': tells apart the two 01:30s of the night the clocks go back."""
    return _offset_text(moment, tz_name)


def _offset_text(moment: datetime, tz_name: str) -> str:
    offset = to_local(moment, tz_name).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def zone_label(tz_name: str, at: datetime | Span | None = None) -> str:
    """'Asia/Tokyo (UTC+09:00)': the offset at the given moment, since it changes with DST.
    Over a span that a clock change cuts: 'Europe/Brussels (UTC+01:00; UTC+02:00 from Sun 28 Mar)'."""
    if isinstance(at, Span):
        before, after = _offset_text(at.start, tz_name), _offset_text(at.end, tz_name)
        if before == after:
            return f"{tz_name} ({before})"
        low, high = at.start, at.end  # find the change to the minute
        while high - low > timedelta(minutes=1):
            middle = low + (high - low) / 2
            low, high = (middle, high) if _offset_text(middle, tz_name) == before else (low, middle)
        return f"{tz_name} ({before}; {after} from {to_local(high, tz_name).strftime('%a %d %b')})"
    return f"{tz_name} ({_offset_text(at or now_utc(), tz_name)})"


def timezone_choices(country: str | None = None) -> list[tuple[str, str]]:
    """pytz's curated zones, the country's own first so an Osaka SME finds Asia/Tokyo at the top."""
    common = [z for z in pytz.common_timezones if z in _zone_names()]
    first = [z for z in pytz.country_timezones.get((country or "").upper(), []) if z in _zone_names()]
    rest = [z for z in common if z not in first]
    return [(z, z.replace("_", " ")) for z in first + rest]


@lru_cache(maxsize=1)
def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, name) in alphabetical order as a reader expects it: Åland Islands with the A's."""
    def key(choice: tuple[str, str]) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", choice[1]) if not unicodedata.combining(c)).casefold()
    return tuple(sorted(pytz.country_names.items(), key=key))


WORKING_DAY = (time(9), time(18))  # on each person's own clock: suggestions, "my working hours", preferred slots


@lru_cache(maxsize=65536)  # thousands of participants share a handful of zones
def in_working_day(start: datetime, end: datetime, tz_name: str) -> bool:
    start, end = to_local(start, tz_name), to_local(end, tz_name)
    return start.date() == end.date() and WORKING_DAY[0] <= start.time() and end.time() <= WORKING_DAY[1]


def working_hours_utc(day: date, tz_name: str, start: time = WORKING_DAY[0],
                      end: time = WORKING_DAY[1]) -> tuple[datetime, datetime]:
    return local_to_utc(day, start, tz_name), local_to_utc(day, end, tz_name)


def event_span(event) -> Span:
    """The event's meeting time, for the UTC offsets printed beside zone names (DST then may differ from today's)."""
    if event.windows:
        return Span(min(w.start for w in event.windows), max(w.end for w in event.windows))
    return Span(datetime.combine(event.start_date, time(12), tzinfo=UTC),
                datetime.combine(event.end_date, time(12), tzinfo=UTC))