"""Each soft rule on hand-computed plans: the model's term equals the definition."""

from solver_kit import AM, MONDAY, PM, contract, instance, technician, term_value, weekdays

from solver.instance import Assignment
from solver.rules import (
    continuity,
    crowding,
    disruption,
    pace,
    preference,
    regularity,
    travel,
    unplaced,
    workload,
)

TUE, WED, FRI = MONDAY + 1, MONDAY + 2, MONDAY + 4
NEXT = 7


def test_travel_of_a_two_visit_day_is_home_a_b_home() -> None:
    travel_matrix = [[0, 10, 20], [11, 0, 5], [21, 6, 0]]
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    plan = [Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, PM, 0)]
    assert term_value(instance(two, travel=travel_matrix), travel, plan) == {"travel": 10 + 5 + 21}


def test_travel_orders_by_window_not_by_input() -> None:
    travel_matrix = [[0, 10, 20], [11, 0, 5], [21, 6, 0]]
    two = [contract(1, days=[MONDAY]), contract(2, days=[MONDAY])]
    plan = [Assignment(0, MONDAY, PM, 0), Assignment(1, MONDAY, AM, 0)]
    assert term_value(instance(two, travel=travel_matrix), travel, plan) == {"travel": 20 + 6 + 11}


def test_regularity_counts_weeks_off_the_most_common_slot() -> None:
    inst = instance([contract(owed=3, days=weekdays(3))])
    plan = [
        Assignment(0, TUE, AM, 0),
        Assignment(0, TUE + NEXT, AM, 0),
        Assignment(0, WED + 2 * NEXT, AM, 0),
    ]
    assert term_value(inst, regularity, plan) == {"irregular": 1}


def test_regularity_ignores_a_second_visit_in_a_regular_week() -> None:
    inst = instance([contract(owed=3, days=weekdays(2))])
    plan = [Assignment(0, TUE, AM, 0), Assignment(0, FRI, PM, 0), Assignment(0, TUE + NEXT, AM, 0)]
    assert term_value(inst, regularity, plan) == {"irregular": 0}


def test_no_cadence_no_regularity() -> None:
    inst = instance([contract(owed=2, days=weekdays(2), cadence_days=0)])
    plan = [Assignment(0, TUE, AM, 0), Assignment(0, WED + NEXT, PM, 0)]
    assert term_value(inst, regularity, plan) == {"irregular": 0}


def test_continuity_counts_visits_of_other_technicians() -> None:
    techs = [technician(0), technician(1)]
    inst = instance([contract(2, owed=3, days=weekdays(3), technicians=(0, 1))], techs)
    plan = [Assignment(0, TUE + k * NEXT, AM, t) for k, t in enumerate((0, 1, 0))]
    assert term_value(inst, continuity, plan) == {"discontinuity": 1}


def test_preference_counts_weeks_without_a_matching_visit() -> None:
    inst = instance([contract(owed=3, days=weekdays(3), preferred_weekday=1, preferred_window=AM)])
    plan = [
        Assignment(0, TUE, AM, 0),
        Assignment(0, TUE + NEXT, PM, 0),
        Assignment(0, WED + 2 * NEXT, AM, 0),
    ]
    assert term_value(inst, preference, plan) == {"off_preference": 2}


def test_preference_needs_two_visits() -> None:
    inst = instance([contract(owed=1, days=weekdays(1), preferred_weekday=1)])
    assert term_value(inst, preference, [Assignment(0, WED, AM, 0)]) == {"off_preference": 0}


def test_crowding_of_a_weekly_double() -> None:
    """Weekly: limit 4 days; Tue -> Wed costs 3, Wed -> next Tue (6 days) nothing."""
    inst = instance([contract(owed=3, days=weekdays(2))])
    plan = [Assignment(0, TUE, AM, 0), Assignment(0, WED, AM, 0), Assignment(0, TUE + NEXT, AM, 0)]
    assert term_value(inst, crowding, plan) == {"crowding": 3}


def test_crowding_of_a_fortnightly_contract_a_week_apart() -> None:
    inst = instance([contract(owed=2, days=weekdays(2), cadence_days=14)])
    plan = [Assignment(0, TUE, AM, 0), Assignment(0, TUE + NEXT, AM, 0)]
    assert term_value(inst, crowding, plan) == {"crowding": 1}


def test_pace_penalises_visits_left_late() -> None:
    """N=2 over K=2 weeks: due 1 by week 1, 2 by week 2; both in week 2 -> behind 1."""
    inst = instance([contract(owed=2, days=weekdays(2))])
    plan = [Assignment(0, MONDAY + NEXT, AM, 0), Assignment(0, TUE + NEXT, AM, 0)]
    assert term_value(inst, pace, plan) == {"behind_pace": 1}
    early = [Assignment(0, MONDAY, AM, 0), Assignment(0, TUE, AM, 0)]
    assert term_value(inst, pace, early) == {"behind_pace": 0}


def test_workload_is_most_minus_fewest() -> None:
    techs = [technician(0), technician(1), technician(2, days=[])]
    three = [
        contract(3, days=[MONDAY], technicians=(0, 1)),
        contract(4, days=[MONDAY], technicians=(0, 1)),
    ]
    plan = [Assignment(0, MONDAY, AM, 0), Assignment(1, MONDAY, PM, 0)]
    assert term_value(instance(three, techs), workload, plan) == {"workload": 2}


def test_disruption_moved_and_reassigned() -> None:
    techs = [technician(0), technician(1)]
    hint = (Assignment(0, MONDAY, AM, 0), Assignment(0, TUE, AM, 0), Assignment(0, WED, AM, 0))
    inst = instance([contract(2, owed=3, technicians=(0, 1))], techs, hint=hint)
    plan = [Assignment(0, MONDAY, AM, 0), Assignment(0, TUE, AM, 1), Assignment(0, WED, PM, 0)]
    assert term_value(inst, disruption, plan) == {"moved": 1, "reassigned": 1}


def test_unplaced_is_owed_minus_placed() -> None:
    inst = instance([contract(owed=3, days=weekdays(1))])
    assert term_value(inst, unplaced, [Assignment(0, TUE, AM, 0)]) == {"unplaced": 2}
