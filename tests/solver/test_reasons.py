"""Reasons for unscheduled meetings: specific enough to act on."""
from __future__ import annotations

from solver import explain_unscheduled
from tests.solver.builders import make


def test_no_common_slot_names_both_time_zones_and_local_hours() -> None:
    inst = make(6, [("r1", "p17", "p9")], people={
        "p17": {"timezone": "Asia/Seoul", "available": ["s0", "s1"]},
        "p9": {"timezone": "America/Los_Angeles", "available": ["s4", "s5"]}})
    # Slots start 2027-03-09 08:00 UTC, 20 minutes each.
    assert explain_unscheduled(inst, {})["r1"] == (
        "p17 (Asia/Seoul, available 17:00-17:40 local) and "
        "p9 (America/Los_Angeles, available 01:20-02:00 local) share no available slot")


def test_local_hours_carry_the_date_when_the_event_spans_days_on_that_clock() -> None:
    # 08:00-10:00 UTC is 23:00-01:00 in Anchorage: "23:00-23:20" alone would not say which evening.
    inst = make(6, [("r1", "a", "b")], people={
        "a": {"timezone": "America/Anchorage", "available": ["s0"]},
        "b": {"timezone": "Europe/Paris", "available": ["s5"]}})
    assert explain_unscheduled(inst, {})["r1"] == (
        "a (America/Anchorage, available Mar 08 23:00-23:20 local) and "
        "b (Europe/Paris, available 10:40-11:00 local) share no available slot")


def test_cap() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c"), ("r3", "a", "d")], people={"a": {"max_meetings": 2}})
    assert explain_unscheduled(inst, {"r1": "s0", "r2": "s1"}) == {"r3": "a is at their cap of 2 meetings"}


def test_taken_by_heavier_meetings() -> None:
    inst = make(2, [("r1", "a", "b", {"weight": 3}), ("r2", "b", "c", {"weight": 2}), ("r3", "a", "c")])
    assert explain_unscheduled(inst, {"r1": "s0", "r2": "s1"})["r3"] == (
        "every slot both can make (2) is taken by higher-weight meetings of a or c")


def test_capacity() -> None:
    inst = make(2, [("r1", "a", "b"), ("r2", "c", "d"), ("r3", "e", "f")], capacity=1)
    assert explain_unscheduled(inst, {"r1": "s0", "r2": "s1"})["r3"] == "slot capacity reached in all 2 common slots"


def test_locked_meeting_conflict() -> None:
    inst = make(2, [("r12", "a", "b", {"fixed_slot": "s1"}), ("r3", "a", "c", {"allowed_slots": ["s1"]})])
    assert explain_unscheduled(inst, {"r12": "s1"})["r3"] == "conflicts with locked meeting r12 in s1"


def test_order_and_mixed_causes() -> None:
    inst = make(2, [("r1", "a", "b"), ("r2", "c", "d", {"after": ["r1"]})])
    assert explain_unscheduled(inst, {"r1": "s1"})["r2"] == (
        "no common slot keeps the required order (must come after r1)")
    mixed = make(2, [("r1", "a", "b"), ("r2", "c", "d"), ("r3", "a", "e")], capacity=1)
    assert explain_unscheduled(mixed, {"r1": "s0", "r2": "s1"})["r3"] == (
        "of the 2 slots both can make: 1 taken by other meetings of a or e, 1 at capacity")


def test_free_slot_left_by_fairness() -> None:
    inst = make(3, [("r1", "a", "b"), ("r2", "a", "c", {"allowed_slots": ["s2"]}), ("r3", "d", "e")], fairness=0)
    assert explain_unscheduled(inst, {"r1": "s0", "r3": "s0"})["r2"] == (
        "s2 is free for both, but holding it there would exceed the allowed break difference of 0")


def test_locked_slot_outside_availability() -> None:
    inst = make(2, [("r1", "a", "b", {"fixed_slot": "s0"})],
                people={"b": {"available": ["s1"], "timezone": "Asia/Tokyo"}})
    assert explain_unscheduled(inst, {})["r1"].startswith("locked slot s0 is outside the availability of b (Asia/Tokyo")
