"""Solve an instance: explicit parameters in, a typed result out, progress along the way.

Two strategies:
- `exact`: one model over every candidate slot of the horizon with every
  rule and term; its status and bound are CP-SAT's own. Tiny instances only.
- `decomposed` (what `auto` picks beyond `exact_max_slots`): the dispatcher
  greedy (the first feasible plan, in seconds), then standing slots for the
  whole book (`solver.standing`), the catch-up schedule (`solver.catchup`),
  each week in time order (`solver.weekly`), and a mop-up of what is still
  owed (`solver.mopup`). Its `best_bound` is `solver.bound.lower_bound`, a
  bound valid for every plan, not the sum of the subproblems' bounds (those
  are in `phases`, each proved only given the subproblems before it).
  When the greedy leaves visits unplaced, the weeks are first planned on
  the greedy's own standing slots too (`SECURE_SHARE`), then the optimised
  slots are planned, then (`_secured`) the optimised slots with the contracts
  the first plan served better, and their rivals for the same technicians,
  back on the greedy's; the plan that places the most visits is kept. When the
  greedy places every visit and the optimised plan does not, the same mixed
  plan runs against the greedy's own visits (`_mixed`).

Either way the returned plan is the best of the optimised one, the greedy one
and (on a re-plan) the previous one (fewest unplaced visits first, then
objective), so a solve never does worse than the baseline, and every plan has
passed the hard rules. Unless proved optimal, it is then polished
(`solver.polish`: moves inside a week, kept only when the objective drops).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from solver import model as visit_model
from solver.bound import lower_bound
from solver.cadence import label
from solver.catchup import expected_visits
from solver.cpsat import Clock, Tally, run
from solver.evaluate import by_contract, evaluate
from solver.greedy import GreedyPlan, contract_order, greedy_plan
from solver.index import InstanceIndex
from solver.instance import Assignment, Instance
from solver.mopup import mop_up
from solver.objective import total, weights
from solver.occupancy import Occupancy
from solver.params import PhaseStats, Progress, SolveParams
from solver.polish import Budget, polish
from solver.regions import regions
from solver.standing import solve_standing
from solver.template import StandingSlot
from solver.validate import problems
from solver.weekly import free_work, plan_weeks

__all__ = ["PhaseStats", "Progress", "SolveParams", "SolveResult", "solve"]

STANDING_SHARE, WEEKS_SHARE, MOP_UP_SHARE, FINISH_SHARE = 0.55, 0.20, 0.10, 0.02
"""Work budget per phase, as shares of `time_limit`. The standing slots decide most of the
plan's quality and improve with every second; a week model mostly proves its optimum
early. The rest of the time goes to the greedy and to building models; `FINISH_SHARE`
of the wall clock is kept for labelling and pricing the plan at the end."""
POLISH_MOVES_PER_SECOND = 8_000
"""Moves the last pass (`solver.polish`) may try per second of `time_limit`: a count, so a
fixed seed gives the same plan on any load, the wall time left being only a cap. It tries
80,000-130,000 moves a second on this project's 2-core machine, so this is a tenth of the
time limit or less: 160,000 moves at 20 s, which on four generated books of 250-300
schools gets 78-92 % of the objective's fall that running until no round improves gets
(0.9-1.9 million moves there); 960,000 at 120 s."""
FIXED_SECONDS_PER_CONTRACT_WEEK = 0.0002
"""Set-up before the decomposition's first search, per contract-week (`_decomposition_floor`)."""
STANDING_SET_UP = 2.0
"""Building the standing model and CP-SAT's loading it, in decomposition floors: 3.0 s for
219 contracts over 8,593 contract-weeks (a floor of 1.7 s), CP-SAT 1.8 s of it whatever its
time limit. With less time left, the standing search would overrun `time_limit`."""
SECURE_SHARE = 0.3
"""When the dispatcher's plan leaves visits unplaced (technicians, not days, are short), this
share of `time_limit` first re-plans the dispatcher's own plan week by week (its standing
slots and its visits as each week's expected ones); the rest optimises the slots, and the
wall time that leaves plans the mixed slots of `_secured`; the plan placing the most visits
wins. Slots optimised for
travel fill the scarce technicians' template and leave no room for make-ups: on a dense
book (100 Kent schools, 10 technicians) they left 128 visits unplaced and the dispatcher
103; with this re-plan first, 75. The re-plan keeps the dispatcher's weekdays, often ones
the school is closed on some weeks, hence the mixed plan."""


@dataclass(frozen=True)
class SolveResult:
    status: str
    """OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN or MODEL_INVALID (then see `messages`)."""
    assignments: tuple[Assignment, ...]
    """The placed visits, labelled; fixed visits are not repeated."""
    objective: int
    terms: dict[str, int]
    best_bound: float
    gap: float
    """(objective - best_bound) / objective; 0 when proved optimal."""
    seconds: float
    first_feasible_seconds: float | None
    unplaced: dict[int, int]
    """Contract index -> owed visits not placed (only contracts with some)."""
    phases: tuple[PhaseStats, ...]
    strategy: str
    messages: tuple[str, ...] = ()


def solve(
    instance: Instance,
    params: SolveParams,
    on_progress: Callable[[Progress], None] | None = None,
) -> SolveResult:
    clock = Clock(params.time_limit)
    invalid = problems(instance)
    if invalid:
        return _invalid(invalid, clock)
    ix = InstanceIndex(instance)
    base = greedy_plan(ix)
    first = clock.elapsed()
    base_terms = evaluate(instance, base.assignments)
    base_objective = total(base_terms, weights(instance.weights))
    if on_progress:
        on_progress(Progress("greedy", 1, base_objective, None, first))
    strategy = params.strategy
    if strategy == "greedy":
        return _result(
            ix, "FEASIBLE", base.assignments, lower_bound(ix), (), strategy, clock, first
        )
    if strategy == "auto":
        exact_size = sum(
            len(ix.visitable[c]) * len(ix.instance.contracts[c].windows) * len(ix.eligible[c])
            for c in range(len(instance.contracts))
        )
        strategy = "exact" if exact_size <= params.exact_max_slots else "decomposed"
    if strategy == "decomposed" and clock.left() < _decomposition_floor(ix):
        kept = _result(
            ix, "FEASIBLE", base.assignments, lower_bound(ix), (), "greedy", clock, first
        )
        return _with_message(kept, "the time limit left no time to optimise the greedy plan")
    if strategy == "exact":
        status, placed, bound, phases = _exact(ix, base, params, clock, on_progress)
        plans = [placed]
    else:
        plans, phases = _decomposed_plans(ix, base, base_terms["unplaced"] > 0, params, clock,
                                          on_progress)  # fmt: skip
        status, bound = "FEASIBLE", lower_bound(ix)
    if instance.hint:
        plans.append(_previous(ix))
    result = min(
        (_result(ix, status, placed, bound, phases, strategy, clock, first) for placed in plans),
        key=_rank,
    )
    if _rank(result) > (base_terms["unplaced"], base_objective):
        kept = _result(ix, "FEASIBLE", base.assignments, bound, phases, strategy, clock, first)
        result = _with_message(kept, "the optimised plan was no better than the greedy one")
    if result.status != "OPTIMAL":
        result = _polished(ix, result, params, clock, on_progress)
    if on_progress:
        on_progress(Progress("done", 1, result.objective, result.best_bound, clock.elapsed()))
    return result


def _polished(
    ix: InstanceIndex,
    result: SolveResult,
    params: SolveParams,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None,
) -> SolveResult:
    """The kept plan after `solver.polish`, within its share of `time_limit` in moves tried and
    the wall time left before the finish."""
    finish = params.time_limit * FINISH_SHARE
    moves = round(params.time_limit * POLISH_MOVES_PER_SECOND)
    budget = Budget(moves, lambda: clock.left() - finish)
    if budget.spent():
        skipped = PhaseStats(
            "polish", 0, 0.0, 0.0, 0, result.objective, result.best_bound, {"OUT_OF_TIME": 1}
        )
        return replace(result, phases=(*result.phases, skipped))
    started = clock.elapsed()
    placed = polish(ix, result.assignments, budget)
    after = _result(ix, result.status, placed, result.best_bound, (), result.strategy, clock, 0.0)
    stats = PhaseStats(
        name="polish",
        subproblems=1,
        seconds=clock.elapsed() - started,
        deterministic_time=float(budget.used),
        solutions=len(_places(after.assignments) - _places(result.assignments)),
        objective=after.objective,
        best_bound=result.best_bound,
        statuses={"FEASIBLE": 1},
    )
    if on_progress:
        on_progress(Progress("polish", 1, after.objective, None, clock.elapsed()))
    if after.objective >= result.objective:
        kept = replace(stats, solutions=0, objective=result.objective)
        return replace(result, phases=(*result.phases, kept), seconds=clock.elapsed())
    return replace(
        after,
        phases=(*result.phases, stats),
        first_feasible_seconds=result.first_feasible_seconds,
        messages=result.messages,
    )


def _previous(ix: InstanceIndex) -> tuple[Assignment, ...]:
    """The previous plan's visits that still keep every rule: a candidate, so a re-plan with
    nothing to change keeps its plan. The searches start elsewhere (the exact model from the
    dispatcher's plan) and `polish` stops at the first plan no single move improves, which
    on the spec's example was a visit away from the previous plan."""
    occ = Occupancy(ix)
    for h in ix.instance.hint:
        if occ.fits(h.contract, h.day, h.window, h.technician):
            occ.add(Assignment(h.contract, h.day, h.window, h.technician))
    return tuple(occ.visits)


def _places(plan: tuple[Assignment, ...]) -> set[tuple[int, int, int, int]]:
    return {(a.contract, a.day, a.window, a.technician) for a in plan}


def _exact(
    ix: InstanceIndex,
    base: GreedyPlan,
    params: SolveParams,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None,
) -> tuple[str, tuple[Assignment, ...], float, tuple[PhaseStats, ...]]:
    vm = visit_model.build(ix, visit_model.all_slots(ix), ix.instance.fixed)
    hinted = {(a.contract, a.day, a.window, a.technician) for a in base.assignments}
    for slot, lit in vm.vars.lit.items():
        if slot not in vm.vars.pinned:
            vm.model.add_hint(lit, slot in hinted)
    limit = params.time_limit * 0.9
    result = run(vm.model, params, limit, clock.slice(1.0, 0.0), "exact", on_progress, clock=clock)
    tally = Tally("exact", 1, result.seconds, result.work, result.solutions)
    tally.statuses[result.status] += 1
    if not result.ok:
        status = "INFEASIBLE" if result.status == "INFEASIBLE" else "FEASIBLE"
        return status, base.assignments, lower_bound(ix), (tally.stats(),)
    tally.objective = result.solver.objective_value
    tally.bound = result.solver.best_objective_bound
    placed = tuple(visit_model.chosen(result.solver, vm.vars))
    # CP-SAT's own bound is often weaker than the relaxation's before it proves anything.
    return result.status, placed, max(tally.bound, lower_bound(ix)), (tally.stats(),)


def _decomposition_floor(ix: InstanceIndex) -> float:
    """Wall seconds the decomposition needs before its first search: pricing every standing
    option and scheduling the catch-ups take about 0.2 ms per contract-week (1.4 s and 1.5 s
    for 229 contracts over 60 weeks). With less left, the greedy plan is the answer, within
    the time limit rather than seconds beyond it."""
    return FIXED_SECONDS_PER_CONTRACT_WEEK * sum(len(weeks) for weeks in ix.contract_weeks)


def _rank(result: SolveResult) -> tuple[int, int]:
    """Plans compare on visits left unplaced first, then on the objective."""
    return sum(result.unplaced.values()), result.objective


def _decomposed_plans(
    ix: InstanceIndex,
    base: GreedyPlan,
    short: bool,
    params: SolveParams,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None,
) -> tuple[list[tuple[Assignment, ...]], tuple[PhaseStats, ...]]:
    """The decomposition's plan; when the dispatcher is `short` of room, also the dispatcher's
    plan re-planned week by week, and the optimised slots with the contracts that re-plan
    served better put back on the dispatcher's slots; when the dispatcher placed every visit
    and the decomposition did not, the same mixed plan against the dispatcher's own (the
    caller keeps the best)."""
    finish = params.time_limit * FINISH_SHARE
    if not short:
        placed, standing, phases = _decomposed(
            ix, base, params, clock, on_progress, params.time_limit, 0.0
        )
        if len(placed) >= len(base.assignments):
            return [placed], phases
        # The dispatcher placed every visit and the optimised plan did not: one visit short
        # and the whole dispatcher's plan would be kept. Under the weights before 89f1ab7 the
        # dense bench book weighing travel at 3 left 19 visits unplaced so, and kept the
        # dispatcher's 0.927 regularity.
        plans, mixed_phases = _mixed(ix, base, standing, base.assignments, placed, params,
                                     clock, on_progress, params.time_limit, finish)  # fmt: skip
        return [placed, *plans], (*phases, *mixed_phases)
    rest = params.time_limit * (1 - SECURE_SHARE)
    secure_budget = params.time_limit * SECURE_SHARE / (WEEKS_SHARE + MOP_UP_SHARE + FINISH_SHARE)
    secure, _, secure_phases = _decomposed(
        ix, base, params, clock, on_progress, secure_budget, _reserved(rest),
        optimise_standing=False,
    )  # fmt: skip
    if clock.left() < _decomposition_floor(ix) + finish:
        return [secure], secure_phases
    # The optimised plan keeps the whole rest of the work budget and wall time, as when it was
    # the only other plan; the mixed one runs in the wall time that leaves: on this machine
    # the whole solve of a short generated book ends in a fifth of the time limit (4 s of 20).
    placed, standing, phases = _decomposed(ix, base, params, clock, on_progress, rest, finish)
    mixed, mixed_phases = _mixed(
        ix, base, standing, secure, placed, params, clock, on_progress, rest, finish
    )
    return [secure, placed, *mixed], (*secure_phases, *phases, *mixed_phases)


def _mixed(
    ix: InstanceIndex,
    base: GreedyPlan,
    standing: dict[int, StandingSlot],
    secure: tuple[Assignment, ...],
    placed: tuple[Assignment, ...],
    params: SolveParams,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None,
    budget: float,
    finish: float,
) -> tuple[list[tuple[Assignment, ...]], tuple[PhaseStats, ...]]:
    """The optimised slots with the contracts `secure` served better (and their rivals) back
    on the dispatcher's, weeks and mop-up again, in the wall time left: no plan when none was
    served better or no time is left."""
    secured = _secured(ix, base, standing, secure, placed)
    if secured is None or clock.left() <= _decomposition_floor(ix) + finish:
        return [], ()
    # The contracts put back expect the visits `secure` gave them, on the slots it used.
    slots, reverted = secured
    expected = expected_visits(ix, slots, contract_order(ix))
    kept = by_contract(sorted(secure, key=lambda a: a.day))
    expected.update({c: kept[c] for c in reverted if c in expected})
    again, phases = _weeks_and_mop_up(
        ix, slots, expected, params, clock, on_progress, budget, finish
    )
    return [again], tuple(replace(p, name=f"{p.name} (mixed)") for p in phases)


def _secured(
    ix: InstanceIndex,
    base: GreedyPlan,
    standing: dict[int, StandingSlot],
    secure: tuple[Assignment, ...],
    placed: tuple[Assignment, ...],
) -> tuple[dict[int, StandingSlot], set[int]] | None:
    """The optimised standing slots with the contracts `secure` (the re-planned dispatcher's
    plan, or the dispatcher's own) served better, and those competing with them for the same
    technicians, back on the dispatcher's slots (or none, as there); and the set of contracts
    put back. None when none was served better.

    On short books the two plans differ in a few contracts, typically those whose only
    eligible technician the optimised slots shared out differently, while the optimised
    slots avoid the weekdays a school is often closed on and are far steadier elsewhere."""
    served, optimised = Counter(a.contract for a in secure), Counter(a.contract for a in placed)
    better = {c for c in served if served[c] > optimised[c]}
    if not better:
        return None
    techs = {s.technician for c in better for s in (base.standing.get(c), standing.get(c)) if s}

    def competes(c: int) -> bool:
        slots = (base.standing.get(c), standing.get(c))
        only_theirs = bool(ix.eligible[c]) and set(ix.eligible[c]) <= techs
        return only_theirs or any(s is not None and s.technician in techs for s in slots)

    reverted = {c for c in range(len(ix.instance.contracts)) if c in better or competes(c)}
    mixed = {c: slot for c, slot in standing.items() if c not in reverted}
    mixed.update({c: base.standing[c] for c in reverted if c in base.standing})
    return mixed, reverted


def _reserved(budget: float) -> float:
    """Wall seconds a decomposition of `budget` keeps for itself."""
    return budget * (STANDING_SHARE + WEEKS_SHARE + MOP_UP_SHARE + FINISH_SHARE + 0.05)


def _decomposed(
    ix: InstanceIndex,
    base: GreedyPlan,
    params: SolveParams,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None,
    budget: float,
    after: float,
    optimise_standing: bool = True,
) -> tuple[tuple[Assignment, ...], dict[int, StandingSlot], tuple[PhaseStats, ...]]:
    """Standing slots, weeks, mop-up within `budget` seconds, leaving `after` wall seconds for
    what follows; without `optimise_standing`, on the dispatcher's standing slots."""
    contracts = contract_order(ix)
    if optimise_standing:
        standing, standing_stats = _standing(
            ix, contracts, base.standing, params, clock, on_progress, budget, after
        )
        expected = expected_visits(ix, standing, contracts)
    else:
        standing, standing_stats = dict(base.standing), Tally("standing (dispatcher's)").stats()
        # The dispatcher's own visits as each week's expected ones: their slots are every week
        # model's candidates, so the weeks can place at least what the dispatcher did.
        visits = by_contract(sorted(base.assignments, key=lambda a: a.day))
        expected = {c: visits[c] for c in contracts}
    placed, phases = _weeks_and_mop_up(
        ix, standing, expected, params, clock, on_progress, budget, after
    )
    return placed, standing, (standing_stats, *phases)


def _weeks_and_mop_up(
    ix: InstanceIndex,
    standing: dict[int, StandingSlot],
    expected: dict[int, list[Assignment]],
    params: SolveParams,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None,
    budget: float,
    after: float,
) -> tuple[tuple[Assignment, ...], tuple[PhaseStats, ...]]:
    """Each week's visits on the `standing` slots, then what is still owed, within the weeks'
    and the mop-up's shares of `budget`, leaving `after` wall seconds for what follows."""
    contracts = contract_order(ix)
    work = free_work(ix, standing, expected)
    horizon = len({wk for c in contracts for wk in ix.contract_weeks[c]})
    week_regions = regions(ix, contracts, standing, work, params.region_visits * horizon)
    occ = Occupancy(ix)
    weeks = plan_weeks(
        ix,
        standing,
        expected,
        week_regions,
        occ,
        params,
        clock,
        budget * WEEKS_SHARE,
        budget * (MOP_UP_SHARE + FINISH_SHARE) + after,
        on_progress,
    )
    rest = mop_up(
        ix,
        occ,
        params,
        clock,
        budget * MOP_UP_SHARE,
        budget * FINISH_SHARE + after,
        on_progress,
    )
    return tuple(occ.visits), (weeks, rest)


def _standing(
    ix: InstanceIndex,
    contracts: list[int],
    hint: dict[int, StandingSlot],
    params: SolveParams,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None,
    budget: float,
    after: float,
) -> tuple[dict[int, StandingSlot], PhaseStats]:
    tally = Tally("standing")
    reserve = budget * (WEEKS_SHARE + MOP_UP_SHARE + FINISH_SHARE + 0.05) + after
    if clock.left() <= reserve + STANDING_SET_UP * _decomposition_floor(ix):
        # Too little time to build the model and load it into CP-SAT, whose presolve does not
        # stop at its time limit: the dispatcher's slots stand.
        tally.statuses["OUT_OF_TIME"] += 1
        return dict(hint), tally.stats()
    out = solve_standing(
        ix,
        contracts,
        hint,
        params,
        clock,
        budget * STANDING_SHARE,
        reserve,
        tally,
        on_progress,
    )
    tally.objective = out.objective
    return out.slots, tally.stats()


def _result(
    ix: InstanceIndex,
    status: str,
    placed: tuple[Assignment, ...],
    bound: float,
    phases: tuple[PhaseStats, ...],
    strategy: str,
    clock: Clock,
    first: float,
) -> SolveResult:
    labelled = label(ix.instance, placed)
    terms = evaluate(ix.instance, labelled)
    objective = total(terms, weights(ix.instance.weights))
    counts = Counter(a.contract for a in labelled)
    unplaced = {
        c: contract.owed - counts[c]
        for c, contract in enumerate(ix.instance.contracts)
        if contract.owed > counts[c]
    }
    bound = min(bound, objective)
    if status == "OPTIMAL" and bound < objective:
        status = "FEASIBLE"
    return SolveResult(
        status=status,
        assignments=tuple(sorted(labelled, key=lambda a: (a.day, a.technician, a.window))),
        objective=objective,
        terms=terms,
        best_bound=bound,
        gap=(objective - bound) / objective if objective > 0 else 0.0,
        seconds=clock.elapsed(),
        first_feasible_seconds=first,
        unplaced=unplaced,
        phases=phases,
        strategy=strategy,
    )


def _with_message(result: SolveResult, message: str) -> SolveResult:
    return replace(result, messages=(*result.messages, message))


def _invalid(messages: list[str], clock: Clock) -> SolveResult:
    return SolveResult(
        status="MODEL_INVALID",
        assignments=(),
        objective=0,
        terms={},
        best_bound=0.0,
        gap=0.0,
        seconds=clock.elapsed(),
        first_feasible_seconds=None,
        unplaced={},
        phases=(),
        strategy="none",
        messages=tuple(messages),
    )
