"""The web app's one door to the solver: the database as a brokerage-instance/1 dict, and a solution back.

Ids in the instance are readable (organisation names, UTC slot times) because the solver's
unscheduled reasons quote them to the organiser; each item also carries its database id ("db_id").
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased

import solver
from solver import InputError  # noqa: F401  (callers catch it from here)

from brokerage.events.models import Availability, Event, Participant, Slot
from brokerage.extensions import db
from brokerage.meetings import services
from brokerage.meetings.models import Meeting, MeetingRequest
from brokerage.timeutil import UTC, in_working_day, now_utc


def slot_key(slot: Slot) -> str:
    return slot.start.astimezone(UTC).strftime("%a %d %b %H:%M UTC")


def participant_key(participant: Participant) -> str:
    return f"{participant.organisation} (#{participant.id})"


def meeting_key(meeting_id: int) -> str:
    return f"m{meeting_id}"


def event_meetings(event: Event) -> list[Meeting]:
    """Every meeting of the event with both people and slots, in a few queries; pages that need both the
    schedulable meetings and the unpublished changes load them once."""
    return db.session.scalars(db.select(Meeting).filter_by(event_id=event.id)
                              .options(*services.with_people()).order_by(Meeting.id)).all()


def is_schedulable(meeting: Meeting) -> bool:
    """Accepted, not cancelled, between two approved participants: what a run timetables."""
    return (not meeting.cancelled and meeting.request.status == "accepted"
            and all(p.status == "approved" for p in meeting.participants))


def schedulable_meetings(event: Event, meetings: list[Meeting] | None = None) -> list[Meeting]:
    return [m for m in (event_meetings(event) if meetings is None else meetings) if is_schedulable(m)]


class MeetingJoin(NamedTuple):
    """An event's meetings joined in SQL with their request (as MeetingRequest) and both participants:
    pages of a big event count and compare there instead of loading every meeting."""
    event_id: int
    requester: type[Participant]
    recipient: type[Participant]

    @classmethod
    def of(cls, event: Event) -> MeetingJoin:
        return cls(event.id, aliased(Participant), aliased(Participant))

    @property
    def schedulable(self) -> sa.ColumnElement[bool]:
        """is_schedulable, as a condition."""
        return sa.and_(Meeting.cancelled.is_(False), MeetingRequest.status == "accepted",
                       self.requester.status == "approved", self.recipient.status == "approved")

    def agreed(self, now: datetime) -> sa.ColumnElement[bool]:
        """What the organisers' timetable lists: the schedulable meetings, and those that took place
        where they were published (services.started_slot) whoever left the event since."""
        started = Meeting.published_slot_id.in_(sa.select(Slot.id).where(Slot.event_id == self.event_id,
                                                                        Slot.start <= now))
        return sa.or_(self.schedulable, sa.and_(Meeting.cancelled.is_(False), MeetingRequest.status == "accepted",
                                                started))

    def select(self, *columns) -> sa.Select:
        return (sa.select(*columns).select_from(Meeting)
                .join(MeetingRequest, Meeting.request_id == MeetingRequest.id)
                .join(self.requester, MeetingRequest.requester_id == self.requester.id)
                .join(self.recipient, MeetingRequest.recipient_id == self.recipient.id)
                .where(Meeting.event_id == self.event_id))


def build_instance(event: Event, now: datetime | None = None) -> dict:
    """The event as a brokerage-instance/1 dict at `now` (default: the present)."""
    slots = list(event.slots)
    slot_ids = {slot.id: slot_key(slot) for slot in slots}
    slot_by_id = {slot.id: slot for slot in slots}
    people = {p.id: p for p in db.session.scalars(db.select(Participant).filter_by(event_id=event.id, status="approved")
                                                  .order_by(Participant.id))}
    available: dict[int, set[int]] = {p: set() for p in people}
    # Two id columns, not objects: an event of 2,000 people has ~80,000 marks.
    for participant_id, slot_id in db.session.execute(db.select(Availability.participant_id, Availability.slot_id)
                                                      .where(Availability.participant_id.in_(available))):
        if slot_id in slot_ids:
            available[participant_id].add(slot_id)
    meetings = []
    # During the event, slots that have begun are history: meetings that started stay where they were
    # held (whatever was unticked since), the others may only go to slots still ahead, a lock in a
    # slot that has begun included.
    now = now or now_utc()
    ahead = [slot_ids[s.id] for s in slots if s.start > now]
    begun = {s.id for s in slots if s.start <= now}
    join = MeetingJoin.of(event)
    # Columns, not objects: a 2,000-person event has ~10,000 meetings (loading them took seconds).
    rows = db.session.execute(join.select(
        Meeting.id, MeetingRequest.requester_id, MeetingRequest.recipient_id, MeetingRequest.weight, Meeting.locked,
        Meeting.slot_id, Meeting.published_slot_id).where(join.schedulable).order_by(Meeting.id))
    for meeting_id, requester, recipient, weight, locked, slot_id, published_id in rows:
        if published_id in begun:  # it started where it was published (services.started_slot): it stays
            fixed = published_id
            for person in (requester, recipient):
                available[person].add(fixed)
        elif locked and slot_id is None:
            continue  # taken out by an organiser: left out until placed or released
        elif locked and slot_id in slot_ids and slot_id not in begun:
            fixed = slot_id
        else:
            fixed = None
        meetings.append({
            "id": meeting_key(meeting_id), "db_id": meeting_id,
            "participants": [participant_key(people[requester]), participant_key(people[recipient])],
            # What took place cannot be dropped: were a limit lowered since, the run says it cannot hold.
            "weight": max(1, weight or 1), "required": published_id in begun,
            "allowed_slots": ahead if fixed is None and begun else None,
            "fixed_slot": slot_ids[fixed] if fixed is not None else None, "after": [],
            # Published meetings stay put unless moving them lets more (or weightier) meetings happen.
            "previous_slot": slot_ids.get(published_id) if event.timetable_published else None,
        })
    by_slot_order = {slot.id: i for i, slot in enumerate(slots)}

    def slot_list(ids) -> list[str]:
        return [slot_ids[i] for i in sorted(ids, key=by_slot_order.__getitem__)]

    participants = [{
        "id": participant_key(p), "db_id": p.id, "timezone": p.timezone,
        # No availability marked means no slot: the solver's reasons then say so.
        "available": slot_list(available[p.id]),
        "preferred": slot_list(i for i in available[p.id] if in_working_day(slot_by_id[i].start, slot_by_id[i].end, p.timezone)),
        "max_meetings": event.max_meetings,
    } for p in people.values()]
    return {
        "format": "brokerage-instance/1",
        "name": event.name,
        "slots": [{"id": slot_ids[s.id], "db_id": s.id, "start": _rfc3339(s.start), "end": _rfc3339(s.end),
                   # A slot that has begun holds what took place, whatever the rooms are now.
                   "session": f"window-{s.window_id}", "capacity": None if s.id in begun else event.room_capacity}
                  for s in slots],
        "participants": participants,
        "meetings": meetings,
    }


def _rfc3339(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hint_from_database(instance: dict) -> dict[str, str]:
    """The working timetable as a starting point, so a re-run begins from what the organiser has."""
    slot_keys = {s["db_id"]: s["id"] for s in instance["slots"]}
    ids = [m["db_id"] for m in instance["meetings"]]
    slots = dict(db.session.execute(db.select(Meeting.id, Meeting.slot_id).where(Meeting.id.in_(ids))).all())
    return {m["id"]: slot_keys[slots[m["db_id"]]] for m in instance["meetings"] if slots.get(m["db_id"]) in slot_keys}


def db_assignments(instance: dict, solution: dict) -> tuple[dict[int, int], dict[int, str]]:
    """A stored solution as {meeting db id: slot db id} and {meeting db id: reason}."""
    slots = {s["id"]: s["db_id"] for s in instance["slots"]}
    meetings = {m["id"]: m["db_id"] for m in instance["meetings"]}
    placed = {meetings[a["meeting"]]: slots[a["slot"]] for a in solution.get("assignments", [])}
    reasons = {meetings[u["meeting"]]: u["reason"] for u in solution.get("unscheduled", [])}
    return placed, reasons


def comparable(instance: dict) -> dict:
    """The parts of an instance that decide whether a run still fits the database."""
    return {key: instance.get(key) for key in ("slots", "participants", "meetings")}


def check_instance(instance: dict) -> None:
    """Raises InputError with one line naming the item at fault."""
    solver.instance_from_dict(instance, source="event")


def run_solver(instance: dict, *, time_limit: float, workers: int, hint: dict[str, str] | None,
               on_progress: Callable[[dict], None], stop: threading.Event) -> tuple[dict, list[str]]:
    """Solve; returns the solution as brokerage-solution/1 data and any validation problems."""
    problem = solver.instance_from_dict(instance, source="event")
    solution = solver.solve(problem, time_limit=time_limit, workers=workers, on_progress=on_progress,
                            stop=stop, hint=hint or None)
    problems = solver.validate(problem, solution) if solution.status in ("OPTIMAL", "FEASIBLE") else []
    return solver.solution_to_dict(solution), problems
