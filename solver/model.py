"""The visit model: one literal per candidate (contract, day, window, technician), rules added.

The same assembly serves a whole tiny horizon (tests, `strategy="exact"`), one
week of the decomposition, and the final mop-up: what differs is which slots
are candidates and which visits are already in the plan around them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solver.index import InstanceIndex, Slot, slot_of
from solver.instance import Assignment
from solver.objective import weights
from solver.rules import (
    commute,
    continuity,
    crowding,
    disruption,
    eligible_technician,
    fixed_visits,
    one_visit_per_school_day,
    owed_upper_bound,
    pace,
    preference,
    regularity,
    technician_day_capacity,
    travel,
    travel_fits_gap,
    unplaced,
    visitable_days,
    workload,
)

HARD_RULES = (
    visitable_days,
    eligible_technician,
    commute,
    fixed_visits,
    one_visit_per_school_day,
    technician_day_capacity,
    travel_fits_gap,
    owed_upper_bound,
)
"""Every hard rule of the spec, each a module with `build(ix, model, vars)`."""

SOFT_RULES = (
    unplaced,
    travel,
    regularity,
    continuity,
    preference,
    crowding,
    pace,
    workload,
    disruption,
)
"""Every soft goal, each a module whose `build` returns its named terms of `solver.objective`."""


@dataclass
class VisitVars:
    """Decision literals, plus the part of the plan the model does not decide.

    `pinned` slots are visits already in the plan that share a technician-day
    or school-day with a candidate (fixed visits, or visits placed by an
    earlier subproblem): they get a literal forced to 1, so the day rules see
    them like any other visit. Every other plan visit is in `outside`, a
    constant that only the horizon-wide terms (regularity, pace, workload...)
    read.
    """

    lit: dict[Slot, cp_model.IntVar]
    pinned: frozenset[Slot]
    outside: tuple[Assignment, ...]
    constants: bool = True
    """Add each term's part that no literal touches. Needed for the term's true value;
    a subproblem that only compares its own choices leaves it out to build faster."""
    by_contract: dict[int, list[Slot]] = field(init=False)
    by_tech_day: dict[tuple[int, int], list[Slot]] = field(init=False)
    outside_by_contract: dict[int, list[Assignment]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_contract = defaultdict(list)
        self.by_tech_day = defaultdict(list)
        for slot in self.lit:
            self.by_contract[slot[0]].append(slot)
            self.by_tech_day[(slot[3], slot[1])].append(slot)
        self.outside_by_contract = defaultdict(list)
        for a in self.outside:
            self.outside_by_contract[a.contract].append(a)

    def free(self, slots: Iterable[Slot]) -> bool:
        """Whether any of these slots is a decision (a constraint on pinned ones only is moot)."""
        return any(s not in self.pinned for s in slots)

    def total(self, slots: Iterable[Slot]) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.sum([self.lit[s] for s in slots])


def new_vars(
    model: cp_model.CpModel,
    ix: InstanceIndex,
    candidates: Iterable[Slot],
    placed: Iterable[Assignment] = (),
    *,
    constants: bool = True,
) -> VisitVars:
    """Literals for `candidates`; `placed` (fixed + already planned) split pinned / outside."""
    cands = list(dict.fromkeys(candidates))
    plan = list(placed)
    days = {s[1] for s in cands}
    members: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for i, a in enumerate(plan):
        if a.day in days:
            for key in _day_keys(ix, a.contract, a.day, a.technician):
                members[key].append(i)
    # A pinned visit brings its own technician-day and school-day in, and so on:
    # each day of a technician or a school is wholly inside the model or wholly outside.
    queue = [key for s in cands for key in _day_keys(ix, s[0], s[1], s[3])]
    seen: set[tuple[object, ...]] = set()
    inside: set[int] = set()
    while queue:
        key = queue.pop()
        if key in seen:
            continue
        seen.add(key)
        for i in members.get(key, ()):
            if i not in inside:
                inside.add(i)
                a = plan[i]
                queue += _day_keys(ix, a.contract, a.day, a.technician)
    pinned = [slot_of(plan[i]) for i in sorted(inside)]
    outside = [a for i, a in enumerate(plan) if i not in inside]
    lit = {
        s: model.new_bool_var(f"x_c{s[0]}_d{s[1]}_w{s[2]}_t{s[3]}")
        for s in dict.fromkeys([*pinned, *cands])
    }
    return VisitVars(lit=lit, pinned=frozenset(pinned), outside=tuple(outside), constants=constants)


def _day_keys(
    ix: InstanceIndex, contract: int, day: int, technician: int
) -> list[tuple[object, ...]]:
    return [("technician", technician, day), ("school", ix.school_of(contract), day)]


@dataclass
class VisitModel:
    model: cp_model.CpModel
    vars: VisitVars
    terms: dict[str, cp_model.LinearExprT]


def build(
    ix: InstanceIndex,
    candidates: Iterable[Slot],
    placed: Iterable[Assignment] = (),
    *,
    constants: bool = True,
) -> VisitModel:
    """Every hard rule and soft term over `candidates`, minimising the weighted objective."""
    model = cp_model.CpModel()
    vars_ = new_vars(model, ix, candidates, placed, constants=constants)
    for rule in HARD_RULES:
        rule.build(ix, model, vars_)
    terms: dict[str, cp_model.LinearExprT] = {}
    for rule in SOFT_RULES:
        terms.update(rule.build(ix, model, vars_))
    w = weights(ix.instance.weights)
    model.minimize(sum(w[name] * expr for name, expr in terms.items()))
    return VisitModel(model, vars_, terms)


def chosen(solver: cp_model.CpSolver, vars_: VisitVars) -> list[Assignment]:
    """The decided visits of a solved model (pinned ones are already in the plan)."""
    return [
        Assignment(*slot)
        for slot, lit in vars_.lit.items()
        if slot not in vars_.pinned and solver.boolean_value(lit)
    ]


def all_slots(ix: InstanceIndex, contracts: Iterable[int] | None = None) -> list[Slot]:
    """Every slot the single-visit rules allow, for a whole-horizon model of a tiny instance."""
    inst = ix.instance
    out: list[Slot] = []
    for c in range(len(inst.contracts)) if contracts is None else contracts:
        contract = inst.contracts[c]
        if contract.owed <= 0:
            continue
        for day in sorted(ix.visitable[c]):
            for w in contract.windows:
                if not visitable_days.allows(ix, c, day, w):
                    continue
                out.extend(
                    (c, day, w, t)
                    for t in ix.eligible[c]
                    if eligible_technician.allows(ix, c, day, t)
                )
    return out
