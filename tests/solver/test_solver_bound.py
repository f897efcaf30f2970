"""`lower_bound`: never above any plan's objective, and tight where the routes are forced."""

import pytest
from solver_kit import contract, instance, technician, weekdays

from solver.bound import lower_bound
from solver.evaluate import objective
from solver.greedy import greedy
from solver.index import InstanceIndex
from solver.solve import SolveParams, solve
from solver.synthetic import synthetic_instance


def test_a_school_alone_costs_its_round_trips() -> None:
    """No other school to share a day with: every visit is a round trip from home."""
    travel = [[0, 12], [14, 0]]
    inst = instance([contract(1, owed=2, days=weekdays(2))], [technician(0, weekdays(2))],
                    travel=travel)  # fmt: skip
    assert lower_bound(InstanceIndex(inst)) == 2 * (12 + 14)


def test_two_neighbours_on_one_day_share_the_legs_exactly() -> None:
    """Home 0, schools 1 and 2 three minutes apart: the bound is the route home-1-2-home."""
    travel = [[0, 8, 9], [8, 0, 3], [9, 3, 0]]
    contracts = [contract(1, days=weekdays(1)), contract(2, days=weekdays(1))]
    inst = instance(contracts, [technician(0, weekdays(1))], travel=travel)
    bound = lower_bound(InstanceIndex(inst))
    assert bound == 8 + 3 + 9
    assert bound == objective(
        inst, solve(inst, SolveParams(time_limit=10, strategy="exact")).assignments
    )


def test_unplaceable_visits_count_at_the_unplaced_weight() -> None:
    """Owed 3 with 2 visitable days: one visit is certainly unplaced."""
    inst = instance([contract(1, owed=3, days=weekdays(1)[:2])], travel=[[0, 5], [5, 0]])
    assert lower_bound(InstanceIndex(inst)) == 10_000 + 2 * 10


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_no_plan_beats_the_bound(seed: int) -> None:
    inst = synthetic_instance(14, 3, seed=seed, weeks=3)
    bound = lower_bound(InstanceIndex(inst))
    result = solve(inst, SolveParams(time_limit=4, seed=seed))
    assert 0 < bound <= result.objective <= objective(inst, greedy(inst))
    assert bound <= result.best_bound <= result.objective
