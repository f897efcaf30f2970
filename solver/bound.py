"""A lower bound on the objective that holds for any plan, decomposed or not.

The decomposition solves each subproblem given the ones before it, so the
sum of their bounds says nothing about the best plan overall. This bound
does, from two relaxations only:
- placed: a contract cannot get more visits than it has days on which some
  eligible technician is available and its school has no fixed visit;
- travel: in a day's route home -> v1 -> ... -> vk -> home every visit has
  one leg in and one leg out; each leg is at least the shortest leg that
  could reach or leave that school (from a home within reach or from any
  other school) and is shared by two visits, and the two home legs of a day
  (out to the first school, back from the last) are at least a technician's
  shortest leg out plus shortest leg back, shared by at most a day's visits.
Per contract the relaxation places as many visits as it can when a visit's
travel bound is cheaper than leaving it unplaced. Every other term is
bounded by 0, so the bound is weak and the reported gap an honest ceiling on
the distance to optimal, not an estimate of it.
"""

from __future__ import annotations

from solver.index import InstanceIndex
from solver.objective import weights


def lower_bound(ix: InstanceIndex) -> float:
    inst = ix.instance
    w = weights(inst.weights)
    fixed_days = {(ix.school_of(a.contract), a.day) for a in inst.fixed}
    per_day = max(ix.max_per_day, default=1) or 1
    home_leg = _home_legs(ix)
    locations = sorted({c.location for c in inst.contracts})
    bound = 0.0
    for c, contract in enumerate(inst.contracts):
        usable = sum(
            1
            for d in ix.visitable[c]
            if (contract.school, d) not in fixed_days
            and any(d in inst.technicians[t].available_days for t in ix.eligible[c])
        )
        most = min(contract.owed, usable)
        visit = _visit_travel(ix, c, locations) + home_leg / (2 * per_day)
        fixed = len(ix.fixed_by_contract[c])
        bound += w["unplaced"] * (contract.owed - most) + w["travel"] * visit * fixed
        bound += most * min(w["travel"] * visit, w["unplaced"])
    return bound


def _visit_travel(ix: InstanceIndex, c: int, locations: list[int]) -> float:
    """Half the cheapest leg into the school plus half the cheapest leg out of it."""
    inst = ix.instance
    if not ix.eligible[c]:
        return 0.0
    here = inst.contracts[c].location
    homes = [inst.technicians[t].location for t in ix.eligible[c]]
    others = [loc for loc in locations if loc != here]
    best_in = min([ix.travel(h, here) for h in homes] + [ix.travel(o, here) for o in others])
    best_out = min([ix.travel(here, h) for h in homes] + [ix.travel(here, o) for o in others])
    return (best_in + best_out) / 2


def _home_legs(ix: InstanceIndex) -> float:
    """The least any technician's day can spend on its first and last legs."""
    inst = ix.instance
    out: dict[int, int] = {}
    back: dict[int, int] = {}
    for c, contract in enumerate(inst.contracts):
        for t in ix.eligible[c]:
            home = inst.technicians[t].location
            out[t] = min(out.get(t, 10**9), ix.travel(home, contract.location))
            back[t] = min(back.get(t, 10**9), ix.travel(contract.location, home))
    return min((out[t] + back[t] for t in out), default=0)
