"""Entitlements: what a contract bought, what history used up, and what is still owed.

Balances, the planner and the validator all count visits; each count is one
named function here so that "owed" means the same number on every screen.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from math import ceil

from scheduler.domain import (
    CONSUMING_STATUSES,
    Contract,
    HistoryVisit,
    PlannedVisit,
    Scenario,
    VisitKind,
    VisitStatus,
)


def bought(contract: Contract) -> int:
    """Only scheduled packages buy a number of visits; the others have none to deliver or exceed."""
    return contract.visits if contract.is_scheduled else 0


def status_counts(
    contract: Contract, history: Iterable[HistoryVisit], *, as_of: date | None = None
) -> Counter[VisitStatus]:
    """History records of this contract per status (dated on or before `as_of`, when given)."""
    return Counter(
        visit.status
        for visit in history
        if visit.contract_id == contract.contract_id and (as_of is None or visit.date <= as_of)
    )


def consumed(
    contract: Contract, history: Iterable[HistoryVisit], *, as_of: date | None = None
) -> int:
    """Delivered, emergency, remote in lieu and cancelled by the school use a visit up.

    A provider cancellation does not: that visit is owed again.
    """
    counts = status_counts(contract, history, as_of=as_of)
    return sum(counts[status] for status in CONSUMING_STATUSES)


def consumed_by_contract(
    history: Iterable[HistoryVisit], *, as_of: date | None = None
) -> Counter[str]:
    """`consumed` of every contract in one pass, so a whole book reads its history once."""
    return Counter(
        visit.contract_id
        for visit in history
        if visit.status in CONSUMING_STATUSES and (as_of is None or visit.date <= as_of)
    )


def owed_before_plan(
    contract: Contract, history: Iterable[HistoryVisit], *, as_of: date | None = None
) -> int:
    """Bought minus consumed, never below 0: over-use is reported, not carried as a debt."""
    return max(0, bought(contract) - consumed(contract, history, as_of=as_of))


def period_end(contract: Contract) -> date:
    """Last day of the delivery period, inclusive: every bought visit must fall on or before it."""
    return contract.end_date


def has_cadence(contract: Contract) -> bool:
    """Only contracts with a cadence have a regular pattern to keep (and to measure)."""
    return contract.cadence.days > 0


def regular_capacity(contract: Contract, visitable_weeks: int) -> int:
    """Visits the regular cadence alone delivers in that many visitable weeks.

    One per week for weekly, one per two for fortnightly, one per four for
    monthly, the first visit falling in the first week; 0 without a cadence.
    """
    if not has_cadence(contract):
        return 0
    return ceil(visitable_weeks / (contract.cadence.days // 7))


def needs_catch_up(contract: Contract, visitable_weeks: int, owed: int | None = None) -> bool:
    """True when the regular pattern cannot deliver what is owed, so extra visits must be planned.

    A weekly 46-visit contract in an English school year of ~39 term weeks
    is the usual case; the planner must see this from the first week, not in
    July. `owed` defaults to everything bought. Contracts without a cadence
    have no pattern to catch up on.
    """
    if not has_cadence(contract):
        return False
    wanted = bought(contract) if owed is None else owed
    return wanted > regular_capacity(contract, visitable_weeks)


def without_mirrored_history(scenario: Scenario, roster: Sequence[PlannedVisit]) -> Scenario:
    """An emergency applied through the product is both a history record and a roster row of
    the same id; the validator and the planner count the row, so the record must not count
    twice."""
    on_roster = {v.visit_id for v in roster if v.kind is VisitKind.EMERGENCY}
    if not any(h.visit_id in on_roster for h in scenario.history):
        return scenario
    return dataclasses.replace(
        scenario, history=[h for h in scenario.history if h.visit_id not in on_roster]
    )
