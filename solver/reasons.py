"""Why a meeting is not in the timetable, in words an organiser can act on."""
from __future__ import annotations

from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from .instance import Instance, Meeting, Participant
from .validate import participant_breaks

_MAX_LISTED = 3


def local_hours(instance: Instance, person: Participant, slots: list[int] | None = None) -> str:
    """The participant's available time as local clock ranges, e.g. '09:00-12:00'."""
    tz = ZoneInfo(person.timezone)
    if slots is None:
        slots = [i for i, s in enumerate(instance.slots) if person.can_meet(s.id)]
    ranges: list[list] = []
    for i in slots:
        s = instance.slots[i]
        if ranges and ranges[-1][1] == s.start:
            ranges[-1][1] = s.end
        else:
            ranges.append([s.start, s.end])
    if not ranges:
        return "no slot"
    local = [(a.astimezone(tz), b.astimezone(tz)) for a, b in ranges]
    # The event's days, not the person's: "15:00-15:15" alone is ambiguous in a two-day event.
    several_days = instance.days_by_zone[person.timezone] > 1
    texts = [(a.strftime("%b %d ") if several_days else "") + f"{a:%H:%M}-{b:%H:%M}"
             for a, b in local]
    if len(texts) > _MAX_LISTED:
        texts = texts[:_MAX_LISTED] + [f"{len(texts) - _MAX_LISTED} more"]
    return ", ".join(texts)


def _who(instance: Instance, pid: str) -> str:
    person = instance.participant_by_id[pid]
    return f"{pid} ({person.timezone}, available {local_hours(instance, person)} local)"


def no_candidate_reason(instance: Instance, m: Meeting) -> str:
    """Why a meeting has no slot at all, before any other meeting is placed."""
    a, b = (instance.participant_by_id[p] for p in m.participants)
    if m.fixed_slot is not None:
        s = instance.slot_by_id[m.fixed_slot]
        for p in (a, b):
            if not p.can_meet(s.id):
                return f"locked slot {s.id} is outside the availability of {_who(instance, p.id)}"
        if m.allowed_slots is not None and s.id not in m.allowed_slots:
            return f"locked slot {s.id} is not among the meeting's allowed slots"
        return f"locked slot {s.id} has capacity 0"
    common = [i for i, s in enumerate(instance.slots) if a.can_meet(s.id) and b.can_meet(s.id)]
    if not common:
        return f"{_who(instance, a.id)} and {_who(instance, b.id)} share no available slot"
    if m.allowed_slots is not None and not any(instance.slots[i].id in m.allowed_slots
                                               for i in common):
        hours = local_hours(instance, a, common)
        return (f"none of its allowed slots is available to both {a.id} and {b.id} "
                f"(common: {hours} {a.timezone})")
    return f"every slot both {a.id} and {b.id} can make has capacity 0"


class _Timetable:
    """Who is where in a given set of assignments."""

    def __init__(self, instance: Instance, assignments: dict[str, str]):
        self.instance = instance
        self.slot_of = {m: instance.slot_index[s] for m, s in assignments.items()}
        self.occupant: dict[tuple[str, int], str] = {}
        self.count: Counter[str] = Counter()
        self.load: Counter[int] = Counter(self.slot_of.values())
        for mid, s in self.slot_of.items():
            for p in instance.meeting_by_id[mid].participants:
                self.occupant[p, s] = mid
                self.count[p] += 1
        self.followers: dict[str, list[str]] = defaultdict(list)
        for m in instance.meetings:
            for a in m.after:
                self.followers[a].append(m.id)

    def blockers(self, m: Meeting, s: int) -> list[tuple[str, str]]:
        """(kind, detail) of what stops `m` from using slot index `s`."""
        out = []
        for p in m.participants:
            other = self.occupant.get((p, s))
            if other is not None:
                locked = self.instance.meeting_by_id[other].fixed_slot is not None
                out.append(("locked" if locked else "taken", other))
        cap = self.instance.slots[s].capacity
        if cap is not None and self.load[s] >= cap:
            out.append(("capacity", ""))
        for a in m.after:
            if a in self.slot_of and self.slot_of[a] >= s:
                out.append(("order", f"must come after {a}"))
        for f in self.followers[m.id]:
            if f in self.slot_of and self.slot_of[f] <= s:
                out.append(("order", f"must come before {f}"))
        return out


def _cap_reason(instance: Instance, table: _Timetable, m: Meeting) -> str | None:
    full = [p for p in m.participants
            if instance.participant_by_id[p].max_meetings is not None
            and table.count[p] >= instance.participant_by_id[p].max_meetings]
    if not full:
        return None
    return " and ".join(f"{p} is at their cap of {instance.participant_by_id[p].max_meetings}"
                        f" meeting{'' if instance.participant_by_id[p].max_meetings == 1 else 's'}" for p in full)


def _taken_reason(instance: Instance, m: Meeting, others: list[str], n: int) -> str:
    weights = [instance.meeting_by_id[o].weight for o in others]
    if all(w > m.weight for w in weights):
        kind = "higher-weight meetings"
    elif all(w >= m.weight for w in weights):
        kind = "meetings of equal or higher weight"
    else:
        kind = "other meetings"
    a, b = m.participants
    return f"every slot both can make ({n}) is taken by {kind} of {a} or {b}"


def _summarise(instance: Instance, m: Meeting, per_slot: dict[int, list[tuple[str, str]]]) -> str:
    n = len(per_slot)
    ids = [s.id for s in instance.slots]
    kinds = {s: {k for k, _ in b} for s, b in per_slot.items()}
    locked = [(d, ids[s]) for s, b in per_slot.items() for k, d in b if k == "locked"]
    if all("locked" in k for k in kinds.values()):
        listed = ", ".join(f"{d} in {s}" for d, s in locked[:_MAX_LISTED])
        return f"conflicts with locked meeting{'s' if len(locked) > 1 else ''} {listed}"
    if all(k == {"capacity"} for k in kinds.values()):
        return (f"slot capacity reached in {ids[next(iter(per_slot))]}, the only common slot"
                if n == 1 else f"slot capacity reached in all {n} common slots")
    if all(k <= {"taken", "locked"} for k in kinds.values()):
        others = [d for b in per_slot.values() for k, d in b if k in ("taken", "locked")]
        return _taken_reason(instance, m, others, n)
    if all(k == {"order"} for k in kinds.values()):
        orders = sorted({d for b in per_slot.values() for k, d in b if k == "order"})
        return f"no common slot keeps the required order ({'; '.join(orders)})"
    tally = Counter()
    for k in kinds.values():
        tally["taken by other meetings of " + " or ".join(m.participants)
              if k & {"taken", "locked"} else
              "at capacity" if "capacity" in k else "out of the required order"] += 1
    parts = ", ".join(f"{c} {what}" for what, c in tally.most_common())
    return f"of the {n} slots both can make: {parts}"


def _free_reason(instance: Instance, m: Meeting, assignments: dict[str, str], s: int) -> str:
    sid = instance.slots[s].id
    d = instance.max_break_difference
    if d is not None:
        trial = dict(assignments)
        trial[m.id] = sid
        breaks = participant_breaks(instance, trial).values()
        if max(breaks) - min(breaks) > d:
            return (f"{sid} is free for both, but holding it there would exceed the allowed "
                    f"break difference of {d}")
    return (f"{sid} is free for both but the search stopped before placing it; "
            f"a longer time limit may schedule it")


def explain_unscheduled(instance: Instance, assignments: dict[str, str]) -> dict[str, str]:
    """A reason for every meeting of the instance that has no slot."""
    table = _Timetable(instance, assignments)
    out = {}
    for m in instance.meetings:
        if m.id in assignments:
            continue
        candidates = instance.candidates[m.id]
        if not candidates:
            out[m.id] = no_candidate_reason(instance, m)
            continue
        cap = _cap_reason(instance, table, m)
        if cap:
            out[m.id] = cap
            continue
        per_slot = {s: table.blockers(m, s) for s in candidates}
        free = [s for s, b in per_slot.items() if not b]
        out[m.id] = (_free_reason(instance, m, assignments, free[0]) if free
                     else _summarise(instance, m, per_slot))
    return out


def explain_infeasible(instance: Instance) -> str | None:
    """A plain contradiction among the hard constraints, if there is one to name."""
    must = [m for m in instance.meetings if m.must_hold]
    for m in must:
        if not instance.candidates[m.id]:
            return f"required meeting {m.id} cannot be held: {no_candidate_reason(instance, m)}"
    seen: dict[tuple[str, str], str] = {}
    per_slot: Counter[str] = Counter()
    for m in must:
        if m.fixed_slot is None:
            continue
        per_slot[m.fixed_slot] += 1
        for p in m.participants:
            other = seen.setdefault((p, m.fixed_slot), m.id)
            if other != m.id:
                return f"locked meetings {other} and {m.id} both need {p} in {m.fixed_slot}"
    for sid, n in per_slot.items():
        cap = instance.slot_by_id[sid].capacity
        if cap is not None and n > cap:
            return f"{n} meetings are locked in {sid}, which holds only {cap}"
    fixed = {m.id: instance.slot_index[m.fixed_slot] for m in must if m.fixed_slot}
    for m in must:
        for a in m.after:
            if m.id in fixed and a in fixed and fixed[a] >= fixed[m.id]:
                return (f"locked meeting {m.id} in {m.fixed_slot} must come after "
                        f"{a}, locked in {instance.slots[fixed[a]].id}")
    return _crowded_participant(instance, must)


def _crowded_participant(instance: Instance, must: list[Meeting]) -> str | None:
    needed: dict[str, list[Meeting]] = defaultdict(list)
    for m in must:
        for p in m.participants:
            needed[p].append(m)
    for p, meetings in needed.items():
        cap = instance.participant_by_id[p].max_meetings
        if cap is not None and len(meetings) > cap:
            return f"{p} has {len(meetings)} required meetings but a cap of {cap}"
        usable = set().union(*(instance.candidates[m.id] for m in meetings))
        if len(usable) < len(meetings):
            return (f"{p} has {len(meetings)} required meetings but only {len(usable)} "
                    f"slots to hold them")
    return None
