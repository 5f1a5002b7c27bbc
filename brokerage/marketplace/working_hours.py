"""Which of an event's slots fall within both participants' working day (09:00-18:00 on their own clocks)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from brokerage import timeutil
from brokerage.events.models import MeetingWindow, Slot


def within_working_hours(slot: Slot, tz_name: str) -> bool:
    return timeutil.in_working_day(slot.start, slot.end, tz_name)


@dataclass
class SharedBlock:
    """The shared slots of one meeting window on one day (the viewer's day)."""

    window: MeetingWindow
    day: str
    slots: list[Slot] = field(default_factory=list)


def shared_working_slots(slots: list[Slot], viewer_zone: str, other_zone: str) -> list[SharedBlock]:
    blocks: list[SharedBlock] = []
    for slot in sorted(slots, key=lambda s: s.start):
        if not (within_working_hours(slot, viewer_zone) and within_working_hours(slot, other_zone)):
            continue
        day = timeutil.fmt_day(slot.start, viewer_zone)
        if not blocks or blocks[-1].window.id != slot.window_id or blocks[-1].day != day:
            blocks.append(SharedBlock(window=slot.window, day=day))
        blocks[-1].slots.append(slot)
    return blocks


def _outside_working_day(start: datetime, end: datetime, tz_name: str) -> timedelta:
    """How far a slot reaches outside the nearest working day on one clock: 07:00-07:20 is 2 hours early,
    00:15-00:35 is 6 h 35 late."""
    start, end = timeutil.to_local(start, tz_name), timeutil.to_local(end, tz_name)

    def outside(day) -> timedelta:
        day_start, day_end = (datetime.combine(day, t, start.tzinfo) for t in timeutil.WORKING_DAY)
        return max(day_start - start, timedelta()) + max(end - day_end, timedelta())

    return min(outside(start.date()), outside(start.date() - timedelta(days=1)))


def least_unusual_slot(slots: list[Slot], zone_a: str, zone_b: str) -> Slot | None:
    """Where two people with no shared working hours come closest: the slot that takes the one further out
    least far outside their working day (then both together; the earliest of equals)."""
    def cost(slot: Slot) -> tuple[timedelta, timedelta]:
        a, b = (_outside_working_day(slot.start, slot.end, zone) for zone in (zone_a, zone_b))
        return max(a, b), a + b

    return min(sorted(slots, key=lambda s: s.start), default=None, key=cost)
