"""In time order, the travel from one school to the next fits in the gap between their windows.

Windows are fixed times, so a day's order is the window order. Two visits
`a` then `b` are consecutive unless a visit lies in a window wholly between
them, hence, for each `a` and each later window `w`, with the schools `b` at
`w` too far from `a`:  a + sum(far b at w) <= 1 + sum(visits between).
(At most one visit uses `w`, so the sum over `b` is a single visit.)
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex, Slot

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    wins = ix.windows
    for slots in vars.by_tech_day.values():
        if len(slots) < 2 or not vars.free(slots):
            continue
        at: dict[int, list[Slot]] = defaultdict(list)
        for s in slots:
            at[s[2]].append(s)
        for a in slots:
            here = ix.instance.contracts[a[0]].location
            for w, later in at.items():
                if not wins.before(a[2], w):
                    continue
                gap = wins.gap(a[2], w)
                far = [
                    b for b in later if ix.travel(here, ix.instance.contracts[b[0]].location) > gap
                ]
                if not far or not vars.free([a, *far]):
                    continue
                between = [s for m in wins.between(a[2], w) for s in at.get(m, ())]
                model.add(vars.lit[a] + vars.total(far) <= 1 + vars.total(between))
