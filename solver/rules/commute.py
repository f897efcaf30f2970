"""Home -> school and school -> home each within the technician's max_commute.

The eligibility pre-filter already promises this per school; checking it
again per slot keeps the promise true even when the matrix changes under it.
Because each school is within reach, the first and last legs of any day are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex

if TYPE_CHECKING:
    from solver.model import VisitVars


def allows(ix: InstanceIndex, contract: int, technician: int) -> bool:
    return ix.commute_ok(contract, technician)


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    for slot, lit in vars.lit.items():
        if slot not in vars.pinned and not allows(ix, slot[0], slot[3]):
            model.add(lit == 0)
