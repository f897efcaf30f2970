"""`make bench`: fixed-seed scenarios measured on this machine, written as Markdown tables.

Kept apart from the tests: these take minutes and their numbers go into the
README. Each case runs in a child process of its own so that its peak memory
(maximum resident set size) is its own. Seconds are wall clock.

    python -m benchmarks.run                 # every case
    python -m benchmarks.run --only plan     # one family
    python -m benchmarks.run --case plan:300:cpsat   # one case, prints JSON (used by the parent)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from scheduler.domain import Scenario

RESULTS = Path(__file__).resolve().parent / "results.md"
SEED = 7
IMPORT_SIZES = (200, 1000, 5000)
PLAN_CASES = ((60, 1.0), (200, 1.0), (300, 1.0), (300, 0.8), (300, 0.6), (1000, 1.0))
"""(schools, share of the pool technicians kept). 200 is the real Kent demo (no clones); the
others are generated the same way; 300 at 0.8 is a busier book, 300 at 0.6 a dense one, short
of technicians, where the dispatcher cannot place every visit."""
PLAN_SECONDS = {60: 60.0, 200: 120.0, 300: 120.0, 1000: 600.0}
PLAN_FROM, PLAN_TO = date(2026, 11, 23), date(2027, 8, 31)
"""The rest of the demo's contract year: its history runs to Friday 2026-11-20."""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def case_import(schools: int) -> dict[str, object]:
    """Write a generated book and import it into a fresh SQLite file (issue 3: ≤ 30 s at 5,000)."""
    from scheduler.demo import generate
    from scheduler.scenario import write_scenario
    from scheduler.services.dataset import import_scenario, open_database

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp) / "scenario"
        write_scenario(generate(schools=schools, seed=SEED), folder)
        engine = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        summary = import_scenario(engine, folder)
        seconds = time.perf_counter() - started
    return {
        "schools": schools,
        "history": summary.counts["history visits"],
        "tickets": summary.counts["tickets"],
        "seconds": round(seconds, 2),
        "peak_mb": round(_peak_mb()),
    }


def fewer_technicians(scenario: Scenario, share: float) -> Scenario:
    """The book with only `share` of its pool technicians (a fixed draw); dedicated ones stay."""
    if share >= 1:
        return scenario
    dedicated = {c.dedicated_technician_id for c in scenario.contracts if c.dedicated_technician_id}
    pool = sorted(t.technician_id for t in scenario.technicians if t.technician_id not in dedicated)
    kept = set(random.Random(SEED).sample(pool, round(len(pool) * share))) | dedicated
    return dataclasses.replace(
        scenario,
        technicians=[t for t in scenario.technicians if t.technician_id in kept],
        leave=[leave for leave in scenario.leave if leave.technician_id in kept],
    )


def case_plan(schools: int, method: str, share: float = 1.0) -> dict[str, object]:
    """Every contract's whole period from scratch (no history), greedy or CP-SAT, via services."""
    from scheduler.demo import generate
    from scheduler.services.planning import plan
    from solver.params import SolveParams

    scenario = fewer_technicians(generate(schools=schools, seed=SEED, history_until=None), share)
    strategy = "greedy" if method == "greedy" else "auto"
    params = SolveParams(time_limit=PLAN_SECONDS[schools], workers=2, seed=SEED, strategy=strategy)
    # Every contract period whole, so the spec's metrics (and shortfall) are over full periods.
    first = min(c.start_date for c in scenario.contracts)
    last = max(c.end_date for c in scenario.contracts)
    started = time.perf_counter()
    outcome = plan(scenario, first, last, params)
    seconds = time.perf_counter() - started
    metrics = outcome.validation.metrics
    return {
        "schools": schools,
        "technicians": len(scenario.technicians),
        "method": method,
        "visits": len(outcome.roster),
        "violations": len(outcome.validation.violations),
        "travel_per_visit": round(metrics.travel_per_visit, 1),
        "regularity": round(metrics.regularity, 3),
        "continuity": round(metrics.continuity, 3),
        "preference": round(metrics.preference, 3),
        "shortfall": metrics.shortfall,
        "unplaced": sum(u.visits for u in outcome.unplaced),
        "objective": outcome.validation.objective,
        "bound": round(outcome.result.best_bound),
        "gap": round(outcome.result.gap, 3),
        "first_feasible": round(outcome.result.first_feasible_seconds or 0.0, 2),
        "seconds": round(seconds, 1),
        "peak_mb": round(_peak_mb()),
    }


def case_balances() -> dict[str, object]:
    """5,000 weekly contracts, 200,000 history visits, 30,000 planned (issue 5: ≤ 2 s)."""
    from datetime import time as clock
    from datetime import timedelta

    from scheduler.domain import (
        Cadence,
        Contract,
        HistoryVisit,
        Nation,
        Package,
        PlannedVisit,
        Scenario,
        School,
        Settings,
        TermBlock,
        VisitKind,  # fmt: skip
        VisitStatus,
    )
    from scheduler.services.balances import balances

    first = date(2026, 9, 2)
    schools = [School(f"S{i}", "x", 51.0, 0.1, Nation.ENG, "T") for i in range(5000)]
    contracts = [
        Contract(f"C{i}", f"S{i}", Package.SCHEDULED, date(2026, 9, 1), 46, 46, Cadence.WEEKLY)
        for i in range(5000)
    ]
    statuses = list(VisitStatus)
    history = [
        HistoryVisit(f"H{i}-{k}", f"C{i}", first + timedelta(days=7 * k), "AM", "T1",
                     statuses[(i + k) % 5])
        for i in range(5000) for k in range(40)
    ]  # fmt: skip
    plan = [
        PlannedVisit(f"P{i}-{k}", first + timedelta(days=7 * (40 + k)), "AM", clock(8, 30),
                     clock(11, 30), f"S{i}", f"C{i}", "T1", VisitKind.SCHEDULED)
        for i in range(5000) for k in range(6)
    ]  # fmt: skip
    scenario = Scenario(
        schools=schools,
        contracts=contracts,
        term_dates=[TermBlock("T", date(2026, 9, 1), date(2027, 7, 21))],
        history=history,
        settings=Settings(shutdown=((date(2026, 12, 21), date(2027, 1, 1)),)),
    )
    started = time.perf_counter()
    frame = balances(scenario, plan, date(2027, 6, 1))
    seconds = time.perf_counter() - started
    return {
        "what": "balances: 5,000 contracts, 200,000 history, 30,000 planned",
        "rows": len(frame),
        "seconds": round(seconds, 2),
        "peak_mb": round(_peak_mb()),
    }


def case_sla() -> dict[str, object]:
    """100,000 tickets across the four nations, a sixth with a pause (issue 5: ≤ 10 s)."""
    from datetime import datetime, timedelta

    from scheduler.domain import LONDON, Nation, Scenario, School, Settings, Ticket
    from scheduler.services.sla_report import sla_rows

    schools = [School(f"S{i}", "x", 51.0, 0.1, list(Nation)[i % 4], "T") for i in range(5000)]
    start = datetime(2026, 9, 1, 7, 0, tzinfo=LONDON)

    def opened(i: int) -> datetime:
        return start + timedelta(minutes=97 * i % (300 * 24 * 60))

    tickets = [
        Ticket(f"K{i:06d}", f"S{i % 5000}", ("urgent", "high", "medium", "low")[i % 4],
               opened(i),
               pauses=((opened(i) + timedelta(hours=1), opened(i) + timedelta(hours=15)),)
               if i % 6 == 0 else ())
        for i in range(100_000)
    ]  # fmt: skip
    scenario = Scenario(
        schools=schools,
        tickets=tickets,
        settings=Settings(shutdown=((date(2026, 12, 21), date(2027, 1, 1)),)),
    )
    started = time.perf_counter()
    rows = sla_rows(scenario, datetime(2027, 8, 1, tzinfo=LONDON))
    seconds = time.perf_counter() - started
    return {
        "what": "SLA: 100,000 tickets",
        "rows": len(rows),
        "seconds": round(seconds, 2),
        "peak_mb": round(_peak_mb()),
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def planned_demo(folder: Path) -> Engine:
    """The 300-school demo in SQLite under `folder`, planned for the rest of its year (120 s).

    The book of the operations and browser cases: a dispatcher's real working state.
    """
    from scheduler.demo import generate
    from scheduler.scenario import write_scenario
    from scheduler.services.dataset import import_scenario, open_database
    from scheduler.services.planning import plan_stored
    from solver.params import SolveParams

    write_scenario(generate(schools=300, seed=SEED), folder / "scenario")
    engine = open_database(f"sqlite:///{folder / 'ops.db'}")
    import_scenario(engine, folder / "scenario")
    params = SolveParams(time_limit=120, workers=2, seed=SEED)
    plan_stored(engine, PLAN_FROM, PLAN_TO, params)
    return engine


def case_operations() -> dict[str, object]:
    """The 300-school demo planned for the rest of the year, then a dispatcher's week.

    Issue 8: a weekly --publish run of 2 weeks (≤ 60 s). Issue 6: a technician
    sick for a day (≤ 2 s) or a week (≤ 10 s), previews on random technicians
    and days, and emergency options (p95 ≤ 100 ms).
    """
    import random
    from datetime import datetime, timedelta

    from scheduler.domain import LONDON, VisitKind
    from scheduler.errors import InputError
    from scheduler.services import disruption
    from scheduler.services.visits import load_book
    from scheduler.services.weekly import WeeklyRequest, run_weekly
    from solver.params import SolveParams

    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="bench-ops-") as tmp:
        engine = planned_demo(Path(tmp))

        started = time.perf_counter()
        weekly = run_weekly(
            engine,
            WeeklyRequest(
                week_of=date(2026, 11, 30),
                weeks=2,
                publish=True,
                params=SolveParams(time_limit=50, workers=2, seed=SEED),
            ),
        )
        weekly_seconds = time.perf_counter() - started

        book = load_book(engine)
        pairs = sorted(
            {(v.technician_id, v.date) for v in book.roster if v.kind is not VisitKind.DEDICATED}
        )
        day_times, moved = [], 0
        for tech, day in rng.sample(pairs, 10):
            started = time.perf_counter()
            diff = disruption.absence(engine, tech, day, reason="sick")
            day_times.append(time.perf_counter() - started)
            moved += len(diff.not_displaced)
        week_times = []
        mondays = sorted({d - timedelta(days=d.weekday()) for _, d in pairs})
        for tech, _ in rng.sample(pairs, 3):
            monday = rng.choice(mondays)
            started = time.perf_counter()
            diff = disruption.absence(engine, tech, monday, monday + timedelta(days=4))
            week_times.append(time.perf_counter() - started)
            moved += len(diff.not_displaced)
        board = disruption.CalloutBoard(book)
        schools = [
            c.school_id for c in book.scenario.contracts if c.package.value != "full_managed"
        ]
        days = sorted({d for _, d in pairs})
        option_ms = []
        for _ in range(300):
            day = rng.choice(days)
            at = datetime(day.year, day.month, day.day, rng.randint(8, 15), 0, tzinfo=LONDON)
            started = time.perf_counter()
            # a day outside that school's contract periods is refused, fast: it counts too
            with contextlib.suppress(InputError):
                disruption.emergency_options(board, rng.choice(schools), at, "urgent")
            option_ms.append((time.perf_counter() - started) * 1000)
    return {
        "weekly_seconds": round(weekly_seconds, 1),
        "weekly_visits": len(weekly.roster),
        "sick_day_p50": round(_percentile(day_times, 0.5), 2),
        "sick_day_p95": round(_percentile(day_times, 0.95), 2),
        "sick_week_max": round(max(week_times), 2),
        "not_displaced_moved": moved,
        "emergency_options_p95_ms": round(_percentile(option_ms, 0.95), 1),
        "peak_mb": round(_peak_mb()),
    }


def run_case(spec: str) -> dict[str, object]:
    family, *args = spec.split(":")
    if family == "import":
        return case_import(int(args[0]))
    if family == "balances":
        return case_balances()
    if family == "sla":
        return case_sla()
    if family == "operations":
        return case_operations()
    if family == "browser":
        from benchmarks.browser import case_browser

        return case_browser()
    if family == "plan":
        return case_plan(int(args[0]), args[1], float(args[2]) if len(args) > 2 else 1.0)
    raise SystemExit(f"unknown case {spec!r}")


def _child(spec: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--case", spec],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import_table(rows: list[dict[str, object]]) -> list[str]:
    lines = [
        "| import into SQLite | history visits | tickets | seconds | peak MB |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.get('schools')} schools | {r.get('history')} | {r.get('tickets')} | "
            f"{r.get('seconds')} | {r.get('peak_mb')} |"
        )
    return lines


def _service_table(rows: list[dict[str, object]]) -> list[str]:
    lines = ["| service | rows | seconds | peak MB |", "|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.get('what', r.get('error'))} | {r.get('rows')} | {r.get('seconds')} | "
            f"{r.get('peak_mb')} |"
        )
    return lines


def _plan_table(rows: list[dict[str, object]]) -> list[str]:
    """One row per book and method; `ratio` is CP-SAT's travel per visit over greedy's."""
    greedy = {
        (r["schools"], r["technicians"]): r["travel_per_visit"]
        for r in rows
        if r.get("method") == "greedy" and "error" not in r
    }
    for r in rows:
        base = greedy.get((r.get("schools"), r.get("technicians")))
        if r.get("method") == "cpsat" and base and "error" not in r:
            r["ratio"] = round(cast(float, r["travel_per_visit"]) / cast(float, base), 2)
    cols = ["schools", "technicians", "method", "visits", "violations", "travel_per_visit",
            "ratio", "regularity", "continuity", "preference", "shortfall", "unplaced", "objective",
            "bound", "gap", "first_feasible", "seconds", "peak_mb"]  # fmt: skip
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(c, r.get("error", ""))) for c in cols) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", help="run one case in this process and print its JSON")
    parser.add_argument("--only", choices=["import", "services", "operations", "browser", "plan"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case), default=str))
        return 0
    sections = [
        f"Measured {date.today()} on {Path('/proc/cpuinfo').read_text().count('processor')} "
        f"cores, seed {SEED}.",
    ]
    if args.only in (None, "import"):
        rows = []
        for n in IMPORT_SIZES:
            rows.append(_child(f"import:{n}"))
            print(rows[-1], file=sys.stderr)
        sections += ["", *_import_table(rows)]
    if args.only in (None, "services"):
        rows = [_child("balances"), _child("sla")]
        sections += ["", *_service_table(rows)]
    if args.only in (None, "operations"):
        row = _child("operations")
        sections += ["", "| operations on the 300-school demo | figure |", "|---|---|"]
        sections += [f"| {key} | {value} |" for key, value in row.items()]
    if args.only in (None, "browser"):
        from benchmarks.browser import browser_table

        sections += ["", *browser_table(_child("browser"))]
    if args.only in (None, "plan"):
        rows = []
        for n, share in PLAN_CASES:
            for method in ("greedy", "cpsat"):
                rows.append(_child(f"plan:{n}:{method}:{share}"))
                print(rows[-1], file=sys.stderr)
        sections += ["", *_plan_table(rows)]
    args.out.write_text("\n".join(sections) + "\n")
    print("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
