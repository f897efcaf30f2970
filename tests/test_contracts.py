"""Entitlement rules, one small table each; history rows copied from /work/shared/spec/example."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.contracts import (
    bought,
    consumed,
    consumed_by_contract,
    needs_catch_up,
    owed_before_plan,
    period_end,
    regular_capacity,
    status_counts,
)
from scheduler.domain import Cadence, Contract, HistoryVisit, Package, VisitStatus

C0001 = Contract(
    "C0001", "S0001", Package.SCHEDULED, date(2026, 8, 25), 46, 46, Cadence.WEEKLY, "3h"
)

EXAMPLE_HISTORY = [
    HistoryVisit(visit_id, contract_id, date.fromisoformat(day), window, tech, VisitStatus(status))
    for visit_id, contract_id, day, window, tech, status in (
        ("H0001", "C0001", "2026-09-03", "AM", "T001", "delivered"),
        ("H0002", "C0001", "2026-09-10", "AM", "T001", "delivered"),
        ("H0003", "C0001", "2026-09-17", "AM", "T001", "emergency"),
        ("H0004", "C0001", "2026-09-24", "AM", "T002", "remote_in_lieu"),
        ("H0005", "C0001", "2026-10-01", "AM", "T001", "cancelled_by_school"),
        ("H0006", "C0001", "2026-10-08", "AM", "T001", "cancelled_by_provider"),
        ("H0007", "C0003", "2026-09-07", "PM", "T001", "delivered"),
    )
]


def contract(package: Package, visits: int = 0, cadence: Cadence = Cadence.NONE) -> Contract:
    return Contract("C", "S", package, date(2026, 9, 1), 46, visits, cadence)


@pytest.mark.parametrize(
    ("package", "visits", "expected"),
    [
        (Package.SCHEDULED, 46, 46),
        (Package.SCHEDULED_ON_DEMAND, 19, 19),
        (Package.ON_DEMAND, 5, 0),
        (Package.FULL_MANAGED, 0, 0),
        (Package.CLOUD, 0, 0),
    ],
)
def test_only_scheduled_packages_buy_visits(package: Package, visits: int, expected: int) -> None:
    assert bought(contract(package, visits)) == expected


def test_every_status_of_the_example_history() -> None:
    counts = status_counts(C0001, EXAMPLE_HISTORY)
    assert counts == {
        VisitStatus.DELIVERED: 2,
        VisitStatus.EMERGENCY: 1,
        VisitStatus.REMOTE_IN_LIEU: 1,
        VisitStatus.CANCELLED_BY_SCHOOL: 1,
        VisitStatus.CANCELLED_BY_PROVIDER: 1,
    }
    assert consumed(C0001, EXAMPLE_HISTORY) == 5
    assert owed_before_plan(C0001, EXAMPLE_HISTORY) == 46 - 5


def test_provider_cancellation_is_owed_again() -> None:
    only_cancelled = [v for v in EXAMPLE_HISTORY if v.status is VisitStatus.CANCELLED_BY_PROVIDER]
    assert consumed(C0001, only_cancelled) == 0
    assert owed_before_plan(C0001, only_cancelled) == 46


def test_as_of_counts_records_up_to_that_day() -> None:
    assert consumed(C0001, EXAMPLE_HISTORY, as_of=date(2026, 9, 17)) == 3
    assert consumed_by_contract(EXAMPLE_HISTORY, as_of=date(2026, 9, 17)) == {
        "C0001": 3,
        "C0003": 1,
    }


def test_consumed_by_contract_agrees_with_consumed() -> None:
    assert consumed_by_contract(EXAMPLE_HISTORY) == {"C0001": 5, "C0003": 1}


def test_owed_never_below_zero() -> None:
    small = Contract("C0001", "S0001", Package.SCHEDULED, date(2026, 8, 25), 46, 3)
    assert owed_before_plan(small, EXAMPLE_HISTORY) == 0


def test_period_end_is_inclusive() -> None:
    # The format's own example: 46 weeks from Tue 2026-09-01 ends Mon 2027-07-19.
    assert period_end(contract(Package.SCHEDULED, 46)) == date(2027, 7, 19)
    assert period_end(C0001) == date(2027, 7, 12)


@pytest.mark.parametrize(
    ("cadence", "weeks", "capacity"),
    [
        (Cadence.WEEKLY, 39, 39),
        (Cadence.FORTNIGHTLY, 39, 20),
        (Cadence.MONTHLY, 39, 10),
        (Cadence.NONE, 39, 0),
    ],
)
def test_regular_capacity(cadence: Cadence, weeks: int, capacity: int) -> None:
    assert regular_capacity(contract(Package.SCHEDULED, 46, cadence), weeks) == capacity


def test_weekly_46_in_a_39_week_year_needs_catch_up() -> None:
    weekly = contract(Package.SCHEDULED, 46, Cadence.WEEKLY)
    assert needs_catch_up(weekly, 39)
    assert not needs_catch_up(weekly, 46)
    assert not needs_catch_up(weekly, 39, owed=39)
    fortnightly = contract(Package.SCHEDULED, 23, Cadence.FORTNIGHTLY)
    assert needs_catch_up(fortnightly, 39)  # 20 fortnights in 39 weeks
    assert not needs_catch_up(fortnightly, 45)
    assert not needs_catch_up(contract(Package.SCHEDULED_ON_DEMAND, 19), 10)
