"""Account managers' commands end to end on the example: balances, SLA, statements."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.support import EXAMPLE

# The format's columns in its order, then the product's own (readers ignore unknown columns).
BALANCE_COLUMNS = ["contract_id", "school_id", "bought", "delivered", "emergency",
                   "remote_in_lieu", "cancelled_by_school", "cancelled_by_provider", "planned",
                   "owed", "period_end", "at_risk", "reason", "behind_pace"]  # fmt: skip


@pytest.fixture
def loaded(db_url: str) -> str:
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    return db_url


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_balances_reconcile_with_the_history(loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "balances.csv"
    assert main(["balances", "--as-of", "2026-11-23", "--out", str(out), "--db", loaded]) == 0
    rows = {r["contract_id"]: r for r in _rows(out)}
    assert list(next(iter(rows.values()))) == BALANCE_COLUMNS
    c1 = rows["C0001"]  # six history rows, one of each status and a provider cancellation
    assert (c1["delivered"], c1["emergency"], c1["remote_in_lieu"]) == ("2", "1", "1")
    assert (c1["cancelled_by_school"], c1["cancelled_by_provider"]) == ("1", "1")
    assert int(c1["owed"]) == 46 - 5 - int(c1["planned"])
    # nothing planned: behind the pace line, but its 46 owed still fit the days to 2027-04-26
    c4 = rows["C0004"]
    assert (c4["owed"], c4["at_risk"], c4["behind_pace"]) == ("46", "false", "true")
    assert c4["reason"] == "46 visits behind the even pace by the week of 2027-04-26"


def test_at_risk_is_owed_visits_that_no_longer_fit(
    loaded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The format's rule: owed > 0 and more owed visits than visitable days left."""
    out = tmp_path / "balances.csv"
    assert main(["balances", "--as-of", "2027-03-01", "--out", str(out), "--db", loaded]) == 0
    assert "3 at risk, 26 behind pace" in capsys.readouterr().out
    rows = {r["contract_id"]: r for r in _rows(out)}
    c4 = rows["C0004"]
    assert (c4["owed"], c4["at_risk"], c4["behind_pace"]) == ("46", "true", "true")
    assert c4["reason"].startswith("46 owed, 28 visitable days left; 46 visits behind")
    assert all(r["at_risk"] == "false" for r in rows.values() if r["owed"] == "0")


def test_sla_csv_follows_the_spec(loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "sla.csv"
    assert main(["sla", "--as-of", "2026-12-01T09:00", "--out", str(out), "--db", loaded]) == 0
    rows = {r["ticket_id"]: r for r in _rows(out)}
    assert rows["K0001"]["response_due"] == "2026-11-30T08:30"  # Friday 16:00 urgent -> Mon 08:30
    assert rows["K0001"]["response_met"] == "true"
    assert rows["K0004"]["response_due"] == ""  # emergency callouts are exempt


def test_statement_as_printable_html(loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "statement.html"
    argv = ["statement", "--from", "2026-09-01", "--to", "2026-12-18", "--school", "S0001"]
    assert main([*argv, "--out", str(out), "--db", loaded]) == 0
    page = out.read_text()
    assert "S0001" in page and "Dartford Primary School 1" in page


def test_bad_as_of_exits_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sla", "--as-of", "2026-12-01", "--out", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 2
