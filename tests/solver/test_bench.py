"""The benchmark command: one table, real solves in child processes, loud on invalid solutions."""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from solver import bench
from solver.bench import COLUMNS, Case, Result, gap, main, parse

JAIR = bench.DEFAULT_JAIR
HEADER = "instance,participants,meetings,slots,tables,optimal_breaks_d2,paper_maxsat_s,paper_chuffed_s,paper_mip_s\n"

# Schedules every meeting in the first slot: a clash for anyone with two meetings.
BROKEN_SOLVER = """
import json, re, sys
args = sys.argv[1:]
n = int(re.search(r"nMeetings\\s*=\\s*(\\d+)", open(args[0]).read()).group(1))
json.dump({"format": "brokerage-solution/1", "status": "FEASIBLE",
           "assignments": [{"meeting": f"m{i}", "slot": "t1"} for i in range(1, n + 1)],
           "unscheduled": [], "objective": {}, "bound": {}, "wall_s": 0.01},
          open(args[args.index("-o") + 1], "w"))
"""


@pytest.fixture
def tic12(tmp_path: Path) -> Path:
    """A JAIR directory holding only tic-12, the smallest original."""
    if not (JAIR / "tic-12.original.dzn").is_file():
        pytest.skip(f"JAIR benchmark not found at {JAIR}")
    directory = tmp_path / "jair"
    directory.mkdir()
    row = next(line for line in (JAIR / "optima.csv").read_text().splitlines() if line.startswith("tic-12,"))
    (directory / "optima.csv").write_text(HEADER + row + "\n")
    shutil.copy(JAIR / "tic-12.original.dzn", directory)
    return directory


def rows(out: str) -> dict[str, list[str]]:
    table = out.split("\n\n")[0].splitlines()[2:]
    return {line.split()[0]: line.split() for line in table}


def test_bench_prints_one_table_and_writes_markdown(tic12: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    md = tmp_path / "benchmarks.md"
    argv = ["--jair-dir", str(tic12), "--sizes", "50", "--time-limit", "2", "--jair-time-limit", "3", "--markdown", str(md)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert [c for c in COLUMNS if c not in header] == []
    table = rows(out)
    tic = table["tic-12"]
    # All 125 meetings are required; whether 0 breaks is reached in 3 s is the benchmark's business.
    assert tic[1] in ("OPTIMAL", "FEASIBLE") and tic[2] == "125"
    assert tic[-2:] == ["0", "yes" if tic[1] == "OPTIMAL" and tic[4] == "0" else "NO"]
    assert float(tic[-4]) > 10  # peak MB of a real solver process
    gen = table["gen-50"]
    assert gen[1] in ("OPTIMAL", "FEASIBLE") and int(gen[2]) >= int(gen[-3]) > 0  # never below greedy
    text = md.read_text()
    assert "python -m solver bench --jair-dir" in text and "OR-Tools 9.15" in text and f"| tic-12 | {tic[1]} |" in text
    assert re.search(r"Speed check .*: \d+\.\d\d s, \d+\.\d\d s", text)  # runs are comparable across hours
    assert "JAIR 2022: " in out and "gen-50 (" in out


def test_invalid_solution_fails_loudly(tic12: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    script = tmp_path / "broken_solver.py"
    script.write_text(BROKEN_SOLVER)
    monkeypatch.setattr(bench, "SOLVE_CMD", [sys.executable, str(script)])
    assert main(["--jair-dir", str(tic12), "--only", "jair"]) == 1
    captured = capsys.readouterr()
    assert rows(captured.out)["tic-12"][1] == "INVALID"
    assert "INVALID tic-12: slot t1 holds 125 meetings, capacity 21" in captured.err
    assert "more problems" in captured.err


def test_crashing_solver_fails(tic12: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(bench, "SOLVE_CMD", [sys.executable, "-c", "raise SystemExit('solver: out of cheese')"])
    assert main(["--jair-dir", str(tic12), "--only", "jair"]) == 1
    assert "solver exited 1: solver: out of cheese" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["--sizes", "10"], "--sizes: 10 is outside 50..5000"),
    (["--sizes", "300,lots"], "--sizes"),
    (["--workers", "0"], "--workers"),
    (["--time-limit", "-1"], "--time-limit"),
    (["--only", "jair", "--jair-dir", "/nonexistent"], "/nonexistent/optima.csv: no such file"),
    (["--markdown", "/nonexistent/dir/b.md"], "--markdown"),
])
def test_bad_arguments_one_line_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_markdown_goes_only_to_a_benchmarks_page(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Checked before the run: the sections it rewrites would have replaced any other file's text."""
    other = tmp_path / "passwd"
    other.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"\xff\xfe# Solver")
    for target, needle in [(other, "is not a benchmarks page"), (tmp_path, "is a directory"),
                           (latin, "cannot read"), (tmp_path / "new.md", None)]:
        argv = ["--only", "generated", "--sizes", "50", "--markdown", str(target)]
        if needle is None:  # a new file is fine: parsing passes
            assert parse(argv).markdown == target
            continue
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and needle in err
    assert other.read_text(encoding="utf-8") == "root:x:0:0:root:/root:/bin/bash\n"


def test_gap_and_target_on_the_open_level() -> None:
    case = Case("gen-x", Path("x.json"), 60.0)
    near = Result(case, "FEASIBLE", {"weight": 995, "breaks": 40}, {"weight": 1000}, 59.0, 60.0, 900.0, 990)
    assert gap(near) == pytest.approx(0.005) and near.met
    short = Result(case, "FEASIBLE", {"weight": 990, "breaks": 40}, {"weight": 1000}, 59.0, 60.0, 900.0, 980)
    assert not short.met
    unproven = Result(case, "FEASIBLE", {"weight": 995}, {}, 59.0, 60.0, 900.0, 990)
    assert gap(unproven) is None and not unproven.met
    below_greedy = Result(case, "OPTIMAL", {"weight": 995}, {}, 5.0, 6.0, 900.0, 996)
    assert gap(below_greedy) == 0 and not below_greedy.met
    jair = Result(Case("forum-13", Path("f.dzn"), 10.0, published=2), "FEASIBLE", {"weight": 154, "breaks": 3},
                  {"breaks": 1}, 10.0, 11.0, 80.0, 150)
    assert gap(jair) == pytest.approx(2 / 3) and not jair.matched


def test_summary_names_the_slowest_met_and_each_miss() -> None:
    def jair(name: str, status: str, breaks: int, bound: dict, wall: float) -> Result:
        return Result(Case(name, Path(f"{name}.dzn"), 10.0, published=3), status,
                      {"weight": 10, "breaks": breaks}, bound, wall, wall, 80.0, None)

    line = bench.summary([jair("fast", "OPTIMAL", 3, {}, 2.0), jair("slow", "OPTIMAL", 3, {}, 7.5),
                          jair("open", "FEASIBLE", 40, {"breaks": 2}, 9.9)])[0]
    assert line.startswith("JAIR 2022: 2/3 proven optimal with the published breaks within 10 s")
    assert "slowest of those slow 7.50 s" in line
    assert "missed: open (FEASIBLE, 40 breaks, bound 2, optimum 3)" in line


def test_markdown_keeps_other_tools_sections() -> None:
    """The web app's figures share docs/benchmarks.md; rewriting the solver's part keeps them."""
    old = "# Solver\n\nold\n\n## Results\n\nold table\n\n## Web app at scale\n\nweb table\n\n### 300\n\nrows\n"
    new = "# Solver\n\nnew\n\n## Results\n\nnew table\n"
    merged = bench.keep_other_sections(old, new)
    assert merged == "# Solver\n\nnew\n\n## Results\n\nnew table\n\n## Web app at scale\n\nweb table\n\n### 300\n\nrows\n"
    assert bench.keep_other_sections("", new) == new
