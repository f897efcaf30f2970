"""Plan a date range: scenario + current plan -> solver instance -> validated roster.

The only place where calendars, contracts and travel become the integers the
solver sees, and where the solver's integers become roster rows again.
Dedicated (full-managed) days are decided here before the solve, because they
are not a choice: the dedicated technician is on site every open day, and the
pool covers their leave.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy.engine import Engine

from scheduler.calendar import Calendar
from scheduler.contracts import bought, consumed, without_mirrored_history
from scheduler.domain import (
    DAY_WINDOW,
    Contract,
    HistoryVisit,
    Package,
    PlannedVisit,
    Scenario,
    Technician,
    VisitKind,
    VisitStatus,
)
from scheduler.eligibility import commute_limit, eligible
from scheduler.errors import InputError, Problem
from scheduler.services import audit
from scheduler.services.diagnose import explain_unplaced
from scheduler.services.validate import ValidationReport, validate_roster
from scheduler.store.db import session_scope
from scheduler.store.repository import PlanRunInfo, load_plan, load_scenario, save_plan
from scheduler.travel import HomeLegs, TravelMatrix
from solver import instance as si
from solver.objective import weights as objective_weights
from solver.solve import Progress, SolveParams, SolveResult, solve

ON_SITE_STATUSES = frozenset({VisitStatus.DELIVERED, VisitStatus.EMERGENCY})
"""History that put a technician on site: that school has had its visit that day."""


@dataclass(frozen=True, slots=True)
class Unplaced:
    contract_id: str
    school_id: str
    visits: int
    reason: str


@dataclass(slots=True)
class PlanOutcome:
    roster: list[PlannedVisit]
    """Every row of the horizon: placed, fixed (locked) and dedicated."""
    result: SolveResult
    validation: ValidationReport
    unplaced: list[Unplaced]
    deferred: dict[str, int]
    """Owed visits left for after the horizon, per contract (not a failure: pro-rata pacing)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.validation.violations


@dataclass(slots=True)
class _Problem:
    """The instance plus what is needed to turn its answer back into roster rows."""

    instance: si.Instance
    contracts: list[Contract]
    technicians: list[Technician]
    window_names: list[str]
    owed: dict[str, int]
    deferred: dict[str, int]
    fixed_rows: list[PlannedVisit]
    dedicated_rows: list[PlannedVisit]
    warnings: list[str]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def dedicated_days(
    scenario: Scenario,
    calendar: Calendar,
    travel: TravelMatrix,
    date_from: date,
    date_to: date,
) -> tuple[list[PlannedVisit], list[str]]:
    """A `dedicated` row for every open day of every full-managed contract, with pool cover.

    Cover goes to the nearest eligible pool technician free that day, fewest
    covers first on ties, preferring one with the dedicated technician's
    skills and grade; a day nobody can cover is a warning, not a silent gap.
    """
    techs = {t.technician_id: t for t in scenario.technicians}
    schools = {s.school_id: s for s in scenario.schools}
    managed = sorted(
        (c for c in scenario.contracts if c.package is Package.FULL_MANAGED),
        key=lambda c: c.contract_id,
    )
    dedicated_ids = {c.dedicated_technician_id for c in managed}
    pool = [t for t in scenario.technicians if t.technician_id not in dedicated_ids]
    busy: set[tuple[str, date]] = set()
    covers: dict[str, int] = {}
    rows: list[PlannedVisit] = []
    warnings: list[str] = []
    start, end = scenario.settings.onsite_start, scenario.settings.onsite_end
    for contract in managed:
        school = schools[contract.school_id]
        own = techs.get(contract.dedicated_technician_id or "")
        own_ok = own is not None and eligible(own, school, scenario, travel)
        if own is not None and not own_ok:
            warnings.append(
                f"{contract.contract_id}: dedicated technician {own.technician_id} does not meet "
                f"{school.school_id}'s needs (skills, seniority or commute); covered from the pool"
            )
        for day in calendar.visitable_days(contract.contract_id, date_from, date_to):
            chosen = None
            if own_ok and own is not None and calendar.technician_available(own.technician_id, day):
                chosen = own
            else:
                candidates = [
                    t
                    for t in pool
                    if (t.technician_id, day) not in busy
                    and calendar.technician_available(t.technician_id, day)
                    and eligible(t, school, scenario, travel)
                ]
                if own is not None:
                    alike = [
                        t for t in candidates if own.skills <= t.skills and t.grade == own.grade
                    ]
                    candidates = alike or candidates
                if candidates:
                    chosen = min(
                        candidates,
                        key=lambda t: (
                            travel.minutes(t.technician_id, school.school_id),
                            covers.get(t.technician_id, 0),
                            t.technician_id,
                        ),
                    )
                    covers[chosen.technician_id] = covers.get(chosen.technician_id, 0) + 1
            if chosen is None:
                warnings.append(
                    f"{contract.contract_id}: no eligible cover for {school.school_id} on {day}"
                )
                continue
            busy.add((chosen.technician_id, day))
            rows.append(
                PlannedVisit(
                    visit_id=f"D-{contract.contract_id}-{day:%Y%m%d}",
                    date=day,
                    window=DAY_WINDOW,
                    start=start,
                    end=end,
                    school_id=school.school_id,
                    contract_id=contract.contract_id,
                    technician_id=chosen.technician_id,
                    kind=VisitKind.DEDICATED,
                )
            )
    return rows, warnings


def _weeks_with_days(days: Sequence[date]) -> int:
    return len({day.isocalendar()[:2] for day in days})


def owed_in_horizon(remaining: int, horizon_days: Sequence[date], rest_days: Sequence[date]) -> int:
    """Pro-rata share of the remaining visits for a horizon that stops before the period ends.

    Without this, planning two weeks would cram a whole year's owed visits
    into them; with the whole rest of the period in view it is all of them.
    `rest_days` are the visitable days from the horizon's start to the period
    end, less the stretch up to the contract's last planned visit after the
    horizon: the plan already covers it (fortnightly gaps and holiday weeks
    included) and its visits are not in `remaining`, so it takes no share.
    """
    rest_weeks = _weeks_with_days(rest_days)
    if remaining <= 0 or rest_weeks == 0:
        return 0
    share = _weeks_with_days(horizon_days) / rest_weeks
    return min(remaining, math.ceil(remaining * share - 1e-9))


def build_problem(
    scenario: Scenario,
    date_from: date,
    date_to: date,
    *,
    calendar: Calendar,
    travel: TravelMatrix,
    existing: Sequence[PlannedVisit] = (),
) -> _Problem:
    """The instance for [date_from, date_to] given the current plan.

    Locked visits inside the horizon are fixed; other visits inside it are the
    hint (they will be re-planned); visits outside it count as planned and
    reduce what is owed here.
    """
    schools = {s.school_id: s for s in scenario.schools}
    dedicated_rows, warnings = dedicated_days(scenario, calendar, travel, date_from, date_to)
    on_dedicated_duty = {(row.technician_id, row.date) for row in dedicated_rows}

    technicians = sorted(scenario.technicians, key=lambda t: t.technician_id)
    tech_index = {t.technician_id: i for i, t in enumerate(technicians)}
    horizon = [d for d in _days(date_from, date_to) if d.weekday() < 5]

    contracts = sorted(
        (c for c in scenario.contracts if c.is_scheduled and c.visits > 0),
        key=lambda c: c.contract_id,
    )
    windows = sorted(scenario.windows, key=lambda w: (w.family, w.start, w.name))
    window_names = [w.name for w in windows]
    window_index = {(w.family, w.name): i for i, w in enumerate(windows)}
    contract_index = {c.contract_id: i for i, c in enumerate(contracts)}

    inside = [v for v in existing if date_from <= v.date <= date_to]
    fixed_rows = [v for v in inside if v.locked and v.contract_id in contract_index]
    hint_rows = [v for v in inside if not v.locked and v.contract_id in contract_index]
    outside: dict[str, int] = {}
    last_planned: dict[str, date] = {}
    for visit in existing:
        if not date_from <= visit.date <= date_to and visit.kind is not VisitKind.DEDICATED:
            outside[visit.contract_id] = outside.get(visit.contract_id, 0) + 1
            if visit.date > last_planned.get(visit.contract_id, date_to):
                last_planned[visit.contract_id] = visit.date
    hinted = Counter(v.contract_id for v in hint_rows)
    fixed_count: dict[str, int] = {}
    for visit in fixed_rows:
        fixed_count[visit.contract_id] = fixed_count.get(visit.contract_id, 0) + 1

    history_days: dict[str, set[date]] = {}
    history_by_contract: dict[str, list[HistoryVisit]] = {}
    for record in scenario.history:
        history_by_contract.setdefault(record.contract_id, []).append(record)

    def recorded_days(contract: Contract) -> set[date]:
        """Days holding any history record of the contract: an appointment that was recorded
        (delivered, cancelled by either side, in lieu) is never re-booked into its own day."""
        return {record.date for record in history_by_contract.get(contract.contract_id, [])}

    contract_school = {c.contract_id: c.school_id for c in scenario.contracts}
    for record in scenario.history:
        if record.status in ON_SITE_STATUSES and record.contract_id in contract_school:
            history_days.setdefault(contract_school[record.contract_id], set()).add(record.date)

    location_ids = [t.technician_id for t in technicians]
    school_location: dict[str, int] = {}
    for contract in contracts:
        if contract.school_id not in school_location:
            school_location[contract.school_id] = len(location_ids)
            location_ids.append(contract.school_id)
    matrix = travel.matrix(location_ids) if location_ids else []

    fixed_days: dict[str, set[date]] = {}
    for visit in fixed_rows:
        fixed_days.setdefault(visit.school_id, set()).add(visit.date)

    owed: dict[str, int] = {}
    deferred: dict[str, int] = {}
    instance_contracts: list[si.Contract] = []
    for contract in contracts:
        school = schools[contract.school_id]
        remaining = (
            bought(contract)
            - consumed(contract, history_by_contract.get(contract.contract_id, []))
            - outside.get(contract.contract_id, 0)
            - fixed_count.get(contract.contract_id, 0)
        )
        blocked = (
            history_days.get(contract.school_id, set())
            | fixed_days.get(contract.school_id, set())
            | recorded_days(contract)
        )
        term = [
            d
            for d in calendar.term_days(contract.contract_id, date_from, date_to)
            if d not in blocked
        ]
        holiday = [
            d
            for d in calendar.holiday_days(contract.contract_id, date_from, date_to)
            if d not in blocked
        ]
        covered_to = last_planned.get(contract.contract_id, date_to)
        left = calendar.visitable_days(contract.contract_id, date_from, None)
        rest = [d for d in left if d <= date_to or d > covered_to]
        in_horizon = sorted(term + holiday)
        # Never fewer than the current plan already holds here: re-planning must not drop visits.
        here = min(
            max(remaining, 0),
            max(owed_in_horizon(max(remaining, 0), in_horizon, rest), hinted[contract.contract_id]),
        )
        if not left:
            # No visitable day left in the period (it ended, or only closed days remain): what it
            # still owes can never be delivered, so it is unplaced here with its reason.
            here = max(remaining, 0)
        owed[contract.contract_id] = here
        deferred[contract.contract_id] = max(remaining, 0) - here
        techs = tuple(
            tech_index[t.technician_id]
            for t in technicians
            if eligible(t, school, scenario, travel)
        )
        family = [i for (fam, _), i in window_index.items() if fam == contract.window_family]
        preferred_window = (
            window_index.get((contract.window_family, school.preferred_window))
            if school.preferred_window
            else None
        )
        instance_contracts.append(
            si.Contract(
                id=contract.contract_id,
                school=contract.school_id,
                location=school_location[contract.school_id],
                windows=tuple(sorted(family)),
                owed=here,
                term_days=tuple(d.toordinal() for d in term),
                holiday_days=tuple(d.toordinal() for d in holiday),
                technicians=techs,
                cadence_days=contract.cadence.days,
                preferred_weekday=school.preferred_weekday,
                preferred_window=preferred_window,
            )
        )

    instance_techs = tuple(
        si.Technician(
            id=t.technician_id,
            location=tech_index[t.technician_id],
            available_days=frozenset(
                d.toordinal()
                for d in horizon
                if calendar.technician_available(t.technician_id, d)
                and (t.technician_id, d) not in on_dedicated_duty
            ),
            max_visits_per_day=t.max_visits_per_day,
            max_commute=commute_limit(t, scenario),
        )
        for t in technicians
    )

    def assignment(visit: PlannedVisit) -> si.Assignment:
        family = scenario.contract(visit.contract_id).window_family
        return si.Assignment(
            contract=contract_index[visit.contract_id],
            day=visit.date.toordinal(),
            window=window_index[(family, visit.window)],
            technician=tech_index[visit.technician_id],
            kind="make_up" if visit.kind is VisitKind.MAKE_UP else "scheduled",
        )

    instance = si.Instance(
        windows=tuple(si.Window(w.name, *w.minutes) for w in windows),
        technicians=instance_techs,
        contracts=tuple(instance_contracts),
        travel=matrix,
        onsite_start=_minutes(scenario.settings.onsite_start),
        onsite_end=_minutes(scenario.settings.onsite_end),
        fixed=tuple(assignment(v) for v in fixed_rows),
        hint=tuple(assignment(v) for v in hint_rows),
        weights=objective_weights(scenario.settings.objective),
    )
    return _Problem(
        instance=instance,
        contracts=contracts,
        technicians=technicians,
        window_names=window_names,
        owed=owed,
        deferred=deferred,
        fixed_rows=fixed_rows,
        dedicated_rows=dedicated_rows,
        warnings=warnings,
    )


def placed_rows(
    problem: _Problem,
    scenario: Scenario,
    result: SolveResult,
    *,
    hint: Sequence[PlannedVisit] = (),
    reserved: Collection[str] = (),
) -> list[PlannedVisit]:
    """The solver's assignments as roster rows, each keeping the id of the hint visit it continues.

    `reserved` holds ids a new visit must not take: visits kept outside the
    re-planned rows and history records (balances match records to visits by id).
    """
    windows = problem.instance.windows
    rows = []
    for a in result.assignments:
        contract = problem.contracts[a.contract]
        day = date.fromordinal(a.day)
        window = scenario.window(contract.window_family, windows[a.window].name)
        rows.append(
            PlannedVisit(
                visit_id="",
                date=day,
                window=window.name,
                start=window.start,
                end=window.end,
                school_id=contract.school_id,
                contract_id=contract.contract_id,
                technician_id=problem.technicians[a.technician].technician_id,
                kind=VisitKind.MAKE_UP if a.kind == "make_up" else VisitKind.SCHEDULED,
            )
        )
    return keep_visit_ids(rows, hint, reserved)


def keep_visit_ids(
    placed: Sequence[PlannedVisit], hint: Sequence[PlannedVisit], reserved: Collection[str] = ()
) -> list[PlannedVisit]:
    """A visit keeps its `visit_id` when a re-plan moves it, so roster.csv, calendars and the
    audit trail can follow it.

    Each placed visit continues a hint visit of the same contract: the one on
    the same day first, then the nearest day. Visits that continue none are
    new: `V-<contract>-<YYYYMMDD>`, suffixed `-2`, `-3`... when that id is taken.
    """
    by_contract: dict[str, list[PlannedVisit]] = {}
    for visit in hint:
        by_contract.setdefault(visit.contract_id, []).append(visit)
    ids: dict[int, str] = {}
    placed_by_contract: dict[str, list[int]] = {}
    for n, visit in enumerate(placed):
        placed_by_contract.setdefault(visit.contract_id, []).append(n)
    for contract_id, indices in placed_by_contract.items():
        ids.update(_match_nearest(placed, indices, by_contract.get(contract_id, [])))
    taken = set(reserved) | set(ids.values())
    rows = []
    for n, visit in enumerate(placed):
        visit_id = ids.get(n)
        if visit_id is None:
            visit_id = _fresh_id(visit, taken)
            taken.add(visit_id)
        rows.append(dataclasses.replace(visit, visit_id=visit_id))
    return rows


def _match_nearest(
    placed: Sequence[PlannedVisit], indices: Sequence[int], hint: Sequence[PlannedVisit]
) -> dict[int, str]:
    """Placed index -> hint id: same day first, then the closest pair left, earliest first."""
    matched: dict[int, str] = {}
    free_hint = sorted(hint, key=lambda v: (v.date, v.visit_id))
    same_day = {v.date: v for v in free_hint}
    for n in indices:
        twin = same_day.pop(placed[n].date, None)
        if twin is not None:
            matched[n] = twin.visit_id
    left_hint = [v for v in free_hint if v.visit_id not in matched.values()]
    left_placed = [n for n in indices if n not in matched]
    pairs = sorted(
        (abs((placed[n].date - v.date).days), v.date, placed[n].date, v.visit_id, n)
        for n in left_placed
        for v in left_hint
    )
    used: set[str] = set()
    for _, _, _, visit_id, n in pairs:
        if n not in matched and visit_id not in used:
            matched[n] = visit_id
            used.add(visit_id)
    return matched


def _fresh_id(visit: PlannedVisit, taken: set[str]) -> str:
    base = f"V-{visit.contract_id}-{visit.date:%Y%m%d}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def plan(
    scenario: Scenario,
    date_from: date,
    date_to: date,
    params: SolveParams,
    *,
    existing: Sequence[PlannedVisit] = (),
    on_progress: Callable[[Progress], None] | None = None,
) -> PlanOutcome:
    """Plan every visit of [date_from, date_to]; every roster is validated before it is returned."""
    scenario = without_mirrored_history(scenario, existing)
    calendar = Calendar(scenario)
    travel = HomeLegs(scenario)
    problem = build_problem(
        scenario, date_from, date_to, calendar=calendar, travel=travel, existing=existing
    )
    result = solve(problem.instance, params, on_progress)
    hint = [v for v in existing if date_from <= v.date <= date_to and not v.locked]
    hint_ids = {v.visit_id for v in hint}
    reserved = {v.visit_id for v in existing if v.visit_id not in hint_ids}
    reserved.update(record.visit_id for record in scenario.history)
    placed = placed_rows(problem, scenario, result, hint=hint, reserved=reserved)
    roster = sorted(
        [*problem.dedicated_rows, *problem.fixed_rows, *placed],
        key=lambda v: (v.date, v.technician_id, v.start, v.visit_id),
    )
    validation = validate_roster(
        scenario,
        roster,
        calendar=calendar,
        travel=travel,
        date_from=date_from,
        date_to=date_to,
        owed={cid: n + _count(problem.fixed_rows, cid) for cid, n in problem.owed.items()},
    )
    unplaced = []
    placed_count: dict[str, int] = {}
    for visit in placed:
        placed_count[visit.contract_id] = placed_count.get(visit.contract_id, 0) + 1
    for contract in problem.contracts:
        missing = problem.owed[contract.contract_id] - placed_count.get(contract.contract_id, 0)
        if missing > 0:
            reason = explain_unplaced(
                scenario,
                contract,
                owed=problem.owed[contract.contract_id],
                missing=missing,
                date_from=date_from,
                date_to=date_to,
                calendar=calendar,
                travel=travel,
                dedicated=problem.dedicated_rows,
            )
            unplaced.append(Unplaced(contract.contract_id, contract.school_id, missing, reason))
    return PlanOutcome(
        roster=roster,
        result=result,
        validation=validation,
        unplaced=unplaced,
        deferred={cid: n for cid, n in problem.deferred.items() if n > 0},
        warnings=problem.warnings,
    )


def _count(rows: Sequence[PlannedVisit], contract_id: str) -> int:
    return sum(1 for row in rows if row.contract_id == contract_id)


def plan_report(outcome: PlanOutcome) -> dict[str, object]:
    """report.json: the spec's keys first, then every penalty term and the quality metrics."""
    result = outcome.result
    placed = [v for v in outcome.roster if v.kind is not VisitKind.DEDICATED]
    return {
        "status": result.status,
        "visits_planned": len(outcome.roster),
        "travel_minutes": round(outcome.validation.metrics.travel_minutes, 1),
        "objective": outcome.validation.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "solve_seconds": round(result.seconds, 3),
        "unplaced": [
            {"contract_id": u.contract_id, "visits": u.visits, "reason": u.reason}
            for u in outcome.unplaced
        ],
        "terms": dict(outcome.validation.terms),
        "metrics": dataclasses.asdict(outcome.validation.metrics),
        "visits_by_kind": {
            kind.value: sum(1 for v in outcome.roster if v.kind is kind) for kind in VisitKind
        },
        "scheduled_visits": len(placed),
        "deferred_beyond_horizon": outcome.deferred,
        "violations": [str(v) for v in outcome.validation.violations],
        "warnings": outcome.warnings,
    }


def plan_stored(
    engine: Engine,
    date_from: date,
    date_to: date,
    params: SolveParams,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> PlanOutcome:
    """Plan against the database's book and current plan; saved only if the validator passes."""
    if date_from > date_to:
        raise InputError(
            [Problem("--from", None, None, str(date_from), f"a date on or before --to {date_to}")]
        )
    with session_scope(engine) as session:
        scenario = load_scenario(session)
        existing = load_plan(session)
    if not scenario.contracts:
        raise InputError(
            [
                Problem(
                    "database",
                    None,
                    None,
                    "no contracts",
                    "an imported scenario (scheduler import)",
                )
            ]
        )
    outcome = plan(scenario, date_from, date_to, params, existing=existing, on_progress=on_progress)
    if outcome.ok:
        report = plan_report(outcome)
        with session_scope(engine) as session:
            run_id = save_plan(
                session,
                visits=outcome.roster,
                run=PlanRunInfo(
                    status=outcome.result.status,
                    objective=outcome.validation.objective,
                    best_bound=outcome.result.best_bound,
                    gap=outcome.result.gap,
                    seconds=outcome.result.seconds,
                    report=report,
                ),
                date_from=date_from,
                date_to=date_to,
            )
            audit.record(
                session,
                actor=None,
                action="plan",
                day=date_from,
                after={
                    "date_from": date_from.isoformat(),
                    "date_to": date_to.isoformat(),
                    "run_id": run_id,
                    "visits": len(outcome.roster),
                    "status": outcome.result.status,
                },
            )
    return outcome


def stored_roster(engine: Engine, date_from: date, date_to: date) -> list[PlannedVisit]:
    with session_scope(engine) as session:
        return load_plan(session, date_from=date_from, date_to=date_to)
