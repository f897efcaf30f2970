"""The app's shared handles: one engine per database URL, cached reads cleared after writes."""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlalchemy.engine import Engine

from scheduler.domain import PlannedVisit, Scenario
from scheduler.services.dataset import database_url, load_book, open_database
from scheduler.services.planning import stored_roster


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return open_database(url)


def engine() -> Engine:
    """The database SCHEDULER_DB_URL names, else the embedded SQLite file, migrated to head."""
    return _engine(database_url())


@st.cache_data(show_spinner="Loading the book…")
def _book(url: str) -> Scenario:
    return load_book(_engine(url))


def book() -> Scenario:
    return _book(database_url())


@st.cache_data(show_spinner=False)
def _plan(url: str) -> list[PlannedVisit]:
    return stored_roster(_engine(url), date.min, date.max)


def plan() -> list[PlannedVisit]:
    """The whole stored plan (every planned visit), cached like the book."""
    return _plan(database_url())


def invalidate() -> None:
    """Call after every write so no page shows stale data."""
    _book.clear()
    _plan.clear()
