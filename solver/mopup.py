"""Phase 3 of the decomposition: visits still owed after the weeks, into any hole of the year.

A visit the weeks could not place (its week was full, its technicians
away) may still fit a free window elsewhere in the contract's period. The
candidates are the slots that fit the plan as it stands, preferring weeks
the contract has no visit in and earlier ones (pace), for its standing
technician and the nearest eligible ones; one model picks among them with
every term priced, the dispatcher's first-fit as hint and fallback.
"""

from __future__ import annotations

from collections.abc import Callable

from solver.cpsat import Clock
from solver.index import InstanceIndex, Slot
from solver.instance import week
from solver.occupancy import Occupancy
from solver.params import PhaseStats, Progress, SolveParams
from solver.template import StandingSlot
from solver.weekly import Tally, place_with_model

SLOTS_PER_MISSING_VISIT = 12
MIN_SLOTS = 40


def mop_up(
    ix: InstanceIndex,
    occ: Occupancy,
    standing: dict[int, StandingSlot],
    params: SolveParams,
    clock: Clock,
    budget: float,
    on_progress: Callable[[Progress], None] | None = None,
) -> PhaseStats:
    tally = Tally("mop-up")
    missing = {
        c: contract.owed - occ.placed[c]
        for c, contract in enumerate(ix.instance.contracts)
        if contract.owed - occ.placed[c] > 0
    }
    slots = [s for c, n in missing.items() for s in _holes(ix, occ, c, n, standing.get(c), params)]
    if slots:
        todo = {c: n for c, n in missing.items() if any(s[0] == c for s in slots)}
        wall = clock.slice(1.0, 0.0)
        place_with_model(
            ix, occ, slots, todo, [], params, clock, budget, wall, "mop-up", tally, on_progress
        )
    return tally.stats()


def _holes(
    ix: InstanceIndex,
    occ: Occupancy,
    c: int,
    missing: int,
    slot: StandingSlot | None,
    params: SolveParams,
) -> list[Slot]:
    techs = list(ix.eligible[c][: params.week_technicians + 1])
    if slot is not None and slot.technician not in techs:
        techs.insert(0, slot.technician)
    visited = {week(a.day) for a in (*ix.fixed_by_contract[c], *occ.by_contract(c))}
    days = sorted(ix.visitable[c], key=lambda d: (week(d) in visited, d))
    out: list[Slot] = []
    limit = max(MIN_SLOTS, SLOTS_PER_MISSING_VISIT * missing)
    for d in days:
        for w in ix.instance.contracts[c].windows:
            for t in techs:
                if occ.fits(c, d, w, t):
                    out.append((c, d, w, t))
                    if len(out) >= limit:
                        return out
    return out
