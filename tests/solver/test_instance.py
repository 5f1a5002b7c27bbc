"""Reading and writing instances and solutions: the exchange format of the spec."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from solver import (InputError, Solution, instance_from_dict, instance_to_dict, load_instance,
                    solution_from_dict, solution_to_dict)
from solver.bench import DEFAULT_JAIR
from tests.solver.builders import instance_data, make

JAIR = DEFAULT_JAIR  # shared/ lies beside the repository (as in CI)


def test_json_round_trip_keeps_every_field() -> None:
    data = instance_data(3, [("r1", "a", "b", {"weight": 3, "required": True, "allowed_slots": ["s0", "s1"],
                                               "after": ["r2"], "previous_slot": "s1"}),
                             ("r2", "a", "c", {"fixed_slot": "s0"})],
                         people={"a": {"available": ["s0", "s1"], "preferred": ["s1"], "max_meetings": 2,
                                       "timezone": "Asia/Seoul"}},
                         capacity=4, sessions=["am", "am", "pm"], fairness=1)
    inst = instance_from_dict(data)
    again = instance_from_dict(json.loads(json.dumps(instance_to_dict(inst))))
    assert again == inst
    m = inst.meeting_by_id["r1"]
    assert (m.weight, m.required, m.allowed_slots, m.after, m.previous_slot) == (
        3, True, frozenset({"s0", "s1"}), ("r2",), "s1")
    a = inst.participant_by_id["a"]
    assert (a.timezone, a.available, a.preferred, a.max_meetings) == (
        "Asia/Seoul", frozenset({"s0", "s1"}), frozenset({"s1"}), 2)
    assert inst.max_break_difference == 1 and inst.slots[2].session == "pm"
    assert inst.slots[0].start.utcoffset().total_seconds() == 0


def test_defaults_of_optional_keys() -> None:
    inst = instance_from_dict({"slots": [{"id": "x", "start": "2027-03-09T08:00:00Z",
                                          "end": "2027-03-09T08:20:00Z"}],
                               "participants": [{"id": "a", "timezone": "UTC"}, {"id": "b", "timezone": "UTC"}],
                               "meetings": [{"id": "r", "participants": ["a", "b"]}]})
    m, s = inst.meetings[0], inst.slots[0]
    assert (m.weight, m.required, m.allowed_slots, m.fixed_slot, m.after) == (1, False, None, None, ())
    assert s.capacity is None and inst.max_break_difference is None
    assert inst.participants[0].available is None


def _mutate(path: str, value) -> dict:
    data = instance_data(3, [("r1", "a", "b"), ("r2", "b", "c")])
    target = data
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    return data


BAD = [
    ("meetings.0.participants", ["a", "zz"], "unknown participant 'zz'"),
    ("meetings.0.participants", ["a", "a"], "cannot meet themselves"),
    ("meetings.0.participants", ["a"], "exactly two"),
    ("meetings.1.id", "r1", "meeting 'r1': duplicate id"),
    ("slots.1.id", "s0", "slot 's0': duplicate id"),
    ("participants.1.id", "a", "participant 'a': duplicate id"),
    ("slots.0.end", "2027-03-09T07:00:00Z", "slot 's0': ends before it starts"),
    ("slots.0.start", "2027-03-09T09:00:00+01:00", "not in UTC"),
    ("slots.0.start", "2027-03-09T08:00:00", "not in UTC"),
    ("slots.0.start", "yesterday", "not an RFC 3339 time"),
    ("slots.1.start", "2027-03-09T08:10:00Z", "starts before slot 's0' ends"),
    ("participants.0.timezone", "Mars/Olympus", "unknown time zone"),
    ("participants.0.timezone", "localtime", "unknown time zone"),
    ("participants.0.timezone", None, "timezone is missing"),
    ("participants.0.available", ["s9"], "unknown slot 's9'"),
    ("participants.0.preferred", ["s9"], "unknown slot 's9'"),
    ("meetings.0.weight", 0, "weight"),
    ("meetings.0.required", "yes", "required must be true or false"),
    ("meetings.0.after", ["r9"], "unknown meeting 'r9'"),
    ("meetings.0.fixed_slot", "s9", "unknown slot 's9'"),
    ("slots.0.capacity", -1, "capacity"),
    ("format", "brokerage-instance/2", "format"),
]


@pytest.mark.parametrize("path,value,message", BAD)
def test_bad_input_names_the_item(path: str, value, message: str) -> None:
    with pytest.raises(InputError) as err:
        instance_from_dict(_mutate(path, value), "event.json")
    text = str(err.value)
    assert text.startswith("event.json: ") and message in text and "\n" not in text


def test_preferred_must_be_available() -> None:
    data = instance_data(2, [("r", "a", "b")], people={"a": {"available": ["s0"], "preferred": ["s1"]}})
    with pytest.raises(InputError, match="preferred slot 's1' is not in available"):
        instance_from_dict(data)


def test_load_instance_reports_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"slots": [')
    with pytest.raises(InputError, match=r"broken.json: not valid JSON \(line 1"):
        load_instance(broken)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=r"deep.json: not valid JSON \(nested too deeply\)"):
        load_instance(deep)
    surrogate = tmp_path / "surrogate.json"  # parses, but no solution naming it could be written
    surrogate.write_text(json.dumps(instance_data(2, [("r", "a", "b")])).replace('"a"', '"\\ud800a"'))
    with pytest.raises(InputError, match=r"surrogate.json: not valid JSON \(an unpaired surrogate"):
        load_instance(surrogate)
    with pytest.raises(InputError, match="missing.json: no such file"):
        load_instance(tmp_path / "missing.json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(instance_data(2, [("r", "a", "b")], fairness=3)))
    assert load_instance(good).max_break_difference == 3
    assert load_instance(good, fairness=0).max_break_difference == 0


DZN = """nBusiness = 4; nMeetings = 3; nTables = 2; nTotalSlots = 4; nMorningSlots = 2;
requested = [|1, 2, 1, |3, 4, 2, |1, 3, 3, |];
forbidden = [{0}, {0, 3}, {0}, {0}];
fixed = [0, 0, 4];
precedences = [{}, {}, {1}];
"""


def test_dzn_mapping(tmp_path: Path) -> None:
    path = tmp_path / "tiny.dzn"
    path.write_text(DZN)
    inst = load_instance(path)
    assert [s.id for s in inst.slots] == ["t1", "t2", "t3", "t4"]
    assert {s.capacity for s in inst.slots} == {2} and len({s.session for s in inst.slots}) == 1
    m1, m2, m3 = inst.meetings
    assert m1.participants == ("p1", "p2") and m1.allowed_slots == {"t1", "t2"}
    assert m2.allowed_slots == {"t3", "t4"} and m3.allowed_slots is None
    assert m3.fixed_slot == "t4" and m3.after == ("m1",)
    assert all(m.required for m in inst.meetings)
    assert inst.participant_by_id["p2"].available == {"t1", "t2", "t4"}
    assert inst.max_break_difference == 2
    assert load_instance(path, fairness=5).max_break_difference == 5


def test_dzn_reads_set_ranges(tmp_path: Path) -> None:
    """MiniZinc writes a set as {2, 3} or as the range 2..3; both mean the same."""
    path = tmp_path / "ranges.dzn"
    path.write_text(DZN.replace("{0, 3}", "2..3").replace("{}, {}, {1}", "{}, 1..0, 1..2"))
    inst = load_instance(path)
    assert inst.participant_by_id["p2"].available == {"t1", "t4"}
    assert inst.meeting_by_id["m2"].after == () and inst.meeting_by_id["m3"].after == ("m1", "m2")


@pytest.mark.parametrize("edit,message", [
    (("nMeetings = 3", "nMeetings = 4"), "requested: expected 4 rows"),
    (("|3, 4, 2,", "|3, 9, 2,"), "requested[2]: participant out of range"),
    (("|3, 4, 2,", "|3, 3, 2,"), "requested[2]: participant 3 cannot meet themselves"),
    (("nTables = 2;", ""), "missing nTables"),
    (("{0, 3}", "{0, 7}"), "forbidden[2]: no slot 7"),
    (("{0, 3}", "2..7"), "forbidden[2]: no slot 7"),
    (("{0, 3}", "{0, 3} x"), "forbidden: expected sets such as"),
    (("fixed = [0, 0, 4]", "fixed = [0, 0]"), "fixed: expected 3 entries"),
    (("{}, {}, {1}", "{}, {}, {5}"), "precedences[3]: no meeting 5"),
    (("{}, {}, {1}", "{}, {}, {3}"), "precedences[3]: a meeting cannot follow itself"),
    (("nTotalSlots = 4", "nTotalSlots = 100000000"), "nTotalSlots: 100000000 is more than 10,000"),
    (("nBusiness = 4", "nBusiness = 100000000"), "nBusiness: 100000000 is more than 100,000"),
    (("{}, {}, {1}];\n", "{}, {}, {1"), "does not end with ';' (is the file complete?)"),  # cut off
])
def test_dzn_errors(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    path = tmp_path / "bad.dzn"
    path.write_text(DZN.replace(*edit))
    with pytest.raises(InputError) as err:
        load_instance(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


@pytest.mark.skipif(not JAIR.is_dir(), reason="JAIR benchmark not present")
def test_jair_file_reads_as_published() -> None:
    inst = load_instance(JAIR / "forum-13.original.dzn")
    assert (len(inst.participants), len(inst.meetings), len(inst.slots)) == (70, 154, 21)
    assert {s.capacity for s in inst.slots} == {14}
    m1 = inst.meeting_by_id["m1"]
    assert m1.participants == ("p1", "p2") and m1.allowed_slots == {f"t{i}" for i in range(1, 14)}
    assert inst.participant_by_id["p3"].available == {f"t{i}" for i in range(1, 22)} - {"t17"}


def test_solution_round_trip_and_errors() -> None:
    sol = Solution("FEASIBLE", {"r1": "s0"}, {"r2": "p1 is at their cap of 1 meeting"},
                   {"weight": 1, "kept": 0, "breaks": 0, "preferred": 2}, {"weight": 2}, 0.5, "test")
    assert solution_from_dict(json.loads(json.dumps(solution_to_dict(sol)))) == sol
    data = solution_to_dict(sol)
    assert data["assignments"] == [{"meeting": "r1", "slot": "s0"}] and data["format"] == "brokerage-solution/1"
    for key, value, message in [("status", "GREAT", "status"), ("format", None, "format"),
                                ("assignments", [{"meeting": "r1"}], r"assignments\[0\]"),
                                ("objective", {"weight": "x"}, "objective")]:
        with pytest.raises(InputError, match=message):
            solution_from_dict({**data, key: value}, "sol.json")


def test_instance_lookups() -> None:
    inst = make(4, [("r", "a", "b")], sessions=["am", "pm", "am", "pm"])
    assert inst.previous_in_session == [None, None, 0, 1]
    assert inst.next_in_session == [2, 3, None, None]
