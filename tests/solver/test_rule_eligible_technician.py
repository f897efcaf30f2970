from solver_kit import AM, MONDAY, contract, instance, rule_model, status, technician

from solver.rules import eligible_technician


def test_trivial_feasible() -> None:
    inst = instance([contract(days=[MONDAY])])
    model, _ = rule_model(inst, [eligible_technician], force={0: 1})
    assert status(model) == "OPTIMAL"


def test_unlisted_technician_is_infeasible() -> None:
    inst = instance(
        [contract(location=2, days=[MONDAY], technicians=(0,))], [technician(0), technician(1)]
    )
    model, _ = rule_model(inst, [eligible_technician], slots=[(0, MONDAY, AM, 1)], force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_technician_on_leave_is_infeasible() -> None:
    inst = instance([contract(days=[MONDAY])], [technician(0, days=[MONDAY + 1])])
    model, _ = rule_model(inst, [eligible_technician], slots=[(0, MONDAY, AM, 0)], force={0: 1})
    assert status(model) == "INFEASIBLE"


def test_another_listed_technician_covers_leave() -> None:
    techs = [technician(0, days=[MONDAY + 1]), technician(1, days=[MONDAY])]
    inst = instance([contract(location=2, days=[MONDAY], technicians=(0, 1))], techs)
    model, _ = rule_model(inst, [eligible_technician], force={0: 1})
    assert status(model) == "OPTIMAL"
