"""The independent checker: every rule of the spec, every objective level."""
from __future__ import annotations

from solver import Solution, evaluate, validate
from tests.solver.builders import make

LEVELS = ("weight", "kept", "breaks", "preferred")


def solution(inst, assignments: dict[str, str], status: str = "FEASIBLE") -> Solution:
    rest = {m.id: "left out" for m in inst.meetings if m.id not in assignments}
    return Solution(status, assignments, rest, evaluate(inst, assignments), {}, 0.0, inst.name)


def test_breaks_follow_sessions_and_adjacency() -> None:
    # Slots of two sessions interleave in time: am s0, pm s1, am s2, pm s3, am s4.
    inst = make(5, [("r1", "a", "b"), ("r2", "a", "c"), ("r3", "a", "d")],
                sessions=["am", "pm", "am", "pm", "am"])
    # s0 and s2 are adjacent in session am although s1 lies between them in time.
    assert evaluate(inst, {"r1": "s0", "r2": "s2"})["breaks"] == 0
    assert evaluate(inst, {"r1": "s0", "r2": "s4"})["breaks"] == 1
    # Different sessions never make a break.
    assert evaluate(inst, {"r1": "s0", "r2": "s3"})["breaks"] == 0
    # Three meetings with two gaps: two breaks.
    same = make(5, [("r1", "a", "b"), ("r2", "a", "c"), ("r3", "a", "d")])
    assert evaluate(same, {"r1": "s0", "r2": "s2", "r3": "s4"})["breaks"] == 2
    assert evaluate(same, {"r1": "s0", "r2": "s1", "r3": "s4"})["breaks"] == 1


def test_evaluate_counts_every_level() -> None:
    inst = make(3, [("r1", "a", "b", {"weight": 5, "previous_slot": "s1"}), ("r2", "a", "c", {"weight": 2})],
                people={"a": {"preferred": ["s1"]}, "b": {"available": ["s1", "s2"], "preferred": ["s2"]}})
    got = evaluate(inst, {"r1": "s1", "r2": "s0"})
    # preferred: r1 in s1 -> a yes, b no; r2 in s0 -> a no, c yes (no preferences = all).
    assert got == {"weight": 7, "kept": 1, "breaks": 0, "preferred": 2}


def test_valid_solution_has_no_violations() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c")])
    assert validate(inst, solution(inst, {"r1": "s0", "r2": "s1"})) == []


def check(inst, assignments, *fragments: str, **kw) -> None:
    problems = validate(inst, solution(inst, assignments, **kw))
    for fragment in fragments:
        assert any(fragment in p for p in problems), (fragment, problems)


def test_each_rule_is_checked() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c")], capacity=1,
                people={"b": {"available": ["s1"]}, "c": {"max_meetings": 0}})
    check(inst, {"r1": "s0"}, "b is not available")
    check(inst, {"r1": "s1", "r2": "s1"}, "a has 2 meetings in s1", "slot s1 holds 2 meetings, capacity 1",
          "c has 1 meetings, cap 0")
    locked = make(3, [("r1", "a", "b", {"fixed_slot": "s2"}), ("r2", "a", "c", {"allowed_slots": ["s0"]}),
                      ("r3", "b", "c", {"required": True, "after": ["r1"]})])
    check(locked, {"r1": "s1", "r2": "s1"}, "locked to s2", "not among its allowed slots",
          "required meeting 'r3' is not scheduled")
    check(locked, {"r1": "s2", "r2": "s0", "r3": "s1"}, "must come after 'r1'")


def test_fairness_is_checked() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c")], fairness=0)
    check(inst, {"r1": "s0", "r2": "s2"}, "fairness: a has 1 breaks")
    assert validate(inst, solution(inst, {"r1": "s0", "r2": "s1"})) == []


def test_bookkeeping_is_checked() -> None:
    inst = make(2, [("r1", "a", "b"), ("r2", "a", "c")])
    sol = Solution("FEASIBLE", {"r1": "s0", "r9": "s1"}, {}, {}, {}, 0.0, "x")
    problems = validate(inst, sol)
    assert "meeting 'r9' is not in the instance" in problems
    assert "meeting 'r2' is missing from the solution" in problems
    both = Solution("FEASIBLE", {"r1": "s0", "r2": "s7"}, {"r1": "why"}, {}, {}, 0.0, "x")
    problems = validate(inst, both)
    assert "meeting 'r1' is both scheduled and unscheduled" in problems
    assert "meeting 'r2' is in unknown slot 's7'" in problems
    wrong = solution(inst, {"r1": "s0"})
    wrong.objective["weight"] = 5
    assert validate(inst, wrong) == ["objective weight is 5, recomputed 1"]
    assert validate(inst, Solution("INFEASIBLE", {"r1": "s0"}, {"r2": "x"}, {}, {}, 0, "")) == [
        "an INFEASIBLE solution must not assign meetings"]


def test_bounds_are_judged_against_the_schedule() -> None:
    # r1 alone scheduled: weight 1, 0 breaks. A weight bound below 1 or a breaks bound above 0
    # claims to have proven something the schedule itself refutes.
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c")])
    sol = solution(inst, {"r1": "s0"})
    sol.bound.update({"weight": 2, "breaks": 0})
    assert validate(inst, sol) == []
    sol.bound.update({"weight": 0, "breaks": 1})
    assert validate(inst, sol) == ["bound weight 0 is below the schedule's own 1",
                                   "bound breaks 1 is above the schedule's own 0"]
    best = solution(inst, {"r1": "s0", "r2": "s1"}, status="OPTIMAL")
    best.bound["weight"] = 3
    assert validate(inst, best) == ["an OPTIMAL solution's bound weight 3 differs from its value 2"]
