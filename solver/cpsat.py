"""The one place that configures and runs CP-SAT, so every phase solves the same way.

Determinism: a wall-clock limit stops a search wherever the machine happened
to be, so with `deterministic` each search is stopped by a work budget
(`max_deterministic_time`, derived from its share of `time_limit`) instead.
A search on one worker is sequential; on several, the portfolio runs
interleaved in fixed batches without clause sharing (`interleave_search`),
so thread timing does not change the result (measured: see
tests/solver/test_solver_determinism.py). The wall clock stays as a cap that
binds only when the machine is much slower than the calibration below, and
then a run may differ from the next.

Measured on the 2-core box (OR-Tools 9.15): small week models do about 0.2
units of deterministic work per wall second (fixed costs dominate; most
finish early anyway); the interleaved LNS on standing slots 0.1-0.35,
lower the bigger the model and the busier the machine. Hence the default
`SolveParams.work_per_second` of 0.25.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solver.params import PhaseStats, Progress, SolveParams


@dataclass
class Clock:
    """Wall time since the solve started, and what is left of `time_limit`."""

    time_limit: float
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return max(0.0, self.time_limit - self.elapsed())

    def slice(self, share: float, reserve: float) -> float:
        """Wall seconds for one subproblem: `share` of what is left after `reserve`
        (seconds kept for the phases still to come)."""
        return max(0.05, (self.left() - reserve) * share)


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, phase: str, clock: Clock, on_progress: Callable[[Progress], None]) -> None:
        super().__init__()
        self.phase, self.clock, self.on_progress = phase, clock, on_progress
        self.count = 0

    def on_solution_callback(self) -> None:
        self.count += 1
        self.on_progress(
            Progress(
                self.phase,
                self.count,
                self.objective_value,
                self.best_objective_bound,
                self.clock.elapsed(),
            )
        )


@dataclass(frozen=True)
class Run:
    status: str
    solver: cp_model.CpSolver
    seconds: float
    work: float
    solutions: int

    @property
    def ok(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")


def run(
    model: cp_model.CpModel,
    params: SolveParams,
    budget: float,
    wall: float,
    phase: str,
    on_progress: Callable[[Progress], None] | None = None,
    *,
    clock: Clock,
    lns: bool = False,
) -> Run:
    """Solve with `budget` seconds' worth of work, stopped at `wall` seconds in any case.

    `lns`: a big model that is never solved to optimality, where only
    improving the hint matters: use every worker on large-neighbourhood
    search. Otherwise a single worker, which suits the small subproblems.
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, params.workers) if lns else 1
    p.random_seed = params.seed
    p.cp_model_probing_level = 0
    p.log_search_progress = params.log
    p.max_time_in_seconds = max(0.05, min(wall, clock.left()))
    if params.deterministic:
        p.max_deterministic_time = max(0.01, budget * params.work_per_second)
        if p.num_workers > 1:
            p.interleave_search = True
            p.share_binary_clauses = False
            p.share_glue_clauses = False
    else:
        p.max_time_in_seconds = max(0.05, min(budget, p.max_time_in_seconds))
    if lns and p.num_workers > 1:
        p.use_lns_only = True
    reporter = _Reporter(phase, clock, on_progress) if on_progress else None
    started = time.monotonic()
    status = solver.solve(model, reporter)
    return Run(
        status=solver.status_name(status),
        solver=solver,
        seconds=time.monotonic() - started,
        work=solver.response_proto.deterministic_time,
        solutions=reporter.count if reporter else 0,
    )


@dataclass
class Tally:
    """Per-phase statistics accumulated over subproblems."""

    name: str
    subproblems: int = 0
    seconds: float = 0.0
    work: float = 0.0
    solutions: int = 0
    objective: float = 0.0
    bound: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)

    def record(self, result: Run) -> None:
        self.subproblems += 1
        self.seconds += result.seconds
        self.work += result.work
        self.solutions += result.solutions
        self.statuses[result.status] += 1
        if result.ok:
            self.objective += result.solver.objective_value
            self.bound += result.solver.best_objective_bound

    def stats(self) -> PhaseStats:
        return PhaseStats(
            self.name,
            self.subproblems,
            self.seconds,
            self.work,
            self.solutions,
            self.objective,
            self.bound,
            dict(self.statuses),
        )
