"""A lower bound on the objective that holds for any plan, decomposed or not.

The decomposition solves each subproblem given the ones before it, so the
sum of their bounds says nothing about the best plan overall. This bound
does, from two relaxations only:
- placed: a contract cannot get more visits than it has days on which some
  eligible technician is available and its school has no fixed visit;
- travel: a day's route home -> v1 -> ... -> vk -> home is shared out
  exactly among its visits: a leg from or to home belongs to its visit, a
  leg between two schools half to each. A visit alone costs its round trip;
  first or last of a day (when one of its windows has another after or
  before it), one home leg plus half the shortest leg to or from another
  school; in the middle (a window with others on both sides, a day of three
  or more), half its shortest leg in plus half its shortest leg out. The
  cheapest of these over its eligible technicians bounds each visit's share,
  so their sum bounds the plan's travel.
Per contract the relaxation places as many visits as it can when a visit's
travel bound is cheaper than leaving it unplaced. Every other term is
bounded by 0 (regularity, preference and the rest cost something in most
plans), so the reported gap is an honest ceiling on the distance to optimal,
not an estimate of it.
"""

from __future__ import annotations

from solver.index import InstanceIndex
from solver.objective import weights


def lower_bound(ix: InstanceIndex) -> float:
    inst = ix.instance
    w = weights(inst.weights)
    fixed_days = {(ix.school_of(a.contract), a.day) for a in inst.fixed}
    near_in, near_out = _nearest_schools(ix)
    bound = 0.0
    for c, contract in enumerate(inst.contracts):
        usable = sum(
            1
            for d in ix.visitable[c]
            if (contract.school, d) not in fixed_days
            and any(d in inst.technicians[t].available_days for t in ix.eligible[c])
        )
        most = min(contract.owed, usable)
        visit = _visit_travel(ix, c, near_in[c], near_out[c])
        fixed = len(ix.fixed_by_contract[c])
        bound += w["unplaced"] * (contract.owed - most) + w["travel"] * visit * fixed
        bound += most * min(w["travel"] * visit, w["unplaced"])
    return bound


def _visit_travel(ix: InstanceIndex, c: int, near_in: float, near_out: float) -> float:
    """The least share of a day's travel one visit of contract `c` can carry."""
    inst = ix.instance
    here = inst.contracts[c].location
    wins = ix.windows
    count = len(inst.windows)
    roles = set()  # (a visit can come before, one can come after) for some window of c
    for w in inst.contracts[c].windows:
        roles.add(
            (
                any(wins.before(v, w) for v in range(count)),
                any(wins.before(w, v) for v in range(count)),
            )
        )
    best = float("inf")
    for t in ix.eligible[c]:
        home = inst.technicians[t].location
        leave, back = ix.travel(home, here), ix.travel(here, home)
        shares = [leave + back]
        if ix.max_per_day[t] >= 2:
            if any(after for _, after in roles):
                shares.append(leave + near_out / 2)
            if any(before for before, _ in roles):
                shares.append(near_in / 2 + back)
        if ix.max_per_day[t] >= 3 and (True, True) in roles:
            shares.append((near_in + near_out) / 2)
        best = min(best, *shares)
    return 0.0 if best == float("inf") else best


def _nearest_schools(ix: InstanceIndex) -> tuple[list[float], list[float]]:
    """Per contract, the shortest leg from and to another school's site."""
    inst = ix.instance
    sites = sorted({(c.location, c.school) for c in inst.contracts})
    nearest: dict[tuple[int, str], tuple[float, float]] = {}
    for here, school in sites:
        others = [loc for loc, other in sites if other != school]
        row = inst.travel[here]
        nearest[(here, school)] = (
            min((inst.travel[loc][here] for loc in others), default=float("inf")),
            min((row[loc] for loc in others), default=float("inf")),
        )
    pairs = [nearest[(c.location, c.school)] for c in inst.contracts]
    return [p[0] for p in pairs], [p[1] for p in pairs]
