"""Lookups derived once from an `Instance`, so rules and heuristics stay O(1) per question.

The instance stores tuples (hashable, frozen); every rule asks "is this day
visitable", "does this window overlap that one", "how far is it" thousands of
times, so the sets and window relations are computed here once.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from solver.instance import Assignment, Instance, week

Slot = tuple[int, int, int, int]
"""(contract, day, window, technician): one possible visit."""


def slot_of(a: Assignment) -> Slot:
    return (a.contract, a.day, a.window, a.technician)


@dataclass(frozen=True)
class Windows:
    """Time relations between the instance's windows (all families together)."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def before(self, a: int, b: int) -> bool:
        """`a` ends no later than `b` starts: they can be on one technician-day in this order."""
        return self.ends[a] <= self.starts[b]

    def gap(self, a: int, b: int) -> int:
        return self.starts[b] - self.ends[a]

    def between(self, a: int, b: int) -> tuple[int, ...]:
        """Windows that fit strictly inside the gap from `a` to `b`."""
        return tuple(
            w
            for w in range(len(self.starts))
            if self.starts[w] >= self.ends[a] and self.ends[w] <= self.starts[b]
        )

    def most_disjoint(self, subset: Iterable[int] | None = None) -> int:
        """Most of these windows (all by default) that fit in one day without overlapping."""
        chosen = range(len(self.starts)) if subset is None else set(subset)
        count, end = 0, -1
        for w in sorted(chosen, key=lambda w: self.ends[w]):  # earliest end first is optimal
            if self.starts[w] >= end:
                count, end = count + 1, self.ends[w]
        return count

    @cached_property
    def cliques(self) -> tuple[tuple[int, ...], ...]:
        """Maximal sets of pairwise-overlapping windows, singletons included.

        Windows are intervals, so every maximal clique is the set of windows
        open at some window's start: "at most one visit per clique" is exactly
        "no two visits overlap".
        """
        at_starts = {
            frozenset(w for w in range(len(self.starts)) if self.starts[w] <= s < self.ends[w])
            for s in self.starts
        }
        return tuple(
            tuple(sorted(c))
            for c in sorted(at_starts, key=lambda c: sorted(c))
            if not any(c < other for other in at_starts)
        )


@dataclass
class InstanceIndex:
    instance: Instance
    visitable: list[frozenset[int]] = field(init=False)
    eligible: list[tuple[int, ...]] = field(init=False)
    """Listed technicians whose commute to the school fits both ways (sorted by round trip)."""
    listed: list[frozenset[int]] = field(init=False)
    reachable: list[frozenset[int]] = field(init=False)
    """Technicians whose commute to the school fits both ways (listed or not)."""
    windows_ok: list[frozenset[int]] = field(init=False)
    """The contract's windows that lie inside the onsite hours."""
    windows: Windows = field(init=False)
    school_contracts: dict[str, tuple[int, ...]] = field(init=False)
    fixed_keys: frozenset[Slot] = field(init=False)

    def __post_init__(self) -> None:
        inst = self.instance
        self.visitable = [
            frozenset(c.term_days) | frozenset(c.holiday_days) for c in inst.contracts
        ]
        self.windows = Windows(
            tuple(w.start for w in inst.windows), tuple(w.end for w in inst.windows)
        )
        self.listed = [frozenset(c.technicians) for c in inst.contracts]
        self.reachable = [
            frozenset(t for t in range(len(inst.technicians)) if self._commute_fits(i, t))
            for i in range(len(inst.contracts))
        ]
        self.windows_ok = [
            frozenset(
                w
                for w in c.windows
                if 0 <= w < len(inst.windows)
                and inst.windows[w].start >= inst.onsite_start
                and inst.windows[w].end <= inst.onsite_end
            )
            for c in inst.contracts
        ]
        self.eligible = [
            tuple(
                sorted(
                    (t for t in c.technicians if self.commute_ok(i, t)),
                    key=lambda t, i=i: (self.round_trip(i, t), t),
                )
            )
            for i, c in enumerate(inst.contracts)
        ]
        schools: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(inst.contracts):
            schools[c.school].append(i)
        self.school_contracts = {s: tuple(cs) for s, cs in schools.items()}
        self.fixed_keys = frozenset(slot_of(a) for a in inst.fixed)

    def travel(self, a: int, b: int) -> int:
        return int(self.instance.travel[a][b])

    def round_trip(self, contract: int, technician: int) -> int:
        home = self.instance.technicians[technician].location
        school = self.instance.contracts[contract].location
        return self.travel(home, school) + self.travel(school, home)

    def _commute_fits(self, contract: int, technician: int) -> bool:
        tech = self.instance.technicians[technician]
        school = self.instance.contracts[contract].location
        return (
            self.travel(tech.location, school) <= tech.max_commute
            and self.travel(school, tech.location) <= tech.max_commute
        )

    def commute_ok(self, contract: int, technician: int) -> bool:
        return technician in self.reachable[contract]

    def window_ok(self, contract: int, window: int) -> bool:
        return window in self.windows_ok[contract]

    def school_of(self, contract: int) -> str:
        return self.instance.contracts[contract].school

    def nearest_others(self, contracts: Sequence[int], k: int) -> dict[int, list[int]]:
        """Each contract's k nearest among `contracts` of other schools (travel both ways)."""
        inst = self.instance
        out = {}
        for a in contracts:
            la = inst.contracts[a].location

            def dist(b: int, la: int = la) -> tuple[int, int]:
                lb = inst.contracts[b].location
                return (self.travel(la, lb) + self.travel(lb, la), b)

            others = (b for b in contracts if inst.contracts[b].school != inst.contracts[a].school)
            out[a] = heapq.nsmallest(k, others, key=dist)
        return out

    @cached_property
    def contract_weeks(self) -> list[tuple[int, ...]]:
        """Per contract, the sorted weeks that hold at least one visitable day."""
        return [tuple(sorted({week(d) for d in days})) for days in self.visitable]

    @cached_property
    def fixed_by_contract(self) -> list[list[Assignment]]:
        out: list[list[Assignment]] = [[] for _ in self.instance.contracts]
        for a in self.instance.fixed:
            out[a.contract].append(a)
        return out

    @cached_property
    def hints_by_contract(self) -> list[list[Assignment]]:
        out: list[list[Assignment]] = [[] for _ in self.instance.contracts]
        for a in self.instance.hint:
            out[a.contract].append(a)
        return out

    @cached_property
    def max_per_day(self) -> list[int]:
        """Visits a technician can make in a day: the cap, or fewer if the windows allow fewer."""
        disjoint = self.windows.most_disjoint()
        return [min(t.max_visits_per_day, disjoint) for t in self.instance.technicians]
