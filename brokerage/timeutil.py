"""The one place that converts times. The database holds UTC; zones apply at the edges."""
from __future__ import annotations

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


def now_utc() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_timezone(name: str | None) -> bool:
    return bool(name) and name in _zone_names()


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


def fmt_time(moment: datetime, tz_name: str) -> str:
    return to_local(moment, tz_name).strftime("%H:%M")


def fmt_datetime(moment: datetime, tz_name: str) -> str:
    return to_local(moment, tz_name).strftime("%a %d %b %Y, %H:%M")


def fmt_day(moment: datetime, tz_name: str) -> str:
    return to_local(moment, tz_name).strftime("%a %d %b %Y")


def zone_label(tz_name: str, at: datetime | None = None) -> str:
    """'Asia/Tokyo (UTC+09:00)': the offset at the given moment, since it changes with DST."""
    offset = to_local(at or now_utc(), tz_name).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{tz_name} (UTC{sign}{hours:02d}:{mins:02d})"


def timezone_choices(country: str | None = None) -> list[tuple[str, str]]:
    """pytz's curated zones, the country's own first so an Osaka SME finds Asia/Tokyo at the top."""
    common = [z for z in pytz.common_timezones if z in _zone_names()]
    first = [z for z in pytz.country_timezones.get((country or "").upper(), []) if z in _zone_names()]
    rest = [z for z in common if z not in first]
    return [(z, z.replace("_", " ")) for z in first + rest]


def country_choices() -> list[tuple[str, str]]:
    return sorted(((code, name) for code, name in pytz.country_names.items()), key=lambda c: c[1])


def working_hours_utc(day: date, tz_name: str, start: time = time(9), end: time = time(17)) -> tuple[datetime, datetime]:
    return local_to_utc(day, start, tz_name), local_to_utc(day, end, tz_name)


def event_moment(event) -> datetime:
    """A moment on the event, for the UTC offsets printed beside zone names (DST then may differ from today's)."""
    if event.windows:
        return event.windows[0].start
    return datetime.combine(event.start_date, time(12), tzinfo=UTC)
