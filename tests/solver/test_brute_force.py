"""The solver against exhaustive search on tiny random events."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Solution, solve, validate
from solver.validate import evaluate
from tests.solver.builders import assert_valid, make, slot_ids


@st.composite
def tiny_events(draw):
    n_slots = draw(st.integers(1, 4))
    slots = slot_ids(n_slots)
    people = [f"p{i}" for i in range(draw(st.integers(2, 4)))]
    subset = st.lists(st.sampled_from(slots), unique=True)
    extras = {}
    for p in people:
        extra = {}
        if draw(st.booleans()):
            extra["available"] = draw(subset)
        if draw(st.booleans()):
            extra["preferred"] = [s for s in draw(subset) if s in extra.get("available", slots)]
        if draw(st.integers(0, 3)) == 0:
            extra["max_meetings"] = draw(st.integers(0, 2))
        extras[p] = extra
    meetings = []
    for i in range(draw(st.integers(1, 5))):
        a, b = draw(st.lists(st.sampled_from(people), min_size=2, max_size=2, unique=True))
        extra = {"weight": draw(st.integers(1, 3)), "required": draw(st.integers(0, 4)) == 0}
        if draw(st.integers(0, 3)) == 0:
            extra["allowed_slots"] = draw(subset)
        if draw(st.integers(0, 5)) == 0:
            extra["fixed_slot"] = draw(st.sampled_from(slots))
        if draw(st.integers(0, 2)) == 0:
            extra["previous_slot"] = draw(st.sampled_from(slots))
        if i and draw(st.integers(0, 4)) == 0:
            extra["after"] = [f"r{draw(st.integers(0, i - 1))}"]
        meetings.append((f"r{i}", a, b, extra))
    sessions = draw(st.lists(st.sampled_from(["am", "pm"]), min_size=n_slots, max_size=n_slots))
    capacity = draw(st.sampled_from([None, 1, 2]))
    fairness = draw(st.sampled_from([None, 0, 1]))
    return make(n_slots, meetings, people=extras, capacity=capacity, sessions=sessions, fairness=fairness)


def brute_force_best(inst) -> tuple | None:
    best = None
    choices = [None] + [s.id for s in inst.slots]
    ids = [m.id for m in inst.meetings]
    for combo in itertools.product(choices, repeat=len(ids)):
        assignments = {m: s for m, s in zip(ids, combo, strict=True) if s is not None}
        rest = {m: "-" for m in ids if m not in assignments}
        if validate(inst, Solution("FEASIBLE", assignments, rest, {}, {}, 0, "")):
            continue
        o = evaluate(inst, assignments)
        key = (o["weight"], o["kept"], -o["breaks"], o["preferred"])
        best = key if best is None or key > best else best
    return best


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_events())
def test_solver_matches_exhaustive_search(inst) -> None:
    sol = solve(inst, time_limit=10, workers=1)
    assert_valid(inst, sol)
    best = brute_force_best(inst)
    if best is None:
        assert sol.status == "INFEASIBLE"
        return
    o = sol.objective
    assert sol.status == "OPTIMAL"
    assert (o["weight"], o["kept"], -o["breaks"], o["preferred"]) == best
