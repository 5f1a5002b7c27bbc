"""Re-check a solution against its instance without the solver.

Deliberately a plain reading of the spec's rules, sharing no code with the
CP-SAT model, so that a modelling mistake cannot hide itself.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from .instance import LEVELS, Instance, Solution


def participant_slots(instance: Instance, assignments: dict[str, str]) -> dict[str, list[int]]:
    """Each participant's scheduled slot indices, sorted in time."""
    out: dict[str, list[int]] = {p.id: [] for p in instance.participants}
    for mid, sid in assignments.items():
        for p in instance.meeting_by_id[mid].participants:
            out[p].append(instance.slot_index[sid])
    for slots in out.values():
        slots.sort()
    return out


def breaks_of(instance: Instance, slots: list[int]) -> int:
    """Breaks in one participant's sorted slot indices (pairs consecutive in
    time, same session, not adjacent)."""
    sessions = [s.session for s in instance.slots]
    prev = instance.previous_in_session
    count = 0
    for a, b in zip(slots, slots[1:], strict=False):
        if sessions[a] == sessions[b] and prev[b] != a and a != b:
            count += 1
    return count


def participant_breaks(instance: Instance, assignments: dict[str, str]) -> dict[str, int]:
    return {p: breaks_of(instance, s)
            for p, s in participant_slots(instance, assignments).items()}


def evaluate(instance: Instance, assignments: dict[str, str]) -> dict[str, int]:
    """Every objective level of the given assignments."""
    weight = kept = preferred = 0
    people = instance.participant_by_id
    for mid, sid in assignments.items():
        m = instance.meeting_by_id[mid]
        weight += m.weight
        kept += m.previous_slot == sid
        preferred += sum(people[p].prefers(sid) for p in m.participants)
    breaks = sum(participant_breaks(instance, assignments).values())
    return {"weight": weight, "kept": kept, "breaks": breaks, "preferred": preferred}


def _check_ids(instance: Instance, solution: Solution) -> list[str]:
    problems = []
    known = instance.meeting_by_id
    for mid in list(solution.assignments) + list(solution.unscheduled):
        if mid not in known:
            problems.append(f"meeting {mid!r} is not in the instance")
    for mid in solution.assignments.keys() & solution.unscheduled.keys():
        problems.append(f"meeting {mid!r} is both scheduled and unscheduled")
    for mid in known:
        if mid not in solution.assignments and mid not in solution.unscheduled:
            problems.append(f"meeting {mid!r} is missing from the solution")
    for mid, sid in solution.assignments.items():
        if sid not in instance.slot_by_id:
            problems.append(f"meeting {mid!r} is in unknown slot {sid!r}")
    for mid, reason in solution.unscheduled.items():
        if not reason.strip():
            problems.append(f"meeting {mid!r} is unscheduled without a reason")
    return problems


def _check_meetings(instance: Instance, assignments: dict[str, str]) -> list[str]:
    problems = []
    people = instance.participant_by_id
    for m in instance.meetings:
        sid = assignments.get(m.id)
        if sid is None:
            if m.required or m.fixed_slot is not None:
                problems.append(f"required meeting {m.id!r} is not scheduled")
            continue
        for p in m.participants:
            if not people[p].can_meet(sid):
                problems.append(f"meeting {m.id!r} in {sid}: {p} is not available")
        if m.allowed_slots is not None and sid not in m.allowed_slots:
            problems.append(f"meeting {m.id!r} in {sid}: not among its allowed slots")
        if m.fixed_slot is not None and sid != m.fixed_slot:
            problems.append(f"meeting {m.id!r} in {sid}: locked to {m.fixed_slot}")
        for a in m.after:
            if a in assignments and instance.slot_index[assignments[a]] >= instance.slot_index[sid]:
                problems.append(f"meeting {m.id!r} in {sid} must come after "
                                f"{a!r} in {assignments[a]}")
    return problems


def _check_people_and_slots(instance: Instance, assignments: dict[str, str]) -> list[str]:
    problems = []
    per_slot = Counter(assignments.values())
    for sid, n in per_slot.items():
        cap = instance.slot_by_id[sid].capacity
        if cap is not None and n > cap:
            problems.append(f"slot {sid} holds {n} meetings, capacity {cap}")
    busy: dict[tuple[str, str], list[str]] = defaultdict(list)
    count: Counter[str] = Counter()
    for mid, sid in assignments.items():
        for p in instance.meeting_by_id[mid].participants:
            busy[p, sid].append(mid)
            count[p] += 1
    for (p, sid), mids in busy.items():
        if len(mids) > 1:
            problems.append(f"{p} has {len(mids)} meetings in {sid}: {', '.join(mids)}")
    for p in instance.participants:
        if p.max_meetings is not None and count[p.id] > p.max_meetings:
            problems.append(f"{p.id} has {count[p.id]} meetings, cap {p.max_meetings}")
    d = instance.max_break_difference
    if d is not None and instance.participants:
        breaks = participant_breaks(instance, assignments)
        lo, hi = min(breaks, key=breaks.get), max(breaks, key=breaks.get)
        if breaks[hi] - breaks[lo] > d:
            problems.append(f"fairness: {hi} has {breaks[hi]} breaks, {lo} has {breaks[lo]}, "
                            f"more than {d} apart")
    return problems


def validate(instance: Instance, solution: Solution) -> list[str]:
    """Human-readable violations of the spec's rules; [] when valid."""
    problems = _check_ids(instance, solution)
    if solution.instance_name and instance.name and solution.instance_name != instance.name:
        problems.insert(0, f"the solution is for instance {solution.instance_name!r}, "
                           f"not {instance.name!r}")
    if problems:
        return problems
    assignments = solution.assignments
    if solution.status in ("INFEASIBLE", "UNKNOWN") and assignments:
        problems.append(f"an {solution.status} solution must not assign meetings")
    if solution.status in ("INFEASIBLE", "UNKNOWN"):
        return problems
    problems += _check_meetings(instance, assignments)
    problems += _check_people_and_slots(instance, assignments)
    actual = evaluate(instance, assignments)
    for level in LEVELS:
        if level in solution.objective and solution.objective[level] != actual[level]:
            problems.append(f"objective {level} is {solution.objective[level]}, "
                            f"recomputed {actual[level]}")
    return problems + _check_bounds(solution, actual)


def _check_bounds(solution: Solution, actual: dict[str, int]) -> list[str]:
    """A proven bound cannot be beaten by the solution's own schedule, and an
    OPTIMAL one has nothing left between bound and value."""
    problems = []
    for level in LEVELS:
        if level not in solution.bound:
            continue
        bound, value = solution.bound[level], actual[level]
        beaten = bound > value if level == "breaks" else bound < value
        if beaten:
            side = "above" if level == "breaks" else "below"
            problems.append(f"bound {level} {bound} is {side} the schedule's own {value}")
        elif solution.status == "OPTIMAL" and bound != value:
            problems.append(f"an OPTIMAL solution's bound {level} {bound} differs from its value {value}")
    return problems
