"""Travel minutes: per technician-day, home -> schools in window order -> home.

Windows are fixed times, so a day's route is its visits in window order. Each
technician-day of the model gets a circuit through home and its candidate
visits, with arcs only forward in time and a self-loop for a visit not made;
the arcs used are exactly the legs driven, whatever subset is chosen. There
is no arc for a leg longer than the gap between its windows: two such visits
cannot be consecutive (`travel_fits_gap`), so the arc could never be used.
A day with a single candidate needs no circuit: it costs its round trip.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.evaluate import day_travel
from solver.index import InstanceIndex, Slot
from solver.instance import Assignment

if TYPE_CHECKING:
    from solver.model import VisitVars


def build(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars
) -> dict[str, cp_model.LinearExprT]:
    legs: list[cp_model.LinearExprT] = [_outside_travel(ix, vars.outside)] if vars.constants else []
    for (t, _), slots in vars.by_tech_day.items():
        legs.append(_day(ix, model, vars, t, slots))
    return {"travel": cp_model.LinearExpr.sum(legs)}


def _outside_travel(ix: InstanceIndex, outside: tuple[Assignment, ...]) -> int:
    days: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for a in outside:
        days[(a.technician, a.day)].append(a)
    return sum(day_travel(ix.instance, t, visits) for (t, _), visits in days.items())


def _day(
    ix: InstanceIndex, model: cp_model.CpModel, vars: VisitVars, t: int, slots: list[Slot]
) -> cp_model.LinearExprT:
    home = ix.instance.technicians[t].location
    where = [ix.instance.contracts[s[0]].location for s in slots]
    if len(slots) == 1:
        return (ix.travel(home, where[0]) + ix.travel(where[0], home)) * vars.lit[slots[0]]
    arcs: list[tuple[int, int, cp_model.LiteralT]] = []
    cost: list[cp_model.LinearExprT] = []

    def arc(tail: int, head: int, minutes: int) -> None:
        used = model.new_bool_var("")
        arcs.append((tail, head, used))
        cost.append(minutes * used)

    empty = model.new_bool_var("")
    arcs.append((0, 0, empty))
    for i, s in enumerate(slots, start=1):
        arcs.append((i, i, ~vars.lit[s]))
        arc(0, i, ix.travel(home, where[i - 1]))
        arc(i, 0, ix.travel(where[i - 1], home))
        for j, u in enumerate(slots, start=1):
            minutes = ix.travel(where[i - 1], where[j - 1])
            if ix.windows.before(s[2], u[2]) and minutes <= ix.windows.gap(s[2], u[2]):
                arc(i, j, minutes)
    model.add_circuit(arcs)
    return cp_model.LinearExpr.sum(cost)
