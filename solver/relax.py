"""The LP relaxation of the weight level: a proven upper bound and, rounded,
a near-optimal timetable.

On realistic events the requests are nearly bipartite (SMEs meet technology
developers), so the LP optimum is almost integral: rounding it loses next to
nothing, and the LP value bounds what any timetable can reach.
"""
from __future__ import annotations

import math

from ortools.linear_solver import pywraplp

from .greedy import Bookings, booking_order
from .instance import Instance

Key = tuple[str, int]  # (meeting id, slot index)


class Relaxation:
    """max sum(weight x) over 0 <= x <= 1 with every linear rule of the spec
    (one slot per meeting, one meeting per person and slot, caps, capacity)."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.x: dict[Key, pywraplp.Variable] = {}
        self.rows: list[tuple[pywraplp.Constraint, float, list[Key]]] = []
        at: dict[tuple[str, int], list[Key]] = {}
        per_slot: dict[int, list[Key]] = {}
        per_person: dict[str, list[Key]] = {}
        for m in instance.meetings:
            keys = [(m.id, s) for s in instance.candidates[m.id]]
            for key in keys:
                self.x[key] = self.lp.NumVar(0.0, 1.0, "")
                per_slot.setdefault(key[1], []).append(key)
                for p in m.participants:
                    at.setdefault((p, key[1]), []).append(key)
                    per_person.setdefault(p, []).append(key)
            self._row(keys, 1)
        for keys in at.values():
            self._row(keys, 1)
        for p in instance.participants:
            if p.max_meetings is not None:
                self._row(per_person.get(p.id, []), p.max_meetings)
        for s, keys in per_slot.items():
            if instance.slots[s].capacity is not None:
                self._row(keys, instance.slots[s].capacity)
        objective = self.lp.Objective()
        for key, v in self.x.items():
            objective.SetCoefficient(v, self.weight(key))
        objective.SetMaximization()

    def weight(self, key: Key) -> int:
        return self.instance.meeting_by_id[key[0]].weight

    def _row(self, keys: list[Key], bound: int) -> None:
        if len(keys) <= bound:
            return
        c = self.lp.Constraint(-self.lp.infinity(), float(bound))
        for key in keys:
            c.SetCoefficient(self.x[key], 1.0)
        self.rows.append((c, float(bound), keys))

    def solve(self, time_limit: float) -> bool:
        self.lp.SetTimeLimit(max(1, int(time_limit * 1000)))
        return self.lp.Solve() == pywraplp.Solver.OPTIMAL

    def upper_bound(self) -> int:
        """A bound valid for any non-negative duals (Lagrangian), so floating
        point noise in the LP cannot make it unsound."""
        profit = {key: float(self.weight(key)) for key in self.x}
        total = 0.0
        for c, bound, keys in self.rows:
            y = max(0.0, c.dual_value())
            if y:
                total += y * bound
                for key in keys:
                    profit[key] -= y
        total += sum(p for p in profit.values() if p > 0)
        return math.floor(total + 1e-6)

    def rounded(self) -> dict[str, str]:
        """Book slots in decreasing LP value, then fill first come, first served."""
        inst = self.instance
        value = {key: v.solution_value() for key, v in self.x.items()}
        book = Bookings(inst)
        for m in booking_order(inst):  # locked meetings first, in their slot
            if m.fixed_slot is not None and inst.candidates[m.id]:
                s = inst.candidates[m.id][0]
                if book.fits(m, s) and not book.at_cap(m):
                    book.book(m, s)
        ranked = sorted((k for k in value if value[k] > 1e-6),
                        key=lambda k: (-value[k], -self.weight(k)))
        for mid, s in ranked + [(m.id, s) for m in booking_order(inst)
                                for s in inst.candidates[m.id]]:
            m = inst.meeting_by_id[mid]
            if mid not in book.slot_of and not book.at_cap(m) and book.fits(m, s):
                book.book(m, s)
        return {m.id: inst.slots[book.slot_of[m.id]].id for m in inst.meetings
                if m.id in book.slot_of}


def relax(instance: Instance, time_limit: float) -> tuple[dict[str, str], int] | None:
    """(rounded timetable, proven weight bound), or None if the LP did not solve."""
    relaxation = Relaxation(instance)
    if not relaxation.solve(time_limit):
        return None
    return relaxation.rounded(), relaxation.upper_bound()
