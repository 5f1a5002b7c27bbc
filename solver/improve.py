"""Local moves that remove breaks without touching the higher levels.

Used on events too big for CP-SAT to minimise breaks within the time limit:
each move takes one held meeting to another slot both participants can make,
keeping it in its previous slot if it is there, and is accepted only when it
strictly lowers the two participants' breaks (and keeps fairness).
"""
from __future__ import annotations

import time
from collections import Counter

from .instance import Instance
from .validate import breaks_of


def fewer_breaks(instance: Instance, assignments: dict[str, str], deadline: float) -> dict[str, str]:
    inst = instance
    slot_of = {m: inst.slot_index[s] for m, s in assignments.items()}
    taken: dict[str, set[int]] = {p.id: set() for p in inst.participants}
    load: Counter[int] = Counter(slot_of.values())
    for mid, s in slot_of.items():
        for p in inst.meeting_by_id[mid].participants:
            taken[p].add(s)
    followers: dict[str, list[str]] = {}
    for m in inst.meetings:
        for a in m.after:
            followers.setdefault(a, []).append(m.id)

    def cost(p: str) -> int:
        return breaks_of(inst, sorted(taken[p]))

    brk = {p: cost(p) for p in taken}
    spread = Counter(brk.values())  # how many participants have each break count
    d = inst.max_break_difference

    def fair_after(changes: dict[str, int]) -> bool:
        if d is None:
            return True
        trial = spread.copy()
        for p, new in changes.items():
            trial[brk[p]] -= 1
            trial[new] += 1
        counts = [k for k, n in trial.items() if n > 0]
        return max(counts) - min(counts) <= d

    def in_order(mid: str, s: int) -> bool:
        m = inst.meeting_by_id[mid]
        return all(slot_of.get(a, -1) < s for a in m.after) and all(
            f not in slot_of or slot_of[f] > s for f in followers.get(mid, ()))

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for mid in list(slot_of):
            m = inst.meeting_by_id[mid]
            here = slot_of[mid]
            if m.previous_slot == inst.slots[here].id or m.fixed_slot is not None:
                continue
            a, b = m.participants
            before = brk[a] + brk[b]
            if before == 0:
                continue
            for s in inst.candidates[mid]:
                cap = inst.slots[s].capacity
                if s == here or s in taken[a] or s in taken[b] or (
                        cap is not None and load[s] >= cap) or not in_order(mid, s):
                    continue
                for p in (a, b):
                    taken[p].discard(here)
                    taken[p].add(s)
                after = {a: cost(a), b: cost(b)}
                if sum(after.values()) < before and fair_after(after):
                    for p, new in after.items():
                        spread[brk[p]] -= 1
                        spread[new] += 1
                        brk[p] = new
                    slot_of[mid] = s
                    load[here] -= 1
                    load[s] += 1
                    improved = True
                    break
                for p in (a, b):
                    taken[p].discard(s)
                    taken[p].add(here)
            if time.perf_counter() > deadline:
                break
    ids = [s.id for s in inst.slots]
    return {m: ids[s] for m, s in slot_of.items()}
