"""The same weekday and window every week: per contract with a cadence, visited
weeks minus the most weeks that share one (weekday, window).

Exact over the whole plan: the weeks of the model count through their
literals, every other week through the visits already there. The most common
pair is a choice: one literal per (weekday, window) says "this is the
contract's slot", and a week counts as regular when it holds a visit there
(`regular <= main`, `regular <= week has the pair`). Minimising picks the
pair in the most weeks, so the value is exact, and unlike a maximum equality
(a big-M encoding) the LP relaxation can use it. With fewer than two visits
the difference is 0 by itself, as the definition requires.
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
    pairs = sorted(set(pair_weeks) | set(pair_slots))
    main = {p: model.new_bool_var(f"main_pair_c{c}_{p[0]}_{p[1]}") for p in pairs}
    model.add_exactly_one(main.values())
    regular: list[cp_model.LinearExprT] = [len(pair_weeks.get(p, ())) * main[p] for p in pairs]
    for p, slots in pair_slots.items():
        by_week: dict[int, list] = defaultdict(list)
        for s in slots:
            if week(s[1]) not in pair_weeks.get(p, ()):
                by_week[week(s[1])].append(s)
        for group in by_week.values():
            hit = model.new_bool_var("")
            model.add(hit <= main[p])
            model.add(hit <= vars.total(group))
            regular.append(hit)
    return cp_model.LinearExpr.sum(visited) - cp_model.LinearExpr.sum(regular)
