"""Catch-ups early and evenly: per contract with a cadence, over the weeks holding one of
its visitable days (K of them, rank k), with N visits in the horizon (owed + fixed),
max(0, N * k // K - visits by the end of week k), summed.

The visits by week k are a constant plus the model's literals dated up to
then. Consecutive weeks that see the same literals form a group whose cost
is a convex, decreasing function f(e) of their sum e in 0..m (m = distinct
days): cost >= each chord of f gives f exactly at integers, with m
inequalities however many weeks the group spans (a week model has one
group covering the rest of the year).
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.evaluate import contract_behind_pace, pace_targets
from solver.index import InstanceIndex

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars
) -> dict[str, cp_model.LinearExprT]:
    parts: list[cp_model.LinearExprT] = []
    for c, contract in enumerate(ix.instance.contracts):
        if contract.cadence_days <= 0:
            continue
        around = sorted(a.day for a in vars.outside_by_contract.get(c, []))
        if c not in vars.by_contract:
            if vars.constants:
                parts.append(contract_behind_pace(ix, c, around))
            continue
        parts.append(_contract(ix, model, vars, c, around))
    return {"behind_pace": cp_model.LinearExpr.sum(parts)}


def _contract(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars, c: int, around: list[int]
) -> cp_model.LinearExprT:
    slots = sorted(vars.by_contract[c], key=lambda s: s[1])
    slot_days = [s[1] for s in slots]
    groups: dict[int, list[int]] = {}
    """Number of slots dated up to the week -> shortfalls before counting them."""
    for end, due in pace_targets(ix, c):
        seen = bisect.bisect_right(slot_days, end)
        groups.setdefault(seen, []).append(due - bisect.bisect_right(around, end))
    cost: list[cp_model.LinearExprT] = []
    for seen, shortfalls in groups.items():
        if seen == 0:
            cost.append(sum(max(0, s) for s in shortfalls))
            continue
        e = vars.total(slots[:seen])
        m = len(set(slot_days[:seen]))

        def f(value: int, shortfalls: list[int] = shortfalls) -> int:
            return sum(max(0, s - value) for s in shortfalls)

        if f(0) == 0:
            continue
        z = model.new_int_var(0, f(0), f"pace_c{c}_{seen}")
        for j in range(m):
            model.add(z >= f(j) + (f(j + 1) - f(j)) * (e - j))
        cost.append(z)
    return cp_model.LinearExpr.sum(cost)
