"""Price and check a plan without the solver: the reference the CP-SAT terms must agree with.

Every function takes the *placed* visits (what `solve` returns) and adds
`instance.fixed` itself, so `evaluate(instance, result.assignments)` prices the
complete plan. The per-contract and per-technician-day helpers are public
because the rules use them for the parts of a plan a partial model does not
decide (constants), which keeps one definition of each term.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from solver.index import InstanceIndex
from solver.instance import Assignment, Contract, Instance, week, weekday
from solver.objective import TERMS, total, weights

Plan = Sequence[Assignment]


def evaluate(instance: Instance, assignments: Plan) -> dict[str, int]:
    """Every term of `solver.objective`, by name, for fixed + `assignments`."""
    ix = InstanceIndex(instance)
    plan = (*instance.fixed, *assignments)
    visits_of = by_contract(plan)
    terms = {
        "unplaced": unplaced(instance, assignments),
        "travel": travel(instance, plan),
        "irregular": 0,
        "discontinuity": 0,
        "off_preference": 0,
        "crowding": 0,
        "behind_pace": 0,
        "workload": workload(instance, plan),
        "moved": 0,
        "reassigned": 0,
    }
    for c, contract in enumerate(instance.contracts):
        visits = visits_of.get(c, [])
        terms["irregular"] += contract_irregular(contract, visits)
        terms["discontinuity"] += contract_discontinuity(contract, visits)
        terms["off_preference"] += contract_off_preference(contract, visits)
        terms["crowding"] += contract_crowding(contract, [a.day for a in visits])
        terms["behind_pace"] += contract_behind_pace(ix, c, [a.day for a in visits])
    terms["moved"], terms["reassigned"] = disruption(instance, plan)
    assert tuple(terms) == TERMS
    return terms


def objective(instance: Instance, assignments: Plan) -> int:
    return total(evaluate(instance, assignments), weights(instance.weights))


def by_contract(plan: Iterable[Assignment]) -> dict[int, list[Assignment]]:
    """A plan's visits per contract, in the plan's order."""
    out: dict[int, list[Assignment]] = defaultdict(list)
    for a in plan:
        out[a.contract].append(a)
    return out


def unplaced(instance: Instance, placed: Plan) -> int:
    counts = Counter(a.contract for a in placed)
    return sum(max(0, c.owed - counts[i]) for i, c in enumerate(instance.contracts))


def day_travel(instance: Instance, technician: int, visits: Iterable[Assignment]) -> int:
    """Home -> schools in window-start order -> home, for one technician-day."""
    home = instance.technicians[technician].location
    stops = [
        instance.contracts[a.contract].location
        for a in sorted(visits, key=lambda a: (instance.windows[a.window].start, a.window))
    ]
    if not stops:
        return 0
    route = [home, *stops, home]
    return sum(int(instance.travel[a][b]) for a, b in itertools.pairwise(route))


def travel(instance: Instance, plan: Plan) -> int:
    days: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for a in plan:
        days[(a.technician, a.day)].append(a)
    return sum(day_travel(instance, t, visits) for (t, _), visits in days.items())


def contract_irregular(contract: Contract, visits: Sequence[Assignment]) -> int:
    """Visited weeks minus the most weeks sharing one (weekday, window)."""
    if contract.cadence_days <= 0 or len(visits) < 2:
        return 0
    weeks_of: dict[tuple[int, int], set[int]] = defaultdict(set)
    for a in visits:
        weeks_of[(weekday(a.day), a.window)].add(week(a.day))
    visited = {week(a.day) for a in visits}
    return len(visited) - max(len(ws) for ws in weeks_of.values())


def contract_discontinuity(contract: Contract, visits: Sequence[Assignment]) -> int:
    if contract.cadence_days <= 0 or len(visits) < 2:
        return 0
    return len(visits) - max(Counter(a.technician for a in visits).values())


def matches_preference(contract: Contract, a: Assignment) -> bool:
    return (
        contract.preferred_weekday is None or weekday(a.day) == contract.preferred_weekday
    ) and (contract.preferred_window is None or a.window == contract.preferred_window)


def states_preference(contract: Contract) -> bool:
    return contract.preferred_weekday is not None or contract.preferred_window is not None


def contract_off_preference(contract: Contract, visits: Sequence[Assignment]) -> int:
    if contract.cadence_days <= 0 or len(visits) < 2 or not states_preference(contract):
        return 0
    visited = {week(a.day) for a in visits}
    matched = {week(a.day) for a in visits if matches_preference(contract, a)}
    return len(visited) - len(matched)


def crowding_limit(contract: Contract) -> int:
    """Gaps shorter than this many days cost (limit - gap)."""
    return contract.cadence_days // 2 + 1


def contract_crowding(contract: Contract, days: Iterable[int]) -> int:
    if contract.cadence_days <= 0:
        return 0
    limit = crowding_limit(contract)
    ordered = sorted(days)
    return sum(max(0, limit - (b - a)) for a, b in itertools.pairwise(ordered))


def pace_targets(ix: InstanceIndex, contract: int) -> list[tuple[int, int]]:
    """Per week with a visitable day, in order: (last day of the week, visits due by then)."""
    weeks = ix.contract_weeks[contract]
    n = ix.instance.contracts[contract].owed + len(ix.fixed_by_contract[contract])
    k_total = len(weeks)
    return [(wk * 7 + 7, n * k // k_total) for k, wk in enumerate(weeks, start=1)]


def contract_behind_pace(ix: InstanceIndex, contract: int, days: Iterable[int]) -> int:
    if ix.instance.contracts[contract].cadence_days <= 0:
        return 0
    ordered = sorted(days)
    behind, done = 0, 0
    for end, due in pace_targets(ix, contract):
        while done < len(ordered) and ordered[done] <= end:
            done += 1
        behind += max(0, due - done)
    return behind


def workload(instance: Instance, plan: Plan) -> int:
    counts = Counter(a.technician for a in plan)
    loads = [counts[t] for t, tech in enumerate(instance.technicians) if tech.available_days]
    return max(loads) - min(loads) if loads else 0


def disruption(instance: Instance, plan: Plan) -> tuple[int, int]:
    """(moved, reassigned) against `instance.hint`."""
    visits = by_contract(plan)
    hints = by_contract(instance.hint)
    each = [contract_disruption(h, visits.get(c, [])) for c, h in hints.items()]
    return sum(moved for moved, _ in each), sum(reassigned for _, reassigned in each)


def contract_disruption(hints: Plan, visits: Plan) -> tuple[int, int]:
    """(moved, reassigned) of one contract's hint visits against its visits in the plan."""
    techs: dict[tuple[int, int], set[int]] = defaultdict(set)
    for a in visits:
        techs[(a.day, a.window)].add(a.technician)
    moved = reassigned = 0
    for h in hints:
        kept = techs.get((h.day, h.window))
        if not kept:
            moved += 1
        elif h.technician not in kept:
            reassigned += 1
    return moved, reassigned


def check(instance: Instance, assignments: Plan) -> list[str]:
    """Hard-rule violations of fixed + `assignments`, one message each, in instance terms.

    Conflicts among fixed visits alone are the input's, not the plan's, and are
    not reported.
    """
    ix = InstanceIndex(instance)
    problems: list[str] = []
    fixed = frozenset(id(a) for a in instance.fixed)
    plan = (*instance.fixed, *assignments)

    def name(a: Assignment) -> str:
        contract = (
            instance.contracts[a.contract].id
            if 0 <= a.contract < len(instance.contracts)
            else a.contract
        )
        return f"contract {contract} on {date.fromordinal(a.day)} window {a.window}"

    for a in assignments:
        problems.extend(f"{name(a)}: {why}" for why in _slot_problems(ix, a))
    days: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    schools: dict[tuple[str, int], list[Assignment]] = defaultdict(list)
    for a in plan:
        if _in_range(instance, a):
            days[(a.technician, a.day)].append(a)
            schools[(instance.contracts[a.contract].school, a.day)].append(a)
    for (t, day), visits in sorted(days.items()):
        if all(id(a) in fixed for a in visits):
            continue
        tech = instance.technicians[t]
        where = f"technician {tech.id} on {date.fromordinal(day)}"
        problems.extend(f"{where}: {why}" for why in _day_problems(instance, t, visits))
    for (school, day), visits in sorted(schools.items()):
        if len(visits) > 1 and not all(id(a) in fixed for a in visits):
            problems.append(f"school {school} on {date.fromordinal(day)}: {len(visits)} visits")
    counts = Counter(a.contract for a in assignments if _in_range(instance, a))
    for c, n in sorted(counts.items()):
        contract = instance.contracts[c]
        if n > contract.owed:
            problems.append(f"contract {contract.id}: {n} visits placed, {contract.owed} owed")
    return problems


def _in_range(instance: Instance, a: Assignment) -> bool:
    return (
        0 <= a.contract < len(instance.contracts)
        and 0 <= a.technician < len(instance.technicians)
        and 0 <= a.window < len(instance.windows)
    )


def _slot_problems(ix: InstanceIndex, a: Assignment) -> list[str]:
    instance = ix.instance
    if not _in_range(instance, a):
        return ["contract, window or technician index out of range"]
    contract = instance.contracts[a.contract]
    out = []
    if a.day not in ix.visitable[a.contract]:
        out.append("not one of the contract's visitable days")
    if not ix.window_ok(a.contract, a.window):
        out.append("window not of the contract's family or outside onsite hours")
    if a.technician not in contract.technicians:
        out.append(f"technician {instance.technicians[a.technician].id} not eligible")
    if a.day not in instance.technicians[a.technician].available_days:
        out.append(f"technician {instance.technicians[a.technician].id} not available")
    if not ix.commute_ok(a.contract, a.technician):
        out.append("commute beyond the technician's limit")
    return out


def _day_problems(instance: Instance, t: int, visits: list[Assignment]) -> list[str]:
    tech = instance.technicians[t]
    out = []
    if len(visits) > tech.max_visits_per_day:
        out.append(f"{len(visits)} visits, at most {tech.max_visits_per_day}")
    ordered = sorted(visits, key=lambda a: (instance.windows[a.window].start, a.window))
    home = tech.location
    first, last = (instance.contracts[ordered[i].contract].location for i in (0, -1))
    if instance.travel[home][first] > tech.max_commute:
        out.append("commute to the first school beyond the limit")
    if instance.travel[last][home] > tech.max_commute:
        out.append("commute home from the last school beyond the limit")
    for a, b in itertools.pairwise(ordered):
        wa, wb = instance.windows[a.window], instance.windows[b.window]
        if wa.end > wb.start:
            out.append(f"windows {a.window} and {b.window} overlap")
            continue
        need = instance.travel[instance.contracts[a.contract].location][
            instance.contracts[b.contract].location
        ]
        if need > wb.start - wa.end:
            out.append(f"travel {need} min does not fit the {wb.start - wa.end} min gap")
    return out


@dataclass(frozen=True)
class Quality:
    """The spec's plan-comparison metrics (pooled over contracts, not averaged)."""

    visits: int
    travel_per_visit: float
    regularity: float
    continuity: float
    preference: float
    unplaced: int


def quality(instance: Instance, assignments: Plan) -> Quality:
    """The metrics of scenario-format.md "Quality metrics", on fixed + `assignments`."""
    plan = (*instance.fixed, *assignments)
    reg = [0, 0]
    cont = [0, 0]
    pref = [0, 0]
    for c, visits in by_contract(plan).items():
        contract = instance.contracts[c]
        if contract.cadence_days <= 0 or len(visits) < 2:
            continue
        weeks = {week(a.day) for a in visits}
        slots = Counter((weekday(a.day), a.window) for a in visits)
        weeks_with = {
            s: {week(a.day) for a in visits if (weekday(a.day), a.window) == s} for s in slots
        }
        mode = max(slots, key=lambda s: (slots[s], len(weeks_with[s]), -s[0], -s[1]))
        reg[0] += len(weeks_with[mode])
        reg[1] += len(weeks)
        cont[0] += max(Counter(a.technician for a in visits).values())
        cont[1] += len(visits)
        if states_preference(contract):
            pref[0] += len({week(a.day) for a in visits if matches_preference(contract, a)})
            pref[1] += len(weeks)
    return Quality(
        visits=len(plan),
        travel_per_visit=travel(instance, plan) / len(plan) if plan else 0.0,
        regularity=reg[0] / reg[1] if reg[1] else 1.0,
        continuity=cont[0] / cont[1] if cont[1] else 1.0,
        preference=pref[0] / pref[1] if pref[1] else 1.0,
        unplaced=unplaced(instance, assignments),
    )
