"""First come, first served: what self-booking yields.

Meetings are booked in instance order, each into the earliest slot both
participants can still make. Locked meetings are booked first (they are
already in everybody's calendar), then required ones, then the rest.
"""
from __future__ import annotations

import time
from collections import Counter

from .instance import Instance, Meeting, Solution
from .reasons import explain_unscheduled
from .validate import evaluate, participant_breaks


def booking_order(instance: Instance) -> list[Meeting]:
    def rank(m: Meeting) -> int:
        return 0 if m.fixed_slot is not None else 1 if m.required else 2
    return sorted(instance.meetings, key=rank)  # stable: keeps request order


class Bookings:
    """Bookings made so far and the checks a new booking must pass."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.busy: dict[str, set[int]] = {p.id: set() for p in instance.participants}
        self.count: Counter[str] = Counter()
        self.load: Counter[int] = Counter()
        self.slot_of: dict[str, int] = {}
        self.followers: dict[str, list[str]] = {}
        for m in instance.meetings:
            for a in m.after:
                self.followers.setdefault(a, []).append(m.id)

    def at_cap(self, m: Meeting) -> bool:
        people = self.instance.participant_by_id
        return any(people[p].max_meetings is not None
                   and self.count[p] >= people[p].max_meetings for p in m.participants)

    def fits(self, m: Meeting, s: int) -> bool:
        cap = self.instance.slots[s].capacity
        if cap is not None and self.load[s] >= cap:
            return False
        if any(s in self.busy[p] for p in m.participants):
            return False
        if any(a in self.slot_of and self.slot_of[a] >= s for a in m.after):
            return False
        return not any(f in self.slot_of and self.slot_of[f] <= s
                       for f in self.followers.get(m.id, ()))

    def book(self, m: Meeting, s: int) -> None:
        self.slot_of[m.id] = s
        self.load[s] += 1
        for p in m.participants:
            self.busy[p].add(s)
            self.count[p] += 1


def _compact_key(book: Bookings, m: Meeting, s: int) -> tuple[int, int]:
    """Prefer slots next to a participant's existing meetings (fewer breaks)."""
    neighbours = (book.instance.previous_in_session[s], book.instance.next_in_session[s])
    touching = sum(n is not None and n in book.busy[p]
                   for p in m.participants for n in neighbours)
    return (-touching, s)


def greedy_assignments(instance: Instance, compact: bool = False) -> dict[str, str]:
    """Bookings in FCFS order; `compact` picks slots next to booked ones first."""
    book = Bookings(instance)
    for m in booking_order(instance):
        if book.at_cap(m):
            continue
        options = [s for s in instance.candidates[m.id] if book.fits(m, s)]
        if options:
            best = min(options, key=lambda s: _compact_key(book, m, s)) if compact else options[0]
            book.book(m, best)
    ids = [s.id for s in instance.slots]
    return {m.id: ids[book.slot_of[m.id]] for m in instance.meetings if m.id in book.slot_of}


def fair(instance: Instance, assignments: dict[str, str]) -> bool:
    d = instance.max_break_difference
    if d is None or not instance.participants:
        return True
    breaks = participant_breaks(instance, assignments).values()
    return max(breaks) - min(breaks) <= d


def greedy(instance: Instance) -> Solution:
    """The FCFS baseline as a solution; UNKNOWN when it misses a required
    meeting or breaks fairness (FCFS cannot repair either)."""
    start = time.perf_counter()
    assignments = greedy_assignments(instance)
    missing = [m.id for m in instance.meetings if m.must_hold and m.id not in assignments]
    status = "FEASIBLE"
    if missing:
        status = "UNKNOWN"
        note = f"first-come-first-served could not place required meeting {missing[0]}"
    elif not fair(instance, assignments):
        status = "UNKNOWN"
        note = (f"first-come-first-served breaks fairness "
                f"(max break difference {instance.max_break_difference})")
    if status == "UNKNOWN":
        return Solution(status, {}, {m.id: note for m in instance.meetings}, {}, {},
                        time.perf_counter() - start, instance.name)
    return Solution(status, assignments, explain_unscheduled(instance, assignments),
                    evaluate(instance, assignments), {}, time.perf_counter() - start,
                    instance.name)
