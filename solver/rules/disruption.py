"""Minimal disruption against the previous plan (`instance.hint`).

`moved`: hint visits whose (contract, day, window) is no longer in the plan;
`reassigned`: hint visits kept there but given another technician.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex, Slot

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars
) -> dict[str, cp_model.LinearExprT]:
    del model  # both terms are linear in the literals
    if not ix.instance.hint:
        return {"moved": 0, "reassigned": 0}
    kept: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for a in vars.outside:
        kept[(a.contract, a.day, a.window)].add(a.technician)
    at: dict[tuple[int, int, int], list[Slot]] = defaultdict(list)
    for s in vars.lit:
        at[(s[0], s[1], s[2])].append(s)
    moved: list[cp_model.LinearExprT] = []
    reassigned: list[cp_model.LinearExprT] = []
    for h in ix.instance.hint:
        key = (h.contract, h.day, h.window)
        techs = kept.get(key)
        if techs:
            reassigned.append(0 if h.technician in techs else 1)
            continue
        slots = at.get(key, [])
        moved.append(1 - vars.total(slots) if slots else 1)
        reassigned.append(vars.total([s for s in slots if s[3] != h.technician]))
    return {
        "moved": cp_model.LinearExpr.sum(moved),
        "reassigned": cp_model.LinearExpr.sum(reassigned),
    }
