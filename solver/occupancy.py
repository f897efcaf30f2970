"""The hard rules checked one insertion at a time, for the greedy and the repair fallbacks.

A heuristic that places visits one by one needs "may this visit go here,
given everything placed so far" in O(visits that day), not a full re-check.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict

from solver.index import InstanceIndex
from solver.instance import Assignment
from solver.rules import commute, eligible_technician, visitable_days


class Occupancy:
    """A partial plan (fixed visits included) that only ever grows by rule-abiding visits."""

    def __init__(self, ix: InstanceIndex) -> None:
        self.ix = ix
        self._day: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
        """(technician, day) -> sorted (window start, window, contract)."""
        self._school_days: set[tuple[str, int]] = set()
        self.placed: Counter[int] = Counter()
        """Non-fixed visits per contract."""
        self._visits: dict[Assignment, None] = {}
        """Insertion-ordered set: removing a visit is O(1)."""
        self._by_contract: dict[int, dict[Assignment, None]] = defaultdict(dict)
        for a in ix.instance.fixed:
            self._insert(a)

    def _insert(self, a: Assignment) -> None:
        start = self.ix.instance.windows[a.window].start
        bisect.insort(self._day[(a.technician, a.day)], (start, a.window, a.contract))
        self._school_days.add((self.ix.school_of(a.contract), a.day))

    def add(self, a: Assignment) -> None:
        """Record a visit that `fits`; the caller has checked."""
        self._insert(a)
        self.placed[a.contract] += 1
        self._visits[a] = None
        self._by_contract[a.contract][a] = None

    def remove(self, a: Assignment) -> None:
        start = self.ix.instance.windows[a.window].start
        self._day[(a.technician, a.day)].remove((start, a.window, a.contract))
        self._school_days.discard((self.ix.school_of(a.contract), a.day))
        self.placed[a.contract] -= 1
        del self._visits[a]
        del self._by_contract[a.contract][a]

    @property
    def visits(self) -> list[Assignment]:
        """Non-fixed visits placed so far, in the order they were added."""
        return list(self._visits)

    def by_contract(self, contract: int) -> list[Assignment]:
        """Non-fixed visits of one contract placed so far."""
        return list(self._by_contract.get(contract, ()))

    def school_busy(self, contract: int, day: int) -> bool:
        return (self.ix.school_of(contract), day) in self._school_days

    def fits(self, contract: int, day: int, window: int, technician: int) -> bool:
        """True when adding the visit keeps every hard rule."""
        return self.placed[contract] < self.ix.instance.contracts[contract].owed and self.fits_one(
            contract, day, window, technician
        )

    def fits_one(self, contract: int, day: int, window: int, technician: int) -> bool:
        """`fits`, whatever the contract's count: for a visit moving from another day."""
        ix = self.ix
        return (
            visitable_days.allows(ix, contract, day, window)
            and eligible_technician.allows(ix, contract, day, technician)
            and commute.allows(ix, contract, technician)
            and not self.school_busy(contract, day)
            and self.day_fits(contract, day, window, technician)
        )

    def day_fits(self, contract: int, day: int, window: int, technician: int) -> bool:
        """Capacity, no overlap, and travel fitting the gaps on either side."""
        ix = self.ix
        visits = self._day.get((technician, day), [])
        if len(visits) >= ix.instance.technicians[technician].max_visits_per_day:
            return False
        wins = ix.windows
        here = ix.instance.contracts[contract].location
        start = wins.starts[window]
        pos = bisect.bisect_left(visits, (start, window, -1))
        if pos > 0:
            _, w_prev, c_prev = visits[pos - 1]
            prev = ix.instance.contracts[c_prev].location
            if not wins.before(w_prev, window) or ix.travel(prev, here) > wins.gap(w_prev, window):
                return False
        if pos < len(visits):
            _, w_next, c_next = visits[pos]
            nxt = ix.instance.contracts[c_next].location
            if not wins.before(window, w_next) or ix.travel(here, nxt) > wins.gap(window, w_next):
                return False
        return True
