"""The CP-SAT solver on small instances: each constraint, each level, in order."""
from __future__ import annotations

import threading
import time

from solver import greedy, solve
from tests.solver.builders import assert_valid, make


def run(inst, **kw):
    sol = solve(inst, time_limit=kw.pop("time_limit", 10), **kw)
    assert_valid(inst, sol)
    return sol


def test_availability_and_one_meeting_per_slot() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c"), ("r3", "a", "d")],
                people={"b": {"available": ["s2"]}, "c": {"available": ["s2", "s1"]}})
    sol = run(inst)
    assert sol.status == "OPTIMAL"
    assert sol.assignments["r1"] == "s2" and sol.assignments["r2"] == "s1" and sol.assignments["r3"] == "s0"


def test_capacity_keeps_the_heaviest_meetings() -> None:
    inst = make(2, [("r1", "a", "b", {"weight": 1}), ("r2", "c", "d", {"weight": 5}),
                    ("r3", "e", "f", {"weight": 3})], capacity=1)
    sol = run(inst)
    assert set(sol.assignments) == {"r2", "r3"} and sol.objective["weight"] == 8
    assert "slot capacity reached in all 2 common slots" == sol.unscheduled["r1"]


def test_participant_cap() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c", {"weight": 2}), ("r3", "a", "d")],
                people={"a": {"max_meetings": 1}})
    sol = run(inst)
    assert list(sol.assignments) == ["r2"]
    assert sol.unscheduled["r1"] == "a is at their cap of 1 meeting"


def test_required_beats_weight() -> None:
    inst = make(1, [("r1", "a", "b", {"required": True}), ("r2", "a", "c", {"weight": 9})])
    sol = run(inst)
    assert sol.assignments == {"r1": "s0"} and "taken by other meetings of a or c" in sol.unscheduled["r2"]


def test_locked_meeting_stays_and_others_work_around_it() -> None:
    inst = make(2, [("r1", "a", "b", {"fixed_slot": "s0"}), ("r2", "a", "c", {"allowed_slots": ["s0"]})])
    sol = run(inst)
    assert sol.assignments == {"r1": "s0"}
    assert sol.unscheduled["r2"] == "conflicts with locked meeting r1 in s0"


def test_after_orders_meetings() -> None:
    # Without `after`, breaks would put r1 last; the order forces it first.
    inst = make(3, [("r1", "a", "b", {"required": True}), ("r2", "a", "c", {"required": True, "after": ["r1"]}),
                    ("r3", "c", "d", {"fixed_slot": "s0"})])
    sol = run(inst)
    s = inst.slot_index
    assert s[sol.assignments["r1"]] < s[sol.assignments["r2"]]


def test_fairness_limits_break_difference() -> None:
    # a must meet b and c; b only at s0, c only at s2: a has a break.
    # d has two meetings that could sit apart too; with d = 0 nobody may have
    # fewer breaks than a, so d's meetings must also have a break.
    meetings = [("r1", "a", "b", {"required": True}), ("r2", "a", "c", {"required": True}),
                ("r3", "d", "e", {"required": True}), ("r4", "d", "f", {"required": True})]
    people = {"b": {"available": ["s0"]}, "c": {"available": ["s2"]}}
    free = run(make(3, meetings, people=people))
    assert free.objective["breaks"] == 1
    fair = make(3, meetings, people=people, fairness=0)
    sol = run(fair)
    # e and f have one meeting each: zero breaks, so d = 0 cannot hold.
    assert sol.status == "INFEASIBLE"
    assert all("breaks within 0" in r for r in sol.unscheduled.values())
    lenient = run(make(3, meetings, people=people, fairness=1))
    assert lenient.status == "OPTIMAL" and lenient.objective["breaks"] == 1


def test_breaks_follow_time_when_sessions_interleave() -> None:
    # Slots am, pm, am, am.  p meets a at s0 (am), b at s1 (pm), c at s3
    # (am): consecutive meetings are never in one session, so nobody has a
    # break, and fairness 0 holds.  Counting per session would see a gap
    # s0-s3 in the morning and call this infeasible.
    locked = [("r0", "p", "a", {"fixed_slot": "s0"}), ("r1", "p", "b", {"fixed_slot": "s1"}),
              ("r2", "p", "c", {"fixed_slot": "s3"})]
    sol = run(make(4, locked, sessions=["am", "pm", "am", "am"], fairness=0))
    assert sol.status == "OPTIMAL" and sol.objective["breaks"] == 0
    # Free to choose, the solver finds the timetable without breaks.
    held = {"required": True}
    inst = make(6, [("r0", "p0", "p1", {**held, "allowed_slots": ["s0", "s5"]}),
                    ("r1", "p3", "p2", {**held, "allowed_slots": ["s3", "s5"]}),
                    ("r2", "p0", "p3", {**held, "allowed_slots": ["s4", "s5"]}),
                    ("r3", "p1", "p3", held),
                    ("r4", "p0", "p3", {**held, "allowed_slots": ["s1", "s5"]})],
                sessions=["am", "pm", "am", "am", "am", "am"])
    sol = run(inst)
    assert sol.status == "OPTIMAL" and sol.objective["breaks"] == 0


def test_kept_level_keeps_published_slots() -> None:
    inst = make(3, [("r1", "a", "b", {"previous_slot": "s2"}), ("r2", "c", "d", {"previous_slot": "s1"})])
    sol = run(inst)
    assert sol.assignments == {"r1": "s2", "r2": "s1"} and sol.objective["kept"] == 2


def test_breaks_level_packs_meetings() -> None:
    inst = make(4, [("r1", "a", "b"), ("r2", "a", "c"), ("r3", "a", "d")],
                people={"b": {"available": ["s0", "s3"]}})
    sol = run(inst)
    assert sol.objective["breaks"] == 0 and sol.status == "OPTIMAL"


def test_preferred_level() -> None:
    inst = make(3, [("r1", "a", "b")], people={"a": {"preferred": ["s2"]}, "b": {"preferred": ["s2"]}})
    sol = run(inst)
    assert sol.assignments == {"r1": "s2"} and sol.objective["preferred"] == 2


def test_levels_are_strictly_ordered() -> None:
    # weight over kept: keeping r1 in s0 would push the heavier r2 out.
    inst = make(1, [("r1", "a", "b", {"previous_slot": "s0"}), ("r2", "a", "c", {"weight": 2})])
    assert run(inst).assignments == {"r2": "s0"}
    # kept over breaks: r2 kept in s2 leaves a gap for a.
    inst = make(3, [("r1", "a", "b", {"required": True, "allowed_slots": ["s0"]}),
                    ("r2", "a", "c", {"required": True, "previous_slot": "s2"})])
    sol = run(inst)
    assert sol.assignments["r2"] == "s2" and sol.objective["breaks"] == 1
    # breaks over preferred: a prefers s2, but meeting there makes a break.
    inst = make(3, [("r1", "a", "b", {"required": True, "allowed_slots": ["s0"]}),
                    ("r2", "a", "c", {"required": True})], people={"a": {"preferred": ["s0", "s2"]}})
    sol = run(inst)
    assert sol.assignments["r2"] == "s1" and sol.objective == {"weight": 2, "kept": 0, "breaks": 0,
                                                                "preferred": 3}


def test_contradicting_locked_meetings_are_infeasible_quickly() -> None:
    inst = make(2, [("r1", "a", "b", {"fixed_slot": "s0"}), ("r2", "a", "c", {"fixed_slot": "s0"}),
                    ("r3", "b", "c")])
    start = time.perf_counter()
    sol = run(inst)
    assert time.perf_counter() - start < 5
    assert sol.status == "INFEASIBLE" and sol.assignments == {}
    assert sol.unscheduled["r3"] == "infeasible: locked meetings r1 and r2 both need a in s0"


def test_progress_reports_and_stop() -> None:
    inst = make(6, [(f"r{i}", f"p{i % 4}", f"q{i % 3}", {"weight": 1 + i % 3}) for i in range(12)])
    seen: list[dict] = []
    sol = run(inst, on_progress=seen.append)
    assert seen and all({"phase", "objective", "bound", "wall_s"} <= set(e) for e in seen)
    assert any(e["phase"] == "weight done" for e in seen)
    stop = threading.Event()
    stop.set()
    stopped = run(inst, stop=stop)
    assert stopped.status in ("FEASIBLE", "UNKNOWN")
    assert sol.objective["weight"] >= stopped.objective.get("weight", 0)


def test_hint_is_accepted_and_result_never_worse_than_greedy() -> None:
    inst = make(4, [(f"r{i}", f"p{i % 5}", f"q{i % 4}", {"weight": 1 + i % 4}) for i in range(20)], capacity=3)
    base = greedy(inst)
    assert_valid(inst, base)
    sol = run(inst, hint=base.assignments, time_limit=5)
    assert sol.objective["weight"] >= base.objective["weight"]


def test_empty_event() -> None:
    inst = make(2, [], people={"a": {}})
    sol = run(inst)
    assert sol.status == "OPTIMAL" and sol.assignments == {} and sol.objective["weight"] == 0


def test_locked_meeting_that_must_come_after_an_impossible_one_is_infeasible() -> None:
    # Nothing is left to optimise here (all required, every slot preferred), so only a
    # feasibility check can tell; found by the brute-force property test.
    meetings = [("r0", "a", "b", {"required": True}),
                ("r1", "a", "b", {"required": True, "fixed_slot": "s0", "after": ["r0"]})]
    sol = run(make(2, meetings))
    assert sol.status == "INFEASIBLE" and sol.assignments == {}
    assert set(sol.unscheduled) == {"r0", "r1"}


def test_unknown_result_still_bounds_every_level() -> None:
    from solver.model import _finish, build_model

    inst = make(2, [("r1", "a", "b", {"weight": 3, "previous_slot": "s1"}), ("r2", "a", "c")])
    sol = _finish(inst, build_model(inst), None, None, False, {"weight": 3}, time.perf_counter())
    assert sol.status == "UNKNOWN" and sol.assignments == {}
    # What was proven stays; the rest holds whatever a timetable does.
    assert sol.bound == {"weight": 3, "kept": 1, "breaks": 0, "preferred": 4}
