"""The Disruptions page under AppTest, driven by widget keys.

It renders on an empty database and on the example book (planned for one week); an
absence and an emergency callout preview without writing and apply with Apply; a bad
range is refused with its problems and changes nothing.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from scheduler.domain import Leave, VisitKind, VisitStatus
from scheduler.services.balances import balances
from scheduler.services.dataset import open_database
from scheduler.store.db import session_scope
from scheduler.store.repository import load_plan, load_scenario
from tests.support import ROOT

SICK_FROM, SICK_TO = date(2026, 12, 1), date(2026, 12, 2)
CALLOUT_DAY = date(2026, 12, 1)
AS_OF = date(2026, 12, 31)
"""After the callout, even when it is served on a later day."""


def _page(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    monkeypatch.setenv("SCHEDULER_DB_URL", url)
    monkeypatch.setenv("SCHEDULER_MAP_TILES", "off")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("scheduler/ui/disruptions.py").run()
    assert not at.exception, at.exception
    return at


def _state(url: str):
    """(scenario, plan) as stored."""
    with session_scope(open_database(url)) as session:
        return load_scenario(session), load_plan(session)


def _events(url: str) -> int:
    with open_database(url).connect() as connection:
        return connection.execute(text("SELECT count(*) FROM audit_event")).scalar_one()


def _busiest_technician(url: str) -> str:
    """The technician with the most visits on the sick days: their absence moves something."""
    _, roster = _state(url)
    counts: dict[str, int] = {}
    for v in roster:
        if SICK_FROM <= v.date <= SICK_TO and v.kind is VisitKind.SCHEDULED:
            counts[v.technician_id] = counts.get(v.technician_id, 0) + 1
    return max(counts, key=lambda t: (counts[t], t))


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The table with this column (AppTest does not expose a plain dataframe's key)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def test_renders_on_an_empty_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _page(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}")
    assert any("database is empty" in info.value for info in at.info)


@pytest.mark.parametrize("kind", ["Absence", "Closure", "Cancellation", "Emergency callout"])
def test_renders_each_report_on_the_planned_example(
    monkeypatch: pytest.MonkeyPatch, book_url: str, kind: str
) -> None:
    at = _page(monkeypatch, book_url)
    assert at.title[0].value == "Disruptions"
    at.radio(key="dis_kind").set_value(kind).run()
    assert not at.exception, at.exception
    assert not at.error


def _report_absence(at: AppTest, tech: str, first: date, last: date) -> None:
    at.radio(key="dis_kind").set_value("Absence").run()
    at.selectbox(key="dis_abs_tech").set_value(tech)
    at.date_input(key="dis_abs_from").set_value(first)
    at.date_input(key="dis_abs_to").set_value(last)
    at.text_input(key="dis_abs_reason").set_value("flu")
    at.button(key="dis_abs_preview").click().run()
    assert not at.exception, at.exception


def test_absence_previews_then_applies(monkeypatch: pytest.MonkeyPatch, book_url: str) -> None:
    tech = _busiest_technician(book_url)
    scenario, roster = _state(book_url)
    events = _events(book_url)
    at = _page(monkeypatch, book_url)
    _report_absence(at, tech, SICK_FROM, SICK_TO)

    assert not at.error
    assert at.subheader[0].value == "Preview"
    changes = _frame(at, "change")
    assert set(changes["change"]) <= {"moved", "reassigned"}
    assert len(changes) >= 1
    assert not _frame(at, "owed").empty
    # A preview writes nothing.
    assert _state(book_url) == (scenario, roster)
    assert _events(book_url) == events

    at.button(key="dis_apply").click().run()
    assert not at.exception, at.exception
    assert any("Applied: absence" in s.value for s in at.success)
    after, replanned = _state(book_url)
    assert [lv for lv in after.leave if lv not in scenario.leave] == [
        Leave(tech, SICK_FROM, SICK_TO, "flu")
    ]
    assert not [v for v in replanned if v.technician_id == tech and SICK_FROM <= v.date <= SICK_TO]
    assert replanned != roster
    assert _events(book_url) > events
    assert not [b for b in at.button if b.key == "dis_apply"]
    assert "flu" in set(_frame(at, "technician")["reason"])


def test_bad_range_is_refused_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, book_url: str
) -> None:
    tech = _busiest_technician(book_url)
    before = _state(book_url)
    at = _page(monkeypatch, book_url)
    _report_absence(at, tech, SICK_TO, SICK_FROM)
    assert at.error and "nothing was changed" in at.error[0].value
    assert not at.dataframe[0].value.empty
    assert not [b for b in at.button if b.key == "dis_apply"]
    assert _state(book_url) == before


def test_emergency_callout_picks_an_option_and_debits_the_balance(
    monkeypatch: pytest.MonkeyPatch, book_url: str
) -> None:
    scenario, roster = _state(book_url)
    school = next(
        v.school_id
        for v in roster
        if v.date > CALLOUT_DAY and v.contract_id.startswith("C") and v.kind is VisitKind.SCHEDULED
    )
    contract = next(
        c.contract_id for c in scenario.contracts if c.school_id == school and c.is_scheduled
    )
    before = balances(scenario, roster, AS_OF).set_index("contract_id").loc[contract]

    at = _page(monkeypatch, book_url)
    at.radio(key="dis_kind").set_value("Emergency callout").run()
    at.selectbox(key="dis_em_school").set_value(school)
    at.date_input(key="dis_em_day").set_value(CALLOUT_DAY)
    at.time_input(key="dis_em_time").set_value(time(10, 0))
    at.radio(key="dis_em_priority").set_value("urgent").run()
    at.button(key="dis_em_find").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    options = _frame(at, "estimated arrival")
    assert len(options) >= 1
    assert {"technician", "estimated arrival", "bumped"} <= set(options.columns)
    at.radio(key="dis_em_choose").set_value(1).run()
    chosen = options.iloc[0]["technician"]
    at.button(key="dis_em_preview").click().run()
    assert not at.exception, at.exception
    changes = _frame(at, "change")
    assert "added" in set(changes["change"])
    assert "dropped" in set(changes["change"])
    assert _state(book_url) == (scenario, roster)

    at.button(key="dis_apply").click().run()
    assert not at.exception, at.exception
    after, replanned = _state(book_url)
    callouts = [h for h in after.history if h.status is VisitStatus.EMERGENCY]
    assert [h.contract_id for h in callouts if h not in scenario.history] == [contract]
    row = next(v for v in replanned if v.kind is VisitKind.EMERGENCY)
    assert row.school_id == school and row.locked
    assert after.technician(row.technician_id).name == chosen
    now = balances(after, replanned, AS_OF).set_index("contract_id").loc[contract]
    assert now["emergency"] == before["emergency"] + 1
    assert now["owed"] == before["owed"]
