"""The organisers' working timetable (Meeting.slot): applying runs, manual adjustments and review figures.

Nothing here touches Meeting.published_slot: participants see changes only when organisers publish.
"""
from __future__ import annotations

from collections import Counter

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from brokerage.events.models import Availability, Event, Participant, Slot
from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingRequest
from brokerage.meetings.services import room_link, started_slot, with_people
from brokerage.regions import REGIONS, region_pair
from brokerage.scheduling import solver_bridge
from brokerage.scheduling.models import ScheduleRun
from brokerage.timeutil import UTC, fmt_datetime, now_utc


class AdjustRefused(Exception):
    """Why a change to the timetable was not made, in words for the organiser."""


# What an organiser can do about a timetable over the limits; the solver keeps to them.
FIT_THE_LIMITS = "run the scheduler and apply its run, or move or unschedule meetings"


def limit_problems(event: Event) -> list[str]:
    """Where the working timetable breaks the event's room capacity or meeting limit per participant, in
    words for the organiser (the settings may lower either after scheduling). Slots that have begun are
    history: they hold what took place, and only a participant with a meeting still ahead can be helped."""
    join, now = solver_bridge.MeetingJoin.of(event), now_utc()
    rows = db.session.execute(join.select(Slot.start, MeetingRequest.requester_id, MeetingRequest.recipient_id)
                              .join(Slot, Meeting.slot_id == Slot.id).where(join.agreed(now)))
    per_slot, per_person, ahead = Counter(), Counter(), set()
    for start, *pair in rows:
        per_person.update(pair)
        if start > now:
            per_slot[start] += 1
            ahead.update(pair)
    problems = []
    if event.room_capacity is not None:
        if full := [(n, start) for start, n in per_slot.items() if n > event.room_capacity]:
            most, start = min(full, key=lambda f: (-f[0], f[1]))
            problems.append(f"{len(full)} slot(s) hold more than {event.room_capacity} meetings (most: {most} on "
                            f"{start.astimezone(UTC):%a %d %b %H:%M} UTC)")
    if event.max_meetings is not None:
        if over := [(n, p) for p, n in per_person.items() if n > event.max_meetings and p in ahead]:
            most, person = min(over, key=lambda o: (-o[0], o[1]))
            problems.append(f"{len(over)} participant(s) have more than {event.max_meetings} meetings (most: "
                            f"{db.session.get(Participant, person).organisation}, {most})")
    return problems


def begun_problems(event: Event) -> list[str]:
    """Meetings the working timetable puts in a slot that has begun without their being published there
    (a hand move or a re-approval made earlier): announced now, they would be invites for the past."""
    join, now = solver_bridge.MeetingJoin.of(event), now_utc()
    begun = sa.select(Slot.id).where(Slot.event_id == event.id, Slot.start <= now)
    rows = db.session.execute(join.select(Slot.start, join.requester.organisation, join.recipient.organisation)
                              .join(Slot, Meeting.slot_id == Slot.id)
                              .where(join.schedulable, Slot.start <= now,
                                     # One that took place where it was published stays there (effective_slot_id).
                                     sa.or_(Meeting.published_slot_id.is_(None),
                                            Meeting.published_slot_id.not_in(begun)),
                                     Meeting.published_slot_id.is_distinct_from(Meeting.slot_id))
                              .order_by(Slot.start, Meeting.id)).all()
    if not rows:
        return []
    start, a, b = rows[0]
    return [f"{len(rows)} meeting(s) are in a slot that has already begun and were never announced there "
            f"(first: {a} – {b}, {start.astimezone(UTC):%a %d %b %H:%M} UTC)"]


def publish_problems(event: Event) -> list[str]:
    """What stops publishing: limits the timetable breaks, and changes that would be announced too late."""
    return limit_problems(event) + begun_problems(event)


def apply_run(event: Event, run: ScheduleRun) -> tuple[int, int]:
    """Copy a succeeded run's timetable into Meeting.slot; returns (scheduled, unscheduled)."""
    if run.status != "succeeded" or not run.solution:
        raise AdjustRefused("Only a run that succeeded can be applied.")
    everything = solver_bridge.event_meetings(event)  # loaded once for the check and the update
    # Compared as of the run's start: slots beginning since are not a change of the organisers' data.
    current = solver_bridge.build_instance(event, now=run.created_at)
    if solver_bridge.comparable(current) != solver_bridge.comparable(run.instance):
        raise AdjustRefused("Meetings, availability or locks changed since this run started; "
                            "start a new run and apply that one.")
    placed, reasons = solver_bridge.db_assignments(run.instance, run.solution)
    scheduled = {m.id for m in solver_bridge.schedulable_meetings(event, everything)}
    now = now_utc()
    begun = {s.id for s in event.slots if s.start <= now}
    changes = []
    for meeting in everything:
        if held := started_slot(meeting):
            # It took place where it was published: the working timetable says so too (a hand move
            # made before it began and never published is history).
            if meeting.slot_id != held.id:
                changes.append({"id": meeting.id, "slot_id": held.id, "unscheduled_reason": "", "updated_at": now_utc()})
            continue
        if meeting.held_out:
            continue  # taken out by an organiser: the run did not consider it
        if meeting.id in scheduled:
            slot_id = placed.get(meeting.id)
            reason = "" if slot_id else reasons.get(meeting.id, "not scheduled")
            if slot_id in begun and slot_id != meeting.slot_id:
                slot_id, reason = None, "its slot began before the run was applied: run the solver again"
        elif not meeting.cancelled and meeting.slot_id is not None and not meeting.locked:
            # Meetings the run could not consider (a participant not approved) must not hold a slot either.
            slot_id, reason = None, "not scheduled: the request is not accepted or a participant is not approved"
        else:
            continue
        if (slot_id, reason) != (meeting.slot_id, meeting.unscheduled_reason):
            changes.append({"id": meeting.id, "slot_id": slot_id, "unscheduled_reason": reason, "updated_at": now_utc()})
    if changes:  # one UPDATE sent for many rows: a 2,000-person event changes thousands
        db.session.execute(sa.update(Meeting), changes)
    run.applied_at = now_utc()
    db.session.commit()
    return len(placed), len(reasons)


def working_meetings(event: Event) -> list[Meeting]:
    return db.session.scalars(db.select(Meeting).filter_by(event_id=event.id, cancelled=False)
                              .order_by(Meeting.id)).all()


def move_options(event: Event, meeting: Meeting) -> tuple[list[Slot], str]:
    """Slots both participants marked available, where neither has another meeting and a room is free;
    when there is none, why, in words for the organiser."""
    a, b = meeting.participants
    common = set(db.session.scalars(db.select(Availability.slot_id).filter_by(participant_id=a.id))) & set(
        db.session.scalars(db.select(Availability.slot_id).filter_by(participant_id=b.id)))
    # The two people's other scheduled meetings, and the meetings per slot, asked of the database:
    # loading a big event's every meeting made each move take seconds.
    join = solver_bridge.MeetingJoin.of(event)
    placed = join.select().where(join.schedulable, Meeting.id != meeting.id, Meeting.slot_id.is_not(None))
    theirs = db.session.execute(placed.add_columns(Meeting.slot_id, MeetingRequest.requester_id,
                                                   MeetingRequest.recipient_id).where(sa.or_(
        MeetingRequest.requester_id.in_((a.id, b.id)), MeetingRequest.recipient_id.in_((a.id, b.id))))).all()
    busy = {slot_id for slot_id, _, _ in theirs}
    full = set()
    if event.room_capacity is not None:
        full = set(db.session.scalars(placed.add_columns(Meeting.slot_id).group_by(Meeting.slot_id)
                                      .having(sa.func.count() >= event.room_capacity)))
    if meeting.slot_id is None and event.max_meetings is not None:
        counts = Counter(person for _, *pair in theirs for person in pair)
        at_limit = [p.organisation for p in (a, b) if counts[p.id] >= event.max_meetings]
        if at_limit:
            return [], (f"{' and '.join(at_limit)} already {'has' if len(at_limit) == 1 else 'have'} "
                        f"{event.max_meetings} meetings, the event's limit per participant: raise the limit "
                        "in the settings or unschedule one of those meetings first.")
    now = now_utc()  # a slot that has begun is history: nobody can meet there any more
    slots = [s for s in event.slots if s.id in common and s.id not in busy and s.id not in full
             and s.id != meeting.slot_id and s.start > now]
    if slots:
        return slots, ""
    if not common - {meeting.slot_id}:
        return [], ("There is no other slot both participants marked as available: ask them to widen "
                    "their availability.")
    return [], ("Every other slot both can make holds another meeting of one of them, or no room is "
                "free: unschedule a conflicting meeting first.")


def _refuse_if_started(meeting: Meeting) -> None:
    if slot := started_slot(meeting):
        raise AdjustRefused(f"This meeting started on {fmt_datetime(slot.start, 'UTC')} UTC: it took place, "
                            "so it stays in the timetable with its outcomes.")


def move(event: Event, meeting: Meeting, slot_id: int) -> Slot:
    _refuse_if_started(meeting)
    if not solver_bridge.is_schedulable(meeting):
        raise AdjustRefused("Only accepted meetings between approved participants can be placed.")
    options = {s.id: s for s in move_options(event, meeting)[0]}
    if slot_id not in options:
        a, b = meeting.participants
        raise AdjustRefused(f"That slot does not work for this meeting: {a.organisation} and {b.organisation} "
                            "must both be available, free of other meetings, within their meeting limit, "
                            "and a room must be free.")
    meeting.slot_id = slot_id
    meeting.unscheduled_reason = ""
    meeting.locked = True  # a hand-placed meeting stays where the organiser put it when the solver re-runs
    db.session.commit()
    return options[slot_id]


HELD_OUT = "taken out of the timetable by an organiser: runs leave it out"


def unschedule(meeting: Meeting) -> None:
    _refuse_if_started(meeting)
    meeting.slot_id = None
    meeting.locked = True  # locked out: re-runs leave it out until an organiser places or releases it
    meeting.unscheduled_reason = HELD_OUT
    db.session.commit()


def set_locked(meeting: Meeting, locked: bool) -> None:
    if locked and meeting.slot_id is None:
        raise AdjustRefused("Only a scheduled meeting can be locked.")
    meeting.locked = locked
    if not locked and meeting.slot_id is None:  # released: the next run may place it
        meeting.unscheduled_reason = "released by an organiser: the next run may place it"
    db.session.commit()


class Placed(NamedTuple):
    """A scheduled meeting as the review's figures and search need it (a few columns, not an object)."""
    id: int
    slot: Slot
    participants: tuple[Participant, Participant]


@dataclass
class Review:
    scheduled: list[Placed]  # in time order; load_meetings gives the objects of the ones shown
    unscheduled: list[Meeting]
    per_participant: list[tuple[Participant, int, int]]  # participant, scheduled, accepted
    stats: dict[str, float]
    regions: list[str]
    pair_counts: dict[str, int]
    pending_changes: int
    pending_ids: set[int]  # meetings whose slot, end or video link participants have not been told of
    over_limits: list[str]  # publish_problems: publishing is refused until there are none


def review(event: Event) -> Review:
    # Columns for the figures, objects only for the unscheduled list: a 2,000-person event has ~10,000
    # meetings, and the page shows 200 of the scheduled ones (load_meetings).
    people = {p.id: p for p in db.session.scalars(db.select(Participant).filter_by(event_id=event.id)
                                                  .order_by(Participant.organisation))}
    slots = {slot.id: slot for slot in event.slots}
    join = solver_bridge.MeetingJoin.of(event)
    scheduled, booked, accepted = [], Counter(), Counter()
    for meeting_id, slot_id, *pair in db.session.execute(join.select(
            Meeting.id, Meeting.slot_id, MeetingRequest.requester_id, MeetingRequest.recipient_id)
            .where(join.agreed(now_utc()))):
        for person in pair:
            accepted[person] += 1
            booked[person] += slot_id is not None
        if slot_id is not None:
            scheduled.append(Placed(meeting_id, slots[slot_id], (people[pair[0]], people[pair[1]])))
    scheduled.sort(key=lambda m: (m.slot.start, m.id))
    unscheduled = db.session.scalars(join.select(Meeting).where(join.schedulable, Meeting.slot_id.is_(None))
                                     .options(*with_people()).order_by(Meeting.id)).all()
    rows = [(p, booked[p.id], accepted[p.id]) for p in people.values() if p.is_approved]
    counts = [n for _, n, _ in rows] or [0]
    stats = {"min": min(counts), "avg": round(sum(counts) / len(counts), 1), "max": max(counts)}
    pairs = Counter(region_pair(*(p.country for p in m.participants)) for m in scheduled)
    pending = pending_change_ids(event)
    return Review(scheduled, unscheduled, rows, stats, [code for code, _ in REGIONS], dict(pairs),
                  len(pending), pending, publish_problems(event))


def load_meetings(placed: list[Placed]) -> list[Meeting]:
    """The meetings themselves, in the same order (a page of the scheduled table)."""
    found = {m.id: m for m in db.session.scalars(db.select(Meeting).where(Meeting.id.in_([p.id for p in placed]))
                                                 .options(*with_people()))}
    return [found[p.id] for p in placed]


def pending_change_ids(event: Event) -> set[int]:
    """Meetings that differ from what participants were last told: another slot, or in the same slot
    another end (a new slot length) or video link. Compared in SQL rows, not objects: the dashboard
    and settings ask this of events with thousands of meetings."""
    join, announced = solver_bridge.MeetingJoin.of(event), aliased(Slot)
    rows = db.session.execute(join.select(
        Meeting.id, Meeting.slot_id, join.schedulable, Meeting.cancelled, Meeting.published_slot_id,
        Meeting.published_end, Meeting.published_link, announced.start, announced.end, Meeting.uid,
        join.requester.video_link, join.recipient.video_link).outerjoin(announced, Meeting.published_slot_id == announced.id))
    changed, now = set(), now_utc()
    for meeting_id, slot_id, schedulable, cancelled, published_id, published_end, published_link, start, end, uid, \
            *links in rows:
        if published_id is not None and not cancelled and start <= now:
            continue  # it took place as announced (started_slot), whoever left the event since
        now_there = slot_id if schedulable else None
        if now_there != published_id:
            changed.add(meeting_id)
        elif published_id is not None and published_end is not None and (  # None: announced before these were recorded
                end != published_end or room_link(event, meeting_id, uid, *links) != published_link):
            changed.add(meeting_id)
    return changed


def meeting_figures(event: Event) -> dict[str, int]:
    """The dashboard's counts of the timetable, from the database."""
    join = solver_bridge.MeetingJoin.of(event)
    total, scheduled = db.session.execute(join.select(sa.func.count(), sa.func.count(Meeting.slot_id))
                                          .where(join.agreed(now_utc()))).one()
    published = db.session.scalar(sa.select(sa.func.count()).where(
        Meeting.event_id == event.id, Meeting.published_slot_id.is_not(None)))
    return {"total": total, "scheduled": scheduled, "unscheduled": total - scheduled, "published": published,
            "changed": len(pending_change_ids(event))}


def effective_slot_id(meeting: Meeting) -> int | None:
    """The slot participants should see: where it took place once it started; otherwise none for
    cancelled or no-longer-accepted meetings or a participant no longer approved."""
    if started_slot(meeting):
        return meeting.published_slot_id
    return meeting.slot_id if solver_bridge.is_schedulable(meeting) else None
