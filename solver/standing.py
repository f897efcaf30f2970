"""Phase 1 of the decomposition: every contract's standing slot, over the whole book.

Regularity, continuity and preference are decided here almost entirely: a
contract keeps its (weekday, window, technician, phase) every week it can.
So is most of the travel: which schools share a technician-day.

The model: a literal per candidate slot (the nearest technicians only); each
slot priced per year from the contract's calendar (weeks the slot is usable,
weeks its day is closed, weeks its technician is away, preference missed);
every pair of nearby schools that could share a technician-day earns the
travel it saves as one route instead of two round trips,
`a -> home + home -> b - a -> b`, for the weeks both visit. Capacity is the
template of `solver.template`: per technician, weekday and week residue, at
most one slot per window clique, at most the day's visits, travel between
consecutive windows fitting the gap, one visit per school-day.

The search: CP-SAT's large-neighbourhood search from the dispatcher's slots.
Measured on the synthetic books, it beats both exact sub-solves of
neighbourhoods of technicians driven from Python (their LP relaxation is
too weak to prove anything quickly) and a savings-first start that pairs
nearby schools greedily (a worse basin: the search ends higher from it).
Books above `REGION_CONTRACTS` contracts are solved region by region
(`solver.regions`), one model each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.cadence import period_weeks
from solver.cpsat import Clock, Tally, run
from solver.index import InstanceIndex
from solver.instance import week, weekday
from solver.objective import weights
from solver.params import Progress, SolveParams
from solver.regions import regions
from solver.template import (
    Coverage,
    StandingSlot,
    active,
    coverage,
    phase_weeks,
    preference_rank,
    residues,
)

NO_SLOT_MINUTES = 60
"""Travel a visit without a standing slot is priced at: a round trip by whoever is free."""

REGION_CONTRACTS = 400
"""Books beyond this many contracts get their standing slots region by region."""

LARGE_BOOK, SMALL_CANDIDATES, LARGE_CANDIDATES = 200, 6, 4
"""Candidate technicians per contract: fewer on books beyond LARGE_BOOK contracts."""


def candidate_technicians(contracts: int, params: SolveParams) -> int:
    """The nearest technicians a contract's standing slot may take.

    On a large book the search runs out of time long before it converges, and
    a smaller model gets further: on the 300-school bench book (258
    contracts) four candidates gave 16.5 travel min/visit twice against
    17.0-17.3 with six, the other terms unchanged. On the 60- and 200-school
    books (52 and 172 contracts) four did no better on travel and cost
    regularity or preference, so small books keep six.
    """
    if params.standing_technicians is not None:
        return params.standing_technicians
    return LARGE_CANDIDATES if contracts > LARGE_BOOK else SMALL_CANDIDATES


def mostly_away(cov: Coverage) -> bool:
    """The slot's technician is away on more of its weeks than they are there.

    Such a slot is a standing slot in name only: a technician dedicated to a full-managed
    school nearby is free only in that school's holidays, and as the standing technician of
    a 60-school book's fortnightly contract (there 2 weeks of 22) the weeks put 15 of its
    22 visits on other weekdays. Its pair savings assumed the technician there every week.
    """
    return cov.tech_away > cov.usable


@dataclass(frozen=True)
class Option:
    slot: StandingSlot
    cost: int


class Book:
    """Every contract's candidate slots with their yearly cost, and the nearby pairs' savings."""

    def __init__(
        self,
        ix: InstanceIndex,
        contracts: Sequence[int],
        hint: dict[int, StandingSlot],
        params: SolveParams,
    ) -> None:
        self.ix = ix
        self.w = weights(ix.instance.weights)
        self.r_count = residues(ix)
        self.contracts = [
            c
            for c in contracts
            if period_weeks(ix.instance.contracts[c]) and ix.instance.contracts[c].owed > 0
        ]
        self.candidates = candidate_technicians(len(self.contracts), params)
        self.options = {c: self._options(c, hint.get(c)) for c in self.contracts}
        self.none_cost = {c: self._no_slot_cost(c) for c in self.contracts}
        self.pairs = self._pairs(params.pair_neighbours)

    def _expected(self, c: int, phase: int) -> tuple[int, int]:
        """(regular visits expected, phase weeks): the slot is used at most `owed` times."""
        weeks = len(phase_weeks(self.ix, c, phase))
        return min(self.ix.instance.contracts[c].owed, weeks), weeks

    def _options(self, c: int, hinted: StandingSlot | None) -> list[Option]:
        """The slots of the contract's nearest `candidates` technicians who are there, with
        their yearly cost. A slot whose technician is away on most of its weeks is no
        candidate (see `mostly_away`), and a technician with no other slot does not count
        towards `candidates`, unless no technician is there at all."""
        ix = self.ix
        present: list[Option] = []
        away: list[Option] = []
        counted = away_counted = 0
        for t in ix.eligible[c]:
            if counted == self.candidates and (hinted is None or t != hinted.technician):
                continue
            options = self._technician_options(c, t)
            there = [o for o, mostly_there in options if mostly_there or o.slot == hinted]
            if there:
                counted += 1
                present += there
            elif away_counted < self.candidates:
                away_counted += 1
                away += [o for o, _ in options]
        return present or away

    def _technician_options(self, c: int, t: int) -> list[tuple[Option, bool]]:
        """Technician `t`'s slots for contract `c`: (option, the technician is mostly there)."""
        ix, w = self.ix, self.w
        contract = ix.instance.contracts[c]
        rt = w["travel"] * ix.round_trip(c, t)
        out = []
        for phase in range(period_weeks(contract)):
            expected, weeks = self._expected(c, phase)
            if weeks == 0:
                continue
            for wd in range(5):
                for win in contract.windows:
                    slot = StandingSlot(wd, win, t, phase)
                    cov = coverage(ix, c, slot)
                    if cov.usable == 0:
                        continue
                    off = w["off_preference"] if preference_rank(ix, c, wd, win) else 0
                    per_year = (
                        cov.usable * (rt + off)
                        + cov.day_blocked * (w["irregular"] + rt + off)
                        + cov.tech_away * (w["discontinuity"] + rt + off)
                    )
                    cost = round(per_year * expected / weeks) + self._disruption(c, slot)
                    out.append((Option(slot, cost), not mostly_away(cov)))
        return out

    def _disruption(self, c: int, slot: StandingSlot) -> int:
        """Hint visits of the contract this standing slot would move or reassign."""
        p = period_weeks(self.ix.instance.contracts[c])
        cost = 0
        for h in self.ix.hints_by_contract[c]:
            on_slot = weekday(h.day) == slot.weekday and h.window == slot.window
            if not on_slot or week(h.day) % p != slot.phase:
                cost += self.w["moved"]
            elif h.technician != slot.technician:
                cost += self.w["reassigned"]
        return cost

    def _no_slot_cost(self, c: int) -> int:
        """Without a standing slot every visit is irregular and discontinuous in the worst case,
        and driven NO_SLOT_MINUTES by whoever is free."""
        expected = min(self.ix.instance.contracts[c].owed, len(self.ix.contract_weeks[c]))
        w = self.w
        per_visit = w["irregular"] + w["discontinuity"] + w["off_preference"]
        return expected * (per_visit + w["travel"] * NO_SLOT_MINUTES)

    def _pairs(self, k: int) -> dict[tuple[int, int], list[tuple[int, int, int, int]]]:
        """(a, b) -> [(technician, phase of a, phase of b, minutes saved per year)]."""
        ix = self.ix
        inst = ix.instance
        longest = max(
            (
                ix.windows.gap(x, y)
                for x in range(len(inst.windows))
                for y in range(len(inst.windows))
                if ix.windows.before(x, y)
            ),
            default=0,
        )
        techs_of = {c: {o.slot.technician for o in self.options[c]} for c in self.contracts}
        out: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
        near = ix.nearest_others(self.contracts, k)
        for a, b in sorted({(min(a, b), max(a, b)) for a, ns in near.items() for b in ns}):
            la, lb = inst.contracts[a].location, inst.contracts[b].location
            if min(ix.travel(la, lb), ix.travel(lb, la)) > longest:
                continue
            pa, pb = (period_weeks(inst.contracts[x]) for x in (a, b))
            terms = []
            for t in sorted(techs_of[a] & techs_of[b]):
                saving = _saving(ix, a, b, t)
                if saving <= 0:
                    continue
                for pha in range(pa):
                    for phb in range(pb):
                        shared = len(
                            set(active(pa, pha, self.r_count)) & set(active(pb, phb, self.r_count))
                        )
                        together = (
                            min(
                                self._expected(a, pha)[0] * shared * pa,
                                self._expected(b, phb)[0] * shared * pb,
                            )
                            // self.r_count
                        )
                        if together > 0:
                            terms.append((t, pha, phb, saving * together * self.w["travel"]))
            if terms:
                out[(a, b)] = terms
        return out

    def cost(self, slots: dict[int, StandingSlot]) -> int:
        """The standing objective of a whole assignment (what the search minimises)."""
        total = 0
        for c in self.contracts:
            slot = slots.get(c)
            if slot is None:
                total += self.none_cost[c]
            else:
                total += next(
                    (o.cost for o in self.options[c] if o.slot == slot), self.none_cost[c]
                )
        for (a, b), terms in self.pairs.items():
            sa, sb = slots.get(a), slots.get(b)
            if sa is None or sb is None or sa.weekday != sb.weekday:
                continue
            total -= sum(
                v
                for t, pha, phb, v in terms
                if (t, pha, phb) == (sa.technician, sa.phase, sb.phase) and t == sb.technician
            )
        return total


@dataclass(frozen=True)
class StandingResult:
    slots: dict[int, StandingSlot]
    objective: int


def solve_standing(
    ix: InstanceIndex,
    contracts: Sequence[int],
    hint: dict[int, StandingSlot],
    params: SolveParams,
    clock: Clock,
    budget: float,
    reserve: float,
    tally: Tally,
    on_progress: Callable[[Progress], None] | None = None,
) -> StandingResult:
    """Improve the standing slots `hint` within `budget` seconds of work and of wall time,
    and in any case leaving `reserve` wall seconds for the phases after."""
    book = Book(ix, contracts, hint, params)
    current = {c: s for c, s in hint.items() if c in book.options}
    parts = regions(ix, book.contracts, current, dict.fromkeys(book.contracts, 1), REGION_CONTRACTS)
    left = len(book.contracts)
    for i, region in enumerate(parts, start=1):
        name = "standing" + (f" region {i}/{len(parts)}" if len(parts) > 1 else "")
        share = len(region.contracts) / max(1, len(book.contracts))
        wall = min(budget * share, clock.slice(len(region.contracts) / max(1, left), reserve))
        left -= len(region.contracts)
        sub = _Sub(book, list(region.contracts), frozenset(region.technicians), current)
        result = run(
            sub.model, params, budget * share, wall, name, on_progress, clock=clock, lns=True
        )
        tally.record(result)
        if result.ok:
            for c in sub.free:
                current.pop(c, None)
            current.update(sub.read(result.solver))
    return StandingResult(current, book.cost(current))


class _Sub:
    """The model for some contracts (`free`), which may take any slot on `techs`."""

    def __init__(
        self, book: Book, free: list[int], techs: frozenset[int], current: dict[int, StandingSlot]
    ) -> None:
        self.book, self.free = book, free
        model = cp_model.CpModel()
        self.lits: dict[int, list[tuple[Option, cp_model.IntVar]]] = {}
        objective: list[cp_model.LinearExprT] = []
        for c in free:
            options = [o for o in book.options[c] if o.slot.technician in techs]
            lits = [(o, model.new_bool_var("")) for o in options]
            none = model.new_bool_var("")
            model.add_exactly_one([none, *(x for _, x in lits)])
            model.add_hint(none, c not in current)
            for o, x in lits:
                model.add_hint(x, current.get(c) == o.slot)
            objective.append(book.none_cost[c] * none)
            objective += [o.cost * x for o, x in lits]
            self.lits[c] = lits
        caps = _capacity(book, model, self.lits)
        objective += _savings(book, model, self.lits, current, caps)
        model.minimize(cp_model.LinearExpr.sum(objective))
        self.model = model

    def read(self, solver: cp_model.CpSolver) -> dict[int, StandingSlot]:
        return {
            c: o.slot for c, lits in self.lits.items() for o, x in lits if solver.boolean_value(x)
        }


def _capacity(
    book: Book, model: cp_model.CpModel, lits: dict[int, list[tuple[Option, cp_model.IntVar]]]
) -> dict[tuple[int, int, int], int]:
    """Per (technician, weekday, residue): window cliques, visits per day, travel fits the gap.
    Returns each template day's capacity: the technician's cap, or fewer when the windows its
    candidates use cannot hold more (a book of 3-hour visits: two).

    Regions share no technician or school, so only the model's own literals
    meet on these template days.
    """
    ix = book.ix
    day: dict[tuple[int, int, int], list[tuple[int, StandingSlot, cp_model.IntVar]]] = defaultdict(
        list
    )
    school: dict[tuple[str, int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for c, options in lits.items():
        p = period_weeks(ix.instance.contracts[c])
        for o, x in options:
            for r in active(p, o.slot.phase, book.r_count):
                day[(o.slot.technician, o.slot.weekday, r)].append((c, o.slot, x))
                school[(ix.school_of(c), o.slot.weekday, r)].append((c, x))
    wins = ix.windows
    caps: dict[tuple[int, int, int], int] = {}
    for key, members in day.items():
        t = key[0]
        caps[key] = min(ix.max_per_day[t], wins.most_disjoint(s.window for _, s, _ in members))
        for clique in wins.cliques:
            inside = [x for _, s, x in members if s.window in clique]
            if len(inside) > 1:
                model.add_at_most_one(inside)
        if len(members) > caps[key]:
            model.add(cp_model.LinearExpr.sum([x for _, _, x in members]) <= caps[key])
        at: dict[int, list[tuple[int, StandingSlot, cp_model.IntVar]]] = defaultdict(list)
        for m in members:
            at[m[1].window].append(m)
        for c, s, x in members:
            here = ix.instance.contracts[c].location
            for w2, later in at.items():
                if not wins.before(s.window, w2):
                    continue
                gap = wins.gap(s.window, w2)
                far = [
                    y
                    for b, _, y in later
                    if ix.travel(here, ix.instance.contracts[b].location) > gap
                ]
                if far:
                    between = [y for v in wins.between(s.window, w2) for _, _, y in at.get(v, ())]
                    model.add(
                        x + cp_model.LinearExpr.sum(far) <= 1 + cp_model.LinearExpr.sum(between)
                    )
    for members in school.values():
        if len({c for c, _ in members}) > 1:
            model.add_at_most_one(x for _, x in members)
    return caps


def _savings(
    book: Book,
    model: cp_model.CpModel,
    lits: dict[int, list[tuple[Option, cp_model.IntVar]]],
    current: dict[int, StandingSlot],
    caps: dict[tuple[int, int, int], int],
) -> list[cp_model.LinearExprT]:
    """Reward (negative cost) for nearby free schools sharing a technician-day in the same weeks.

    A day of k visits has k - 1 consecutive pairs and each visit at most two
    neighbours (one, on a day of two): both bounds hold for any plan and keep
    the LP relaxation from collecting the savings of every fractional partner
    at once.
    """
    group: dict[tuple[int, int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    for c, options in lits.items():
        for o, x in options:
            group[(c, o.slot.technician, o.slot.weekday, o.slot.phase)].append(x)
    per_day: dict[tuple[int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    per_visit: dict[tuple[int, int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    out: list[cp_model.LinearExprT] = []
    for (a, b), terms in book.pairs.items():
        if a not in lits or b not in lits:
            continue
        for t, pha, phb, value in terms:
            for wd in range(5):
                ga, gb = group.get((a, t, wd, pha)), group.get((b, t, wd, phb))
                if not ga or not gb:
                    continue
                both = model.new_bool_var("")
                model.add(both <= cp_model.LinearExpr.sum(ga))
                model.add(both <= cp_model.LinearExpr.sum(gb))
                pa, pb = (period_weeks(book.ix.instance.contracts[x]) for x in (a, b))
                for r in set(active(pa, pha, book.r_count)) & set(active(pb, phb, book.r_count)):
                    per_day[(t, wd, r)].append(both)
                    per_visit[(a, t, wd, r)].append(both)
                    per_visit[(b, t, wd, r)].append(both)
                sa, sb = current.get(a), current.get(b)
                model.add_hint(
                    both,
                    sa is not None
                    and sb is not None
                    and (sa.technician, sa.weekday, sa.phase) == (t, wd, pha)
                    and (sb.technician, sb.weekday, sb.phase) == (t, wd, phb),
                )
                out.append(-value * both)
    for key, pairs in per_day.items():
        if len(pairs) > caps[key] - 1:
            model.add(cp_model.LinearExpr.sum(pairs) <= max(0, caps[key] - 1))
    for (_, t, wd, r), pairs in per_visit.items():
        most = min(2, caps[(t, wd, r)] - 1)
        if len(pairs) > most:
            model.add(cp_model.LinearExpr.sum(pairs) <= max(0, most))
    return out


def _saving(ix: InstanceIndex, a: int, b: int, t: int) -> int:
    """Minutes saved when a and b share technician t's day (either order, averaged)."""
    home = ix.instance.technicians[t].location
    la, lb = ix.instance.contracts[a].location, ix.instance.contracts[b].location
    tr = ix.travel
    ab = tr(la, home) + tr(home, lb) - tr(la, lb)
    ba = tr(lb, home) + tr(home, la) - tr(lb, la)
    return (ab + ba) // 2
