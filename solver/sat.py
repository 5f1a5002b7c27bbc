"""Break minimisation by clausal SAT, for events where every meeting is held.

Why a second engine: on the crafted JAIR instances, where table capacity
binds, Glucose (through PySAT) on a clausal encoding finds timetables with
few breaks and proves break bounds many times faster than CP-SAT searching
the same problem (figures in docs/solver.md); the paper's best solver is
SAT-based for the same reason.  CP-SAT keeps every other level and starts
the breaks level alone: most events never need this.

The encodings share the break, fairness and total-breaks clauses:
- the *busy* relaxation decides only in which slots each participant is
  busy, with implied constraints (counts, capacity, someone to meet); when
  it has no timetable with B breaks, neither has the real problem, so it
  proves lower bounds cheaply;
- the exact encoding adds a literal per (meeting, slot); optionally with
  the busy-capacity counters too, which speed up proofs where tables bind,
  and optionally with cardinality constraints left native for Gluecard,
  which finds timetables on crowded events fastest.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from pysat.card import CardEnc, EncType, ITotalizer
from pysat.formula import IDPool
from pysat.solvers import Solver

from .instance import Instance
from .validate import evaluate

ENGINE = "g4"  # Glucose 4.1: fast here, and it can be interrupted
NATIVE_ENGINE = "gluecard4"  # the same with native cardinality constraints


class Interrupted(Exception):
    """An encoding was abandoned: its time ran out or the search was stopped."""


@dataclass
class BreakEncoding:
    instance: Instance
    relaxed: bool
    # Cardinality constraints kept whole, for a solver that propagates them
    # itself (Gluecard), instead of as counter clauses.
    native: bool = False
    cards: list[tuple[list[int], int]] = field(default_factory=list)
    pool: IDPool = field(default_factory=IDPool)
    clauses: list[list[int]] = field(default_factory=list)
    x: dict[tuple[int, int], int] = field(default_factory=dict)
    busy: dict[tuple[int, int], int] = field(default_factory=dict)
    breaks_of: dict[int, list[int]] = field(default_factory=dict)
    # Each break literal's cause, (busy here, seen before, literals that must
    # be off: busy just before, busy elsewhere in between); the literal is
    # only forced up, which suffices to count.
    causes: dict[int, tuple[int, int, tuple[int, ...]]] = field(default_factory=dict)
    total: ITotalizer | None = None
    # Asked between pieces of work: building a big encoding takes seconds of
    # Python, and a stop or the deadline must not wait for it.
    halt: Callable[[], bool] | None = None

    def check(self) -> None:
        if self.halt is not None and self.halt():
            raise Interrupted

    def new(self) -> int:
        return self.pool.id()

    def at_most(self, lits: list[int], k: int) -> None:
        if k >= len(lits):
            return
        if self.native:
            self.cards.append((list(lits), k))
            return
        kind = EncType.pairwise if k == 1 and len(lits) <= 6 else EncType.seqcounter
        self.clauses += CardEnc.atmost(lits, k, vpool=self.pool, encoding=kind).clauses

    def impossible(self) -> None:
        v = self.new()
        self.clauses += [[v], [-v]]

    def at_least(self, lits: list[int], k: int) -> None:
        if k <= 0:
            return
        if k > len(lits):
            self.impossible()
        elif k == 1:
            self.clauses.append(list(lits))
        elif self.native:
            self.at_most([-v for v in lits], len(lits) - k)
        else:
            self.clauses += CardEnc.atleast(lits, k, vpool=self.pool,
                                            encoding=EncType.seqcounter).clauses

    def exactly(self, lits: list[int], k: int) -> None:
        if 0 < k < len(lits) and self.native:
            self.at_most(lits, k)
            self.at_least(lits, k)
        elif 0 < k < len(lits):
            self.clauses += CardEnc.equals(lits, k, vpool=self.pool,
                                           encoding=EncType.totalizer).clauses
        elif k > len(lits):
            self.impossible()
        elif k == len(lits):
            self.clauses += [[v] for v in lits]
        else:
            self.clauses += [[-v] for v in lits]

    def breaks_at_most(self, bound: int) -> list[int]:
        """Assumptions that keep the total breaks at or below `bound`."""
        rhs = self.total.rhs if self.total is not None else []
        return [-rhs[bound]] if bound < len(rhs) else []


@dataclass(frozen=True)
class _Shape:
    """The instance as indices: who meets whom, where each meeting may go."""
    people: dict[int, list[int]]   # participant -> meetings
    pairs: list[tuple[int, int]]
    cand: list[list[int]]

    @classmethod
    def of(cls, inst: Instance) -> _Shape:
        index = {p.id: i for i, p in enumerate(inst.participants)}
        pairs = [(index[m.participants[0]], index[m.participants[1]]) for m in inst.meetings]
        people: dict[int, list[int]] = defaultdict(list)
        for mi, (a, b) in enumerate(pairs):
            people[a].append(mi)
            people[b].append(mi)
        return cls(dict(people), pairs, [inst.candidates[m.id] for m in inst.meetings])

    def partners_at(self, p: int, s: int) -> set[int]:
        return {q for mi in self.people[p] if s in self.cand[mi] for q in self.pairs[mi] if q != p}


def _full(enc: BreakEncoding, shape: _Shape) -> None:
    inst = enc.instance
    at: dict[tuple[int, int], list[int]] = defaultdict(list)
    per_slot: dict[int, list[int]] = defaultdict(list)
    for mi, slots in enumerate(shape.cand):
        enc.check()
        row = []
        for s in slots:
            v = enc.x[mi, s] = enc.new()
            row.append(v)
            per_slot[s].append(v)
            for p in shape.pairs[mi]:
                at[p, s].append(v)
        enc.at_least(row, 1)
        enc.at_most(row, 1)
    for i, ((p, s), lits) in enumerate(at.items()):
        if i % 256 == 0:
            enc.check()
        b = enc.busy[p, s] = enc.new()
        enc.clauses.append([-b] + lits)
        enc.clauses += [[-v, b] for v in lits]
        enc.at_most(lits, 1)
    for s, lits in per_slot.items():
        if inst.slots[s].capacity is not None:
            enc.at_most(lits, inst.slots[s].capacity)
    index = {m.id: i for i, m in enumerate(inst.meetings)}
    for mi, m in enumerate(inst.meetings):
        for a in m.after:  # the earlier meeting's slot index is smaller
            ai = index[a]
            for s in shape.cand[mi]:
                enc.clauses += [[-enc.x[mi, s], -enc.x[ai, t]] for t in shape.cand[ai] if t >= s]


def _relaxed(enc: BreakEncoding, shape: _Shape) -> None:
    """Busy slots only, with what any timetable implies of them."""
    for mi, slots in enumerate(shape.cand):
        for s in slots:
            for p in shape.pairs[mi]:
                if (p, s) not in enc.busy:
                    enc.busy[p, s] = enc.new()
    u = enc.busy
    for mi, (a, b) in enumerate(shape.pairs):  # the pair shares a busy slot
        both = []
        for s in shape.cand[mi]:
            y = enc.new()
            enc.clauses += [[-y, u[a, s]], [-y, u[b, s]]]
            both.append(y)
        enc.clauses.append(both)
    for p, meetings in shape.people.items():
        enc.check()
        # A meeting needs its own slot among its candidates (Hall's condition
        # for each set of candidates that occurs).
        for group in {frozenset(shape.cand[mi]) for mi in meetings}:
            inside = sum(1 for mi in meetings if set(shape.cand[mi]) <= group)
            touching = sum(1 for mi in meetings if group & set(shape.cand[mi]))
            lits = [u[p, s] for s in sorted(group)]
            enc.at_least(lits, inside)
            enc.at_most(lits, touching)
    _busy_capacity(enc)
    for i, ((p, s), v) in enumerate(u.items()):
        if i % 256 == 0:
            enc.check()
        partners = shape.partners_at(p, s)
        enc.clauses.append([-v] + sorted(u[q, s] for q in partners))
        # Partners who can meet nobody but p here: p meets one at most.
        enc.at_most([u[q, s] for q in partners if shape.partners_at(q, s) == {p}], 1)


def _busy_capacity(enc: BreakEncoding) -> None:
    """Two busy people per table: on the exact encoding too, this counter
    lets the SAT solver reason about crowded slots (proofs become 5x faster
    where tables bind), though it slows finding on some events."""
    columns: dict[int, list[int]] = defaultdict(list)
    for (_, s), v in enc.busy.items():
        columns[s].append(v)
    for s, slot in enumerate(enc.instance.slots):
        enc.check()
        if slot.capacity is not None:
            enc.at_most(columns[s], 2 * slot.capacity)


def _interchangeable(enc: BreakEncoding, shape: _Shape) -> None:
    """Participants with one meeting, all with the same partner and the same
    candidate slots, can swap places: keep only timetables that meet them in
    a fixed order (cuts the symmetric search a proof would repeat)."""
    inst = enc.instance
    ordered = {m.id for m in inst.meetings if m.after} | {a for m in inst.meetings for a in m.after}
    groups: dict[tuple, list[int]] = defaultdict(list)
    for p, meetings in shape.people.items():
        if len(meetings) == 1 and inst.meetings[meetings[0]].id not in ordered:
            mi = meetings[0]
            partner = next(q for q in shape.pairs[mi] if q != p)
            groups[partner, tuple(shape.cand[mi])].append(p)
    for (_, slots), group in groups.items():
        for a, b in pairwise(group):
            enc.clauses += [[-enc.busy[a, s], -enc.busy[b, t]]
                            for s in slots for t in slots if t <= s]


def _breaks(enc: BreakEncoding, shape: _Shape, upper: int) -> None:
    """Break literals per participant and session (as in the CP-SAT model:
    busy here, free just before, busy somewhere earlier), the busy count
    implied by every meeting being held, fairness and a total counter."""
    inst = enc.instance
    rows: dict[int, list[int]] = defaultdict(list)
    for (p, _), v in enc.busy.items():
        rows[p].append(v)
    for p, meetings in shape.people.items():
        enc.check()
        enc.exactly(rows[p], len(meetings))
        if inst.participants[p].max_meetings is not None:
            enc.at_most(rows[p], inst.participants[p].max_meetings)
        lits: list[int] = []
        for slots in inst.session_slots.values():
            busy = [enc.busy.get((p, s)) for s in slots]
            away = [_elsewhere(enc, p, s) for s in slots]
            seen = None  # p's last meeting before slot k-1 is in this session
            for k in range(1, len(slots)):
                if k >= 2 and busy[k - 2] is not None:
                    if seen is None:
                        seen = busy[k - 2]
                    else:
                        either = enc.new()
                        enc.clauses += [[-seen, either], [-busy[k - 2], either],
                                        [-either, seen, busy[k - 2]]]
                        seen = either
                if seen is not None and away[k - 1] is not None:
                    still = enc.new()
                    enc.clauses += [[-still, seen], [-still, -away[k - 1]],
                                    [still, -seen, away[k - 1]]]
                    seen = still
                if busy[k] is None or seen is None:
                    continue
                brk = enc.new()
                off = tuple(c for c in (busy[k - 1], away[k]) if c is not None)
                enc.clauses.append([-busy[k], -seen, brk, *off])
                enc.causes[brk] = (busy[k], seen, off)
                lits.append(brk)
        enc.breaks_of[p] = lits
    _fairness(enc)
    every = [b for lits in enc.breaks_of.values() for b in lits]
    if every:
        enc.total = ITotalizer(every, ubound=max(1, upper), top_id=enc.pool.top)
        enc.pool.top = enc.total.top_id
        enc.clauses += enc.total.cnf.clauses


def _elsewhere(enc: BreakEncoding, p: int, s: int) -> int | None:
    """p is busy in another session between s and the slot before it in its
    session (None when sessions do not interleave there): that meeting comes
    between, so it is no break."""
    lits = [b for f in enc.instance.between_in_session[s] if (b := enc.busy.get((p, f)))]
    if len(lits) <= 1:
        return lits[0] if lits else None
    v = enc.new()
    enc.clauses += [[-v, *lits]] + [[-b, v] for b in lits]
    return v


def _fairness(enc: BreakEncoding) -> None:
    d = enc.instance.max_break_difference
    if d is None:
        return
    if any(not lits for lits in enc.breaks_of.values()) or \
            len(enc.breaks_of) < len(enc.instance.participants):
        for lits in enc.breaks_of.values():  # someone has none: nobody above d
            enc.at_most(lits, d)
        return
    # fewest[k]: every participant has at least k breaks.  That must count
    # real breaks only, so here break literals are exact both ways.
    for brk, (here, seen, off) in enc.causes.items():
        enc.clauses += [[-brk, here], [-brk, seen]] + [[-brk, -c] for c in off]
    most = max(len(lits) for lits in enc.breaks_of.values())
    fewest = [0] + [enc.new() for _ in range(most)]
    for k in range(2, most + 1):
        enc.clauses.append([-fewest[k], fewest[k - 1]])
    for lits in enc.breaks_of.values():
        enc.check()
        tot = ITotalizer(lits, ubound=len(lits), top_id=enc.pool.top)
        enc.pool.top = tot.top_id
        enc.clauses += tot.cnf.clauses
        has = [0] + tot.rhs  # has[k]: forced once there are k breaks
        for k in range(1, most + 1):  # fewest[k] -> at least k (the totalizer: only up)
            if k > len(lits):
                enc.clauses.append([-fewest[k]])
            elif k == 1:
                enc.clauses.append([-fewest[1]] + lits)
            else:
                enc.check()
                enc.clauses += [c + [-fewest[k]] for c in CardEnc.atleast(
                    lits, k, vpool=enc.pool, encoding=EncType.seqcounter).clauses]
        for j in range(d + 1, len(has)):
            enc.clauses.append([-has[j], fewest[j - d]])


def encode(instance: Instance, *, relaxed: bool, upper: int, counted: bool = False,
           native: bool = False, halt: Callable[[], bool] | None = None) -> BreakEncoding:
    """The encoding; raises Interrupted once `halt()` is true."""
    enc = BreakEncoding(instance, relaxed, native, halt=halt)
    shape = _Shape.of(instance)
    if relaxed:
        _relaxed(enc, shape)
    else:
        _full(enc, shape)
        if counted:
            _busy_capacity(enc)
    _interchangeable(enc, shape)
    _breaks(enc, shape, upper)
    return enc


def applies(instance: Instance) -> bool:
    """Every meeting is held, so the busy counts are known, and no level
    above breaks but the fixed weight constrains the timetable."""
    return bool(instance.meetings) and all(
        m.must_hold and m.previous_slot is None for m in instance.meetings)


def unknown_upper(instance: Instance) -> int:
    """How far to count breaks when no timetable is known yet."""
    return min(len(instance.meetings), 64)


class _Run:
    """One SAT solver with a deadline (interrupted from a timer thread)."""

    def __init__(self, enc: BreakEncoding, stop: threading.Event | None):
        self.enc, self.stop = enc, stop
        self.solver = Solver(name=NATIVE_ENGINE if enc.native else ENGINE)
        try:  # in pieces: loading millions of clauses takes seconds
            for i in range(0, len(enc.clauses), 100_000):
                enc.check()
                self.solver.append_formula(enc.clauses[i:i + 100_000])
            for lits, k in enc.cards:
                self.solver.add_atmost(lits, k)
        except Interrupted:
            self.solver.delete()
            raise

    def holds(self, bound: int, deadline: float) -> bool | None:
        """Whether some timetable has at most `bound` breaks (None: no answer in time)."""
        left = deadline - time.perf_counter()
        if left <= 0 or (self.stop is not None and self.stop.is_set()):
            return None
        done = threading.Event()

        def watch() -> None:
            end = time.perf_counter() + left
            while not done.wait(0.02):
                if time.perf_counter() >= end or (self.stop is not None and self.stop.is_set()):
                    self.solver.interrupt()
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            answer = self.solver.solve_limited(self.enc.breaks_at_most(bound),
                                               expect_interrupt=True)
        finally:
            done.set()
            watcher.join()
        self.solver.clear_interrupt()
        return answer

    def busy_pattern(self) -> set[tuple[int, int]]:
        """(participant, slot) pairs busy in the last model found."""
        true = {v for v in self.solver.get_model() if v > 0}
        return {key for key, v in self.enc.busy.items() if v in true}

    def lean_toward(self, pattern: set[tuple[int, int]]) -> None:
        """Start the search from a busy pattern (as phases; nothing is forced)."""
        self.solver.set_phases([v if key in pattern else -v for key, v in self.enc.busy.items()])

    def assignments(self) -> dict[str, str]:
        inst = self.enc.instance
        true = {v for v in self.solver.get_model() if v > 0}
        return {inst.meetings[mi].id: inst.slots[s].id
                for (mi, s), v in self.enc.x.items() if v in true}

    def close(self) -> None:
        self.solver.delete()


@dataclass
class SatResult:
    lower: int = 0  # proven: no timetable has fewer breaks
    value: int | None = None  # set with assignments once they are optimal
    assignments: dict[str, str] | None = None
    # The fewest-breaks timetable found so far, optimal or not: (breaks,
    # assignments), replaced whole so another thread reads a consistent pair.
    best: tuple[int, dict[str, str]] | None = None

    def learn(self, refuted: int | None = None,
              found: tuple[int, dict[str, str]] | None = None) -> None:
        """A bound proven too low, or a timetable found; the best one is
        optimal once it reaches the lower bound."""
        if refuted is not None:
            self.lower = max(self.lower, refuted + 1)
        if found is not None and (self.best is None or found[0] < self.best[0]):
            self.best = found
        if self.best is not None and self.best[0] <= self.lower:
            self.value, self.assignments = self.best


# Encoding takes 0.2-1.5 s (Python): an encoding is built only with at
# least twice what the last one took left, or the deadline slips.
MIN_STAGE_S = 0.25
# Share of the SAT side's time the relaxation may use (it stops early once
# it has a busy pattern at the bound).
RELAXATION_SHARE = 0.6
# The plain exact encoding settles most events within seconds (JAIR: 0.2-
# 2.5 s), so it first runs alone; events it leaves open are those where
# tables bind, and there the exact encodings take turns in growing slices,
# keeping what they learnt between turns.
PLAIN_ALONE_S = 3.0
FIRST_TURN_S = 0.5
TURN_GROWTH = 1.5


def _ask(run: _Run, result: SatResult, bound: int, until: float) -> bool | None:
    """Whether a timetable has at most `bound` breaks; what it learns goes
    into `result` (a refuted bound raises the lower bound)."""
    answer = run.holds(bound, until)
    if answer is False:
        result.learn(refuted=bound)
    elif answer and not run.enc.relaxed:
        assignments = run.assignments()
        result.learn(found=(evaluate(run.enc.instance, assignments)["breaks"], assignments))
    return answer


def _from_below(run: _Run, result: SatResult, upper: int, until: float) -> bool:
    """Ask at the proven bound, raising it while refuted, until an answer is
    found (True) or `until` passes."""
    while result.lower < upper and result.assignments is None:
        if (answer := _ask(run, result, result.lower, until)) is not False:
            return bool(answer)
    return False


def _from_above(run: _Run, result: SatResult, upper: int, until: float) -> None:
    """Ask for one break fewer than the best timetable so far: on events
    where the optimum is hard to find this still yields good timetables
    early (forum-13crafb: 13 breaks after 8 s, where the plain search has
    none), and it ends at the optimum."""
    while result.assignments is None:
        best = min(result.best[0], upper) if result.best is not None else upper
        if best - 1 < result.lower or not _ask(run, result, best - 1, until):
            return


# Counted encoding with native cardinality: much the fastest at finding
# timetables where tables bind (forum-14's optimum in 4 s, the plain and
# counter encodings 12-20 s and more), slow at proving bounds.
TURNS = ((dict(), _from_below), (dict(counted=True), _from_below),
         (dict(counted=True, native=True), _from_above))


def fewest_breaks(instance: Instance, lower: int, upper: int, deadline: float,
                  stop: Either | threading.Event | None = None,
                  result: SatResult | None = None) -> SatResult:
    """Raise `lower` while no timetable has that few breaks, and return one
    with exactly `lower` breaks once found; `upper` is the breaks of a
    timetable already known.  `result` is updated as bounds are proven and
    better timetables found."""
    result = result if result is not None else SatResult()
    result.lower = max(result.lower, lower)
    encoding_s = MIN_STAGE_S

    def build(**kind) -> _Run | None:
        nonlocal encoding_s
        begun = time.perf_counter()
        if deadline - begun < 2 * encoding_s or (stop is not None and stop.is_set()):
            return None
        try:
            run = _Run(encode(instance, upper=upper, halt=halted, **kind), stop)
        except Interrupted:
            return None
        if pattern and not run.enc.relaxed:
            run.lean_toward(pattern)
        encoding_s = max(encoding_s, time.perf_counter() - begun)
        return run

    def halted() -> bool:
        return time.perf_counter() >= deadline or (stop is not None and stop.is_set())

    def settled() -> bool:
        return result.lower >= upper or result.assignments is not None or \
            time.perf_counter() >= deadline or (stop is not None and stop.is_set())

    runs: list[_Run | None] = [None] * len(TURNS)
    pattern: set[tuple[int, int]] = set()
    try:
        if settled() or (relaxation := build(relaxed=True)) is None:
            return result
        try:
            begun = time.perf_counter()
            # A busy pattern at the bound is a good place for the exact
            # search to start (ticf-13crafb: 3 breaks in 9-19 s, 15-20 s and more without).
            if _from_below(relaxation, result, upper,
                           begun + RELAXATION_SHARE * (deadline - begun)):
                pattern = relaxation.busy_pattern()
        finally:
            relaxation.close()
        if pattern and 0 < result.lower < upper:
            # Even the busy pattern needs breaks: tables bind.  A short search
            # from above first yields a good timetable (ticf-13crafb at 10 s:
            # 19-28 breaks, not 45-91); then Gluecard asked at the bound from
            # the pattern, the best finder measured there, keeps this core to
            # the end, while CP-SAT keeps the other (it finds forum-14's 2
            # breaks in 1-4 s).
            if (above := build(relaxed=False, counted=True, native=True)) is not None:
                runs.append(above)
                _from_above(above, result, upper, min(deadline, time.perf_counter() + PLAIN_ALONE_S))
            if not settled() and (finder := build(relaxed=False, counted=True, native=True)):
                runs.append(finder)
                _from_below(finder, result, upper, deadline)
            return result
        if settled() or (plain := build(relaxed=False)) is None:
            return result
        runs[0] = plain
        _from_below(plain, result, upper, min(deadline, time.perf_counter() + PLAIN_ALONE_S))
        turn = FIRST_TURN_S
        while not settled():
            for i, (kind, ask) in enumerate(TURNS):
                run = runs[i] = runs[i] or build(relaxed=False, **kind)
                if run is None:
                    continue
                ask(run, result, upper, min(deadline, time.perf_counter() + turn))
                if settled():
                    break
            turn *= TURN_GROWTH
    finally:
        for run in runs:
            if run is not None:
                run.close()
    return result


class Either:
    """Set when any of the given events is (an Event-like 'stop' for CP-SAT)."""

    def __init__(self, *events: threading.Event | Either | None):
        self.events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)

    def wait(self, timeout: float) -> bool:
        end = time.perf_counter() + timeout
        while not self.is_set() and time.perf_counter() < end:
            time.sleep(min(0.01, timeout))
        return self.is_set()


@dataclass(frozen=True)
class _Above:
    side: Background
    bound: int

    def is_set(self) -> bool:
        return self.side.lower > self.bound


class Background:
    """fewest_breaks in a thread (the SAT solver releases the GIL), racing
    CP-SAT; `done` is set when it ends, `found` if it has an optimal timetable."""

    def __init__(self, instance: Instance, lower: int, upper: int, deadline: float,
                 stop: threading.Event | None):
        self.found = threading.Event()
        self.done = threading.Event()
        self._cancel = threading.Event()
        self._state = SatResult()
        self._error: BaseException | None = None

        def run() -> None:
            try:
                fewest_breaks(instance, lower, upper, deadline,
                              Either(stop, self._cancel), self._state)
                if self._state.assignments is not None:
                    self.found.set()
            except BaseException as error:  # raised again in the caller's thread
                self._error = error
            finally:
                self.done.set()

        self._thread = threading.Thread(target=run, name="sat-breaks", daemon=True)
        self._thread.start()

    @property
    def lower(self) -> int:
        return self._state.lower

    def above(self, bound: int | None) -> _Above | None:
        """Set once this proves that no timetable has `bound` breaks."""
        return None if bound is None else _Above(self, bound)

    @property
    def assignments(self) -> dict[str, str] | None:
        return self._state.assignments if self.found.is_set() else None

    @property
    def best(self) -> tuple[int, dict[str, str]] | None:
        """The fewest-breaks timetable found so far (optimal or not)."""
        return self._state.best

    def cancel(self) -> None:
        self._cancel.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
