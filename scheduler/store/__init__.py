"""Storage: SQLModel tables, engine and migrations, repository functions.

The only package that talks SQL; everything above it passes `scheduler.domain` objects.
"""

from scheduler.store.db import (
    DEFAULT_DB_PATH,
    make_engine,
    migrate,
    resolve_db_url,
    session_scope,
)
from scheduler.store.repository import (
    PlanRun,
    PlanRunInfo,
    latest_plan_run,
    load_plan,
    load_scenario,
    replace_scenario,
    save_plan,
    scenario_is_empty,
    sorted_scenario,
)

__all__ = [
    "DEFAULT_DB_PATH",
    "PlanRun",
    "PlanRunInfo",
    "latest_plan_run",
    "load_plan",
    "load_scenario",
    "make_engine",
    "migrate",
    "replace_scenario",
    "resolve_db_url",
    "save_plan",
    "scenario_is_empty",
    "session_scope",
    "sorted_scenario",
]
