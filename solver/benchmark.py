"""Greedy against CP-SAT on synthetic books, as a table (fixed seeds, fixed instances).

    python -m solver.benchmark --case 60x8 --case 300x40 --time-limit 120

Each case is one generated year (`solver.synthetic`); the table pools the
spec's quality metrics over its contracts, for the dispatcher's plan and
the solver's, with the seconds to the first feasible plan and to the end.
Kept out of the unit tests: a real case takes minutes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

from solver.evaluate import Quality, quality
from solver.greedy import greedy
from solver.solve import SolveParams, solve
from solver.synthetic import synthetic_instance


@dataclass(frozen=True)
class Row:
    case: str
    method: str
    quality: Quality
    travel_ratio: float
    """Travel per visit over the greedy's."""
    first_feasible: float
    seconds: float


def run_case(
    schools: int, technicians: int, params: SolveParams, seed: int = 1, weeks: int = 46
) -> list[Row]:
    """The greedy's row and the solver's row for one generated book."""
    inst = synthetic_instance(schools, technicians, seed=seed, weeks=weeks)
    case = f"{schools} schools / {technicians} technicians"
    started = time.monotonic()
    base = quality(inst, greedy(inst))
    base_seconds = time.monotonic() - started
    result = solve(inst, params)
    mine = quality(inst, result.assignments)
    ratio = mine.travel_per_visit / base.travel_per_visit if base.travel_per_visit else 1.0
    return [
        Row(case, "greedy", base, 1.0, base_seconds, base_seconds),
        Row(case, "cp-sat", mine, ratio, result.first_feasible_seconds or 0.0, result.seconds),
    ]


def table(rows: Sequence[Row]) -> str:
    head = (
        "| case | method | visits | travel/visit | x greedy | regularity | continuity | "
        "preference | unplaced | first feasible s | total s |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        q = r.quality
        lines.append(
            f"| {r.case} | {r.method} | {q.visits} | {q.travel_per_visit:.2f} | "
            f"{r.travel_ratio:.2f} | {q.regularity:.3f} | {q.continuity:.3f} | "
            f"{q.preference:.3f} | {q.unplaced} | {r.first_feasible:.1f} | {r.seconds:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", default=[], help="SCHOOLSxTECHNICIANS")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1, help="instance seed")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    params = SolveParams(time_limit=args.time_limit, workers=args.workers)
    rows: list[Row] = []
    for case in args.case or ["60x8", "300x40"]:
        schools, technicians = (int(x) for x in case.split("x"))
        rows += run_case(schools, technicians, params, seed=args.seed)
        print(table(rows), flush=True)


if __name__ == "__main__":
    main()
