"""The last pass only lowers the objective and keeps every hard rule and every visit in its week."""

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from solver_kit import AM, MONDAY, contract, instance, random_instance, random_plan, technician

from solver.evaluate import check, evaluate, objective
from solver.index import InstanceIndex
from solver.instance import Assignment, week, weekday
from solver.polish import Budget, _join, _Plan, polish

WEEKS = 4
DAYS = tuple(MONDAY + 7 * w + d for w in range(WEEKS) for d in range(5))


def _polished(inst, plan, moves: int = 10**6) -> tuple[Assignment, ...]:  # type: ignore[no-untyped-def]
    return polish(InstanceIndex(inst), plan, Budget(moves, lambda: 1.0))


def _day(w: int, wd: int) -> int:
    return MONDAY + 7 * w + wd


def test_a_contract_split_over_two_weekdays_moves_onto_one() -> None:
    inst = instance(
        [contract(1, owed=WEEKS, days=DAYS, cadence_days=7)],
        [technician(0, DAYS)],
    )
    plan = [Assignment(0, _day(w, 0 if w < 2 else 2), AM, 0) for w in range(WEEKS)]
    out = _polished(inst, plan)
    assert check(inst, out) == []
    assert evaluate(inst, plan)["irregular"] == 2
    assert evaluate(inst, out)["irregular"] == 0
    assert objective(inst, out) < objective(inst, plan)


def test_two_contracts_that_took_each_others_slot_one_week_swap_back() -> None:
    """Each visit is in the other's way (one visit a day): only a swap makes both regular."""
    techs = [technician(0, DAYS, max_visits_per_day=1)]
    inst = instance([contract(c, owed=WEEKS, days=DAYS, cadence_days=7) for c in (1, 2)], techs)
    plan = [
        *(Assignment(0, _day(w, 1 if w == 3 else 0), AM, 0) for w in range(WEEKS)),
        *(Assignment(1, _day(w, 0 if w == 3 else 1), AM, 0) for w in range(WEEKS)),
    ]
    out = _polished(inst, plan)
    assert check(inst, out) == []
    assert evaluate(inst, plan)["irregular"] == 2
    assert evaluate(inst, out)["irregular"] == 0
    assert {weekday(a.day) for a in out if a.contract == 0} == {0}


def test_a_fixed_visit_stays_and_the_others_join_its_slot() -> None:
    fixed = Assignment(0, _day(0, 3), AM, 0)
    inst = instance(
        [contract(1, owed=WEEKS - 1, days=DAYS, cadence_days=7)],
        [technician(0, DAYS)],
        fixed=(fixed,),
    )
    plan = [Assignment(0, _day(w, 1), AM, 0) for w in range(1, WEEKS)]
    out = _polished(inst, plan)
    assert check(inst, out) == []  # the fixed visit's day is still its own
    assert {(weekday(a.day), a.window) for a in out} == {(3, AM)}
    assert evaluate(inst, out)["irregular"] == 0


def test_without_moves_to_try_the_plan_is_returned_as_it_was() -> None:
    inst = instance(
        [contract(1, owed=WEEKS, days=DAYS, cadence_days=7)],
        [technician(0, DAYS)],
    )
    plan = [Assignment(0, _day(w, 0 if w < 2 else 2), AM, 0) for w in range(WEEKS)]
    assert Counter(_polished(inst, plan, moves=0)) == Counter(plan)


def test_the_same_plan_polishes_to_the_same_plan() -> None:
    rng = random.Random(11)
    inst = random_instance(rng)
    plan = random_plan(inst, rng)
    assert _polished(inst, plan) == _polished(inst, list(plan))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6))
def test_polish_never_breaks_a_rule_never_costs_more_and_keeps_each_visit_in_its_week(
    seed: int,
) -> None:
    rng = random.Random(seed)
    inst = random_instance(rng)
    plan = random_plan(inst, rng)
    out = _polished(inst, plan)
    assert check(inst, out) == []
    assert objective(inst, out) <= objective(inst, plan)
    weeks = lambda p: Counter((a.contract, week(a.day)) for a in p)  # noqa: E731
    assert weeks(out) == weeks(plan)
    assert not set(out) & set(inst.fixed)


def test_a_contract_joins_a_nearby_schools_technician_day() -> None:
    """A (location 2) is driven 20 min each way by T0; B (3) is 5 min from A and 10 from T1's
    home: on B's day with T1, A's round trip of 40 becomes 15 more minutes of B's route."""
    travel = [
        [0, 30, 20, 25],
        [30, 0, 10, 10],
        [20, 10, 0, 5],
        [25, 10, 5, 0],
    ]
    techs = [technician(0, DAYS), technician(1, DAYS)]
    inst = instance(
        [
            contract(2, owed=WEEKS, days=DAYS, cadence_days=7, technicians=(0, 1)),
            contract(3, owed=WEEKS, days=DAYS, cadence_days=7, technicians=(1,)),
        ],
        techs,
        travel=travel,
    )
    plan = [
        *(Assignment(0, _day(w, 0), AM, 0) for w in range(WEEKS)),
        *(Assignment(1, _day(w, 1), AM, 1) for w in range(WEEKS)),
    ]
    polished = _Plan(InstanceIndex(inst), plan, Budget(10**6, lambda: 1.0))
    assert _join(polished, 0, [1])
    moved = polished.movable(0)
    assert {(weekday(a.day), a.technician) for a in moved} == {(1, 1)}
    out = [*moved, *polished.movable(1)]
    assert check(inst, out) == []
    assert evaluate(inst, out)["travel"] < evaluate(inst, plan)["travel"]
