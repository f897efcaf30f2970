"""Phase 2 of the decomposition: place each week's visits, in time order.

Each week (split into geographic regions when large) is one visit model with
exact day-level travel, over:
- the regular visit of each contract on its standing slot, when that slot is
  usable this week (one literal: it almost always stays);
- every other visit the week owes -- a regular visit whose slot a holiday,
  closure or leave breaks, this week's scheduled catch-ups, and visits
  carried over from earlier weeks that could not be placed -- with every
  visitable day and window of the week and the standing technician plus the
  few nearest eligible ones.
The plan around the model is the visits placed so far, the fixed visits,
and the *expected* visits of later weeks (`solver.catchup`), so every soft
term prices this week's choices against the rest of the year. How many
visits a contract may get this week is what `owed` leaves after those
expected later visits, which carries unplaced visits over automatically.

The previous solution (a dispatcher's placement of the same week) is the
hint and the fallback: if a week model finds nothing in its budget, the
week keeps the fallback, so the phase always returns a plan that keeps
every hard rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from solver import model as visit_model
from solver.cadence import day_of, period_weeks, week_days
from solver.cpsat import Clock, run
from solver.index import InstanceIndex, Slot, slot_of
from solver.instance import Assignment, week
from solver.occupancy import Occupancy
from solver.params import PhaseStats, Progress, SolveParams
from solver.regions import Region
from solver.rules import eligible_technician
from solver.template import StandingSlot


@dataclass
class Tally:
    """Per-phase statistics accumulated over subproblems."""

    name: str
    subproblems: int = 0
    seconds: float = 0.0
    work: float = 0.0
    solutions: int = 0
    objective: float = 0.0
    bound: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)

    def stats(self) -> PhaseStats:
        return PhaseStats(
            self.name,
            self.subproblems,
            self.seconds,
            self.work,
            self.solutions,
            self.objective,
            self.bound,
            dict(self.statuses),
        )


def plan_weeks(
    ix: InstanceIndex,
    standing: dict[int, StandingSlot],
    expected: dict[int, list[Assignment]],
    regions: list[Region],
    occ: Occupancy,
    params: SolveParams,
    clock: Clock,
    budget: float,
    on_progress: Callable[[Progress], None] | None = None,
) -> PhaseStats:
    """Place the expected visits week by week into `occ` (which starts with the fixed visits)."""
    tally = Tally("weeks")
    future: dict[int, list[Assignment]] = defaultdict(list)
    for visits in expected.values():
        for a in visits:
            future[week(a.day)].append(a)
    weeks = sorted({wk for c in expected for wk in ix.contract_weeks[c]})
    total = sum(len(v) for v in future.values()) or 1
    shares = {wk: budget * len(future.get(wk, ())) / total for wk in weeks}
    future_count = Counter(a.contract for visits in future.values() for a in visits)
    fixed_occ = Occupancy(ix)
    techs_of = _candidate_technicians(ix, standing, regions, params.week_technicians)
    for i, wk in enumerate(weeks, start=1):
        for a in future.pop(wk, []):
            future_count[a.contract] -= 1
        allowance = {
            c: ix.instance.contracts[c].owed - occ.placed[c] - future_count[c] for c in expected
        }
        later = [a for visits in future.values() for a in visits]
        week_total = sum(max(0, n) for n in allowance.values()) or 1
        for r, region in enumerate(regions):
            todo = {c: allowance[c] for c in region.contracts if allowance[c] > 0}
            if not todo:
                continue
            phase = f"week {i}/{len(weeks)}" + (
                f" region {r + 1}/{len(regions)}" if len(regions) > 1 else ""
            )
            slots = [
                s
                for c, n in todo.items()
                for s in week_slots(ix, fixed_occ, c, wk, n, standing.get(c), techs_of[c])
            ]
            if not slots:
                continue
            share = shares[wk] * sum(todo.values()) / week_total
            place_with_model(
                ix, occ, slots, todo, later, params, clock, share, phase, tally, on_progress
            )
    return tally.stats()


def _candidate_technicians(
    ix: InstanceIndex, standing: dict[int, StandingSlot], regions: list[Region], extra: int
) -> dict[int, list[int]]:
    """Per contract: its standing technician, then the nearest eligible ones of its region."""
    out: dict[int, list[int]] = {}
    for region in regions:
        allowed = set(region.technicians)
        for c in region.contracts:
            slot = standing.get(c)
            first = [slot.technician] if slot is not None else []
            near = [t for t in ix.eligible[c] if t in allowed and t not in first][:extra]
            out[c] = first + near
    return out


def week_slots(
    ix: InstanceIndex,
    fixed_occ: Occupancy,
    c: int,
    wk: int,
    allowance: int,
    slot: StandingSlot | None,
    techs: list[int],
) -> list[Slot]:
    """The standing slot when usable; every day, window and candidate technician otherwise,
    or when the week owes more than its regular visit."""
    contract = ix.instance.contracts[c]
    out: list[Slot] = []
    if slot is not None and wk % period_weeks(contract) == slot.phase:
        day = day_of(wk, slot.weekday)
        if fixed_occ.fits(c, day, slot.window, slot.technician):
            out.append((c, day, slot.window, slot.technician))
            if allowance == 1:
                return out
    for day in week_days(wk):
        if day not in ix.visitable[c] or fixed_occ.school_busy(c, day):
            continue
        for w in contract.windows:
            for t in techs:
                if eligible_technician.allows(ix, c, day, t) and (c, day, w, t) not in out:
                    out.append((c, day, w, t))
    return out


def place_with_model(
    ix: InstanceIndex,
    occ: Occupancy,
    slots: list[Slot],
    todo: dict[int, int],
    later: list[Assignment],
    params: SolveParams,
    clock: Clock,
    budget: float,
    phase: str,
    tally: Tally,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    """Place up to `todo[c]` visits per contract among `slots`, around `occ` and `later`.

    The dispatcher's placement is the hint, and stays if the model finds
    nothing better or returns a plan that does not fit (it never should).
    """
    fallback = _dispatch(occ, slots, todo)
    hinted = {(a.contract, a.day, a.window, a.technician) for a in fallback}
    around = [*ix.instance.fixed, *(a for a in occ.visits if slot_of(a) not in hinted), *later]
    vm = visit_model.build(ix, slots, around, constants=False)
    for slot, lit in vm.vars.lit.items():
        if slot not in vm.vars.pinned:
            vm.model.add_hint(lit, slot in hinted)
    result = run(vm.model, params, clock, budget, phase, on_progress)
    tally.subproblems += 1
    tally.seconds += result.seconds
    tally.work += result.work
    tally.solutions += result.solutions
    tally.statuses[result.status] += 1
    if not result.ok:
        return
    tally.objective += result.solver.objective_value
    tally.bound += result.solver.best_objective_bound
    chosen = visit_model.chosen(result.solver, vm.vars)
    for a in fallback:
        occ.remove(a)
    if not _add_all(occ, chosen):
        _add_all(occ, fallback)


def _add_all(occ: Occupancy, visits: Iterable[Assignment]) -> bool:
    """Add visits that must all fit; on the first that does not, undo and say so."""
    added: list[Assignment] = []
    for a in visits:
        if not occ.fits(a.contract, a.day, a.window, a.technician):
            for b in added:
                occ.remove(b)
            return False
        occ.add(a)
        added.append(a)
    return True


def _dispatch(occ: Occupancy, slots: list[Slot], todo: dict[int, int]) -> list[Assignment]:
    """A dispatcher's placement of the week, left in `occ`: every contract's first option
    (its standing slot, when usable) first, then the rest of what each contract owes."""
    by_contract: dict[int, list[Slot]] = defaultdict(list)
    for s in slots:
        by_contract[s[0]].append(s)
    placed: Counter[int] = Counter()
    visits: list[Assignment] = []

    def place(s: Slot) -> None:
        a = Assignment(*s)
        occ.add(a)
        placed[s[0]] += 1
        visits.append(a)

    for options in by_contract.values():
        if occ.fits(*options[0]):
            place(options[0])
    for c, options in by_contract.items():
        for s in options:
            if placed[c] >= todo[c]:
                break
            if occ.fits(*s):
                place(s)
    return visits
