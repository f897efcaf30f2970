"""`solve`: explicit parameters in, a typed result that agrees with `evaluate` out."""

import time

from solver_kit import AM, MONDAY, contract, instance, technician, weekdays

from solver.cpsat import Clock
from solver.evaluate import check, evaluate, objective
from solver.greedy import contract_order, greedy, greedy_plan
from solver.index import InstanceIndex
from solver.instance import Assignment, Instance, Technician
from solver.params import Progress
from solver.solve import (
    FINISH_SHARE,
    MOP_UP_SHARE,
    WEEKS_SHARE,
    SolveParams,
    SolveResult,
    _decomposition_floor,
    _previous,
    _standing,
    solve,
)
from solver.synthetic import synthetic_instance

EXACT = SolveParams(time_limit=10, strategy="exact")


def tiny() -> Instance:
    """Two schools near two technicians, two weeks, one preferring Tuesday."""
    travel = [
        [0, 30, 8, 9],
        [30, 0, 25, 26],
        [8, 25, 0, 3],
        [9, 26, 3, 0],
    ]
    contracts = [
        contract(2, owed=2, days=weekdays(2), technicians=(0, 1), preferred_weekday=1),
        contract(3, owed=2, days=weekdays(2), technicians=(0, 1)),
    ]
    return instance(
        contracts, [technician(0, weekdays(2)), technician(1, weekdays(2))], travel=travel
    )


def test_exact_is_optimal_and_agrees_with_evaluate() -> None:
    inst = tiny()
    result = solve(inst, EXACT)
    assert result.status == "OPTIMAL"
    assert result.strategy == "exact"
    assert check(inst, result.assignments) == []
    assert result.terms == evaluate(inst, result.assignments)
    assert result.objective == objective(inst, result.assignments)
    assert result.best_bound == result.objective and result.gap == 0.0
    assert result.unplaced == {}
    assert result.terms["off_preference"] == 0 and result.terms["irregular"] == 0
    assert result.terms["travel"] == 2 * (8 + 3 + 9)  # both schools on one day, both weeks


def test_a_visit_that_cannot_fit_is_reported_unplaced() -> None:
    """School S has a fixed visit on the only day its other contract could be visited."""
    fixed = (Assignment(0, MONDAY, AM, 0),)
    contracts = [
        contract(1, owed=0, days=[MONDAY], school="S"),
        contract(2, owed=1, days=[MONDAY], school="S"),
    ]
    result = solve(instance(contracts, fixed=fixed), EXACT)
    assert result.status == "OPTIMAL"
    assert result.assignments == ()
    assert result.unplaced == {1: 1}


def test_invalid_instance() -> None:
    inst = instance([contract()], travel=[[0, 1], [1, 0], [2, 2]])
    result = solve(inst, EXACT)
    assert result.status == "MODEL_INVALID"
    assert any("square" in m for m in result.messages)


def test_bad_technician_index() -> None:
    inst = instance([contract(technicians=(5,))])
    assert solve(inst, EXACT).status == "MODEL_INVALID"


def test_decomposed_never_worse_than_greedy_and_reports_progress() -> None:
    inst = synthetic_instance(16, 3, seed=5, weeks=6)
    events: list[Progress] = []
    result = solve(inst, SolveParams(time_limit=8, strategy="decomposed"), events.append)
    assert isinstance(result, SolveResult)
    assert result.status == "FEASIBLE"
    assert check(inst, result.assignments) == []
    base = greedy(inst)
    assert sum(result.unplaced.values()) <= evaluate(inst, base)["unplaced"]
    assert result.objective <= objective(inst, base)
    assert 0 <= result.best_bound <= result.objective
    assert result.first_feasible_seconds is not None and result.seconds < 8
    assert [p.name for p in result.phases] == ["standing", "weeks", "mop-up", "polish"]
    assert events[0].phase == "greedy" and events[-1].phase == "done"
    assert events[-1].objective == result.objective


def test_decomposed_is_deterministic_for_a_seed() -> None:
    """Work budgets, not the clock, stop every search; a low work rate keeps the clock away."""
    inst = synthetic_instance(16, 3, seed=6, weeks=6)
    params = SolveParams(time_limit=8, strategy="decomposed", seed=3, work_per_second=0.05)
    first, second = solve(inst, params), solve(inst, params)
    assert first.assignments == second.assignments
    assert first.objective == second.objective


def test_no_technician_no_plan_but_no_crash() -> None:
    inst = instance([contract(owed=2, technicians=())], [Technician("T0", 0, frozenset())])
    result = solve(inst, SolveParams(time_limit=2))
    assert result.unplaced == {0: 2}


def test_greedy_strategy_is_the_baseline_alone() -> None:
    inst = synthetic_instance(10, 2, seed=7, weeks=3)
    result = solve(inst, SolveParams(time_limit=5, strategy="greedy"))
    assert result.assignments == tuple(
        sorted(greedy(inst), key=lambda a: (a.day, a.technician, a.window))
    )
    assert result.phases == () and result.status == "FEASIBLE"


def test_a_time_limit_too_short_to_optimise_returns_the_greedy_plan_at_once() -> None:
    # synthetic_instance(120, 12, weeks=40): ~4,800 contract-weeks, a floor near a second.
    inst = synthetic_instance(120, 12, seed=8, weeks=40)
    result = solve(inst, SolveParams(time_limit=0.05, strategy="decomposed"))
    assert result.strategy == "greedy" and result.phases == ()
    assert "the time limit left no time to optimise the greedy plan" in result.messages
    assert check(inst, result.assignments) == []
    assert result.seconds < 1.0


def test_the_standing_model_is_not_built_when_its_set_up_would_overrun() -> None:
    # Left: the phases after it plus one decomposition floor, less than the model's set-up.
    inst = synthetic_instance(120, 12, seed=8, weeks=40)
    ix = InstanceIndex(inst)
    base = greedy_plan(ix)
    budget = 10.0
    reserve = budget * (WEEKS_SHARE + MOP_UP_SHARE + FINISH_SHARE + 0.05)
    left = reserve + _decomposition_floor(ix)
    clock = Clock(budget, started=time.monotonic() - (budget - left))
    slots, stats = _standing(ix, contract_order(ix), base.standing, EXACT, clock, None, budget, 0)
    assert slots == base.standing
    assert stats.statuses == {"OUT_OF_TIME": 1}
    assert stats.seconds == 0.0


def test_the_previous_plan_is_a_candidate_without_its_visits_that_no_longer_fit() -> None:
    days = weekdays(2)
    away = days[1]
    inst = instance(
        [contract(1, owed=2, days=days, cadence_days=7)],
        [technician(0, [d for d in days if d != away])],
        hint=(Assignment(0, days[0], AM, 0), Assignment(0, away, AM, 0)),
    )
    assert _previous(InstanceIndex(inst)) == (Assignment(0, days[0], AM, 0),)
