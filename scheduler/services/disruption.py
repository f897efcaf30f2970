"""Disruptions: a sick technician, a closed site, a cancelled visit, an emergency callout.

Each is a `Diff` first (see `scheduler.services.visits`) and is written only on
`apply=True`. The re-planning promises of the scenario format hold for every
one of them:

- every displaced visit is re-placed inside its contract period wherever a
  slot allows, otherwise it is reported unplaced with the reason (it stays
  owed, never silently dropped);
- the standing slot is kept where any eligible technician can cover it: the
  school notices a changed day far more than a changed face;
- locked visits never move, and no visit is re-placed on, or moved to make room from, a
  day on or before the last day the book's history has recorded (`fixed_until`): only
  history is fixed, so a displaced visit may go to any later day of its period, days
  before the disruption included (nothing depends on the system clock). An explicit
  `as_of` (the dispatcher's "today") is a further floor: nothing dated before it moves;
- at most `MAX_NOT_DISPLACED_MOVES` visits that were not displaced move, and
  only when that places a displaced visit nothing else could.

Re-planning runs the planner's own solver with every other visit of the plan
fixed, on candidate days near the displaced visits first and on the whole rest
of the period only when those are full, so a change answers in seconds.
"""

from __future__ import annotations

import dataclasses
import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy.engine import Engine

from scheduler.contracts import bought, consumed, without_mirrored_history
from scheduler.domain import (
    LONDON,
    Closure,
    Contract,
    HistoryVisit,
    Leave,
    Package,
    PlannedVisit,
    Priority,
    School,
    Technician,
    VisitKind,
    VisitStatus,
    Window,
)
from scheduler.eligibility import eligible
from scheduler.errors import InputError, Problem
from scheduler.services.balances import RecordIndex, counts_as_planned, emergency_effect
from scheduler.services.diagnose import explain_unplaced
from scheduler.services.planning import Unplaced, build_problem, placed_rows
from scheduler.services.visits import (
    Book,
    Diff,
    VisitChange,
    apply_diff,
    check_rows,
    finish,
    known_technician,
    load_book,
    new_violations,
    not_frozen,
    not_locked,
    refuse,
)
from solver import instance as si
from solver.solve import SolveParams, solve

MAX_NOT_DISPLACED_MOVES = 5
"""The format's promise: at most this many visits that were not displaced move anywhere."""
NEAR_DAYS = 10
"""Displaced visits are first re-placed within this many days of where they were: two
working weeks either side keeps the model small enough to solve to optimality in about
a second; the rest of the period is tried only for what does not fit."""
CONTEXT_DAYS = 7
"""Fixed visits this far beyond the last candidate day are in the model too, so crowding
and regularity see the next week's visit."""
LOOKAHEAD_DAYS = 14
"""How far ahead a callout nobody can take today looks for the first open day."""
MIN_ON_SITE_MINUTES = 60
"""An emergency slot must leave at least this long on site after the estimated arrival."""
DEFAULT_PARAMS = SolveParams(time_limit=10.0, workers=2, seed=0)
"""For the whole re-plan, however many phases it takes; most changes need well under 2 s."""

REPLAN_WEIGHTS = {"workload": 0}
"""A re-plan places a few visits among thousands that stay: it should send each to whoever
fits best, not to whoever is idlest over the year; balancing the book is the weekly plan's
job."""

MOVABLE_KINDS = frozenset({VisitKind.SCHEDULED, VisitKind.MAKE_UP})
"""What a re-plan may move: never a dedicated day's or an emergency's row."""

CancelledBy = Literal["school", "provider"]
CALLOUT_PRIORITIES = (Priority.URGENT, Priority.HIGH)


@dataclass(frozen=True, slots=True)
class Displaced:
    """A visit that can no longer stay where it is, and why."""

    visit: PlannedVisit
    why: str
    keep_id: bool = True
    """False when a history record keeps the id (a provider cancellation): the visit placed
    in its stead is a new visit with a new id."""
    same_day: bool = True
    """False when its own day is ruled out (the provider cancelled that day)."""
    knock_on: bool = False
    """Not displaced by the change itself but to make room (a pool technician taken off
    their visits to cover a dedicated day): counts against `MAX_NOT_DISPLACED_MOVES`."""


@dataclass(slots=True)
class Replan:
    changes: list[VisitChange]
    unplaced: list[Unplaced]
    roster: list[PlannedVisit]


# --- the plan as a board of technician-days and school-days -----------------------------------


class _Board:
    """The working plan, indexed for the questions a re-plan asks of every candidate."""

    def __init__(self, rows: Iterable[PlannedVisit]) -> None:
        self.rows: dict[str, PlannedVisit] = {}
        self._tech_day: dict[tuple[str, date], list[PlannedVisit]] = defaultdict(list)
        self._school_day: Counter[tuple[str, date]] = Counter()
        for row in rows:
            self.add(row)

    def add(self, row: PlannedVisit) -> None:
        self.rows[row.visit_id] = row
        self._tech_day[row.technician_id, row.date].append(row)
        self._school_day[row.school_id, row.date] += 1

    def remove(self, row: PlannedVisit) -> None:
        del self.rows[row.visit_id]
        self._tech_day[row.technician_id, row.date].remove(row)
        self._school_day[row.school_id, row.date] -= 1

    def tech_day(self, technician_id: str, day: date) -> list[PlannedVisit]:
        return sorted(self._tech_day.get((technician_id, day), ()), key=lambda v: v.start)

    def school_busy(self, school_id: str, day: date) -> bool:
        return self._school_day[school_id, day] > 0


def _overlaps(a: PlannedVisit, b: PlannedVisit) -> bool:
    return a.start < b.end and b.start < a.end


def _added_travel(
    book: Book, technician_id: str, day: Sequence[PlannedVisit], visit: PlannedVisit
) -> int:
    """Extra minutes on the road if `visit` joins that technician-day in time order."""
    stops = [technician_id, *(v.school_id for v in day if v.start < visit.start)]
    after = [v.school_id for v in day if v.start >= visit.start] + [technician_id]
    minutes = book.travel.minutes
    return (
        minutes(stops[-1], visit.school_id)
        + minutes(visit.school_id, after[0])
        - minutes(stops[-1], after[0])
    )


def _free_for(
    book: Book, board: _Board, tech: Technician, school: School, visit: PlannedVisit
) -> bool:
    """Cheap necessary conditions (rule 3, the dedicated day alone, capacity, overlap) before
    the validator has the last word."""
    tid = tech.technician_id
    if not book.calendar.technician_available(tid, visit.date):
        return False
    if not eligible(tech, school, book.scenario, book.travel):
        return False
    day = board.tech_day(tid, visit.date)
    if visit.kind is VisitKind.DEDICATED:
        return not day
    return (
        all(v.kind is not VisitKind.DEDICATED for v in day)
        and len(day) < tech.max_visits_per_day
        and not any(_overlaps(v, visit) for v in day)
    )


def cover(book: Book, board: _Board, item: Displaced) -> PlannedVisit | None:
    """The same day and window with another eligible technician whose day still works.

    Keeping the standing slot is what a school notices most, so cover is
    tried before any day moves; the nearest fit (least added travel) wins.
    """
    visit = item.visit
    if not item.same_day or not book.calendar.may_visit(visit.contract_id, visit.date):
        return None
    if board.school_busy(visit.school_id, visit.date):
        return None
    school = book.scenario.school(visit.school_id)
    options = sorted(
        (
            _added_travel(
                book, t.technician_id, board.tech_day(t.technician_id, visit.date), visit
            ),
            t.technician_id,
        )
        for t in book.scenario.technicians
        if t.technician_id != visit.technician_id and _free_for(book, board, t, school, visit)
    )
    for _, technician_id in options:
        candidate = dataclasses.replace(visit, technician_id=technician_id, locked=False)
        day = [*board.tech_day(technician_id, visit.date), candidate]
        if not check_rows(book, day).violations:
            return candidate
    return None


# --- re-plan with the solver, everything else fixed --------------------------------------------


TOOK_PLACE = frozenset({VisitStatus.DELIVERED, VisitStatus.EMERGENCY, VisitStatus.REMOTE_IN_LIEU})
"""History statuses that say a day has happened: a cancellation is recorded on the cancelled
visit's own day, often weeks ahead (a school cancelling next month's visit)."""


def fixed_until(book: Book) -> date | None:
    """The last day the book's history records a visit taking place, or None.

    The format fixes only history and published versions. A published version is a
    record of what was sent (the working plan moves on, and the next version says what
    changed), so for a re-plan the fixed past is history: once the book records visits
    up to a day, the days up to it are done for every school, and no re-placed visit goes
    there. Any later day of a contract's period is free, even one before the disruption.
    """
    return max(
        (record.date for record in book.scenario.history if record.status in TOOK_PLACE),
        default=None,
    )


def replan_floor(book: Book, as_of: date | None) -> date | None:
    """The first day a re-plan may use or vacate: after `fixed_until`, and not before an
    explicit `as_of`."""
    recorded = fixed_until(book)
    if recorded is None:
        return as_of
    after = recorded + timedelta(days=1)
    return after if as_of is None else max(as_of, after)


def _near(floor: date | None, contract: Contract, around: Iterable[date]) -> set[date]:
    """Candidate days within `NEAR_DAYS` of the displaced days, inside the period, on or after
    `floor` (nothing before it is free)."""
    days: set[date] = set()
    for day in around:
        first = max(floor or date.min, contract.start_date, day - timedelta(days=NEAR_DAYS))
        last = min(contract.end_date, day + timedelta(days=NEAR_DAYS))
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return days


def _whole_rest(floor: date | None, contract: Contract) -> set[date]:
    first = max(floor or date.min, contract.start_date)
    return {first + timedelta(days=n) for n in range((contract.end_date - first).days + 1)}


@dataclass(slots=True)
class _Placement:
    placed: list[PlannedVisit]
    missing: Counter[str]
    """Contract -> visits of `todo` + `freed` left unplaced."""

    @property
    def unplaced(self) -> int:
        return sum(self.missing.values())


def _solve(
    book: Book,
    board: _Board,
    todo: Sequence[Displaced],
    freed: Sequence[PlannedVisit],
    *,
    days: dict[str, set[date]],
    params: SolveParams,
) -> _Placement:
    """Place `todo` and `freed` with every other visit of the plan fixed where it is, each
    contract only on its candidate `days`; the model spans them plus `CONTEXT_DAYS` of fixed
    visits either side."""
    freed_ids = {v.visit_id for v in freed}
    hint = [d.visit for d in todo if d.keep_id] + list(freed)
    wanted = Counter(v.contract_id for v in [*(d.visit for d in todo), *freed])
    candidates = [day for c in wanted for day in days.get(c, ())]
    if not candidates:
        return _Placement([], wanted)
    ruled_out = {(d.visit.contract_id, d.visit.date) for d in todo if not d.same_day}
    first = min(candidates) - timedelta(days=CONTEXT_DAYS)
    last = max(candidates) + timedelta(days=CONTEXT_DAYS)
    kept = [
        dataclasses.replace(v, locked=True)
        for v in board.rows.values()
        if v.visit_id not in freed_ids
    ]
    existing = [*kept, *(dataclasses.replace(v, locked=False) for v in hint)]
    scenario = without_mirrored_history(book.scenario, existing)
    problem = build_problem(
        scenario, first, last, calendar=book.calendar, travel=book.travel, existing=existing
    )
    contracts = tuple(
        _only_what_is_wanted(c, wanted[c.id], days.get(c.id, set()), ruled_out)
        for c in problem.instance.contracts
    )
    in_instance = {c.id for c in contracts}
    busy = {
        (v.technician_id, v.date)
        for v in board.rows.values()
        if v.kind is VisitKind.DEDICATED or v.contract_id not in in_instance
    }
    technicians = tuple(
        dataclasses.replace(
            t,
            available_days=frozenset(
                first.toordinal() + n
                for n in range((last - first).days + 1)
                if _works(book, t.id, first + timedelta(days=n), busy)
            ),
        )
        for t in problem.instance.technicians
    )
    able = {t for c in contracts if c.owed for t in c.technicians}
    instance = dataclasses.replace(
        problem.instance,
        contracts=contracts,
        technicians=technicians,
        fixed=tuple(a for a in problem.instance.fixed if a.technician in able),
        weights={**problem.instance.weights, **REPLAN_WEIGHTS},
    )
    result = solve(instance, params)
    reserved = set(board.rows) | {d.visit.visit_id for d in todo}
    reserved.update(h.visit_id for h in book.scenario.history)
    placed = placed_rows(problem, scenario, result, hint=hint, reserved=reserved)
    missing = wanted - Counter(v.contract_id for v in placed)
    return _Placement(placed, missing)


def _works(book: Book, technician_id: str, day: date, busy: set[tuple[str, date]]) -> bool:
    return (
        day.weekday() < 5
        and (technician_id, day) not in busy
        and book.calendar.technician_available(technician_id, day)
    )


def _only_what_is_wanted(
    contract: si.Contract, wanted: int, days: set[date], ruled_out: set[tuple[str, date]]
) -> si.Contract:
    """Only the displaced visits are owed here, on their candidate days; every other contract
    stays exactly as planned (its fixed visits still take capacity)."""
    if wanted == 0:
        return dataclasses.replace(contract, owed=0, term_days=(), holiday_days=())
    allowed = {d.toordinal() for d in days if (contract.id, d) not in ruled_out}
    return dataclasses.replace(
        contract,
        owed=wanted,
        term_days=tuple(d for d in contract.term_days if d in allowed),
        holiday_days=tuple(d for d in contract.holiday_days if d in allowed),
    )


def _neighbours(
    book: Book,
    board: _Board,
    todo: Sequence[Displaced],
    missing: Counter[str],
    floor: date | None,
) -> list[PlannedVisit]:
    """Up to `MAX_NOT_DISPLACED_MOVES` unlocked visits that may be in the way of an unplaced
    one: same technicians, days near it, closest first."""
    blocked = [d for d in todo if missing[d.visit.contract_id] > 0]
    found: dict[str, tuple[int, int, str]] = {}
    for item in blocked:
        contract = book.scenario.contract(item.visit.contract_id)
        school = book.scenario.school(contract.school_id)
        able = {
            t.technician_id
            for t in book.scenario.technicians
            if eligible(t, school, book.scenario, book.travel)
        }
        for row in board.rows.values():
            if (
                row.locked
                or (floor is not None and row.date < floor)
                or not contract.covers(row.date)
                or row.kind not in MOVABLE_KINDS
                or row.technician_id not in able
                or row.contract_id in missing
            ):
                continue
            key = (
                abs((row.date - item.visit.date).days),
                book.travel.minutes(row.school_id, school.school_id),
                row.visit_id,
            )
            found[row.visit_id] = min(found.get(row.visit_id, key), key)
    chosen = sorted(found, key=lambda visit_id: found[visit_id])[:MAX_NOT_DISPLACED_MOVES]
    return [board.rows[visit_id] for visit_id in chosen]


def _cover_all(
    book: Book, board: _Board, displaced: Sequence[Displaced]
) -> tuple[list[VisitChange], list[Displaced], int]:
    """Same-slot cover for every displaced visit that can have it; a dedicated day nobody is
    free for takes the pool technician with the fewest visits that day, whose visits then
    need cover in turn. Returns the changes, what is left for the solver, and what is left
    of the not-displaced budget."""
    changes: list[VisitChange] = []
    todo: list[Displaced] = []
    budget = MAX_NOT_DISPLACED_MOVES
    queue = sorted(displaced, key=lambda d: (d.visit.date, d.visit.start, d.visit.visit_id))
    while queue:
        item = queue.pop(0)
        covered = cover(book, board, item) if item.keep_id else None
        if covered is not None:
            board.add(covered)
            why = f"{item.why}; {covered.technician_id} covers the same slot"
            changes.append(VisitChange(item.visit, covered, why, displaced=not item.knock_on))
        elif item.visit.kind is not VisitKind.DEDICATED:
            todo.append(item)
        elif (taken := _busy_cover(book, board, item.visit, budget)) is not None:
            covered, their_visits = taken
            budget -= len(their_visits)
            why = f"{covered.technician_id} covers the dedicated day at {covered.school_id}"
            for visit in their_visits:
                board.remove(visit)
                queue.append(Displaced(visit, why, knock_on=True))
            board.add(covered)
            changes.append(VisitChange(item.visit, covered, f"{item.why}; {why}"))
        else:
            changes.append(VisitChange(item.visit, None, f"{item.why}; no eligible cover"))
    return changes, todo, budget


def _busy_cover(
    book: Book, board: _Board, day_row: PlannedVisit, budget: int
) -> tuple[PlannedVisit, list[PlannedVisit]] | None:
    """The eligible pool technician whose day costs least to clear (fewest visits, then the
    shortest commute), within the budget of visits that may move without being displaced."""
    school = book.scenario.school(day_row.school_id)
    options = []
    for tech in book.scenario.technicians:
        tid = tech.technician_id
        if tid == day_row.technician_id or not book.calendar.technician_available(
            tid, day_row.date
        ):
            continue
        rows = board.tech_day(tid, day_row.date)
        movable = all(not v.locked and v.kind in MOVABLE_KINDS for v in rows)
        if movable and len(rows) <= budget and eligible(tech, school, book.scenario, book.travel):
            options.append((len(rows), book.travel.minutes(tid, school.school_id), tid, rows))
    if not options:
        return None
    _, _, tid, rows = min(options, key=lambda o: o[:3])
    return dataclasses.replace(day_row, technician_id=tid, locked=False), rows


def replan(
    book: Book, displaced: Sequence[Displaced], *, as_of: date | None, params: SolveParams
) -> Replan:
    """Re-place `displaced` (already off the plan in `book`'s eyes) with minimal disruption.

    Cover in the same slot first; then the solver on near days; then on the
    rest of the period for contracts still short; then, if visits are still
    unplaced, with up to 5 neighbouring visits free to move, kept only if that
    places more. Nothing dated before `as_of` (see `replan_floor`) is used or vacated.
    """
    deadline = clock.monotonic() + params.time_limit
    gone = {d.visit.visit_id for d in displaced}
    board = _Board(v for v in book.roster if v.visit_id not in gone)
    changes, todo, budget = _cover_all(book, board, displaced)
    if not todo:
        return Replan(changes, [], list(board.rows.values()))

    contracts = {d.visit.contract_id: book.scenario.contract(d.visit.contract_id) for d in todo}
    days = {
        cid: _near(as_of, c, (d.visit.date for d in todo if d.visit.contract_id == cid))
        for cid, c in contracts.items()
    }

    def run(freed: Sequence[PlannedVisit], phases_left: int) -> _Placement:
        share = max(0.5, (deadline - clock.monotonic()) / phases_left)
        wanted_days = {cid: set(d) for cid, d in days.items()}
        for v in freed:
            near = _near(as_of, book.scenario.contract(v.contract_id), [v.date])
            wanted_days.setdefault(v.contract_id, set()).update(near)
        return _solve(
            book,
            board,
            todo,
            freed,
            days=wanted_days,
            params=dataclasses.replace(params, time_limit=share),
        )

    best = run((), 3)
    freed: list[PlannedVisit] = []
    if best.unplaced:
        for cid in best.missing:
            days[cid] = _whole_rest(as_of, contracts[cid])
        best = run((), 2)
    if best.unplaced:
        neighbours = _neighbours(book, board, todo, best.missing, as_of)
        neighbours = neighbours[:budget]
        if neighbours:
            relaxed = run(neighbours, 1)
            kept_all = not any(relaxed.missing[v.contract_id] for v in neighbours)
            if kept_all and relaxed.unplaced < best.unplaced:
                best, freed = relaxed, neighbours
    return _replanned(book, board, todo, freed, best, changes, as_of)


def _replanned(
    book: Book,
    board: _Board,
    todo: Sequence[Displaced],
    freed: Sequence[PlannedVisit],
    best: _Placement,
    changes: list[VisitChange],
    floor: date | None,
) -> Replan:
    for visit in freed:
        board.remove(visit)
    placed = {v.visit_id: v for v in best.placed}
    for visit in best.placed:
        board.add(visit)
    made_room_for = ", ".join(sorted(d.visit.visit_id for d in todo))
    for visit in freed:
        after = placed.pop(visit.visit_id)
        if after != visit:
            changes.append(
                VisitChange(
                    visit, after, f"moved to make room for {made_room_for}", displaced=False
                )
            )
    for item in todo:
        if item.keep_id:
            after = placed.pop(item.visit.visit_id, None)
            why = f"{item.why}; re-placed" if after else f"{item.why}; no slot left: owed"
            changes.append(VisitChange(item.visit, after, why, displaced=not item.knock_on))
    origins = {d.visit.contract_id: d for d in todo if not d.keep_id}
    for visit in placed.values():
        origin = origins[visit.contract_id]
        changes.append(
            VisitChange(None, visit, f"in place of {origin.visit.visit_id}: {origin.why}")
        )
    dedicated = [v for v in board.rows.values() if v.kind is VisitKind.DEDICATED]
    unplaced = []
    for contract_id, missing in sorted(best.missing.items()):
        if missing <= 0:
            continue
        contract = book.scenario.contract(contract_id)
        reason = explain_unplaced(
            book.scenario,
            contract,
            owed=missing,
            missing=missing,
            date_from=max(floor or date.min, contract.start_date),
            date_to=contract.end_date,
            calendar=book.calendar,
            travel=book.travel,
            dedicated=dedicated,
        )
        unplaced.append(Unplaced(contract_id, contract.school_id, missing, reason))
    return Replan(changes, unplaced, list(board.rows.values()))


# --- absence and closure -----------------------------------------------------------------------


def _span(first: date, last: date) -> str:
    return str(first) if first == last else f"{first}..{last}"


def _range_problems(first: date, last: date | None) -> Problem | None:
    if last is not None and last < first:
        return Problem("--to", None, None, str(last), f"a date on or after --from {first}")
    return None


def _in_some_period(
    contracts: Iterable[Contract], first: date, last: date, field_name: str
) -> Problem | None:
    """A change on days no contract covers cannot affect anything: most likely a typo."""
    if any(c.start_date <= last and first <= c.end_date for c in contracts):
        return None
    return Problem(field_name, None, None, _span(first, last), "days inside some contract's period")


def _days_covered(ranges: Iterable[tuple[date, date]], first: date, last: date) -> bool:
    wanted = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    for lo, hi in ranges:
        wanted = {d for d in wanted if not lo <= d <= hi}
    return not wanted


def _displaceable(displaced: Sequence[Displaced], as_of: date | None, field_name: str) -> None:
    """Locked and frozen visits are never moved: the dispatcher unlocks or cancels them first."""
    refuse(
        [not_locked(d.visit, field_name) for d in displaced]
        + [not_frozen(d.visit, as_of, field_name) for d in displaced]
    )


def _outcome(
    engine: Engine,
    diff: Diff,
    before: Book,
    after_facts: Book,
    displaced: Sequence[Displaced],
    *,
    as_of: date | None,
    params: SolveParams,
    apply: bool,
    actor: str | None,
    balance_note: str = "",
) -> Diff:
    """Re-plan, check that no hard rule broke, price the diff, and apply it when asked.

    `after_facts` is the book with the change's facts stored and its own rows already
    added or removed (a cancelled visit, an emergency); `displaced` are still on its plan.
    """
    floor = replan_floor(before, as_of)
    result = replan(after_facts, displaced, as_of=floor, params=params)
    diff.changes += result.changes
    diff.unplaced = result.unplaced
    after = dataclasses.replace(after_facts, roster=result.roster)
    changed = [v for c in diff.changes for v in (c.before, c.after) if v is not None]
    broken = new_violations(before, after, changed)
    if broken:
        raise RuntimeError(f"re-plan broke a hard rule: {'; '.join(map(str, broken[:5]))}")
    finish(diff, before, after, balance_note=balance_note)
    if apply:
        apply_diff(engine, diff, actor=actor)
    return diff


def absence(
    engine: Engine,
    technician_id: str,
    date_from: date,
    date_to: date | None = None,
    *,
    reason: str = "",
    as_of: date | None = None,
    params: SolveParams = DEFAULT_PARAMS,
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    """A technician off (sick today, for a week, or new leave): a leave entry, and their visits
    covered or re-placed."""
    book = load_book(engine)
    known_technician(book.scenario, technician_id, "TECHNICIAN_ID")
    last = date_to or date_from
    refuse(
        [
            _range_problems(date_from, date_to),
            _in_some_period(book.scenario.contracts, date_from, last, "--from"),
        ]
    )
    leave = Leave(technician_id, date_from, last, reason)
    already = _days_covered(
        (
            (lv.first_day, lv.last_day)
            for lv in book.scenario.leave
            if lv.technician_id == technician_id
        ),
        date_from,
        last,
    )
    facts = book if already else book.with_facts(leave=[leave])
    why = f"{technician_id} absent" + (f" ({reason})" if reason else "")
    displaced = [
        Displaced(v, why)
        for v in book.roster
        if v.technician_id == technician_id and date_from <= v.date <= last
    ]
    _displaceable(displaced, as_of, "TECHNICIAN_ID")
    diff = Diff(
        "absence",
        f"{technician_id} off {_span(date_from, last)}",
        reason,
        technician_id=technician_id,
        day=date_from,
        leave=[] if already else [leave],
    )
    if diff.is_empty and not displaced:
        return diff
    return _outcome(
        engine, diff, book, facts, displaced, as_of=as_of, params=params, apply=apply, actor=actor
    )


def closure(
    engine: Engine,
    school_id: str,
    date_from: date,
    date_to: date | None = None,
    *,
    reason: str = "",
    as_of: date | None = None,
    params: SolveParams = DEFAULT_PARAMS,
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    """A site closed late (snow day, exam hall, INSET): a closure, and its visits rebooked
    inside the period so the entitlement is kept."""
    book = load_book(engine)
    if school_id not in {s.school_id for s in book.scenario.schools}:
        refuse([Problem("SCHOOL_ID", None, None, school_id, "a school of the book")])
    last = date_to or date_from
    own = [c for c in book.scenario.contracts if c.school_id == school_id]
    refuse([_range_problems(date_from, date_to), _in_some_period(own, date_from, last, "--from")])
    closed = Closure(school_id, date_from, last, reason)
    already = _days_covered(
        ((c.first_day, c.last_day) for c in book.scenario.closures if c.school_id == school_id),
        date_from,
        last,
    )
    facts = book if already else book.with_facts(closures=[closed])
    why = f"{school_id} closed" + (f" ({reason})" if reason else "")
    displaced = [
        Displaced(v, why)
        for v in book.roster
        if v.school_id == school_id and date_from <= v.date <= last
    ]
    _displaceable(displaced, as_of, "SCHOOL_ID")
    diff = Diff(
        "closure",
        f"{school_id} closed {_span(date_from, last)}",
        reason,
        school_id=school_id,
        day=date_from,
        closures=[] if already else [closed],
    )
    if diff.is_empty and not displaced:
        return diff
    return _outcome(
        engine, diff, book, facts, displaced, as_of=as_of, params=params, apply=apply, actor=actor
    )


# --- cancellations -----------------------------------------------------------------------------

CANCEL_STATUS: dict[str, VisitStatus] = {
    "school": VisitStatus.CANCELLED_BY_SCHOOL,
    "provider": VisitStatus.CANCELLED_BY_PROVIDER,
}
CANCEL_EFFECT: dict[str, str] = {
    "school": "cancelled by the school: counts as delivered",
    "provider": "cancelled by the provider: owed again, re-planned",
}


def cancel(
    engine: Engine,
    visit_id: str,
    *,
    by: CancelledBy,
    reason: str = "",
    as_of: date | None = None,
    params: SolveParams = DEFAULT_PARAMS,
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    """A planned visit called off: a history record, and for the provider's own cancellation
    the owed visit re-planned on another day."""
    if by not in CANCEL_STATUS:
        refuse([Problem("--by", None, None, str(by), "school or provider")])
    book = load_book(engine)
    status = CANCEL_STATUS[by]
    recorded = next((h for h in book.scenario.history if h.visit_id == visit_id), None)
    if recorded is not None and recorded.status is status:
        return Diff("cancel", f"{visit_id} by {by}", reason, day=recorded.date)
    visit = book.visit(visit_id)
    refuse([not_locked(visit, "VISIT_ID")])
    if visit.kind is VisitKind.EMERGENCY:
        refuse(
            [Problem("VISIT_ID", None, None, visit_id, "a planned visit, not an emergency callout")]
        )
    record = HistoryVisit(
        visit.visit_id, visit.contract_id, visit.date, visit.window, visit.technician_id, status
    )
    facts = book.with_facts(history=[record])
    facts = dataclasses.replace(facts, roster=[v for v in book.roster if v != visit])
    diff = Diff(
        "cancel",
        f"{visit_id} by {by}",
        reason,
        school_id=visit.school_id,
        technician_id=visit.technician_id,
        day=visit.date,
        history=[record],
        changes=[VisitChange(visit, None, CANCEL_EFFECT[by])],
    )
    owed_again = by == "provider" and facts.scenario.contract(visit.contract_id).is_scheduled
    displaced = (
        [Displaced(visit, CANCEL_EFFECT[by], keep_id=False, same_day=False)] if owed_again else []
    )
    return _outcome(
        engine,
        diff,
        book,
        facts,
        displaced,
        as_of=max(as_of or visit.date, visit.date),
        params=params,
        apply=apply,
        actor=actor,
        balance_note=CANCEL_EFFECT[by],
    )


# --- emergency callouts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalloutOption:
    """One technician who could go, when they would arrive, and what of theirs it costs."""

    day: date
    """The callout's day, or the next day the site may be visited when nobody can still be
    there inside one of today's windows."""
    technician_id: str
    depart_from: str
    """The school of their previous stop, or `home`."""
    departure: time
    travel_minutes: int
    arrival: time
    """Estimated: after finishing the visit they are on, plus travel."""
    window: Window
    """The roster slot of the emergency visit (a window of the contract's family)."""
    bumped: tuple[PlannedVisit, ...]
    """Their visits that no longer fit the day: re-planned with minimal disruption."""


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _rank_key(priority: Priority, option: CalloutOption) -> tuple[int, int, int, str]:
    """Urgent: whoever is there first. High: whoever disturbs least, then first there."""
    arrival, bumped = _minutes(option.arrival), len(option.bumped)
    if priority is Priority.URGENT:
        return (arrival, bumped, option.travel_minutes, option.technician_id)
    return (bumped, arrival, option.travel_minutes, option.technician_id)


@dataclass(slots=True)
class CalloutBoard:
    """The book and plan indexed once, so ranking a callout is lookups, not a solve.

    Build it once per plan (the app keeps it cached); `options` then answers
    in a few milliseconds for a 300-school book.
    """

    book: Book
    _tech_day: dict[tuple[str, date], list[PlannedVisit]] = field(init=False)
    _school_day: dict[tuple[str, date], list[PlannedVisit]] = field(init=False)
    _windows: dict[str, list[Window]] = field(init=False)
    _eligible: dict[str, list[Technician]] = field(init=False)

    def __post_init__(self) -> None:
        self._tech_day = defaultdict(list)
        self._school_day = defaultdict(list)
        for visit in sorted(self.book.roster, key=lambda v: (v.start, v.end)):
            self._tech_day[visit.technician_id, visit.date].append(visit)
            self._school_day[visit.school_id, visit.date].append(visit)
        self._windows = defaultdict(list)
        for window in sorted(self.book.scenario.windows, key=lambda w: (w.start, w.end)):
            self._windows[window.family].append(window)
        self._eligible = {}

    def eligible_for(self, school: School) -> list[Technician]:
        found = self._eligible.get(school.school_id)
        if found is None:
            book = self.book
            found = [
                t
                for t in book.scenario.technicians
                if eligible(t, school, book.scenario, book.travel)
            ]
            self._eligible[school.school_id] = found
        return found

    def same_day(self, school_id: str, day: date) -> list[PlannedVisit]:
        return list(self._school_day.get((school_id, day), ()))

    def options(self, contract: Contract, at: datetime, priority: Priority) -> list[CalloutOption]:
        """Every technician who can take the callout, best first for the priority: today if
        anyone can still get there inside a window, else first thing on the next open day."""
        calendar, opens = self.book.calendar, self.book.scenario.settings.onsite_start
        for n in range(LOOKAHEAD_DAYS + 1):
            day = at.date() + timedelta(days=n)
            if not calendar.may_visit(contract.contract_id, day):
                continue
            moment = at if n == 0 else datetime.combine(day, opens, tzinfo=at.tzinfo)
            found = self._options_on(contract, moment, priority)
            if found:
                return found
        return []

    def _options_on(
        self, contract: Contract, at: datetime, priority: Priority
    ) -> list[CalloutOption]:
        school = self.book.scenario.school(contract.school_id)
        day, now = at.date(), _minutes(at.time())
        own_visits = {v.visit_id for v in self.same_day(school.school_id, day)}
        found = []
        for tech in self.eligible_for(school):
            if not self.book.calendar.technician_available(tech.technician_id, day):
                continue
            rows = [
                v
                for v in self._tech_day.get((tech.technician_id, day), ())
                if v.visit_id not in own_visits
            ]
            if any(v.kind is VisitKind.DEDICATED or v.kind is VisitKind.EMERGENCY for v in rows):
                continue
            option = self._option(tech, school, contract, rows, day, now)
            if option is not None:
                found.append(option)
        return sorted(found, key=lambda o: _rank_key(priority, o))

    def _option(
        self,
        tech: Technician,
        school: School,
        contract: Contract,
        rows: Sequence[PlannedVisit],
        day: date,
        now: int,
    ) -> CalloutOption | None:
        minutes = self.book.travel.minutes
        started = [v for v in rows if _minutes(v.start) <= now]
        prev = started[-1] if started else None
        here = prev.school_id if prev else tech.technician_id
        leave_at = max(now, _minutes(prev.end)) if prev else now
        leave_at = max(leave_at, _minutes(self.book.scenario.settings.onsite_start))
        road = minutes(here, school.school_id)
        arrival = leave_at + road
        window = next(
            (
                w
                for w in self._windows[contract.window_family]
                if _minutes(w.end) >= arrival + MIN_ON_SITE_MINUTES
                and (prev is None or _minutes(w.start) >= _minutes(prev.end) + road)
            ),
            None,
        )
        if window is None:
            return None
        later = [v for v in rows if _minutes(v.start) > now]
        bumped = [v for v in later if _clashes(minutes, school.school_id, window, v)]
        kept = len(rows) - len(bumped)
        spare = [v for v in reversed(later) if v not in bumped]
        bumped += spare[: max(0, kept + 1 - tech.max_visits_per_day)]
        if any(v.locked for v in bumped) or len(rows) - len(bumped) >= tech.max_visits_per_day:
            return None
        return CalloutOption(
            day=day,
            technician_id=tech.technician_id,
            depart_from=prev.school_id if prev else "home",
            departure=_clock(leave_at),
            travel_minutes=road,
            arrival=_clock(arrival),
            window=window,
            bumped=tuple(sorted(bumped, key=lambda v: v.start)),
        )


def _clashes(
    minutes: Callable[[str, str], int], school_id: str, window: Window, visit: PlannedVisit
) -> bool:
    """Rule 4 between the emergency slot and one visit: overlap, or the road between them does
    not fit the gap, in either order."""
    start, end = _minutes(window.start), _minutes(window.end)
    v_start, v_end = _minutes(visit.start), _minutes(visit.end)
    if v_start < end and start < v_end:
        return True
    if v_start >= end:
        return v_start - end < minutes(school_id, visit.school_id)
    return start - v_end < minutes(visit.school_id, school_id)


def _local(at: datetime) -> datetime:
    """A time without a zone is London time, as everywhere in the scenario format."""
    return at.replace(tzinfo=LONDON) if at.utcoffset() is None else at.astimezone(LONDON)


def callout_contract(book: Book, school_id: str, day: date) -> Contract:
    """The contract an emergency is booked under: the one whose period holds the day,
    a scheduled package first (its bought visits are what the callout consumes)."""
    if school_id not in {s.school_id for s in book.scenario.schools}:
        refuse([Problem("SCHOOL_ID", None, None, school_id, "a school of the book")])
    covering = [c for c in book.scenario.contracts if c.school_id == school_id and c.covers(day)]
    if not covering:
        refuse(
            [
                Problem(
                    "--at",
                    None,
                    None,
                    str(day),
                    f"a day inside one of {school_id}'s contract periods",
                )
            ]
        )
    contract = min(covering, key=lambda c: (not c.is_scheduled, c.contract_id))
    if contract.package is Package.FULL_MANAGED:
        on_site = "not full-managed: the dedicated technician handles emergencies on site"
        refuse([Problem("SCHOOL_ID", None, None, school_id, on_site)])
    return contract


def emergency_options(
    engine_or_board: Engine | CalloutBoard, school_id: str, at: datetime, priority: Priority | str
) -> list[CalloutOption]:
    """Ranked technicians for a callout; pass a kept `CalloutBoard` to answer in milliseconds."""
    board = (
        engine_or_board
        if isinstance(engine_or_board, CalloutBoard)
        else CalloutBoard(load_book(engine_or_board))
    )
    at, priority = _local(at), _priority(priority)
    contract = callout_contract(board.book, school_id, at.date())
    return board.options(contract, at, priority)


def _priority(priority: Priority | str) -> Priority:
    if priority not in {p.value for p in CALLOUT_PRIORITIES}:
        refuse(
            [Problem("--priority", None, None, str(priority), "urgent or high (emergencies only)")]
        )
    return Priority(priority)


@dataclass(frozen=True, slots=True)
class _Drop:
    """The visit whose bought entitlement the callout uses, and why that one."""

    visit: PlannedVisit | None
    why: str = ""
    note: str = ""
    frees: bool = True
    """The visit was the contract's own planned one, so its bought visit goes to the callout;
    a dedicated day the callout replaces frees none."""


def _entitlement_left(book: Book, contract: Contract) -> int:
    """Bought minus consumed history minus roster rows, as rule 5 counts them: what a callout
    may use without giving up a planned visit."""
    scenario = without_mirrored_history(book.scenario, book.roster)
    rows = sum(
        1
        for v in book.roster
        if v.contract_id == contract.contract_id and v.kind is not VisitKind.DEDICATED
    )
    return bought(contract) - consumed(contract, scenario.history) - rows


def _to_drop(
    book: Book, contract: Contract, day: date, same_day: Sequence[PlannedVisit], drop: str | None
) -> _Drop:
    """The visit whose entitlement the callout uses: the one given, else the contract's own
    visit that day (one visit a day; a dedicated day is replaced without freeing any), else
    the contract's next planned visit after the callout day, else an owed visit if one is
    left, else its latest planned visit before the callout day.

    Only a visit that is still just planned can give up its entitlement: not locked, not an
    emergency or dedicated row, and not recorded in history. When none can, and nothing is
    owed either, the callout would exceed what was bought (rule 5): refused, naming why.
    """
    cid = contract.contract_id
    records = RecordIndex.of(h for h in book.scenario.history if h.contract_id == cid)

    def only_planned(v: PlannedVisit) -> bool:
        return (
            v.contract_id == cid
            and not v.locked
            and v.kind in MOVABLE_KINDS
            and counts_as_planned(v, records)
        )

    planned = sorted(
        (v for v in book.roster if only_planned(v)), key=lambda v: (v.date, v.start, v.visit_id)
    )
    later = [v for v in planned if v.date > day]
    earlier = [v for v in planned if v.date < day]
    if drop is not None:
        return _Drop(_given_drop(book, contract, day, drop, records, later), "chosen with --drop")
    if same_day:
        # The contract's own planned visit that day gives way; else a dedicated day is
        # replaced by the callout; another contract's visit moves off the day (displaced by
        # the caller) and the entitlement comes from the rules below.
        own = [v for v in same_day if only_planned(v)]
        rows = own or [v for v in same_day if v.kind not in MOVABLE_KINDS]
        if rows:
            refuse([not_locked(rows[0], "--drop")])
            why = f"on the callout's day {day} (a school gets one visit a day)"
            return _Drop(rows[0], why, frees=bool(own))
    if not contract.is_scheduled:
        return _Drop(None)
    if later:
        return _Drop(later[0], f"the next planned visit of {cid} after {day}")
    if _entitlement_left(book, contract) > 0:
        return _Drop(None, note=f"no later visit of {cid} to drop: it used an owed one")
    if earlier:
        visit = earlier[-1]
        why = f"no planned visit of {cid} after {day}: the latest one before it"
        note = (
            f"no planned visit of {cid} after {day} and nothing owed: "
            f"{visit.visit_id} ({visit.date}) gives up its entitlement instead"
        )
        return _Drop(visit, why, note)
    raise InputError(
        [
            Problem(
                "SCHOOL_ID",
                None,
                None,
                contract.school_id,
                f"a school with a bought visit left for the callout: {cid} bought "
                f"{bought(contract)}, all used or planned, and no planned visit that can "
                "give one up (none is both unlocked and not yet recorded; unlock one first)",
            )
        ]
    )


def _given_drop(
    book: Book,
    contract: Contract,
    day: date,
    drop: str,
    records: RecordIndex,
    later: Sequence[PlannedVisit],
) -> PlannedVisit:
    """`--drop`: a planned visit of the callout's contract on or after its day, or before it
    when no planned visit of the contract lies after it."""
    visit = book.visit(drop, field_name="--drop")
    cid = contract.contract_id
    if visit.contract_id != cid:
        refuse([Problem("--drop", None, None, drop, f"a visit of {cid}")])
    refuse([not_locked(visit, "--drop")])
    if visit.kind not in MOVABLE_KINDS or not counts_as_planned(visit, records):
        wanted = f"a scheduled or make-up visit of {cid} not yet recorded in history"
        refuse([Problem("--drop", None, None, drop, wanted)])
    if visit.date < day and later:
        wanted = (
            f"a visit of {cid} on or after {day} (an earlier one only when none is "
            f"planned after it; {later[0].visit_id} is)"
        )
        refuse([Problem("--drop", None, None, drop, wanted)])
    return visit


def emergency(
    engine: Engine,
    school_id: str,
    at: datetime,
    priority: Priority | str,
    *,
    choose: int = 1,
    drop: str | None = None,
    reason: str = "",
    params: SolveParams = DEFAULT_PARAMS,
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    """Send the `choose`-th ranked technician: an `emergency` visit (history and roster), one
    bought visit debited where the package says so, the visit it stands for dropped, and the
    technician's bumped visits re-planned."""
    book = load_book(engine)
    at, level = _local(at), _priority(priority)
    contract = callout_contract(book, school_id, at.date())
    visit_id = callout_id(contract, at)
    diff = Diff(
        "emergency",
        f"{school_id} {level.value} at {at:%Y-%m-%d %H:%M}",
        reason,
        school_id=school_id,
        day=at.date(),
    )
    if any(h.visit_id == visit_id for h in book.scenario.history):
        diff.notes.append(f"{visit_id} is already recorded")
        return diff
    board = CalloutBoard(book)
    options = board.options(contract, at, level)
    if not options:
        reach = f"a school someone can reach within {LOOKAHEAD_DAYS} days of {at:%Y-%m-%d %H:%M}"
        refuse([Problem("SCHOOL_ID", None, None, school_id, reach)])
    if not 1 <= choose <= len(options):
        refuse(
            [Problem("--choose", None, None, str(choose), f"an option from 1 to {len(options)}")]
        )
    option = options[choose - 1]
    day = diff.day = option.day
    same_day = board.same_day(school_id, day)
    drop_plan = _to_drop(book, contract, day, same_day, drop)
    dropped = drop_plan.visit
    row = _callout_row(visit_id, contract, day, option)
    record = HistoryVisit(
        visit_id, contract.contract_id, day, row.window, row.technician_id, VisitStatus.EMERGENCY
    )
    diff.technician_id = option.technician_id
    diff.history = [record]
    diff.changes = [VisitChange(None, row, _callout_why(level, at, option))]
    if dropped is not None:
        why = drop_plan.why + (f"; its entitlement went to {visit_id}" if drop_plan.frees else "")
        diff.changes.append(VisitChange(dropped, None, why))
    elif not contract.is_scheduled:
        diff.notes.append(
            f"{contract.contract_id} ({contract.package.value}): {emergency_effect(contract)}"
        )
    if drop_plan.note:
        diff.notes.append(drop_plan.note)
    one_a_day = "one visit a day: moved off the emergency's day"
    displaced = [Displaced(v, one_a_day, same_day=False) for v in same_day if v != dropped]
    displaced += [Displaced(v, f"bumped by {visit_id}") for v in option.bumped]
    _displaceable(displaced, day, "--choose")
    facts = book.with_facts(history=[record])
    facts = dataclasses.replace(facts, roster=[v for v in book.roster if v != dropped] + [row])
    return _outcome(
        engine,
        diff,
        book,
        facts,
        displaced,
        as_of=day,
        params=params,
        apply=apply,
        actor=actor,
        balance_note=emergency_effect(contract),
    )


def callout_id(contract: Contract, at: datetime) -> str:
    """Keyed by the day the callout came in (even when it is served the next day), so the
    same callout applied twice is recorded once."""
    return f"E-{contract.contract_id}-{at:%Y%m%d}"


def _callout_row(
    visit_id: str, contract: Contract, day: date, option: CalloutOption
) -> PlannedVisit:
    """Locked: the callout happened, so no re-plan may move it."""
    return PlannedVisit(
        visit_id=visit_id,
        date=day,
        window=option.window.name,
        start=option.window.start,
        end=option.window.end,
        school_id=contract.school_id,
        contract_id=contract.contract_id,
        technician_id=option.technician_id,
        kind=VisitKind.EMERGENCY,
        locked=True,
    )


def _callout_why(level: Priority, at: datetime, option: CalloutOption) -> str:
    return (
        f"emergency ({level.value}) at {at:%H:%M}: {option.technician_id} from "
        f"{option.depart_from}, arriving about {option.arrival:%H:%M}"
    )
