"""Standing slots: a contract's regular (weekday, window, technician, phase).

A slot repeats every P weeks (P = the cadence in weeks), so capacity is
counted on a *template*: for each technician, weekday and week residue
`week % R` (R = the least common multiple of every P in the book), the
contracts whose slot is active in that residue must form a feasible day.
A fortnightly contract of phase 0 and one of phase 1 can then share a
technician's Tuesday AM, and a weekly one blocks it for both.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass

from solver.cadence import day_of, period_weeks
from solver.index import InstanceIndex


@dataclass(frozen=True, order=True)
class StandingSlot:
    weekday: int
    window: int
    technician: int
    phase: int
    """The week residue `week % P` the contract visits in (0 for weekly)."""


def residues(ix: InstanceIndex) -> int:
    """R: one template week per residue covers every cadence in the book."""
    periods = {period_weeks(c) for c in ix.instance.contracts} - {0}
    return math.lcm(*periods) if periods else 1


def active(period: int, phase: int, r_count: int) -> range:
    """Template residues in which a slot of this period and phase visits."""
    return range(phase, r_count, period)


def phase_weeks(ix: InstanceIndex, contract: int, phase: int) -> list[int]:
    """The contract's weeks (with a visitable day) that fall in this phase."""
    p = period_weeks(ix.instance.contracts[contract])
    return [wk for wk in ix.contract_weeks[contract] if p and wk % p == phase]


@dataclass(frozen=True)
class Coverage:
    """How a standing slot meets the contract's calendar, week by phase week."""

    usable: int
    """Weeks the standing day is visitable and the technician available."""
    day_blocked: int
    """Weeks the standing day is not visitable (the visit must move to another day)."""
    tech_away: int
    """Weeks the day is fine but the technician is not available (another must go)."""


def coverage(ix: InstanceIndex, contract: int, slot: StandingSlot) -> Coverage:
    usable = blocked = away = 0
    days = ix.visitable[contract]
    available = ix.instance.technicians[slot.technician].available_days
    for wk in phase_weeks(ix, contract, slot.phase):
        day = day_of(wk, slot.weekday)
        if day not in days:
            blocked += 1
        elif day not in available:
            away += 1
        else:
            usable += 1
    return Coverage(usable, blocked, away)


def preference_rank(ix: InstanceIndex, contract: int, weekday: int, window: int) -> int:
    """0 meets every stated wish, 1 only the weekday, 2 only the window, 3 neither."""
    c = ix.instance.contracts[contract]
    day_ok = c.preferred_weekday is None or c.preferred_weekday == weekday
    window_ok = c.preferred_window is None or c.preferred_window == window
    return (0 if window_ok else 1) if day_ok else (2 if window_ok else 3)


class Template:
    """Standing slots placed so far, checked with the day rules on every active residue."""

    def __init__(self, ix: InstanceIndex) -> None:
        self.ix = ix
        self.r_count = residues(ix)
        self._day: dict[tuple[int, int, int], list[tuple[int, int, int]]] = defaultdict(list)
        """(technician, weekday, residue) -> sorted (window start, window, contract)."""
        self._school: set[tuple[str, int, int]] = set()
        self.slots: dict[int, StandingSlot] = {}

    def _keys(self, contract: int, slot: StandingSlot) -> range:
        p = period_weeks(self.ix.instance.contracts[contract])
        return active(p, slot.phase, self.r_count)

    def fits(self, contract: int, slot: StandingSlot) -> bool:
        ix = self.ix
        school = ix.school_of(contract)
        for r in self._keys(contract, slot):
            if (school, slot.weekday, r) in self._school:
                return False
            if not self._day_fits(
                contract, slot, self._day.get((slot.technician, slot.weekday, r), [])
            ):
                return False
        return True

    def _day_fits(
        self, contract: int, slot: StandingSlot, visits: list[tuple[int, int, int]]
    ) -> bool:
        ix = self.ix
        if len(visits) >= ix.max_per_day[slot.technician]:
            return False
        wins = ix.windows
        here = ix.instance.contracts[contract].location
        pos = bisect.bisect_left(visits, (wins.starts[slot.window], slot.window, -1))
        if pos > 0:
            _, w, c = visits[pos - 1]
            there = ix.instance.contracts[c].location
            if not wins.before(w, slot.window) or ix.travel(there, here) > wins.gap(w, slot.window):
                return False
        if pos < len(visits):
            _, w, c = visits[pos]
            there = ix.instance.contracts[c].location
            if not wins.before(slot.window, w) or ix.travel(here, there) > wins.gap(slot.window, w):
                return False
        return True

    def add(self, contract: int, slot: StandingSlot) -> None:
        school = self.ix.school_of(contract)
        start = self.ix.windows.starts[slot.window]
        for r in self._keys(contract, slot):
            bisect.insort(
                self._day[(slot.technician, slot.weekday, r)], (start, slot.window, contract)
            )
            self._school.add((school, slot.weekday, r))
        self.slots[contract] = slot

    def room(self, contract: int, slot: StandingSlot, residue: int) -> bool:
        """Whether the contract could also visit on `slot` in week residue `residue`, besides
        the slots of the template (its own excluded): an off-phase catch-up on its slot."""
        others = [
            v
            for v in self._day.get((slot.technician, slot.weekday, residue), ())
            if v[2] != contract
        ]
        return self._day_fits(contract, slot, others)

    def load(self, technician: int, weekday: int) -> int:
        return sum(len(self._day.get((technician, weekday, r), ())) for r in range(self.r_count))
