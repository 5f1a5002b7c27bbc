"""The clausal SAT engine for the breaks level (solver.sat)."""
from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Solution, load_instance, solve, validate
from solver.bench import DEFAULT_JAIR
from solver.sat import Background, Interrupted, _Run, applies, encode, fewest_breaks
from solver.validate import evaluate
from tests.solver.builders import assert_valid, make, slot_ids
from tests.solver.test_brute_force import brute_force_best

JAIR = DEFAULT_JAIR
needs_jair = pytest.mark.skipif(not JAIR.is_dir(), reason="JAIR benchmark not present")


@st.composite
def held_events(draw):
    """Tiny events where every meeting must be held (what the engine serves)."""
    n_slots = draw(st.integers(2, 5))
    slots = slot_ids(n_slots)
    people = [f"p{i}" for i in range(draw(st.integers(2, 5)))]
    extras = {p: ({"available": draw(st.lists(st.sampled_from(slots), unique=True, min_size=1))}
                  if draw(st.integers(0, 2)) == 0 else {}) for p in people}
    meetings = []
    for i in range(draw(st.integers(1, 6))):
        a, b = draw(st.lists(st.sampled_from(people), min_size=2, max_size=2, unique=True))
        extra: dict = {"required": True}
        if draw(st.integers(0, 3)) == 0:
            extra["allowed_slots"] = draw(st.lists(st.sampled_from(slots), unique=True, min_size=1))
        if i and draw(st.integers(0, 4)) == 0:
            extra["after"] = [f"r{draw(st.integers(0, i - 1))}"]
        meetings.append((f"r{i}", a, b, extra))
    # Sessions may interleave (am, pm, am): the spec allows it.
    sessions = draw(st.lists(st.sampled_from(["am", "pm"]), min_size=n_slots, max_size=n_slots))
    return make(n_slots, meetings, people=extras, sessions=sessions,
                capacity=draw(st.sampled_from([None, 1, 2])),
                fairness=draw(st.sampled_from([None, 0, 1])))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(held_events())
def test_engine_matches_exhaustive_search(inst) -> None:
    assert applies(inst)
    best = brute_force_best(inst)  # every meeting held: it minimises breaks
    optimum = None if best is None else -best[2]
    upper = 2 * len(inst.slots) * len(inst.participants)
    found = fewest_breaks(inst, 0, upper, time.perf_counter() + 20)
    if optimum is None:
        assert found.assignments is None
        return
    # The relaxation's bound is sound and the exact encoding reaches it.
    assert found.value == optimum == found.lower
    solution = Solution("OPTIMAL", found.assignments, {}, {}, {}, 0, "")
    assert validate(inst, solution) == []
    assert evaluate(inst, found.assignments)["breaks"] == optimum


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(held_events())
def test_native_cardinality_encoding_matches_exhaustive_search(inst) -> None:
    best = brute_force_best(inst)
    upper = 2 * len(inst.slots) * len(inst.participants)
    run = _Run(encode(inst, relaxed=False, upper=upper, counted=True, native=True), None)
    try:
        deadline = time.perf_counter() + 20
        if best is None:
            assert run.holds(upper, deadline) is False
            return
        optimum = -best[2]
        assert run.holds(optimum, deadline) is True
        assert evaluate(inst, run.assignments())["breaks"] <= optimum
        if optimum:
            assert run.holds(optimum - 1, deadline) is False
    finally:
        run.close()


def test_equal_breaks_count_real_breaks_only() -> None:
    # Fairness 0: p1 must wait once (r0 first, then the rest), so everyone
    # would need one break, which p0 and p2 cannot take: no timetable.  The
    # encoding once let p0 and p2 claim a break they did not have.
    held = {"required": True}
    first = {"required": True, "after": ["r0"]}
    inst = make(5, [("r0", "p0", "p1", {**held, "allowed_slots": ["s0"]}),
                    ("r1", "p0", "p1", {**held, "allowed_slots": ["s0", "s1"]}),
                    ("r2", "p0", "p1", first), ("r3", "p1", "p2", first),
                    ("r4", "p2", "p0", first)], fairness=0)
    assert brute_force_best(inst) is None
    assert fewest_breaks(inst, 0, 50, time.perf_counter() + 10).assignments is None


def test_meeting_of_another_session_in_between_is_no_break() -> None:
    # Sessions interleave: am, am, pm, pm, am.  Three meetings of p0 and p1,
    # in order, the last at s2 or s4: s0, s3 (pm), s4 has no break, since the
    # pm meeting comes between the two am ones.
    held = {"required": True}
    inst = make(5, [("r0", "p0", "p1", held), ("r1", "p0", "p1", {**held, "after": ["r0"]}),
                    ("r2", "p0", "p1", {**held, "allowed_slots": ["s2", "s4"], "after": ["r1"]})],
                people={"p1": {"available": ["s0", "s3", "s4"]}},
                sessions=["am", "am", "pm", "pm", "am"], capacity=2, fairness=0)
    found = fewest_breaks(inst, 0, 20, time.perf_counter() + 10)
    assert (found.lower, found.value) == (0, 0)
    assert found.assignments == {"r0": "s0", "r1": "s3", "r2": "s4"}
    for kind in (dict(relaxed=True), dict(relaxed=False), dict(relaxed=False, counted=True)):
        run = _Run(encode(inst, upper=20, **kind), None)
        try:
            assert run.holds(0, time.perf_counter() + 10) is True
        finally:
            run.close()


def test_encoding_gives_up_as_soon_as_it_is_stopped() -> None:
    # Building a big encoding takes seconds: a stop or the deadline must not
    # wait for the end of it.
    held = {"required": True}
    meetings = [(f"r{i}", f"p{i % 12}", f"p{(i * 5 + 1) % 12}", held) for i in range(30)
                if i % 12 != (i * 5 + 1) % 12]
    inst = make(8, meetings, fairness=1)
    asked = []

    def halt() -> bool:
        asked.append(True)
        return len(asked) > 3

    for kind in (dict(relaxed=True), dict(relaxed=False, counted=True)):
        asked.clear()
        with pytest.raises(Interrupted):
            encode(inst, upper=10, halt=halt, **kind)
        assert len(asked) == 4
    stop = threading.Event()
    stop.set()
    assert fewest_breaks(inst, 0, 10, time.perf_counter() + 30, stop).assignments is None


def test_not_used_when_meetings_may_be_dropped_or_kept() -> None:
    optional = make(3, [("r0", "a", "b"), ("r1", "b", "c", {"required": True})])
    kept = make(3, [("r0", "a", "b", {"required": True, "previous_slot": "s1"})])
    held = make(3, [("r0", "a", "b", {"required": True}), ("r1", "b", "c", {"fixed_slot": "s2"})])
    assert not applies(optional)
    assert not applies(kept)
    assert applies(held)


def test_relaxation_proves_a_bound_the_exact_model_agrees_with() -> None:
    # Three people meeting each other need three slots; they share two.
    held = {"required": True}
    inst = make(3, [("r0", "a", "b", held), ("r1", "b", "c", held), ("r2", "a", "c", held)],
                people={p: {"available": ["s0", "s2"]} for p in "abc"})
    assert fewest_breaks(inst, 0, 5, time.perf_counter() + 5).assignments is None
    # a can meet b only at 9:00 and c only at 9:40: a waits once.
    inst = make(4, [("r0", "a", "b", {"required": True}), ("r1", "a", "c", {"required": True})],
                people={"a": {"available": ["s0", "s2", "s3"]}, "b": {"available": ["s0"]},
                        "c": {"available": ["s2"]}})
    relaxed = encode(inst, relaxed=True, upper=3)
    assert relaxed.total is not None
    found = fewest_breaks(inst, 0, 3, time.perf_counter() + 5)
    assert (found.lower, found.value) == (1, 1)
    assert found.assignments == {"r0": "s0", "r1": "s2"}


@needs_jair
@pytest.mark.parametrize(("name", "optimum"), [("forum-13crafc", 1), ("tic-13crafc", 4)])
def test_capacity_bound_jair_instances(name: str, optimum: int) -> None:
    """Crafted instances where tables bind: CP-SAT alone did not reach these."""
    inst = load_instance(JAIR / f"{name}.original.dzn")
    sol = solve(inst, time_limit=60, workers=2)
    assert_valid(inst, sol)
    assert sol.status == "OPTIMAL"
    assert sol.objective["breaks"] == optimum


@needs_jair
def test_background_search_stops_when_cancelled() -> None:
    inst = load_instance(JAIR / "forum-13crafb.original.dzn")
    side = Background(inst, 5, 64, time.perf_counter() + 120, None)
    time.sleep(1.0)
    begun = time.perf_counter()
    side.cancel()
    assert side.done.is_set()
    assert side.assignments is None
    assert time.perf_counter() - begun < 30  # interrupted, not run to its 120 s deadline


@needs_jair
def test_user_stop_reaches_the_sat_solver() -> None:
    inst = load_instance(JAIR / "forum-13crafb.original.dzn")
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    begun = time.perf_counter()
    found = fewest_breaks(inst, 5, 64, time.perf_counter() + 120, stop)
    assert found.assignments is None
    assert time.perf_counter() - begun < 30


@needs_jair
def test_sat_bound_ends_a_cp_sat_trial_it_makes_hopeless() -> None:
    inst = load_instance(JAIR / "forum-14.original.dzn")  # relaxation: no timetable with 1 break
    side = Background(inst, 0, 200, time.perf_counter() + 60, None)
    try:
        above_zero, above_five = side.above(0), side.above(5)
        waited = time.perf_counter()
        while not above_zero.is_set() and time.perf_counter() - waited < 30:
            time.sleep(0.05)
        assert above_zero.is_set() and side.lower >= 1
        assert not above_five.is_set()  # forum-14 has a timetable with 2 breaks
        assert side.above(None) is None
    finally:
        side.cancel()


@needs_jair
def test_crowded_event_gets_better_timetables_before_the_optimum() -> None:
    """forum-13crafb: the optimum (6) takes the SAT engines 15-40 s to find;
    meanwhile the descending search reports ever better timetables."""
    inst = load_instance(JAIR / "forum-13crafb.original.dzn")
    # Ends once both are seen (about 10 s here), with room for a slow machine.
    end = time.perf_counter() + 60
    side = Background(inst, 0, 64, end, None)
    while not side.done.wait(0.1) and (side.best is None or side.lower < 5):
        pass
    side.cancel()
    assert side.best is not None
    breaks, assignments = side.best
    assert breaks < 64
    assert evaluate(inst, assignments)["breaks"] == breaks
    assert validate(inst, Solution("FEASIBLE", assignments, {}, {}, {}, 0, "")) == []
    assert side.lower >= 5  # the relaxation's bound holds alongside


@needs_jair
def test_solve_keeps_the_sat_sides_better_timetable() -> None:
    # CP-SAT alone ended 10 s and 30 s runs at 68 breaks; the optimum is 3
    # (20 s runs here end at 8-32, depending on the machine's load).
    inst = load_instance(JAIR / "ticf-13crafb.original.dzn")
    sol = solve(inst, time_limit=20, workers=2)
    assert_valid(inst, sol)
    assert sol.status in ("FEASIBLE", "OPTIMAL")
    assert sol.objective["breaks"] <= 50


@needs_jair
def test_tight_event_is_searched_at_the_bound_from_the_busy_pattern() -> None:
    """forumt-14: even the busy relaxation needs 5 breaks, so after a short
    search from above Gluecard asks for 5 from the relaxation's pattern."""
    inst = load_instance(JAIR / "forumt-14.original.dzn")
    found = fewest_breaks(inst, 0, 64, time.perf_counter() + 60)
    assert found.value == found.lower == 5
    assert validate(inst, Solution("OPTIMAL", found.assignments, {}, {}, {}, 0, "")) == []
