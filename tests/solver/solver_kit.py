"""Tiny hand-built instances and model helpers shared by the solver tests.

(Named `solver_kit`, not `conftest` helpers or `utils`, because the test
folders have no `__init__.py` and module names must be unique across `tests/`.)
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date

from ortools.sat.python import cp_model

from solver.index import InstanceIndex, Slot, slot_of
from solver.instance import Assignment, Contract, Instance, Technician, Window
from solver.model import VisitVars, all_slots, new_vars
from solver.occupancy import Occupancy

MONDAY = date(2026, 9, 7).toordinal()
AM, PM = 0, 1
WINDOWS_3H = (Window("AM", 8 * 60 + 30, 11 * 60 + 30), Window("PM", 12 * 60 + 30, 15 * 60 + 30))
WINDOWS_2H = (
    Window("AM", 8 * 60 + 30, 10 * 60 + 30),
    Window("LUNCH", 11 * 60, 13 * 60),
    Window("PM", 14 * 60 + 30, 16 * 60),
)


def weekdays(weeks: int = 1, start: int = MONDAY) -> tuple[int, ...]:
    """Monday to Friday ordinals of `weeks` consecutive weeks from `start` (a Monday)."""
    return tuple(start + 7 * w + d for w in range(weeks) for d in range(5))


def technician(location: int = 0, days: Iterable[int] | None = None, **kw: int) -> Technician:
    return Technician(
        id=f"T{location}",
        location=location,
        available_days=frozenset(weekdays() if days is None else days),
        **kw,
    )


def contract(
    location: int = 1,
    *,
    owed: int = 1,
    days: Sequence[int] | None = None,
    windows: tuple[int, ...] = (AM, PM),
    technicians: tuple[int, ...] = (0,),
    school: str | None = None,
    **kw: object,
) -> Contract:
    return Contract(
        id=f"C{location}",
        school=school or f"S{location}",
        location=location,
        windows=windows,
        owed=owed,
        term_days=tuple(sorted(weekdays() if days is None else days)),
        technicians=technicians,
        **kw,  # type: ignore[arg-type]
    )


def instance(
    contracts: Sequence[Contract],
    technicians: Sequence[Technician] = (),
    *,
    travel: Sequence[Sequence[int]] | None = None,
    minutes: int = 10,
    **kw: object,
) -> Instance:
    """Default travel: `minutes` between any two distinct locations."""
    techs = tuple(technicians) or (technician(),)
    n = 1 + max([t.location for t in techs] + [c.location for c in contracts])
    matrix = travel or [[0 if a == b else minutes for b in range(n)] for a in range(n)]
    return Instance(
        windows=kw.pop("windows", WINDOWS_3H),  # type: ignore[arg-type]
        technicians=techs,
        contracts=tuple(contracts),
        travel=matrix,
        **kw,  # type: ignore[arg-type]
    )


def raw_slots(inst: Instance) -> list[Slot]:
    """Every (contract, day, window, technician) over the days any contract or technician names,
    before any rule has filtered them: the rule under test must do the filtering."""
    days = sorted(
        {d for c in inst.contracts for d in (*c.term_days, *c.holiday_days)}
        | {d for t in inst.technicians for d in t.available_days}
    )
    return [
        (c, d, w, t)
        for c in range(len(inst.contracts))
        for d in days
        for w in range(len(inst.windows))
        for t in range(len(inst.technicians))
    ]


def rule_model(
    inst: Instance,
    rules: Iterable[object],
    *,
    slots: Iterable[Slot] | None = None,
    placed: Iterable[Assignment] | None = None,
    force: dict[int, int] | None = None,
) -> tuple[cp_model.CpModel, VisitVars]:
    """A model with only `rules`; `force` = {contract: visits that must be made in the model}."""
    ix = InstanceIndex(inst)
    model = cp_model.CpModel()
    vars_ = new_vars(model, ix, raw_slots(inst) if slots is None else slots, placed or inst.fixed)
    for rule in rules:
        rule.build(ix, model, vars_)  # type: ignore[attr-defined]
    for c, n in (force or {}).items():
        free = [s for s in vars_.by_contract.get(c, []) if s not in vars_.pinned]
        model.add(vars_.total(free) == n)
    return model, vars_


def status(model: cp_model.CpModel) -> str:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    return solver.status_name(solver.solve(model))


def term_value(
    inst: Instance, rule: object, plan: Sequence[Assignment], placed: Iterable[Assignment] = ()
) -> dict[str, int]:
    """The rule's terms when the model's literals are fixed to `plan` (placed = around it)."""
    ix = InstanceIndex(inst)
    model = cp_model.CpModel()
    vars_ = new_vars(model, ix, [slot_of(a) for a in plan], [*inst.fixed, *placed])
    for lit in vars_.lit.values():
        model.add(lit == 1)
    terms = rule.build(ix, model, vars_)  # type: ignore[attr-defined]
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    values: dict[str, int] = {}
    for name, expr in terms.items():
        model.minimize(expr)
        assert solver.solve(model) == cp_model.OPTIMAL
        values[name] = int(solver.objective_value)
    return values


def random_instance(rng: random.Random) -> Instance:
    weeks = rng.randint(2, 4)
    days = weekdays(weeks)
    n_tech = rng.randint(1, 2)
    n_con = rng.randint(1, 3)
    windows = rng.choice([WINDOWS_3H, WINDOWS_2H])
    n_loc = n_tech + n_con
    travel = [[0 if a == b else rng.randint(5, 70) for b in range(n_loc)] for a in range(n_loc)]
    techs = tuple(
        Technician(
            f"T{t}", t, frozenset(d for d in days if rng.random() < 0.85), rng.randint(1, 3), 80
        )
        for t in range(n_tech)
    )
    contracts = []
    for c in range(n_con):
        term = tuple(d for d in days if rng.random() < 0.7)
        holiday = tuple(d for d in days if d not in term and rng.random() < 0.3)
        contracts.append(
            Contract(
                id=f"C{c}",
                school=f"S{rng.randint(0, max(0, n_con - 2))}",
                location=n_tech + c,
                windows=tuple(range(len(windows))),
                owed=rng.randint(0, 2 * weeks),
                term_days=term,
                holiday_days=holiday,
                technicians=tuple(t for t in range(n_tech) if rng.random() < 0.8) or (0,),
                cadence_days=rng.choice([0, 7, 7, 14]),
                preferred_weekday=rng.choice([None, rng.randint(0, 4)]),
                preferred_window=rng.choice([None, rng.randrange(len(windows))]),
            )
        )
    inst = Instance(windows, techs, tuple(contracts), travel)
    plan = random_plan(inst, rng)
    keep = [a for a in plan if rng.random() < 0.3]
    hint = tuple(a for a in plan if rng.random() < 0.3)
    fixed = tuple(a for a in keep if inst.contracts[a.contract].owed > 0)
    return Instance(windows, techs, tuple(contracts), travel, fixed=fixed, hint=hint)


def random_plan(inst: Instance, rng: random.Random) -> list[Assignment]:
    occ = Occupancy(InstanceIndex(inst))
    slots = all_slots(InstanceIndex(inst))
    rng.shuffle(slots)
    for c, d, w, t in slots:
        if occ.fits(c, d, w, t):
            occ.add(Assignment(c, d, w, t))
    return list(occ.visits)
