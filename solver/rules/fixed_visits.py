"""Fixed visits (locked, published, emergencies) stay exactly as they are and use capacity.

They enter the model as pinned literals, so every day rule counts them like
any other visit; rules skip constraints that involve pinned literals only,
so a conflict between two fixed visits (the input's problem) cannot make the
model infeasible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    del ix  # pinning needs nothing but the slots
    for slot in vars.pinned:
        model.add(vars.lit[slot] == 1)
