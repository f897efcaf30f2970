"""The same weekday and window every week: per contract with a cadence, visited
weeks minus the most weeks that share one (weekday, window).

Exact over the whole plan: the weeks of the model count through their
literals, every other week through the visits already there. The maximum is
an `add_max_equality`, so it is the true mode and not a bound. With fewer than
two visits the difference is 0 by itself, as the definition requires.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.evaluate import contract_irregular
from solver.index import InstanceIndex
from solver.instance import week, weekday
from solver.rules.common import any_of, slots_by_week

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars
) -> dict[str, cp_model.LinearExprT]:
    parts: list[cp_model.LinearExprT] = []
    for c, contract in enumerate(ix.instance.contracts):
        if contract.cadence_days <= 0:
            continue
        around = vars.outside_by_contract.get(c, [])
        if c not in vars.by_contract:
            if vars.constants:
                parts.append(contract_irregular(contract, around))
            continue
        parts.append(_contract(model, vars, c, around))
    return {"irregular": cp_model.LinearExpr.sum(parts)}


def _contract(
    model: cp_model.CpModel, vars: VisitVars, c: int, around: list
) -> cp_model.LinearExprT:
    inside = slots_by_week(vars, c)
    outside_weeks = {week(a.day) for a in around}
    pair_weeks: dict[tuple[int, int], set[int]] = defaultdict(set)
    for a in around:
        pair_weeks[(weekday(a.day), a.window)].add(week(a.day))
    visited: list[cp_model.LinearExprT] = [len(outside_weeks)]
    for wk, slots in inside.items():
        if wk not in outside_weeks:
            visited.append(any_of(model, vars, slots))
    pair_slots: dict[tuple[int, int], list] = defaultdict(list)
    for slots in inside.values():
        for s in slots:
            pair_slots[(weekday(s[1]), s[2])].append(s)
    counts = []
    for pair in sorted(set(pair_weeks) | set(pair_slots)):
        have = pair_weeks.get(pair, set())
        new = [s for s in pair_slots.get(pair, []) if week(s[1]) not in have]
        counts.append(len(have) + vars.total(new))
    mode = model.new_int_var(0, len(outside_weeks) + len(inside), f"mode_c{c}")
    model.add_max_equality(mode, counts)
    return cp_model.LinearExpr.sum(visited) - mode
