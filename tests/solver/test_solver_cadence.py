"""The `scheduled` / `make_up` label, as the roster shows it."""

from solver_kit import AM, MONDAY, contract, instance, weekdays

from solver.cadence import label
from solver.instance import Assignment

NEXT = 7


def kinds(inst: object, plan: list[Assignment]) -> list[str]:
    return [a.kind for a in label(inst, tuple(plan))]


def test_first_term_visit_of_each_week_is_scheduled_a_second_is_make_up() -> None:
    inst = instance([contract(owed=3, days=weekdays(2))])
    plan = [
        Assignment(0, MONDAY, AM, 0),
        Assignment(0, MONDAY + 3, AM, 0),
        Assignment(0, MONDAY + NEXT, AM, 0),
    ]
    assert kinds(inst, plan) == ["scheduled", "make_up", "scheduled"]


def test_holiday_visits_are_make_up() -> None:
    inst = instance([contract(owed=2, days=weekdays(1), holiday_days=weekdays(1, MONDAY + NEXT))])
    plan = [Assignment(0, MONDAY, AM, 0), Assignment(0, MONDAY + NEXT, AM, 0)]
    assert kinds(inst, plan) == ["scheduled", "make_up"]


def test_fortnightly_periods_follow_the_contracts_phase() -> None:
    """Visits in weeks 1, 3 (the phase) and 2 (a catch-up in the period of week 1)."""
    inst = instance([contract(owed=3, days=weekdays(4), cadence_days=14)])
    plan = [Assignment(0, MONDAY + 7 * k, AM, 0) for k in (1, 3, 2)]
    assert kinds(inst, plan) == ["scheduled", "scheduled", "make_up"]


def test_a_fixed_visit_takes_the_periods_scheduled_place() -> None:
    fixed = (Assignment(0, MONDAY, AM, 0),)
    inst = instance([contract(owed=1, days=weekdays(1))], fixed=fixed)
    assert kinds(inst, [Assignment(0, MONDAY + 2, AM, 0)]) == ["make_up"]


def test_no_cadence_is_all_scheduled() -> None:
    inst = instance([contract(owed=2, days=weekdays(1), cadence_days=0)])
    plan = [Assignment(0, MONDAY, AM, 0), Assignment(0, MONDAY + 1, AM, 0)]
    assert kinds(inst, plan) == ["scheduled", "scheduled"]
