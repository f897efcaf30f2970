"""The same technician: per contract with a cadence, visits minus those of its most
frequent technician.

Modelled as a choice: one literal per technician says "this is the
contract's main technician", and every visit by another costs 1
(`off >= visit - main`). Minimising picks the most frequent technician, so
the value is exact; unlike a maximum equality (a big-M encoding) it gives
the LP relaxation something to work with. With fewer than two visits the
value is 0 by itself.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.evaluate import contract_discontinuity
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
                parts.append(contract_discontinuity(contract, around))
            continue
        parts.append(_contract(model, vars, c, around))
    return {"discontinuity": cp_model.LinearExpr.sum(parts)}


def _contract(
    model: cp_model.CpModel, vars: VisitVars, c: int, around: list[Assignment]
) -> cp_model.LinearExprT:
    slots = vars.by_contract[c]
    around_count = Counter(a.technician for a in around)
    techs = sorted(set(around_count) | {s[3] for s in slots})
    main = {t: model.new_bool_var(f"main_tech_c{c}_t{t}") for t in techs}
    model.add_exactly_one(main.values())
    cost: list[cp_model.LinearExprT] = [len(around)]
    cost += [-n * main[t] for t, n in around_count.items()]
    for s in slots:
        off = model.new_bool_var("")
        model.add(off >= vars.lit[s] - main[s[3]])
        cost.append(off)
    return cp_model.LinearExpr.sum(cost)
