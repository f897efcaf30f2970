"""`check` names every hard-rule violation, and nothing on a clean plan."""

import pytest
from solver_kit import AM, MONDAY, PM, contract, instance, technician, weekdays

from solver.evaluate import check, evaluate, quality
from solver.instance import Assignment
from solver.objective import TERMS

TUE = MONDAY + 1


def two_schools(**kw: object) -> object:
    return instance([contract(1, owed=2), contract(2, owed=2)], **kw)


def test_clean_plan_has_no_violation() -> None:
    plan = [Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, PM, 0)]
    assert check(two_schools(), plan) == []


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ([Assignment(0, MONDAY + 7, AM, 0)], "visitable"),
        ([Assignment(0, MONDAY, 4, 0)], "out of range"),
        ([Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, AM, 0)], "overlap"),
        ([Assignment(0, MONDAY, AM, 0), Assignment(0, MONDAY, PM, 0)], "2 visits"),
        (
            [
                Assignment(0, MONDAY, AM, 0),
                Assignment(0, TUE, AM, 0),
                Assignment(0, MONDAY + 2, AM, 0),
            ],
            "owed",
        ),
    ],
)
def test_each_violation_is_named(plan: list[Assignment], words: str) -> None:
    assert any(words in message for message in check(two_schools(), plan))


def test_unavailable_and_unlisted_technicians() -> None:
    techs = [technician(0, days=[TUE]), technician(1)]
    inst = instance([contract(2, owed=2, technicians=(0,))], techs)
    problems = check(inst, [Assignment(0, MONDAY, AM, 0), Assignment(0, TUE, AM, 1)])
    assert any("T0 not available" in p for p in problems)
    assert any("T1 not eligible" in p for p in problems)


def test_travel_longer_than_the_gap() -> None:
    travel = [[0, 20, 20], [20, 0, 61], [20, 61, 0]]
    inst = two_schools(travel=travel)
    problems = check(inst, [Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, PM, 0)])
    assert any("does not fit" in p for p in problems)


def test_commute_and_daily_cap() -> None:
    travel = [[0, 70, 20], [70, 0, 5], [20, 5, 0]]
    inst = two_schools(travel=travel, technicians=(technician(max_visits_per_day=1),))
    problems = check(inst, [Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, PM, 0)])
    assert any("commute" in p for p in problems)
    assert any("at most 1" in p for p in problems)


def test_conflicts_among_fixed_visits_alone_are_not_the_plans() -> None:
    fixed = (Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, AM, 0))
    assert check(two_schools(fixed=fixed), []) == []


def test_evaluate_names_every_term_and_quality_pools_contracts() -> None:
    inst = instance([contract(owed=2, days=weekdays(2), preferred_weekday=0)])
    plan = [Assignment(0, MONDAY, AM, 0), Assignment(0, MONDAY + 8, AM, 0)]
    terms = evaluate(inst, plan)
    assert tuple(terms) == TERMS
    assert terms["irregular"] == 1 and terms["off_preference"] == 1 and terms["unplaced"] == 0
    q = quality(inst, plan)
    assert (q.visits, q.regularity, q.preference, q.continuity) == (2, 0.5, 0.5, 1.0)
    assert q.travel_per_visit == 20.0
