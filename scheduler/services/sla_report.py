"""sla.csv, compliance against each policy's target, and emergency arrival times, for any moment.

Everything is judged as the desk knew it at `as_of` (`scheduler.sla.known_at`), so a
report for last month reads the same next year. Times leave here in Europe/London,
the scenario format's zone, whatever zone a policy's hours are read in.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from scheduler.domain import (
    LONDON,
    Contract,
    HistoryVisit,
    PlannedVisit,
    Scenario,
    Ticket,
    VisitKind,
    VisitStatus,
)
from scheduler.errors import InputError, Problem
from scheduler.sla import (
    STANDARD,
    WorkingTimes,
    governing_contract,
    parse_policies,
    require_aware,
    ticket_time_problems,
    time_ticket,
)
from scheduler.store.db import session_scope
from scheduler.store.repository import load_scenario

TICKETS = "tickets.csv"
CONTRACTS = "contracts.csv"

SLA_COLUMNS: tuple[str, ...] = (
    "ticket_id",
    "school_id",
    "priority",
    "response_due",
    "resolution_due",
    "responded_at",
    "resolved_at",
    "response_met",
    "resolution_met",
)
"""sla.csv of the scenario format, in its order."""

_EXTRA_COLUMNS = ("policy", "label", "target", "month")
_TIME_COLUMNS = ("response_due", "resolution_due", "responded_at", "resolved_at")
_MET_COLUMNS = ("response_met", "resolution_met")
COMPLIANCE_GROUPS: tuple[str, ...] = ("priority", "school_id", "month")
"""What compliance may be broken down by, besides the policy (whose target it is judged by)."""

ARRIVAL_COLUMNS: tuple[str, ...] = (
    "ticket_id",
    "school_id",
    "priority",
    "opened_at",
    "visit_id",
    "visit_date",
    "window",
    "on_site_by",
    "hours_to_site",
)


def _row_numbers(items: Sequence[object]) -> dict[int, int]:
    """Rows as an exported file shows them: the export sorts by id, header on row 1."""
    return {id(item): number for number, item in enumerate(items, start=2)}


def _epoch(moment: datetime | None) -> float:
    """Seconds since 1970 (NaN for none): pandas converts these in bulk, aware datetimes
    one by one, which would be most of the cost of a 100,000-ticket report."""
    return math.nan if moment is None else moment.timestamp()


def timed_tickets(scenario: Scenario, as_of: datetime) -> pd.DataFrame:
    """sla.csv's columns plus `policy`, `label` (the policy's name for the priority),
    `target` and `month`: what compliance and the app group by.

    Tickets opened after `as_of` did not exist yet and are left out. Raises InputError
    naming tickets.csv (or contracts.csv for an unknown policy) with the row an export
    of the book would have, for what the scenario reader could not check on its own.
    """
    as_of = require_aware(as_of).astimezone(UTC)  # compared by instant, see sla._absolute
    policies = parse_policies(scenario.sla_policies)
    working = WorkingTimes(scenario.settings.shutdown)
    nations = {school.school_id: school.nation for school in scenario.schools}
    contracts: dict[str, list[Contract]] = {}
    for contract in scenario.contracts:
        contracts.setdefault(contract.school_id, []).append(contract)
    contract_rows = _row_numbers(sorted(scenario.contracts, key=lambda c: c.contract_id))
    tickets = sorted(scenario.tickets, key=lambda t: t.ticket_id)

    problems: list[Problem] = []
    records: list[tuple[object, ...]] = []
    for row, ticket in enumerate(tickets, start=2):
        if ticket.opened_at > as_of:
            continue
        problems += ticket_time_problems(ticket, row, TICKETS)
        governing = governing_contract(ticket.opened_at, contracts.get(ticket.school_id, ()))
        name = STANDARD if governing is None else governing.sla_policy
        policy = policies.get(name)
        nation = nations.get(ticket.school_id)
        if nation is None:
            expected = "a school_id of schools.csv"
            problems.append(Problem(TICKETS, row, "school_id", ticket.school_id, expected))
        if policy is None:
            assert governing is not None  # the standard policy always exists
            expected = f"a policy of sla.toml ({', '.join(sorted(policies))})"
            problems.append(
                Problem(CONTRACTS, contract_rows[id(governing)], "sla_policy", name, expected)
            )
            continue
        try:
            level = policy.level(ticket.priority)
        except KeyError:
            expected = policy.expected_priority()
            problems.append(Problem(TICKETS, row, "priority", ticket.priority, expected))
            continue
        if nation is None or problems:
            continue
        timing = time_ticket(ticket, level, working.of(policy, level, nation), as_of)
        opened = ticket.opened_at.astimezone(LONDON)
        records.append(
            (
                ticket.ticket_id,
                ticket.school_id,
                ticket.priority,
                _epoch(timing.response_due),
                _epoch(timing.resolution_due),
                _epoch(timing.responded_at),
                _epoch(timing.resolved_at),
                timing.response_met,
                timing.resolution_met,
                policy.name,
                level.label,
                policy.target,
                f"{opened.year}-{opened.month:02d}",
            )
        )
    if problems:
        raise InputError(list(dict.fromkeys(problems)))  # a bad contract row once, not per ticket
    return _typed(pd.DataFrame(records, columns=[*SLA_COLUMNS, *_EXTRA_COLUMNS]))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps in London and nullable booleans, so the app can sort and filter them."""
    for column in _TIME_COLUMNS:
        seconds = frame[column].astype(float)
        frame[column] = pd.to_datetime(seconds, unit="s", utc=True).dt.tz_convert(LONDON.key)
    for column in _MET_COLUMNS:
        frame[column] = frame[column].astype("boolean")
    return frame


def sla_rows(scenario: Scenario, as_of: datetime) -> pd.DataFrame:
    """sla.csv as of a moment: one row per ticket opened by then, by ticket_id."""
    return timed_tickets(scenario, as_of).loc[:, list(SLA_COLUMNS)]


def compliance(
    scenario: Scenario, as_of: datetime, by: Iterable[str] = ("priority", "month")
) -> pd.DataFrame:
    """Share of decided tickets that met each measure, per policy and `by`, against the target.

    Always per policy, since the target is the policy's; `priority` is the policy's own
    label, so `urgent` and `P1` tickets of one policy count together. Open tickets that
    are not yet late are undecided and left out; emergencies are exempt.
    """
    keys = list(by)
    unknown = sorted(set(keys) - set(COMPLIANCE_GROUPS))
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}; choose from {COMPLIANCE_GROUPS}")
    frame = (
        timed_tickets(scenario, as_of)
        .drop(columns="priority")
        .rename(columns={"label": "priority"})
    )
    groups = ["policy", *keys, "measure"]
    parts = []
    for measure in ("response", "resolution"):
        decided = frame[frame[f"{measure}_met"].notna()]
        parts.append(decided.assign(measure=measure, met=decided[f"{measure}_met"].astype(bool)))
    long = pd.concat(parts, ignore_index=True)
    result = (
        long.groupby(groups, sort=True)
        .agg(tickets=("met", "size"), met=("met", "sum"), target=("target", "first"))
        .reset_index()
    )
    result["met"] = result["met"].astype(int)
    result["share"] = result["met"] / result["tickets"]
    result["meets_target"] = result["share"] >= result["target"]
    return result[[*groups, "tickets", "met", "share", "target", "meets_target"]]


# --------------------------------------------------------------------------- emergencies


@dataclass(frozen=True, slots=True)
class _Callout:
    """An emergency visit as the clock sees it: the window bounds when the technician arrived."""

    visit_id: str
    school_id: str
    day: date
    window: str
    start: datetime
    end: datetime


def _history_callouts(scenario: Scenario) -> list[_Callout]:
    contracts = {contract.contract_id: contract for contract in scenario.contracts}
    windows = {(w.family, w.name): (w.start, w.end) for w in scenario.windows}
    whole_day = (scenario.settings.onsite_start, scenario.settings.onsite_end)
    callouts = []
    for visit in scenario.history:
        if visit.status is VisitStatus.EMERGENCY and visit.contract_id in contracts:
            contract = contracts[visit.contract_id]
            start, end = windows.get((contract.window_family, visit.window), whole_day)
            callouts.append(_callout(visit, contract.school_id, start, end))
    return callouts


def _callout(
    visit: HistoryVisit | PlannedVisit, school_id: str, start: time, end: time
) -> _Callout:
    return _Callout(
        visit.visit_id,
        school_id,
        visit.date,
        visit.window,
        datetime.combine(visit.date, start, LONDON),
        datetime.combine(visit.date, end, LONDON),
    )


def _first_callout(ticket: Ticket, callouts: list[_Callout], taken: set[str]) -> _Callout | None:
    """The school's earliest emergency visit whose window ends after the call, each used once."""
    for callout in callouts:
        if callout.visit_id not in taken and callout.end >= ticket.opened_at:
            taken.add(callout.visit_id)
            return callout
    return None


def _hours(start: datetime, end: datetime) -> float:
    """By instants: subtracting two datetimes of one zone counts wall-clock time, an hour
    out across a change of the clocks."""
    return (end.timestamp() - start.timestamp()) / 3600


def emergency_arrivals(
    scenario: Scenario, plan: Sequence[PlannedVisit], as_of: datetime
) -> pd.DataFrame:
    """Time to arrive on site for emergency tickets, which the response/fix clock exempts.

    History and plans record a visit's window, not the minute of arrival, so `on_site_by`
    is the end of that window: the latest the technician was there. Tickets without an
    emergency visit by `as_of` have empty visit columns.
    """
    require_aware(as_of)
    callouts = _history_callouts(scenario) + [
        _callout(visit, visit.school_id, visit.start, visit.end)
        for visit in plan
        if visit.kind is VisitKind.EMERGENCY
    ]
    by_school: dict[str, list[_Callout]] = {}
    for callout in sorted(callouts, key=lambda c: (c.start, c.visit_id)):
        if callout.end <= as_of:
            by_school.setdefault(callout.school_id, []).append(callout)
    taken: set[str] = set()
    records = []
    for ticket in sorted(scenario.tickets, key=lambda t: (t.opened_at, t.ticket_id)):
        if not ticket.emergency or ticket.opened_at > as_of:
            continue
        callout = _first_callout(ticket, by_school.get(ticket.school_id, []), taken)
        records.append(
            {
                "ticket_id": ticket.ticket_id,
                "school_id": ticket.school_id,
                "priority": ticket.priority,
                "opened_at": ticket.opened_at.astimezone(LONDON),
                "visit_id": "" if callout is None else callout.visit_id,
                "visit_date": None if callout is None else callout.day,
                "window": "" if callout is None else callout.window,
                "on_site_by": None if callout is None else callout.end,
                "hours_to_site": None if callout is None else _hours(ticket.opened_at, callout.end),
            }
        )
    return pd.DataFrame(records, columns=list(ARRIVAL_COLUMNS))


# --------------------------------------------------------------------------- sla.csv


_FLAGS = {True: "true", False: "false"}


def _time_texts(values: pd.Series) -> list[str]:
    """`YYYY-MM-DDTHH:MM` in London, empty for none: numpy's minute-precision text, a whole
    column at once, as 400,000 timestamps formatted one by one take seconds."""
    local = values.dt.tz_convert(LONDON.key).dt.tz_localize(None).to_numpy("datetime64[m]")
    return ["" if text == "NaT" else text for text in local.astype(str).tolist()]


def _flag_texts(values: pd.Series) -> list[str]:
    return ["" if value is pd.NA else _FLAGS[value] for value in values.astype(object).tolist()]


def sla_csv_text(rows: pd.DataFrame) -> str:
    """The format's spelling: London times, true/false, empty for none."""
    columns = [
        _time_texts(rows[column]) if column in _TIME_COLUMNS
        else _flag_texts(rows[column]) if column in _MET_COLUMNS
        else rows[column].astype(str).tolist()
        for column in SLA_COLUMNS
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SLA_COLUMNS)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def write_sla_csv(engine: Engine, as_of: datetime, out: str | Path) -> pd.DataFrame:
    """`scheduler sla --as-of DATETIME --out sla.csv`: the stored book, timed at `as_of`."""
    with session_scope(engine) as session:
        scenario = load_scenario(session)
    rows = sla_rows(scenario, as_of)
    Path(out).write_text(sla_csv_text(rows), encoding="utf-8")
    return rows
