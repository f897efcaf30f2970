"""Which weeks get which visits, decided for the whole year before any week is planned.

An English school year has about 39 term weeks; a weekly contract owes 46.
The seven extra visits must be seen from day one and spread early and
evenly, not found in July. Per contract: the regular visits go in the weeks
of its phase whose standing day is visitable (the first `owed` of them); the
rest are chosen by a small dynamic programme over the weeks that minimises
`behind_pace` (the objective's own term) plus an estimate of what each
visit costs where it lands: the crowding it causes between its neighbours,
and irregularity when its week has no visit on the standing weekday. A
phase week whose standing day is closed (a bank holiday Monday, an INSET
day) is one such candidate, priced against a second visit in another week.

The result is a list of *expected* visits per week: the week models treat
the future ones as the plan around them, and each week's own ones as what
that week must place.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from solver.cadence import day_of, period_weeks, week_days
from solver.evaluate import crowding_limit, pace_targets
from solver.index import InstanceIndex
from solver.instance import Assignment, week, weekday
from solver.objective import weights
from solver.template import StandingSlot

MAX_EXTRAS_PER_WEEK = 2


@dataclass(frozen=True)
class _Option:
    """Where an extra visit in a given week would go, and its estimated cost."""

    day: int
    cost: int


def expected_visits(
    ix: InstanceIndex, standing: dict[int, StandingSlot], contracts: list[int]
) -> dict[int, list[Assignment]]:
    """Per contract, its expected visits (dates, standing window and technician), by date."""
    out: dict[int, list[Assignment]] = {}
    for c in contracts:
        slot = standing.get(c)
        if slot is None:
            out[c] = _spread(ix, c)
        else:
            out[c] = _with_catch_ups(ix, c, slot)
    return out


def _fixed_weeks(ix: InstanceIndex, c: int) -> set[int]:
    return {week(a.day) for a in ix.fixed_by_contract[c]}


def _with_catch_ups(ix: InstanceIndex, c: int, slot: StandingSlot) -> list[Assignment]:
    contract = ix.instance.contracts[c]
    p = period_weeks(contract)
    fixed_weeks = _fixed_weeks(ix, c)
    regular: dict[int, int] = {}
    for wk in ix.contract_weeks[c]:
        if len(regular) == contract.owed:
            break
        day = day_of(wk, slot.weekday)
        if wk % p == slot.phase and wk not in fixed_weeks and day in ix.visitable[c]:
            regular[wk] = day
    extras = _choose_extras(ix, c, slot, regular, contract.owed - len(regular))
    visits = [Assignment(c, d, slot.window, slot.technician) for d in [*regular.values(), *extras]]
    return sorted(visits, key=lambda a: a.day)


def _choose_extras(
    ix: InstanceIndex, c: int, slot: StandingSlot, regular: dict[int, int], count: int
) -> list[int]:
    """Days of `count` extra visits minimising behind_pace + estimated crowding and irregularity."""
    if count <= 0:
        return []
    w = weights(ix.instance.weights)
    known = sorted([*regular.values(), *(a.day for a in ix.fixed_by_contract[c])])
    targets = pace_targets(ix, c)
    options = [_extra_options(ix, c, slot, wk, regular, known, w) for wk in ix.contract_weeks[c]]
    inf = float("inf")
    # best[e] = (cost, choices) after the weeks seen so far with e extras placed
    best: list[tuple[float, tuple[int, ...]]] = [(0.0, ())] + [(inf, ())] * count
    for k, (end, due) in enumerate(targets):
        base = bisect.bisect_right(known, end)
        nxt: list[tuple[float, tuple[int, ...]]] = [(inf, ())] * (count + 1)
        for e, (cost, picks) in enumerate(best):
            if cost == inf:
                continue
            for n in range(min(len(options[k]), count - e) + 1):
                added = sum(o.cost for o in options[k][:n])
                behind = max(0, due - (base + e + n)) * w["behind_pace"]
                total = cost + added + behind
                if total < nxt[e + n][0]:
                    nxt[e + n] = (total, picks + tuple(o.day for o in options[k][:n]))
        best = nxt
    reachable = [e for e in range(count + 1) if best[e][0] < inf]
    return list(best[max(reachable)][1])


def _extra_options(
    ix: InstanceIndex,
    c: int,
    slot: StandingSlot,
    wk: int,
    regular: dict[int, int],
    known: list[int],
    w: dict[str, int],
) -> list[_Option]:
    """Up to two days for extra visits in week `wk`, cheapest first."""
    limit = crowding_limit(ix.instance.contracts[c])
    taken = set(known)
    days = [d for d in week_days(wk) if d in ix.visitable[c] and d not in taken]
    priced = []
    for d in days:
        i = bisect.bisect_left(known, d)
        before = known[i - 1] if i > 0 else None
        after = known[i] if i < len(known) else None
        crowd = _crowd(before, d, limit) + _crowd(d, after, limit) - _crowd(before, after, limit)
        # A week without its regular visit is regular only if the extra keeps the standing day.
        irregular = wk not in regular and weekday(d) != slot.weekday
        priced.append(_Option(d, crowd * w["crowding"] + w["irregular"] * irregular))
    priced.sort(key=lambda o: (o.cost, o.day))
    return priced[:MAX_EXTRAS_PER_WEEK]


def _crowd(a: int | None, b: int | None, limit: int) -> int:
    return 0 if a is None or b is None else max(0, limit - (b - a))


def _spread(ix: InstanceIndex, c: int) -> list[Assignment]:
    """No standing slot (no cadence, or none fits): owed visits evenly over the weeks."""
    contract = ix.instance.contracts[c]
    weeks = ix.contract_weeks[c]
    if not weeks or contract.owed <= 0 or not ix.eligible[c]:
        return []
    t = ix.eligible[c][0]
    out = []
    for i in range(contract.owed):
        wk = weeks[min(len(weeks) - 1, i * len(weeks) // contract.owed)]
        days = [d for d in week_days(wk) if d in ix.visitable[c]]
        used = {a.day for a in out}
        free = [d for d in days if d not in used]
        if free:
            out.append(Assignment(c, free[len(free) // 2], contract.windows[0], t))
    return out
