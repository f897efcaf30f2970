"""The model's terms equal `solver.evaluate` on random plans, whole or split into
the model's days and the plan around them (as the weekly decomposition uses them)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from solver_kit import MONDAY, WINDOWS_2H, WINDOWS_3H, term_value, weekdays

from solver.evaluate import check, evaluate
from solver.index import InstanceIndex
from solver.instance import Assignment, Contract, Instance, Technician
from solver.model import SOFT_RULES, all_slots
from solver.occupancy import Occupancy


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


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6))
def test_terms_agree_with_evaluate(seed: int) -> None:
    rng = random.Random(seed)
    inst = random_instance(rng)
    plan = [a for a in random_plan(inst, rng) if a not in inst.fixed]
    assert check(inst, plan) == []
    expected = evaluate(inst, plan)
    split_days = {d for d in weekdays(4) if rng.random() < 0.5}
    inside = [a for a in plan if a.day in split_days]
    around = [a for a in plan if a.day not in split_days]
    for rule in SOFT_RULES:
        whole = term_value(inst, rule, plan)
        assert whole == {k: expected[k] for k in whole}, rule.__name__
        split = term_value(inst, rule, inside, placed=around)
        assert split == whole, rule.__name__
    assert MONDAY in weekdays()
