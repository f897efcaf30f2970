from solver_kit import AM, MONDAY, PM, WINDOWS_3H, contract, instance, rule_model, status

from solver.instance import Window
from solver.rules import visitable_days

TUESDAY = MONDAY + 1


def test_trivial_feasible() -> None:
    inst = instance([contract(days=[MONDAY])])
    model, _ = rule_model(inst, [visitable_days], force={0: 1})
    assert status(model) == "OPTIMAL"


def test_day_outside_the_contract_is_infeasible() -> None:
    inst = instance([contract(days=[MONDAY])])
    only_tuesday = [(0, TUESDAY, AM, 0), (0, TUESDAY, PM, 0)]
    model, _ = rule_model(inst, [visitable_days], slots=only_tuesday, force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_window_of_another_family_is_infeasible() -> None:
    inst = instance([contract(days=[MONDAY], windows=(AM,))])
    model, _ = rule_model(inst, [visitable_days], slots=[(0, MONDAY, PM, 0)], force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_window_outside_onsite_hours_is_infeasible() -> None:
    late = (*WINDOWS_3H, Window("EVE", 17 * 60, 19 * 60))
    inst = instance([contract(days=[MONDAY], windows=(2,))], windows=late)
    model, _ = rule_model(inst, [visitable_days], slots=[(0, MONDAY, 2, 0)], force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_holiday_day_of_an_open_site_is_allowed() -> None:
    inst = instance([contract(days=[], holiday_days=(TUESDAY,))])
    model, _ = rule_model(inst, [visitable_days], slots=[(0, TUESDAY, AM, 0)], force={0: 1})
    assert status(model) == "OPTIMAL"
