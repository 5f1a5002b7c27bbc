"""Instances and solutions of the brokerage timetabling problem.

Readers validate everything and raise `InputError` with one line naming the
file and the item at fault; nothing downstream re-checks the input.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

INSTANCE_FORMAT = "brokerage-instance/1"
SOLUTION_FORMAT = "brokerage-solution/1"
DEFAULT_SESSION = "default"
LEVELS = ("weight", "kept", "breaks", "preferred")
STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")


class InputError(ValueError):
    """Input that cannot be used; the message is one line naming the culprit."""


@dataclass(frozen=True)
class Slot:
    id: str
    start: datetime
    end: datetime
    session: str = DEFAULT_SESSION
    capacity: int | None = None


@dataclass(frozen=True)
class Participant:
    id: str
    timezone: str = "UTC"
    available: frozenset[str] | None = None
    preferred: frozenset[str] | None = None
    max_meetings: int | None = None

    def can_meet(self, slot_id: str) -> bool:
        return self.available is None or slot_id in self.available

    def prefers(self, slot_id: str) -> bool:
        if self.preferred is None:
            return self.can_meet(slot_id)
        return slot_id in self.preferred


@dataclass(frozen=True)
class Meeting:
    id: str
    participants: tuple[str, str]
    weight: int = 1
    required: bool = False
    allowed_slots: frozenset[str] | None = None
    fixed_slot: str | None = None
    after: tuple[str, ...] = ()
    previous_slot: str | None = None

    @property
    def must_hold(self) -> bool:
        # A locked meeting "must be held in that slot": it is required too.
        return self.required or self.fixed_slot is not None


@dataclass
class Instance:
    name: str
    slots: list[Slot]
    participants: list[Participant]
    meetings: list[Meeting]
    max_break_difference: int | None = None

    # Lookups are computed once; instances are not mutated after reading.
    @cached_property
    def slot_by_id(self) -> dict[str, Slot]:
        return {s.id: s for s in self.slots}

    @cached_property
    def slot_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.slots)}

    @cached_property
    def participant_by_id(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}

    @cached_property
    def meeting_by_id(self) -> dict[str, Meeting]:
        return {m.id: m for m in self.meetings}

    @cached_property
    def days_by_zone(self) -> dict[str, int]:
        """How many calendar days the slots touch on each participant's clock."""
        zones = {p.timezone for p in self.participants}
        return {tz: len({s.start.astimezone(ZoneInfo(tz)).date() for s in self.slots}) for tz in zones}

    @cached_property
    def session_slots(self) -> dict[str, list[int]]:
        """Slot indices of each session, in order."""
        out: dict[str, list[int]] = {}
        for i, s in enumerate(self.slots):
            out.setdefault(s.session, []).append(i)
        return out

    @cached_property
    def previous_in_session(self) -> list[int | None]:
        """For each slot index, the index of the slot just before it in its session."""
        last: dict[str, int] = {}
        prev: list[int | None] = []
        for i, s in enumerate(self.slots):
            prev.append(last.get(s.session))
            last[s.session] = i
        return prev

    @cached_property
    def between_in_session(self) -> list[list[int]]:
        """For each slot index, the slots of other sessions between it and the
        slot before it in its session (empty unless sessions interleave)."""
        return [list(range(p + 1, i)) if p is not None else []
                for i, p in enumerate(self.previous_in_session)]

    @cached_property
    def next_in_session(self) -> list[int | None]:
        """For each slot index, the index of the slot just after it in its session."""
        nxt: list[int | None] = [None] * len(self.slots)
        for i, p in enumerate(self.previous_in_session):
            if p is not None:
                nxt[p] = i
        return nxt

    @cached_property
    def meetings_of(self) -> dict[str, list[Meeting]]:
        out: dict[str, list[Meeting]] = {p.id: [] for p in self.participants}
        for m in self.meetings:
            for p in m.participants:
                out[p].append(m)
        return out

    def candidate_slots(self, meeting: Meeting) -> list[int]:
        """Slot indices a meeting may use, ignoring all other meetings."""
        a, b = (self.participant_by_id[p] for p in meeting.participants)
        out = []
        for i, s in enumerate(self.slots):
            if s.capacity == 0 or not (a.can_meet(s.id) and b.can_meet(s.id)):
                continue
            if meeting.allowed_slots is not None and s.id not in meeting.allowed_slots:
                continue
            if meeting.fixed_slot is not None and s.id != meeting.fixed_slot:
                continue
            out.append(i)
        return out

    @cached_property
    def candidates(self) -> dict[str, list[int]]:
        return {m.id: self.candidate_slots(m) for m in self.meetings}


@dataclass
class Solution:
    status: str
    assignments: dict[str, str]
    unscheduled: dict[str, str]
    objective: dict[str, int]
    bound: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    instance_name: str = ""


# ---------------------------------------------------------------- JSON input

def _fail(source: str, where: str, problem: str) -> InputError:
    return InputError(f"{source}: {where}: {problem}")


# RFC 3339 date-time (fromisoformat alone also takes ISO 8601 forms such as
# week dates or times without seconds, which other tools may not read).
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")
# Keeps every number within what CP-SAT and the JSON writers take.
MAX_INT = 2**31 - 1


def _utc(value: Any, source: str, where: str) -> datetime:
    example = "such as 2027-03-09T08:00:00Z"
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise _fail(source, where, f"{value!r} is not an RFC 3339 time {example}")
    if value[-1] not in "Zz":
        raise _fail(source, where, f"{value!r} is not in UTC (end it with 'Z', {example})")
    try:
        t = datetime.fromisoformat(value[:-1].upper() + "+00:00")
    except ValueError:
        raise _fail(source, where, f"{value!r} is not a valid time {example}") from None
    return t.astimezone(timezone.utc)


def _opt_int(value: Any, source: str, where: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INT:
        raise _fail(source, where, f"expected an integer from {minimum} to {MAX_INT}, got {value!r}")
    return value


def _id(value: Any, source: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(source, where, f"id must be a non-empty string, got {value!r}")
    return value


def _items(data: dict, key: str, source: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise _fail(source, key, "expected a list")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _fail(source, f"{key}[{i}]", "expected an object")
    return value


def _unique(ids: list[str], kind: str, source: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise _fail(source, f"{kind} {i!r}", "duplicate id")
        seen.add(i)


def _id_set(value: Any, known: dict, kind: str, source: str, where: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _fail(source, where, f"expected a list of {kind} ids")
    for v in value:
        if not isinstance(v, str) or v not in known:
            raise _fail(source, where, f"unknown {kind} {v!r}")
    return frozenset(value)


def _read_slots(data: dict, source: str) -> list[Slot]:
    slots = []
    for i, raw in enumerate(_items(data, "slots", source)):
        sid = _id(raw.get("id"), source, f"slots[{i}]")
        where = f"slot {sid!r}"
        start = _utc(raw.get("start"), source, f"{where} start")
        end = _utc(raw.get("end"), source, f"{where} end")
        if end <= start:
            raise _fail(source, where, "ends before it starts" if end < start else "ends when it starts")
        if slots and start < slots[-1].end:
            raise _fail(source, where, f"starts before slot {slots[-1].id!r} ends "
                        "(slots must be chronological and not overlap)")
        session = raw.get("session", DEFAULT_SESSION)
        if session is None:
            session = DEFAULT_SESSION
        if not isinstance(session, str):
            raise _fail(source, where, "session must be a string")
        capacity = _opt_int(raw.get("capacity"), source, f"{where} capacity", 0)
        slots.append(Slot(sid, start, end, session, capacity))
    _unique([s.id for s in slots], "slot", source)
    return slots


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # 'localtime' is this machine's zone, which a reader elsewhere does not share.
    return frozenset(available_timezones()) - {"localtime"}


def _read_participants(data: dict, slots: dict, source: str) -> list[Participant]:
    out = []
    for i, raw in enumerate(_items(data, "participants", source)):
        pid = _id(raw.get("id"), source, f"participants[{i}]")
        where = f"participant {pid!r}"
        tz = raw.get("timezone")
        if tz is None:
            raise _fail(source, where, "timezone is missing (an IANA name such as 'Asia/Tokyo')")
        if not isinstance(tz, str) or tz not in _zone_names():
            raise _fail(source, where, f"unknown time zone {tz!r} (expected an IANA name such as 'Asia/Tokyo')")
        available = _id_set(raw.get("available"), slots, "slot", source, f"{where} available")
        preferred = _id_set(raw.get("preferred"), slots, "slot", source, f"{where} preferred")
        if preferred is not None and available is not None and not preferred <= available:
            odd = sorted(preferred - available)[0]
            raise _fail(source, where, f"preferred slot {odd!r} is not in available")
        cap = _opt_int(raw.get("max_meetings"), source, f"{where} max_meetings", 0)
        out.append(Participant(pid, tz, available, preferred, cap))
    _unique([p.id for p in out], "participant", source)
    return out


def _read_meeting(raw: dict, i: int, people: dict, slots: dict, source: str) -> Meeting:
    mid = _id(raw.get("id"), source, f"meetings[{i}]")
    where = f"meeting {mid!r}"
    pair = raw.get("participants")
    if not isinstance(pair, list) or len(pair) != 2:
        raise _fail(source, where, "participants must list exactly two participant ids")
    for p in pair:
        if not isinstance(p, str) or p not in people:
            raise _fail(source, where, f"unknown participant {p!r}")
    if pair[0] == pair[1]:
        raise _fail(source, where, f"participant {pair[0]!r} cannot meet themselves")
    weight = _opt_int(raw.get("weight", 1), source, f"{where} weight", 1)
    required = raw.get("required", False)
    if required is None:
        required = False
    if not isinstance(required, bool):
        raise _fail(source, where, "required must be true or false")
    allowed = _id_set(raw.get("allowed_slots"), slots, "slot", source, f"{where} allowed_slots")
    fixed, previous = raw.get("fixed_slot"), raw.get("previous_slot")
    for key, value in (("fixed_slot", fixed), ("previous_slot", previous)):
        if value is not None and (not isinstance(value, str) or value not in slots):
            raise _fail(source, where, f"{key}: unknown slot {value!r}")
    after = raw.get("after")
    after = [] if after is None else after
    if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
        raise _fail(source, where, "after must be a list of meeting ids")
    return Meeting(mid, (pair[0], pair[1]), weight if weight is not None else 1, required,
                   allowed, fixed, tuple(after), previous)


def _read_fairness(data: dict, source: str) -> int | None:
    fairness = data.get("fairness")
    if fairness is None:
        return None
    if not isinstance(fairness, dict):
        raise _fail(source, "fairness", "expected an object")
    return _opt_int(fairness.get("max_break_difference"), source,
                    "fairness max_break_difference", 0)


def instance_from_dict(data: Any, source: str = "instance") -> Instance:
    """Build and validate an instance from brokerage-instance/1 data."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a JSON object")
    fmt = data.get("format", INSTANCE_FORMAT)
    if fmt != INSTANCE_FORMAT:
        raise _fail(source, "format", f"expected {INSTANCE_FORMAT!r}, got {fmt!r}")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise _fail(source, "name", "expected a string")
    slots = _read_slots(data, source)
    slot_ids = {s.id: s for s in slots}
    participants = _read_participants(data, slot_ids, source)
    people = {p.id: p for p in participants}
    meetings = [_read_meeting(raw, i, people, slot_ids, source)
                for i, raw in enumerate(_items(data, "meetings", source))]
    _unique([m.id for m in meetings], "meeting", source)
    known = {m.id for m in meetings}
    for m in meetings:
        for a in m.after:
            if a not in known:
                raise _fail(source, f"meeting {m.id!r}", f"after: unknown meeting {a!r}")
            if a == m.id:
                raise _fail(source, f"meeting {m.id!r}", "after: a meeting cannot follow itself")
    return Instance(name, slots, participants, meetings, _read_fairness(data, source))


def _utc_text(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sorted_ids(ids: frozenset[str] | None, order: dict[str, int]) -> list[str] | None:
    return None if ids is None else sorted(ids, key=order.__getitem__)


def instance_to_dict(instance: Instance) -> dict:
    order = instance.slot_index
    data: dict[str, Any] = {
        "format": INSTANCE_FORMAT,
        "name": instance.name,
        "slots": [{"id": s.id, "start": _utc_text(s.start), "end": _utc_text(s.end),
                   "session": s.session, "capacity": s.capacity} for s in instance.slots],
        "participants": [],
        "meetings": [{"id": m.id, "participants": list(m.participants), "weight": m.weight,
                      "required": m.required,
                      "allowed_slots": _sorted_ids(m.allowed_slots, order),
                      "fixed_slot": m.fixed_slot, "after": list(m.after),
                      "previous_slot": m.previous_slot} for m in instance.meetings],
    }
    for p in instance.participants:
        item: dict[str, Any] = {"id": p.id, "timezone": p.timezone}
        if p.available is not None:
            item["available"] = _sorted_ids(p.available, order)
        if p.preferred is not None:
            item["preferred"] = _sorted_ids(p.preferred, order)
        item["max_meetings"] = p.max_meetings
        data["participants"].append(item)
    if instance.max_break_difference is not None:
        data["fairness"] = {"max_break_difference": instance.max_break_difference}
    return data


# ------------------------------------------------------------------ .dzn input

_DZN_BASE = datetime(2022, 1, 3, 9, 0, tzinfo=timezone.utc)
_DZN_SLOT = timedelta(minutes=30)
_DZN_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(.*)$", re.S)


def _dzn_statements(text: str, source: str) -> dict[str, str]:
    text = re.sub(r"%[^\n]*", "", text)
    out = {}
    *statements, rest = text.split(";")
    if rest.strip():  # a cut-off file would otherwise pass as one with its last arrays left out
        raise InputError(f"{source}: {rest.strip()[:40]!r}... does not end with ';' (is the file complete?)")
    for stmt in statements:
        if not stmt.strip():
            continue
        match = _DZN_ASSIGN.match(stmt)
        if not match:
            raise InputError(f"{source}: cannot parse {stmt.strip()[:40]!r}")
        out[match.group(1)] = match.group(2).strip()
    return out


def _dzn_ints(text: str, source: str, name: str) -> list[int]:
    body = text.strip("[]|{} \n")
    try:
        return [int(t) for t in re.split(r"[\s,|]+", body) if t]
    except ValueError:
        raise InputError(f"{source}: {name}: expected integers") from None


# A MiniZinc set: a literal {1, 5} or a range 3..7.
_DZN_SET = re.compile(r"\{([^{}]*)\}|(\d+)\s*\.\.\s*(\d+)")


def _dzn_sets(text: str, source: str, name: str, kind: str, top: int) -> list[list[int]]:
    """An array of sets of kind numbers 1..top, 0 being padding."""
    if not (text.startswith("[") and text.endswith("]")):
        raise InputError(f"{source}: {name}: expected an array of sets")
    body = text[1:-1]
    if _DZN_SET.sub("", body).strip(" \t\r\n,"):
        raise InputError(f"{source}: {name}: expected sets such as {{1, 5}} or 3..7")
    out = []
    for k, (literal, lo, hi) in enumerate(_DZN_SET.findall(body), 1):
        values = _dzn_ints(literal, source, name) if lo == "" else [int(lo), int(hi)]
        for v in values:
            if not 0 <= v <= top:
                raise InputError(f"{source}: {name}[{k}]: no {kind} {v}")
        out.append(values if lo == "" else list(range(int(lo), int(hi) + 1)))
    return out


def _dzn_get(stmts: dict[str, str], name: str, source: str) -> str:
    if name not in stmts:
        raise InputError(f"{source}: missing {name}")
    return stmts[name]


def _dzn_scalar(stmts: dict[str, str], name: str, source: str) -> int:
    text = _dzn_get(stmts, name, source)
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{source}: {name}: expected an integer, got {text[:20]!r}") from None
    if value < 0:
        raise InputError(f"{source}: {name}: must not be negative")
    return value


MAX_DZN_SLOTS, MAX_DZN_PEOPLE = 10_000, 100_000  # a week of 5-minute slots is 2,016


def instance_from_dzn(text: str, source: str = "instance.dzn", name: str = "",
                      fairness: int | None = 2) -> Instance:
    """Map a JAIR 2022 B2B .dzn file onto an instance (see the spec)."""
    st = _dzn_statements(text, source)
    n_people, n_meetings, tables, n_slots, n_morning = (
        _dzn_scalar(st, k, source)
        for k in ("nBusiness", "nMeetings", "nTables", "nTotalSlots", "nMorningSlots"))
    if n_morning > n_slots:
        raise InputError(f"{source}: nMorningSlots exceeds nTotalSlots")
    # Counts, not lists: a typo of a few digits would build millions of slots or people before any check.
    for key, value, top in (("nTotalSlots", n_slots, MAX_DZN_SLOTS), ("nBusiness", n_people, MAX_DZN_PEOPLE)):
        if value > top:
            raise InputError(f"{source}: {key}: {value} is more than {top:,}")
    requested = _dzn_ints(_dzn_get(st, "requested", source), source, "requested")
    if len(requested) != 3 * n_meetings:
        raise InputError(f"{source}: requested: expected {n_meetings} rows of 3 numbers")
    forbidden = _dzn_sets(st.get("forbidden", "[]"), source, "forbidden", "slot", n_slots)
    fixed = _dzn_ints(st.get("fixed", "[]"), source, "fixed")
    precedences = _dzn_sets(st.get("precedences", "[]"), source, "precedences", "meeting", n_meetings)
    for key, arr, size in (("forbidden", forbidden, n_people), ("fixed", fixed, n_meetings),
                           ("precedences", precedences, n_meetings)):
        if arr and len(arr) != size:
            raise InputError(f"{source}: {key}: expected {size} entries, got {len(arr)}")
    slot_ids = [f"t{i}" for i in range(1, n_slots + 1)]
    slots = [Slot(sid, _DZN_BASE + i * _DZN_SLOT, _DZN_BASE + (i + 1) * _DZN_SLOT,
                  DEFAULT_SESSION, tables) for i, sid in enumerate(slot_ids)]
    participants = []
    for p in range(n_people):
        banned = set(forbidden[p]) - {0} if forbidden else set()
        available = None if not banned else frozenset(
            sid for i, sid in enumerate(slot_ids, 1) if i not in banned)
        participants.append(Participant(f"p{p + 1}", "UTC", available))
    sessions = {1: frozenset(slot_ids[:n_morning]), 2: frozenset(slot_ids[n_morning:]), 3: None}
    meetings = []
    for m in range(n_meetings):
        a, b, part = requested[3 * m: 3 * m + 3]
        where = f"{source}: requested[{m + 1}]"
        if not (1 <= a <= n_people and 1 <= b <= n_people):
            raise InputError(f"{where}: participant out of range 1..{n_people}")
        if a == b:
            raise InputError(f"{where}: participant {a} cannot meet themselves")
        if part not in sessions:
            raise InputError(f"{where}: session must be 1, 2 or 3, got {part}")
        slot = fixed[m] if fixed else 0
        if not 0 <= slot <= n_slots:
            raise InputError(f"{source}: fixed[{m + 1}]: no slot {slot}")
        before = set(precedences[m]) - {0} if precedences else set()
        if m + 1 in before:
            raise InputError(f"{source}: precedences[{m + 1}]: a meeting cannot follow itself")
        meetings.append(Meeting(f"m{m + 1}", (f"p{a}", f"p{b}"), 1, True, sessions[part],
                                f"t{slot}" if slot else None,
                                tuple(f"m{o}" for o in sorted(before))))
    return Instance(name, slots, participants, meetings, fairness)


# ---------------------------------------------------------------- file access

def load_instance(path: str | Path, fairness: int | None = None) -> Instance:
    """Read a .json or .dzn instance; `fairness` overrides the file's d."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text") from None
    except OSError as e:
        raise InputError(f"{source}: cannot read ({e.strerror})") from None
    if path.suffix.lower() == ".dzn":
        return instance_from_dzn(text, source, path.stem, 2 if fairness is None else fairness)
    instance = instance_from_dict(_parse_json(text, source), source)
    if fairness is not None:
        instance.max_break_difference = fairness
    return instance


def _parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text)
        if "\\u" in text:  # an escaped lone surrogate parses, but no output can encode it
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except RecursionError:
        raise InputError(f"{source}: not valid JSON (nested too deeply)") from None
    except UnicodeEncodeError as e:
        raise InputError(f"{source}: not valid JSON (an unpaired surrogate {e.object[e.start:e.end]!r} "
                         "is no Unicode text)") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: "
                         f"{e.msg})") from None
    except ValueError as e:  # e.g. a number of thousands of digits
        reason = str(e).split(";")[0]
        raise InputError(f"{source}: not valid JSON ({reason})") from None


# ----------------------------------------------------------------- solutions

def solution_to_dict(solution: Solution) -> dict:
    return {
        "format": SOLUTION_FORMAT,
        "instance": solution.instance_name,
        "status": solution.status,
        "assignments": [{"meeting": m, "slot": s} for m, s in solution.assignments.items()],
        "unscheduled": [{"meeting": m, "reason": r} for m, r in solution.unscheduled.items()],
        "objective": dict(solution.objective),
        "bound": dict(solution.bound),
        "wall_s": round(solution.wall_s, 3),
    }


def _pairs(data: dict, key: str, value_key: str, source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, item in enumerate(_items(data, key, source)):
        m, v = item.get("meeting"), item.get(value_key)
        if not isinstance(m, str) or not isinstance(v, str):
            raise _fail(source, f"{key}[{i}]", f"needs string 'meeting' and '{value_key}'")
        if m in out:
            raise _fail(source, f"{key}[{i}]", f"meeting {m!r} listed twice")
        out[m] = v
    return out


def _int_map(data: dict, key: str, source: str) -> dict[str, int]:
    value = data.get(key) or {}
    if not isinstance(value, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        raise _fail(source, key, "expected an object of integers")
    return dict(value)


def solution_from_dict(data: Any, source: str = "solution") -> Solution:
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a JSON object")
    if data.get("format") != SOLUTION_FORMAT:
        raise _fail(source, "format", f"expected {SOLUTION_FORMAT!r}")
    status = data.get("status")
    if status not in STATUSES:
        raise _fail(source, "status", f"expected one of {', '.join(STATUSES)}, got {status!r}")
    wall = data.get("wall_s", 0.0)
    if isinstance(wall, bool) or not isinstance(wall, (int, float)):
        raise _fail(source, "wall_s", "expected a number")
    name = data.get("instance", "")
    return Solution(status, _pairs(data, "assignments", "slot", source),
                    _pairs(data, "unscheduled", "reason", source),
                    _int_map(data, "objective", source), _int_map(data, "bound", source),
                    float(wall), name if isinstance(name, str) else "")


def load_solution(path: str | Path) -> Solution:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{source}: cannot read ({e})") from None
    return solution_from_dict(_parse_json(text, source), source)
