"""The app's shared handles: one engine per database URL, and cached reads keyed on the data's
version, so every page draws from memory and any process's write is seen on the next run.

The version is the audit log's mark (`services.audit.data_version`, one tiny query): every
change to the book or the plan appends to the log in its own transaction. The book and the
plan are kept as shared objects (`st.cache_resource`), not copies: `st.cache_data` unpickles
its value on every read, ~0.1-0.3 s a page for a 300-school plan. They are read-only: no page
or service mutates a Scenario or a plan list in place. Derived frames (balances, burn-downs,
SLA) are small and use `st.cache_data`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from scheduler.domain import PlannedVisit, Scenario
from scheduler.services.audit import data_version
from scheduler.services.balances import balances, burndown
from scheduler.services.dataset import database_url, load_book, open_database
from scheduler.services.planning import stored_roster
from scheduler.services.sla_report import compliance, sla_rows
from scheduler.ui.charts import burndown_chart

Version = tuple[int, int]


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return open_database(url)


def engine() -> Engine:
    """The database SCHEDULER_DB_URL names, else the embedded SQLite file, migrated to head."""
    return _engine(database_url())


def _version(url: str) -> Version:
    return data_version(_engine(url))


@st.cache_resource(show_spinner="Loading the book…", max_entries=2)
def _book(url: str, version: Version) -> Scenario:
    return load_book(_engine(url))


def book() -> Scenario:
    """The stored book, shared by every session: read it, never change it in place."""
    url = database_url()
    return _book(url, _version(url))


@st.cache_resource(show_spinner=False, max_entries=2)
def _plan(url: str, version: Version) -> list[PlannedVisit]:
    return stored_roster(_engine(url), date.min, date.max)


def plan() -> list[PlannedVisit]:
    """The whole stored plan (every planned visit), shared like the book: never mutate it."""
    url = database_url()
    return _plan(url, _version(url))


@st.cache_data(show_spinner=False, max_entries=8)
def _balances(url: str, version: Version, as_of: date) -> pd.DataFrame:
    return balances(_book(url, version), _plan(url, version), as_of)


def balances_table(as_of: date) -> pd.DataFrame:
    """balances.csv's table as of a day (~0.5 s for 300 schools, so computed once a version)."""
    url = database_url()
    return _balances(url, _version(url), as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def _burndown_spec(
    url: str, version: Version, contract_id: str | None, title: str, period_end: date | None
) -> dict[str, Any]:
    frame = burndown(_book(url, version), _plan(url, version), contract_id)
    return burndown_chart(frame, title, period_end).to_dict()


def burndown_spec(
    contract_id: str | None, title: str, period_end: date | None = None
) -> dict[str, Any]:
    """A burn-down's Vega-Lite spec: Altair builds and validates a chart in ~0.1 s, so a
    page redrawn for another filter reuses it."""
    url = database_url()
    return _burndown_spec(url, _version(url), contract_id, title, period_end)


@st.cache_data(show_spinner=False, max_entries=16)
def _sla(
    url: str, version: Version, as_of: datetime, groups: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = _book(url, version)
    return compliance(scenario, as_of, by=list(groups)), sla_rows(scenario, as_of)


def sla_tables(as_of: datetime, groups: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compliance by `groups` and every ticket's clock as of a moment (each clock is walked
    through working hours, so they are computed once a version)."""
    url = database_url()
    return _sla(url, _version(url), as_of, tuple(groups))


def invalidate() -> None:
    """Call after every write: frees the old entries now (the version key alone would too)."""
    for cached in (_book, _plan, _balances, _burndown_spec, _sla):
        cached.clear()
