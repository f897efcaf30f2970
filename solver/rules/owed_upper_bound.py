"""A contract never gets more visits placed than it is owed.

Fixed visits are not counted: `owed` already excludes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex

if TYPE_CHECKING:
    from solver.model import VisitVars


def placed(ix: InstanceIndex, vars: VisitVars, contract: int) -> cp_model.LinearExprT:
    """Non-fixed visits of the contract in the whole plan, as an expression."""
    inside = [s for s in vars.by_contract.get(contract, ()) if s not in ix.fixed_keys]
    around = sum(
        1
        for a in vars.outside_by_contract.get(contract, ())
        if (a.contract, a.day, a.window, a.technician) not in ix.fixed_keys
    )
    return vars.total(inside) + around if inside else around


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    for c, slots in vars.by_contract.items():
        if vars.free(slots):
            model.add(placed(ix, vars, c) <= ix.instance.contracts[c].owed)
