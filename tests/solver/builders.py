"""Small instances for solver tests, built through the real JSON reader."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from solver import Instance, Solution, instance_from_dict, validate

START = datetime(2027, 3, 9, 8, 0, tzinfo=timezone.utc)


def slot_ids(n: int) -> list[str]:
    return [f"s{i}" for i in range(n)]


def instance_data(n_slots: int, meetings: list[tuple], people: dict[str, dict] | None = None,
                  capacity: int | None = None, sessions: list[str] | None = None,
                  fairness: int | None = None) -> dict[str, Any]:
    """meetings: (id, a, b) or (id, a, b, {extra keys}); participants come from
    the meetings unless listed in `people` (id -> extra keys)."""
    people = dict(people or {})
    for m in meetings:
        for p in m[1:3]:
            people.setdefault(p, {})
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    data: dict[str, Any] = {
        "format": "brokerage-instance/1", "name": "test",
        "slots": [{"id": sid, "start": (START + i * timedelta(minutes=20)).strftime(fmt),
                   "end": (START + (i + 1) * timedelta(minutes=20)).strftime(fmt),
                   "session": sessions[i] if sessions else "day", "capacity": capacity}
                  for i, sid in enumerate(slot_ids(n_slots))],
        "participants": [{"id": p, "timezone": "UTC", **extra} for p, extra in people.items()],
        "meetings": [{"id": m[0], "participants": [m[1], m[2]], **(m[3] if len(m) > 3 else {})}
                     for m in meetings],
    }
    if fairness is not None:
        data["fairness"] = {"max_break_difference": fairness}
    return data


def make(n_slots: int, meetings: list[tuple], **kwargs: Any) -> Instance:
    return instance_from_dict(instance_data(n_slots, meetings, **kwargs), "test.json")


def assert_valid(instance: Instance, solution: Solution) -> None:
    problems = validate(instance, solution)
    assert problems == [], problems
    assert set(solution.assignments) | set(solution.unscheduled) == {m.id for m in instance.meetings}
