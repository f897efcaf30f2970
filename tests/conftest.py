"""Real databases and a real browser for every test that needs them.

Databases: every `db_url` test runs twice, on a fresh SQLite file and on a
fresh PostgreSQL database created on the server DATABASE_URL names (dropped
afterwards). Without DATABASE_URL the PostgreSQL half is skipped on a
workstation but FAILS under CI=true, where a skip would hide a broken path.
The same holds for the browser: Debian chromium at CHROMIUM_PATH.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scheduler.cli import main
from tests.support import CHROMIUM, CHROMIUM_ARGS, EXAMPLE

IN_CI = os.environ.get("CI") == "true"


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {what}: these tests must run in CI, not skip")
    pytest.skip(what)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A `postgresql+psycopg://` URL of a new, empty database, dropped on exit."""
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        _missing("DATABASE_URL is unset (a postgresql+psycopg:// URL)")
    assert admin_url is not None
    if make_url(admin_url).get_backend_name() != "postgresql":
        pytest.fail(f"DATABASE_URL must be a postgresql+psycopg:// URL, got {admin_url!r}")
    name = f"scheduler_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'scheduler.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database per test, on each backend."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per backend shared by a module's tests (for many read-mostly cases)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian chromium driven by Playwright; never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        _missing(f"no chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def planned_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example imported and planned for 30 Nov - 4 Dec 2026, once per module."""
    path = tmp_path_factory.mktemp("planned") / "book.db"
    url = f"sqlite:///{path}"
    assert main(["import", str(EXAMPLE), "--db", url]) == 0
    args = ["plan", "--from", "2026-11-30", "--to", "2026-12-04", "--time-limit", "6"]
    assert main([*args, "--db", url]) == 0
    return path


@pytest.fixture
def book_url(planned_db: Path, tmp_path: Path) -> str:
    """A private copy of the planned example, so a test may write to it."""
    path = tmp_path / "book.db"
    # The backup API copies what is still in the WAL file too; a file copy would not.
    with sqlite3.connect(planned_db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return f"sqlite:///{path}"
