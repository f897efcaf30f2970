"""The dispatcher baseline never breaks a hard rule and delivers what the calendar allows."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from solver_kit import random_instance

from solver.evaluate import check, evaluate
from solver.greedy import greedy
from solver.synthetic import synthetic_instance


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6))
def test_greedy_never_breaks_a_hard_rule(seed: int) -> None:
    inst = random_instance(random.Random(seed))
    assert check(inst, greedy(inst)) == []


def test_greedy_on_a_small_book_places_every_visit() -> None:
    inst = synthetic_instance(20, 4, seed=3, weeks=8)
    plan = greedy(inst)
    assert check(inst, plan) == []
    assert evaluate(inst, plan)["unplaced"] == 0
    assert {a.kind for a in plan} <= {"scheduled", "make_up"}
