from solver_kit import MONDAY, contract, instance, rule_model, status, technician

from solver.rules import commute


def _one_way(minutes: int, back: int | None = None) -> list[list[int]]:
    return [[0, minutes], [minutes if back is None else back, 0]]


def test_trivial_feasible() -> None:
    inst = instance([contract(days=[MONDAY])], travel=_one_way(30))
    model, _ = rule_model(inst, [commute], force={0: 1})
    assert status(model) == "OPTIMAL"


def test_school_beyond_the_commute_is_infeasible() -> None:
    inst = instance([contract(days=[MONDAY])], travel=_one_way(61))
    model, _ = rule_model(inst, [commute], force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_the_way_home_counts_too() -> None:
    inst = instance([contract(days=[MONDAY])], travel=_one_way(30, back=61))
    model, _ = rule_model(inst, [commute], force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_exactly_the_limit_is_allowed() -> None:
    inst = instance([contract(days=[MONDAY])], [technician(max_commute=45)], travel=_one_way(45))
    model, _ = rule_model(inst, [commute], force={0: 1})
    assert status(model) == "OPTIMAL"
