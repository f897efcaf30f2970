"""Customer statements: the content per school, the CSV, and a printable, escaped HTML page."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, time

import pytest

from scheduler.domain import (
    HistoryVisit,
    PlannedVisit,
    Scenario,
    Settings,
    VisitKind,
    VisitStatus,
)
from scheduler.scenario import read_scenario
from scheduler.services.statements import (
    STATEMENT_COLUMNS,
    Line,
    statements,
    statements_csv,
    statements_html,
)
from tests.support import EXAMPLE

AUTUMN = (date(2026, 9, 1), date(2026, 12, 31))


def _plan(*days: str, contract_id: str = "C0001", school_id: str = "S0001") -> list[PlannedVisit]:
    return [
        PlannedVisit(f"R{day}", date.fromisoformat(day), "PM", time(12, 30), time(15, 30),
                     school_id, contract_id, "T002", VisitKind.SCHEDULED)
        for day in days
    ]  # fmt: skip


@pytest.fixture(scope="module")
def example() -> Scenario:
    scenario, _ = read_scenario(EXAMPLE)
    return replace(scenario, settings=replace(scenario.settings, provider_name="Kent Schools IT"))


def test_statement_of_one_school(example: Scenario) -> None:
    plan = _plan("2026-12-10", "2027-01-07", "2027-01-14", "2027-01-21")
    (statement,) = statements(example, plan, *AUTUMN, ["S0001"], upcoming=2)
    assert statement.provider == "Kent Schools IT"
    assert [b.contract_id for b in statement.balances] == ["C0001"]
    balance = statement.balances[0]
    assert (balance.bought, balance.used, balance.planned, balance.owed) == (46, 5, 4, 37)
    assert [(v.date.isoformat(), v.status) for v in statement.visits] == [
        ("2026-09-03", "delivered"),
        ("2026-09-10", "delivered"),
        ("2026-09-17", "emergency callout"),
        ("2026-09-24", "remote support in lieu (counts as delivered)"),
        ("2026-10-01", "cancelled by the school (counts as delivered)"),
        ("2026-10-08", "cancelled by us (owed again)"),
    ]
    assert statement.visits[0].window == "AM 08:30-11:30"
    assert statement.visits[3].technician == "Technician 2"
    assert statement.emergencies == (
        Line("C0001", date(2026, 9, 17), "AM 08:30-11:30", "Technician 1", "emergency callout",
             "used 1 bought visit"),
    )  # fmt: skip
    assert [(v.date.isoformat(), v.window) for v in statement.upcoming] == [
        ("2027-01-07", "PM 12:30-15:30"),
        ("2027-01-14", "PM 12:30-15:30"),
    ]


def test_one_statement_per_school_with_a_running_contract(example: Scenario) -> None:
    found = statements(example, [], *AUTUMN)
    assert [s.school.school_id for s in found] == sorted({c.school_id for c in example.contracts})
    with pytest.raises(ValueError, match="unknown school_id"):
        statements(example, [], *AUTUMN, ["S9999"])
    with pytest.raises(ValueError, match="after end"):
        statements(example, [], AUTUMN[1], AUTUMN[0])


def test_emergency_under_on_demand_is_not_a_bought_visit(example: Scenario) -> None:
    callout = HistoryVisit("E1", "C0029", date(2026, 10, 5), "AM", "T001", VisitStatus.EMERGENCY)
    scenario = replace(example, history=[*example.history, callout])
    (statement,) = statements(scenario, [], *AUTUMN, ["S0029"])
    assert [e.detail for e in statement.emergencies] == [
        "an on-demand visit, not taken from bought visits"
    ]
    assert (statement.balances[0].bought, statement.balances[0].owed) == (0, 0)


def test_statement_csv(example: Scenario) -> None:
    text = statements_csv(statements(example, _plan("2027-01-07"), *AUTUMN, ["S0001", "S0003"]))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == STATEMENT_COLUMNS
    sections = [(r["school_id"], r["section"]) for r in rows]
    assert sections[:3] == [("S0001", "contract"), ("S0001", "balance"), ("S0001", "visit")]
    assert ("S0001", "emergency") in sections and ("S0001", "planned") in sections
    assert ("S0003", "visit") in sections
    balance = next(r for r in rows if r["section"] == "balance" and r["school_id"] == "S0001")
    assert balance["detail"].startswith("bought 46, used 5, planned 1, owed 40")


def test_html_prints_one_school_per_page_and_escapes_every_value(example: Scenario) -> None:
    hostile = "<script>alert('x')</script> & Sons"
    schools = [replace(s, name=hostile) if s.school_id == "S0001" else s for s in example.schools]
    scenario = replace(example, schools=schools, settings=Settings(provider_name="A&B <IT>"))
    page = statements_html(statements(scenario, [], *AUTUMN, ["S0001", "S0003"]))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Sons" in page
    assert page.count('<p class="provider">A&amp;B &lt;IT&gt;</p>') == 2
    assert page.count('<section class="statement">') == 2
    assert "page-break-after: always" in page


def test_standing_tells_at_risk_from_behind_the_pace(example: Scenario) -> None:
    """At risk is balances.csv's `at_risk` (owed visits that no longer fit the days left);
    trailing the even pace while they still fit is an early warning, not "at risk"."""
    (autumn,) = statements(example, _plan("2027-01-07"), *AUTUMN, ["S0001"])
    behind = autumn.balances[0]
    assert (behind.owed, behind.at_risk, behind.behind_pace) == (40, False, True)
    assert behind.standing == f"early warning: {behind.reason}"
    assert behind.reason.startswith("40 visits behind the even pace")
    (june,) = statements(example, [], date(2027, 6, 1), date(2027, 7, 1), ["S0001"])
    late = june.balances[0]
    assert (late.owed, late.at_risk, late.behind_pace) == (41, True, True)
    assert late.standing == f"at risk: {late.reason}" and late.reason.startswith("41 owed, ")
    rows = list(csv.DictReader(io.StringIO(statements_csv([autumn, june]))))
    details = [r["detail"] for r in rows if r["section"] == "balance"]
    assert details[0].endswith(f"; early warning: {behind.reason}")
    assert details[1].endswith(f"; at risk: {late.reason}")
    page = statements_html([autumn, june])
    assert "early warning: 40 visits behind" in page and "at risk: 41 owed, " in page
