"""The mop-up: visits still owed after the weeks, placed by making room."""

from solver import mopup
from solver.cpsat import Clock
from solver.index import InstanceIndex
from solver.instance import Assignment, week, weekday
from solver.occupancy import Occupancy
from solver.params import SolveParams
from tests.solver.solver_kit import AM, MONDAY, contract, instance, technician, weekdays

PARAMS = SolveParams(time_limit=10, workers=1, seed=1)


def test_candidate_days_are_days_a_technician_works_emptiest_weeks_first() -> None:
    """A school whose only nearby technician works Wednesdays: no other day is a candidate,
    and the week that already has a visit (by someone else, on a Tuesday) comes last."""
    wednesdays = [d for d in weekdays(4) if weekday(d) == 2]
    tuesday_week_2 = MONDAY + 7 + 1
    inst = instance(
        [contract(2, owed=3, days=weekdays(4), technicians=(0, 1))],
        [technician(0, days=wednesdays), technician(1, days=[tuesday_week_2])],
    )
    ix = InstanceIndex(inst)
    occ = Occupancy(ix)
    occ.add(Assignment(0, tuesday_week_2, AM, 1))
    days = mopup._days(ix, occ, 0, [0], limit=None)
    assert days == [wednesdays[0], wednesdays[2], wednesdays[3], wednesdays[1]]


def test_one_day_of_each_week_comes_before_a_second_day_of_any_and_not_always_monday() -> None:
    inst = instance([contract(1, owed=4, days=weekdays(3))], [technician(0, days=weekdays(3))])
    ix = InstanceIndex(inst)
    days = mopup._days(ix, Occupancy(ix), 0, [0], limit=4)
    assert [week(d) for d in days[:3]] == [week(MONDAY + 7 * k) for k in range(3)]
    assert len({weekday(d) for d in days[:3]}) == 3  # the weekday turns with the week


def test_in_each_week_the_contracts_usual_weekday_comes_first() -> None:
    """Visits on Thursdays already: a Thursday of an empty week keeps the contract regular."""
    inst = instance([contract(1, owed=5, days=weekdays(4))], [technician(0, days=weekdays(4))])
    ix = InstanceIndex(inst)
    occ = Occupancy(ix)
    occ.add(Assignment(0, MONDAY + 3, AM, 0))
    occ.add(Assignment(0, MONDAY + 7 + 3, AM, 0))
    days = mopup._days(ix, occ, 0, [0], limit=2)
    assert days == [MONDAY + 14 + 3, MONDAY + 21 + 3]


def test_a_visit_making_room_may_move_to_another_day_of_its_week() -> None:
    """The only technician of school 1 can do one visit a day and has Monday taken by school 2,
    whose visit no one else can take that day: only moving it to Tuesday places school 1."""
    inst = instance(
        [contract(1, owed=1, days=(MONDAY,)), contract(2, owed=1, days=weekdays(1))],
        [technician(0, max_visits_per_day=1)],
    )
    ix = InstanceIndex(inst)
    occ = Occupancy(ix)
    occ.add(Assignment(1, MONDAY, AM, 0))
    assert not occ.fits(0, MONDAY, AM, 0)
    mopup.mop_up(ix, occ, PARAMS, Clock(PARAMS.time_limit), budget=8.0, reserve=0.0)
    by_contract = {a.contract: a for a in occ.visits}
    assert by_contract[0].day == MONDAY
    assert by_contract[1].day != MONDAY and week(by_contract[1].day) == week(MONDAY)


def test_without_a_free_day_in_the_week_nothing_moves() -> None:
    inst = instance(
        [contract(1, owed=1, days=(MONDAY,)), contract(2, owed=1, days=(MONDAY,))],
        [technician(0, max_visits_per_day=1)],
    )
    ix = InstanceIndex(inst)
    occ = Occupancy(ix)
    occ.add(Assignment(1, MONDAY, AM, 0))
    mopup.mop_up(ix, occ, PARAMS, Clock(PARAMS.time_limit), budget=8.0, reserve=0.0)
    assert list(occ.visits) == [Assignment(1, MONDAY, AM, 0)]


def test_contracts_owed_the_most_come_first() -> None:
    inst = instance([contract(1, owed=1), contract(2, owed=3), contract(3, owed=2)])
    ix = InstanceIndex(inst)
    assert mopup._missing(ix, Occupancy(ix)) == [1, 2, 0]


def test_a_book_far_short_builds_a_bounded_number_of_repair_models() -> None:
    """Seventy contracts nobody can visit (their one technician works Mondays, they open on
    Tuesdays): each round stops at MODELS models instead of building one per contract."""
    mondays, tuesdays = (MONDAY,), (MONDAY + 1,)
    inst = instance(
        [contract(k, owed=1, days=tuesdays) for k in range(1, 71)],
        [technician(0, days=mondays)],
    )
    ix = InstanceIndex(inst)
    stats = mopup.mop_up(ix, Occupancy(ix), PARAMS, Clock(PARAMS.time_limit), 8.0, 0.0)
    assert stats.subproblems == 2 * mopup.MODELS < 18 + 70  # not 18 batches, then 70 models
