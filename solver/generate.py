"""Realistic virtual brokerage events as brokerage-instance/1 dicts, seeded and reproducible.

European SMEs meet technology holders in the US, Japan and Korea. Each event day has
three UTC sessions, each bridging two regions' business hours; a participant's
availability is the slots inside their own local business hours (via zoneinfo), so
the daylight-saving week where the US has changed clocks and Europe has not is
handled like any other.
"""
from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import random
import sys
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

FORMAT = "brokerage-instance/1"
MIN_PARTICIPANTS, MAX_PARTICIPANTS = 50, 5000
# US on summer time since 2027-03-14, Europe only from 2027-03-28: the awkward week.
DEFAULT_START = date(2027, 3, 15)

# region -> (share of participants, {time zone: relative weight})
REGIONS: dict[str, tuple[float, dict[str, int]]] = {
    "EU": (0.55, {"Europe/Paris": 4, "Europe/Berlin": 4, "Europe/Madrid": 3, "Europe/Rome": 3,
                  "Europe/London": 2, "Europe/Amsterdam": 2, "Europe/Brussels": 2, "Europe/Warsaw": 2,
                  "Europe/Vienna": 1, "Europe/Stockholm": 1, "Europe/Helsinki": 1, "Europe/Lisbon": 1,
                  "Europe/Dublin": 1, "Europe/Athens": 1}),
    "US": (0.20, {"America/New_York": 4, "America/Chicago": 2, "America/Denver": 1, "America/Los_Angeles": 3}),
    "JP": (0.13, {"Asia/Tokyo": 1}),
    "KR": (0.12, {"Asia/Seoul": 1}),
}
# (name, UTC start, minutes): the European morning meets the Asian evening, the European
# afternoon the American morning, the American afternoon the next Asian morning.
SESSIONS = (("asia-europe", time(7, 0), 180), ("europe-americas", time(13, 0), 240),
            ("americas-asia", time(21, 0), 240))
PAUSE_MINUTES = 5          # changeover between two video calls
BUSINESS = (8 * 60, 18 * 60)  # usual local business hours, minutes after midnight
CORE = (9 * 60, 17 * 60)      # preferred local hours
ZIPF_EXPONENT = 0.7
ZIPF_OFFSET = 5            # flattens the very top so the most popular are asked by dozens, not thousands
KEEP_NO_COMMON = 0.05      # platforms show partners' availability, so few ask without overlap
MAX_TRIES = 20


def generate_event(participants: int, *, requests_per_participant: float = 5, days: int = 2, seed: int = 0,
                   slot_minutes: int = 20, start: date = DEFAULT_START, capacity: int | None = None) -> dict:
    """A brokerage-instance/1 dict; the same arguments always give the same dict."""
    _check(participants, requests_per_participant, days, slot_minutes, capacity, start)
    rng = random.Random(seed)
    slots = _slots(_event_days(start, days), slot_minutes, capacity)
    local = _local_times(slots)
    people = _participants(rng, participants, slots, local)
    meetings = _requests(rng, people, requests_per_participant)
    return {
        "format": FORMAT,
        "name": f"Virtual EU-US-Japan-Korea brokerage, {participants} participants, week of {start.isoformat()}",
        "generator": {"seed": seed, "participants": participants, "requests_per_participant": requests_per_participant,
                      "days": days, "slot_minutes": slot_minutes, "start": start.isoformat(), "capacity": capacity},
        "slots": slots,
        "participants": [{k: v for k, v in p.items() if k not in ("region", "mask")} for p in people],
        "meetings": meetings,
    }


def _check(participants: int, rpp: float, days: int, slot_minutes: int, capacity: int | None,
           start: date) -> None:
    if not 2000 <= start.year <= 2999:
        raise ValueError(f"start must be a day in the years 2000-2999, got {start.isoformat()}")
    if not MIN_PARTICIPANTS <= participants <= MAX_PARTICIPANTS:
        raise ValueError(f"participants must be between {MIN_PARTICIPANTS} and {MAX_PARTICIPANTS}, got {participants}")
    if not 0 < rpp <= 50:
        raise ValueError(f"requests per participant must be in (0, 50], got {rpp}")
    if not 1 <= days <= 10:
        raise ValueError(f"days must be between 1 and 10, got {days}")
    if not 10 <= slot_minutes <= 60:
        raise ValueError(f"slot minutes must be between 10 and 60, got {slot_minutes}")
    if capacity is not None and capacity < 1:
        raise ValueError(f"capacity must be at least 1, got {capacity}")


def _event_days(start: date, days: int) -> list[date]:
    weekdays = (start + timedelta(n) for n in itertools.count())
    return list(itertools.islice((d for d in weekdays if d.weekday() < 5), days))


def _slots(days: list[date], slot_minutes: int, capacity: int | None) -> list[dict]:
    slots = []
    step, length = timedelta(minutes=slot_minutes + PAUSE_MINUTES), timedelta(minutes=slot_minutes)
    for k, day in enumerate(days, 1):
        for name, utc_start, minutes in SESSIONS:
            # The Americas-Asia session ends on the next day in Asia: skip it when that is a Saturday.
            if name == "americas-asia" and (day + timedelta(1)).weekday() >= 5:
                continue
            begin = datetime.combine(day, utc_start, timezone.utc)
            end = begin + timedelta(minutes=minutes)
            at = begin
            while at + length <= end:
                slot = {"id": f"d{k}-{at:%H%M}", "start": _z(at), "end": _z(at + length), "session": f"d{k}-{name}"}
                if capacity is not None:
                    slot["capacity"] = capacity
                slots.append(slot)
                at += step
    return slots


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _local_times(slots: list[dict]) -> dict[str, list[tuple[bool, int, int]]]:
    """Per time zone, per slot: (local weekday?, local start minute, local end minute)."""
    out = {}
    for tz_name in sorted({tz for _, zones in REGIONS.values() for tz in zones}):
        tz, rows = ZoneInfo(tz_name), []
        for slot in slots:
            s = datetime.fromisoformat(slot["start"]).astimezone(tz)
            e = datetime.fromisoformat(slot["end"]).astimezone(tz)
            end_min = e.hour * 60 + e.minute + (1440 if e.date() > s.date() else 0)
            rows.append((s.weekday() < 5, s.hour * 60 + s.minute, end_min))
        out[tz_name] = rows
    return out


def _region_quota(n: int) -> list[str]:
    """Exact region counts by largest remainder, so small events keep the mix."""
    raw = {r: share * n for r, (share, _) in REGIONS.items()}
    counts = {r: int(v) for r, v in raw.items()}
    for r in sorted(raw, key=lambda r: counts[r] - raw[r])[: n - sum(counts.values())]:
        counts[r] += 1
    return [r for r in REGIONS for _ in range(counts[r])]


def _participants(rng: random.Random, n: int, slots: list[dict], local: dict) -> list[dict]:
    regions = _region_quota(n)
    rng.shuffle(regions)
    day_of = [s["session"].split("-")[0] for s in slots]
    people = []
    for i, region in enumerate(regions, 1):
        zones = REGIONS[region][1]
        tz = rng.choices(list(zones), weights=list(zones.values()))[0]
        opens, closes = _hours(rng)
        off_day = rng.choice(sorted(set(day_of))) if rng.random() < 0.1 else None  # attends one day less
        available, preferred, mask = [], [], 0
        for j, (slot, (weekday, s, e)) in enumerate(zip(slots, local[tz])):
            if not weekday or s < opens or e > closes or day_of[j] == off_day or rng.random() < 0.08:
                continue
            available.append(slot["id"])
            mask |= 1 << j
            if CORE[0] <= s and e <= CORE[1]:
                preferred.append(slot["id"])
        person = {"id": f"p{i}", "timezone": tz, "available": available, "preferred": preferred,
                  "region": region, "mask": mask}
        if rng.random() < 0.25:
            person["max_meetings"] = rng.randint(4, 12)
        people.append(person)
    return people


def _hours(rng: random.Random) -> tuple[int, int]:
    """Local business hours: usually 08-18, some stretch them for other continents, some are busier."""
    u = rng.random()
    if u < 0.2:
        return rng.choice((7, 8)) * 60, rng.choice((19, 20, 21)) * 60
    if u < 0.5:
        return rng.choice((8, 9, 10)) * 60, rng.choice((16, 17, 18)) * 60
    return BUSINESS


def _target_regions(region: str) -> tuple[list[str], list[float]]:
    """Mostly cross-region: EU SMEs ask overseas technology holders, and they ask back."""
    overseas = [r for r in REGIONS if r != "EU"]
    if region == "EU":
        total = sum(REGIONS[r][0] for r in overseas)
        return ["EU", *overseas], [0.2, *(0.8 * REGIONS[r][0] / total for r in overseas)]
    others = [r for r in overseas if r != region]
    return ["EU", region, *others], [0.75, 0.10, *(0.15 / len(others) for _ in others)]


def _popularity(rng: random.Random, people: list[dict]) -> dict[str, tuple[list[int], list[float]]]:
    """Per region: member indexes and cumulative Zipf weights over a random popularity rank."""
    out = {}
    for region in REGIONS:
        members = [i for i, p in enumerate(people) if p["region"] == region]
        rng.shuffle(members)
        weights = [(rank + ZIPF_OFFSET) ** -ZIPF_EXPONENT for rank in range(len(members))]
        out[region] = (members, list(itertools.accumulate(weights)))
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _requests(rng: random.Random, people: list[dict], rpp: float) -> list[dict]:
    popular = _popularity(rng, people)
    pairs: set[tuple[int, int]] = set()
    meetings = []
    for i, person in enumerate(people):
        regions, shares = _target_regions(person["region"])
        for _ in range(_poisson(rng, rpp)):
            j = _pick_partner(rng, i, people, popular, regions, shares, pairs)
            if j is None:
                continue
            pairs.add((min(i, j), max(i, j)))
            meetings.append({"id": f"r{len(meetings) + 1}", "participants": [person["id"], people[j]["id"]],
                             "weight": rng.choices((1, 2, 3), weights=(5, 3, 2))[0], "required": False})
    return meetings


def _pick_partner(rng: random.Random, i: int, people: list[dict], popular: dict, regions: list[str],
                  shares: list[float], pairs: set[tuple[int, int]]) -> int | None:
    for _ in range(MAX_TRIES):
        members, cumulative = popular[rng.choices(regions, weights=shares)[0]]
        if not members:
            continue
        j = members[min(bisect.bisect(cumulative, rng.random() * cumulative[-1]), len(members) - 1)]
        if j == i or (min(i, j), max(i, j)) in pairs:
            continue
        if people[i]["mask"] & people[j]["mask"] or rng.random() < KEEP_NO_COMMON:
            return j
    return None


class ArgumentError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """Raises instead of printing usage, so the command can say one line and return 2."""

    def error(self, message: str) -> None:
        raise ArgumentError(message)


def _fail(message: str) -> int:
    print(f"solver generate: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m solver generate", description="Write a realistic virtual brokerage event.")
    parser.add_argument("--participants", type=int, required=True, help=f"{MIN_PARTICIPANTS}..{MAX_PARTICIPANTS}")
    parser.add_argument("--requests-per-participant", type=float, default=5.0)
    parser.add_argument("--days", type=int, default=2, help="event days (weekdays)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slot-minutes", type=int, default=20)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START, help="first day, YYYY-MM-DD")
    parser.add_argument("--capacity", type=int, default=None, help="video rooms per slot (default unlimited)")
    parser.add_argument("-o", "--output", help="file to write (default standard output)")
    try:
        args = parser.parse_args(argv)
    except ArgumentError as exc:
        return _fail(str(exc))
    try:
        event = generate_event(args.participants, requests_per_participant=args.requests_per_participant,
                               days=args.days, seed=args.seed, slot_minutes=args.slot_minutes, start=args.start,
                               capacity=args.capacity)
    except ValueError as exc:
        return _fail(str(exc))
    text = json.dumps(event, separators=(",", ":")) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror}")
    return 0
