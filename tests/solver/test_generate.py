"""The event generator: reproducible, loadable, realistic across time zones."""
from __future__ import annotations

import collections
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import instance_from_dict
from solver.generate import generate_event, main

REPO = Path(__file__).resolve().parents[2]
REGION_OF = {"Asia/Tokyo": "JP", "Asia/Seoul": "KR"}


def region(tz: str) -> str:
    return REGION_OF.get(tz) or ("US" if tz.startswith("America/") else "EU")


def local(stamp: str, tz: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(ZoneInfo(tz))


@pytest.fixture(scope="module")
def event() -> dict:
    return generate_event(300, seed=11)


def test_same_seed_same_bytes_different_seed_differs(tmp_path: Path) -> None:
    paths = [tmp_path / f"{n}.json" for n in range(3)]
    for path, seed in zip(paths, ("5", "5", "6")):
        assert main(["--participants", "120", "--seed", seed, "-o", str(path)]) == 0
    first, again, other = (p.read_bytes() for p in paths)
    assert first == again
    assert first != other


@pytest.mark.parametrize("participants, seed", [(50, 0), (50, 1), (777, 3), (5000, 0)])
def test_generated_instances_load(participants: int, seed: int) -> None:
    data = generate_event(participants, seed=seed)
    instance = instance_from_dict(json.loads(json.dumps(data)))
    assert len(instance.participants) == participants
    assert len(instance.meetings) == len(data["meetings"]) > 3 * participants


@settings(max_examples=12, deadline=None)
@given(participants=st.integers(50, 150), seed=st.integers(0, 2**32), days=st.integers(1, 5),
       slot_minutes=st.sampled_from([15, 20, 30, 45]), rpp=st.sampled_from([1, 3, 5, 8]),
       start=st.dates(datetime(2026, 1, 1).date(), datetime(2030, 12, 31).date()))
def test_any_arguments_give_a_valid_instance(participants: int, seed: int, days: int, slot_minutes: int,
                                             rpp: int, start) -> None:
    data = generate_event(participants, requests_per_participant=rpp, days=days, seed=seed,
                          slot_minutes=slot_minutes, start=start)
    instance = instance_from_dict(data)
    session_start: dict[str, datetime] = {}
    for slot in instance.slots:
        session_start.setdefault(slot.session, slot.start)
    assert all(t.weekday() < 5 for t in session_start.values())
    assert len({name.split("-")[0] for name in session_start}) == days
    assert all(len(set(m.participants)) == 2 for m in instance.meetings)


def test_region_mix(event: dict) -> None:
    counts = collections.Counter(region(p["timezone"]) for p in event["participants"])
    assert counts == {"EU": 165, "US": 60, "JP": 39, "KR": 36}
    assert len({p["timezone"] for p in event["participants"] if region(p["timezone"]) == "EU"}) >= 8


def test_slots_are_weekday_sessions_in_utc(event: dict) -> None:
    starts = [datetime.fromisoformat(s["start"]) for s in event["slots"]]
    ends = [datetime.fromisoformat(s["end"]) for s in event["slots"]]
    assert all(s["start"].endswith("Z") for s in event["slots"])
    assert all(a < b <= c for a, b, c in zip(starts, ends, starts[1:]))
    assert {d.date().isoformat() for d in starts} == {"2027-03-15", "2027-03-16", "2027-03-17"}
    assert {s["session"] for s in event["slots"]} == {
        f"d{d}-{name}" for d in (1, 2) for name in ("asia-europe", "europe-americas", "americas-asia")}
    assert len({s["id"] for s in event["slots"]}) == len(event["slots"])


def test_tokyo_availability_is_in_tokyo_business_hours(event: dict) -> None:
    slots = {s["id"]: s for s in event["slots"]}
    tokyo = [p for p in event["participants"] if p["timezone"] == "Asia/Tokyo"]
    sessions = set()
    for person in tokyo:
        for sid in person["available"]:
            start, end = local(slots[sid]["start"], "Asia/Tokyo"), local(slots[sid]["end"], "Asia/Tokyo")
            assert start.weekday() < 5 and start.hour >= 7 and (end.hour, end.minute) <= (21, 0), sid
            sessions.add(slots[sid]["session"].split("-", 1)[1])
    # Tokyo evening meets the European morning, Tokyo morning the American afternoon; never European afternoon.
    assert sessions == {"asia-europe", "americas-asia"}


def test_new_york_hours_follow_us_summer_time_while_europe_is_on_winter_time(event: dict) -> None:
    slots = {s["id"]: s for s in event["slots"]}

    def preferred_utc(tz: str) -> set[str]:
        return {slots[sid]["start"][11:16] for p in event["participants"] if p["timezone"] == tz
                for sid in p["preferred"]}

    # 13:00 UTC is 09:00 in New York (EDT since 14 March) but 08:00 on standard time.
    assert "13:00" in preferred_utc("America/New_York")
    # 07:00 UTC is 08:00 in Paris (CET until 28 March): before core hours; 08:15 UTC is 09:15.
    paris = preferred_utc("Europe/Paris")
    assert "07:00" not in paris and "08:15" in paris
    for person in event["participants"]:
        tz = person["timezone"]
        assert set(person["preferred"]) <= set(person["available"])
        for sid in person["available"]:
            start, end = local(slots[sid]["start"], tz), local(slots[sid]["end"], tz)
            assert start.weekday() < 5 and start.hour >= 7 and (end.hour, end.minute) <= (21, 0), (tz, sid)
            core = start.hour >= 9 and (end.hour, end.minute) <= (17, 0)
            assert (sid in person["preferred"]) == core, (tz, sid)


def test_requests_are_distinct_cross_region_pairs(event: dict) -> None:
    tz = {p["id"]: p["timezone"] for p in event["participants"]}
    pairs = [frozenset(m["participants"]) for m in event["meetings"]]
    assert all(len(pair) == 2 for pair in pairs)
    assert len(set(pairs)) == len(pairs)
    assert len({m["id"] for m in event["meetings"]}) == len(pairs)
    assert {m["weight"] for m in event["meetings"]} == {1, 2, 3}
    assert not any(m["required"] for m in event["meetings"])
    cross = sum(region(tz[a]) != region(tz[b]) for a, b in (m["participants"] for m in event["meetings"]))
    assert cross >= 0.7 * len(pairs)
    assert 4.5 * 300 <= len(pairs) <= 5.5 * 300


def test_a_few_requests_have_no_common_slot(event: dict) -> None:
    available = {p["id"]: set(p["available"]) for p in event["participants"]}
    lonely = [m for m in event["meetings"] if not available[m["participants"][0]] & available[m["participants"][1]]]
    assert 0 < len(lonely) < 0.05 * len(event["meetings"])


def test_popularity_is_skewed(event: dict) -> None:
    asked = collections.Counter(m["participants"][1] for m in event["meetings"])
    counts = sorted((asked[p["id"]] for p in event["participants"]), reverse=True)
    mean = sum(counts) / len(counts)
    assert counts[0] >= 3.5 * mean
    assert sum(counts[:30]) >= 0.2 * sum(counts)  # top 10% are asked at least twice their share


def test_some_participants_cap_their_meetings(event: dict) -> None:
    caps = [p["max_meetings"] for p in event["participants"] if "max_meetings" in p]
    assert 0.1 * 300 < len(caps) < 0.5 * 300 and all(1 <= c <= 12 for c in caps)


def test_capacity_is_optional() -> None:
    assert all("capacity" not in s for s in generate_event(50)["slots"])
    assert {s["capacity"] for s in generate_event(50, capacity=7)["slots"]} == {7}


@pytest.mark.parametrize("argv, needle", [
    (["--participants", "10"], "between 50 and 5000"),
    (["--participants", "many"], "--participants"),
    ([], "--participants"),
    (["--participants", "60", "--days", "0"], "days"),
    (["--participants", "60", "--start", "15/03/2027"], "--start"),
    (["--participants", "60", "--start", "9999-12-31"], "years 2000-2999"),
    (["--participants", "60", "-o", "/nonexistent/dir/x.json"], "cannot write /nonexistent/dir/x.json"),
])
def test_bad_arguments_one_line_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_command_line_writes_to_stdout() -> None:
    run = subprocess.run([sys.executable, "-m", "solver", "generate", "--participants", "50", "--seed", "2"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == generate_event(50, seed=2)
