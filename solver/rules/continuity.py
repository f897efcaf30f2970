"""The same technician: per contract with a cadence, visits minus those of its most
frequent technician.

With fewer than two visits the difference is 0 by itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
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
    by_tech = defaultdict(list)
    for s in slots:
        by_tech[s[3]].append(s)
    counts = [
        around_count.get(t, 0) + vars.total(by_tech.get(t, []))
        for t in sorted(set(around_count) | set(by_tech))
    ]
    top = model.new_int_var(0, len(around) + len(slots), f"top_tech_c{c}")
    model.add_max_equality(top, counts)
    return len(around) + vars.total(slots) - top
