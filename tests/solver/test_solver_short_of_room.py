"""`solve` on a book short of technicians: the weeks are also planned on the dispatcher's own
standing slots, and the plan that places more visits wins."""

from solver.evaluate import check, evaluate
from solver.greedy import greedy
from solver.solve import SolveParams, solve
from solver.synthetic import synthetic_instance

PARAMS = SolveParams(time_limit=6, workers=1, seed=3, strategy="decomposed")


def test_a_short_book_tries_the_dispatchers_slots_and_places_at_least_as_many() -> None:
    inst = synthetic_instance(36, 3, seed=1, weeks=16)  # three technicians for 36 schools
    short = evaluate(inst, greedy(inst))["unplaced"]
    assert short > 0
    result = solve(inst, PARAMS)
    assert [p.name for p in result.phases] == [
        "standing (dispatcher's)", "weeks", "mop-up", "standing", "weeks", "mop-up",
    ]  # fmt: skip
    assert check(inst, result.assignments) == []
    assert sum(result.unplaced.values()) == result.terms["unplaced"] <= short
    assert result.terms == evaluate(inst, result.assignments)


def test_a_book_with_room_optimises_the_slots_once() -> None:
    inst = synthetic_instance(12, 4, seed=1, weeks=8)
    assert evaluate(inst, greedy(inst))["unplaced"] == 0
    result = solve(inst, PARAMS)
    assert [p.name for p in result.phases] == ["standing", "weeks", "mop-up"]
    assert result.unplaced == {}
