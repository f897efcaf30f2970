"""The one place that configures and runs CP-SAT, so every phase solves the same way.

Determinism: a wall-clock limit makes a search stop wherever the machine
happened to be, so with `deterministic` each search is stopped by a work
budget instead (`max_deterministic_time`, derived from its share of
`time_limit`), and with several workers the portfolio runs interleaved in
fixed batches without clause sharing (`interleave_search`), whose order does
not depend on thread timing. The wall clock stays as a cap that only binds
when the machine is much slower than the calibration, and then the answer
may differ from run to run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solver.params import Progress, SolveParams

WORK_PER_SECOND = 1.0
"""Deterministic time units granted per second of budget (calibrated on the 2-core CI box)."""


@dataclass
class Clock:
    """Wall time since the solve started, and what is left of `time_limit`."""

    time_limit: float
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return max(0.0, self.time_limit - self.elapsed())


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
    clock: Clock,
    budget: float,
    phase: str,
    on_progress: Callable[[Progress], None] | None = None,
) -> Run:
    """Solve with `budget` seconds' worth of work, never past the overall deadline."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, params.workers)
    p.random_seed = params.seed
    p.cp_model_probing_level = 0
    p.log_search_progress = params.log
    cap = max(0.05, clock.left())
    if params.deterministic:
        p.max_deterministic_time = max(0.01, budget * WORK_PER_SECOND)
        p.max_time_in_seconds = cap
        if p.num_workers > 1:
            p.interleave_search = True
            p.share_binary_clauses = False
            p.share_glue_clauses = False
    else:
        p.max_time_in_seconds = max(0.05, min(budget, cap))
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
