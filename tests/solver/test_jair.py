"""JAIR 2022 originals small enough for CI, solved to their published optima."""
from __future__ import annotations

import csv

import pytest

from solver import load_instance, solve
from solver.bench import DEFAULT_JAIR
from tests.solver.builders import assert_valid

JAIR = DEFAULT_JAIR  # shared/ lies beside the repository (as in CI)
CI_INSTANCES = ["tic-12", "tic-13", "forumt-14", "forumt-14crafd", "tic-14crafd", "forum-13"]


def optima() -> dict[str, int]:
    with open(JAIR / "optima.csv") as f:
        return {r["instance"]: int(r["optimal_breaks_d2"]) for r in csv.DictReader(f)}


@pytest.mark.skipif(not JAIR.is_dir(), reason="JAIR benchmark not present")
@pytest.mark.parametrize("name", CI_INSTANCES)
def test_reaches_published_optimum(name: str) -> None:
    inst = load_instance(JAIR / f"{name}.original.dzn")
    sol = solve(inst, time_limit=30, workers=2)
    assert_valid(inst, sol)
    assert sol.status == "OPTIMAL"
    assert sol.objective["breaks"] == optima()[name]
    assert sol.objective["weight"] == len(inst.meetings)  # all meetings are required
