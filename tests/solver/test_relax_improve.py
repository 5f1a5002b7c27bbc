"""LP rounding with its proven bound, and break-removing local moves."""
from __future__ import annotations

import time

from solver.greedy import greedy_assignments
from solver.improve import fewer_breaks
from solver.relax import relax
from solver.validate import evaluate
from tests.solver.builders import assert_valid, make
from solver import Solution


def as_solution(inst, assignments):
    rest = {m.id: "-" for m in inst.meetings if m.id not in assignments}
    return Solution("FEASIBLE", assignments, rest, evaluate(inst, assignments), {}, 0, "")


def test_rounded_lp_is_valid_and_bound_is_an_upper_bound() -> None:
    # An odd cycle a-b-c with one common slot: LP says 1.5 x weight, only one meeting fits.
    inst = make(1, [("r1", "a", "b", {"weight": 2}), ("r2", "b", "c", {"weight": 2}), ("r3", "a", "c", {"weight": 2})])
    rounded, upper = relax(inst, 5)
    assert_valid(inst, as_solution(inst, rounded))
    assert evaluate(inst, rounded)["weight"] == 2 and upper == 3


def test_rounding_reaches_the_bound_on_bipartite_requests() -> None:
    meetings = [(f"r{i}{j}", f"sme{i}", f"dev{j}", {"weight": 1 + (i + j) % 3}) for i in range(6) for j in range(4)]
    inst = make(4, meetings, capacity=5, people={"dev0": {"max_meetings": 2}})
    rounded, upper = relax(inst, 5)
    assert_valid(inst, as_solution(inst, rounded))
    assert evaluate(inst, rounded)["weight"] == upper
    assert evaluate(inst, greedy_assignments(inst))["weight"] <= upper


def test_fewer_breaks_moves_meetings_without_losing_any() -> None:
    inst = make(4, [("r1", "a", "b"), ("r2", "a", "c", {"previous_slot": "s3"})])
    spread = {"r1": "s0", "r2": "s3"}
    assert evaluate(inst, spread)["breaks"] == 1
    packed = fewer_breaks(inst, spread, time.perf_counter() + 5)
    assert_valid(inst, as_solution(inst, packed))
    # r2 stays in its previous slot, so r1 moves next to it.
    assert packed == {"r1": "s2", "r2": "s3"} and evaluate(inst, packed)["breaks"] == 0


def test_fewer_breaks_result_stays_valid_under_fairness() -> None:
    meetings = [(f"r{i}", f"p{i % 4}", f"q{i % 5}", {"previous_slot": f"s{i % 6}"} if i % 7 == 0 else {})
                for i in range(18)]
    inst = make(6, meetings, capacity=3, fairness=1)
    start = greedy_assignments(inst)
    if not validate_fair(inst, start):
        start = {}
    packed = fewer_breaks(inst, start, time.perf_counter() + 5)
    assert_valid(inst, as_solution(inst, packed))
    assert set(packed) == set(start)
    assert evaluate(inst, packed)["breaks"] <= evaluate(inst, start)["breaks"]
    assert evaluate(inst, packed)["kept"] >= evaluate(inst, start)["kept"]


def validate_fair(inst, assignments) -> bool:
    from solver.greedy import fair
    return fair(inst, assignments)
