from solver_kit import AM, MONDAY, PM, WINDOWS_2H, contract, instance, rule_model, status

from solver.rules import technician_day_capacity, travel_fits_gap

RULES = [technician_day_capacity, travel_fits_gap]
AM_PM = [(0, MONDAY, AM, 0), (1, MONDAY, PM, 0)]


def _matrix(between_schools: int, n: int = 3) -> list[list[int]]:
    """Home at 0; schools 1.. are 20 min from home and `between_schools` from each other."""
    return [
        [0 if a == b else (20 if 0 in (a, b) else between_schools) for b in range(n)]
        for a in range(n)
    ]


def test_trivial_feasible() -> None:
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    model, _ = rule_model(instance(two, travel=_matrix(30)), RULES, slots=AM_PM, force={0: 1, 1: 1})
    assert status(model) == "OPTIMAL"


def test_travel_longer_than_the_gap_is_infeasible() -> None:
    """3h AM ends 11:30, PM starts 12:30: 61 minutes of driving do not fit."""
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    model, _ = rule_model(instance(two, travel=_matrix(61)), RULES, slots=AM_PM, force={0: 1, 1: 1})
    assert status(model) == "INFEASIBLE"


def test_travel_exactly_the_gap_is_allowed() -> None:
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    model, _ = rule_model(instance(two, travel=_matrix(60)), RULES, slots=AM_PM, force={0: 1, 1: 1})
    assert status(model) == "OPTIMAL"


def test_only_consecutive_visits_need_the_travel_to_fit() -> None:
    """2h AM -> PM (240 min apart) is too far direct, but a LUNCH visit between splits the trip."""
    n = 4
    travel = [[0 if a == b else 20 for b in range(n)] for a in range(n)]
    travel[1][3] = travel[3][1] = 250
    three = [contract(i, days=[MONDAY], windows=(0, 1, 2)) for i in (1, 2, 3)]
    inst = instance(three, travel=travel, windows=WINDOWS_2H)
    ends = [(0, MONDAY, 0, 0), (2, MONDAY, 2, 0)]
    model, _ = rule_model(inst, RULES, slots=ends, force={0: 1, 2: 1})
    assert status(model) == "INFEASIBLE"
    model, _ = rule_model(inst, RULES, slots=[*ends, (1, MONDAY, 1, 0)], force={0: 1, 1: 1, 2: 1})
    assert status(model) == "OPTIMAL"
