"""The first-come-first-served baseline."""
from __future__ import annotations

from solver import greedy
from tests.solver.builders import assert_valid, make


def test_books_in_request_order_into_the_earliest_free_slot() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c"), ("r3", "b", "c"), ("r4", "a", "d", {"weight": 9}),
                    ("r5", "a", "e", {"weight": 9})])
    sol = greedy(inst)
    assert_valid(inst, sol)
    # r5 is heavy but asked last: first come, first served leaves it out.
    assert sol.assignments == {"r1": "s0", "r2": "s1", "r3": "s2", "r4": "s2"}
    assert sol.status == "FEASIBLE" and "r5" in sol.unscheduled


def test_locked_then_required_meetings_go_first() -> None:
    inst = make(2, [("r1", "a", "b"), ("r2", "a", "c", {"required": True}), ("r3", "a", "d", {"fixed_slot": "s0"})])
    sol = greedy(inst)
    assert_valid(inst, sol)
    assert sol.assignments == {"r2": "s1", "r3": "s0"}


def test_respects_caps_capacity_and_order() -> None:
    inst = make(3, [("r1", "a", "b", {"after": ["r2"]}), ("r2", "c", "d"), ("r3", "e", "f")],
                capacity=1, people={"e": {"max_meetings": 0}})
    sol = greedy(inst)
    assert_valid(inst, sol)
    # r1 took s0 first, so r2 (which must come before it) finds no slot; e has no room.
    assert sol.assignments == {"r1": "s0"}
    assert sol.unscheduled["r3"] == "e is at their cap of 0 meetings"


def test_unknown_when_a_required_meeting_does_not_fit() -> None:
    inst = make(1, [("r1", "a", "b"), ("r2", "a", "c", {"required": True, "allowed_slots": ["s0"]}),
                    ("r3", "b", "c", {"required": True})])
    sol = greedy(inst)
    assert sol.status == "UNKNOWN" and sol.assignments == {}
    assert all("could not place required meeting" in r for r in sol.unscheduled.values())


def test_unknown_when_fairness_breaks() -> None:
    inst = make(3, [("r1", "a", "b", {"required": True}), ("r2", "a", "c", {"allowed_slots": ["s2"]}),
                    ("r3", "d", "e")], fairness=0)
    sol = greedy(inst)
    assert sol.status == "UNKNOWN" and "fairness" in sol.unscheduled["r1"]
