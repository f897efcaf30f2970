"""The solver's share of a command's --time-limit (`scheduler.cli.solve_budget`)."""

from __future__ import annotations

import pytest

from scheduler.cli import MIN_SOLVE_SECONDS, solve_budget


@pytest.mark.parametrize("spent", [0.05, 0.4, 1.9])
def test_the_share_does_not_depend_on_start_up_time(spent: float) -> None:
    # The work budget derives from it: a seed must give the same plan on a busy machine.
    assert solve_budget(20, spent) == 16.0


def test_a_slow_start_up_comes_off_the_share() -> None:
    assert solve_budget(20, 3.0) == 15.0


def test_the_solver_always_gets_time_for_the_dispatchers_plan() -> None:
    assert solve_budget(2, 5.0) == MIN_SOLVE_SECONDS
