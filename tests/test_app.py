"""The real Streamlit app under AppTest, on an empty database and on a loaded one."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scheduler.cli import main
from tests.support import EXAMPLE, ROOT


def _run(monkeypatch: pytest.MonkeyPatch, db_url: str) -> AppTest:
    monkeypatch.setenv("SCHEDULER_DB_URL", db_url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_on_an_empty_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _run(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}")
    assert any("database is empty" in info.value for info in at.info)


def test_overview_shows_the_book(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'book.db'}"
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    at = _run(monkeypatch, db_url)
    assert [m.value for m in at.metric][:3] == ["30", "9", "30"]
    table = at.dataframe[0].value
    assert len(table) == 30
    at.multiselect(key="overview_packages").set_value(["cloud"]).run()
    assert set(at.dataframe[0].value["package"]) == {"cloud"}
