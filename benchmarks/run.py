"""`make bench`: fixed-seed scenarios, measured on this machine, written as a Markdown table.

Kept apart from the tests: these take minutes and their numbers go into the
README. Every figure is wall-clock seconds on the machine that ran it, and
peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from scheduler.demo import generate
from scheduler.scenario import write_scenario
from scheduler.services.dataset import import_scenario, open_database

RESULTS = Path(__file__).resolve().parent / "results.md"


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_import(schools: int, seed: int, workdir: Path) -> list[str]:
    """Generate, write and import a book into a fresh SQLite file: issue 3's ≤ 30 s at 5,000."""
    folder = workdir / f"import-{schools}"
    generation, scenario = _timed(lambda: generate(schools=schools, seed=seed, history_until=date(2026, 11, 20)))
    write_scenario(scenario, folder)  # type: ignore[arg-type]
    engine = open_database(f"sqlite:///{workdir / f'import-{schools}.db'}")
    seconds, summary = _timed(lambda: import_scenario(engine, folder))
    counts = summary.counts  # type: ignore[attr-defined]
    return [
        f"| import | {schools} schools, {counts['history visits']} history visits, "
        f"{counts['tickets']} tickets | {seed} | {generation:.1f} | {seconds:.1f} | {_peak_mb():.0f} |"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    lines = [
        f"Measured {date.today()} on {Path('/proc/cpuinfo').read_text().count('processor')} cores.",
        "",
        "| benchmark | scenario | seed | generate s | import s | peak MB |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for schools in (200, 1000, 5000):
            lines += bench_import(schools, args.seed, Path(tmp))
            print(lines[-1], file=sys.stderr)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
