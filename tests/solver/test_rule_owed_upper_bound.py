from solver_kit import AM, MONDAY, contract, instance, rule_model, status, weekdays

from solver.instance import Assignment
from solver.rules import owed_upper_bound


def test_trivial_feasible() -> None:
    inst = instance([contract(owed=2)])
    model, _ = rule_model(inst, [owed_upper_bound], force={0: 2})
    assert status(model) == "OPTIMAL"


def test_more_than_owed_is_infeasible() -> None:
    inst = instance([contract(owed=1)])
    model, _ = rule_model(inst, [owed_upper_bound], force={0: 2})
    assert status(model) == "INFEASIBLE"


def test_visits_placed_around_the_model_count() -> None:
    inst = instance([contract(owed=1, days=weekdays(2))])
    earlier = [Assignment(0, MONDAY + 7, AM, 0)]
    slots = [(0, MONDAY, AM, 0)]
    model, _ = rule_model(inst, [owed_upper_bound], slots=slots, placed=earlier, force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_fixed_visits_do_not_count() -> None:
    """`owed` already excludes fixed visits."""
    fixed = (Assignment(0, MONDAY + 7, AM, 0),)
    inst = instance([contract(owed=1, days=weekdays(2))], fixed=fixed)
    model, _ = rule_model(inst, [owed_upper_bound], slots=[(0, MONDAY, AM, 0)], force={0: 1})
    assert status(model) == "OPTIMAL"
