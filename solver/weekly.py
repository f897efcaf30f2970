"""Phase 2 of the decomposition: place each week's visits, in time order.

A regular visit whose standing slot is usable this week (the day visitable,
the technician available, no fixed visit in the way) is committed to it
straight away, as a dispatcher would: the standing model chose those slots
for the year, and moving one for a week costs irregular (90) or
discontinuity (45) at the default weights, more than any travel a week could save. What is
left is the week's real decisions, one visit model with exact day-level travel:
- regular visits whose standing slot a holiday, closure or leave breaks,
- this week's scheduled catch-ups (`solver.catchup`),
- visits carried over from earlier weeks that could not be placed,
each with every visitable day and window of the week and the standing
technician plus the few nearest eligible ones. The committed visits on the
technician-days and school-days those candidates touch are pinned in the
model, so the day rules and travel are exact; the visits of other weeks
(placed, fixed, and the *expected* visits of later weeks) are the plan
around it, so every soft term prices this week's choices against the year.
How many visits a contract may get this week is what `owed` leaves after
its expected later visits, which carries unplaced visits over by itself.
Weeks with more free visits than `region_visits` are split into regions.

The dispatcher's placement of the same visits is the hint and the fallback:
if a model finds nothing in its budget the week keeps it, so the phase
always ends with a plan that keeps every hard rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from solver import model as visit_model
from solver.cadence import day_of, period_weeks, week_days
from solver.cpsat import Clock, Tally, run
from solver.index import InstanceIndex, Slot, slot_of
from solver.instance import Assignment, week
from solver.occupancy import Occupancy
from solver.params import PhaseStats, Progress, SolveParams
from solver.regions import Region
from solver.template import StandingSlot, coverage

KEEP_SLOT_TECHNICIANS = 12
"""Technicians beyond the usual candidates who may take a visit on its standing slot.

On a dense book the standing technician is often busy in a catch-up's week and the
nearest are too: with 6, 77 of the dense bench book's 241 weeks off the slot were weeks whose
only visit was a make-up whose slot another contract held; with 12, 48 of 207 (regularity
0.969 -> 0.974, objective 404,367 -> 399,216). On 16 conformance books the objective was
lower on 8, the same on 5 and up to 0.2 % higher on 3."""


def plan_weeks(
    ix: InstanceIndex,
    standing: dict[int, StandingSlot],
    expected: dict[int, list[Assignment]],
    regions: list[Region],
    occ: Occupancy,
    params: SolveParams,
    clock: Clock,
    budget: float,
    reserve: float,
    on_progress: Callable[[Progress], None] | None = None,
) -> PhaseStats:
    """Place the expected visits week by week into `occ` (which starts with the fixed visits),
    leaving `reserve` wall seconds for what comes after."""
    tally = Tally("weeks")
    future: dict[int, list[Assignment]] = defaultdict(list)
    for visits in expected.values():
        for a in visits:
            future[week(a.day)].append(a)
    weeks = sorted({wk for c in expected for wk in ix.contract_weeks[c]})
    total = sum(len(v) for v in future.values()) or 1
    shares = {wk: budget * len(future.get(wk, ())) / total for wk in weeks}
    future_count = Counter(a.contract for visits in future.values() for a in visits)
    techs_of = _candidate_technicians(ix, standing, regions, params.week_technicians)
    for i, wk in enumerate(weeks, start=1):
        planned: dict[int, list[Assignment]] = defaultdict(list)
        for a in future.pop(wk, []):
            future_count[a.contract] -= 1
            planned[a.contract].append(a)
        free: dict[int, int] = {}
        for c in expected:
            owed_now = ix.instance.contracts[c].owed - occ.placed[c] - future_count[c]
            if owed_now > 0 and _commit_standing(ix, occ, c, wk, standing.get(c)):
                owed_now -= 1
            if owed_now > 0:
                free[c] = owed_now
        later = [a for visits in future.values() for a in visits]
        for r, region in enumerate(_split(regions, free, params.region_visits)):
            todo = {c: free[c] for c in region.contracts if c in free}
            techs = frozenset(region.technicians)
            slots = [
                s
                for c in todo
                for s in week_slots(ix, occ, c, wk, techs_of[c], standing.get(c), techs, planned[c])
            ]
            if not slots:
                continue
            if clock.left() <= reserve:
                # Out of time: the dispatcher's placement of the week stands, in milliseconds
                # rather than a model's build and first search (--time-limit bounds the command).
                _dispatch(occ, slots, todo)
                tally.statuses["OUT_OF_TIME"] += 1
                continue
            name = f"week {i}/{len(weeks)}" + (f" region {r + 1}" if r else "")
            part = sum(todo.values()) / max(1, sum(free.values()))
            wall = clock.slice(part / (len(weeks) - i + 1), reserve)
            place_with_model(
                ix,
                occ,
                slots,
                todo,
                later,
                params,
                clock,
                shares[wk] * part,
                wall,
                name,
                tally,
                on_progress,
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


def _commit_standing(
    ix: InstanceIndex,
    occ: Occupancy,
    c: int,
    wk: int,
    slot: StandingSlot | None,
) -> bool:
    """Place the regular visit on its standing slot when the slot is usable this week."""
    if slot is None or wk % period_weeks(ix.instance.contracts[c]) != slot.phase:
        return False
    if any(week(a.day) == wk for a in ix.fixed_by_contract[c]):
        return False
    day = day_of(wk, slot.weekday)
    if not occ.fits(c, day, slot.window, slot.technician):
        return False
    occ.add(Assignment(c, day, slot.window, slot.technician))
    return True


def _split(regions: list[Region], free: dict[int, int], target: int) -> list[Region]:
    """One model for the week unless its free visits exceed the target, then the regions."""
    if sum(free.values()) <= target or len(regions) == 1:
        contracts = tuple(c for region in regions for c in region.contracts)
        techs = tuple(t for region in regions for t in region.technicians)
        return [Region(techs, contracts)]
    return regions


def week_slots(
    ix: InstanceIndex,
    occ: Occupancy,
    c: int,
    wk: int,
    techs: list[int],
    slot: StandingSlot | None,
    region: frozenset[int],
    planned: list[Assignment],
) -> list[Slot]:
    """The week's candidate slots for a contract's free visits, most wanted first (the
    dispatcher's fallback takes them in this order): the standing slot; the standing weekday
    and window with any eligible technician of the region, since keeping the slot with
    another technician (discontinuity) beats moving the day (irregularity); the exact slots
    the expected visits (`planned`) name, so a week can always take what was expected of it;
    then the planned days and every other visitable day, nearest the standing one.
    Only slots that fit the plan as it stands: the others could never be chosen."""
    contract = ix.instance.contracts[c]
    days = [d for d in week_days(wk) if d in ix.visitable[c] and not occ.school_busy(c, d)]
    planned_days = [a.day for a in planned]
    target = day_of(wk, slot.weekday) if slot is not None else (planned_days or days or [0])[0]
    windows = sorted(contract.windows, key=lambda w: slot is None or w != slot.window)
    out: list[Slot] = []
    if slot is not None and target in days:
        keep = [t for t in ix.eligible[c] if t in region and t not in techs][:KEEP_SLOT_TECHNICIANS]
        out += [(c, target, slot.window, t) for t in [*techs, *keep]]
    out += [(c, a.day, a.window, a.technician) for a in planned]
    order = sorted(days, key=lambda d: (d not in planned_days, abs(d - target), d))
    out += [(c, d, w, t) for d in order for w in windows for t in techs]
    return [s for s in dict.fromkeys(out) if occ.fits(*s)]


def place_with_model(
    ix: InstanceIndex,
    occ: Occupancy,
    slots: list[Slot],
    todo: dict[int, int],
    later: list[Assignment],
    params: SolveParams,
    clock: Clock,
    budget: float,
    wall: float,
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
    result = run(vm.model, params, budget, wall, phase, on_progress, clock=clock)
    tally.record(result)
    if not result.ok:
        return
    chosen = visit_model.chosen(result.solver, vm.vars)
    for a in fallback:
        occ.remove(a)
    if not add_all(occ, chosen):
        add_all(occ, fallback)


def add_all(occ: Occupancy, visits: Iterable[Assignment]) -> bool:
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


def free_work(
    ix: InstanceIndex, standing: dict[int, StandingSlot], expected: dict[int, list[Assignment]]
) -> dict[int, int]:
    """Per contract, the visits of the year its standing slot cannot take: the size of what
    the week models decide, used to size regions."""
    out = {}
    for c, visits in expected.items():
        slot = standing.get(c)
        usable = coverage(ix, c, slot).usable if slot is not None else 0
        out[c] = max(0, len(visits) - usable)
    return out
