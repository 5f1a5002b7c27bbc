"""`python -m solver solve|check`: files, exit codes and one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from solver.cli import main
from tests.solver.builders import instance_data

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def one_error_line(capsys: pytest.CaptureFixture, *fragments: str) -> None:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and err.startswith("solver: "), err
    for fragment in fragments:
        assert fragment in err, err


def test_solve_writes_a_solution_and_check_accepts_it(tmp_path: Path, capsys) -> None:
    inst = write(tmp_path, "event.json", instance_data(3, [("r1", "a", "b"), ("r2", "a", "c")]))
    out = tmp_path / "solution.json"
    assert main(["solve", str(inst), "-o", str(out), "--time-limit", "5", "--workers", "1"]) == 0
    sol = json.loads(out.read_text())
    assert sol["format"] == "brokerage-solution/1" and sol["status"] == "OPTIMAL"
    assert {a["meeting"] for a in sol["assignments"]} == {"r1", "r2"}
    capsys.readouterr()
    assert main(["check", str(inst), str(out)]) == 0
    assert "objective: weight=2 kept=0 breaks=0 preferred=4" in capsys.readouterr().out


def test_solve_to_stdout(tmp_path: Path, capsys) -> None:
    inst = write(tmp_path, "event.json", instance_data(2, [("r1", "a", "b")]))
    assert main(["solve", str(inst)]) == 0
    assert [a["meeting"] for a in json.loads(capsys.readouterr().out)["assignments"]] == ["r1"]


def test_check_reports_violations(tmp_path: Path, capsys) -> None:
    inst = write(tmp_path, "event.json", instance_data(2, [("r1", "a", "b"), ("r2", "a", "c")]))
    both = [{"meeting": "r1", "slot": "s0"}, {"meeting": "r2", "slot": "s0"}]
    bad = write(tmp_path, "bad.json", {"format": "brokerage-solution/1", "status": "FEASIBLE", "assignments": both,
                                       "unscheduled": [], "objective": {}, "bound": {}, "wall_s": 0})
    assert main(["check", str(inst), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "a has 2 meetings in s0: r1, r2" in out and "objective: weight=2" in out
    assert main(["check", str(inst), str(tmp_path / "none.json")]) == 2
    one_error_line(capsys, "none.json: no such file")


def test_infeasible_exits_3(tmp_path: Path, capsys) -> None:
    inst = write(tmp_path, "event.json", instance_data(1, [("r1", "a", "b", {"fixed_slot": "s0"}),
                                                           ("r2", "a", "c", {"fixed_slot": "s0"})]))
    assert main(["solve", str(inst)]) == 3
    sol = json.loads(capsys.readouterr().out)
    assert sol["status"] == "INFEASIBLE" and sol["assignments"] == [] and len(sol["unscheduled"]) == 2


def test_unknown_exits_4(tmp_path: Path, capsys, monkeypatch) -> None:
    from solver import Solution

    def nothing_found(instance, **kw):
        return Solution("UNKNOWN", {}, {m.id: "no valid timetable found" for m in instance.meetings}, {}, {}, 0.1,
                        instance.name)
    monkeypatch.setattr("solver.model.solve", nothing_found)
    inst = write(tmp_path, "event.json", instance_data(1, [("r1", "a", "b")]))
    assert main(["solve", str(inst)]) == 4


@pytest.mark.parametrize("start,fragment", [
    ("2027-03-09T08:00:00+00:00", "is not in UTC (end it with 'Z'"),
    ("2027-03-09T08:00Z", "is not an RFC 3339 time"),
    ("20270309T080000Z", "is not an RFC 3339 time"),
    ("2027-03-09", "is not an RFC 3339 time"),
    ("2027-02-30T08:00:00Z", "is not a valid time"),
])
def test_times_must_be_rfc3339_utc(tmp_path: Path, capsys, start: str, fragment: str) -> None:
    data = instance_data(1, [("r1", "a", "b")])
    data["slots"][0]["start"] = start
    assert main(["solve", str(write(tmp_path, "bad.json", data))]) == 2
    one_error_line(capsys, "slot 's0' start", fragment)


def test_lowercase_rfc3339_and_a_byte_order_mark_are_read(tmp_path: Path, capsys) -> None:
    data = instance_data(1, [("r1", "a", "b")])
    data["slots"][0]["start"] = data["slots"][0]["start"].replace("T", "t").replace("Z", "z")
    path = tmp_path / "bom.json"
    path.write_text("\ufeff" + json.dumps(data), encoding="utf-8")
    assert main(["solve", str(path), "--time-limit", "5"]) == 0


@pytest.mark.parametrize("content,fragment", [
    ("{not json", "bad.json: not valid JSON (line 1, column 2"),
    (instance_data(1, [("r1", "a", "zz")]) | {"participants": [{"id": "a", "timezone": "UTC"}]}, "unknown participant 'zz'"),
    (instance_data(1, [("r1", "a", "a")]), "participant 'a' cannot meet themselves"),
    (instance_data(1, [("r1", "a", "b"), ("r1", "a", "c")]), "meeting 'r1': duplicate id"),
    # Wrong shapes and sizes: one line, never a traceback.
    (instance_data(1, [("r1", "a", "b")], people={"a": {"available": [["s0"]]}}), "unknown slot ['s0']"),
    (instance_data(1, [("r1", "a", "b", {"fixed_slot": ["s0"]})]), "fixed_slot: unknown slot ['s0']"),
    (instance_data(1, [("r1", "a", "b")]) | {"meetings": [{"id": "r1", "participants": [["a"], "b"]}]},
     "unknown participant ['a']"),
    (instance_data(1, [("r1", "a", "b", {"weight": 10**30})]), "weight: expected an integer from 1 to"),
    (instance_data(1, [("r1", "a", "b", {"after": False})]), "after must be a list of meeting ids"),
    ('{"format": "brokerage-instance/1", "slots": [], "n": ' + "9" * 5000 + "}", "not valid JSON"),
])
def test_bad_instance_is_one_line_and_exit_2(tmp_path: Path, capsys, content, fragment: str) -> None:
    path = write(tmp_path, "bad.json", content)
    assert main(["solve", str(path)]) == 2
    one_error_line(capsys, "bad.json", fragment)


@pytest.mark.parametrize("argv,fragment", [
    (["solve"], "required: instance"),
    (["solve", "x.json", "--time-limit", "-1"], "must be more than 0 and at most 604800"),
    (["solve", "x.json", "--time-limit", "inf"], "must be more than 0 and at most 604800"),
    (["solve", "x.json", "--workers", "0"], "must be from 1 to 256"),
    (["solve", "x.json", "--workers", "100000"], "must be from 1 to 256"),
    (["solve", "x.json", "--fairness", str(10**20)], "must be from 0 to 2147483647"),
    (["frobnicate"], "invalid choice"),
    (["solve", "missing.json"], "missing.json: no such file"),
])
def test_bad_command_lines(argv: list[str], fragment: str, capsys) -> None:
    code = None
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    assert code == 2
    one_error_line(capsys, fragment)


def test_output_directory_checked_before_solving(tmp_path: Path, capsys) -> None:
    inst = write(tmp_path, "event.json", instance_data(1, [("r1", "a", "b")]))
    assert main(["solve", str(inst), "-o", str(tmp_path / "no" / "such" / "dir.json")]) == 2
    one_error_line(capsys, "directory does not exist")
    assert main(["solve", str(inst), "-o", str(tmp_path)]) == 2
    one_error_line(capsys, "is a directory, not a file")


def test_check_refuses_a_solution_of_another_event_or_an_unknown_one_with_meetings(
        tmp_path: Path, capsys) -> None:
    inst = write(tmp_path, "event.json", instance_data(2, [("r1", "a", "b")]))
    good = {"format": "brokerage-solution/1", "instance": "test", "status": "OPTIMAL",
            "assignments": [{"meeting": "r1", "slot": "s0"}], "unscheduled": [],
            "objective": {"weight": 1, "kept": 0, "breaks": 0, "preferred": 2}, "bound": {}}
    assert main(["check", str(inst), str(write(tmp_path, "good.json", good))]) == 0
    capsys.readouterr()
    cases = [({"instance": "another event"}, "the solution is for instance 'another event', not 'test'"),
             ({"status": "UNKNOWN"}, "an UNKNOWN solution must not assign meetings"),
             ({"objective": {"weight": 1}}, "objective lacks the kept level")]
    for change, problem in cases:
        path = write(tmp_path, "sol.json", good | change)
        assert main(["check", str(inst), str(path)]) == 1
        assert problem in capsys.readouterr().out


def test_generate_and_bench_are_dispatched(monkeypatch) -> None:
    import solver.bench
    import solver.generate
    calls = []
    monkeypatch.setattr(solver.generate, "main", lambda argv: calls.append(("generate", argv)) or 0)
    monkeypatch.setattr(solver.bench, "main", lambda argv: calls.append(("bench", argv)) or 5)
    assert main(["generate", "--participants", "3"]) == 0
    assert main(["bench", "-x"]) == 5
    assert calls == [("generate", ["--participants", "3"]), ("bench", ["-x"])]


def test_module_entry_point_has_no_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", instance_data(1, [("r1", "a", "b")]) | {"slots": [
        {"id": "s0", "start": "2027-03-09T10:00:00+02:00", "end": "2027-03-09T10:20:00+02:00"}]})
    run = subprocess.run([sys.executable, "-m", "solver", "solve", str(bad)], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == (f"solver: {bad}: slot 's0' start: '2027-03-09T10:00:00+02:00' "
                                  "is not in UTC (end it with 'Z', such as 2027-03-09T08:00:00Z)")
