"""Meeting windows cut into slots. Rebuilding keeps slots (and the availability on them) that still fit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from brokerage.events.models import Availability, Event, MeetingWindow, Slot
from brokerage.extensions import db


@dataclass
class RebuildResult:
    slots: int  # how many slots the event has now
    added: int
    removed: int
    meetings_unslotted: int  # meetings whose (working or published) slot disappeared
    people_unmarked: int = 0  # participants who had marked a slot that disappeared


class PublishedMeetingsInTheWay(Exception):
    """A change would remove slots that hold published meetings: participants' calendars still show them."""


def slot_times(window: MeetingWindow, slot_minutes: int, pause_minutes: int) -> list[tuple[datetime, datetime]]:
    length, step = timedelta(minutes=slot_minutes), timedelta(minutes=slot_minutes + pause_minutes)
    times, start = [], window.start
    while start + length <= window.end:
        times.append((start, start + length))
        start += step
    return times


def rebuild_slots(event: Event) -> RebuildResult:
    """Make the event's slots match its windows, slot length and pause.

    A slot is kept when a slot still starts at the same moment (its end follows the new length), so
    participants' availability and meetings placed there survive a change of slot length. Slots that
    no longer exist take their availability with them and leave their meetings unscheduled.
    """
    from brokerage.meetings.models import Meeting  # meetings depend on events, not the other way round

    wanted: dict[datetime, tuple[MeetingWindow, datetime]] = {}
    for window in event.windows:
        for start, end in slot_times(window, event.slot_minutes, event.pause_minutes):
            wanted[start] = (window, end)

    gone, unslotted, unmarked = [], 0, 0
    # No autoflush: a deleted window must not be flushed before its slots are marked for deletion too.
    with db.session.no_autoflush:
        for slot in list(event.slots):
            if slot.start in wanted:
                slot.window, slot.end = wanted.pop(slot.start)
            else:
                gone.append(slot)
        ids = [slot.id for slot in gone if slot.id is not None]
        if ids:
            published = db.session.scalars(db.select(Meeting).where(
                Meeting.published_slot_id.in_(ids), Meeting.cancelled.is_(False))).all()
            if published:
                first = published[0]
                a, b = first.participants
                raise PublishedMeetingsInTheWay(
                    f"{len(published)} published meeting(s) sit in slots this change would remove (for example "
                    f"{a.organisation} with {b.organisation}, {first.published_slot.start:%d %b %H:%M} UTC). "
                    "Move or unschedule them and publish the changes first, so participants are told.")
            unslotted = db.session.scalar(db.select(db.func.count(Meeting.id)).where(
                Meeting.slot_id.in_(ids) | Meeting.published_slot_id.in_(ids), Meeting.cancelled.is_(False)))
            unmarked = db.session.scalar(db.select(db.func.count(db.distinct(Availability.participant_id)))
                                         .where(Availability.slot_id.in_(ids)))
            # Explicit, because SQLite does not enforce the ON DELETE rules of the foreign keys.
            db.session.execute(db.delete(Availability).where(Availability.slot_id.in_(ids)))
            # A lock held the meeting in a slot that is gone: the solver may place it anywhere now.
            db.session.execute(db.update(Meeting).where(Meeting.slot_id.in_(ids)).values(slot_id=None, locked=False))
            # Participants' calendars hold the old time under this UID: its next announcement must outrank it.
            db.session.execute(db.update(Meeting).where(Meeting.published_slot_id.in_(ids))
                               .values(published_slot_id=None, sequence=Meeting.sequence + 1))
        for slot in gone:
            event.slots.remove(slot)
    # Deletes go out before the inserts below, which may reuse a start time (unique per event).
    db.session.flush()
    for start, (window, end) in sorted(wanted.items()):
        event.slots.append(Slot(window=window, start=start, end=end))
    db.session.flush()
    return RebuildResult(slots=len(event.slots), added=len(wanted), removed=len(gone), meetings_unslotted=unslotted,
                         people_unmarked=unmarked)
