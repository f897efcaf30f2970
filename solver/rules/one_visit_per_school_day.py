"""A school gets at most one visit per day, across all its contracts.

This also gives "a contract at most one visit per day", since a contract
belongs to one school.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import InstanceIndex, Slot

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars) -> None:
    by_school_day: dict[tuple[str, int], list[Slot]] = defaultdict(list)
    for slot in vars.lit:
        by_school_day[(ix.school_of(slot[0]), slot[1])].append(slot)
    for slots in by_school_day.values():
        if len(slots) > 1 and vars.free(slots):
            model.add_at_most_one(vars.lit[s] for s in slots)
