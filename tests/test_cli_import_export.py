"""The import/export contract end to end through the CLI, on SQLite and PostgreSQL.

A refused import exits 2, names file/row/column, and leaves the database
exactly as it was; export -> import -> export is byte-identical.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.services.dataset import load_book, open_database
from tests.malformed_cases import CASES, MalformedCase, make_case
from tests.support import EXAMPLE


def _same_tree(left: Path, right: Path) -> bool:
    names = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(left / n, right / n, shallow=False) for n in names)


@pytest.fixture(scope="module")
def loaded_db(module_db_url: str) -> str:
    """One database per backend holding the example, shared by the refusal cases."""
    assert main(["import", str(EXAMPLE), "--db", module_db_url]) == 0
    return module_db_url


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("import", "export", "demo"):
        assert command in out


@pytest.mark.parametrize("command", ["import", "export", "demo"])
def test_each_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: scheduler " + command in capsys.readouterr().out


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["import"])
    assert exit_info.value.code == 2


def test_round_trip_is_byte_identical(db_url: str, tmp_path: Path) -> None:
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["export", str(first), "--db", db_url]) == 0
    before = load_book(open_database(db_url))
    assert main(["import", str(first), "--db", db_url]) == 0
    assert load_book(open_database(db_url)) == before
    assert main(["export", str(second), "--db", db_url]) == 0
    assert _same_tree(first, second)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_folder_is_refused_and_changes_nothing(
    case: MalformedCase, loaded_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = load_book(open_database(loaded_db))
    folder = make_case(case, tmp_path)
    capsys.readouterr()
    assert main(["import", str(folder), "--db", loaded_db]) == 2
    err = capsys.readouterr().err
    assert case.file in err
    if case.column:
        assert case.column in err
    if case.row is not None:
        assert any(
            case.file in line and f" {case.row} " in f" {line} " for line in err.splitlines()
        ), err
    assert load_book(open_database(loaded_db)) == before


def test_missing_folder_exits_2(db_url: str, tmp_path: Path) -> None:
    assert main(["import", str(tmp_path / "nowhere"), "--db", db_url]) == 2


def test_a_refused_import_leaves_no_new_database_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'x.db'}"
    assert main(["import", str(tmp_path / "nowhere"), "--db", url]) == 2
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["roster", "--from", "2026-09-01", "--to", "2026-09-30", "--out", "r.csv"],
        ["balances", "--as-of", "2026-10-01", "--out", "b.csv"],
        ["weekly", "--week-of", "2026-10-05"],
    ],
)
def test_a_mistyped_database_path_is_refused_not_created(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A cron job with a typo in --db must not read an empty new database and exit 0."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'typo' / 'x.db'}"
    assert main([*command, "--db", url]) == 2
    assert "an existing database" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_unreachable_database_exits_1(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    assert main(["import", str(EXAMPLE), "--db", url]) == 1
