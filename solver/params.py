"""What a solve is asked to do, and what it reports while and after doing it.

Kept apart from `solve.py` because every phase (standing slots, weeks,
mop-up) reads the same parameters and emits the same progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Strategy = Literal["auto", "exact", "decomposed", "greedy"]


@dataclass(frozen=True)
class SolveParams:
    time_limit: float
    """Seconds for the whole solve, however it is split (wall clock, a hard cap)."""
    workers: int = 2
    seed: int = 0
    deterministic: bool = True
    """Stop each CP-SAT search on a work budget derived from `time_limit`, not on the clock, so a
    fixed seed and worker count give the same plan on any load; the clock stays a safety cap."""
    work_per_second: float = 0.25
    """Deterministic work granted per second of `time_limit` (see `solver.cpsat`): lower keeps a
    busy machine further from the wall-clock cap, higher uses a quiet one better."""
    strategy: Strategy = "auto"
    """`exact`: one model over every slot of the horizon (tiny instances only); `decomposed`:
    standing slots, then week by week; `auto` picks by size; `greedy`: the dispatcher
    baseline alone (benchmarks)."""
    exact_max_slots: int = 4000
    """`auto` solves exactly when the horizon has at most this many candidate slots."""
    standing_technicians: int | None = None
    """Candidate technicians per contract in the standing-slot model (nearest by commute);
    None: by the book's size (`solver.standing.candidate_technicians`)."""
    week_technicians: int = 3
    """Extra technicians (nearest) a moved or extra visit may go to, beyond the standing one."""
    pair_neighbours: int = 5
    """Nearby schools per school whose sharing a technician-day the standing model rewards."""
    region_visits: int = 150
    """Week models above this many visits are split into geographic regions of about this size."""
    log: bool = False
    """CP-SAT search log on stdout, for tuning."""


@dataclass(frozen=True)
class Progress:
    """One event of a running solve, for the app's progress bar and the CLI."""

    phase: str
    solutions: int
    """Solutions found so far in this phase."""
    objective: float | None
    """The phase's objective (a subproblem's, except in `greedy` and `done`)."""
    bound: float | None
    seconds: float
    """Since the solve started."""


@dataclass(frozen=True)
class PhaseStats:
    name: str
    subproblems: int
    seconds: float
    deterministic_time: float
    """CP-SAT's deterministic time; for `polish`, the moves it tried."""
    solutions: int
    """Solutions found; for `polish`, the visits it moved."""
    objective: float
    """Sum of the subproblems' objectives."""
    best_bound: float
    """Sum of the subproblems' bounds: what each subproblem proved, given the ones before it."""
    statuses: dict[str, int]
    """How many subproblems ended in each CP-SAT status."""
