"""Phase 3 of the decomposition: visits still owed after the weeks, placed by making room.

A visit the weeks could not place is usually short of technicians, not of
days: the few who may go to that school are fully booked, partly by
contracts that could have had someone else. So one repair model per round:
- the owed visits may go on any of up to `DAYS_PER_CONTRACT` days (weeks
  without a visit of the contract first, then the earliest, for pace), in
  any window, with any eligible technician;
- every visit already on those technicians' days may stay, or move to
  another eligible technician in the same day and window (its slot and
  regularity kept, continuity and travel priced by the usual terms), and
  must be in exactly one of those places.
Every other visit is the plan around the model. The current plan, with the
owed visits first-fit where they fit, is the hint and the fallback.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from solver import model as visit_model
from solver.cpsat import Clock, run
from solver.index import InstanceIndex, Slot, slot_of
from solver.instance import Assignment, week
from solver.occupancy import Occupancy
from solver.params import PhaseStats, Progress, SolveParams
from solver.weekly import Tally, add_all

DAYS_PER_CONTRACT = 30
"""Candidate days per contract still owed visits: enough choice, a model that stays small."""
TECHNICIANS = 6
"""Nearest eligible technicians an owed visit may go to."""
MOVES = 3
"""Other technicians a visit making room may move to (nearest that fit)."""


def mop_up(
    ix: InstanceIndex,
    occ: Occupancy,
    params: SolveParams,
    clock: Clock,
    budget: float,
    on_progress: Callable[[Progress], None] | None = None,
) -> PhaseStats:
    tally = Tally("mop-up")
    missing = {
        c: contract.owed - occ.placed[c]
        for c, contract in enumerate(ix.instance.contracts)
        if contract.owed > occ.placed[c] and ix.eligible[c]
    }
    if not missing:
        return tally.stats()
    days = {c: _days(ix, occ, c) for c in missing}
    techs = {c: ix.eligible[c][:TECHNICIANS] for c in missing}
    tech_days = {(t, d) for c in missing for d in days[c] for t in techs[c]}
    movable = [a for a in occ.visits if (a.technician, a.day) in tech_days]
    for a in movable:
        occ.remove(a)
    moves = {a: _moves(ix, occ, a) for a in movable}
    for a in movable:
        occ.add(a)
    owed_slots = [
        (c, d, w, t)
        for c in missing
        for d in days[c]
        for w in ix.instance.contracts[c].windows
        for t in techs[c]
        if d in ix.instance.technicians[t].available_days
    ]
    fallback = _first_fit(occ, owed_slots, missing)
    vm = visit_model.build(
        ix,
        [*owed_slots, *(s for a in movable for s in moves[a])],
        [*ix.instance.fixed, *(a for a in occ.visits if a not in moves and a not in fallback)],
        constants=False,
    )
    for a in movable:  # a visit that makes room moves, it is not dropped
        vm.model.add_exactly_one(vm.vars.lit[s] for s in moves[a])
    hinted = {slot_of(a) for a in (*movable, *fallback)}
    for slot, lit in vm.vars.lit.items():
        if slot not in vm.vars.pinned:
            vm.model.add_hint(lit, slot in hinted)
    result = run(
        vm.model, params, budget, clock.slice(1.0, 0.0), "mop-up", on_progress, clock=clock
    )
    tally.record(result)
    if not result.ok:
        return tally.stats()
    chosen = visit_model.chosen(result.solver, vm.vars)
    for a in (*movable, *fallback):
        occ.remove(a)
    if not add_all(occ, chosen):
        add_all(occ, [*movable, *fallback])
    return tally.stats()


def _days(ix: InstanceIndex, occ: Occupancy, c: int) -> list[int]:
    visited = {week(a.day) for a in (*ix.fixed_by_contract[c], *occ.by_contract(c))}
    free = [d for d in sorted(ix.visitable[c]) if not occ.school_busy(c, d)]
    return sorted(free, key=lambda d: (week(d) in visited, d))[:DAYS_PER_CONTRACT]


def _moves(ix: InstanceIndex, occ: Occupancy, a: Assignment) -> list[Slot]:
    """Where a visit may go to make room: where it is, or the same day and window with
    another eligible technician who has room (its own visit taken out of the plan)."""
    here = slot_of(a)
    others = [
        (a.contract, a.day, a.window, t)
        for t in ix.eligible[a.contract]
        if t != a.technician and occ.fits(a.contract, a.day, a.window, t)
    ]
    return [here, *others[:MOVES]]


def _first_fit(occ: Occupancy, slots: list[Slot], missing: dict[int, int]) -> list[Assignment]:
    """The owed visits wherever they fit as the plan stands (left in `occ`)."""
    by_contract: dict[int, list[Slot]] = defaultdict(list)
    for s in slots:
        by_contract[s[0]].append(s)
    placed: list[Assignment] = []
    for c, options in by_contract.items():
        count = 0
        for s in options:
            if count >= missing[c]:
                break
            if occ.fits(*s):
                a = Assignment(*s)
                occ.add(a)
                placed.append(a)
                count += 1
    return placed
