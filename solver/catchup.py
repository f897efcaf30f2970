"""Which weeks get which visits, decided for the whole year before any week is planned.

An English school year has about 39 term weeks; a weekly contract owes 46.
The seven extra visits must be seen from day one and spread early and
evenly, not found in July. Per contract, a small dynamic programme over its
weeks chooses how many visits each week gets (0, 1 or 2) so that exactly
`owed` are placed, minimising `behind_pace` (the objective's own term) plus
an estimate of what each visit costs where it lands:
- the week's first visit on the standing slot costs nothing when the slot
  will be there (day visitable, technician available, no other contract of
  the template in that window that week); another technician free in that
  window costs `discontinuity`; otherwise, or on another weekday, the week
  is `irregular`;
- a second visit in a week costs the crowding it causes;
- a visit beyond the standing slot's own costs a little more the busier the
  technicians who could take it (the standing one and the nearest eligible,
  as in the week models) are expected to be that week, and `discontinuity`
  per visit beyond `BUSY` of what they can do: it would have to go further,
  or wait. Without this every weekly contract would take its catch-ups in
  the same weeks, since `behind_pace` makes them all due together.
So a week whose standing day is closed (a bank holiday, an INSET day) or
whose slot is taken is skipped when a double elsewhere is cheaper, a
fortnightly contract catches up in an off week when its slot is free then,
a holiday week of an open site is taken first, and contracts (planned one
after another, hardest to staff first) do not all pile their catch-ups into
the same quiet weeks before a half-term.

The result is a list of *expected* visits per contract: the week models
treat the future ones as the plan around them, and each week's own as what
that week must place.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace

from solver.cadence import day_of, period_weeks, week_days
from solver.evaluate import crowding_limit, pace_targets
from solver.index import InstanceIndex
from solver.instance import Assignment, week, weekday
from solver.objective import weights
from solver.template import StandingSlot, Template

BUSY = 0.8
"""Share of a week's visits a pool of technicians can take before catch-ups are steered away."""
SPREAD = 10
"""Most a catch-up pays for a busy (but not overfull) week: enough to break ties."""
POOL = 3
"""Nearest eligible technicians counted with the standing one (the week models' candidates)."""


@dataclass(frozen=True)
class _Week:
    """The cheapest first and second visit a week can take, as (cost, day)."""

    first: tuple[int, int] | None
    second: tuple[int, int] | None


def expected_visits(
    ix: InstanceIndex, standing: dict[int, StandingSlot], contracts: list[int]
) -> dict[int, list[Assignment]]:
    """Per contract, its expected visits (dates, standing window and technician), by date."""
    template = Template(ix)
    for c, slot in standing.items():
        template.add(c, slot)
    load = _Load(ix)
    regular = {c: _regular_days(ix, c, slot) for c, slot in standing.items()}
    for c, days in regular.items():
        for d in days:
            load.add(standing[c].technician, d, 1)
    out: dict[int, list[Assignment]] = {}
    for c in contracts:
        slot = standing.get(c)
        if slot is None:
            out[c] = _spread(ix, c)
            continue
        out[c] = _schedule(ix, template, load, c, slot, regular[c])
        planned = {a.day for a in out[c]}
        for d in regular[c] - planned:
            load.add(slot.technician, d, -1)
        for d in planned - regular[c]:
            load.add(slot.technician, d, 1)
    return out


class _Load:
    """Expected visits per technician and week, against what their available days hold."""

    def __init__(self, ix: InstanceIndex) -> None:
        self.ix = ix
        self.count: dict[tuple[int, int], int] = {}

    def add(self, technician: int, day: int, n: int) -> None:
        key = (technician, week(day))
        self.count[key] = self.count.get(key, 0) + n

    def price(self, pool: list[int], day: int, over: int) -> int:
        """What one more visit in the pool's week of `day` costs: up to `SPREAD` as the week
        fills, plus `over` per visit beyond `BUSY` of what the pool can do."""
        wk = week(day)
        room = sum(
            self.ix.max_per_day[t]
            * sum(1 for d in week_days(wk) if d in self.ix.instance.technicians[t].available_days)
            for t in pool
        )
        expected = sum(self.count.get((t, wk), 0) for t in pool) + 1
        if room == 0:
            return over
        return round(SPREAD * expected / room) + over * max(0, math.ceil(expected - BUSY * room))


def _regular_days(ix: InstanceIndex, c: int, slot: StandingSlot) -> set[int]:
    """Standing-slot days the contract is expected to keep (visitable, in its phase)."""
    p = period_weeks(ix.instance.contracts[c])
    days = {day_of(wk, slot.weekday) for wk in ix.contract_weeks[c] if wk % p == slot.phase}
    return days & ix.visitable[c]


def _schedule(
    ix: InstanceIndex,
    template: Template,
    load: _Load,
    c: int,
    slot: StandingSlot,
    regular: set[int],
) -> list[Assignment]:
    contract = ix.instance.contracts[c]
    w = weights(ix.instance.weights)
    fixed_days = sorted(a.day for a in ix.fixed_by_contract[c])
    known = sorted(regular | set(fixed_days))
    weeks = [
        _options(ix, template, load, c, slot, wk, known, regular, fixed_days, w)
        for wk in ix.contract_weeks[c]
    ]
    days = _choose(ix, c, weeks, fixed_days, contract.owed, w["behind_pace"])
    return [Assignment(c, d, slot.window, slot.technician) for d in sorted(days)]


def _options(
    ix: InstanceIndex,
    template: Template,
    load: _Load,
    c: int,
    slot: StandingSlot,
    wk: int,
    known: list[int],
    regular: set[int],
    fixed_days: list[int],
    w: dict[str, int],
) -> _Week:
    limit = crowding_limit(ix.instance.contracts[c])
    days = [d for d in week_days(wk) if d in ix.visitable[c] and d not in fixed_days]
    pool = [slot.technician, *(t for t in ix.eligible[c][:POOL] if t != slot.technician)]

    def crowded(d: int) -> int:
        """Further to go, or a wait, when the technicians who could go are busy that week."""
        return 0 if d in regular else load.price(pool, d, w["discontinuity"])

    if any(d in week_days(wk) for d in fixed_days):
        first = None  # a fixed visit already makes the week visited
        anchor = next(d for d in fixed_days if d in week_days(wk))
    else:
        priced = [
            (
                _first_cost(ix, template, c, slot, wk, d, w)
                + _crowd(known, d, limit) * w["crowding"]
                + crowded(d),
                d,
            )
            for d in days
        ]
        first = min(priced, default=None)
        anchor = first[1] if first else None
    second = None
    if anchor is not None:
        others = [d for d in days if d != anchor]
        with_anchor = sorted({*known, anchor})
        priced = [(_crowd(with_anchor, d, limit) * w["crowding"] + crowded(d), d) for d in others]
        second = min(priced, default=None)
    return _Week(first, second)


def _first_cost(
    ix: InstanceIndex,
    template: Template,
    c: int,
    slot: StandingSlot,
    wk: int,
    d: int,
    w: dict[str, int],
) -> int:
    """What the week's only visit on day d is expected to cost in regularity and continuity."""
    if weekday(d) != slot.weekday:
        return w["irregular"]
    r = wk % template.r_count
    techs = ix.instance.technicians
    if d in techs[slot.technician].available_days and template.room(c, slot, r):
        return 0
    if any(
        d in techs[t].available_days and template.room(c, replace(slot, technician=t), r)
        for t in ix.eligible[c]
    ):
        return w["discontinuity"]
    return w["irregular"] + w["discontinuity"]


def _crowd(known: list[int], d: int, limit: int) -> int:
    """Crowding added by a visit on day d between the known visits around it."""
    i = bisect.bisect_left(known, d)
    before = known[i - 1] if i > 0 else None
    j = i + 1 if i < len(known) and known[i] == d else i
    after = known[j] if j < len(known) else None

    def cost(a: int | None, b: int | None) -> int:
        return 0 if a is None or b is None else max(0, limit - (b - a))

    if i < len(known) and known[i] == d:
        return 0  # d is itself a known (standing) day: its crowding is the baseline
    return cost(before, d) + cost(d, after) - cost(before, after)


def _choose(
    ix: InstanceIndex,
    c: int,
    weeks: list[_Week],
    fixed_days: list[int],
    owed: int,
    pace_weight: int,
) -> list[int]:
    """Days of exactly `owed` visits (or as many as fit) minimising pace plus option costs."""
    targets = pace_targets(ix, c)
    inf = float("inf")
    best: list[tuple[float, tuple[int, ...]]] = [(0.0, ())] + [(inf, ())] * owed
    for (end, due), options in zip(targets, weeks, strict=True):
        fixed_done = bisect.bisect_right(fixed_days, end)
        choices: list[tuple[int, tuple[int, ...]]] = [(0, ())]
        if options.first:
            choices.append((options.first[0], (options.first[1],)))
            if options.second:
                choices.append(
                    (options.first[0] + options.second[0], (options.first[1], options.second[1]))
                )
        elif options.second:
            choices.append((options.second[0], (options.second[1],)))
        nxt: list[tuple[float, tuple[int, ...]]] = [(inf, ())] * (owed + 1)
        for e, (cost, picks) in enumerate(best):
            if cost == inf:
                continue
            for extra, days in choices:
                n = e + len(days)
                if n > owed:
                    continue
                total = cost + extra + pace_weight * max(0, due - fixed_done - n)
                if total < nxt[n][0]:
                    nxt[n] = (total, picks + days)
        best = nxt
    reachable = [e for e in range(owed + 1) if best[e][0] < inf]
    return list(best[max(reachable)][1])


def _spread(ix: InstanceIndex, c: int) -> list[Assignment]:
    """No standing slot (no cadence, or none fits): owed visits evenly over the weeks."""
    contract = ix.instance.contracts[c]
    weeks = ix.contract_weeks[c]
    if not weeks or contract.owed <= 0 or not ix.eligible[c]:
        return []
    t = ix.eligible[c][0]
    out: list[Assignment] = []
    for i in range(contract.owed):
        wk = weeks[min(len(weeks) - 1, i * len(weeks) // contract.owed)]
        used = {a.day for a in out}
        free = [d for d in week_days(wk) if d in ix.visitable[c] and d not in used]
        if free:
            out.append(Assignment(c, free[len(free) // 2], contract.windows[0], t))
    return out
