"""Where the database lives, how to connect, migrate, and run one unit of work.

`DEFAULT_DB_PATH` is `<project root>/var/scheduler.db`: the embedded SQLite
file every command and the app use when neither `--db` nor the environment
variable `SCHEDULER_DB_URL` names a database. Its folder is created on first
use. A `postgresql+psycopg://` URL works the same way.

Migrations ship inside the package (`scheduler/store/migrations`) and run
through a `Config` built here, so no alembic.ini or working directory is
needed at run time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "scheduler.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DB_URL_ENV = "SCHEDULER_DB_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""Long enough for the app to wait out a CLI import instead of failing with 'database is locked'."""


def resolve_db_url(cli_value: str | None) -> str:
    """The spec's order: the --db value, then SCHEDULER_DB_URL, then the embedded file."""
    if cli_value:
        return cli_value
    from_env = os.environ.get(DB_URL_ENV)
    if from_env:
        return from_env
    return f"sqlite:///{DEFAULT_DB_PATH}"


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names; None for an in-memory database or another backend."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def make_engine(url: str) -> Engine:
    """An engine per call: callers keep theirs (the CLI for one command, the app in its cache)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys, wait on locks, let readers run beside a writer (WAL).

    The driver's own transaction handling is switched off so that
    `_begin_sqlite_transaction` can make every transaction, DDL included, atomic.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _begin_sqlite_transaction(connection: Any) -> None:
    """sqlite3 alone would BEGIN only before DML: reads and DDL would escape the transaction."""
    connection.exec_driver_sql("BEGIN")


def alembic_config() -> Config:
    """Built in code so migrations run from an installed package and any working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision in one transaction (a no-op when already there)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back on any exception."""
    with Session(engine) as session, session.begin():
        yield session
