"""The solver-free check every plan passes before it is saved.

It re-derives everything from the roster rows and the scenario alone: the
six hard rules of the scenario format (one named function per rule), the
penalty terms of `solver.objective` (implemented from their written
definitions, never by calling the solver, so a solver bug cannot hide
behind itself), and the format's quality metrics. Travel comes from
`scheduler.travel.TravelMatrix`, the same integers the instance builder gives
the solver.

Counting conventions shared by rule 5, rule 6, `unplaced` and `shortfall`:
a `dedicated` row is a day on site, never a bought visit; an `emergency`
row consumes a bought visit like an emergency in the history, so it counts
against what was bought but is not one of the `owed` visits the planner
places. The solver never plans a dedicated day, so the `travel` term leaves
those days out while the travel-per-visit metric, as the format says,
counts them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import pairwise
from pathlib import Path

import pandas as pd

from scheduler.calendar import Calendar
from scheduler.contracts import bought, consumed_by_contract, has_cadence
from scheduler.domain import (
    DAY_WINDOW,
    Contract,
    Package,
    PlannedVisit,
    Scenario,
    School,
    Technician,
    VisitKind,
    Window,
)
from scheduler.travel import TravelMatrix, round_up
from solver.objective import total, weights

ROSTER_COLUMNS: tuple[str, ...] = (
    "date",
    "window",
    "start",
    "end",
    "school_id",
    "contract_id",
    "technician_id",
    "kind",
    "visit_id",
)
"""roster.csv of the scenario format, plus the stable `visit_id` the format allows."""


@dataclass(frozen=True, slots=True)
class Violation:
    rule: int
    """1-6: the numbered rule of "What a roster must satisfy"."""
    visit_id: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Metrics:
    """The format's "Quality metrics": how two plans of the same book are compared.

    A share with nothing to measure (e.g. no school states a preference) is 1.0.
    """

    travel_minutes: float
    """All technician-days' travel (home, schools in time order, home), dedicated days included,
    unrounded as the spec measures it: report.json's `travel_minutes`. The `travel` term counts
    whole minutes rounded up and leaves dedicated days out (no plan changes them)."""
    travel_per_visit: float
    """`travel_minutes` over all rows."""
    regularity: float
    continuity: float
    preference: float
    """Over contracts whose school states a weekday and/or window; a week counts when one
    visit matches every stated preference (as `off_preference` does)."""
    shortfall: int
    """Per scheduled contract meeting the horizon, bought - consumed - placed, at least 0."""
    visits: int


@dataclass(frozen=True, slots=True)
class ValidationReport:
    violations: list[Violation]
    terms: dict[str, int]
    """Every penalty term of `solver.objective`, by name."""
    objective: int
    metrics: Metrics
    short: list[tuple[str, int]]
    """Rule 6: (contract_id, visits missing) for each scheduled contract whose period ends
    inside the horizon with history + roster below what it bought. Not a violation: the
    planner reports these with their reasons."""

    @property
    def ok(self) -> bool:
        return not self.violations


def validate_roster(
    scenario: Scenario,
    roster: Sequence[PlannedVisit],
    *,
    calendar: Calendar | None = None,
    travel: TravelMatrix | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    owed: Mapping[str, int] | None = None,
    hint: Sequence[PlannedVisit] | None = None,
) -> ValidationReport:
    """Check a roster against the six rules and price it with the solver's terms.

    `date_from`/`date_to` bound the horizon the roster plans (None: open on
    that side, i.e. the roster is everything planned from/until then). `owed`
    maps a contract to the visits this roster should hold for it, emergency
    rows not included, as the solver instance's `owed` plus its fixed
    non-emergency visits; by default, for every scheduled contract whose period
    meets the horizon, bought - consumed history - emergency rows. `hint` is
    the previous plan, the reference for `moved` and `reassigned`.

    Raises ValueError when a row names an unknown school, contract or
    technician, or a school that is not its contract's: such a roster is not
    a plan that can be judged.
    """
    book = _Book(scenario, roster, calendar, travel)
    days = _technician_days(book, roster)
    horizon = _Horizon(date_from, date_to)
    by_contract = _visits_by_contract(roster)
    owed_now = dict(owed) if owed is not None else _default_owed(book, by_contract, horizon)

    violations = [
        *_rule_1_visitable_day(book, roster),
        *_rule_2_window_of_family(book, roster),
        *_rule_3_technician_eligible(book, roster),
        *(v for day in days for v in _rule_4_technician_day(book, day)),
        *_rule_5_school_once_a_day(roster),
        *_rule_5_within_bought(book, by_contract),
    ]
    missing = {
        contract.contract_id: _missing(book, contract, by_contract)
        for contract in book.contracts.values()
        if contract.is_scheduled and horizon.meets(contract)
    }
    short = [
        (contract_id, gap)
        for contract_id, gap in missing.items()
        if gap > 0 and horizon.holds_end_of(book.contracts[contract_id])
    ]

    patterns = _patterns(book, by_contract)
    terms = {
        "unplaced": _term_unplaced(by_contract, owed_now),
        "travel": sum(day.travel for day in days if not day.dedicated),
        "irregular": sum(p.weeks - p.regular_weeks for p in patterns),
        "discontinuity": sum(p.visits - p.main_technician_visits for p in patterns),
        "off_preference": sum(
            p.weeks - p.preferred_weeks for p in patterns if p.preferred_weeks is not None
        ),
        "crowding": _term_crowding(book, by_contract),
        "behind_pace": _term_behind_pace(book, by_contract, owed_now, horizon),
        "workload": _term_workload(book, roster, horizon),
        "moved": _term_moved(roster, hint or ()),
        "reassigned": _term_reassigned(roster, hint or ()),
    }
    travel_minutes = sum(day.exact_travel for day in days)
    metrics = Metrics(
        travel_minutes=travel_minutes,
        travel_per_visit=travel_minutes / len(roster) if roster else 0.0,
        regularity=_share(sum(p.regular_weeks for p in patterns), sum(p.weeks for p in patterns)),
        continuity=_share(
            sum(p.main_technician_visits for p in patterns), sum(p.visits for p in patterns)
        ),
        preference=_share(
            sum(p.preferred_weeks or 0 for p in patterns),
            sum(p.weeks for p in patterns if p.preferred_weeks is not None),
        ),
        shortfall=sum(max(0, gap) for gap in missing.values()),
        visits=len(roster),
    )
    return ValidationReport(
        violations=violations,
        terms=terms,
        objective=total(terms, weights(scenario.settings.objective)),
        metrics=metrics,
        short=short,
    )


def roster_frame(roster: Sequence[PlannedVisit]) -> pd.DataFrame:
    """The roster as the format's roster.csv, formatted and sorted as the file is.

    Strings rather than timestamps, so the app shows what the file says.
    """
    rows = sorted(
        roster,
        key=lambda v: (v.date, v.technician_id, v.start, v.end, v.school_id, v.visit_id),
    )
    return pd.DataFrame(
        [
            (
                v.date.isoformat(),
                v.window,
                f"{v.start:%H:%M}",
                f"{v.end:%H:%M}",
                v.school_id,
                v.contract_id,
                v.technician_id,
                str(v.kind),
                v.visit_id,
            )
            for v in rows
        ],
        columns=list(ROSTER_COLUMNS),
        dtype=object,
    )


def write_roster_csv(roster: Sequence[PlannedVisit], path: str | Path) -> None:
    """The product's roster.csv: UTF-8, `\\n` line ends, so the same plan gives the same bytes."""
    roster_frame(roster).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


# Indexes built once per validation: every rule below is a dictionary lookup per row.


class _Book:
    """The scenario's entities by id, the calendar, and travel between the roster's places."""

    def __init__(
        self,
        scenario: Scenario,
        roster: Sequence[PlannedVisit],
        calendar: Calendar | None,
        travel: TravelMatrix | None,
    ) -> None:
        self.settings = scenario.settings
        self.calendar = calendar if calendar is not None else Calendar(scenario)
        self.schools: dict[str, School] = {s.school_id: s for s in scenario.schools}
        self.technicians: dict[str, Technician] = {t.technician_id: t for t in scenario.technicians}
        self.contracts: dict[str, Contract] = {c.contract_id: c for c in scenario.contracts}
        self.windows: dict[tuple[str, str], Window] = {
            (w.family, w.name): w for w in scenario.windows
        }
        self.leave_reasons: dict[str, list[tuple[date, date, str]]] = defaultdict(list)
        for leave in scenario.leave:
            self.leave_reasons[leave.technician_id].append(
                (leave.first_day, leave.last_day, leave.reason)
            )
        self.consumed = consumed_by_contract(scenario.history)
        _check_references(self, roster)
        places = sorted({v.school_id for v in roster} | {v.technician_id for v in roster})
        self._place = {place_id: n for n, place_id in enumerate(places)}
        travel = travel if travel is not None else TravelMatrix(scenario)
        exact = travel.exact_matrix(places)  # `matrix` is this rounded up: estimate once
        self._minutes: list[list[int]] = round_up(exact).tolist()
        self._exact: list[list[float]] = exact.tolist()

    def minutes(self, from_id: str, to_id: str) -> int:
        return self._minutes[self._place[from_id]][self._place[to_id]]

    def exact(self, from_id: str, to_id: str) -> float:
        """Unrounded minutes: what the spec's travel per visit adds up."""
        return self._exact[self._place[from_id]][self._place[to_id]]

    def max_commute(self, technician: Technician) -> int:
        if technician.max_commute_minutes is None:
            return self.settings.max_commute_minutes
        return technician.max_commute_minutes

    def leave_reason(self, technician_id: str, day: date) -> str:
        for first, last, reason in self.leave_reasons[technician_id]:
            if first <= day <= last:
                return reason
        return ""


def _check_references(book: _Book, roster: Sequence[PlannedVisit]) -> None:
    problems: list[str] = []
    for visit in roster:
        contract = book.contracts.get(visit.contract_id)
        if contract is None:
            problems.append(f"{visit.visit_id}: unknown contract {visit.contract_id}")
        elif contract.school_id != visit.school_id:
            problems.append(
                f"{visit.visit_id}: school {visit.school_id} is not contract "
                f"{visit.contract_id}'s school {contract.school_id}"
            )
        if visit.school_id not in book.schools:
            problems.append(f"{visit.visit_id}: unknown school {visit.school_id}")
        if visit.technician_id not in book.technicians:
            problems.append(f"{visit.visit_id}: unknown technician {visit.technician_id}")
    if problems:
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise ValueError(
            f"roster refers to unknown or mismatched ids: {'; '.join(problems[:10])}{more}"
        )


@dataclass(frozen=True, slots=True)
class _Horizon:
    first: date | None
    last: date | None

    def meets(self, contract: Contract) -> bool:
        """The contract's period overlaps the horizon."""
        return (self.first is None or contract.end_date >= self.first) and (
            self.last is None or contract.start_date <= self.last
        )

    def holds_end_of(self, contract: Contract) -> bool:
        """Nothing after the horizon can still add a visit, so rule 6 can be judged."""
        return self.meets(contract) and (self.last is None or contract.end_date <= self.last)

    def span(self, roster: Sequence[PlannedVisit]) -> tuple[date, date] | None:
        """Concrete bounds, an open side closed at the roster's own first or last day."""
        if roster:
            first = self.first or min(v.date for v in roster)
            last = self.last or max(v.date for v in roster)
            return first, last
        if self.first is not None and self.last is not None:
            return self.first, self.last
        return None


@dataclass(frozen=True, slots=True)
class _Day:
    """One technician's day, visits in window-start order, with the travel between them."""

    technician: Technician
    day: date
    visits: tuple[PlannedVisit, ...]
    outbound: int
    """Home -> first school."""
    between: tuple[int, ...]
    """visits[i] -> visits[i + 1]."""
    inbound: int
    """Last school -> home."""
    exact_travel: float
    """The same legs unrounded (the spec's quality metric; rules and terms use whole minutes)."""

    @property
    def travel(self) -> int:
        return self.outbound + sum(self.between) + self.inbound

    @property
    def dedicated(self) -> bool:
        """A day on a full-managed site: the solver never plans one, so no term counts it."""
        return any(v.kind == VisitKind.DEDICATED for v in self.visits)


def _clock(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _in_day_order(visit: PlannedVisit) -> tuple[time, time, str, str]:
    return (visit.start, visit.end, visit.school_id, visit.visit_id)


def _technician_days(book: _Book, roster: Sequence[PlannedVisit]) -> list[_Day]:
    grouped: dict[tuple[str, date], list[PlannedVisit]] = defaultdict(list)
    for visit in roster:
        grouped[visit.technician_id, visit.date].append(visit)
    days: list[_Day] = []
    for (technician_id, day), visits in sorted(grouped.items()):
        visits.sort(key=_in_day_order)
        schools = [v.school_id for v in visits]
        days.append(
            _Day(
                technician=book.technicians[technician_id],
                day=day,
                visits=tuple(visits),
                outbound=book.minutes(technician_id, schools[0]),
                between=tuple(book.minutes(a, b) for a, b in pairwise(schools)),
                inbound=book.minutes(schools[-1], technician_id),
                exact_travel=book.exact(technician_id, schools[0])
                + sum(book.exact(a, b) for a, b in pairwise(schools))
                + book.exact(schools[-1], technician_id),
            )
        )
    return days


def _visits_by_contract(roster: Sequence[PlannedVisit]) -> dict[str, list[PlannedVisit]]:
    """Rows that are visits of a contract (dedicated days are not), in date order."""
    grouped: dict[str, list[PlannedVisit]] = defaultdict(list)
    for visit in roster:
        if visit.kind != VisitKind.DEDICATED:
            grouped[visit.contract_id].append(visit)
    for visits in grouped.values():
        visits.sort(key=lambda v: (v.date, v.start, v.visit_id))
    return grouped


def _week(day: date) -> int:
    """One key per Monday-to-Sunday (ISO) week, increasing with time."""
    return (day.toordinal() - 1) // 7


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _missing(book: _Book, contract: Contract, by_contract: Mapping[str, list[PlannedVisit]]) -> int:
    """Bought minus consumed history minus roster visits: rule 6 wants 0, rule 5 forbids < 0."""
    placed = len(by_contract.get(contract.contract_id, ()))
    return bought(contract) - book.consumed[contract.contract_id] - placed


def _default_owed(
    book: _Book, by_contract: Mapping[str, list[PlannedVisit]], horizon: _Horizon
) -> dict[str, int]:
    owed: dict[str, int] = {}
    for contract in book.contracts.values():
        if contract.is_scheduled and horizon.meets(contract):
            emergencies = sum(
                v.kind == VisitKind.EMERGENCY for v in by_contract.get(contract.contract_id, ())
            )
            owed[contract.contract_id] = max(
                0, bought(contract) - book.consumed[contract.contract_id] - emergencies
            )
    return owed


# The hard rules of "What a roster must satisfy", one function each.


def _rule_1_visitable_day(book: _Book, roster: Sequence[PlannedVisit]) -> Iterator[Violation]:
    """Weekday, no public holiday of the school's nation, no shutdown or closure, in the
    contract period, in term unless the site has holiday access."""
    for visit in roster:
        if not book.calendar.may_visit(visit.contract_id, visit.date):
            reason = book.calendar.contract_closed_reason(visit.contract_id, visit.date)
            yield Violation(
                1,
                visit.visit_id,
                f"rule 1: {visit.school_id} ({visit.contract_id}) cannot be visited on "
                f"{visit.date}: {reason}",
            )


def _rule_2_window_of_family(book: _Book, roster: Sequence[PlannedVisit]) -> Iterator[Violation]:
    """A visit sits in a window of its contract's family; a dedicated row is the whole on-site day
    of a full-managed contract."""
    whole_day = (DAY_WINDOW, book.settings.onsite_start, book.settings.onsite_end)
    for visit in roster:
        contract = book.contracts[visit.contract_id]
        slot = (visit.window, visit.start, visit.end)
        if visit.kind == VisitKind.DEDICATED:
            if contract.package == Package.FULL_MANAGED and slot == whole_day:
                continue
            problem = (
                f"a dedicated row needs a full_managed contract, not {contract.package}"
                if contract.package != Package.FULL_MANAGED
                else f"{_slot_text(visit)} is not the whole on-site day {DAY_WINDOW} "
                f"{whole_day[1]:%H:%M}-{whole_day[2]:%H:%M}"
            )
        else:
            window = book.windows.get((contract.window_family, visit.window))
            if window is not None and (window.start, window.end) == slot[1:]:
                continue
            problem = (
                f"{_slot_text(visit)} is not a {contract.window_family} window "
                f"of {contract.contract_id}"
            )
        yield Violation(2, visit.visit_id, f"rule 2: {visit.school_id} on {visit.date}: {problem}")


def _slot_text(visit: PlannedVisit) -> str:
    return f"{visit.window} {visit.start:%H:%M}-{visit.end:%H:%M}"


def _rule_3_technician_eligible(book: _Book, roster: Sequence[PlannedVisit]) -> Iterator[Violation]:
    """The technician works that weekday, is not on leave, and has the grade and skills the
    school needs (dedicated rows included: cover must be eligible too)."""
    for visit in roster:
        tech = book.technicians[visit.technician_id]
        school = book.schools[visit.school_id]
        who = tech.technician_id
        problems: list[str] = []
        if visit.date.weekday() not in tech.work_days:
            problems.append(f"{who} does not work on {visit.date:%A}s")
        elif not book.calendar.technician_available(who, visit.date):
            reason = book.leave_reason(who, visit.date)
            problems.append(f"{who} is on leave" + (f" ({reason})" if reason else ""))
        if school.requires_senior and not tech.is_senior:
            problems.append(
                f"{who} is an apprentice and {school.school_id} requires a senior technician"
            )
        lacking = sorted(school.required_skills - tech.skills)
        if lacking:
            problems.append(f"{who} lacks {', '.join(lacking)} required by {school.school_id}")
        for problem in problems:
            yield Violation(
                3, visit.visit_id, f"rule 3: {problem}: visit to {school.school_id} on {visit.date}"
            )


def _rule_4_technician_day(book: _Book, day: _Day) -> list[Violation]:
    """A technician's day is workable: nothing overlaps, travel fits, commutes and hours hold."""
    found = _dedicated_day_alone(day)
    if not found:
        found = _no_overlap_and_travel_fits(day)
    return [
        *found,
        *_commute_within_limit(book, day),
        *_inside_onsite_hours(book, day),
        *_within_daily_visit_limit(day),
    ]


def _dedicated_day_alone(day: _Day) -> list[Violation]:
    """A dedicated row means that technician does nothing else that day.

    When this fails, overlap and travel are not reported too: they would
    restate the same conflict.
    """
    dedicated = [v for v in day.visits if v.kind == VisitKind.DEDICATED]
    if not dedicated or len(day.visits) == 1:
        return []
    anchor = dedicated[0]
    return [
        Violation(
            4,
            visit.visit_id,
            f"rule 4: {day.technician.technician_id} is dedicated to {anchor.school_id} on "
            f"{day.day} and cannot also visit {visit.school_id}",
        )
        for visit in day.visits
        if visit is not anchor
    ]


def _no_overlap_and_travel_fits(day: _Day) -> list[Violation]:
    found: list[Violation] = []
    who = day.technician.technician_id
    for (before, after), travel in zip(pairwise(day.visits), day.between, strict=True):
        gap = _clock(after.start) - _clock(before.end)
        if gap < 0:
            found.append(
                Violation(
                    4,
                    after.visit_id,
                    f"rule 4: {who} on {day.day}: {after.school_id} {_slot_text(after)} "
                    f"overlaps {before.school_id} {_slot_text(before)}",
                )
            )
        elif travel > gap:
            found.append(
                Violation(
                    4,
                    after.visit_id,
                    f"rule 4: {who} on {day.day}: {travel} min from {before.school_id} to "
                    f"{after.school_id} does not fit the {gap}-min gap",
                )
            )
    return found


def _commute_within_limit(book: _Book, day: _Day) -> list[Violation]:
    """Home -> first and last -> home, each within the technician's limit; one violation per
    visit, so a lone far-away visit is reported once with both legs."""
    tech = day.technician
    limit = book.max_commute(tech)
    first, last = day.visits[0], day.visits[-1]
    legs: dict[str, list[str]] = defaultdict(list)
    if day.outbound > limit:
        legs[first.visit_id].append(f"home -> {first.school_id} {day.outbound} min")
    if day.inbound > limit:
        legs[last.visit_id].append(f"{last.school_id} -> home {day.inbound} min")
    return [
        Violation(
            4,
            visit_id,
            f"rule 4: {tech.technician_id} on {day.day}: {' and '.join(text)} "
            f"over the {limit}-min commute limit",
        )
        for visit_id, text in legs.items()
    ]


def _inside_onsite_hours(book: _Book, day: _Day) -> list[Violation]:
    opens, closes = book.settings.onsite_start, book.settings.onsite_end
    return [
        Violation(
            4,
            visit.visit_id,
            f"rule 4: {day.technician.technician_id} on {day.day}: {visit.school_id} "
            f"{_slot_text(visit)} is outside on-site hours {opens:%H:%M}-{closes:%H:%M}",
        )
        for visit in day.visits
        if visit.start < opens or visit.end > closes
    ]


def _within_daily_visit_limit(day: _Day) -> list[Violation]:
    limit = day.technician.max_visits_per_day
    return [
        Violation(
            4,
            visit.visit_id,
            f"rule 4: {day.technician.technician_id} has {len(day.visits)} visits on "
            f"{day.day}, more than {limit}; {visit.school_id} is one too many",
        )
        for visit in day.visits[limit:]
    ]


def _rule_5_school_once_a_day(roster: Sequence[PlannedVisit]) -> Iterator[Violation]:
    grouped: dict[tuple[str, date], list[PlannedVisit]] = defaultdict(list)
    for visit in roster:
        grouped[visit.school_id, visit.date].append(visit)
    for (school_id, day), visits in grouped.items():
        visits.sort(key=_in_day_order)
        for visit in visits[1:]:
            yield Violation(
                5,
                visit.visit_id,
                f"rule 5: {school_id} gets {len(visits)} visits on {day}; at most one a day",
            )


def _rule_5_within_bought(
    book: _Book, by_contract: Mapping[str, list[PlannedVisit]]
) -> Iterator[Violation]:
    """History plus roster never exceed what a scheduled contract bought; the latest rows are
    the excess. Other packages have no bought visits to exceed."""
    for contract_id, visits in by_contract.items():
        contract = book.contracts[contract_id]
        if not contract.is_scheduled:
            continue
        used = book.consumed[contract_id]
        room = max(0, bought(contract) - used)
        for visit in visits[room:]:
            yield Violation(
                5,
                visit.visit_id,
                f"rule 5: {contract_id} ({contract.school_id}) bought {bought(contract)} visits; "
                f"history used {used} and the roster holds {len(visits)}, so the visit on "
                f"{visit.date} is one too many",
            )


# The soft goals, as `solver.objective` defines them.


@dataclass(frozen=True, slots=True)
class _Pattern:
    """How regular one contract's visits are: the shared basis of three terms and three metrics.

    Only contracts with a cadence and at least 2 visits have one.
    """

    weeks: int
    regular_weeks: int
    """Visited weeks holding the contract's most common (weekday, window)."""
    visits: int
    main_technician_visits: int
    preferred_weeks: int | None
    """Visited weeks with a visit matching every stated preference; None if none is stated."""


def _patterns(book: _Book, by_contract: Mapping[str, list[PlannedVisit]]) -> list[_Pattern]:
    patterns: list[_Pattern] = []
    for contract_id, visits in by_contract.items():
        contract = book.contracts[contract_id]
        if not has_cadence(contract) or len(visits) < 2:
            continue
        school = book.schools[contract.school_id]
        slot_weeks: dict[tuple[int, str], set[int]] = defaultdict(set)
        for visit in visits:
            slot_weeks[visit.date.weekday(), visit.window].add(_week(visit.date))
        weeks = {_week(v.date) for v in visits}
        preferred_weeks: int | None = None
        if school.preferred_weekday is not None or school.preferred_window is not None:
            preferred_weeks = len(
                {
                    _week(v.date)
                    for v in visits
                    if school.preferred_weekday in (None, v.date.weekday())
                    and school.preferred_window in (None, v.window)
                }
            )
        patterns.append(
            _Pattern(
                weeks=len(weeks),
                regular_weeks=max(len(s) for s in slot_weeks.values()),
                visits=len(visits),
                main_technician_visits=max(Counter(v.technician_id for v in visits).values()),
                preferred_weeks=preferred_weeks,
            )
        )
    return patterns


def _term_unplaced(by_contract: Mapping[str, list[PlannedVisit]], owed: Mapping[str, int]) -> int:
    """Owed visits without a placement; a callout is never one of the owed visits."""
    placed = {
        contract_id: sum(v.kind != VisitKind.EMERGENCY for v in visits)
        for contract_id, visits in by_contract.items()
    }
    return sum(max(0, count - placed.get(contract_id, 0)) for contract_id, count in owed.items())


def _term_crowding(book: _Book, by_contract: Mapping[str, list[PlannedVisit]]) -> int:
    """Consecutive visits closer than half the cadence cost more the closer they are."""
    penalty = 0
    for contract_id, visits in by_contract.items():
        cadence = book.contracts[contract_id].cadence.days
        if cadence == 0:
            continue
        threshold = cadence // 2 + 1
        for before, after in pairwise(visits):
            penalty += max(0, threshold - (after.date - before.date).days)
    return penalty


def _term_behind_pace(
    book: _Book,
    by_contract: Mapping[str, list[PlannedVisit]],
    owed: Mapping[str, int],
    horizon: _Horizon,
) -> int:
    """By the k-th of K visitable weeks, N*k//K of the horizon's N visits should be done."""
    penalty = 0
    for contract in book.contracts.values():
        if not has_cadence(contract):
            continue
        visitable = book.calendar.visitable_days(contract.contract_id, horizon.first, horizon.last)
        weeks = sorted({_week(day) for day in visitable})
        if not weeks:
            continue
        visits = by_contract.get(contract.contract_id, [])
        emergencies = sum(v.kind == VisitKind.EMERGENCY for v in visits)
        wanted = owed.get(contract.contract_id, 0) + emergencies
        visit_weeks = [_week(v.date) for v in visits]
        done = 0
        for rank, week in enumerate(weeks, start=1):
            while done < len(visit_weeks) and visit_weeks[done] <= week:
                done += 1
            penalty += max(0, wanted * rank // len(weeks) - done)
    return penalty


def _term_workload(book: _Book, roster: Sequence[PlannedVisit], horizon: _Horizon) -> int:
    """Spread between the busiest and the idlest technician who could have worked.

    Available as the solver instance defines it: a Monday-Friday of the horizon
    on which they work, are not on leave, and are not tied up on a dedicated site.
    """
    span = horizon.span(roster)
    if span is None:
        return 0
    dedicated = {(v.technician_id, v.date) for v in roster if v.kind == VisitKind.DEDICATED}
    visits = Counter(v.technician_id for v in roster if v.kind != VisitKind.DEDICATED)
    first, last = span
    days = [
        day
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
        if day.weekday() < 5
    ]
    loads = [
        visits[tech_id]
        for tech_id in book.technicians
        if any(
            book.calendar.technician_available(tech_id, day) and (tech_id, day) not in dedicated
            for day in days
        )
    ]
    return max(loads) - min(loads) if loads else 0


def _slot_key(visit: PlannedVisit) -> tuple[str, date, str]:
    return (visit.contract_id, visit.date, visit.window)


def _term_moved(roster: Sequence[PlannedVisit], hint: Sequence[PlannedVisit]) -> int:
    kept = {_slot_key(v) for v in roster}
    return sum(_slot_key(v) not in kept for v in hint)


def _term_reassigned(roster: Sequence[PlannedVisit], hint: Sequence[PlannedVisit]) -> int:
    if not hint:
        return 0
    technicians: dict[tuple[str, date, str], set[str]] = defaultdict(set)
    for visit in roster:
        technicians[_slot_key(visit)].add(visit.technician_id)
    return sum(
        _slot_key(v) in technicians and v.technician_id not in technicians[_slot_key(v)]
        for v in hint
    )
