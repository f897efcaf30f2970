"""Expressions several soft rules share: a contract's visits grouped by week."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.index import Slot
from solver.instance import week

if TYPE_CHECKING:
    from solver.model import VisitVars


def slots_by_week(vars: VisitVars, contract: int) -> dict[int, list[Slot]]:
    out: dict[int, list[Slot]] = defaultdict(list)
    for s in vars.by_contract.get(contract, ()):
        out[week(s[1])].append(s)
    return out


def any_of(model: cp_model.CpModel, vars: VisitVars, slots: list[Slot]) -> cp_model.LinearExprT:
    """1 when any of the slots is chosen, for a term that costs more when it is 1.

    Slots on a single day are at most one visit (one per school-day), so their
    sum is already the indicator; otherwise a literal bounded below by each
    suffices, as minimisation keeps it at the OR.
    """
    if len({s[1] for s in slots}) == 1:
        return vars.total(slots)
    flag = model.new_bool_var("")
    for s in slots:
        model.add_implication(vars.lit[s], flag)
    return flag


def some_of(model: cp_model.CpModel, vars: VisitVars, slots: list[Slot]) -> cp_model.LinearExprT:
    """1 only if one of the slots is chosen, for a term that costs less when it is 1."""
    if len({s[1] for s in slots}) == 1:
        return vars.total(slots)
    flag = model.new_bool_var("")
    model.add(flag <= vars.total(slots))
    return flag
