"""The audit trail: who changed what, when, what it was before and after, and why.

Every change to the book or the plan (import, plan, publish, move, swap, lock, absence,
closure, cancellation, emergency) calls `record` inside the transaction that makes the
change, so the log and the data cannot disagree. The log is append-only: this module
offers no way to edit or delete an event. A dispatcher asks it "what happened to this
school, this technician, this week", hence the three filters of `audit_events`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler.domain import LONDON
from scheduler.store.changes import AuditRecord, append_audit, audit_mark, select_audit
from scheduler.store.db import session_scope

UNKNOWN_ACTOR = "unknown"


@dataclasses.dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    at: datetime
    """When the change was made, in Europe/London time."""
    actor: str
    action: str
    school_id: str | None
    technician_id: str | None
    visit_id: str | None
    day: date | None
    """The calendar day the change is about (a visit's day, an absence's first day)."""
    before: Any
    after: Any
    reason: str


def actor_name(actor: str | None = None) -> str:
    """An explicit actor (the app's signed-in user), else the login running the command."""
    return actor or os.environ.get("USER") or os.environ.get("USERNAME") or UNKNOWN_ACTOR


def as_json(value: Any) -> Any:
    """Domain objects as plain JSON values, so `before`/`after` survive any database."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Mapping):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, str):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [as_json(v) for v in items]
    return value


def event(
    *,
    actor: str | None,
    action: str,
    school_id: str | None = None,
    technician_id: str | None = None,
    visit_id: str | None = None,
    day: date | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    at: datetime | None = None,
) -> AuditRecord:
    """One event, ready to append; `at` defaults to now and is stored in UTC, as SQLite
    keeps no offset."""
    moment = datetime.now(UTC) if at is None else at
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: an audit time needs a time zone")
    return AuditRecord(
        at=moment.astimezone(UTC),
        actor=actor_name(actor),
        action=action,
        school_id=school_id,
        technician_id=technician_id,
        visit_id=visit_id,
        day=day,
        before=as_json(before),
        after=as_json(after),
        reason=reason,
    )


def record(
    session: Session,
    *,
    actor: str | None,
    action: str,
    school_id: str | None = None,
    technician_id: str | None = None,
    visit_id: str | None = None,
    day: date | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    at: datetime | None = None,
) -> None:
    """Append one event in the caller's transaction (import, plan, publish call this too)."""
    append_events(
        session,
        [
            event(
                actor=actor,
                action=action,
                school_id=school_id,
                technician_id=technician_id,
                visit_id=visit_id,
                day=day,
                before=before,
                after=after,
                reason=reason,
                at=at,
            )
        ],
    )


def append_events(session: Session, events: Sequence[AuditRecord]) -> None:
    append_audit(session, records=events)


def data_version(engine: Engine) -> tuple[int, int]:
    """A cheap name for the stored data's state: every change to the book or the plan appends
    to the log in its own transaction, so readers (the app's caches) key on this and see a
    change made by any process (a CLI command, the weekly run, the planner's worker)."""
    with session_scope(engine) as session:
        return audit_mark(session)


def audit_events(
    source: Session | Engine,
    school_id: str | None = None,
    technician_id: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    *,
    action: str | None = None,
) -> list[AuditEvent]:
    """Events matching every given filter, oldest first; `day_*` bound the day it is about."""
    if isinstance(source, Engine):
        with session_scope(source) as session:
            return audit_events(session, school_id, technician_id, day_from, day_to, action=action)
    rows = select_audit(
        source,
        school_id=school_id,
        technician_id=technician_id,
        day_from=day_from,
        day_to=day_to,
        action=action,
    )
    return [
        AuditEvent(
            id=row.id,
            at=_aware(row.at).astimezone(LONDON),
            actor=row.actor,
            action=row.action,
            school_id=row.school_id,
            technician_id=row.technician_id,
            visit_id=row.visit_id,
            day=row.day,
            before=row.before,
            after=row.after,
            reason=row.reason,
        )
        for row in rows
    ]


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
