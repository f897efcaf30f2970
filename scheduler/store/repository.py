"""Repository: the only code that reads or writes the scheduler's tables.

Functions take an open session and keyword-only arguments; the caller owns the
transaction (`db.session_scope`), so several calls commit or fail together.
Whole scenarios move as executemany batches of plain dicts and plain rows,
because a 5,000-school book carries hundreds of thousands of history rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Row, Table, delete, insert, inspect, select
from sqlmodel import Session, SQLModel

from scheduler.domain import (
    LONDON,
    WEEKDAY_NAMES,
    Cadence,
    Closure,
    Contract,
    Grade,
    HistoryVisit,
    Leave,
    Nation,
    Package,
    PlannedVisit,
    Scenario,
    School,
    Settings,
    SlaPolicy,
    Technician,
    TermBlock,
    Ticket,
    TravelTime,
    VisitKind,
    VisitStatus,
    Window,
)
from scheduler.store.models import (
    ClosureRow,
    ContractRow,
    HistoryVisitRow,
    LeaveRow,
    PlannedVisitRow,
    PlanRunRow,
    SchoolRow,
    SettingsRow,
    SlaPolicyRow,
    TechnicianRow,
    TermBlockRow,
    TicketRow,
    TravelTimeRow,
    WindowRow,
)


def _table(model: type[SQLModel]) -> Table:
    """The Core table behind a model, for executemany inserts and plain-row selects."""
    return cast(Table, inspect(model).local_table)


SCHOOL = _table(SchoolRow)
TECHNICIAN = _table(TechnicianRow)
CONTRACT = _table(ContractRow)
TERM_BLOCK = _table(TermBlockRow)
CLOSURE = _table(ClosureRow)
LEAVE = _table(LeaveRow)
HISTORY_VISIT = _table(HistoryVisitRow)
TICKET = _table(TicketRow)
TRAVEL_TIME = _table(TravelTimeRow)
WINDOW = _table(WindowRow)
SLA_POLICY = _table(SlaPolicyRow)
SETTINGS = _table(SettingsRow)
PLAN_RUN = _table(PlanRunRow)
PLANNED_VISIT = _table(PlannedVisitRow)
"""Bulk paths run on these rather than on ORM objects: a 5,000-school scenario then loads
from SQLite in about 3 s instead of 8 s."""

SCENARIO_TABLES: tuple[Table, ...] = (
    SCHOOL,
    TECHNICIAN,
    CONTRACT,
    TERM_BLOCK,
    CLOSURE,
    LEAVE,
    HISTORY_VISIT,
    TICKET,
    TRAVEL_TIME,
    WINDOW,
    SLA_POLICY,
    SETTINGS,
)
"""In foreign-key order: inserted front to back, deleted back to front."""

_Item = TypeVar("_Item")

_CHUNK = 1000
"""Ids per IN list: well under SQLite's and PostgreSQL's bound-parameter limits."""


@dataclass(frozen=True, slots=True)
class PlanRunInfo:
    """What one planner run reports about itself, kept beside the visits it placed."""

    status: str
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    report: dict[str, Any] = field(default_factory=dict)
    """Must be JSON-serialisable (it is report.json)."""


@dataclass(frozen=True, slots=True)
class PlanRun:
    """A stored run, as the app and `scheduler weekly` show it."""

    id: int
    created_at: datetime
    date_from: date
    date_to: date
    info: PlanRunInfo


# --- scenario -----------------------------------------------------------------------------


def replace_scenario(session: Session, *, scenario: Scenario) -> None:
    """Swap the whole book; plans and runs go too, as they refer to the old ids."""
    session.exec(delete(PLANNED_VISIT))
    session.exec(delete(PLAN_RUN))
    for table in reversed(SCENARIO_TABLES):
        session.exec(delete(table))
    rows: dict[Table, list[dict[str, Any]]] = {
        SCHOOL: [_school_row(s) for s in scenario.schools],
        TECHNICIAN: [_technician_row(t) for t in scenario.technicians],
        CONTRACT: [_contract_row(c) for c in scenario.contracts],
        TERM_BLOCK: [_term_block_row(b) for b in scenario.term_dates],
        CLOSURE: [_closure_row(c) for c in scenario.closures],
        LEAVE: [_leave_row(lv) for lv in scenario.leave],
        HISTORY_VISIT: [_history_row(h) for h in scenario.history],
        TICKET: [_ticket_row(t) for t in scenario.tickets],
        TRAVEL_TIME: [dataclasses.asdict(t) for t in scenario.travel],
        WINDOW: [_window_row(w) for w in scenario.windows],
        SLA_POLICY: [{"name": p.name, "table": p.table} for p in scenario.sla_policies],
        SETTINGS: [_settings_row(scenario.settings)],
    }
    for table in SCENARIO_TABLES:
        if rows[table]:
            session.exec(insert(table), params=rows[table])


def load_scenario(session: Session) -> Scenario:
    """The stored book in `sorted_scenario` order; never imported means empty lists."""
    settings_row = session.exec(select(SETTINGS)).first()
    return sorted_scenario(
        Scenario(
            schools=_load(session, SCHOOL, _school),
            technicians=_load(session, TECHNICIAN, _technician),
            contracts=_load(session, CONTRACT, _contract),
            term_dates=_load(
                session, TERM_BLOCK, lambda r: TermBlock(r.term_calendar, r.first_day, r.last_day)
            ),
            closures=_load(
                session, CLOSURE, lambda r: Closure(r.school_id, r.first_day, r.last_day, r.reason)
            ),
            leave=_load(
                session, LEAVE, lambda r: Leave(r.technician_id, r.first_day, r.last_day, r.reason)
            ),
            history=_load(session, HISTORY_VISIT, _history),
            tickets=_load(session, TICKET, _ticket),
            travel=_load(session, TRAVEL_TIME, lambda r: TravelTime(r.from_id, r.to_id, r.minutes)),
            windows=_load(session, WINDOW, lambda r: Window(r.family, r.name, r.start, r.end)),
            sla_policies=_load(session, SLA_POLICY, lambda r: SlaPolicy(r.name, r.table)),
            settings=Settings() if settings_row is None else _settings(settings_row),
        )
    )


def sorted_scenario(scenario: Scenario) -> Scenario:
    """The order `load_scenario` returns: every list by its natural key.

    Sorted in Python, not SQL, so SQLite and PostgreSQL (whose collations
    differ) agree, and two loads compare equal whatever order the import had.
    """
    s = scenario
    return dataclasses.replace(
        s,
        schools=sorted(s.schools, key=lambda x: x.school_id),
        technicians=sorted(s.technicians, key=lambda x: x.technician_id),
        contracts=sorted(s.contracts, key=lambda x: x.contract_id),
        term_dates=sorted(s.term_dates, key=lambda x: (x.term_calendar, x.first_day, x.last_day)),
        closures=sorted(s.closures, key=lambda x: (x.school_id, x.first_day, x.last_day, x.reason)),
        leave=sorted(s.leave, key=lambda x: (x.technician_id, x.first_day, x.last_day, x.reason)),
        history=sorted(s.history, key=lambda x: x.visit_id),
        tickets=sorted(s.tickets, key=lambda x: x.ticket_id),
        travel=sorted(s.travel, key=lambda x: (x.from_id, x.to_id)),
        windows=sorted(s.windows, key=lambda x: (x.family, x.start, x.name)),
        sla_policies=sorted(s.sla_policies, key=lambda x: x.name),
    )


def scenario_is_empty(session: Session) -> bool:
    """True until a scenario with schools, technicians or contracts has been imported."""
    return all(
        session.exec(select(table).limit(1)).first() is None
        for table in (SCHOOL, TECHNICIAN, CONTRACT)
    )


# --- plan ---------------------------------------------------------------------------------


def save_plan(
    session: Session,
    *,
    visits: Sequence[PlannedVisit],
    run: PlanRunInfo,
    date_from: date,
    date_to: date,
) -> int:
    """Store a run and its visits for [date_from, date_to]; return the run id.

    Unlocked visits in the range are replaced, and so is any unlocked visit the
    new plan moves into the range (a visit keeps its id when it moves). Locked
    visits stay as stored; the plan may repeat one unchanged but not move it.
    """
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    outside = [v.visit_id for v in visits if not date_from <= v.date <= date_to]
    if outside:
        raise ValueError(f"visits outside {date_from}..{date_to}: {', '.join(outside[:5])}")
    incoming_ids = [v.visit_id for v in visits]
    pv = PLANNED_VISIT.c
    locked = {
        row.visit_id: _planned_visit(row)
        for chunk in _chunks(incoming_ids)
        for row in session.exec(select(PLANNED_VISIT).where(pv.visit_id.in_(chunk), pv.locked))
    }
    for visit in visits:
        kept = locked.get(visit.visit_id)
        if kept is not None and dataclasses.replace(visit, locked=True) != kept:
            raise ValueError(f"visit {visit.visit_id} is locked; the plan may not move it")

    session.exec(delete(PLANNED_VISIT).where(~pv.locked, pv.date.between(date_from, date_to)))
    for chunk in _chunks(incoming_ids):
        session.exec(delete(PLANNED_VISIT).where(~pv.locked, pv.visit_id.in_(chunk)))
    run_id: int = session.exec(
        insert(PLAN_RUN)
        .values(
            created_at=datetime.now(UTC),
            date_from=date_from,
            date_to=date_to,
            **dataclasses.asdict(run),
        )
        .returning(PLAN_RUN.c.id)
    ).scalar_one()
    new_rows = [
        _planned_visit_row(v, plan_run_id=run_id) for v in visits if v.visit_id not in locked
    ]
    if new_rows:
        session.exec(insert(PLANNED_VISIT), params=new_rows)
    return run_id


def load_plan(
    session: Session, *, date_from: date | None = None, date_to: date | None = None
) -> list[PlannedVisit]:
    """Visits in the (inclusive, open-ended) range, in roster order: day, start, technician."""
    query = select(PLANNED_VISIT)
    if date_from is not None:
        query = query.where(PLANNED_VISIT.c.date >= date_from)
    if date_to is not None:
        query = query.where(PLANNED_VISIT.c.date <= date_to)
    return sorted(
        (_planned_visit(r) for r in session.exec(query)),
        key=lambda v: (v.date, v.start, v.technician_id, v.visit_id),
    )


def latest_plan_run(session: Session) -> PlanRun | None:
    """The newest run by id (not by clock, which may step back); None before the first plan."""
    row = session.exec(select(PLAN_RUN).order_by(PLAN_RUN.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return PlanRun(
        id=row.id,
        created_at=row.created_at.astimezone(LONDON),
        date_from=row.date_from,
        date_to=row.date_to,
        info=PlanRunInfo(
            status=row.status,
            objective=row.objective,
            best_bound=row.best_bound,
            gap=row.gap,
            seconds=row.seconds,
            report=row.report,
        ),
    )


# --- mapping between domain objects and rows ---------------------------------------------


def _load(session: Session, table: Table, convert: Callable[[Row[Any]], _Item]) -> list[_Item]:
    return [convert(row) for row in session.exec(select(table))]


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _join(items: Iterable[str]) -> str:
    return ";".join(sorted(items))


def _split(text: str) -> frozenset[str]:
    return frozenset(text.split(";")) if text else frozenset()


def _utc_iso(moment: datetime) -> str:
    """Naive times are refused: guessing their zone would shift SLA clocks by an hour."""
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: a time zone is required")
    return moment.astimezone(UTC).isoformat()


def _london(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(LONDON)


def _school_row(s: School) -> dict[str, Any]:
    return {
        "school_id": s.school_id,
        "name": s.name,
        "postcode": s.postcode,
        "lat": s.lat,
        "lon": s.lon,
        "nation": s.nation.value,
        "term_calendar": s.term_calendar,
        "holiday_access": s.holiday_access,
        "requires_senior": s.requires_senior,
        "required_skills": _join(s.required_skills),
        "preferred_weekday": s.preferred_weekday,
        "preferred_window": s.preferred_window,
    }


def _school(r: Row[Any]) -> School:
    return School(
        school_id=r.school_id,
        name=r.name,
        lat=r.lat,
        lon=r.lon,
        nation=Nation(r.nation),
        term_calendar=r.term_calendar,
        postcode=r.postcode,
        holiday_access=r.holiday_access,
        requires_senior=r.requires_senior,
        required_skills=_split(r.required_skills),
        preferred_weekday=r.preferred_weekday,
        preferred_window=r.preferred_window,
    )


def _technician_row(t: Technician) -> dict[str, Any]:
    return {
        "technician_id": t.technician_id,
        "name": t.name,
        "lat": t.lat,
        "lon": t.lon,
        "grade": t.grade.value,
        "skills": _join(t.skills),
        "work_days": ";".join(WEEKDAY_NAMES[d] for d in sorted(t.work_days)),
        "max_visits_per_day": t.max_visits_per_day,
        "max_commute_minutes": t.max_commute_minutes,
    }


def _technician(r: Row[Any]) -> Technician:
    return Technician(
        technician_id=r.technician_id,
        name=r.name,
        lat=r.lat,
        lon=r.lon,
        grade=Grade(r.grade),
        skills=_split(r.skills),
        work_days=frozenset(WEEKDAY_NAMES.index(d) for d in _split(r.work_days)),
        max_visits_per_day=r.max_visits_per_day,
        max_commute_minutes=r.max_commute_minutes,
    )


def _contract_row(c: Contract) -> dict[str, Any]:
    return {
        "contract_id": c.contract_id,
        "school_id": c.school_id,
        "package": c.package.value,
        "start_date": c.start_date,
        "period_weeks": c.period_weeks,
        "visits": c.visits,
        "cadence": c.cadence.value,
        "window_family": c.window_family,
        "dedicated_technician_id": c.dedicated_technician_id,
        "sla_policy": c.sla_policy,
    }


def _contract(r: Row[Any]) -> Contract:
    return Contract(
        contract_id=r.contract_id,
        school_id=r.school_id,
        package=Package(r.package),
        start_date=r.start_date,
        period_weeks=r.period_weeks,
        visits=r.visits,
        cadence=Cadence(r.cadence),
        window_family=r.window_family,
        dedicated_technician_id=r.dedicated_technician_id,
        sla_policy=r.sla_policy,
    )


def _term_block_row(b: TermBlock) -> dict[str, Any]:
    return {"term_calendar": b.term_calendar, "first_day": b.first_day, "last_day": b.last_day}


def _closure_row(c: Closure) -> dict[str, Any]:
    return {
        "school_id": c.school_id,
        "first_day": c.first_day,
        "last_day": c.last_day,
        "reason": c.reason,
    }


def _leave_row(lv: Leave) -> dict[str, Any]:
    return {
        "technician_id": lv.technician_id,
        "first_day": lv.first_day,
        "last_day": lv.last_day,
        "reason": lv.reason,
    }


def _history_row(h: HistoryVisit) -> dict[str, Any]:
    return {
        "visit_id": h.visit_id,
        "contract_id": h.contract_id,
        "date": h.date,
        "window": h.window,
        "technician_id": h.technician_id,
        "status": h.status.value,
    }


def _history(r: Row[Any]) -> HistoryVisit:
    return HistoryVisit(
        visit_id=r.visit_id,
        contract_id=r.contract_id,
        date=r.date,
        window=r.window,
        technician_id=r.technician_id,
        status=VisitStatus(r.status),
    )


def _ticket_row(t: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": t.ticket_id,
        "school_id": t.school_id,
        "priority": t.priority,
        "opened_at": t.opened_at,
        "responded_at": t.responded_at,
        "resolved_at": t.resolved_at,
        "pauses": [[_utc_iso(start), _utc_iso(end)] for start, end in t.pauses],
        "emergency": t.emergency,
    }


def _ticket(r: Row[Any]) -> Ticket:
    return Ticket(
        ticket_id=r.ticket_id,
        school_id=r.school_id,
        priority=r.priority,
        opened_at=r.opened_at.astimezone(LONDON),
        responded_at=None if r.responded_at is None else r.responded_at.astimezone(LONDON),
        resolved_at=None if r.resolved_at is None else r.resolved_at.astimezone(LONDON),
        pauses=tuple((_london(start), _london(end)) for start, end in r.pauses),
        emergency=r.emergency,
    )


def _window_row(w: Window) -> dict[str, Any]:
    return {"family": w.family, "name": w.name, "start": w.start, "end": w.end}


def _settings_row(s: Settings) -> dict[str, Any]:
    return {
        "id": 1,
        "shutdown": [[first.isoformat(), last.isoformat()] for first, last in s.shutdown],
        "onsite_start": s.onsite_start,
        "onsite_end": s.onsite_end,
        "speed_kmh": s.speed_kmh,
        "detour_factor": s.detour_factor,
        "max_commute_minutes": s.max_commute_minutes,
        "objective": s.objective,
        "provider_name": s.provider_name,
    }


def _settings(r: Row[Any]) -> Settings:
    return Settings(
        shutdown=tuple(
            (date.fromisoformat(first), date.fromisoformat(last)) for first, last in r.shutdown
        ),
        onsite_start=r.onsite_start,
        onsite_end=r.onsite_end,
        speed_kmh=r.speed_kmh,
        detour_factor=r.detour_factor,
        max_commute_minutes=r.max_commute_minutes,
        objective=r.objective,
        provider_name=r.provider_name,
    )


def visit_columns(v: PlannedVisit) -> dict[str, Any]:
    """The columns a working-plan visit and a published one share."""
    return {
        "visit_id": v.visit_id,
        "date": v.date,
        "window": v.window,
        "start": v.start,
        "end": v.end,
        "school_id": v.school_id,
        "contract_id": v.contract_id,
        "technician_id": v.technician_id,
        "kind": v.kind.value,
    }


def visit_from_columns(r: Any, *, locked: bool = False) -> PlannedVisit:
    return PlannedVisit(
        visit_id=r.visit_id,
        date=r.date,
        window=r.window,
        start=r.start,
        end=r.end,
        school_id=r.school_id,
        contract_id=r.contract_id,
        technician_id=r.technician_id,
        kind=VisitKind(r.kind),
        locked=locked,
    )


def _planned_visit_row(v: PlannedVisit, *, plan_run_id: int) -> dict[str, Any]:
    return {**visit_columns(v), "locked": v.locked, "plan_run_id": plan_run_id}


def _planned_visit(r: Row[Any]) -> PlannedVisit:
    return visit_from_columns(r, locked=r.locked)
