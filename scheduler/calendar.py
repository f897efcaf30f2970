"""Which days a school may be visited and a technician may work (rule 1 and half of rule 3).

Every layer (planner, validator, balances, app, explanations of unplaced
visits) asks these questions, so they are answered in one place, from one
wrapper of the `holidays` library, and from precomputed sets: a national
book asks millions of them per plan.

A `Calendar` is a snapshot of its scenario: after a closure, leave or a
settings change, build a new one (building is cheap; see `Calendar`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import MappingProxyType
from typing import NamedTuple

import holidays

from scheduler.domain import WEEKDAY_NAMES, Nation, Scenario

_SUBDIV: Mapping[Nation, str] = MappingProxyType(
    {Nation.ENG: "ENG", Nation.WLS: "WLS", Nation.SCT: "SCT", Nation.NIR: "NIR"}
)
"""`holidays` subdivision of the United Kingdom for each nation of the format."""


@cache
def public_holidays(nation: Nation | str, year: int) -> Mapping[date, str]:
    """The nation's public holidays of one year, observed (substitute) days included.

    The only call into `holidays`: its objects are dict subclasses that parse
    and may expand on every lookup, so each (nation, year) is copied once
    into a plain read-only mapping shared by every `Calendar` of the process.
    """
    subdiv = _SUBDIV[Nation(nation)]
    found = holidays.country_holidays("GB", subdiv=subdiv, years=year)
    return MappingProxyType(dict(found))


class _Profile(NamedTuple):
    """What decides a school's open days apart from its own closures.

    Many schools share one, so their open days are computed once.
    """

    term_calendar: str
    nation: Nation
    holiday_access: bool


@dataclass(frozen=True, slots=True)
class _OpenYear:
    """One profile's open days of one year, before the school's own closures.

    The tuples are sorted, so that a range is two bisections rather than a scan.
    """

    days: tuple[date, ...]
    term: tuple[date, ...]
    holiday: tuple[date, ...]
    """Open by holiday access only; empty without it."""
    lookup: frozenset[date]


@dataclass(frozen=True, slots=True)
class _SchoolDays:
    profile: _Profile
    closures: Mapping[date, str]


@dataclass(frozen=True, slots=True)
class _Period:
    school_id: str
    first_day: date
    last_day: date


@dataclass(frozen=True, slots=True)
class _Availability:
    work_days: frozenset[int]
    leave: Mapping[date, str]


_Pick = Callable[[_OpenYear], tuple[date, ...]]
"""Which of a profile-year's sorted open days a range query returns."""


def _all_open(year: _OpenYear) -> tuple[date, ...]:
    return year.days


def _term_open(year: _OpenYear) -> tuple[date, ...]:
    return year.term


def _holiday_open(year: _OpenYear) -> tuple[date, ...]:
    return year.holiday


def _days(first: date, last: date) -> Iterator[date]:
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        yield date.fromordinal(ordinal)


def _require_date(day: date) -> None:
    """A datetime never equals a date, so it would silently miss every set: refuse it."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a datetime.date, got {type(day).__name__}: {day!r}")


class Calendar:
    """Rule 1 (and the technician half of rule 3) as O(1) lookups over one scenario.

    Building only indexes the scenario and expands closures, leave and the
    shutdown into sets; public holidays come from a process-wide cache. Open
    days are computed on first use per (term calendar, nation, holiday access,
    year), which a whole book shares among few profiles, and a school's own
    closures are subtracted at lookup time.
    """

    def __init__(self, scenario: Scenario) -> None:
        self._shutdown: frozenset[date] = frozenset(
            day for first, last in scenario.settings.shutdown for day in _days(first, last)
        )

        blocks: dict[str, list[tuple[date, date]]] = {}
        for block in scenario.term_dates:
            blocks.setdefault(block.term_calendar, []).append((block.first_day, block.last_day))
        self._blocks = blocks
        self._term: dict[str, frozenset[date]] = {}

        closures: dict[str, dict[date, str]] = {}
        for closure in scenario.closures:
            days = closures.setdefault(closure.school_id, {})
            for day in _days(closure.first_day, closure.last_day):
                days.setdefault(day, closure.reason)
        self._schools: dict[str, _SchoolDays] = {
            school.school_id: _SchoolDays(
                _Profile(school.term_calendar, Nation(school.nation), school.holiday_access),
                closures.get(school.school_id, {}),
            )
            for school in scenario.schools
        }
        self._working: dict[tuple[Nation, int], tuple[date, ...]] = {}
        self._open: dict[tuple[_Profile, int], _OpenYear] = {}

        self._periods: dict[str, _Period] = {
            contract.contract_id: _Period(
                contract.school_id, contract.start_date, contract.end_date
            )
            for contract in scenario.contracts
        }

        leave: dict[str, dict[date, str]] = {}
        for absence in scenario.leave:
            days = leave.setdefault(absence.technician_id, {})
            for day in _days(absence.first_day, absence.last_day):
                days.setdefault(day, absence.reason)
        self._technicians: dict[str, _Availability] = {
            tech.technician_id: _Availability(tech.work_days, leave.get(tech.technician_id, {}))
            for tech in scenario.technicians
        }

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Calendar:
        """The same as `Calendar(scenario)`, for callers that build everything `from_*`."""
        return cls(scenario)

    # Public holidays and the shutdown: company-wide and nation-wide facts.

    def is_public_holiday(self, nation: Nation | str, day: date) -> bool:
        _require_date(day)
        return day in public_holidays(nation, day.year)

    def holiday_name(self, nation: Nation | str, day: date) -> str | None:
        _require_date(day)
        return public_holidays(nation, day.year).get(day)

    def in_shutdown(self, day: date) -> bool:
        _require_date(day)
        return day in self._shutdown

    # Schools.

    def in_term(self, school_id: str, day: date) -> bool:
        """The format's own definition, which ignores public holidays: May Day is in term."""
        _require_date(day)
        school = self._schools[school_id]
        return day in self._term_days(school.profile.term_calendar) and day not in school.closures

    def school_open(self, school_id: str, day: date) -> bool:
        """Rule 1 without the contract period."""
        _require_date(day)
        return self._is_open(self._schools[school_id], day)

    def closed_reason(self, school_id: str, day: date) -> str | None:
        """Why `school_open` is false, in words a dispatcher can act on; None when open.

        The first failing check wins, most general first, so that a bank
        holiday in the half-term says "public holiday" rather than "outside term".
        """
        _require_date(day)
        school = self._schools[school_id]
        nation = school.profile.nation
        if day.weekday() >= 5:
            return "weekend"
        name = self.holiday_name(nation, day)
        if name is not None:
            return f"public holiday: {name} ({nation})"
        if day in self._shutdown:
            return "company shutdown"
        if day in school.closures:
            reason = school.closures[day]
            return f"closure: {reason}" if reason else "closure"
        if not school.profile.holiday_access and day not in self._term_days(
            school.profile.term_calendar
        ):
            return "outside term"
        return None

    def open_days(self, school_id: str, start: date, end: date) -> list[date]:
        """Sorted days of [start, end] on which `school_open` holds."""
        return self._collect(school_id, start, end, _all_open)

    # Contracts.

    def may_visit(self, contract_id: str, day: date) -> bool:
        """Rule 1 in full."""
        _require_date(day)
        period = self._periods[contract_id]
        return period.first_day <= day <= period.last_day and self._is_open(
            self._schools[period.school_id], day
        )

    def contract_closed_reason(self, contract_id: str, day: date) -> str | None:
        """Why `may_visit` is false; the period first, as no fact about the school changes it."""
        _require_date(day)
        period = self._periods[contract_id]
        if not period.first_day <= day <= period.last_day:
            return "outside contract period"
        return self.closed_reason(period.school_id, day)

    def visitable_days(
        self, contract_id: str, start: date | None = None, end: date | None = None
    ) -> list[date]:
        """Sorted days of the contract's period ∩ [start, end] on which rule 1 allows a visit."""
        return self._collect_in_period(contract_id, start, end, _all_open)

    def term_days(
        self, contract_id: str, start: date | None = None, end: date | None = None
    ) -> list[date]:
        """The visitable days in term: where the regular weekly pattern lives."""
        return self._collect_in_period(contract_id, start, end, _term_open)

    def holiday_days(
        self, contract_id: str, start: date | None = None, end: date | None = None
    ) -> list[date]:
        """The visitable days outside term (holiday access only): make-up days, by definition."""
        return self._collect_in_period(contract_id, start, end, _holiday_open)

    # Technicians.

    def technician_available(self, technician_id: str, day: date) -> bool:
        """Public holidays are the school's nation's, not the technician's: not checked here."""
        _require_date(day)
        tech = self._technicians[technician_id]
        return day.weekday() in tech.work_days and day not in tech.leave

    def technician_unavailable_reason(self, technician_id: str, day: date) -> str | None:
        _require_date(day)
        tech = self._technicians[technician_id]
        if day.weekday() not in tech.work_days:
            return f"not a working day ({WEEKDAY_NAMES[day.weekday()]})"
        if day in tech.leave:
            reason = tech.leave[day]
            return f"leave: {reason}" if reason else "leave"
        return None

    # Caches.

    def _is_open(self, school: _SchoolDays, day: date) -> bool:
        return day in self._open_year(school.profile, day.year).lookup and (
            day not in school.closures
        )

    def _collect_in_period(
        self, contract_id: str, start: date | None, end: date | None, pick: _Pick
    ) -> list[date]:
        period = self._periods[contract_id]
        first = period.first_day if start is None else max(start, period.first_day)
        last = period.last_day if end is None else min(end, period.last_day)
        return self._collect(period.school_id, first, last, pick)

    def _collect(self, school_id: str, start: date, end: date, pick: _Pick) -> list[date]:
        _require_date(start)
        _require_date(end)
        school = self._schools[school_id]
        found: list[date] = []
        for year in range(start.year, end.year + 1):
            days = pick(self._open_year(school.profile, year))
            lo, hi = bisect_left(days, start), bisect_right(days, end)
            found.extend(day for day in days[lo:hi] if day not in school.closures)
        return found

    def _term_days(self, term_calendar: str) -> frozenset[date]:
        """Weekdays inside the calendar's blocks; an unknown calendar has no term at all."""
        term = self._term.get(term_calendar)
        if term is None:
            term = frozenset(
                day
                for first, last in self._blocks.get(term_calendar, ())
                for day in _days(first, last)
                if day.weekday() < 5
            )
            self._term[term_calendar] = term
        return term

    def _working_days(self, nation: Nation, year: int) -> tuple[date, ...]:
        """Weekdays that are neither a public holiday nor shutdown: shared by every profile."""
        key = (nation, year)
        found = self._working.get(key)
        if found is None:
            holiday = public_holidays(nation, year)
            found = tuple(
                day
                for day in _days(date(year, 1, 1), date(year, 12, 31))
                if day.weekday() < 5 and day not in holiday and day not in self._shutdown
            )
            self._working[key] = found
        return found

    def _open_year(self, profile: _Profile, year: int) -> _OpenYear:
        key = (profile, year)
        found = self._open.get(key)
        if found is None:
            working = self._working_days(profile.nation, year)
            term = self._term_days(profile.term_calendar)
            in_term = tuple(day for day in working if day in term)
            if profile.holiday_access:
                holiday = tuple(day for day in working if day not in term)
                found = _OpenYear(working, in_term, holiday, frozenset(working))
            else:
                found = _OpenYear(in_term, in_term, (), frozenset(in_term))
            self._open[key] = found
        return found
