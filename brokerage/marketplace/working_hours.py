"""Which of an event's slots fall within both participants' working day (09:00-18:00 on their own clocks)."""
from __future__ import annotations

from dataclasses import dataclass, field

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
