"""Reject an instance whose indices or matrix do not hang together, before any model is built.

The service layer builds instances; a mistake there would otherwise surface
as an IndexError deep in a rule. `solve` returns MODEL_INVALID with these
messages instead.
"""

from __future__ import annotations

from solver.instance import Assignment, Instance


def problems(instance: Instance) -> list[str]:
    out: list[str] = []
    n = len(instance.travel)
    if any(len(row) != n for row in instance.travel):
        out.append("travel matrix is not square")
    if any(v < 0 for row in instance.travel for v in row):
        out.append("travel matrix has negative minutes")
    for i, w in enumerate(instance.windows):
        if w.end <= w.start:
            out.append(f"window {i} ({w.name}) ends before it starts")
    for t in instance.technicians:
        if not 0 <= t.location < n:
            out.append(f"technician {t.id}: location {t.location} outside the travel matrix")
        if t.max_visits_per_day < 0 or t.max_commute < 0:
            out.append(f"technician {t.id}: negative limit")
    for c in instance.contracts:
        if not 0 <= c.location < n:
            out.append(f"contract {c.id}: location {c.location} outside the travel matrix")
        if c.owed < 0 or c.cadence_days < 0:
            out.append(f"contract {c.id}: negative owed or cadence")
        if any(not 0 <= w < len(instance.windows) for w in c.windows):
            out.append(f"contract {c.id}: unknown window")
        if any(not 0 <= t < len(instance.technicians) for t in c.technicians):
            out.append(f"contract {c.id}: unknown technician")
        for name, wish in (("weekday", c.preferred_weekday), ("window", c.preferred_window)):
            limit = 5 if name == "weekday" else len(instance.windows)
            if wish is not None and not 0 <= wish < limit:
                out.append(f"contract {c.id}: preferred {name} {wish} out of range")
    for what, visits in (("fixed", instance.fixed), ("hint", instance.hint)):
        out.extend(f"{what} visit {a}: {why}" for a in visits if (why := _bad(instance, a)))
    return out


def _bad(instance: Instance, a: Assignment) -> str:
    if not 0 <= a.contract < len(instance.contracts):
        return "unknown contract"
    if not 0 <= a.window < len(instance.windows):
        return "unknown window"
    if not 0 <= a.technician < len(instance.technicians):
        return "unknown technician"
    return ""
