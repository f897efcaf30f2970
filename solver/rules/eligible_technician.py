"""Only a technician the contract lists (skills, seniority), on a day they are available."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex

if TYPE_CHECKING:
    from solver.model import VisitVars


def allows(ix: InstanceIndex, contract: int, day: int, technician: int) -> bool:
    return (
        technician in ix.listed[contract]
        and day in ix.instance.technicians[technician].available_days
    )


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    for slot, lit in vars.lit.items():
        if slot not in vars.pinned and not allows(ix, slot[0], slot[1], slot[3]):
            model.add(lit == 0)
