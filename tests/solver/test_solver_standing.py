"""Which technicians the standing model offers each contract (`solver.standing`)."""

from __future__ import annotations

from solver_kit import contract, instance, technician, weekdays

from solver.index import InstanceIndex
from solver.objective import DEFAULT_WEIGHTS
from solver.params import SolveParams
from solver.standing import LARGE_BOOK, Book, candidate_technicians, mostly_away
from solver.template import Coverage, StandingSlot


def test_small_books_keep_six_candidates_and_large_ones_get_four() -> None:
    auto = SolveParams(time_limit=1)
    assert candidate_technicians(LARGE_BOOK, auto) == 6
    assert candidate_technicians(LARGE_BOOK + 1, auto) == 4
    assert (
        candidate_technicians(LARGE_BOOK + 1, SolveParams(time_limit=1, standing_technicians=6))
        == 6
    )


def test_a_contract_is_offered_only_its_nearest_technicians() -> None:
    # Technicians at 0..7, the school at 8; technician t lives 10 + t minutes away.
    n = 9
    travel = [[0 if a == b else 10 + min(a, b) for b in range(n)] for a in range(n)]
    techs = [technician(t) for t in range(8)]
    inst = instance([contract(8, technicians=tuple(range(8)))], techs, travel=travel)
    book = Book(InstanceIndex(inst), [0], {}, SolveParams(time_limit=1))
    assert {o.slot.technician for o in book.options[0]} == set(range(6))


def _near_and_away_book(
    near_days: tuple[int, ...], hint: dict[int, StandingSlot] | None = None
) -> Book:
    """A weekly contract over 4 weeks; technician 0 lives nearest but works only `near_days`,
    technician 1 is further and works every day."""
    travel = [[0, 30, 5], [30, 0, 20], [5, 20, 0]]
    techs = [technician(0, days=near_days), technician(1, days=weekdays(4))]
    inst = instance(
        [contract(2, owed=4, days=weekdays(4), technicians=(0, 1))], techs, travel=travel
    )
    return Book(InstanceIndex(inst), [0], hint or {}, SolveParams(time_limit=1))


def test_a_technician_away_on_most_of_the_slots_weeks_is_no_candidate() -> None:
    # The nearest technician is there 1 week in 4, as one dedicated to a full-managed school.
    book = _near_and_away_book(weekdays(1))
    assert {o.slot.technician for o in book.options[0]} == {1}


def test_a_technician_there_half_the_weeks_stays_a_candidate() -> None:
    book = _near_and_away_book(weekdays(2))
    assert {o.slot.technician for o in book.options[0]} == {0, 1}


def test_mostly_away_technicians_stay_when_no_other_is_there() -> None:
    travel = [[0, 5], [5, 0]]
    inst = instance(
        [contract(1, owed=4, days=weekdays(4), technicians=(0,))],
        [technician(0, days=weekdays(1))],
        travel=travel,
    )
    book = Book(InstanceIndex(inst), [0], {}, SolveParams(time_limit=1))
    assert {o.slot.technician for o in book.options[0]} == {0}


def test_the_hinted_slot_stays_a_candidate_even_when_its_technician_is_mostly_away() -> None:
    hinted = StandingSlot(weekday=0, window=0, technician=0, phase=0)
    book = _near_and_away_book(weekdays(1), {0: hinted})
    assert hinted in {o.slot for o in book.options[0]}
    assert {o.slot.technician for o in book.options[0]} == {0, 1}


def test_mostly_away_compares_away_weeks_with_usable_ones() -> None:
    assert mostly_away(Coverage(usable=2, day_blocked=1, tech_away=19))
    assert not mostly_away(Coverage(usable=10, day_blocked=0, tech_away=10))


def test_a_mostly_away_technician_does_not_take_a_candidates_place() -> None:
    # Technicians at 0..7, the school at 8; the nearest (0) works one week of the four.
    n = 9
    travel = [[0 if a == b else 10 + min(a, b) for b in range(n)] for a in range(n)]
    techs = [technician(0, days=weekdays(1))] + [
        technician(t, days=weekdays(4)) for t in range(1, 8)
    ]
    inst = instance(
        [contract(8, owed=4, days=weekdays(4), technicians=tuple(range(8)))], techs, travel=travel
    )
    book = Book(InstanceIndex(inst), [0], {}, SolveParams(time_limit=1))
    assert {o.slot.technician for o in book.options[0]} == set(range(1, 7))


def _two_school_book(weights: dict[str, float]) -> Book:
    """Two weekly schools near each other and one technician, 4 weeks, every weight as given."""
    travel = [[0, 20, 22], [20, 0, 5], [22, 5, 0]]
    contracts = [contract(s, owed=4, days=weekdays(4), technicians=(0,)) for s in (1, 2)]
    inst = instance(contracts, [technician(0, days=weekdays(4))], travel=travel, weights=weights)
    return Book(InstanceIndex(inst), [0, 1], {}, SolveParams(time_limit=1))


def test_every_standing_price_scales_with_the_weights() -> None:
    # settings.toml may weigh travel up: the slots' round trips, the pairs' savings and the price
    # of no slot must all follow, or the model trades them at the default rate.
    base = _two_school_book({})
    tripled = _two_school_book({name: 3 * value for name, value in DEFAULT_WEIGHTS.items()})
    for c in (0, 1):
        assert [3 * o.cost for o in base.options[c]] == [o.cost for o in tripled.options[c]]
        assert 3 * base.none_cost[c] == tripled.none_cost[c]
    assert {k: [(*v[:3], 3 * v[3]) for v in terms] for k, terms in base.pairs.items()} == (
        tripled.pairs
    )
    assert base.pairs  # the two schools do share a day's savings


def test_a_heavier_travel_weight_adds_the_round_trips_to_each_slots_price() -> None:
    base, heavier = _two_school_book({}), _two_school_book({"travel": 2})
    # School 1's round trip is 40 minutes, each of its 4 weeks on the slot.
    assert [o.cost + 4 * 40 for o in base.options[0]] == [o.cost for o in heavier.options[0]]
