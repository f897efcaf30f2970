"""A visit only on one of its contract's visitable days, in one of its windows.

The service layer has already applied every calendar rule (term, public
holidays, shutdown, closures, the contract period) when it listed the days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex

if TYPE_CHECKING:
    from solver.model import VisitVars


def allows(ix: InstanceIndex, contract: int, day: int, window: int) -> bool:
    return day in ix.visitable[contract] and ix.window_ok(contract, window)


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    for slot, lit in vars.lit.items():
        if slot not in vars.pinned and not allows(ix, slot[0], slot[1], slot[2]):
            model.add(lit == 0)
