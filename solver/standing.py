"""Phase 1 of the decomposition: every contract's standing slot, over the whole book.

Regularity, continuity and preference are decided here almost entirely: a
contract keeps its (weekday, window, technician, phase) every week it can.
So is most of the travel: which schools share a technician-day. One literal
per candidate slot (the nearest technicians only); each slot is priced per
year from the contract's calendar (weeks the slot is usable, weeks its day
is closed, weeks its technician is away) and every pair of nearby schools
that could share a technician-day earns the travel it saves as one route
instead of two round trips:  a->home + home->b - a->b  (the only legs that
differ), counted for the weeks both visit.

Capacity is the template of `solver.template`: per technician, weekday and
week residue, at most one slot per window clique, at most the day's visits,
and travel between consecutive windows fitting the gap.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.cadence import period_weeks
from solver.cpsat import Clock, Run, run
from solver.index import InstanceIndex
from solver.instance import weekday
from solver.objective import weights
from solver.params import Progress, SolveParams
from solver.template import StandingSlot, active, coverage, phase_weeks, preference_rank, residues


@dataclass(frozen=True)
class StandingResult:
    slots: dict[int, StandingSlot]
    run: Run | None


@dataclass
class _Candidate:
    contract: int
    slot: StandingSlot
    cost: int
    lit: cp_model.IntVar


def solve_standing(
    ix: InstanceIndex,
    contracts: Sequence[int],
    technicians: Sequence[int],
    hint: dict[int, StandingSlot],
    params: SolveParams,
    clock: Clock,
    budget: float,
    wall: float,
    phase: str = "standing",
    on_progress: Callable[[Progress], None] | None = None,
) -> StandingResult:
    """Standing slots for `contracts` on `technicians` only (a region), warm-started by `hint`."""
    todo = [
        c
        for c in contracts
        if period_weeks(ix.instance.contracts[c]) and ix.instance.contracts[c].owed > 0
    ]
    if not todo:
        return StandingResult({}, None)
    model = cp_model.CpModel()
    allowed = set(technicians)
    w = weights(ix.instance.weights)
    r_count = residues(ix)
    cands: dict[int, list[_Candidate]] = {}
    for c in todo:
        cands[c] = _candidates(ix, model, c, allowed, hint.get(c), params, w)
    objective: list[cp_model.LinearExprT] = []
    for c in todo:
        none = model.new_bool_var(f"no_slot_c{c}")
        model.add_exactly_one([none, *(k.lit for k in cands[c])])
        objective.append(_no_slot_cost(ix, c, w) * none)
        objective += [k.cost * k.lit for k in cands[c]]
        model.add_hint(none, c not in hint or all(k.slot != hint[c] for k in cands[c]))
        for k in cands[c]:
            model.add_hint(k.lit, hint.get(c) == k.slot)
    _capacity(ix, model, cands, r_count)
    objective += _pair_savings(ix, model, cands, hint, params, r_count, w)
    model.minimize(cp_model.LinearExpr.sum(objective))
    result = run(model, params, budget, wall, phase, on_progress, clock=clock, lns=True)
    if not result.ok:
        return StandingResult({c: s for c, s in hint.items() if c in cands}, result)
    chosen = {c: k.slot for c in todo for k in cands[c] if result.solver.boolean_value(k.lit)}
    return StandingResult(chosen, result)


def _expected(ix: InstanceIndex, c: int, slot_phase: int) -> tuple[int, int]:
    """(regular visits expected, phase weeks): the slot is used at most `owed` times."""
    weeks = len(phase_weeks(ix, c, slot_phase))
    return min(ix.instance.contracts[c].owed, weeks), weeks


def _candidates(
    ix: InstanceIndex,
    model: cp_model.CpModel,
    c: int,
    allowed: set[int],
    hinted: StandingSlot | None,
    params: SolveParams,
    w: dict[str, int],
) -> list[_Candidate]:
    contract = ix.instance.contracts[c]
    techs = [t for t in ix.eligible[c] if t in allowed][: params.standing_technicians]
    if hinted is not None and hinted.technician in allowed and hinted.technician not in techs:
        techs.append(hinted.technician)
    out = []
    for t in techs:
        rt = ix.round_trip(c, t)
        for phase in range(period_weeks(contract)):
            expected, weeks = _expected(ix, c, phase)
            if weeks == 0:
                continue
            for wd in range(5):
                for win in contract.windows:
                    slot = StandingSlot(wd, win, t, phase)
                    cov = coverage(ix, c, slot)
                    if cov.usable == 0:
                        continue
                    off = w["off_preference"] if preference_rank(ix, c, wd, win) else 0
                    per_year = (
                        cov.usable * (rt + off)
                        + cov.day_blocked * (w["irregular"] + rt + off)
                        + cov.tech_away * (w["discontinuity"] + rt + off)
                    )
                    cost = round(per_year * expected / weeks) + _disruption(ix, c, slot, w)
                    lit = model.new_bool_var(f"s_c{c}_t{t}_d{wd}_w{win}_p{phase}")
                    out.append(_Candidate(c, slot, cost, lit))
    return out


def _disruption(ix: InstanceIndex, c: int, slot: StandingSlot, w: dict[str, int]) -> int:
    """Hint visits of the contract this standing slot would move or reassign."""
    contract = ix.instance.contracts[c]
    p = period_weeks(contract)
    cost = 0
    for h in ix.instance.hint:
        if h.contract != c:
            continue
        on_slot = weekday(h.day) == slot.weekday and h.window == slot.window
        if not on_slot or ((h.day - 1) // 7) % p != slot.phase:
            cost += w["moved"]
        elif h.technician != slot.technician:
            cost += w["reassigned"]
    return cost


def _no_slot_cost(ix: InstanceIndex, c: int, w: dict[str, int]) -> int:
    """Without a standing slot every visit is irregular and discontinuous in the worst case."""
    expected = min(ix.instance.contracts[c].owed, len(ix.contract_weeks[c]))
    return expected * (w["irregular"] + w["discontinuity"] + w["off_preference"] + 60)


def _capacity(
    ix: InstanceIndex, model: cp_model.CpModel, cands: dict[int, list[_Candidate]], r_count: int
) -> None:
    """Per (technician, weekday, residue): window cliques, visits per day, travel fits the gap."""
    day: dict[tuple[int, int, int], list[_Candidate]] = defaultdict(list)
    school: dict[tuple[str, int, int], list[_Candidate]] = defaultdict(list)
    for c, ks in cands.items():
        p = period_weeks(ix.instance.contracts[c])
        for k in ks:
            for r in active(p, k.slot.phase, r_count):
                day[(k.slot.technician, k.slot.weekday, r)].append(k)
                school[(ix.school_of(c), k.slot.weekday, r)].append(k)
    wins = ix.windows
    for (t, _, _), ks in day.items():
        for clique in wins.cliques:
            members = [k.lit for k in ks if k.slot.window in clique]
            if len(members) > 1:
                model.add_at_most_one(members)
        if len(ks) > ix.max_per_day[t]:
            model.add(cp_model.LinearExpr.sum([k.lit for k in ks]) <= ix.max_per_day[t])
        at: dict[int, list[_Candidate]] = defaultdict(list)
        for k in ks:
            at[k.slot.window].append(k)
        for a in ks:
            here = ix.instance.contracts[a.contract].location
            for w2, later in at.items():
                if not wins.before(a.slot.window, w2):
                    continue
                gap = wins.gap(a.slot.window, w2)
                far = [
                    b.lit
                    for b in later
                    if ix.travel(here, ix.instance.contracts[b.contract].location) > gap
                ]
                if far:
                    between = [
                        m.lit for v in wins.between(a.slot.window, w2) for m in at.get(v, ())
                    ]
                    model.add(
                        a.lit + cp_model.LinearExpr.sum(far) <= 1 + cp_model.LinearExpr.sum(between)
                    )
    for ks in school.values():
        if len({k.contract for k in ks}) > 1:
            model.add_at_most_one(k.lit for k in ks)


def _pair_savings(
    ix: InstanceIndex,
    model: cp_model.CpModel,
    cands: dict[int, list[_Candidate]],
    hint: dict[int, StandingSlot],
    params: SolveParams,
    r_count: int,
    w: dict[str, int],
) -> list[cp_model.LinearExprT]:
    """Reward (negative cost) for nearby schools sharing a technician-day in the same weeks."""
    inst = ix.instance
    group: dict[tuple[int, int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    """(contract, technician, weekday, phase) -> its slot literals (any window)."""
    for c, ks in cands.items():
        for k in ks:
            group[(c, k.slot.technician, k.slot.weekday, k.slot.phase)].append(k.lit)
    keys_of: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for c, t, wd, ph in group:
        keys_of[c].append((t, wd, ph))
    longest_gap = max(
        (
            ix.windows.gap(a, b)
            for a in range(len(inst.windows))
            for b in range(len(inst.windows))
            if ix.windows.before(a, b)
        ),
        default=0,
    )
    out: list[cp_model.LinearExprT] = []
    for a, b in _neighbour_pairs(ix, list(cands), params.pair_neighbours):
        if (
            min(
                ix.travel(inst.contracts[a].location, inst.contracts[b].location),
                ix.travel(inst.contracts[b].location, inst.contracts[a].location),
            )
            > longest_gap
        ):
            continue
        pa, pb = (period_weeks(inst.contracts[x]) for x in (a, b))
        b_keys = set(keys_of[b])
        for t, wd, pha in keys_of[a]:
            saving = _saving(ix, a, b, t)
            if saving <= 0:
                continue
            for phb in range(pb):
                if (t, wd, phb) not in b_keys:
                    continue
                shared = len(set(active(pa, pha, r_count)) & set(active(pb, phb, r_count)))
                if not shared:
                    continue
                ea = _expected(ix, a, pha)[0]
                eb = _expected(ix, b, phb)[0]
                together = min(ea * shared * pa, eb * shared * pb) // r_count
                if together <= 0:
                    continue
                both = model.new_bool_var("")
                model.add(both <= cp_model.LinearExpr.sum(group[(a, t, wd, pha)]))
                model.add(both <= cp_model.LinearExpr.sum(group[(b, t, wd, phb)]))
                ha, hb = hint.get(a), hint.get(b)
                model.add_hint(
                    both,
                    ha is not None
                    and hb is not None
                    and (ha.technician, ha.weekday, ha.phase) == (t, wd, pha)
                    and (hb.technician, hb.weekday, hb.phase) == (t, wd, phb),
                )
                out.append(-saving * together * w["travel"] * both)
    return out


def _saving(ix: InstanceIndex, a: int, b: int, t: int) -> int:
    """Minutes saved when a and b share technician t's day (either order, averaged)."""
    home = ix.instance.technicians[t].location
    la, lb = ix.instance.contracts[a].location, ix.instance.contracts[b].location
    tr = ix.travel
    ab = tr(la, home) + tr(home, lb) - tr(la, lb)
    ba = tr(lb, home) + tr(home, la) - tr(lb, la)
    return (ab + ba) // 2


def _neighbour_pairs(ix: InstanceIndex, contracts: list[int], k: int) -> list[tuple[int, int]]:
    """Each contract with its k nearest others (by travel both ways), as unordered pairs."""
    inst = ix.instance
    pairs: set[tuple[int, int]] = set()
    for a in contracts:
        la = inst.contracts[a].location
        near = heapq.nsmallest(
            k,
            (
                b
                for b in contracts
                if b != a and inst.contracts[b].school != inst.contracts[a].school
            ),
            key=lambda b: (
                ix.travel(la, inst.contracts[b].location)
                + ix.travel(inst.contracts[b].location, la),
                b,
            ),
        )
        pairs.update((min(a, b), max(a, b)) for b in near)
    return sorted(pairs)
