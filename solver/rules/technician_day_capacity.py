"""Per technician-day: at most max_visits_per_day visits, and no two windows overlapping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    cliques = ix.windows.cliques
    for (t, _), slots in vars.by_tech_day.items():
        if not vars.free(slots):
            continue
        cap = ix.instance.technicians[t].max_visits_per_day
        if len(slots) > cap:
            model.add(vars.total(slots) <= cap)
        for clique in cliques:
            members = [s for s in slots if s[2] in clique]
            if len(members) > 1 and vars.free(members):
                model.add_at_most_one(vars.lit[s] for s in members)
