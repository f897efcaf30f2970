"""Every owed visit delivered wherever possible: per contract, owed minus placed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex
from solver.rules.owed_upper_bound import placed

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars
) -> dict[str, cp_model.LinearExprT]:
    parts: list[cp_model.LinearExprT] = []
    for c, contract in enumerate(ix.instance.contracts):
        done = placed(ix, vars, c)
        if isinstance(done, int):
            if vars.constants:
                parts.append(max(0, contract.owed - done))
            continue
        short = model.new_int_var(0, max(0, contract.owed), f"unplaced_c{c}")
        model.add(short >= contract.owed - done)
        parts.append(short)
    return {"unplaced": cp_model.LinearExpr.sum(parts)}
