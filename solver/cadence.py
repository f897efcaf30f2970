"""Cadence periods, phases, and the `scheduled` / `make_up` label of a visit.

Weeks are `instance.week(day)` keys, so every contract shares one grid of
weeks; a contract with a cadence of P weeks (1 weekly, 2 fortnightly, 4
monthly) visits in the weeks whose `week % P` equals its *phase*.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from solver.instance import Assignment, Contract, Instance, Kind, week


def period_weeks(contract: Contract) -> int:
    """Weeks per cadence period (1, 2, 4), or 0 for a contract without a cadence."""
    if contract.cadence_days <= 0:
        return 0
    return max(1, round(contract.cadence_days / 7))


def day_of(week_key: int, wd: int) -> int:
    """The ordinal of weekday `wd` (0 = Monday) in week `week_key`: inverse of week()/weekday()."""
    return week_key * 7 + 1 + wd


def week_days(week_key: int) -> range:
    """Monday to Friday of a week."""
    return range(day_of(week_key, 0), day_of(week_key, 5))


def label(instance: Instance, placed: tuple[Assignment, ...]) -> tuple[Assignment, ...]:
    """Give each placed visit its kind, as the roster shows it.

    For a contract with a cadence of P weeks, its *phase* is the most common
    `week % P` among the term-day visits of the plan (fixed and placed; the
    smallest on ties), and its cadence periods are the blocks of P weeks that
    start at a week of that phase. A placed visit is `scheduled` when it is on
    one of the contract's term days and no earlier visit of the contract (fixed
    or placed) on a term day lies in the same period; every other visit -- a
    second visit in a period, a visit on a holiday day, an off-cadence catch-up
    in a period already visited -- is `make_up`. A contract without a cadence
    has no regular pattern to go beyond: all its visits are `scheduled`.
    Fixed visits keep the kind they came with and are not returned.
    """
    days: dict[int, list[int]] = {}
    for a in (*instance.fixed, *placed):
        days.setdefault(a.contract, []).append(a.day)
    decided: dict[tuple[int, int], Kind] = {}
    for c, visit_days in days.items():
        contract = instance.contracts[c]
        p = period_weeks(contract)
        term = frozenset(contract.term_days)
        counts = Counter(week(d) % p for d in visit_days if p and d in term)
        phase = min(counts, key=lambda r: (-counts[r], r)) if counts else 0
        seen: set[int] = set()
        for day in sorted(visit_days):
            if p == 0:
                decided[(c, day)] = "scheduled"
            elif day not in term:
                decided[(c, day)] = "make_up"
            else:
                period = (week(day) - phase) // p
                decided[(c, day)] = "make_up" if period in seen else "scheduled"
                seen.add(period)
    return tuple(replace(a, kind=decided[(a.contract, a.day)]) for a in placed)
