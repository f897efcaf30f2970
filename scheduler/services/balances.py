"""Entitlement balances, burn-down and at-risk warnings: "will this school get every visit it
paid for, and how far through are we?", answered the same on every screen and file.

Counting follows `scheduler.contracts` (what is bought, what history consumes); the rules
added here are the ones that also need the plan and the calendar: what counts as
planned, what is owed, and when the owed visits are at risk. History and plan are read
once for the whole book: 5,000 contracts with 200,000 history visits take about 1.2 s.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from scheduler.calendar import Calendar
from scheduler.contracts import bought, period_end
from scheduler.domain import (
    CONSUMING_STATUSES,
    Contract,
    HistoryVisit,
    Package,
    PlannedVisit,
    Scenario,
    VisitKind,
    VisitStatus,
)
from scheduler.store.db import session_scope
from scheduler.store.repository import load_plan, load_scenario

STATUSES: tuple[VisitStatus, ...] = tuple(VisitStatus)
SPEC_BALANCE_COLUMNS: tuple[str, ...] = (
    "contract_id",
    "school_id",
    "bought",
    *(status.value for status in STATUSES),
    "planned",
    "owed",
    "period_end",
    "at_risk",
    "reason",
)
"""balances.csv of the scenario format, in its order."""

BALANCE_COLUMNS: tuple[str, ...] = (*SPEC_BALANCE_COLUMNS, "behind_pace")
"""What balances.csv holds: the format's columns, then the product's own (readers ignore
unknown columns): `behind_pace`, the account managers' early warning that delivered plus
planned trails the even pace, which is not the format's `at_risk`."""

BURNDOWN_COLUMNS: tuple[str, ...] = (
    "week",
    "bought",
    *(status.value for status in STATUSES),
    "planned",
    "consumed_to_date",
    "planned_to_date",
    "remaining",
    "pace",
)
"""Per week (Monday): records and plan visits that week, then the running lines a chart draws."""

DEFAULT_PACE_TOLERANCE = 2
"""Visits the plan may trail the even pace before a contract is flagged `behind_pace`: a
weekly contract may lose two weeks (a sick technician, a snow day) and catch up without
alarming anyone."""


# --------------------------------------------------------------------------- the rules


def counts_as_planned(visit: PlannedVisit, recorded: RecordIndex) -> bool:
    """A plan visit is planned until history records it, even when its day has passed; a
    dedicated day is time on site, never a bought visit.

    A record is the plan visit with its `visit_id` (the product records a cancellation or an
    emergency under the visit's own id). A record under another id (history imported with
    its own ids) stands for the plan visit in its contract, day and window, unless it is
    `cancelled_by_provider`: that appointment left the plan when it was cancelled, so a
    plan visit in its slot is the owed visit booked again, which is still to come. (The
    planner no longer offers a contract its own recorded days, so only a roster imported or
    edited by hand holds one.)
    """
    if visit.kind is VisitKind.DEDICATED:
        return False
    return visit.visit_id not in recorded.ids and (
        (visit.contract_id, visit.date, visit.window) not in recorded.slots
    )


def owed(bought_visits: int, consumed_visits: int, planned_visits: int) -> int:
    """What is bought and neither used nor planned; never below 0, as over-planning is the
    planner's error to report, not a debt of the school."""
    return max(0, bought_visits - consumed_visits - planned_visits)


def emergency_effect(contract: Contract) -> str:
    """DOMAIN.md's consumption rule per package, in the words a customer statement uses."""
    if contract.is_scheduled:
        return "used 1 bought visit"
    if contract.package is Package.ON_DEMAND:
        return "an on-demand visit, not taken from bought visits"
    if contract.package is Package.FULL_MANAGED:
        return "handled by the on-site technician"
    return "chargeable: not covered by the contract"


@dataclass(frozen=True, slots=True)
class Room:
    """What is left of a contract's period after the as-of date for visits not yet planned."""

    days: int
    """Visitable days after the as-of date on which the school has nothing planned yet."""
    ended: bool


def fit_reason(contract: Contract, owed_visits: int, room: Room) -> str | None:
    """`at_risk` of the format: "the owed visits no longer fit the visitable days left in the
    period", read as owed > 0 and owed > the free days left.

    A school gets at most one visit a day, so each owed visit needs a day of its own: a
    visitable day of the contract (its calendar: weekdays, term or holiday access, no public
    holiday, shutdown or closure, inside the period) after the as-of date on which the
    school has no visit planned yet (those days are taken; the planned visits are not owed).
    The cadence's rhythm is not a limit here: catch-ups (two in a week) are how a weekly
    contract delivers, and a plan trailing the even pace is `behind_pace`, not at risk.
    """
    if owed_visits == 0:
        return None
    if room.ended:
        return f"{owed_visits} owed, period ended {period_end(contract).isoformat()}"
    if owed_visits <= room.days:
        return None
    return f"{owed_visits} owed, {_count(room.days, 'visitable day')} left"


def pace_line(bought_visits: int, visitable_weeks: int) -> list[float]:
    """Bought visits spread evenly over the contract's visitable weeks: where delivery should
    stand at the end of each of them."""
    return [bought_visits * k / visitable_weeks for k in range(1, visitable_weeks + 1)]


def pace_reason(behind: float, week: date, tolerance: int) -> str | None:
    """`behind_pace` (an early warning, not `at_risk`): delivered plus planned trails the
    pace line by more than `tolerance`."""
    if behind <= tolerance:
        return None
    return f"{_number(behind)} visits behind the even pace by the week of {week.isoformat()}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


# --------------------------------------------------------------------------- the book, indexed


def _week(day: date) -> int:
    """Monday-based week number: date(1, 1, 1) was a Monday."""
    return (day.toordinal() - 1) // 7


def _weeks(days: Iterable[date]) -> set[int]:
    """`_week` of many days in one comprehension: a book asks this of a million days."""
    return {(day.toordinal() - 1) // 7 for day in days}


def _monday(week: int) -> date:
    return date.fromordinal(week * 7 + 1)


@dataclass(frozen=True, slots=True)
class RecordIndex:
    """History records known on the as-of date, as plan visits are matched against them
    (`counts_as_planned`)."""

    ids: frozenset[str]
    slots: frozenset[tuple[str, date, str]]
    """(contract, day, window) of the records that may stand for a plan visit of another id:
    not `cancelled_by_provider`, whose slot a re-booked visit may take."""

    @classmethod
    def of(cls, records: Iterable[HistoryVisit]) -> RecordIndex:
        records = list(records)
        return cls(
            frozenset(v.visit_id for v in records),
            frozenset(
                (v.contract_id, v.date, v.window)
                for v in records
                if v.status is not VisitStatus.CANCELLED_BY_PROVIDER
            ),
        )


@dataclass(slots=True)
class _Ledger:
    """History and plan per contract as known on the as-of date, read once for the book.

    Days are kept as sorted ordinals, so the pace line is bisections on integers.
    """

    counts: Counter[tuple[str, VisitStatus]] = field(default_factory=Counter)
    consumed: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    planned: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    busy: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))
    """Days each school already has a visit planned: a school gets one visit a day."""

    @classmethod
    def of(cls, scenario: Scenario, plan: Sequence[PlannedVisit], as_of: date) -> _Ledger:
        ledger = cls()
        records = [visit for visit in scenario.history if visit.date <= as_of]
        ledger.counts.update((visit.contract_id, visit.status) for visit in records)
        for visit in records:
            if visit.status in CONSUMING_STATUSES:
                ledger.consumed[visit.contract_id].append(visit.date.toordinal())
        recorded = RecordIndex.of(records)
        for visit in plan:
            ledger.busy[visit.school_id].add(visit.date)
            if counts_as_planned(visit, recorded):
                ledger.planned[visit.contract_id].append(visit.date.toordinal())
        for days in (*ledger.consumed.values(), *ledger.planned.values()):
            days.sort()
        return ledger


def _room(contract: Contract, visitable: list[date], as_of: date, ledger: _Ledger) -> Room:
    busy = ledger.busy.get(contract.school_id, set())
    free = [day for day in visitable[bisect_right(visitable, as_of) :] if day not in busy]
    return Room(len(free), as_of >= period_end(contract))


def _behind_pace(
    contract: Contract, visitable: list[date], as_of: date, ledger: _Ledger
) -> tuple[float, date]:
    """The widest gap, from the as-of week on, between the pace line and delivered plus planned;
    the past is history either way, what matters is whether the plan catches up."""
    weeks = sorted(_weeks(visitable))
    consumed = ledger.consumed.get(contract.contract_id, [])
    planned = ledger.planned.get(contract.contract_id, [])
    today = as_of.toordinal()
    worst, worst_week = 0.0, None
    for week, pace in zip(weeks, pace_line(bought(contract), len(weeks)), strict=True):
        sunday = week * 7 + 7
        if sunday < today:
            continue
        line = bisect_right(consumed, min(sunday, today)) + bisect_right(planned, sunday)
        if pace - line > worst:
            worst, worst_week = pace - line, week
    return worst, as_of if worst_week is None else _monday(worst_week)


# --------------------------------------------------------------------------- balances


def balances(
    scenario: Scenario,
    plan: Sequence[PlannedVisit],
    as_of: date,
    *,
    pace_tolerance: int = DEFAULT_PACE_TOLERANCE,
) -> pd.DataFrame:
    """balances.csv as of a day: one row per contract, by contract_id.

    Counts are history records dated on or before `as_of`; `planned` is the plan's
    unrecorded visits; bought = consumed + planned + owed unless the plan over-books.
    `at_risk` is the format's (owed visits that no longer fit, `fit_reason`), `behind_pace`
    the early warning (`pace_reason`); `reason` gives whichever apply, in that order.
    """
    calendar = Calendar(scenario)
    ledger = _Ledger.of(scenario, plan, as_of)
    records = []
    for contract in sorted(scenario.contracts, key=lambda c: c.contract_id):
        counts = {status: ledger.counts[(contract.contract_id, status)] for status in STATUSES}
        consumed = sum(counts[status] for status in CONSUMING_STATUSES)
        planned = len(ledger.planned.get(contract.contract_id, ()))
        left = owed(bought(contract), consumed, planned)
        fit = pace = None
        if bought(contract):
            visitable = calendar.visitable_days(contract.contract_id)
            fit = fit_reason(contract, left, _room(contract, visitable, as_of, ledger))
            pace = pace_reason(*_behind_pace(contract, visitable, as_of, ledger), pace_tolerance)
        records.append(
            (
                contract.contract_id,
                contract.school_id,
                bought(contract),
                *(counts[status] for status in STATUSES),
                planned,
                left,
                period_end(contract),
                fit is not None,
                "; ".join(reason for reason in (fit, pace) if reason),
                pace is not None,
            )
        )
    return pd.DataFrame(records, columns=list(BALANCE_COLUMNS))


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def balances_csv_text(frame: pd.DataFrame) -> str:
    """The format's spelling: ISO dates, true/false."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BALANCE_COLUMNS)
    for record in frame.loc[:, list(BALANCE_COLUMNS)].astype(object).itertuples(index=False):
        writer.writerow([_cell(value) for value in record])
    return buffer.getvalue()


def write_balances_csv(
    engine: Engine,
    as_of: date,
    out: str | Path,
    *,
    pace_tolerance: int = DEFAULT_PACE_TOLERANCE,
) -> pd.DataFrame:
    """`scheduler balances --as-of DATE --out balances.csv`: the stored book and plan, read in
    one transaction so the plan and the history it is matched against agree."""
    with session_scope(engine) as session:
        scenario = load_scenario(session)
        plan = load_plan(session)
    frame = balances(scenario, plan, as_of, pace_tolerance=pace_tolerance)
    Path(out).write_text(balances_csv_text(frame), encoding="utf-8")
    return frame


# --------------------------------------------------------------------------- burn-down


def burndown(
    scenario: Scenario, plan: Sequence[PlannedVisit], contract_id: str | None = None
) -> pd.DataFrame:
    """Week by week for one contract, or summed over the whole book when `contract_id` is None.

    Uses all history and the plan's unrecorded visits; a contract adds to the pace only
    in its own visitable weeks, so the book's pace line bends with its contracts' terms.
    """
    contracts = [c for c in scenario.contracts if contract_id in (None, c.contract_id)]
    if contract_id is not None and not contracts:
        raise KeyError(f"no contract {contract_id}")
    if not contracts:
        return pd.DataFrame(columns=list(BURNDOWN_COLUMNS))
    chosen = {c.contract_id for c in contracts}
    calendar = Calendar(scenario)
    recorded = RecordIndex.of(scenario.history)
    status_at: dict[int, Counter[VisitStatus]] = defaultdict(Counter)
    planned_at: Counter[int] = Counter()
    pace_at: dict[int, float] = defaultdict(float)
    for visit in scenario.history:
        if visit.contract_id in chosen:
            status_at[_week(visit.date)][visit.status] += 1
    for visit in plan:
        if visit.contract_id in chosen and counts_as_planned(visit, recorded):
            planned_at[_week(visit.date)] += 1
    edges = [_week(c.start_date) for c in contracts] + [_week(period_end(c)) for c in contracts]
    for contract in contracts:
        if bought(contract):
            visitable = _weeks(calendar.visitable_days(contract.contract_id))
            for week in visitable:
                pace_at[week] += bought(contract) / len(visitable)
    edges += [*status_at, *planned_at]
    total = sum(bought(c) for c in contracts)
    rows = []
    consumed_to_date = planned_to_date = 0
    pace = 0.0
    for week in range(min(edges), max(edges) + 1):
        counts = status_at.get(week, Counter())
        consumed_to_date += sum(counts[status] for status in CONSUMING_STATUSES)
        planned_to_date += planned_at[week]
        pace += pace_at.get(week, 0.0)
        rows.append(
            (
                _monday(week),
                total,
                *(counts[status] for status in STATUSES),
                planned_at[week],
                consumed_to_date,
                planned_to_date,
                total - consumed_to_date,
                round(pace, 6),
            )
        )
    return pd.DataFrame(rows, columns=list(BURNDOWN_COLUMNS))
