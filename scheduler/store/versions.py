"""Repository for published roster versions and the batch run lock.

Published versions are append-only: nothing here updates or deletes a version,
so a roster that technicians and schools were sent stays exactly as sent while
the working plan goes on changing. The lock is a plain row with a primary key,
because an INSERT that fails on conflict is atomic on SQLite and PostgreSQL
alike, where advisory locks exist on one of them only.

Like `repository`, every function takes an open session and keyword-only
arguments; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, delete, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from scheduler.domain import PlannedVisit
from scheduler.store.models import RosterVersionRow, RosterVersionVisitRow, RunLockRow
from scheduler.store.repository import visit_columns, visit_from_columns


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, inspect(model).local_table)


ROSTER_VERSION = _table(RosterVersionRow)
ROSTER_VERSION_VISIT = _table(RosterVersionVisitRow)
RUN_LOCK = _table(RunLockRow)

PLANNED, CANCELLED = "planned", "cancelled"
_CHUNK = 1000
"""Ids per IN list: well under SQLite's and PostgreSQL's bound-parameter limits."""


@dataclass(frozen=True, slots=True)
class PublishedVisit:
    """A visit as a version published it; a cancelled one keeps the slot it was sent with."""

    visit: PlannedVisit
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class RosterVersion:
    version: int
    published_at: datetime
    date_from: date
    date_to: date
    summary: dict[str, Any]
    diff: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RunLock:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


# --- run lock -----------------------------------------------------------------------------


def try_lock(
    session: Session, *, name: str, holder: str, now: datetime, expires_at: datetime
) -> bool:
    """Take the named lock, or take over one whose holder let it expire; False if held.

    The expired row is deleted and the new one inserted in the caller's
    transaction, so two runs racing for a stale lock cannot both win: the
    second INSERT hits the primary key. Commit straight after, so others see it.
    """
    session.exec(delete(RUN_LOCK).where(RUN_LOCK.c.name == name, RUN_LOCK.c.expires_at <= now))
    try:
        with session.begin_nested():
            session.exec(
                insert(RUN_LOCK).values(
                    name=name, holder=holder, acquired_at=now, expires_at=expires_at
                )
            )
    except IntegrityError:
        return False
    return True


def release_lock(session: Session, *, name: str, holder: str) -> None:
    """Only the holder's own row: after an expiry another run may hold the lock now."""
    session.exec(delete(RUN_LOCK).where(RUN_LOCK.c.name == name, RUN_LOCK.c.holder == holder))


def lock_holder(session: Session, *, name: str) -> RunLock | None:
    row = session.exec(select(RUN_LOCK).where(RUN_LOCK.c.name == name)).first()
    if row is None:
        return None
    return RunLock(row.name, row.holder, row.acquired_at, row.expires_at)


# --- versions -----------------------------------------------------------------------------


def latest_version(session: Session) -> RosterVersion | None:
    """The highest number, which is the newest: numbers are only ever added, one up."""
    row = session.exec(
        select(ROSTER_VERSION).order_by(ROSTER_VERSION.c.version.desc()).limit(1)
    ).first()
    return None if row is None else _version(row)


def version_visits(
    session: Session,
    *,
    version: int,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[PublishedVisit]:
    """A version's rows in the (inclusive, open-ended) range, in roster order."""
    c = ROSTER_VERSION_VISIT.c
    query = select(ROSTER_VERSION_VISIT).where(c.version == version)
    if date_from is not None:
        query = query.where(c.date >= date_from)
    if date_to is not None:
        query = query.where(c.date <= date_to)
    return sorted((_published(row) for row in session.exec(query)), key=_roster_order)


def visit_histories(
    session: Session, *, visit_ids: Iterable[str]
) -> dict[str, list[PublishedVisit]]:
    """Every published state of each visit, oldest version first."""
    ids = sorted(set(visit_ids))
    c = ROSTER_VERSION_VISIT.c
    rows: list[Row[Any]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows += session.exec(select(ROSTER_VERSION_VISIT).where(c.visit_id.in_(chunk))).all()
    histories: dict[str, list[PublishedVisit]] = {}
    for row in sorted(rows, key=lambda r: r.version):
        histories.setdefault(row.visit_id, []).append(_published(row))
    return histories


def save_version(
    session: Session,
    *,
    published_at: datetime,
    date_from: date,
    date_to: date,
    visits: Sequence[PublishedVisit],
    summary: dict[str, Any],
    diff: dict[str, Any],
) -> int:
    """Append the next version with its rows; return its number.

    Two writers racing for one number collide on the primary key, so a
    version is never overwritten even without the run lock.
    """
    newest = session.exec(select(func.max(ROSTER_VERSION.c.version))).scalar_one()
    number = (newest or 0) + 1
    session.exec(
        insert(ROSTER_VERSION).values(
            version=number,
            published_at=published_at,
            date_from=date_from,
            date_to=date_to,
            summary=summary,
            diff=diff,
        )
    )
    if visits:
        session.exec(insert(ROSTER_VERSION_VISIT), params=[_row(number, p) for p in visits])
    return number


# --- mapping ------------------------------------------------------------------------------


def _roster_order(published: PublishedVisit) -> tuple[date, str, str, str]:
    v = published.visit
    return (v.date, v.start.isoformat(), v.technician_id, v.visit_id)


def _version(row: Row[Any]) -> RosterVersion:
    return RosterVersion(
        version=row.version,
        published_at=row.published_at,
        date_from=row.date_from,
        date_to=row.date_to,
        summary=row.summary,
        diff=row.diff,
    )


def _row(version: int, published: PublishedVisit) -> dict[str, Any]:
    return {
        "version": version,
        **visit_columns(published.visit),
        "status": CANCELLED if published.cancelled else PLANNED,
    }


def _published(row: Row[Any]) -> PublishedVisit:
    return PublishedVisit(visit_from_columns(row), cancelled=row.status == CANCELLED)
