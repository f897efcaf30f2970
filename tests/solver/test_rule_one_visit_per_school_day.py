from solver_kit import AM, MONDAY, PM, contract, instance, rule_model, status

from solver.instance import Assignment
from solver.rules import fixed_visits, one_visit_per_school_day, visitable_days

RULES = [visitable_days, fixed_visits, one_visit_per_school_day]


def test_trivial_feasible() -> None:
    inst = instance([contract(days=[MONDAY])])
    model, _ = rule_model(inst, RULES, force={0: 1})
    assert status(model) == "OPTIMAL"


def test_two_contracts_of_one_school_on_one_day_is_infeasible() -> None:
    two = [contract(1, days=[MONDAY], school="S"), contract(2, days=[MONDAY], school="S")]
    model, _ = rule_model(instance(two), RULES, force={0: 1, 1: 1})
    assert status(model) == "INFEASIBLE"


def test_a_contract_twice_on_one_day_is_infeasible() -> None:
    inst = instance([contract(days=[MONDAY], owed=2)])
    model, _ = rule_model(inst, RULES, force={0: 2})
    assert status(model) == "INFEASIBLE"


def test_fixed_visit_blocks_the_schools_day() -> None:
    fixed = (Assignment(0, MONDAY, AM, 0),)
    inst = instance([contract(days=[MONDAY], owed=1)], fixed=fixed)
    model, _ = rule_model(inst, RULES, force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_two_schools_on_one_day_are_allowed() -> None:
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    model, _ = rule_model(
        instance(two), RULES, slots=[(0, MONDAY, AM, 0), (1, MONDAY, PM, 0)], force={0: 1, 1: 1}
    )
    assert status(model) == "OPTIMAL"


def test_same_school_on_two_days_is_allowed() -> None:
    two = [contract(1, days=[MONDAY], school="S"), contract(2, days=[MONDAY + 1], school="S")]
    model, _ = rule_model(instance(two), RULES, force={0: 1, 1: 1})
    assert status(model) == "OPTIMAL"
