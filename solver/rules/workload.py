"""Balanced workload: the most visits of any technician minus the fewest, over technicians
with at least one available day.

`most >= every load` and `fewest <= every load`: minimising `most - fewest`
makes both exact, without the big-M encoding of a maximum equality.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.evaluate import workload
from solver.index import InstanceIndex, Slot

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars
) -> dict[str, cp_model.LinearExprT]:
    if not vars.lit:
        return {"workload": workload(ix.instance, vars.outside)}
    around = Counter(a.technician for a in vars.outside)
    mine: dict[int, list[Slot]] = defaultdict(list)
    for s in vars.lit:
        mine[s[3]].append(s)
    loads = [
        around.get(t, 0) + vars.total(mine.get(t, []))
        for t, tech in enumerate(ix.instance.technicians)
        if tech.available_days
    ]
    if not loads:
        return {"workload": 0}
    top = len(vars.outside) + len(vars.lit)
    most = model.new_int_var(0, top, "most_visits")
    fewest = model.new_int_var(0, top, "fewest_visits")
    for load in loads:
        model.add(most >= load)
        model.add(fewest <= load)
    return {"workload": most - fewest}
