"""The CP-SAT model of the timetable and the level-by-level search.

One Boolean x[m, s] per meeting and slot the meeting may use (slots outside
both participants' availability, allowed slots or a locked slot get no
variable at all).  Breaks are counted through block starts: a participant's
breaks in a session are the number of maximal runs of busy slots minus one,
and a run starts wherever busy[p, s] is on and busy[p, s-1] is off.  Where
sessions interleave, a meeting of another session in between ends the run
without a break (the spec counts pairs of meetings consecutive in time).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable

from ortools.sat.python import cp_model

from . import sat
from .greedy import fair, greedy_assignments
from .instance import LEVELS, Instance, Solution
from .improve import fewer_breaks
from .reasons import explain_infeasible, explain_unscheduled
from .relax import relax
from .validate import evaluate

Lit = cp_model.IntVar
Expr = cp_model.LinearExprT

MAXIMISE = {"weight": True, "kept": True, "breaks": False, "preferred": True}
# Seconds CP-SAT has both cores to itself before the SAT solver joins on breaks.
SAT_JOINS_AFTER = 1.5
# Share of the remaining time each level may use; weight matters most.
TIME_SHARE = {"weight": 4.0, "kept": 1.0, "breaks": 3.0, "preferred": 1.0}


@dataclass
class TimetableModel:
    instance: Instance
    cp: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[int, int], Lit] = field(default_factory=dict)
    by_meeting: list[list[tuple[int, Lit]]] = field(default_factory=list)
    # (participant index, slot index) -> x literals of that participant there
    at: dict[tuple[int, int], list[Lit]] = field(default_factory=dict)
    breaks: list[Expr] = field(default_factory=list)
    # Auxiliary variables with how to compute them from x, to complete hints.
    derived: list[tuple[Lit, str, tuple]] = field(default_factory=list)
    levels: dict[str, Expr] = field(default_factory=dict)
    times: dict[str, cp_model.IntVar] = field(default_factory=dict)
    busy_at: dict[int, list[Lit]] = field(default_factory=dict)
    busy: dict[tuple[int, int], Lit | None] = field(default_factory=dict)
    blocks: dict[tuple[int, ...], list[cp_model.IntervalVar]] = field(default_factory=dict)
    constant: set[str] = field(default_factory=set)


def _sum_lit(tm: TimetableModel, lits: list[Lit], name: str) -> Lit | None:
    """A literal equal to the sum of at-most-one literals (None when empty)."""
    if not lits:
        return None
    if len(lits) == 1:
        return lits[0]
    v = tm.cp.new_bool_var(name)
    tm.cp.add(v == cp_model.LinearExpr.sum(lits))
    tm.derived.append((v, "sum", tuple(lits)))
    return v


def add_meeting_vars(tm: TimetableModel) -> None:
    inst = tm.instance
    pindex = {p.id: i for i, p in enumerate(inst.participants)}
    for mi, m in enumerate(inst.meetings):
        row = []
        for s in inst.candidates[m.id]:
            v = tm.cp.new_bool_var(f"x{mi}_{s}")
            tm.x[mi, s] = v
            row.append((s, v))
            for p in m.participants:
                tm.at.setdefault((pindex[p], s), []).append(v)
        tm.by_meeting.append(row)
        lits = [v for _, v in row]
        if m.must_hold:
            tm.cp.add_exactly_one(lits)
        elif len(lits) > 1:
            tm.cp.add_at_most_one(lits)


def add_participant_limits(tm: TimetableModel) -> None:
    """One meeting per participant per slot, and the participant's cap."""
    per_person: dict[int, list[Lit]] = {}
    for (p, _), lits in tm.at.items():
        if len(lits) > 1:
            tm.cp.add_at_most_one(lits)
        per_person.setdefault(p, []).extend(lits)
    slots_of: dict[int, int] = {}
    for p, _ in tm.at:
        slots_of[p] = slots_of.get(p, 0) + 1
    for p, person in enumerate(tm.instance.participants):
        lits = per_person.get(p, [])
        meetings = sum(bool(tm.instance.candidates[m.id])
                       for m in tm.instance.meetings_of[person.id])
        # Implied when slots are the limit: it gives the LP the b-matching bound.
        most = min(slots_of.get(p, 0), person.max_meetings if person.max_meetings is not None
                   else meetings)
        if meetings > most:
            tm.cp.add(cp_model.LinearExpr.sum(lits) <= most)


def add_slot_capacity(tm: TimetableModel) -> None:
    per_slot: dict[int, list[Lit]] = {}
    for (_, s), v in tm.x.items():
        per_slot.setdefault(s, []).append(v)
    for s, lits in per_slot.items():
        cap = tm.instance.slots[s].capacity
        if cap is not None and len(lits) > cap:
            tm.cp.add(cp_model.LinearExpr.sum(lits) <= cap)


def add_precedences(tm: TimetableModel) -> None:
    """`after`: when both are held, the earlier meeting's slot is smaller."""
    inst = tm.instance
    index = {m.id: i for i, m in enumerate(inst.meetings)}
    position: dict[int, tuple[Expr, Lit | bool]] = {}

    def pos(mi: int) -> tuple[Expr, Lit | bool]:
        if mi not in position:
            row = tm.by_meeting[mi]
            held = True if inst.meetings[mi].must_hold else _sum_lit(
                tm, [v for _, v in row], f"held{mi}")
            position[mi] = (sum((s + 1) * v for s, v in row), held)
        return position[mi]

    for mi, m in enumerate(inst.meetings):
        for a in m.after:
            ai = index[a]
            if not tm.by_meeting[mi] or not tm.by_meeting[ai]:
                continue
            (t_m, held_m), (t_a, held_a) = pos(mi), pos(ai)
            enforce = [h for h in (held_m, held_a) if h is not True]
            tm.cp.add(t_a + 1 <= t_m).only_enforce_if(enforce)


def _or_lit(tm: TimetableModel, a: Lit, b: Lit, name: str) -> Lit:
    v = tm.cp.new_bool_var(name)
    tm.cp.add_bool_or([~v, a, b])
    tm.cp.add_implication(a, v)
    tm.cp.add_implication(b, v)
    tm.derived.append((v, "max", (a, b)))
    return v


def _busy(tm: TimetableModel, p: int, s: int) -> Lit | None:
    """p is busy at slot s (None when p can never be)."""
    if (p, s) not in tm.busy:
        tm.busy[p, s] = _sum_lit(tm, tm.at.get((p, s), []), f"busy{p}_{s}")
    return tm.busy[p, s]


def _elsewhere(tm: TimetableModel, p: int, s: int) -> Lit | None:
    """p is busy in another session between s and the slot before it in its
    session (None when sessions do not interleave there)."""
    lits = [b for f in tm.instance.between_in_session[s] if (b := _busy(tm, p, f)) is not None]
    if len(lits) <= 1:
        return lits[0] if lits else None
    v = tm.cp.new_bool_var(f"elsewhere{p}_{s}")
    tm.cp.add_max_equality(v, lits)
    tm.derived.append((v, "max", tuple(lits)))
    return v


def _session_breaks(tm: TimetableModel, p: int, slots: list[int]) -> tuple[list[Lit], list[Lit]]:
    """Literals, one per break of participant p in one session.

    A break ends at slot s when p is busy at s, free at s-1 and has met
    before: brk = busy[s] & ~busy[s-1] & seen[s-2], seen being 'busy at or
    before'.  The first block of the day costs nothing, so every literal is
    a real break and the objective's trivial bound is 0.  A meeting of
    another session in between (sessions may interleave) resets seen.
    """
    busy = [_busy(tm, p, s) for s in slots]
    away = [_elsewhere(tm, p, s) for s in slots]
    out: list[Lit] = []
    seen: Lit | None = None  # p's last meeting before slot k-1 is in this session
    for k in range(1, len(slots)):
        here, before = busy[k], busy[k - 1]
        if k >= 2 and busy[k - 2] is not None:
            seen = busy[k - 2] if seen is None else _or_lit(tm, seen, busy[k - 2],
                                                             f"seen{p}_{slots[k - 2]}")
        if seen is not None and away[k - 1] is not None:
            seen = _and_not_lit(tm, seen, away[k - 1], f"seen{p}_{slots[k - 1]}")
        if here is None or seen is None:
            continue
        brk = tm.cp.new_bool_var(f"break{p}_{slots[k]}")
        off = [c for c in (before, away[k]) if c is not None]  # must be free for a break
        cond = [here, seen] + [~c for c in off]
        tm.cp.add_bool_and(cond).only_enforce_if(brk)
        tm.cp.add_bool_or([brk] + [~c for c in cond])
        tm.derived.append((brk, "break", (here, seen, *off)))
        out.append(brk)
    for s, b in zip(slots, busy, strict=True):
        if b is not None:
            tm.busy_at.setdefault(s, []).append(b)
    return out, [b for b in busy if b is not None]


def _and_not_lit(tm: TimetableModel, a: Lit, b: Lit, name: str) -> Lit:
    v = tm.cp.new_bool_var(name)
    tm.cp.add_bool_and([a, ~b]).only_enforce_if(v)
    tm.cp.add_bool_or([~a, b, v])
    tm.derived.append((v, "andnot", (a, b)))
    return v


def _count_busy(tm: TimetableModel, p: int, slots: list[int], busy: list[Lit]) -> None:
    """Implied: p is busy in as many slots as p holds meetings in the session.
    Without it the SAT search rediscovers this pigeonhole the hard way."""
    inst = tm.instance
    inside = set(slots)
    sure = maybe = 0
    for m in inst.meetings_of[inst.participants[p].id]:
        where = set(inst.candidates[m.id])
        if where & inside:
            maybe += 1
            sure += m.must_hold and where <= inside
    tm.cp.add_linear_constraint(cp_model.LinearExpr.sum(busy), sure, maybe)


def add_breaks(tm: TimetableModel) -> None:
    """tm.breaks[p]: p's number of breaks (0 when p can never have one)."""
    sessions = tm.instance.session_slots
    for p in range(len(tm.instance.participants)):
        lits: list[Lit] = []
        used = []
        for slots in sessions.values():
            if sum(bool(tm.at.get((p, s))) for s in slots) >= 2:
                brk, busy = _session_breaks(tm, p, slots)
                _count_busy(tm, p, slots, busy)
                lits += brk
                used.append(slots)
        tm.breaks.append(cp_model.LinearExpr.sum(lits) if lits else 0)
        if len(used) == 1 and lits:
            add_span(tm, p, used[0], lits)
    add_block_load(tm)
    for s, lits in tm.busy_at.items():  # implied: two people per meeting
        cap = tm.instance.slots[s].capacity
        if cap is not None and len(lits) > 2 * cap:
            tm.cp.add(cp_model.LinearExpr.sum(lits) <= 2 * cap)


def add_span(tm: TimetableModel, p: int, slots: list[int], breaks: list[Lit]) -> None:
    """Implied: a participant whose held meetings all fall in one session spans
    (last - first + 1) >= meetings + breaks slots; no break means a tight span."""
    inst = tm.instance
    person = inst.participants[p]
    meetings = inst.meetings_of[person.id]
    index = {m.id: i for i, m in enumerate(inst.meetings)}
    inside = set(slots)
    if not all(m.must_hold and set(inst.candidates[m.id]) <= inside for m in meetings):
        return
    pos = {s: k for k, s in enumerate(slots)}
    times = []
    for m in meetings:
        row = tm.by_meeting[index[m.id]]
        if m.id not in tm.times:
            t = tm.cp.new_int_var_from_domain(
                cp_model.Domain.from_values([pos[s] for s, _ in row]), f"t_{m.id}")
            tm.cp.add(t == cp_model.LinearExpr.weighted_sum([v for _, v in row],
                                                            [pos[s] for s, _ in row]))
            tm.times[m.id] = t
        times.append(tm.times[m.id])
    n = len(times)
    first = tm.cp.new_int_var(0, len(slots) - 1, f"first{p}")
    last = tm.cp.new_int_var(0, len(slots) - 1, f"last{p}")
    tm.cp.add_min_equality(first, times)
    tm.cp.add_max_equality(last, times)
    tm.cp.add_all_different(times)
    tm.cp.add(last - first + 1 >= n + cp_model.LinearExpr.sum(breaks))
    # 'broken' rather than 'compact': SAT search tries false first, and an
    # unbroken block is what a good timetable mostly has.
    broken = tm.cp.new_bool_var(f"broken{p}")
    compact = ~broken
    tm.cp.add_bool_or(breaks).only_enforce_if(broken)
    for b in breaks:
        tm.cp.add_implication(b, broken)
    tm.cp.add(last - first == n - 1).only_enforce_if(compact)
    block = tm.cp.new_optional_fixed_size_interval_var(first, n, compact, f"block{p}")
    tm.blocks.setdefault(tuple(slots), []).append(block)


def add_block_load(tm: TimetableModel) -> None:
    """Implied: unbroken blocks of people never exceed two per meeting place,
    a cumulative view of the slot capacity that reasons over whole blocks."""
    for slots, blocks in tm.blocks.items():
        caps = {tm.instance.slots[s].capacity for s in slots}
        if len(blocks) > 1 and len(caps) == 1 and None not in caps:
            tm.cp.add_cumulative(blocks, [1] * len(blocks), 2 * caps.pop())


def add_fairness(tm: TimetableModel) -> None:
    d = tm.instance.max_break_difference
    if d is None or not tm.breaks:
        return
    exprs = [b for b in tm.breaks if not isinstance(b, int)]
    if len(exprs) < len(tm.breaks):
        # Someone can never have a break, so the fewest breaks is 0.
        for b in exprs:
            tm.cp.add(b <= d)
        return
    horizon = len(tm.instance.slots)
    lo = tm.cp.new_int_var(0, horizon, "fewest_breaks")
    hi = tm.cp.new_int_var(0, horizon, "most_breaks")
    for b in exprs:
        tm.cp.add(lo <= b)
        tm.cp.add(b <= hi)
    tm.cp.add(hi - lo <= d)


def _preferred_terms(tm: TimetableModel) -> tuple[Expr, bool]:
    """Preferred (meeting, participant) pairs, and whether fixing the weight
    level already fixes this level."""
    inst = tm.instance
    people = inst.participant_by_id
    terms, ratios, constant_per_meeting = [], set(), True
    for mi, m in enumerate(inst.meetings):
        coefs = []
        for s, v in tm.by_meeting[mi]:
            c = sum(people[p].prefers(inst.slots[s].id) for p in m.participants)
            coefs.append(c)
            if c:
                terms.append(c * v)
        if coefs:
            constant_per_meeting &= len(set(coefs)) == 1
            ratios.add(coefs[0] / m.weight)
    all_held = all(m.must_hold for m in inst.meetings)
    fixed = constant_per_meeting and (all_held or len(ratios) <= 1)
    return cp_model.LinearExpr.sum(terms), fixed


def add_objectives(tm: TimetableModel) -> None:
    inst = tm.instance
    weights = [m.weight for m in inst.meetings]
    tm.levels["weight"] = cp_model.LinearExpr.weighted_sum(
        list(tm.x.values()), [weights[mi] for mi, _ in tm.x])
    if all(m.must_hold for m in inst.meetings):
        tm.constant.add("weight")
    slot_of = inst.slot_index
    kept = [tm.x[mi, slot_of[m.previous_slot]] for mi, m in enumerate(inst.meetings)
            if m.previous_slot is not None and (mi, slot_of[m.previous_slot]) in tm.x]
    tm.levels["kept"] = cp_model.LinearExpr.sum(kept)
    if not kept:
        tm.constant.add("kept")
    tm.levels["preferred"], fixed = _preferred_terms(tm)
    if fixed:
        tm.constant.add("preferred")


def ensure_breaks(tm: TimetableModel) -> None:
    """Add break counting (and fairness) once it matters: from the start when
    fairness constrains every level, else only for the breaks level; on a big
    event it would otherwise slow the weight level for nothing."""
    if "breaks" in tm.levels:
        return
    add_breaks(tm)
    add_fairness(tm)
    tm.levels["breaks"] = cp_model.LinearExpr.sum(tm.breaks)
    if all(isinstance(b, int) for b in tm.breaks):
        tm.constant.add("breaks")


def build_model(instance: Instance) -> TimetableModel:
    tm = TimetableModel(instance)
    add_meeting_vars(tm)
    add_participant_limits(tm)
    add_slot_capacity(tm)
    add_precedences(tm)
    add_objectives(tm)
    if instance.max_break_difference is not None:
        ensure_breaks(tm)
    return tm


# ------------------------------------------------------------------ hints

def hint_values(tm: TimetableModel, assignments: dict[str, str]) -> dict[int, int]:
    """Values of every x and auxiliary variable for the given assignments."""
    inst = tm.instance
    values: dict[int, int] = {}
    for (mi, s), v in tm.x.items():
        values[v.index] = int(assignments.get(inst.meetings[mi].id) == inst.slots[s].id)
    for var, kind, args in tm.derived:
        got = [values[a.index] for a in args]
        if kind == "sum":
            values[var.index] = sum(got)
        elif kind == "max":
            values[var.index] = max(got)
        elif kind == "andnot":
            values[var.index] = int(got[0] and not got[1])
        else:  # break: busy here, met before, (if it could be) free just before
            values[var.index] = int(got[0] and got[1] and not any(got[2:]))
    return values


def set_hint(tm: TimetableModel, values: dict[int, int]) -> None:
    """Replace the hint (written straight into the proto: fast for big models)."""
    hint = tm.cp.proto.solution_hint
    hint.vars.clear()
    hint.values.clear()
    hint.vars.extend(list(values.keys()))
    hint.values.extend(list(values.values()))


def assignments_from(tm: TimetableModel, solver: cp_model.CpSolver) -> dict[str, str]:
    inst = tm.instance
    out = {}
    for mi, row in enumerate(tm.by_meeting):
        for s, v in row:
            if solver.boolean_value(v):
                out[inst.meetings[mi].id] = inst.slots[s].id
                break
    return out


# ------------------------------------------------------------ the search

class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports improving solutions; also notices `stop` between solutions."""

    def __init__(self, level: str, known: dict[str, int], start: float,
                 on_progress: Callable[[dict], None] | None, stop: threading.Event | None,
                 value: int | None = None):
        super().__init__()
        self.level, self.known, self.start, self.value = level, known, start, value
        self.on_progress, self.stop = on_progress, stop

    def on_solution_callback(self) -> None:
        if self.on_progress is not None:
            value = round(self.objective_value) if self.value is None else self.value
            bound = round(self.best_objective_bound) if self.value is None else self.value
            self.on_progress({
                "phase": self.level,
                "objective": {**self.known, self.level: value},
                "bound": {self.level: bound},
                "wall_s": time.perf_counter() - self.start,
            })
        if self.stop is not None and self.stop.is_set():
            self.stop_search()


@dataclass(frozen=True)
class Portfolio:
    """Which CP-SAT workers to run (empty: CP-SAT's own choice)."""
    subsolvers: tuple[str, ...] = ()
    linearization: int = 1
    light_presolve: bool = False


DEFAULT = Portfolio()
# Break minimisation is a MaxSAT-like problem: core-based search proves lower
# bounds, pure SAT search (no LP) finds timetables; the LP only slows both.
CORE = Portfolio(("core", "no_lp", "quick_restart_no_lp"), 0)
# Each "breaks <= k" trial is presolved afresh: full probing costs 2.5 s of a
# 10 s limit on forum-14 (0.35 s light) and finds nothing the search misses.
SAT = Portfolio(("no_lp", "quick_restart_no_lp", "core"), 0, light_presolve=True)
# Big events: full presolve (probing, symmetry) costs more than it saves.
BIG = Portfolio(light_presolve=True)


def configure(solver: cp_model.CpSolver, time_limit: float, workers: int,
              portfolio: Portfolio = DEFAULT) -> None:
    p = solver.parameters
    p.max_time_in_seconds = max(0.01, time_limit)
    p.num_workers = max(1, workers)
    p.log_search_progress = False
    p.random_seed = 1
    p.linearization_level = portfolio.linearization
    if portfolio.light_presolve:
        p.max_presolve_iterations = 1
        p.cp_model_probing_level = 0
        p.symmetry_level = 0
    if portfolio.subsolvers:
        if workers == 1:
            p.optimize_with_core = portfolio.subsolvers[0] == "core"
        else:
            p.subsolvers.extend(portfolio.subsolvers[:workers])


def _watch(solver: cp_model.CpSolver, stop: threading.Event, done: threading.Event) -> None:
    while not done.is_set():
        if stop.wait(0.05):
            solver.stop_search()
            return


@dataclass
class PhaseResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    value: int | None = None
    bound: int | None = None
    assignments: dict[str, str] | None = None
    full: list[int] | None = None


def run_cp(tm: TimetableModel, cp: cp_model.CpModel, time_limit: float, workers: int,
           progress: _Progress, stop: threading.Event | None,
           portfolio: Portfolio = DEFAULT) -> PhaseResult:
    """One CP-SAT run; `stop` is watched from a helper thread."""
    solver = cp_model.CpSolver()
    configure(solver, time_limit, workers, portfolio)
    done = threading.Event()
    watcher = None
    if stop is not None:
        watcher = threading.Thread(target=_watch, args=(solver, stop, done), daemon=True)
        watcher.start()
    try:
        code = solver.solve(cp, progress)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    status = solver.status_name(code)
    if status == "MODEL_INVALID":
        raise RuntimeError("internal error: the CP-SAT model is invalid")
    if status not in ("OPTIMAL", "FEASIBLE"):
        return PhaseResult(status)
    value = round(solver.objective_value) if cp.has_objective() else None
    bound = round(solver.best_objective_bound) if cp.has_objective() else None
    return PhaseResult(status, value, bound, assignments_from(tm, solver),
                       list(solver.response_proto.solution))


def _is_small(tm: TimetableModel) -> bool:
    return len(tm.x) <= 20_000


def run_level(tm: TimetableModel, level: str, time_limit: float, workers: int,
              progress: _Progress, stop: threading.Event | None) -> PhaseResult:
    expr = tm.levels[level]
    if MAXIMISE[level]:
        tm.cp.maximize(expr)
    else:
        tm.cp.minimize(expr)
    if not _is_small(tm):
        # Loading a big model and leaving the search take time outside the limit.
        return run_cp(tm, tm.cp, max(0.5, 0.85 * time_limit - 1.0), workers, progress, stop, BIG)
    if level == "breaks":
        return minimise_breaks(tm, time_limit, workers, progress, stop)
    return run_cp(tm, tm.cp, time_limit, workers, progress, stop)


def minimise_breaks(tm: TimetableModel, time_limit: float, workers: int,
                    progress: _Progress, stop: threading.Event | None) -> PhaseResult:
    """Core-based search for a lower bound, then 'breaks <= bound' as a pure
    satisfaction problem, raising the bound while that is infeasible.  When
    every meeting is held, clausal SAT (solver.sat) then races CP-SAT, one
    core each: it wins on events where table capacity binds."""
    deadline = time.perf_counter() + time_limit
    racing = sat.applies(tm.instance)
    # Events CP-SAT settles settle in seconds; the others need the SAT solver early.
    alone = min(0.3 * time_limit, SAT_JOINS_AFTER) if racing else 0.3 * time_limit
    best = run_cp(tm, tm.cp, alone, workers, progress, stop, CORE)
    if best.status in ("OPTIMAL", "INFEASIBLE") or not racing:
        return _tighten(tm, best, deadline, workers, progress, stop, None)
    lower = best.bound if best.bound is not None else 0
    upper = best.value if best.value is not None else sat.unknown_upper(tm.instance)
    side = sat.Background(tm.instance, lower, upper, deadline, stop)
    try:
        return _tighten(tm, best, deadline, workers, progress, stop, side)
    finally:
        side.cancel()


def _tighten(tm: TimetableModel, best: PhaseResult, deadline: float, workers: int,
             progress: _Progress, stop: threading.Event | None,
             side: sat.Background | None) -> PhaseResult:
    def sat_answer() -> PhaseResult | None:
        if side is None or side.assignments is None:
            return None
        return PhaseResult("OPTIMAL", side.lower, side.lower, side.assignments)

    def cores(bound: int) -> tuple[int, threading.Event | sat.Either | None]:
        """CP-SAT's workers and stop signal: one core is the SAT solver's while
        it runs, and a trial ends once the SAT solver proves its bound too low."""
        if side is None or side.done.is_set():
            return workers, stop
        return max(1, workers - 1), sat.Either(stop, side.done, side.above(bound))

    if best.status in ("OPTIMAL", "INFEASIBLE"):
        return best
    lower = best.bound if best.bound is not None else 0
    expr = tm.levels["breaks"]
    if best.value is None and side is None:  # no fair timetable yet: find any first
        anyone = tm.cp.clone()
        anyone.clear_objective()
        quiet = _Progress(progress.level, progress.known, progress.start, None, stop)
        found = run_cp(tm, anyone, 0.3 * (deadline - time.perf_counter()), workers, quiet,
                       stop, SAT)
        if found.assignments is not None:
            value = evaluate(tm.instance, found.assignments)["breaks"]
            best = PhaseResult("FEASIBLE", value, lower, found.assignments, found.full)
    while best.value is None or lower < best.value:
        if side is not None:
            lower = max(lower, side.lower)
            if best.value is not None and lower >= best.value:
                break
        left = deadline - time.perf_counter()
        if left <= 0.05 or (stop is not None and stop.is_set()) or sat_answer() is not None:
            break
        trial = tm.cp.clone()
        trial.clear_objective()
        trial.add(expr <= lower)
        if best.full is not None:
            trial.clear_hints()
            for i, v in enumerate(best.full):
                trial.add_hint(trial.get_int_var_from_proto_index(i), v)
        progress.value = lower
        n, halt = cores(lower)
        found = run_cp(tm, trial, left, n, progress, halt, SAT)
        progress.value = None
        if found.status == "UNKNOWN" and halt is not stop and halt.is_set() \
                and not (stop is not None and stop.is_set()):
            continue  # the SAT solver ended: take its bound, or its core
        if found.status == "INFEASIBLE":
            lower += 1
            continue
        if found.assignments is not None:
            return PhaseResult("OPTIMAL", lower, lower, found.assignments, found.full)
        break
    if (answer := sat_answer()) is not None:
        return answer
    if side is not None:
        found = side.best  # first: a bound read later is only tighter
        lower = max(lower, side.lower)
        if found is not None and (best.value is None or found[0] < best.value):
            best = PhaseResult("FEASIBLE", found[0], lower, found[1])
    if best.value is not None and lower >= best.value:
        return PhaseResult("OPTIMAL", best.value, best.value, best.assignments, best.full)
    best.bound = lower
    return best


def fix_level(tm: TimetableModel, level: str, value: int) -> None:
    """Keep what an earlier level achieved while optimising the next one."""
    expr = tm.levels[level]
    tm.cp.add(expr >= value if MAXIMISE[level] else expr <= value)


def phase_budget(levels: list[str], remaining: float) -> float:
    return remaining * TIME_SHARE[levels[0]] / sum(TIME_SHARE[lv] for lv in levels)


def _fair_blocks(instance: Instance, time_limit: float, workers: int) -> bool:
    """Whether dropping fairness makes the hard constraints satisfiable."""
    tm = build_model(replace(instance, max_break_difference=None))
    solver = cp_model.CpSolver()
    configure(solver, time_limit, workers)
    return solver.status_name(solver.solve(tm.cp)) in ("OPTIMAL", "FEASIBLE")


def _infeasible(instance: Instance, start: float, workers: int = 1) -> Solution:
    reason = explain_infeasible(instance)
    if reason is None and instance.max_break_difference is not None \
            and _fair_blocks(instance, 5.0, workers):
        reason = (f"no timetable keeps every participant's breaks within "
                  f"{instance.max_break_difference} of each other's")
    reason = reason or "the required and locked meetings cannot all be held together"
    return Solution("INFEASIBLE", {}, {m.id: f"infeasible: {reason}" for m in instance.meetings},
                    {}, {}, time.perf_counter() - start, instance.name)


def _key(instance: Instance, assignments: dict[str, str]) -> tuple[int, ...]:
    o = evaluate(instance, assignments)
    return (o["weight"], o["kept"], -o["breaks"], o["preferred"])


def _valid(instance: Instance, assignments: dict[str, str]) -> bool:
    """Valid for the rules the greedy and rounding cannot guarantee."""
    return fair(instance, assignments) and all(
        m.id in assignments for m in instance.meetings if m.must_hold)


def _baseline(instance: Instance) -> tuple[dict[str, str] | None, dict[str, str]]:
    """The best valid greedy timetable (None if neither is valid) and the
    timetable to hint from."""
    plain, compact = greedy_assignments(instance), greedy_assignments(instance, compact=True)
    valid = [a for a in (plain, compact) if _valid(instance, a)]
    if not valid:
        return None, compact
    best = max(valid, key=lambda a: _key(instance, a))
    return best, best


@dataclass
class _Search:
    """What the level-by-level search knows so far."""
    instance: Instance
    tm: TimetableModel
    best: dict[str, str] | None
    known: dict[str, int] = field(default_factory=dict)
    bound: dict[str, int] = field(default_factory=dict)
    proven: bool = True
    weight_upper: int | None = None  # from the LP relaxation

    def accept(self, level: str, result: PhaseResult,
               on_progress: Callable[[dict], None] | None, start: float) -> None:
        self.best = result.assignments
        self.known[level] = result.value
        if level == "weight" and self.weight_upper is not None:
            result.bound = min(result.bound, self.weight_upper)
            if result.value >= result.bound:
                result.status = "OPTIMAL"
        if self.proven:
            self.bound[level] = result.bound
        self.proven = self.proven and result.status == "OPTIMAL"
        fix_level(self.tm, level, result.value)
        if result.full is not None:
            set_hint(self.tm, dict(enumerate(result.full)))
        else:
            set_hint(self.tm, hint_values(self.tm, result.assignments))
        if on_progress is not None:
            on_progress({"phase": f"{level} done", "objective": dict(self.known),
                         "bound": dict(self.bound), "wall_s": time.perf_counter() - start})


def _use_relaxation(search: _Search, time_limit: float) -> PhaseResult | None:
    """Bound the weight level by its LP and start from the rounded LP; when
    rounding reaches the bound the level is already optimal."""
    relaxed = relax(search.instance, time_limit)
    if relaxed is None:
        return None
    rounded, upper = relaxed
    tm = search.tm
    tm.cp.add(tm.levels["weight"] <= upper)
    search.weight_upper = upper
    if not _valid(search.instance, rounded):
        return None
    if search.best is None or _key(search.instance, rounded) > _key(search.instance, search.best):
        search.best = rounded
        set_hint(tm, hint_values(tm, rounded))
    weight = evaluate(search.instance, rounded)["weight"]
    return PhaseResult("OPTIMAL" if weight == upper else "FEASIBLE", weight, upper, rounded)


def solve(instance: Instance, *, time_limit: float = 60.0, workers: int = 2,
          on_progress: Callable[[dict], None] | None = None,
          stop: threading.Event | None = None,
          hint: dict[str, str] | None = None) -> Solution:
    """Optimise the four levels in their strict order, one CP-SAT run each."""
    start = time.perf_counter()
    # Keep time to write reasons for unscheduled meetings within the limit.
    end = start + time_limit - min(0.1 * time_limit, 0.2 + 1e-4 * len(instance.meetings))
    if explain_infeasible(instance) is not None:
        return _infeasible(instance, start)
    baseline, start_from = _baseline(instance)
    tm = build_model(instance)
    set_hint(tm, hint_values(tm, hint if hint is not None else start_from))
    search = _Search(instance, tm, baseline)
    todo = [lv for lv in LEVELS if lv not in tm.constant]
    if "weight" in todo:
        relaxed = _use_relaxation(search, 0.4 * time_limit)
        if relaxed is not None and relaxed.status == "OPTIMAL":
            search.accept("weight", relaxed, on_progress, start)
            todo.remove("weight")
        baseline = search.best if hint is None else baseline
    while todo:
        level = todo[0]
        if level == "breaks" and "breaks" not in tm.levels and not _is_small(tm):
            # CP-SAT cannot even load break counting for a big event in time;
            # local moves below do this level (and so the last level stays open).
            search.proven = False
            break
        if level == "breaks" and "breaks" not in tm.levels:
            ensure_breaks(tm)
            if "breaks" in tm.constant:
                todo.pop(0)
                continue
        if level == "breaks" and search.best is not None:
            left = end - time.perf_counter()
            search.best = fewer_breaks(instance, search.best, time.perf_counter() + 0.1 * left)
            set_hint(tm, hint_values(tm, search.best))
        remaining = end - time.perf_counter()
        if remaining <= 0.05 or (stop is not None and stop.is_set()):
            search.proven = False
            break
        progress = _Progress(level, search.known, start, on_progress, stop)
        result = run_level(tm, level, phase_budget(todo, remaining), workers, progress, stop)
        if result.status == "INFEASIBLE" and not search.known:
            return _infeasible(instance, start, workers)
        if result.assignments is None:
            search.proven = False
            break
        search.accept(level, result, on_progress, start)
        todo.pop(0)
    if search.best is None and (stop is None or not stop.is_set()):
        # No level was left to optimise and no heuristic timetable is valid: CP-SAT decides whether one exists.
        anyone = tm.cp.clone()
        anyone.clear_objective()
        quiet = _Progress("feasibility", search.known, start, None, stop)
        found = run_cp(tm, anyone, max(0.05, end - time.perf_counter()), workers, quiet, stop)
        if found.status == "INFEASIBLE":
            return _infeasible(instance, start, workers)
        search.best = found.assignments
    if not search.proven and search.best is not None and "breaks" not in tm.constant:
        search.best = fewer_breaks(instance, search.best, end)
    return _finish(instance, tm, search.best, baseline, search.proven, search.bound, start)


def trivial_bound(instance: Instance, level: str) -> int:
    """A bound that holds whatever else is decided: used for levels the search never reached."""
    if level == "weight":
        return sum(m.weight for m in instance.meetings)
    if level == "kept":
        return sum(1 for m in instance.meetings if m.previous_slot is not None)
    if level == "preferred":
        return 2 * len(instance.meetings)
    return 0  # breaks


def _finish(instance: Instance, tm: TimetableModel, best: dict[str, str] | None,
            baseline: dict[str, str] | None, proven: bool, bound: dict[str, int],
            start: float) -> Solution:
    wall = time.perf_counter() - start
    if best is None:
        note = "no valid timetable found within the time limit"
        for level in LEVELS:  # the spec wants a bound on every level not proven
            bound.setdefault(level, trivial_bound(instance, level))
        return Solution("UNKNOWN", {}, {m.id: note for m in instance.meetings}, {}, bound,
                        wall, instance.name)
    if baseline is not None and _key(instance, baseline) > _key(instance, best):
        best, proven = baseline, False
    objective = evaluate(instance, best)
    for level in LEVELS:
        if level in tm.constant or proven:
            bound[level] = objective[level]
        bound.setdefault(level, trivial_bound(instance, level))
    status = "OPTIMAL" if proven else "FEASIBLE"
    order = instance.meeting_by_id
    assignments = {m: best[m] for m in order if m in best}
    return Solution(status, assignments, explain_unscheduled(instance, best), objective,
                    bound, wall, instance.name)
