"""Balances, at-risk warnings and burn-down on small hand-built books, the example, and at scale.

The small book: one English school in term from 2026-09-01 to 2026-12-18 and from
2027-01-04 to 2027-07-20 (no half-terms), history and plan written out per test.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest

from scheduler.calendar import Calendar
from scheduler.cli import main
from scheduler.contracts import bought
from scheduler.domain import (
    CONSUMING_STATUSES,
    Cadence,
    Closure,
    Contract,
    HistoryVisit,
    Nation,
    Package,
    PlannedVisit,
    Scenario,
    School,
    Settings,
    TermBlock,
    VisitKind,
    VisitStatus,
)
from scheduler.scenario import read_scenario
from scheduler.services.balances import (
    BALANCE_COLUMNS,
    BURNDOWN_COLUMNS,
    SPEC_BALANCE_COLUMNS,
    balances,
    burndown,
    write_balances_csv,
)
from scheduler.services.dataset import open_database
from scheduler.store.db import session_scope
from scheduler.store.repository import PlanRunInfo, save_plan
from tests.support import EXAMPLE

TERM = [
    TermBlock("T", date(2026, 9, 1), date(2026, 12, 18)),
    TermBlock("T", date(2027, 1, 4), date(2027, 7, 20)),
]
SHUTDOWN = ((date(2026, 12, 21), date(2027, 1, 1)),)
D = date.fromisoformat


def contract(
    package: Package = Package.SCHEDULED,
    visits: int = 10,
    cadence: Cadence = Cadence.WEEKLY,
    start: str = "2026-09-07",
    weeks: int = 10,
    contract_id: str = "C",
) -> Contract:
    if package not in (Package.SCHEDULED, Package.SCHEDULED_ON_DEMAND):
        visits, cadence = 0, Cadence.NONE
    return Contract(contract_id, "S", package, D(start), weeks, visits, cadence, "3h")


def book(
    *contracts: Contract, history: tuple[HistoryVisit, ...] = (), closures: tuple[str, ...] = ()
) -> Scenario:
    return Scenario(
        schools=[School("S", "School", 51.0, 0.1, Nation.ENG, "T")],
        contracts=list(contracts) or [contract()],
        term_dates=TERM,
        closures=[Closure("S", D(day), D(day)) for day in closures],
        history=list(history),
        settings=Settings(shutdown=SHUTDOWN),
    )


def record(day: str, status: VisitStatus, visit_id: str = "", contract_id: str = "C",
           window: str = "AM") -> HistoryVisit:  # fmt: skip
    return HistoryVisit(visit_id or f"H-{day}", contract_id, D(day), window, "T1", status)


def planned(day: str, kind: VisitKind = VisitKind.SCHEDULED, visit_id: str = "",
            contract_id: str = "C", window: str = "AM") -> PlannedVisit:  # fmt: skip
    return PlannedVisit(visit_id or f"P-{day}", D(day), window, clock(8, 30), clock(11, 30), "S",
                        contract_id, "T1", kind)  # fmt: skip


def row(scenario: Scenario, plan: list[PlannedVisit], as_of: str, **options: int) -> dict[str, Any]:
    (found,) = balances(scenario, plan, D(as_of), **options).to_dict("records")
    return found


# --------------------------------------------------------------------------- consumption rules


@pytest.mark.parametrize(
    ("package", "status", "bought_visits", "owed"),
    [
        (Package.SCHEDULED, VisitStatus.DELIVERED, 10, 9),
        (Package.SCHEDULED, VisitStatus.EMERGENCY, 10, 9),
        (Package.SCHEDULED, VisitStatus.REMOTE_IN_LIEU, 10, 9),
        (Package.SCHEDULED, VisitStatus.CANCELLED_BY_SCHOOL, 10, 9),
        (Package.SCHEDULED, VisitStatus.CANCELLED_BY_PROVIDER, 10, 10),
        (Package.SCHEDULED_ON_DEMAND, VisitStatus.EMERGENCY, 10, 9),
        (Package.SCHEDULED_ON_DEMAND, VisitStatus.CANCELLED_BY_PROVIDER, 10, 10),
        (Package.ON_DEMAND, VisitStatus.EMERGENCY, 0, 0),
        (Package.ON_DEMAND, VisitStatus.DELIVERED, 0, 0),
        (Package.FULL_MANAGED, VisitStatus.EMERGENCY, 0, 0),
        (Package.CLOUD, VisitStatus.EMERGENCY, 0, 0),
    ],
)
def test_consumption_rule_per_package(
    package: Package, status: VisitStatus, bought_visits: int, owed: int
) -> None:
    scenario = book(contract(package), history=(record("2026-09-08", status),))
    found = row(scenario, [], "2026-10-01")
    assert (found["bought"], found[status.value], found["owed"]) == (bought_visits, 1, owed)


def test_counts_only_history_dated_on_or_before_as_of() -> None:
    history = (
        record("2026-09-08", VisitStatus.DELIVERED),
        record("2026-09-15", VisitStatus.DELIVERED),
    )
    assert row(book(history=history), [], "2026-09-14")["delivered"] == 1
    assert row(book(history=history), [], "2026-09-15")["delivered"] == 2


@pytest.mark.parametrize(
    ("history", "plan", "expected_planned"),
    [
        ((), [planned("2026-10-06")], 1),
        ((), [planned("2026-09-08")], 1),  # in the past, not recorded yet: still planned
        ((record("2026-09-08", VisitStatus.DELIVERED, "P-2026-09-08"),),
         [planned("2026-09-08")], 0),
        ((record("2026-09-08", VisitStatus.DELIVERED, "H9"),), [planned("2026-09-08")], 0),
        ((record("2026-09-08", VisitStatus.DELIVERED, "H9", window="PM"),),
         [planned("2026-09-08")], 1),  # another visit that day, not this one
        ((record("2026-10-06", VisitStatus.DELIVERED, "P-2026-10-06"),),
         [planned("2026-10-06")], 1),  # recorded after as-of: not known yet
        ((record("2026-09-08", VisitStatus.CANCELLED_BY_PROVIDER, "P-2026-09-08"),),
         [planned("2026-09-08")], 0),  # this visit, cancelled
        ((record("2026-09-08", VisitStatus.CANCELLED_BY_PROVIDER, "V-old"),),
         [planned("2026-09-08", VisitKind.MAKE_UP, "V-new")], 1),  # owed visit re-booked there
        ((), [planned("2026-10-06", VisitKind.DEDICATED)], 0),
        ((), [planned("2026-10-06", VisitKind.MAKE_UP)], 1),
    ],
)  # fmt: skip
def test_planned_is_the_plan_without_a_history_record(
    history: tuple[HistoryVisit, ...], plan: list[PlannedVisit], expected_planned: int
) -> None:
    assert row(book(history=history), plan, "2026-10-01")["planned"] == expected_planned


def test_owed_is_bought_minus_consumed_minus_planned_never_below_zero() -> None:
    history = (record("2026-09-08", VisitStatus.DELIVERED),)
    plan = [planned(f"2026-10-{day:02d}") for day in (6, 13, 20)]
    assert row(book(contract(visits=10), history=history), plan, "2026-10-01")["owed"] == 6
    assert row(book(contract(visits=3), history=history), plan, "2026-10-01")["owed"] == 0


def test_an_applied_emergency_moves_from_planned_to_emergency_and_owed_stays() -> None:
    """`scheduler emergency`: the callout is history from its day, the next visit is dropped."""
    plan = [planned(f"2026-{month}-{day:02d}") for month, day in
            (("09", 15), ("09", 22), ("09", 29), ("10", 6))]  # fmt: skip
    before = row(book(contract(visits=5)), plan, "2026-09-10")
    callout = record("2026-09-10", VisitStatus.EMERGENCY, "E1")
    after_plan = [planned("2026-09-10", VisitKind.EMERGENCY, "E1"), *plan[1:]]
    after = row(book(contract(visits=5), history=(callout,)), after_plan, "2026-09-10")
    assert (before["emergency"], before["planned"], before["owed"]) == (0, 4, 1)
    assert (after["emergency"], after["planned"], after["owed"]) == (1, 3, 1)


# --------------------------------------------------------------------------- at risk

JUNE = contract(visits=5, start="2027-06-01", weeks=4)
"""Tue 1 to Mon 28 June 2027: five visitable weeks (the last one only its Monday), 20 days."""
JUNE_PLAN = [planned(day) for day in ("2027-06-01", "2027-06-08", "2027-06-15", "2027-06-22",
                                      "2027-06-28")]  # fmt: skip


NO_PACE = 100
"""A pace tolerance no small contract reaches, to look at the fit rule alone."""
DELIVERED_1_JUNE = (record("2027-06-01", VisitStatus.DELIVERED),)


OTHER_AT_S = contract(visits=5, start="2027-06-01", weeks=4, contract_id="D")
"""A second contract of the same school: its planned days are taken for C too."""


@pytest.mark.parametrize(
    ("scenario", "plan", "as_of", "reason"),
    [
        (book(JUNE), JUNE_PLAN, "2027-05-31", ""),
        # 4 owed, 10 days left in 3 weeks: two a week fits (catch-ups), so not at risk
        (book(JUNE, history=DELIVERED_1_JUNE), [], "2027-06-14", ""),
        # 5 fortnightly visits in 20 days: the rhythm is no limit on what fits
        (book(contract(visits=5, cadence=Cadence.FORTNIGHTLY, start="2027-06-01", weeks=4)),
         [], "2027-05-31", ""),
        # Wed 23 to Mon 28 June: 24, 25, 28 left after the as-of day
        (book(JUNE, history=DELIVERED_1_JUNE), [], "2027-06-22", ""),
        (book(JUNE, history=DELIVERED_1_JUNE), [], "2027-06-23", "4 owed, 3 visitable days left"),
        (book(JUNE, history=DELIVERED_1_JUNE,
              closures=("2027-06-14", "2027-06-15", "2027-06-16", "2027-06-17", "2027-06-18",
                        "2027-06-21", "2027-06-22", "2027-06-23", "2027-06-24", "2027-06-25")),
         JUNE_PLAN[1:2], "2027-06-13", "3 owed, 1 visitable day left"),
        # the school's planned days are taken, its own contract's or another's
        (book(contract(visits=6, start="2027-06-01", weeks=4), history=DELIVERED_1_JUNE),
         [planned("2027-06-24")], "2027-06-22", "4 owed, 3 visitable days left"),
        (book(JUNE, OTHER_AT_S, history=DELIVERED_1_JUNE),
         [planned("2027-06-23", contract_id="D"), planned("2027-06-24", contract_id="D")],
         "2027-06-22", "4 owed, 2 visitable days left"),
        (book(JUNE), JUNE_PLAN[:3], "2027-06-30", "2 owed, period ended 2027-06-28"),
        (book(JUNE), JUNE_PLAN, "2027-06-30", ""),  # owes nothing: never at risk
    ],
    ids=["fits", "weeks-are-no-limit", "fortnightly-rhythm-is-no-limit", "exactly-fits",
         "one-day-short", "too-few-days", "own-planned-days-taken", "school-planned-days-taken",
         "period-ended", "period-ended-owing-nothing"],
)  # fmt: skip
def test_owed_visits_must_fit_what_is_left(
    scenario: Scenario, plan: list[PlannedVisit], as_of: str, reason: str
) -> None:
    """The format's `at_risk`: owed visits that no longer fit the visitable days left."""
    (found,) = [
        r
        for r in balances(scenario, plan, D(as_of), pace_tolerance=NO_PACE).to_dict("records")
        if r["contract_id"] == "C"
    ]
    assert (found["at_risk"], found["reason"], found["behind_pace"]) == (
        bool(reason), reason, False
    )  # fmt: skip


def test_both_reasons_are_given() -> None:
    found = row(book(JUNE, history=DELIVERED_1_JUNE), [], "2027-06-23")
    assert (found["at_risk"], found["behind_pace"]) == (True, True)
    assert found["reason"] == (
        "4 owed, 3 visitable days left; 4 visits behind the even pace by the week of 2027-06-28"
    )


def test_behind_pace_alone_is_an_early_warning_not_at_risk() -> None:
    """4 owed with 10 days left fits: `at_risk` false, yet nothing is planned, so the account
    manager still sees the contract behind the even pace, and why."""
    found = row(book(JUNE, history=DELIVERED_1_JUNE), [], "2027-06-14")
    assert (found["owed"], found["at_risk"], found["behind_pace"]) == (4, False, True)
    assert found["reason"] == "4 visits behind the even pace by the week of 2027-06-28"


AUTUMN = contract(visits=10, start="2026-09-07", weeks=10)
"""Mon 7 September to Sun 15 November 2026: ten visitable weeks, one visit a week bought."""


def _weekly(first_week: int, extra_weeks: tuple[int, ...] = ()) -> list[PlannedVisit]:
    """One visit on the Tuesday of each week from `first_week` (0-based), plus a Thursday
    catch-up in each of `extra_weeks`."""
    monday = D("2026-09-07")
    days = [monday + timedelta(days=7 * week + 1) for week in range(first_week, 10)]
    days += [monday + timedelta(days=7 * week + 3) for week in extra_weeks]
    return [planned(day.isoformat()) for day in days]


@pytest.mark.parametrize(
    ("plan", "tolerance", "behind", "reason"),
    [
        (_weekly(0), 2, False, ""),
        (_weekly(2, (8, 9)), 2, False, ""),
        (_weekly(2, (8, 9)), 1, True, "2 visits behind the even pace by the week of 2026-09-14"),
        (_weekly(3, (7, 8, 9)), 2, True, "3 visits behind the even pace by the week of 2026-09-21"),
    ],
    ids=["even", "two-behind-within-tolerance", "two-behind-tolerance-1", "three-behind"],
)
def test_plan_trailing_the_pace_line(
    plan: list[PlannedVisit], tolerance: int, behind: bool, reason: str
) -> None:
    """Every bought visit is planned (owed 0): never `at_risk`, however far behind the pace;
    trailing it is the `behind_pace` warning, with its reason."""
    found = row(book(AUTUMN), plan, "2026-09-06", pace_tolerance=tolerance)
    assert (found["owed"], found["at_risk"], found["behind_pace"], found["reason"]) == (
        0, False, behind, reason
    )  # fmt: skip


def test_a_shortfall_made_good_before_as_of_is_history() -> None:
    """Two behind in week 1, caught up by catch-ups in weeks 2 and 3: on pace from then on."""
    history = tuple(record(day, VisitStatus.DELIVERED) for day in
                    ("2026-09-22", "2026-09-24", "2026-09-29", "2026-10-01"))  # fmt: skip
    found = row(book(AUTUMN, history=history), _weekly(4), "2026-10-04", pace_tolerance=1)
    assert (found["owed"], found["at_risk"], found["behind_pace"]) == (0, False, False)


def test_behind_now_is_behind_pace_even_when_the_plan_catches_up() -> None:
    history = (record("2026-09-08", VisitStatus.DELIVERED),)
    found = row(book(AUTUMN, history=history), _weekly(4, (4, 5, 6)), "2026-10-04")
    assert (found["owed"], found["at_risk"], found["behind_pace"]) == (0, False, True)
    assert found["reason"] == "3 visits behind the even pace by the week of 2026-09-28"


def test_unbought_packages_are_never_at_risk() -> None:
    found = row(book(contract(Package.ON_DEMAND)), [], "2027-08-01")
    assert (found["at_risk"], found["behind_pace"], found["reason"]) == (False, False, "")


# --------------------------------------------------------------------------- reconciliation


def _simple_plan(scenario: Scenario, as_of: date) -> list[PlannedVisit]:
    """A naive dispatcher: each owed visit on the first free visitable Tuesday-or-later of a
    new week after as-of, until the period runs out."""
    calendar = Calendar(scenario)
    frame = balances(scenario, [], as_of).set_index("contract_id")
    plan = []
    for c in scenario.contracts:
        owed, weeks = int(frame.loc[c.contract_id, "owed"]), set()
        for day in calendar.visitable_days(c.contract_id, as_of + timedelta(days=1)):
            week = day.isocalendar()[:2]
            if owed and week not in weeks:
                weeks.add(week)
                owed -= 1
                plan.append(PlannedVisit(f"P-{c.contract_id}-{day}", day, "AM", clock(8, 30),
                                         clock(11, 30), c.school_id, c.contract_id, "T1",
                                         VisitKind.SCHEDULED))  # fmt: skip
    return plan


def _reconciles(frame_rows: list[dict[str, Any]]) -> None:
    for found in frame_rows:
        consumed = sum(found[status.value] for status in CONSUMING_STATUSES)
        assert found["bought"] == consumed + found["planned"] + found["owed"], found


def test_every_example_contract_reconciles() -> None:
    scenario, _ = read_scenario(EXAMPLE)
    as_of = date(2026, 12, 1)
    plan = _simple_plan(scenario, as_of)
    frame = balances(scenario, plan, as_of)
    _reconciles(frame.to_dict("records"))
    assert frame.planned.sum() > 0 and frame.owed.sum() > 0
    assert not (frame.at_risk & (frame.owed == 0)).any()  # owing nothing is never at risk


EXAMPLE_PLAN = [
    PlannedVisit("R1", D("2026-12-03"), "AM", clock(8, 30), clock(11, 30), "S0001", "C0001",
                 "T001", VisitKind.SCHEDULED),
    PlannedVisit("R2", D("2026-12-10"), "AM", clock(8, 30), clock(11, 30), "S0001", "C0001",
                 "T001", VisitKind.SCHEDULED),
    PlannedVisit("R3", D("2026-12-03"), "DAY", clock(8, 0), clock(18, 0), "S0011", "C0011",
                 "T009", VisitKind.DEDICATED),
]  # fmt: skip


def test_example_balances_csv(db_url: str, tmp_path: Path) -> None:
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    engine = open_database(db_url)
    with session_scope(engine) as session:
        save_plan(session, visits=EXAMPLE_PLAN, run=PlanRunInfo(status="test"),
                  date_from=D("2026-12-01"), date_to=D("2026-12-31"))  # fmt: skip
    out = tmp_path / "balances.csv"
    write_balances_csv(engine, D("2026-12-01"), out)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert tuple(rows[0]) == BALANCE_COLUMNS
    assert tuple(rows[0])[:13] == SPEC_BALANCE_COLUMNS == (
        "contract_id", "school_id", "bought", "delivered", "emergency", "remote_in_lieu",
        "cancelled_by_school", "cancelled_by_provider", "planned", "owed", "period_end",
        "at_risk", "reason",
    )  # fmt: skip
    by_id = {r["contract_id"]: r for r in rows}
    assert len(rows) == 30
    c1 = by_id["C0001"]
    assert {k: c1[k] for k in BALANCE_COLUMNS[:12]} == {
        "contract_id": "C0001", "school_id": "S0001", "bought": "46", "delivered": "2",
        "emergency": "1", "remote_in_lieu": "1", "cancelled_by_school": "1",
        "cancelled_by_provider": "1", "planned": "2", "owed": "39", "period_end": "2027-07-12",
        "at_risk": "false",  # 39 owed fit the ~140 visitable days to 12 July
    }  # fmt: skip
    assert c1["behind_pace"] == "true" and "behind the even pace" in c1["reason"]
    assert (by_id["C0011"]["planned"], by_id["C0011"]["owed"], by_id["C0011"]["at_risk"]) == (
        "0", "0", "false"
    )  # fmt: skip
    assert all(r["at_risk"] == "false" or int(r["owed"]) > 0 for r in rows)
    _reconciles([{k: int(v) if v.isdigit() else v for k, v in r.items()} for r in rows])


# --------------------------------------------------------------------------- burn-down


def test_burndown_of_one_contract() -> None:
    history = (record("2026-09-08", VisitStatus.DELIVERED),
               record("2026-09-15", VisitStatus.CANCELLED_BY_PROVIDER))  # fmt: skip
    frame = burndown(book(AUTUMN, history=history), _weekly(2), "C")
    assert tuple(frame.columns) == BURNDOWN_COLUMNS
    assert list(frame.week) == [D("2026-09-07") + timedelta(days=7 * k) for k in range(10)]
    assert list(frame.delivered[:2]) == [1, 0]
    assert list(frame.cancelled_by_provider[:2]) == [0, 1]
    assert list(frame.consumed_to_date[:3]) == [1, 1, 1]
    assert list(frame.planned_to_date) == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert list(frame.remaining[:2]) == [9, 9]
    assert list(frame.pace) == pytest.approx([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])


def test_burndown_of_the_whole_book_sums_its_contracts() -> None:
    scenario = book(
        AUTUMN,
        contract(visits=4, start="2026-11-02", weeks=4, contract_id="D"),
        contract(Package.ON_DEMAND, start="2026-09-01", weeks=52, contract_id="E"),
    )
    frame = burndown(scenario, _weekly(0))
    assert set(frame.bought) == {14}
    assert frame.pace.iloc[-1] == pytest.approx(14)
    assert frame.planned.sum() == 10
    with pytest.raises(KeyError):
        burndown(scenario, [], "nope")


# --------------------------------------------------------------------------- speed


def test_5000_contracts_with_200000_history_visits_in_under_2_cpu_seconds() -> None:
    """The issue's national book; CPU time, so a busy shared machine does not fail it."""
    schools = [School(f"S{i}", "x", 51.0, 0.1, list(Nation)[i % 4], "T") for i in range(5000)]
    contracts = [
        Contract(f"C{i}", f"S{i}", Package.SCHEDULED, D("2026-09-01"), 46, 46, Cadence.WEEKLY)
        for i in range(5000)
    ]
    statuses = list(VisitStatus)
    first = D("2026-09-02")
    history = [
        HistoryVisit(f"H{i}-{k}", f"C{i}", first + timedelta(days=7 * k), "AM", "T1",
                     statuses[(i + k) % 5])
        for i in range(5000) for k in range(40)
    ]  # fmt: skip
    plan = [
        PlannedVisit(f"P{i}-{k}", first + timedelta(days=7 * (40 + k)), "AM", clock(8, 30),
                     clock(11, 30), f"S{i}", f"C{i}", "T1", VisitKind.SCHEDULED)
        for i in range(5000) for k in range(6)
    ]  # fmt: skip
    scenario = Scenario(schools=schools, contracts=contracts, term_dates=TERM, history=history,
                        settings=Settings(shutdown=SHUTDOWN))  # fmt: skip
    frame = balances(scenario, plan, D("2027-06-01"))
    assert len(frame) == 5000 and (frame.bought == [bought(c) for c in contracts]).all()
