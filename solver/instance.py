"""The solver's own input: plain integers and ids, nothing from `scheduler`.

`scheduler.services` turns calendars, contracts and the database into this
shape, so every rule can be tested on a five-line instance.

Days are proleptic Gregorian ordinals (`date.toordinal()`): `weekday(d)` and
`week(d)` below recover the weekday and a monotonic ISO-week key without any
calendar library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["scheduled", "make_up"]


def weekday(day: int) -> int:
    """0 = Monday for a `date.toordinal()` value (ordinal 1 is Monday 0001-01-01)."""
    return (day - 1) % 7


def week(day: int) -> int:
    """A key shared by the days of one Monday-to-Sunday week, increasing with time."""
    return (day - 1) // 7


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    start: int
    """Minutes after midnight."""
    end: int


@dataclass(frozen=True, slots=True)
class Technician:
    id: str
    location: int
    """Row of `Instance.travel` for the technician's home."""
    available_days: frozenset[int]
    """Days they work, are not on leave and are not tied up on a dedicated site."""
    max_visits_per_day: int = 3
    max_commute: int = 60
    """Home -> first school and last school -> home, each, in minutes."""


@dataclass(frozen=True, slots=True)
class Contract:
    id: str
    school: str
    """A school gets at most one visit per day across all of its contracts."""
    location: int
    windows: tuple[int, ...]
    """Indices into `Instance.windows` of the contract's window family."""
    owed: int
    """Visits still to place in this horizon (bought - consumed - fixed - planned elsewhere)."""
    term_days: tuple[int, ...]
    """Visitable days in term, sorted: every calendar rule already applied."""
    holiday_days: tuple[int, ...] = ()
    """Visitable days outside term (sites with holiday access), sorted."""
    technicians: tuple[int, ...] = ()
    """Indices into `Instance.technicians` that may be sent (skills, seniority, commute)."""
    cadence_days: int = 7
    """7 weekly, 14 fortnightly, 28 monthly, 0 no cadence."""
    preferred_weekday: int | None = None
    preferred_window: int | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    contract: int
    day: int
    window: int
    technician: int
    kind: Kind = "scheduled"


@dataclass(frozen=True, slots=True)
class Instance:
    windows: tuple[Window, ...]
    technicians: tuple[Technician, ...]
    contracts: tuple[Contract, ...]
    travel: Sequence[Sequence[int]]
    """Square matrix of whole minutes between locations (homes and schools)."""
    onsite_start: int = 8 * 60
    onsite_end: int = 18 * 60
    fixed: tuple[Assignment, ...] = ()
    """Visits that must stay as they are (locked, published, emergencies); they use capacity."""
    hint: tuple[Assignment, ...] = ()
    """The previous plan: a warm start, and the reference for minimal disruption."""
    weights: dict[str, int] = field(default_factory=dict)
    """Overrides of `solver.objective.DEFAULT_WEIGHTS`."""
