"""The model's terms equal `solver.evaluate` on random plans, whole or split into
the model's days and the plan around them (as the weekly decomposition uses them)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from solver_kit import random_instance, random_plan, term_value, weekdays

from solver.evaluate import check, evaluate
from solver.model import SOFT_RULES


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6))
def test_terms_agree_with_evaluate(seed: int) -> None:
    rng = random.Random(seed)
    inst = random_instance(rng)
    plan = [a for a in random_plan(inst, rng) if a not in inst.fixed]
    assert check(inst, plan) == []
    expected = evaluate(inst, plan)
    split_days = {d for d in weekdays(4) if rng.random() < 0.5}
    inside = [a for a in plan if a.day in split_days]
    around = [a for a in plan if a.day not in split_days]
    for rule in SOFT_RULES:
        whole = term_value(inst, rule, plan)
        assert whole == {k: expected[k] for k in whole}, rule.__name__
        split = term_value(inst, rule, inside, placed=around)
        assert split == whole, rule.__name__
