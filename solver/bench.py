"""Solver benchmark: the JAIR 2022 originals against their published optima, and generated events.

Each instance is solved by a fresh process (`child` below: `solve` as the command line runs it,
plus when each objective level was settled), so the peak memory reported is that instance's
alone; the bench process re-checks every solution with `validate` and computes the
first-come-first-served baseline.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import InputError, greedy, load_instance, solution_to_dict, solve, validate
from .generate import MAX_PARTICIPANTS, MIN_PARTICIPANTS, ArgumentError, Parser, generate_event
from .instance import LEVELS, load_solution

REPO = Path(__file__).resolve().parents[1]
DEFAULT_JAIR = REPO.parent / "shared" / "benchmarks" / "jair2022"
SOLVE_CMD = [sys.executable, "-m", "solver.bench"]  # tests swap in a deliberately broken solver
GENERATED_SEED = 2027
TARGET_RATIO = 0.995
TARGET_MEMORY_MB = 4096
COLUMNS = ("instance", "status", "weight", "kept", "breaks", "preferred", "bound", "gap",
           "weight s", "wall s", "peak MB", "greedy", "published", "match")


@dataclass
class Case:
    name: str
    path: Path
    time_limit: float
    published: int | None = None  # JAIR's proven optimal breaks, d = 2
    meetings: int = 0


@dataclass
class Result:
    case: Case
    status: str = "ERROR"
    objective: dict[str, int] = field(default_factory=dict)
    bound: dict[str, int] = field(default_factory=dict)
    wall_s: float = math.nan
    weight_s: float = math.nan  # when the weight level was settled
    peak_mb: float = math.nan
    greedy: int | None = None
    problems: list[str] = field(default_factory=list)  # invalid solution or failed run

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def weight_ratio(self) -> float:
        """Achieved weight over its proven upper bound; NaN when nothing was proven."""
        weight, top = self.objective.get("weight", 0), self.bound.get("weight")
        if top is None:
            return 1.0 if self.status == "OPTIMAL" else math.nan
        return weight / top if top else 1.0

    @property
    def matched(self) -> bool:
        return self.status == "OPTIMAL" and self.objective.get("breaks") == self.case.published

    @property
    def met(self) -> bool:
        """The issue's target for this kind of instance."""
        in_time = self.wall_s <= self.case.time_limit + 1.0  # model building may overrun a little
        if self.case.published is not None:
            return self.ok and self.matched and in_time
        return (self.ok and in_time and self.weight_ratio >= TARGET_RATIO
                and self.peak_mb < TARGET_MEMORY_MB and self.objective.get("weight", -1) >= (self.greedy or 0))


# ------------------------------------------------------------------ cases

def jair_cases(directory: Path, time_limit: float) -> list[Case]:
    optima = directory / "optima.csv"
    if not optima.is_file():
        raise InputError(f"{optima}: no such file (give --jair-dir)")
    cases = []
    with optima.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), 2):
            try:
                name, breaks, meetings = row["instance"], int(row["optimal_breaks_d2"]), int(row["meetings"])
            except (KeyError, TypeError, ValueError):
                raise InputError(f"{optima}: line {line}: needs instance, meetings and optimal_breaks_d2") from None
            path = directory / f"{name}.original.dzn"
            if not path.is_file():
                raise InputError(f"{path}: listed in optima.csv but missing")
            cases.append(Case(name, path, time_limit, breaks, meetings))
    return cases


def generated_cases(sizes: list[int], directory: Path, time_limit: float, seed: int) -> list[Case]:
    cases = []
    for n in sizes:
        event = generate_event(n, seed=seed)
        path = directory / f"gen-{n}.json"
        path.write_text(json.dumps(event), encoding="utf-8")
        cases.append(Case(f"gen-{n}", path, time_limit, meetings=len(event["meetings"])))
    return cases


# ------------------------------------------------------------------ running

def run_child(case: Case, workers: int, out: Path) -> tuple[int, float, str]:
    """Solve in a fresh process: (exit code, peak RSS MB, stderr)."""
    cmd = [*SOLVE_CMD, str(case.path), "-o", str(out), "--time-limit", str(case.time_limit),
           "--workers", str(workers)]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
        # A solver that ignores its time limit must not hang the benchmark.
        watchdog = threading.Timer(3 * case.time_limit + 120, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # rusage of exactly this child
        finally:
            watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().decode("utf-8", "replace").strip()
    return proc.returncode, usage.ru_maxrss / 1024, message


def measure(case: Case, workers: int, scratch: Path) -> Result:
    result = Result(case)
    out = scratch / f"{case.name}.solution.json"
    code, result.peak_mb, stderr = run_child(case, workers, out)
    try:
        instance = load_instance(case.path)
    except InputError as exc:
        result.problems.append(str(exc))
        return result
    baseline = greedy(instance)
    result.greedy = baseline.objective.get("weight")
    if problems := validate(instance, baseline):
        result.problems.append(f"greedy baseline invalid: {problems[0]}")
    if code not in (0, 3, 4) or not out.is_file():
        last = stderr.splitlines()[-1] if stderr else "no output"
        result.problems.append(f"solver exited {code}: {last}")
        return result
    try:
        solution = load_solution(out)
    except InputError as exc:
        result.problems.append(str(exc))
        return result
    result.status, result.objective, result.bound = solution.status, solution.objective, solution.bound
    result.wall_s = solution.wall_s
    result.weight_s = json.loads(out.read_text(encoding="utf-8")).get("level_s", {}).get("weight", math.nan)
    result.problems += validate(instance, solution)
    if result.problems and result.status != "ERROR":
        result.status = "INVALID"
    return result


# ------------------------------------------------------------------ reporting

def open_levels(result: Result) -> dict[str, int]:
    """Bounds on the levels not proven optimal (a bound equal to the value proves it)."""
    return {k: result.bound[k] for k in LEVELS if k in result.bound and result.objective.get(k) != result.bound[k]}


def gap(result: Result) -> float | None:
    """Relative gap on the first objective level that is not proven optimal."""
    for level, bound in open_levels(result).items():
        if level in result.objective:
            value = result.objective[level]
            return abs(bound - value) / max(abs(value), abs(bound), 1)
    return 0.0 if result.status == "OPTIMAL" else None


def cells(r: Result) -> list[str]:
    o = r.objective
    bound = ", ".join(f"{k} {'>=' if k == 'breaks' else '<='} {v}" for k, v in open_levels(r).items())
    g = gap(r)
    published = "-" if r.case.published is None else str(r.case.published)
    match = "-" if r.case.published is None else ("yes" if r.matched else "NO")
    return [r.case.name, r.status, *(str(o.get(k, "-")) for k in LEVELS),
            bound or "-", "-" if g is None else _pct(g), _num(r.weight_s, 2), _num(r.wall_s, 2),
            _num(r.peak_mb, 0), "-" if r.greedy is None else str(r.greedy), published, match]


def _pct(ratio: float) -> str:
    return "unproven" if math.isnan(ratio) else f"{100 * ratio:.2f}%"


def _num(value: float, digits: int) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def text_table(results: list[Result]) -> str:
    rows = [list(COLUMNS), *(cells(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: list[Result]) -> str:
    rows = [COLUMNS, ["---", "---", *["---:"] * (len(COLUMNS) - 2)], *(cells(r) for r in results)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def summary(results: list[Result]) -> list[str]:
    lines = []
    jair = [r for r in results if r.case.published is not None]
    if jair:
        met = [r for r in jair if r.met]
        line = (f"JAIR 2022: {len(met)}/{len(jair)} proven optimal with the published breaks "
                f"within {jair[0].case.time_limit:g} s")
        if met:
            slowest = max(met, key=lambda r: -1 if math.isnan(r.wall_s) else r.wall_s)
            line += f"; slowest of those {slowest.case.name} {_num(slowest.wall_s, 2)} s"
        missed = [f"{r.case.name} ({r.status}, {r.objective.get('breaks', '-')} breaks, "
                  f"bound {r.bound.get('breaks', '-')}, optimum {r.case.published})"
                  for r in jair if not r.met]
        if missed:
            line += "; missed: " + ", ".join(missed)
        lines.append(line + ".")
    for r in results:
        if r.case.published is None:
            top = r.bound.get("weight")
            proven = "no proven bound" if top is None else f"{_pct(r.weight_ratio)} of the proven bound {top}"
            lines.append(
                f"{r.case.name} ({r.case.meetings} requests): weight {r.objective.get('weight', '-')}, {proven} "
                f"(target >= {100 * TARGET_RATIO:.1f}%), greedy {r.greedy}, {_num(r.wall_s, 1)} s "
                f"(limit {r.case.time_limit:g}), {_num(r.peak_mb, 0)} MB: target {'met' if r.met else 'MISSED'}.")
    return lines


def growth(results: list[Result]) -> str:
    gen = sorted((r for r in results if r.case.published is None and not math.isnan(r.wall_s)),
                 key=lambda r: r.case.meetings)
    if len(gen) < 2:
        return ""
    steps = "; ".join(f"{r.case.name.removeprefix('gen-')} participants ({r.case.meetings} requests): weight "
                      f"settled after {_num(r.weight_s, 1)} s, {r.status} after {r.wall_s:.1f} s, "
                      f"{_num(r.peak_mb, 0)} MB" for r in gen)
    first, last = gen[0], gen[-1]
    scale = last.case.meetings / first.case.meetings
    text = f"{steps}."
    if not (math.isnan(first.weight_s) or math.isnan(last.weight_s)):
        ratio = last.weight_s / max(first.weight_s, 1e-3)
        text += (f" For {scale:.1f}x the requests, settling the total weight took {ratio:.1f}x as long "
                 f"(about size^{math.log(max(ratio, 1e-3)) / math.log(scale):.2f}) and memory grew "
                 f"{last.peak_mb / first.peak_mb:.1f}x.")
    capped = [r.case.name for r in gen if r.status != "OPTIMAL" and r.wall_s >= 0.9 * r.case.time_limit]
    if capped:
        # A run cut off by the limit says nothing about how long it needed.
        text += (f" {', '.join(capped)} spent the rest of the time limit on the lower levels (breaks, preferred "
                 "slots) without proving them optimal, so their total time is the limit, not the need.")
    early = [r.case.name for r in gen if r.status != "OPTIMAL" and r.wall_s < 0.9 * r.case.time_limit]
    if early:
        text += f" {', '.join(early)} returned before the limit without proving every level optimal."
    return text


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem = next((int(line.split()[1]) / 2**20 for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal:")), math.nan)
    import ortools  # only for its version
    return [f"CPU: {cpu}, {os.cpu_count()} logical cores ({len(os.sched_getaffinity(0))} usable)",
            f"Memory: {mem:.1f} GiB",
            f"Python {platform.python_version()}, OR-Tools {ortools.__version__}, {platform.platform()}"]


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def speed_check() -> float:
    """Seconds for a fixed pure-Python loop: shared cores run at different
    speeds from hour to hour, and this lets two runs' figures be compared."""
    start = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - start


def source_digest() -> str:
    """Which solver code produced the figures (the tree may change under a long run)."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "solver").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


TITLE = "# Solver benchmarks"


def markdown_target_problem(path: Path, marks: tuple[str, ...] = (TITLE,)) -> str | None:
    """Why the figures may not go to `path`, checked before a long run. An existing file must be a
    benchmarks page (one of `marks` in it): the sections rewritten would replace any other file's text."""
    if path.is_dir():
        return f"{path} is a directory"
    if not path.parent.resolve().is_dir():
        return f"no directory {path.parent}"
    if not path.exists():
        return None if os.access(path.parent.resolve(), os.W_OK) else f"cannot write in {path.parent}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {path} as UTF-8 text ({exc.__class__.__name__})"
    if text.strip() and not any(mark in text for mark in marks):
        return f"{path} is not a benchmarks page (no '{marks[0]}'); give a new file or docs/benchmarks.md"
    return None if os.access(path, os.W_OK) else f"cannot write {path}"


def keep_other_sections(old: str, new: str) -> str:
    """`new`, followed by the `## ` sections of `old` it does not write itself (other tools' figures)."""
    mine = {line for line in new.splitlines() if line.startswith("## ")}
    kept = [part for part in old.split("\n## ")[1:] if f"## {part.splitlines()[0]}" not in mine]
    return new.rstrip("\n") + "".join(f"\n\n## {part.rstrip()}" for part in kept) + "\n"


def markdown(results: list[Result], command: str, loads: tuple[float, float],
             digests: tuple[str, str], speeds: tuple[float, float]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        TITLE, "",
        f"Produced on {when} by:", "", "```", command, "```", "",
        "## Machine", "", *(f"- {line}" for line in machine()),
        # The cores may be shared: say how busy they were, since it moves every time below.
        f"- Load average (1 min) at start and end of the run: {loads[0]:.1f}, {loads[1]:.1f}",
        f"- Speed check (a fixed 20-million-step Python loop) at start and end: "
        f"{speeds[0]:.2f} s, {speeds[1]:.2f} s (lower is faster; compare runs by it)",
        f"- Solver sources (sha256 of solver/*.py): {digests[0]}"
        + ("" if digests[0] == digests[1] else f", CHANGED during the run to {digests[1]}: figures mix versions"),
        "",
        "## Results", "", markdown_table(results), "",
        "Each instance is solved by a fresh process running `solver.solve` as `python -m solver solve` does. "
        "*weight s* is when the first objective level (total weight) was settled (- when all meetings are "
        "required, so it is fixed); *wall s* the solver's whole time, model building included; *peak MB* the "
        "process's maximum resident memory, Python and the instance included. *bound* is the proven bound on any level "
        "not proven optimal and *gap* the relative gap on the first such level. *greedy* is the total weight "
        "of the first-come-first-served baseline (- when it cannot give a valid schedule, e.g. it misses "
        "a required meeting or breaks fairness). JAIR instances use fairness d = 2; *published* is the "
        "paper's proven optimal total breaks and *match* whether the solver proved the same. Generated events "
        f"come from `generate_event(n, seed={GENERATED_SEED})` (about five requests per participant).", "",
        "## Targets", "", *(f"- {line}" for line in summary(results)), "",
        *(["## Growth with event size", "", text, ""] if (text := growth(results)) else []),
    ])


# ------------------------------------------------------------------ command line

def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated participant counts, got {text!r}") from None
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="python -m solver bench", description="Benchmark the solver; print one table.")
    parser.add_argument("--jair-dir", type=Path, default=DEFAULT_JAIR)
    parser.add_argument("--sizes", type=_sizes, default=[300, 1000, 3000], help="participants, e.g. 300,1000")
    parser.add_argument("--time-limit", type=_positive, default=60.0, help="seconds per generated event")
    parser.add_argument("--jair-time-limit", type=_positive, default=10.0, help="seconds per JAIR instance")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=("jair", "generated"))
    parser.add_argument("--markdown", type=Path, help="also write the results and the machine to this file")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    for n in args.sizes:
        if not MIN_PARTICIPANTS <= n <= MAX_PARTICIPANTS:
            parser.error(f"--sizes: {n} is outside {MIN_PARTICIPANTS}..{MAX_PARTICIPANTS} participants")
    # The web app's bench (brokerage/bench.py) writes its section into the same page.
    if args.markdown and (problem := markdown_target_problem(args.markdown, (TITLE, "## Web app at scale"))):
        parser.error(f"--markdown: {problem}")  # said before a long run
    return args


def run(args: argparse.Namespace, scratch: Path) -> list[Result]:
    cases = jair_cases(args.jair_dir, args.jair_time_limit) if args.only != "generated" else []
    if args.only != "jair":
        cases += generated_cases(args.sizes, scratch, args.time_limit, GENERATED_SEED)
    results = []
    for i, case in enumerate(cases, 1):
        result = measure(case, args.workers, scratch)
        results.append(result)
        print(f"[{i}/{len(cases)}] {case.name}: {result.status} {_num(result.wall_s, 2)} s", file=sys.stderr,
              flush=True)
        for problem in result.problems[:5]:
            print(f"  INVALID {case.name}: {problem}", file=sys.stderr)
        if len(result.problems) > 5:
            print(f"  ... and {len(result.problems) - 5} more problems", file=sys.stderr)
    return results


def child(argv: list[str]) -> int:
    """The solver process: INSTANCE -o SOLUTION --time-limit S --workers N, like `solver solve`, and
    the solution file also records when each objective level was settled (`level_s`)."""
    parser = argparse.ArgumentParser(prog="python -m solver.bench")
    parser.add_argument("instance")
    parser.add_argument("-o", dest="output", required=True)
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--workers", type=int, required=True)
    args = parser.parse_args(argv)
    settled: dict[str, float] = {}

    def note(event: dict) -> None:
        level, _, done = event.get("phase", "").partition(" ")
        if done == "done":
            settled[level] = round(event["wall_s"], 3)

    solution = solve(load_instance(args.instance), time_limit=args.time_limit, workers=args.workers,
                     on_progress=note)
    Path(args.output).write_text(json.dumps({**solution_to_dict(solution), "level_s": settled}), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse(argv)
        load_before, digest_before = os.getloadavg()[0], source_digest()
        speed_before = speed_check() if args.markdown else math.nan
        with tempfile.TemporaryDirectory(prefix="solver-bench-") as tmp:
            results = run(args, Path(tmp))
    except (ArgumentError, InputError) as exc:
        print(f"solver bench: {exc}", file=sys.stderr)
        return 2
    print(text_table(results), "", *summary(results), sep="\n")
    if args.markdown:
        command = shlex.join(["python", "-m", "solver", "bench", *argv])
        loads, digests = (load_before, os.getloadavg()[0]), (digest_before, source_digest())
        speeds = (speed_before, speed_check())
        try:
            old = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
            args.markdown.write_text(keep_other_sections(old, markdown(results, command, loads, digests, speeds)),
                                     encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:  # changed during the run
            print(f"solver bench: --markdown: cannot write {args.markdown}: {exc}", file=sys.stderr)
            return 2
    if source_digest() != digest_before:
        print("solver bench: warning: solver/*.py changed during the run; the figures mix versions", file=sys.stderr)
    bad = [r.case.name for r in results if not r.ok]
    if bad:
        print(f"solver bench: invalid solutions or failed runs: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(child(sys.argv[1:]))
