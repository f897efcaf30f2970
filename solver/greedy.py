"""A dispatcher's plan: the baseline the optimiser must beat, and its warm start.

What a careful dispatcher does by hand: give each contract a standing slot
(the school's preferred weekday and window if they can have it, then the
technician with the shortest commute), walk the year week by week placing
each regular visit (another technician, then another day of the week, when
the slot is blocked), and fit the make-up visits still owed afterwards, first
into weeks without a visit, then wherever there is room. Every visit goes
through `Occupancy.fits`, so the plan never breaks a hard rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from solver.cadence import day_of, label, period_weeks, week_days
from solver.index import InstanceIndex
from solver.instance import Assignment, Instance, week, weekday
from solver.occupancy import Occupancy
from solver.template import StandingSlot, Template, coverage, phase_weeks, preference_rank

NEAREST = 8
"""When a visit is blocked, a dispatcher rings the technicians nearest the school first."""


@dataclass(frozen=True)
class GreedyPlan:
    assignments: tuple[Assignment, ...]
    standing: dict[int, StandingSlot]


def greedy(instance: Instance) -> tuple[Assignment, ...]:
    """The dispatcher's placed visits (fixed ones excluded), labelled."""
    return greedy_plan(InstanceIndex(instance)).assignments


def greedy_plan(ix: InstanceIndex) -> GreedyPlan:
    order = contract_order(ix)
    template = choose_standing(ix, order)
    occ = Occupancy(ix)
    weeks = sorted({wk for c in order for wk in ix.contract_weeks[c]})
    for wk in weeks:
        due = [c for c in order if _regular_due(ix, occ, c, wk, template.slots.get(c))]
        blocked = []
        for c in due:  # standing slots first, so a displaced visit cannot take another's
            slot = template.slots[c]
            if not place_first(
                occ, iter([(c, day_of(wk, slot.weekday), slot.window, slot.technician)])
            ):
                blocked.append(c)
        for c in blocked:
            place_first(occ, regular_options(ix, c, wk, template.slots[c]))
    for c in order:
        place_make_ups(ix, occ, c, template.slots.get(c))
    return GreedyPlan(label(ix.instance, tuple(occ.visits)), template.slots)


def contract_order(ix: InstanceIndex) -> list[int]:
    """Fewest eligible technicians first: the hardest to staff get first pick."""
    todo = [c for c, contract in enumerate(ix.instance.contracts) if contract.owed > 0]
    return sorted(todo, key=lambda c: (len(ix.eligible[c]), c))


def choose_standing(ix: InstanceIndex, order: list[int]) -> Template:
    """Standing slots by preference, then commute, then the emptier technician-day."""
    template = Template(ix)
    for c in order:
        contract = ix.instance.contracts[c]
        p = period_weeks(contract)
        if p == 0:
            continue
        options = sorted(
            (
                preference_rank(ix, c, wd, w),
                ix.round_trip(c, t),
                template.load(t, wd),
                wd,
                w,
                phase,
                t,
            )
            for t in ix.eligible[c]
            for wd in range(5)
            for w in contract.windows
            for phase in range(p)
        )
        for *_, wd, w, phase, t in options:
            slot = StandingSlot(wd, w, t, phase)
            if template.fits(c, slot) and _mostly_usable(ix, c, slot):
                template.add(c, slot)
                break
    return template


def _mostly_usable(ix: InstanceIndex, contract: int, slot: StandingSlot) -> bool:
    """A slot blocked most weeks (leave, closures) is no standing slot."""
    cov = coverage(ix, contract, slot)
    return 2 * cov.usable >= len(phase_weeks(ix, contract, slot.phase))


def _regular_due(
    ix: InstanceIndex, occ: Occupancy, c: int, wk: int, slot: StandingSlot | None
) -> bool:
    contract = ix.instance.contracts[c]
    if slot is None or wk % period_weeks(contract) != slot.phase or occ.placed[c] >= contract.owed:
        return False
    if not any(d in ix.visitable[c] for d in week_days(wk)):
        return False
    return not any(week(a.day) == wk for a in ix.fixed_by_contract[c])


def place_first(occ: Occupancy, options: Iterator[tuple[int, int, int, int]]) -> bool:
    for c, d, w, t in options:
        if occ.fits(c, d, w, t):
            occ.add(Assignment(c, d, w, t))
            return True
    return False


def regular_options(
    ix: InstanceIndex, c: int, wk: int, slot: StandingSlot
) -> Iterator[tuple[int, int, int, int]]:
    """The standing slot; another technician then; then other days, nearest first."""
    standing_day = day_of(wk, slot.weekday)
    techs = [slot.technician, *(t for t in ix.eligible[c][:NEAREST] if t != slot.technician)]
    windows = [slot.window, *(w for w in ix.instance.contracts[c].windows if w != slot.window)]
    for t in techs:
        yield c, standing_day, slot.window, t
    others = sorted(week_days(wk), key=lambda d: (abs(d - standing_day), d))
    for w in windows:
        for d in others:
            for t in techs:
                if (d, w) != (standing_day, slot.window):
                    yield c, d, w, t


def place_make_ups(ix: InstanceIndex, occ: Occupancy, c: int, slot: StandingSlot | None) -> None:
    """Visits still owed: into weeks without a visit first, then any free day, in time order;
    the nearest technicians first, then anyone eligible."""
    contract = ix.instance.contracts[c]
    everyone = list(ix.eligible[c])
    windows = list(contract.windows)
    if slot is not None:
        everyone.sort(key=lambda t: t != slot.technician)
        windows.sort(key=lambda w: w != slot.window)
    passes = (
        (_days_of_empty_weeks(ix, occ, c, slot), everyone[:NEAREST]),
        (_free_days(ix, occ, c), everyone[:NEAREST]),
        (_free_days(ix, occ, c), everyone[NEAREST:]),
    )
    for days, techs in passes:
        for d in days:
            if occ.placed[c] >= contract.owed:
                return
            if not occ.school_busy(c, d):
                place_first(occ, ((c, d, w, t) for t in techs for w in windows))


def _days_of_empty_weeks(
    ix: InstanceIndex, occ: Occupancy, c: int, slot: StandingSlot | None
) -> Iterator[int]:
    """Days of the weeks the contract has no visit in, the standing weekday first."""
    by_week: dict[int, list[int]] = {}
    for d in sorted(ix.visitable[c]):
        by_week.setdefault(week(d), []).append(d)
    for wk, days in by_week.items():
        if slot is not None:
            days = sorted(days, key=lambda d: (weekday(d) != slot.weekday, d))
        for d in days:
            if any(week(a.day) == wk for a in _visits(ix, occ, c)):
                break
            yield d


def _free_days(ix: InstanceIndex, occ: Occupancy, c: int) -> Iterator[int]:
    for d in sorted(ix.visitable[c]):
        if all(a.day != d for a in _visits(ix, occ, c)):
            yield d


def _visits(ix: InstanceIndex, occ: Occupancy, c: int) -> list[Assignment]:
    return [*ix.fixed_by_contract[c], *occ.by_contract(c)]
