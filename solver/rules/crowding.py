"""Visits spaced by the cadence: per contract with a cadence, consecutive visits `gap` days
apart cost max(0, cadence_days // 2 + 1 - gap).

Two possible visit days d1 < d2 closer than the limit are consecutive when
both are visited and no day between them is: y >= v1 + v2 - 1 - sum(v between).
Only pairs within the limit matter, so each day has a handful of partners.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.evaluate import contract_crowding, crowding_limit
from solver.index import InstanceIndex
from solver.instance import Assignment

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
                parts.append(contract_crowding(contract, [a.day for a in around]))
            continue
        parts.append(_contract(ix, model, vars, c, around))
    return {"crowding": cp_model.LinearExpr.sum(parts)}


def _contract(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars, c: int, around: list[Assignment]
) -> cp_model.LinearExprT:
    limit = crowding_limit(ix.instance.contracts[c])
    certain = {a.day for a in around}
    on_day = defaultdict(list)
    for s in vars.by_contract[c]:
        if s[1] not in certain:
            on_day[s[1]].append(s)
    days = sorted(certain | set(on_day))
    cost: list[cp_model.LinearExprT] = []
    for i, d1 in enumerate(days):
        for j in range(i + 1, len(days)):
            d2 = days[j]
            if d2 - d1 >= limit:
                break
            between = days[i + 1 : j]
            if any(d in certain for d in between):
                break  # this and every later partner of d1 is shielded by a certain visit
            ends = [on_day[d] for d in (d1, d2) if d not in certain]
            if not ends and not between:
                cost.append(limit - (d2 - d1))
                continue
            if not ends:
                ends_sum: cp_model.LinearExprT = 2
            else:
                ends_sum = (2 - len(ends)) + cp_model.LinearExpr.sum(
                    [vars.total(slots) for slots in ends]
                )
            inner = cp_model.LinearExpr.sum([vars.total(on_day[d]) for d in between])
            both = model.new_bool_var("")
            model.add(both >= ends_sum - 1 - inner)
            cost.append((limit - (d2 - d1)) * both)
    return cp_model.LinearExpr.sum(cost)
