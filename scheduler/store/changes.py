"""Repository functions for edits to a stored plan and book: single visits, leave, closures,
history records, and the append-only audit log.

`repository.py` moves whole scenarios and whole plan runs; a dispatcher's change touches a
handful of rows, so these functions work on exactly those rows. Like every repository
function they take an open session and keyword-only arguments: the caller owns the
transaction, so a change and its audit events commit together or not at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlmodel import Session

from scheduler.domain import Closure, HistoryVisit, Leave, PlannedVisit
from scheduler.store.models import AuditEventRow
from scheduler.store.repository import (
    CLOSURE,
    HISTORY_VISIT,
    LEAVE,
    PLANNED_VISIT,
    _chunks,
    _closure_row,
    _history,
    _history_row,
    _leave_row,
    _planned_visit,
    _table,
)

AUDIT_EVENT = _table(AuditEventRow)


# --- planned visits -------------------------------------------------------------------------


def visits_by_id(session: Session, *, visit_ids: Sequence[str]) -> dict[str, PlannedVisit]:
    """The stored visits among `visit_ids`; an unknown id is simply absent."""
    found: dict[str, PlannedVisit] = {}
    for chunk in _chunks(sorted(set(visit_ids))):
        for row in session.exec(select(PLANNED_VISIT).where(PLANNED_VISIT.c.visit_id.in_(chunk))):
            visit = _planned_visit(row)
            found[visit.visit_id] = visit
    return found


def insert_visits(session: Session, *, visits: Sequence[PlannedVisit]) -> None:
    """Visits placed by a change rather than by a plan run, hence no run id."""
    if visits:
        session.exec(insert(PLANNED_VISIT), params=[_visit_values(v) for v in visits])


def update_visits(session: Session, *, visits: Sequence[PlannedVisit]) -> None:
    """Rewrite visits in place by id, keeping the run that first placed each."""
    pv = PLANNED_VISIT.c
    for visit in visits:
        values = _visit_values(visit)
        del values["visit_id"]
        session.exec(update(PLANNED_VISIT).where(pv.visit_id == visit.visit_id).values(**values))


def _visit_values(visit: PlannedVisit) -> dict[str, Any]:
    return {**dataclasses.asdict(visit), "kind": visit.kind.value}


def delete_visits(session: Session, *, visit_ids: Sequence[str]) -> None:
    for chunk in _chunks(list(visit_ids)):
        session.exec(delete(PLANNED_VISIT).where(PLANNED_VISIT.c.visit_id.in_(chunk)))


# --- book facts a change adds -------------------------------------------------------------


def history_by_id(session: Session, *, visit_ids: Sequence[str]) -> dict[str, HistoryVisit]:
    found: dict[str, HistoryVisit] = {}
    for chunk in _chunks(sorted(set(visit_ids))):
        for row in session.exec(select(HISTORY_VISIT).where(HISTORY_VISIT.c.visit_id.in_(chunk))):
            record = _history(row)
            found[record.visit_id] = record
    return found


def add_history(session: Session, *, records: Sequence[HistoryVisit]) -> None:
    if records:
        session.exec(insert(HISTORY_VISIT), params=[_history_row(r) for r in records])


def leave_exists(session: Session, *, leave: Leave) -> bool:
    c = LEAVE.c
    query = select(LEAVE).where(
        c.technician_id == leave.technician_id,
        c.first_day == leave.first_day,
        c.last_day == leave.last_day,
        c.reason == leave.reason,
    )
    return session.exec(query.limit(1)).first() is not None


def add_leave(session: Session, *, leave: Leave) -> None:
    session.exec(insert(LEAVE).values(**_leave_row(leave)))


def closure_exists(session: Session, *, closure: Closure) -> bool:
    c = CLOSURE.c
    query = select(CLOSURE).where(
        c.school_id == closure.school_id,
        c.first_day == closure.first_day,
        c.last_day == closure.last_day,
        c.reason == closure.reason,
    )
    return session.exec(query.limit(1)).first() is not None


def add_closure(session: Session, *, closure: Closure) -> None:
    session.exec(insert(CLOSURE).values(**_closure_row(closure)))


# --- audit log ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit row as written; `before` and `after` must already be JSON values."""

    at: datetime
    actor: str
    action: str
    school_id: str | None = None
    technician_id: str | None = None
    visit_id: str | None = None
    day: date | None = None
    before: Any = None
    after: Any = None
    reason: str = ""


def append_audit(session: Session, *, records: Sequence[AuditRecord]) -> None:
    """Insert only: the log has no update or delete path, so history cannot be rewritten."""
    if records:
        session.exec(insert(AUDIT_EVENT), params=[dataclasses.asdict(r) for r in records])


def audit_mark(session: Session) -> tuple[int, int]:
    """(count, newest id) of the log: it changes with every commit that appends to it, even
    one that took its ids before a later commit took higher ones."""
    count, newest = session.exec(select(func.count(), func.max(AUDIT_EVENT.c.id))).one()
    return int(count), int(newest or 0)


def select_audit(
    session: Session,
    *,
    school_id: str | None = None,
    technician_id: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    action: str | None = None,
) -> list[Row[Any]]:
    """Matching rows in the order they were written (by id: clocks may step back)."""
    c = AUDIT_EVENT.c
    query = select(AUDIT_EVENT)
    if school_id is not None:
        query = query.where(c.school_id == school_id)
    if technician_id is not None:
        query = query.where(c.technician_id == technician_id)
    if day_from is not None:
        query = query.where(c.day >= day_from)
    if day_to is not None:
        query = query.where(c.day <= day_to)
    if action is not None:
        query = query.where(c.action == action)
    return list(session.exec(query.order_by(c.id)))
