"""Customer statements: what a school bought, what it got, what it used, and what comes next.

Account managers send these to schools, so every line is in the school's words
(technician names, window times, "cancelled by the school (counts as delivered)"),
the balance is `balances` as of the statement's last day (the same numbers as
balances.csv), and the HTML prints one school per page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from html import escape

import pandas as pd

from scheduler.domain import (
    CONSUMING_STATUSES,
    DAY_WINDOW,
    Contract,
    HistoryVisit,
    Package,
    PlannedVisit,
    Scenario,
    School,
    VisitStatus,
)
from scheduler.services.balances import RecordIndex, balances, counts_as_planned, emergency_effect

UPCOMING = 5
"""Planned visits listed after the statement's range: enough to show the rhythm ahead."""

PACKAGE_WORDS: dict[Package, str] = {
    Package.SCHEDULED: "Scheduled Support",
    Package.SCHEDULED_ON_DEMAND: "Scheduled + On-Demand Support",
    Package.ON_DEMAND: "On-Demand Support",
    Package.FULL_MANAGED: "Full Managed Service",
    Package.CLOUD: "Cloud Support",
}
STATUS_WORDS: dict[VisitStatus, str] = {
    VisitStatus.DELIVERED: "delivered",
    VisitStatus.EMERGENCY: "emergency callout",
    VisitStatus.REMOTE_IN_LIEU: "remote support in lieu (counts as delivered)",
    VisitStatus.CANCELLED_BY_SCHOOL: "cancelled by the school (counts as delivered)",
    VisitStatus.CANCELLED_BY_PROVIDER: "cancelled by us (owed again)",
}
STATEMENT_COLUMNS: tuple[str, ...] = (
    "school_id",
    "school",
    "section",
    "contract_id",
    "date",
    "window",
    "technician",
    "status",
    "detail",
)
"""One CSV for many schools: a row per line of each statement, `section` saying which part."""


@dataclass(frozen=True, slots=True)
class Line:
    """One dated line of a statement, already in the customer's words."""

    contract_id: str
    date: date
    window: str
    technician: str
    status: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Balance:
    """A contract's standing on the statement's last day, as balances.csv has it."""

    contract_id: str
    package: str
    first_day: date
    last_day: date
    bought: int
    used: int
    planned: int
    owed: int
    at_risk: bool
    """The owed visits no longer fit the days left in the period (balances.csv's `at_risk`)."""
    behind_pace: bool
    """Delivered plus planned trails the even pace: an early warning, not `at_risk`."""
    reason: str

    @property
    def standing(self) -> str:
        """Both signals in the customer's words: at risk, else behind the pace, else on track."""
        if self.at_risk:
            return f"at risk: {self.reason}"
        if self.behind_pace:
            return f"early warning: {self.reason}"
        return "on track"


@dataclass(frozen=True, slots=True)
class Statement:
    provider: str
    school: School
    start: date
    end: date
    balances: tuple[Balance, ...]
    visits: tuple[Line, ...]
    """History records dated in the range, every status."""
    emergencies: tuple[Line, ...]
    """The emergency callouts among them, with what each consumed."""
    upcoming: tuple[Line, ...]
    """The next planned visits after the range."""


class _Words:
    """Ids to the names and times a school recognises."""

    def __init__(self, scenario: Scenario) -> None:
        self._technicians = {t.technician_id: t.name for t in scenario.technicians}
        self._windows = {(w.family, w.name): (w.start, w.end) for w in scenario.windows}
        self._day = (scenario.settings.onsite_start, scenario.settings.onsite_end)

    def technician(self, technician_id: str) -> str:
        return self._technicians.get(technician_id, technician_id)

    def window(self, contract: Contract, name: str) -> str:
        times = (
            self._day if name == DAY_WINDOW else self._windows.get((contract.window_family, name))
        )
        return name if times is None else f"{name} {times[0]:%H:%M}-{times[1]:%H:%M}"


def _history_line(visit: HistoryVisit, contract: Contract, words: _Words) -> Line:
    return Line(
        contract.contract_id,
        visit.date,
        words.window(contract, visit.window),
        words.technician(visit.technician_id),
        STATUS_WORDS[visit.status],
    )


def _emergency_line(visit: HistoryVisit, contract: Contract, words: _Words) -> Line:
    return replace(_history_line(visit, contract, words), detail=emergency_effect(contract))


def _planned_line(visit: PlannedVisit, contract: Contract, words: _Words) -> Line:
    return Line(
        contract.contract_id,
        visit.date,
        words.window(contract, visit.window),
        words.technician(visit.technician_id),
        "planned",
    )


def _balance(contract: Contract, row: pd.Series) -> Balance:
    used = sum(int(row[status.value]) for status in CONSUMING_STATUSES)
    return Balance(
        contract.contract_id,
        PACKAGE_WORDS[contract.package],
        contract.start_date,
        contract.end_date,
        int(row["bought"]),
        used,
        int(row["planned"]),
        int(row["owed"]),
        bool(row["at_risk"]),
        bool(row["behind_pace"]),
        str(row["reason"]),
    )


def _overlaps(contract: Contract, start: date, end: date) -> bool:
    return contract.start_date <= end and contract.end_date >= start


def statements(
    scenario: Scenario,
    plan: Sequence[PlannedVisit],
    start: date,
    end: date,
    school_ids: Iterable[str] | None = None,
    *,
    upcoming: int = UPCOMING,
) -> list[Statement]:
    """One statement per school with a contract running in [start, end] (or per school asked
    for), by school_id; balances are as of `end`."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    schools = {school.school_id: school for school in scenario.schools}
    wanted = sorted(set(school_ids)) if school_ids is not None else None
    unknown = [school_id for school_id in wanted or () if school_id not in schools]
    if unknown:
        raise ValueError(f"unknown school_id: {', '.join(unknown)}")
    running = [
        c
        for c in scenario.contracts
        if _overlaps(c, start, end) and (wanted is None or c.school_id in wanted)
    ]
    book = replace(scenario, contracts=running)
    standing = balances(book, plan, end).set_index("contract_id")
    words = _Words(scenario)
    recorded = RecordIndex.of(v for v in scenario.history if v.date <= end)
    by_school: dict[str, list[Contract]] = {}
    for contract in sorted(running, key=lambda c: c.contract_id):
        by_school.setdefault(contract.school_id, []).append(contract)
    contracts = {c.contract_id: c for c in running}
    history: dict[str, list[HistoryVisit]] = {}
    for visit in scenario.history:
        if visit.contract_id in contracts and start <= visit.date <= end:
            history.setdefault(contracts[visit.contract_id].school_id, []).append(visit)
    ahead: dict[str, list[PlannedVisit]] = {}
    for planned in plan:
        upcoming_visit = planned.contract_id in contracts and planned.date > end
        if upcoming_visit and counts_as_planned(planned, recorded):
            ahead.setdefault(contracts[planned.contract_id].school_id, []).append(planned)
    result = []
    for school_id in wanted if wanted is not None else sorted(by_school):
        done = sorted(history.get(school_id, []), key=lambda v: (v.date, v.window, v.visit_id))
        next_visits = sorted(ahead.get(school_id, []), key=lambda v: (v.date, v.start, v.visit_id))
        del next_visits[upcoming:]
        result.append(
            Statement(
                scenario.settings.provider_name,
                schools[school_id],
                start,
                end,
                tuple(
                    _balance(c, standing.loc[c.contract_id]) for c in by_school.get(school_id, [])
                ),
                tuple(_history_line(v, contracts[v.contract_id], words) for v in done),
                tuple(
                    _emergency_line(v, contracts[v.contract_id], words)
                    for v in done
                    if v.status is VisitStatus.EMERGENCY
                ),
                tuple(_planned_line(v, contracts[v.contract_id], words) for v in next_visits),
            )
        )
    return result


# --------------------------------------------------------------------------- CSV


def _balance_detail(balance: Balance) -> str:
    text = (
        f"bought {balance.bought}, used {balance.used}, planned {balance.planned}, "
        f"owed {balance.owed}"
    )
    return text + (f"; {balance.standing}" if balance.at_risk or balance.behind_pace else "")


def _csv_rows(statement: Statement) -> Iterable[list[str]]:
    school = [statement.school.school_id, statement.school.name]
    for balance in statement.balances:
        period = f"{balance.package}, {balance.first_day} to {balance.last_day}"
        yield [*school, "contract", balance.contract_id, "", "", "", "", period]
        yield [
            *school,
            "balance",
            balance.contract_id,
            statement.end.isoformat(),
            "",
            "",
            "",
            _balance_detail(balance),
        ]
    for section, lines in (
        ("visit", statement.visits),
        ("emergency", statement.emergencies),
        ("planned", statement.upcoming),
    ):
        for line in lines:
            yield [
                *school,
                section,
                line.contract_id,
                line.date.isoformat(),
                line.window,
                line.technician,
                line.status,
                line.detail,
            ]


def statements_csv(items: Iterable[Statement]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STATEMENT_COLUMNS)
    for statement in items:
        writer.writerows(_csv_rows(statement))
    return buffer.getvalue()


# --------------------------------------------------------------------------- HTML

_STYLE = """
body { font-family: system-ui, sans-serif; font-size: 11pt; color: #222; margin: 0; }
.statement { padding: 1.5cm; break-after: page; page-break-after: always; }
.statement:last-child { break-after: auto; page-break-after: auto; }
.provider { font-size: 14pt; font-weight: bold; margin: 0 0 0.5em; }
h1 { font-size: 16pt; margin: 0; }
h2 { font-size: 12pt; margin: 1.2em 0 0.3em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: 0.2em 0.4em; text-align: left; }
.none { color: #666; font-style: italic; }
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str) -> str:
    if not rows:
        return f'<p class="none">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _balance_cells(balance: Balance) -> list[object]:
    return [
        balance.contract_id,
        balance.package,
        f"{balance.first_day} to {balance.last_day}",
        balance.bought,
        balance.used,
        balance.planned,
        balance.owed,
        balance.standing,
    ]


def _page(statement: Statement) -> str:
    s = statement
    visit_rows = [[v.date, v.window, v.technician, v.status] for v in s.visits]
    emergency_rows = [[v.date, v.window, v.technician, v.detail] for v in s.emergencies]
    upcoming_rows = [[v.date, v.window, v.technician] for v in s.upcoming]
    return "".join(
        [
            '<section class="statement">',
            f'<p class="provider">{escape(s.provider)}</p>',
            f"<h1>Visit statement: {escape(s.school.name)}</h1>",
            f"<p>{escape(s.school.school_id)} &middot; {escape(str(s.start))} to "
            f"{escape(str(s.end))}</p>",
            f"<h2>Contracts and balance on {escape(str(s.end))}</h2>",
            _table(
                ["Contract", "Package", "Period", "Bought", "Used", "Planned", "Owed", "Standing"],
                [_balance_cells(b) for b in s.balances],
                "No contract in this period.",
            ),
            "<h2>Visits</h2>",
            _table(["Date", "Window", "Technician", "Status"], visit_rows, "No visits."),
            "<h2>Emergency callouts</h2>",
            _table(
                ["Date", "Window", "Technician", "What it used"],
                emergency_rows,
                "No emergency callouts.",
            ),
            "<h2>Planned next</h2>",
            _table(["Date", "Window", "Technician"], upcoming_rows, "Nothing planned yet."),
            "</section>",
        ]
    )


def statements_html(items: Iterable[Statement]) -> str:
    """A printable page per school: the browser's print dialog gives one sheet each."""
    pages = "".join(_page(statement) for statement in items)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Visit statements</title><style>{_STYLE}</style></head>"
        f"<body>{pages}</body></html>"
    )
