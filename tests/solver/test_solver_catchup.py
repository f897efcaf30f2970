"""Catch-ups seen from day one: every owed visit gets a week, early and evenly."""

from solver_kit import AM, MONDAY, contract, instance, technician, weekdays

from solver.catchup import expected_visits
from solver.evaluate import contract_behind_pace, contract_crowding
from solver.index import InstanceIndex
from solver.instance import week
from solver.template import StandingSlot

TUESDAY_AM = StandingSlot(weekday=1, window=AM, technician=0, phase=0)


def schedule(
    owed: int, weeks: int, days: tuple[int, ...] | None = None, **kw: object
) -> tuple[InstanceIndex, list[int]]:
    every_day = weekdays(weeks)
    term = every_day if days is None else days
    inst = instance([contract(owed=owed, days=term, **kw)], [technician(0, every_day)])
    ix = InstanceIndex(inst)
    visits = expected_visits(ix, {0: TUESDAY_AM}, [0])[0]
    return ix, [a.day for a in visits]


def test_every_owed_visit_gets_a_day_and_regular_weeks_keep_the_slot() -> None:
    ix, days = schedule(owed=12, weeks=10)
    assert len(days) == len(set(days)) == 12
    assert {week(d) for d in days} == set(ix.contract_weeks[0])
    assert sum(1 for d in days if (d - MONDAY) % 7 == 1) == 10


def test_catch_ups_are_early_not_piled_at_the_end() -> None:
    ix, days = schedule(owed=12, weeks=10)
    late = [MONDAY + 7 * k + 1 for k in range(10)] + [MONDAY + 7 * 9 + 3, MONDAY + 7 * 9 + 4]
    assert contract_behind_pace(ix, 0, days) < contract_behind_pace(ix, 0, late)
    extras = [d for d in days if (d - MONDAY) % 7 != 1]
    assert min(week(d) for d in extras) < week(MONDAY) + 5


def test_an_open_holiday_week_is_used_before_a_double() -> None:
    holiday = weekdays(1, MONDAY + 7 * 4)
    term = tuple(d for d in weekdays(9) if d not in holiday)
    ix, days = schedule(owed=9, weeks=9, days=term, holiday_days=holiday)
    assert len({week(d) for d in days}) == 9
    assert contract_crowding(ix.instance.contracts[0], days) == 0


def test_a_fortnightly_contract_visits_its_phase_weeks() -> None:
    _ix, days = schedule(owed=2, weeks=4, cadence_days=14)
    assert all(week(d) % 2 == 0 for d in days)
