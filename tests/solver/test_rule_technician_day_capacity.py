from solver_kit import (
    AM,
    MONDAY,
    PM,
    WINDOWS_2H,
    WINDOWS_3H,
    contract,
    instance,
    rule_model,
    status,
    technician,
)

from solver.rules import technician_day_capacity

LUNCH_2H = 2  # index of the 2h LUNCH window once appended after the 3h family
MIXED = (*WINDOWS_3H, WINDOWS_2H[1], WINDOWS_2H[2])


def test_trivial_feasible() -> None:
    model, _ = rule_model(
        instance([contract(days=[MONDAY])]), [technician_day_capacity], force={0: 1}
    )
    assert status(model) == "OPTIMAL"


def test_more_visits_than_the_cap_is_infeasible() -> None:
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    inst = instance(two, [technician(days=[MONDAY], max_visits_per_day=1)])
    model, _ = rule_model(inst, [technician_day_capacity], force={0: 1, 1: 1})
    assert status(model) == "INFEASIBLE"


def test_two_visits_in_one_window_is_infeasible() -> None:
    two = [contract(1, days=[MONDAY], windows=(AM,)), contract(2, days=[MONDAY], windows=(AM,))]
    slots = [(0, MONDAY, AM, 0), (1, MONDAY, AM, 0)]
    model, _ = rule_model(instance(two), [technician_day_capacity], slots=slots, force={0: 1, 1: 1})
    assert status(model) == "INFEASIBLE"


def test_overlapping_windows_of_two_families_is_infeasible() -> None:
    """3h AM (08:30-11:30) and 2h LUNCH (11:00-13:00) overlap."""
    two = [
        contract(1, days=[MONDAY], windows=(AM,)),
        contract(2, days=[MONDAY], windows=(LUNCH_2H,)),
    ]
    slots = [(0, MONDAY, AM, 0), (1, MONDAY, LUNCH_2H, 0)]
    model, _ = rule_model(
        instance(two, windows=MIXED), [technician_day_capacity], slots=slots, force={0: 1, 1: 1}
    )
    assert status(model) == "INFEASIBLE"


def test_am_and_pm_on_one_day_are_allowed() -> None:
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    slots = [(0, MONDAY, AM, 0), (1, MONDAY, PM, 0)]
    model, _ = rule_model(instance(two), [technician_day_capacity], slots=slots, force={0: 1, 1: 1})
    assert status(model) == "OPTIMAL"


def test_three_two_hour_visits_fit_the_default_cap() -> None:
    three = [contract(i, days=[MONDAY], windows=(0, 1, 2)) for i in (1, 2, 3)]
    slots = [(i, MONDAY, i, 0) for i in range(3)]
    inst = instance(three, windows=WINDOWS_2H)
    model, _ = rule_model(inst, [technician_day_capacity], slots=slots, force={0: 1, 1: 1, 2: 1})
    assert status(model) == "OPTIMAL"
