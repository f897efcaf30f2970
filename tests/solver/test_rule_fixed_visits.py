from solver_kit import AM, MONDAY, PM, contract, instance, rule_model, status, technician

from solver.instance import Assignment
from solver.rules import fixed_visits, technician_day_capacity

RULES = [fixed_visits, technician_day_capacity]


def test_fixed_visit_beside_a_free_window_is_feasible() -> None:
    fixed = (Assignment(0, MONDAY, AM, 0),)
    two = [contract(1, days=[MONDAY], owed=0), contract(2, days=[MONDAY])]
    model, vars_ = rule_model(instance(two, fixed=fixed), RULES, slots=[(1, MONDAY, PM, 0)])
    assert vars_.pinned == {(0, MONDAY, AM, 0)}
    assert status(model) == "OPTIMAL"


def test_fixed_visit_uses_the_technicians_capacity() -> None:
    fixed = (Assignment(0, MONDAY, AM, 0),)
    two = [contract(1, days=[MONDAY], owed=0), contract(2, days=[MONDAY])]
    inst = instance(two, [technician(max_visits_per_day=1)], fixed=fixed)
    model, _ = rule_model(inst, RULES, slots=[(1, MONDAY, PM, 0)], force={1: 1})
    assert status(model) == "INFEASIBLE"


def test_fixed_visit_cannot_be_dropped() -> None:
    fixed = (Assignment(0, MONDAY, AM, 0),)
    two = [contract(1, days=[MONDAY], owed=0), contract(2, days=[MONDAY])]
    inst = instance(two, fixed=fixed)
    model, _ = rule_model(inst, RULES, slots=[(1, MONDAY, AM, 0)], force={1: 1})
    assert status(model) == "INFEASIBLE"


def test_conflicting_fixed_visits_do_not_make_the_model_infeasible() -> None:
    """Two fixed visits in one window are the input's problem; the plan keeps both."""
    fixed = (Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, AM, 0))
    two = [contract(1, days=[MONDAY], owed=0), contract(2, days=[MONDAY], owed=0)]
    model, _ = rule_model(instance(two, fixed=fixed), RULES, slots=[])
    assert status(model) == "OPTIMAL"
