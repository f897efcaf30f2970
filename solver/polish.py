"""A last pass over the kept plan: moves inside a week that lower the objective.

The week models price a visit against its contract's *standing* slot; the plan
is judged on its *most common* slot and technician. Where the two differ (a
short book that kept the dispatcher's slots on weekdays the school is often
closed; make-ups placed by the mop-up with whoever was free) a visit can move
to another day, window or technician of its week and cost less. Every move
passes `Occupancy`'s rule checks (`fits`, or `fits_one` for a visit changing day)
and stays in its week, so it breaks no hard rule, places the same visits and
leaves `behind_pace` as it was.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from solver.cadence import day_of
from solver.evaluate import (
    contract_crowding,
    contract_discontinuity,
    contract_disruption,
    contract_irregular,
    contract_off_preference,
    day_travel,
)
from solver.index import InstanceIndex
from solver.instance import Assignment, week, weekday
from solver.objective import weights
from solver.occupancy import Occupancy

TECHNICIANS = 4
"""Technicians tried per move: the contract's own, then the nearest eligible."""
NEIGHBOURS = 5
"""Nearby schools whose technician-day a contract may join."""

Place = tuple[int, int, int]
"""(day, window, technician)."""


def place(a: Assignment) -> Place:
    return a.day, a.window, a.technician


class _Plan:
    """The plan under repair, changed in transactions priced on what they touch."""

    def __init__(self, ix: InstanceIndex, placed: Sequence[Assignment], budget: Budget) -> None:
        self.ix, self.inst, self.budget = ix, ix.instance, budget
        self.w = weights(self.inst.weights)
        self.occ = Occupancy(ix)
        for a in placed:
            self.occ.add(a)
        self.fixed = frozenset(self.inst.fixed)
        self.visits: dict[int, list[Assignment]] = defaultdict(list)
        self.days: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
        for a in (*self.inst.fixed, *placed):
            self.visits[a.contract].append(a)
            self.days[(a.technician, a.day)].append(a)
        self.load = Counter(a.technician for a in (*self.inst.fixed, *placed))
        self.workers = [t for t, tech in enumerate(self.inst.technicians) if tech.available_days]
        self._log: list[tuple[Assignment, Assignment]] = []
        self._contracts: dict[int, int] = {}
        self._days: dict[tuple[int, int], int] = {}
        self._spread = 0

    def contract_cost(self, c: int) -> int:
        """The weighted terms of one contract that a move inside a week can change."""
        contract, visits, w = self.inst.contracts[c], self.visits[c], self.w
        cost = (
            w["irregular"] * contract_irregular(contract, visits)
            + w["discontinuity"] * contract_discontinuity(contract, visits)
            + w["off_preference"] * contract_off_preference(contract, visits)
            + w["crowding"] * contract_crowding(contract, [a.day for a in visits])
        )
        hints = self.ix.hints_by_contract[c]
        if hints:
            moved, reassigned = contract_disruption(hints, visits)
            cost += w["moved"] * moved + w["reassigned"] * reassigned
        return cost

    def _day_cost(self, key: tuple[int, int]) -> int:
        return self.w["travel"] * day_travel(self.inst, key[0], self.days[key])

    def _spread_cost(self) -> int:
        loads = [self.load[t] for t in self.workers]
        return self.w["workload"] * (max(loads) - min(loads)) if loads else 0

    def begin(self) -> None:
        self._log.clear()
        self._contracts.clear()
        self._days.clear()
        self._spread = self._spread_cost()

    def move(self, a: Assignment, to: Place) -> Assignment | None:
        """Move `a` to `to` inside the transaction when it fits there; the visit it became."""
        self.budget.used += 1
        new = Assignment(a.contract, *to)
        if new.day != a.day:
            # `a` is not in the way on another day; only its count is, and it moves.
            if not self.occ.fits_one(new.contract, new.day, new.window, new.technician):
                return None
            self._change(a, new)
        else:
            self._change(a, None)
            if not self.occ.fits(new.contract, new.day, new.window, new.technician):
                self._change(None, a)
                return None
            self._change(None, new)
        self._log.append((a, new))
        return new

    def delta(self) -> int:
        """The objective's change since `begin`."""
        return (
            sum(self.contract_cost(c) - v for c, v in self._contracts.items())
            + sum(self._day_cost(k) - v for k, v in self._days.items())
            + self._spread_cost()
            - self._spread
        )

    def settle(self) -> bool:
        """Keep the transaction when it lowers the objective, otherwise undo it."""
        if self._log and self.delta() < 0:
            return True
        # Every visit out before any goes back: a swap undone one pair at a time would hold
        # two visits of a school on one day for a moment, and `Occupancy` would lose the day.
        for _, new in reversed(self._log):
            self._change(new, None)
        for a, _ in self._log:
            self._change(None, a)
        return False

    def _change(self, out: Assignment | None, into: Assignment | None) -> None:
        for a in (out, into):
            if a is not None:
                key = (a.technician, a.day)
                if a.contract not in self._contracts:
                    self._contracts[a.contract] = self.contract_cost(a.contract)
                if key not in self._days:
                    self._days[key] = self._day_cost(key)
        if out is not None:
            self.occ.remove(out)
            self.visits[out.contract].remove(out)
            self.days[(out.technician, out.day)].remove(out)
            self.load[out.technician] -= 1
        if into is not None:
            self.occ.add(into)
            self.visits[into.contract].append(into)
            self.days[(into.technician, into.day)].append(into)
            self.load[into.technician] += 1

    def movable(self, c: int) -> list[Assignment]:
        return [a for a in self.visits[c] if a not in self.fixed]

    def usual(self, c: int) -> tuple[tuple[int, int], int]:
        """The contract's most common (weekday, window) and technician."""
        visits = self.visits[c]
        slot = Counter((weekday(a.day), a.window) for a in visits).most_common(1)[0][0]
        tech = Counter(a.technician for a in visits).most_common(1)[0][0]
        return slot, tech

    def technicians(self, c: int, own: int) -> list[int]:
        near = [t for t in self.ix.eligible[c] if t != own][: TECHNICIANS - 1]
        return [own, *near]

    def blockers(self, c: int, to: Place) -> list[Assignment]:
        """Other contracts' visits that may keep a visit of `c` from `to`: the technician's
        visits that day, and the school's held by technicians eligible for `c`."""
        day, _, technician = to
        school = self.ix.school_of(c)
        same_school = (
            a
            for t in self.inst.contracts[c].technicians
            for a in self.days.get((t, day), ())
            if self.ix.school_of(a.contract) == school
        )
        return [
            a
            for a in dict.fromkeys((*self.days.get((technician, day), ()), *same_school))
            if a.contract != c and a not in self.fixed
        ]

    def elsewhere(self, b: Assignment) -> list[Place]:
        """Where a visit in the way may go in its week: its contract's usual slot (usual
        technician first), its own slot with another technician, another day of the week."""
        (wd, win), own = self.usual(b.contract)
        techs = self.technicians(b.contract, own)
        places = [(day_of(week(b.day), wd), win, t) for t in techs]
        places += [(b.day, b.window, t) for t in techs]
        places += [(day_of(week(b.day), d), b.window, b.technician) for d in range(5)]
        return [p for p in dict.fromkeys(places) if p != place(b)]

    def move_clearing(self, a: Assignment, to: Place) -> Assignment | None:
        """`move`, or else lift `a`, move one visit in the way `elsewhere` (which may be where
        `a` was: a swap) and put `a` at `to`."""
        new = self.move(a, to)
        if new is not None:
            return new
        self._change(a, None)
        for b in self.blockers(a.contract, to):
            for spot in self.elsewhere(b):
                moved = self.move(b, spot)
                if moved is None:
                    continue
                if self.occ.fits(a.contract, *to):
                    new = Assignment(a.contract, *to)
                    self._change(None, new)
                    self._log.append((a, new))
                    return new
                self._log.pop()
                self._change(moved, None)
                self._change(None, b)
        self._change(None, a)
        return None


class Budget:
    """Moves tried, the deterministic measure of the pass's work, and a wall-clock cap."""

    def __init__(self, moves: int, time_left: Callable[[], float]) -> None:
        self.moves, self.time_left, self.used = moves, time_left, 0

    def spent(self) -> bool:
        return self.used >= self.moves or self.time_left() <= 0


def polish(
    ix: InstanceIndex, placed: Sequence[Assignment], budget: Budget
) -> tuple[Assignment, ...]:
    """The plan after the improving moves found within `budget`, in rounds while a round
    improves: whole contracts onto another weekday, window or technician (each visit in its
    own week, moving a visit in the way where needed) or onto a nearby school's
    technician-day, then single visits onto their contract's usual slot or technician. The
    first rounds try for a whole contract only its usual slot with other technicians and
    slots open in more weeks than it holds now; the later ones every slot (four to five
    times the work for the last quarter to half of the gain, measured on 16 generated
    books)."""
    plan = _Plan(ix, placed, budget)
    contracts = [
        c
        for c, contract in enumerate(ix.instance.contracts)
        if contract.cadence_days > 0 and len(plan.visits[c]) >= 2 and plan.movable(c)
    ]
    near = ix.nearest_others(contracts, NEIGHBOURS)
    for wide in (False, True):
        improved = True
        while improved and not budget.spent():
            improved = False
            for c in sorted(contracts, key=lambda c: -plan.contract_cost(c)):
                if budget.spent():
                    break
                improved |= _reslot(plan, c, wide) or _join(plan, c, near[c])
            for c in contracts:
                if budget.spent():
                    break
                improved |= _visits(plan, c)
    return tuple(a for c in sorted(plan.visits) for a in plan.movable(c))


def _reslot(plan: _Plan, c: int, wide: bool) -> bool:
    """The first other (weekday, window, technician) that lowers the objective when every
    visit of the contract moves to it inside its week; visits in the way move aside only
    for a slot open in more of the contract's weeks than its usual one holds now."""
    (wd0, win0), own = plan.usual(c)
    weeks = {week(a.day) for a in plan.visits[c]}
    held = len({week(a.day) for a in plan.visits[c] if (weekday(a.day), a.window) == (wd0, win0)})
    for t in plan.technicians(c, own):
        there = plan.inst.technicians[t].available_days
        for wd in range(5):
            open_weeks = sum(
                day_of(wk, wd) in plan.ix.visitable[c] and day_of(wk, wd) in there for wk in weeks
            )
            for win in plan.inst.contracts[c].windows:
                if not wide and open_weeks <= held and (wd, win) != (wd0, win0):
                    continue
                shift = plan.move_clearing if open_weeks > held else plan.move
                if _move_contract(plan, c, (wd, win, t), shift):
                    return True
    return False


def _move_contract(
    plan: _Plan, c: int, slot: tuple[int, int, int], shift: Callable[[Assignment, Place], object]
) -> bool:
    """Every visit of the contract onto (weekday, window, technician) `slot` in its own week,
    by `shift` (`move`, or `move_clearing`), kept when the objective drops."""
    wd, win, t = slot
    plan.begin()
    for a in plan.movable(c):
        if (weekday(a.day), a.window, a.technician) != slot:
            shift(a, (day_of(week(a.day), wd), win, t))
    return plan.settle()


def _join(plan: _Plan, c: int, neighbours: list[int]) -> bool:
    """The contract onto a nearby school's technician and weekday (its usual ones), so the
    two share a technician-day in the weeks both visit: the pairing the standing model
    rewards, tried again on the plan as it ended."""
    eligible = set(plan.ix.eligible[c])
    for n in neighbours:
        if not plan.visits[n]:
            continue
        (wd, _), t = plan.usual(n)
        if t not in eligible:
            continue
        for win in plan.inst.contracts[c].windows:
            if _move_contract(plan, c, (wd, win, t), plan.move):
                return True
    return False


def _visits(plan: _Plan, c: int) -> bool:
    """Each visit off its contract's usual slot or technician: onto the usual slot with the
    usual technician or another nearby one, or onto the usual technician in its own slot;
    a visit in the way may move aside."""
    (wd, win), own = plan.usual(c)
    improved = False
    for a in plan.movable(c):
        if (weekday(a.day), a.window, a.technician) == (wd, win, own):
            continue
        slot_day = day_of(week(a.day), wd)
        targets = [(slot_day, win, t) for t in plan.technicians(c, own)]
        targets.append((a.day, a.window, own))
        for to in dict.fromkeys(targets):
            if to == place(a):
                continue
            plan.begin()
            plan.move_clearing(a, to)
            if plan.settle():
                improved = True
                break
    return improved
