"""The school's preferred weekday and/or window: per contract with a cadence, at least two
visits and a stated preference, visited weeks minus weeks with a visit matching every
stated preference.

Unlike the other per-contract terms this one is not 0 by itself with a single
visit, so when the plan around the model holds fewer than two visits a
literal `many` (at least two visits) switches the term on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.evaluate import contract_off_preference, matches_preference, states_preference
from solver.index import InstanceIndex
from solver.instance import Assignment, week
from solver.rules.common import any_of, slots_by_week, some_of

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars
) -> dict[str, cp_model.LinearExprT]:
    parts: list[cp_model.LinearExprT] = []
    for c, contract in enumerate(ix.instance.contracts):
        if contract.cadence_days <= 0 or not states_preference(contract):
            continue
        around = vars.outside_by_contract.get(c, [])
        if c not in vars.by_contract:
            if vars.constants:
                parts.append(contract_off_preference(contract, around))
            continue
        parts.append(_contract(ix, model, vars, c, around))
    return {"off_preference": cp_model.LinearExpr.sum(parts)}


def _contract(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars, c: int, around: list[Assignment]
) -> cp_model.LinearExprT:
    contract = ix.instance.contracts[c]
    visited_weeks = {week(a.day) for a in around}
    matched_weeks = {week(a.day) for a in around if matches_preference(contract, a)}
    inside = slots_by_week(vars, c)
    off: list[cp_model.LinearExprT] = [len(visited_weeks - matched_weeks - set(inside))]
    for wk, slots in inside.items():
        if wk in matched_weeks:
            continue
        matching = [s for s in slots if matches_preference(contract, Assignment(*s))]
        hit = some_of(model, vars, matching) if matching else 0
        seen = 1 if wk in visited_weeks else any_of(model, vars, slots)
        off.append(seen - hit)
    gap = cp_model.LinearExpr.sum(off)
    if len(around) >= 2:
        return gap
    slots = vars.by_contract[c]
    many = model.new_bool_var(f"many_c{c}")
    model.add(len(around) + vars.total(slots) <= 1).only_enforce_if(~many)
    term = model.new_int_var(0, len(visited_weeks) + len(slots), f"off_pref_c{c}")
    model.add(term >= gap).only_enforce_if(many)
    return term
