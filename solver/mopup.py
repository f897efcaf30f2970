"""Phase 3 of the decomposition: visits still owed after the weeks, placed by making room.

First every owed visit goes into whatever hole of the year fits it, first
fit with any eligible technician (the weeks rarely leave more than a few);
so it does again at the end, into the holes the repairs left. What is left is short of
technicians, not of days: the few who may go to that school are booked,
partly by contracts that could have had someone else. For those, a few
contracts at a time, a repair model:
- the owed visits may go on any of up to `DAYS_PER_CONTRACT` days that one
  of its nearest eligible technicians works (weeks without a visit of the
  contract first, a day of each, then the earliest, for pace), in any window,
  with any of those technicians;
- every visit already on those technicians' days may stay, or move to
  another eligible technician in the same day and window (its slot and
  regularity kept, continuity and travel priced by the usual terms), and
  must be in exactly one of those places.
Every other visit is the plan around the model; the current plan is the
hint and the fallback.

On a dense book that is not enough: every technician who could take the
visit that day is booked in that window too. Contracts still short after
that round get a second, one contract at a time, in which a visit making
room may also move to another day of its week (any window, its own or a
nearby technician), priced as the irregularity it costs. Each round builds
at most `MODELS` models, the contracts owed the most first, and stops at its
share of the time: building the models takes time as well as solving them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from itertools import islice

from solver import model as visit_model
from solver.cadence import week_days
from solver.cpsat import Clock, Tally, run
from solver.index import InstanceIndex, Slot, slot_of
from solver.instance import Assignment, week, weekday
from solver.occupancy import Occupancy
from solver.params import PhaseStats, Progress, SolveParams
from solver.weekly import add_all

DAYS_PER_CONTRACT, WIDE_DAYS = 30, 10
"""Candidate days per contract still owed visits: enough choice, a model that stays small
(fewer in the second round, where every visit making room brings slots of a whole week)."""
TECHNICIANS = 6
"""Nearest eligible technicians an owed visit may go to."""
MOVES = 3
"""Other technicians a visit making room may move to (nearest that fit)."""
WIDE_MOVES = 6
"""Slots on other days of its week a visit making room may move to, in the second round."""
BATCH = 4
"""Contracts per repair model: each brings a few hundred visits that might move."""
MODELS = 16
"""Repair models per round at most, the contracts owed the most visits first: on a book far
short of technicians (300 schools, 40% of the technicians: 1,700 visits unplaced, 150
contracts short) one model per contract took the time of every phase after it."""


def mop_up(
    ix: InstanceIndex,
    occ: Occupancy,
    params: SolveParams,
    clock: Clock,
    budget: float,
    reserve: float,
    on_progress: Callable[[Progress], None] | None = None,
) -> PhaseStats:
    """Place what is still owed, within `budget` seconds of work, leaving `reserve` wall seconds."""
    tally = Tally("mop-up")
    _fill(ix, occ)
    started = clock.elapsed()
    for size, wide, part, until in ((BATCH, False, 1 / 3, 1 / 3), (1, True, 2 / 3, 1.0)):
        left = _missing(ix, occ)
        batches = [left[i : i + size] for i in range(0, len(left), size)][:MODELS]
        for i, batch in enumerate(batches):
            # Wall time, not work: on a book far short of technicians this can stop a round
            # before MODELS, and the plan then depends on the machine's speed.
            if clock.elapsed() - started >= budget * until or clock.left() <= reserve:
                break
            share = budget * part / len(batches)
            wall = clock.slice(part / (len(batches) - i), reserve)
            _make_room(ix, occ, batch, params, clock, share, wall, tally, on_progress, wide=wide)
    # A visit that made room may have left a hole another contract's owed visit fits.
    _fill(ix, occ)
    return tally.stats()


def _fill(ix: InstanceIndex, occ: Occupancy) -> None:
    """Every owed visit into the first hole of the plan that fits it, any eligible technician."""
    for c in _missing(ix, occ):
        days = _days(ix, occ, c, ix.eligible[c], limit=None)
        _first_fit(occ, _owed_slots(ix, c, days, ix.eligible[c]))


def _missing(ix: InstanceIndex, occ: Occupancy) -> list[int]:
    """Contracts still owed visits that someone may make, the most owed first."""
    short = {
        c: contract.owed - occ.placed[c]
        for c, contract in enumerate(ix.instance.contracts)
        if contract.owed > occ.placed[c] and ix.eligible[c]
    }
    return sorted(short, key=lambda c: (-short[c], c))


def _owed_slots(ix: InstanceIndex, c: int, days: list[int], techs: Sequence[int]) -> list[Slot]:
    return [
        (c, d, w, t)
        for d in days
        for w in ix.instance.contracts[c].windows
        for t in techs
        if d in ix.instance.technicians[t].available_days
    ]


def _make_room(
    ix: InstanceIndex,
    occ: Occupancy,
    batch: list[int],
    params: SolveParams,
    clock: Clock,
    budget: float,
    wall: float,
    tally: Tally,
    on_progress: Callable[[Progress], None] | None,
    *,
    wide: bool,
) -> None:
    missing = {c: ix.instance.contracts[c].owed - occ.placed[c] for c in batch}
    owed_slots = []
    for c in batch:
        techs = ix.eligible[c][:TECHNICIANS]
        days = _days(ix, occ, c, techs, WIDE_DAYS if wide else DAYS_PER_CONTRACT)
        owed_slots += _owed_slots(ix, c, days, techs)
    tech_days = {(s[3], s[1]) for s in owed_slots}
    movable = [a for a in occ.visits if (a.technician, a.day) in tech_days]
    for a in movable:
        occ.remove(a)
    moves = {a: _moves(ix, occ, a, wide) for a in movable}
    for a in movable:
        occ.add(a)
    vm = visit_model.build(
        ix,
        [*owed_slots, *(s for a in movable for s in moves[a])],
        [*ix.instance.fixed, *(a for a in occ.visits if a not in moves)],
        constants=False,
    )
    for a in movable:  # a visit that makes room moves, it is not dropped
        vm.model.add_exactly_one(vm.vars.lit[s] for s in moves[a])
    hinted = {slot_of(a) for a in movable}
    for slot, lit in vm.vars.lit.items():
        if slot not in vm.vars.pinned:
            vm.model.add_hint(lit, slot in hinted)
    result = run(vm.model, params, budget, wall, "mop-up", on_progress, clock=clock)
    tally.record(result)
    if not result.ok or sum(missing.values()) == 0:
        return
    chosen = visit_model.chosen(result.solver, vm.vars)
    for a in movable:
        occ.remove(a)
    if not add_all(occ, chosen):
        add_all(occ, movable)


def _days(
    ix: InstanceIndex, occ: Occupancy, c: int, techs: Sequence[int], limit: int | None
) -> list[int]:
    """Free days of the contract that one of `techs` works, spread over many weeks: the weeks
    with the fewest of its visits first, one day of each before a second, earliest first
    (pace); in a week, the contract's usual weekday first (a visit there is regular), then
    a weekday that turns with the week, so the candidates are not all Mondays. A part-time
    technician, the only one a school may have, works few of the contract's days: the others
    would fill the candidates with days nobody can go."""
    visits = [*ix.fixed_by_contract[c], *occ.by_contract(c)]
    per_week = Counter(week(a.day) for a in visits)
    usual = Counter(weekday(a.day) for a in visits).most_common(1)
    people = [ix.instance.technicians[t].available_days for t in techs]
    by_week: dict[int, list[int]] = {}
    for d in sorted(ix.visitable[c]):
        if not occ.school_busy(c, d) and any(d in days for days in people):
            by_week.setdefault(week(d), []).append(d)
    ranked = []
    for wk, days in by_week.items():
        days.sort(key=lambda d, wk=wk: (not usual or weekday(d) != usual[0][0], (d - wk) % 5))
        ranked += [(per_week[wk], nth, d) for nth, d in enumerate(days)]
    return [d for *_, d in sorted(ranked)][:limit]


def _moves(ix: InstanceIndex, occ: Occupancy, a: Assignment, wide: bool) -> list[Slot]:
    """Where a visit may go to make room: where it is, or the same day and window with
    another eligible technician who has room (its own visit taken out of the plan); `wide`:
    also other days of its week, nearest day first, its own technician first."""
    here = slot_of(a)
    c = a.contract
    others = [
        (c, a.day, a.window, t)
        for t in ix.eligible[c]
        if t != a.technician and occ.fits(c, a.day, a.window, t)
    ]
    out = [here, *others[:MOVES]]
    if wide:
        techs = [a.technician, *(t for t in ix.eligible[c][:TECHNICIANS] if t != a.technician)]
        windows = sorted(ix.instance.contracts[c].windows, key=lambda w: w != a.window)
        days = sorted(
            (d for d in week_days(week(a.day)) if d != a.day), key=lambda d: abs(d - a.day)
        )
        later = ((c, d, w, t) for d in days for w in windows for t in techs if occ.fits(c, d, w, t))
        out += list(islice(later, WIDE_MOVES))
    return out


def _first_fit(occ: Occupancy, slots: list[Slot]) -> None:
    """Owed visits wherever they fit as the plan stands, in the order given."""
    for s in slots:
        if occ.fits(*s):
            occ.add(Assignment(*s))
