"""`python -m solver solve|check|generate|bench ...` (see docs/solver.md)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from .instance import (LEVELS, MAX_INT, InputError, Solution, load_instance, load_solution,
                       solution_to_dict)

EXIT_CODES = {"OPTIMAL": 0, "FEASIBLE": 0, "INFEASIBLE": 3, "UNKNOWN": 4}
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage dump: the user sees exactly what is wrong.
        print(f"solver: {message} (see --help)", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


MAX_SECONDS = 7 * 24 * 3600.0  # a week: more is a typo, and CP-SAT needs a finite limit
MAX_WORKERS = 256


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_SECONDS:g}: {text!r}")
    return value


def _int_in(minimum: int, maximum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be from {minimum} to {maximum}: {text!r}")
        return value
    return parse


def _parser() -> _Parser:
    parser = _Parser(prog="python -m solver", description="Brokerage timetable optimiser.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = sub.add_parser("solve", help="optimise a timetable")
    solve.add_argument("instance", help=".json (brokerage-instance/1) or JAIR .dzn file")
    solve.add_argument("-o", "--output", help="solution file (default: standard output)")
    solve.add_argument("--time-limit", type=_positive_float, default=60.0, metavar="SECONDS",
                       help="wall-clock budget for all objective levels (default 60)")
    solve.add_argument("--workers", type=_int_in(1, MAX_WORKERS), default=2, metavar="N",
                       help="CP-SAT search threads (default 2)")
    solve.add_argument("--fairness", type=_int_in(0, MAX_INT), metavar="D",
                       help="max break difference between participants "
                            "(default: 2 for .dzn, the instance's own for .json)")
    check = sub.add_parser("check", help="validate a solution without the solver")
    check.add_argument("instance")
    check.add_argument("solution")
    check.add_argument("--fairness", type=_int_in(0, MAX_INT), metavar="D")
    sub.add_parser("generate", help="generate a synthetic event (see generate --help)")
    sub.add_parser("bench", help="run the benchmarks (see bench --help)")
    return parser


def _summary(solution: Solution) -> str:
    levels = " ".join(f"{k}={solution.objective[k]}" for k in LEVELS if k in solution.objective)
    return (f"solver: {solution.status} {levels} unscheduled={len(solution.unscheduled)} "
            f"in {solution.wall_s:.1f} s")


def _solve(args: argparse.Namespace) -> int:
    from .model import solve

    instance = load_instance(args.instance, args.fairness)
    if args.output and not Path(args.output).resolve().parent.is_dir():
        raise InputError(f"{args.output}: directory does not exist")
    if args.output and Path(args.output).is_dir():
        raise InputError(f"{args.output}: is a directory, not a file")
    solution = solve(instance, time_limit=args.time_limit, workers=args.workers)
    text = json.dumps(solution_to_dict(solution), indent=1, ensure_ascii=False) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise InputError(f"{args.output}: cannot write ({e.strerror})") from None
    else:
        sys.stdout.write(text)
    print(_summary(solution), file=sys.stderr)
    return EXIT_CODES[solution.status]


def _check(args: argparse.Namespace) -> int:
    from .validate import evaluate, validate

    instance = load_instance(args.instance, args.fairness)
    solution = load_solution(args.solution)
    problems = validate(instance, solution)
    if solution.status in ("OPTIMAL", "FEASIBLE"):
        problems += [f"objective lacks the {level} level" for level in LEVELS
                     if level not in solution.objective]
    for problem in problems:
        print(problem)
    known = {m: s for m, s in solution.assignments.items()
             if m in instance.meeting_by_id and s in instance.slot_by_id}
    objective = evaluate(instance, known)
    print("objective: " + " ".join(f"{k}={objective[k]}" for k in LEVELS))
    print(f"{'invalid' if problems else 'valid'}: {len(problems)} violation(s)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("generate", "bench"):
        if argv[0] == "generate":
            from .generate import main as command
        else:
            from .bench import main as command
        return command(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return _solve(args) if args.command == "solve" else _check(args)
    except InputError as e:
        print(f"solver: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
