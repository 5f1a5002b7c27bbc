"""Meeting windows cut into slots. Rebuilding keeps slots (and the availability on them) that still fit."""
from __future__ import annotations

from datetime import datetime, timedelta

from brokerage.events.models import Event, MeetingWindow, Slot
from brokerage.extensions import db


def slot_times(window: MeetingWindow, slot_minutes: int, pause_minutes: int) -> list[tuple[datetime, datetime]]:
    length, step = timedelta(minutes=slot_minutes), timedelta(minutes=slot_minutes + pause_minutes)
    times, start = [], window.start
    while start + length <= window.end:
        times.append((start, start + length))
        start += step
    return times


def rebuild_slots(event: Event) -> None:
    existing = {(slot.window_id, slot.start, slot.end): slot for slot in event.slots}
    wanted: set[tuple] = set()
    for window in event.windows:
        if window.id is None:
            db.session.flush()
        for start, end in slot_times(window, event.slot_minutes, event.pause_minutes):
            key = (window.id, start, end)
            wanted.add(key)
            if key not in existing:
                event.slots.append(Slot(window=window, start=start, end=end))
    for key, slot in existing.items():
        if key not in wanted:
            db.session.delete(slot)
    db.session.flush()
