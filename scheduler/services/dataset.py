"""Use cases that move a whole scenario between a folder and the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from scheduler.domain import Scenario
from scheduler.errors import Problem
from scheduler.scenario import read_scenario, write_scenario
from scheduler.services import audit
from scheduler.store.db import make_engine, migrate, resolve_db_url, session_scope
from scheduler.store.repository import load_scenario, replace_scenario


@dataclass(frozen=True, slots=True)
class ImportSummary:
    counts: dict[str, int]
    warnings: list[Problem]


def import_scenario(engine: Engine, folder: Path) -> ImportSummary:
    """Validate the whole folder first, then replace the stored scenario in one transaction.

    Raises InputError before touching the database, so a refused import loses nothing.
    """
    scenario, warnings = read_scenario(folder)
    counts = {
        "schools": len(scenario.schools),
        "technicians": len(scenario.technicians),
        "contracts": len(scenario.contracts),
        "term blocks": len(scenario.term_dates),
        "closures": len(scenario.closures),
        "leave": len(scenario.leave),
        "history visits": len(scenario.history),
        "tickets": len(scenario.tickets),
    }
    with session_scope(engine) as session:
        replace_scenario(session, scenario=scenario)
        audit.record(session, actor=None, action="import", after=counts, reason=str(folder))
    return ImportSummary(counts=counts, warnings=warnings)


def export_scenario(engine: Engine, folder: Path) -> None:
    write_scenario(load_book(engine), folder)


def database_url(url: str | None = None) -> str:
    """--db value, else SCHEDULER_DB_URL, else the embedded SQLite file (read at call time)."""
    return resolve_db_url(url)


def open_database(url: str | None) -> Engine:
    """The engine for --db / SCHEDULER_DB_URL / the embedded file, migrated to the newest schema."""
    engine = make_engine(resolve_db_url(url))
    migrate(engine)
    return engine


def load_book(engine: Engine) -> Scenario:
    with session_scope(engine) as session:
        return load_scenario(session)


def contracts_frame(scenario: Scenario) -> pd.DataFrame:
    """One row per contract with its school, for tables people filter and sort."""
    schools = {s.school_id: s for s in scenario.schools}
    rows = [
        {
            "contract_id": c.contract_id,
            "school_id": c.school_id,
            "school": schools[c.school_id].name,
            "package": c.package.value,
            "visits": c.visits,
            "cadence": c.cadence.value,
            "window_family": c.window_family,
            "start_date": c.start_date,
            "end_date": c.end_date,
            "dedicated_technician_id": c.dedicated_technician_id or "",
            "sla_policy": c.sla_policy,
        }
        for c in sorted(scenario.contracts, key=lambda c: c.contract_id)
    ]
    return pd.DataFrame(rows)
