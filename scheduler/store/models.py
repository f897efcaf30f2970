"""SQLModel tables: one per entity of `scheduler.domain`, plus the planner's output.

The tables mirror the scenario folder rather than the solver, so an import and
an export are plain copies and the scenario format stays the single contract.
Enumerations are stored as their text values (no database enum types), so a
new value needs no schema migration. Sets (skills, work days) are `;`-joined
text, as in the CSV files; free-form tables (SLA policies, objective
weights, shutdown ranges, ticket pauses) are JSON. Datetimes are stored in
UTC by SQLModel's `UTCDateTime`; the repository turns them back into
Europe/London time.

Every change to these classes needs a new revision in `migrations/versions`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import JSON, Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Named constraints, so later migrations (SQLite batch mode above all) can drop or alter them."""

metadata = SQLModel.metadata


class SchoolRow(SQLModel, table=True):
    __tablename__ = "school"

    school_id: str = Field(primary_key=True)
    name: str
    postcode: str = ""
    lat: float
    lon: float
    nation: str
    term_calendar: str = Field(index=True)
    holiday_access: bool = False
    requires_senior: bool = False
    required_skills: str = ""
    preferred_weekday: int | None = None
    preferred_window: str | None = None


class TechnicianRow(SQLModel, table=True):
    __tablename__ = "technician"

    technician_id: str = Field(primary_key=True)
    name: str
    lat: float
    lon: float
    grade: str
    skills: str = ""
    work_days: str = "Mon;Tue;Wed;Thu;Fri"
    max_visits_per_day: int = 3
    max_commute_minutes: int | None = None


class ContractRow(SQLModel, table=True):
    __tablename__ = "contract"

    contract_id: str = Field(primary_key=True)
    school_id: str = Field(foreign_key="school.school_id", index=True)
    package: str
    start_date: dt.date
    period_weeks: int
    visits: int = 0
    cadence: str = "none"
    window_family: str = "3h"
    dedicated_technician_id: str | None = Field(
        default=None, foreign_key="technician.technician_id"
    )
    sla_policy: str = "standard"
    """No foreign key: `standard` applies even when sla.toml does not define it."""


class TermBlockRow(SQLModel, table=True):
    __tablename__ = "term_block"

    id: int | None = Field(default=None, primary_key=True)
    term_calendar: str = Field(index=True)
    first_day: dt.date
    last_day: dt.date


class ClosureRow(SQLModel, table=True):
    __tablename__ = "closure"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.school_id", index=True)
    first_day: dt.date
    last_day: dt.date
    reason: str = ""


class LeaveRow(SQLModel, table=True):
    __tablename__ = "leave"

    id: int | None = Field(default=None, primary_key=True)
    technician_id: str = Field(foreign_key="technician.technician_id", index=True)
    first_day: dt.date
    last_day: dt.date
    reason: str = ""


class HistoryVisitRow(SQLModel, table=True):
    __tablename__ = "history_visit"

    visit_id: str = Field(primary_key=True)
    contract_id: str = Field(foreign_key="contract.contract_id", index=True)
    date: dt.date
    window: str
    technician_id: str
    """No foreign key: history is a record of the past and may name a technician who has left."""
    status: str


class TicketRow(SQLModel, table=True):
    __tablename__ = "ticket"

    ticket_id: str = Field(primary_key=True)
    school_id: str = Field(foreign_key="school.school_id", index=True)
    priority: str
    opened_at: dt.datetime
    responded_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    pauses: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    """`[[start, end], ...]` as ISO 8601 UTC strings."""
    emergency: bool = False


class TravelTimeRow(SQLModel, table=True):
    __tablename__ = "travel_time"

    from_id: str = Field(primary_key=True)
    to_id: str = Field(primary_key=True)
    """School or technician ids, hence no foreign keys."""
    minutes: int


class WindowRow(SQLModel, table=True):
    __tablename__ = "window"

    family: str = Field(primary_key=True)
    name: str = Field(primary_key=True)
    start: dt.time
    end: dt.time


class SlaPolicyRow(SQLModel, table=True):
    __tablename__ = "sla_policy"

    name: str = Field(primary_key=True)
    table: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """The whole `[policy.NAME]` table, so unknown keys survive a round trip."""


class SettingsRow(SQLModel, table=True):
    """Exactly one row (id 1): typed columns keep the defaults visible to SQL readers."""

    __tablename__ = "settings"

    id: int = Field(default=1, primary_key=True)
    shutdown: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    """`[[first_day, last_day], ...]` as ISO dates, in the order given."""
    onsite_start: dt.time
    onsite_end: dt.time
    speed_kmh: float
    detour_factor: float
    max_commute_minutes: int
    objective: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    provider_name: str = ""


class PlanRunRow(SQLModel, table=True):
    __tablename__ = "plan_run"

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime
    date_from: dt.date
    date_to: dt.date
    status: str
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    report: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class PlannedVisitRow(SQLModel, table=True):
    __tablename__ = "planned_visit"

    visit_id: str = Field(primary_key=True)
    date: dt.date = Field(index=True)
    window: str
    start: dt.time
    end: dt.time
    school_id: str = Field(foreign_key="school.school_id", index=True)
    contract_id: str = Field(foreign_key="contract.contract_id", index=True)
    technician_id: str = Field(foreign_key="technician.technician_id", index=True)
    kind: str
    locked: bool = False
    plan_run_id: int | None = Field(default=None, foreign_key="plan_run.id")
    """The run that placed the visit; None for visits added by hand."""


class AuditEventRow(SQLModel, table=True):
    """Append-only change log: who changed what, when, before and after, and why."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str
    action: str = Field(index=True)
    """import, plan, publish, move, swap, lock, unlock, absence, closure, cancel, emergency..."""
    school_id: str | None = Field(default=None, index=True)
    technician_id: str | None = Field(default=None, index=True)
    visit_id: str | None = Field(default=None, index=True)
    day: dt.date | None = Field(default=None, index=True)
    """The calendar day the change is about (not when it was made)."""
    before: Any = Field(default=None, sa_type=JSON, nullable=True)
    after: Any = Field(default=None, sa_type=JSON, nullable=True)
    reason: str = ""


class RosterVersionRow(SQLModel, table=True):
    """A published roster: immutable once written; the working plan may go on changing."""

    __tablename__ = "roster_version"

    version: int = Field(primary_key=True)
    published_at: dt.datetime
    date_from: dt.date
    date_to: dt.date
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    diff: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """Against the previous version: visits added, moved, reassigned, cancelled."""


class RosterVersionVisitRow(SQLModel, table=True):
    __tablename__ = "roster_version_visit"

    version: int = Field(foreign_key="roster_version.version", primary_key=True)
    visit_id: str = Field(primary_key=True)
    date: dt.date = Field(index=True)
    window: str
    start: dt.time
    end: dt.time
    school_id: str = Field(index=True)
    contract_id: str
    technician_id: str = Field(index=True)
    kind: str
    status: str = "planned"
    """`planned` or `cancelled` (sent to calendars as a cancelled event)."""


class RunLockRow(SQLModel, table=True):
    """A named lock row: a batch run holds it so a second run is refused, on any database."""

    __tablename__ = "run_lock"

    name: str = Field(primary_key=True)
    holder: str
    acquired_at: dt.datetime
    expires_at: dt.datetime
    """A crashed holder's lock may be taken over after this time."""
