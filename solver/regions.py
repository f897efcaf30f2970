"""Geographic regions: split a big book into subproblems that share no technician or school.

Technicians are split by recursive bisection on the travel between their
homes (two far-apart seeds, everyone sorted by which seed is nearer, cut
where the work is halved) until each part carries at most the target work;
a contract goes with its standing technician, and every contract of a school
goes where the school's first one goes, so a region's days never touch
another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from solver.index import InstanceIndex
from solver.template import StandingSlot


@dataclass(frozen=True)
class Region:
    technicians: tuple[int, ...]
    contracts: tuple[int, ...]


def regions(
    ix: InstanceIndex,
    contracts: list[int],
    standing: Mapping[int, StandingSlot],
    work: Mapping[int, int],
    target: int,
) -> list[Region]:
    """Regions of about `target` work each (`work` per contract, e.g. visits a week)."""
    home_of = {c: _home_technician(ix, c, standing) for c in contracts}
    tech_work: dict[int, int] = {t: 0 for t in range(len(ix.instance.technicians))}
    for c in contracts:
        if home_of[c] is not None:
            tech_work[home_of[c]] += work.get(c, 0)
    parts = _bisect(ix, sorted(tech_work), tech_work, max(1, target))
    region_of_tech = {t: i for i, part in enumerate(parts) for t in part}
    region_of_school: dict[str, int] = {}
    members: list[list[int]] = [[] for _ in parts]
    for c in contracts:
        t = home_of[c]
        if t is None:
            continue
        r = region_of_school.setdefault(ix.school_of(c), region_of_tech[t])
        members[r].append(c)
    return [Region(tuple(p), tuple(m)) for p, m in zip(parts, members, strict=True) if m]


def _home_technician(ix: InstanceIndex, c: int, standing: Mapping[int, StandingSlot]) -> int | None:
    slot = standing.get(c)
    if slot is not None:
        return slot.technician
    return ix.eligible[c][0] if ix.eligible[c] else None


def _bisect(
    ix: InstanceIndex, techs: list[int], work: dict[int, int], target: int
) -> list[list[int]]:
    total = sum(work[t] for t in techs)
    if total <= target or len(techs) < 2:
        return [techs]
    home = [ix.instance.technicians[t].location for t in range(len(ix.instance.technicians))]

    def dist(a: int, b: int) -> int:
        return ix.travel(home[a], home[b]) + ix.travel(home[b], home[a])

    first = max(techs, key=lambda t: (dist(techs[0], t), -t))
    second = max(techs, key=lambda t: (dist(first, t), -t))
    ordered = sorted(techs, key=lambda t: (dist(t, first) - dist(t, second), t))
    acc, cut = 0, 1
    for i, t in enumerate(ordered[:-1], start=1):
        acc += work[t]
        cut = i
        if 2 * acc >= total:
            break
    return _bisect(ix, ordered[:cut], work, target) + _bisect(ix, ordered[cut:], work, target)
