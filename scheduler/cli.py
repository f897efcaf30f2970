"""The `scheduler` command: the batch interface scripts and cron rely on.

Only parses arguments, calls services and prints. Exit status: 0 done, 1 the
work failed, 2 bad input or usage (argparse already exits 2 on usage errors).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import pkgutil
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler.errors import InputError, Problem

if TYPE_CHECKING:
    from scheduler.services.planning import PlanOutcome
    from solver.solve import Progress, SolveParams

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
SOLVE_SHARE = 0.8
"""Of --time-limit, what the solver may use; the rest covers loading, checks and writing
(publishing and calendars in the weekly run), so the limit bounds the whole command."""
START_UP_SHARE = 0.9
"""Start-up beyond a tenth of the limit comes off the solver's share."""
MIN_SOLVE_SECONDS = 0.25
"""The solver's least time, when start-up ate the rest: enough for the dispatcher's plan of a
300-school book, which the solver answers with when it has no time to optimise."""

log = logging.getLogger("scheduler")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def engine_from(args: argparse.Namespace, *, create: bool = False) -> Engine:
    """The database of --db / SCHEDULER_DB_URL / the embedded file. Only `import` (`create`)
    may make a new SQLite file: a mistyped path would otherwise answer from an empty new
    database, and a cron job reading it would exit 0 with nothing done."""
    from scheduler.services.dataset import open_database
    from scheduler.store.db import DB_URL_ENV, resolve_db_url, sqlite_file

    url = resolve_db_url(args.db)
    path = sqlite_file(url)
    if not create and path is not None and not path.exists():
        field = (
            "--db"
            if args.db
            else "SCHEDULER_DB_URL"
            if os.environ.get(DB_URL_ENV)
            else "the embedded database"
        )
        raise InputError(
            [
                Problem(
                    field, None, None, url, "an existing database: `scheduler import` creates one"
                )
            ]
        )
    return open_database(url)


def print_problems(problems: Sequence[Problem], stream=sys.stderr) -> None:
    """A table a person can fix the files from: one line per problem, file/row/column first."""
    if not problems:
        return
    frame = pd.DataFrame(
        [
            {
                "severity": p.severity,
                "file": p.file,
                "row": "" if p.row is None else p.row,
                "column": p.column or "",
                "value": p.value,
                "expected": p.expected,
            }
            for p in problems
        ]
    )
    print(frame.to_string(index=False), file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    from scheduler.services.dataset import import_scenario

    if not Path(args.scenario_dir).is_dir():  # refused before a new database file is made
        raise InputError(
            [Problem(args.scenario_dir, None, None, args.scenario_dir, "a scenario folder")]
        )
    summary = import_scenario(engine_from(args, create=True), Path(args.scenario_dir))
    print_problems(summary.warnings)
    counts = ", ".join(f"{n} {what}" for what, n in summary.counts.items())
    print(f"imported {args.scenario_dir}: {counts}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from scheduler.services.dataset import export_scenario

    export_scenario(engine_from(args), Path(args.scenario_dir))
    print(f"exported the scenario to {args.scenario_dir}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from scheduler.demo import generate
    from scheduler.scenario import write_scenario

    scenario = generate(schools=args.schools, seed=args.seed, region=args.region)
    write_scenario(scenario, Path(args.out))
    print(
        f"wrote a demo scenario to {args.out}: {len(scenario.schools)} schools, "
        f"{len(scenario.technicians)} technicians, {len(scenario.contracts)} contracts, "
        f"{len(scenario.history)} history visits"
    )
    return EXIT_OK


def _progress(progress: Progress) -> None:
    """One line per improving solution, so a long solve is visibly alive."""
    print(
        f"[{progress.seconds:7.1f}s] {progress.phase}: solutions {progress.solutions}, "
        f"objective {progress.objective}, bound {progress.bound}",
        file=sys.stderr,
    )


def solve_budget(time_limit: float, spent: float) -> float:
    """The solver's fixed share of --time-limit, so a seed gives the same plan however long
    start-up took (the solver's work budget derives from it); cut only when start-up ate
    into the rest of the run's limit (down to MIN_SOLVE_SECONDS)."""
    return max(
        MIN_SOLVE_SECONDS, min(time_limit * SOLVE_SHARE, time_limit * START_UP_SHARE - spent)
    )


def _solve_params(args: argparse.Namespace) -> SolveParams:
    """The command's --time-limit bounds the whole run: reading and writing come off it."""
    from solver.solve import SolveParams

    if args.time_limit <= 0:
        raise InputError([Problem("--time-limit", None, None, str(args.time_limit), "seconds > 0")])
    budget = solve_budget(args.time_limit, time.monotonic() - args.started)
    return SolveParams(time_limit=budget, workers=args.workers, seed=args.seed)


def _finish_plan(outcome: PlanOutcome, report_path: str | None) -> int:
    from scheduler.services.planning import plan_report

    report = plan_report(outcome)
    if report_path:
        Path(report_path).write_text(json.dumps(report, indent=2, default=str) + "\n")
    for warning in outcome.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for visit in outcome.unplaced:
        print(f"unplaced: {visit.contract_id} {visit.visits} visit(s): {visit.reason}")
    metrics = outcome.validation.metrics
    print(
        f"{outcome.result.status}: {report['visits_planned']} visits, "
        f"{sum(u.visits for u in outcome.unplaced)} unplaced, objective {report['objective']}, "
        f"bound {outcome.result.best_bound}, travel/visit {metrics.travel_per_visit:.1f} min, "
        f"regularity {metrics.regularity:.3f}, continuity {metrics.continuity:.3f}, "
        f"preference {metrics.preference:.3f}, {outcome.result.seconds:.1f}s"
    )
    if outcome.validation.violations:
        for violation in outcome.validation.violations[:20]:
            print(f"violation: {violation}", file=sys.stderr)
        print("the plan broke a hard rule and was not saved", file=sys.stderr)
        return EXIT_FAILED
    if outcome.result.status not in ("OPTIMAL", "FEASIBLE"):
        print(f"the solver ended with status {outcome.result.status}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def check_range(args: argparse.Namespace) -> None:
    if args.date_from > args.date_to:
        raise InputError(
            [
                Problem(
                    "--from",
                    None,
                    None,
                    str(args.date_from),
                    f"a date on or before --to {args.date_to}",
                )
            ]
        )


def cmd_plan(args: argparse.Namespace) -> int:
    from scheduler.services.planning import plan_stored

    check_range(args)
    engine = engine_from(args)
    outcome = plan_stored(
        engine, args.date_from, args.date_to, _solve_params(args), on_progress=_progress
    )
    return _finish_plan(outcome, args.report)


def cmd_roster(args: argparse.Namespace) -> int:
    from scheduler.services.planning import stored_roster
    from scheduler.services.validate import write_roster_csv

    check_range(args)
    roster = stored_roster(engine_from(args), args.date_from, args.date_to)
    write_roster_csv(roster, Path(args.out))
    print(f"wrote {len(roster)} visits to {args.out}")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from scheduler.scenario import read_scenario
    from scheduler.services.planning import plan
    from scheduler.services.validate import write_roster_csv

    check_range(args)
    scenario, warnings = read_scenario(Path(args.scenario_dir))
    print_problems(warnings)
    outcome = plan(
        scenario, args.date_from, args.date_to, _solve_params(args), on_progress=_progress
    )
    code = _finish_plan(outcome, args.report)
    if code == EXIT_OK:
        write_roster_csv(outcome.roster, Path(args.out))
        print(f"wrote {len(outcome.roster)} visits to {args.out}")
    return code


def add_range(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--to", dest="date_to", type=iso_date, required=True, metavar="DATE")


def _add_solve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        metavar="S",
        help="wall-clock bound for the whole command in seconds (default 120)",
    )
    parser.add_argument("--seed", type=int, default=0, help="solver random seed (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="solver threads (default 2)")
    parser.add_argument("--report", metavar="FILE", help="write report.json here")


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy URL (default: $SCHEDULER_DB_URL, else the embedded SQLite file "
        "var/scheduler.db in the project)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scheduler",
        description="Plan on-site technician visits for school IT support contracts.",
        epilog="Exit status: 0 done, 1 the work failed, 2 bad input or usage.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_: str):
        cmd = sub.add_parser(name, help=help_, description=help_)
        cmd.set_defaults(handler=handler)
        return cmd

    p = add("import", cmd_import, "load a scenario folder, replacing the stored one")
    p.add_argument("scenario_dir", metavar="SCENARIO_DIR")
    add_db(p)

    p = add("export", cmd_export, "write the stored scenario out as a scenario folder")
    p.add_argument("scenario_dir", metavar="SCENARIO_DIR")
    add_db(p)

    p = add("demo", cmd_demo, "generate a realistic demo scenario from real school locations")
    p.add_argument("out", metavar="OUT_DIR")
    p.add_argument("--schools", type=int, default=200, help="number of schools (default 200)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--region", choices=["kent", "birmingham"], default="kent")

    p = add("plan", cmd_plan, "plan every visit from --from to --to into the stored plan")
    add_range(p)
    _add_solve_options(p)
    add_db(p)

    p = add("roster", cmd_roster, "write the stored plan's visits in a date range as roster.csv")
    add_range(p)
    p.add_argument("--out", required=True, metavar="ROSTER_CSV")
    add_db(p)

    p = add("solve", cmd_solve, "import + plan + roster in one go, leaving no database behind")
    p.add_argument("scenario_dir", metavar="SCENARIO_DIR")
    add_range(p)
    p.add_argument("--out", required=True, metavar="ROSTER_CSV")
    _add_solve_options(p)

    for module in _command_modules():
        module.register(add)
    return parser


def _command_modules() -> list[ModuleType]:
    """Every module of `scheduler.commands` adds its subcommands via `register(add)`.

    Discovered rather than listed, so a feature's commands live beside nothing else.
    """
    import scheduler.commands as package

    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    # From the command line, the time before main() was spent importing (CPU-bound, one
    # thread): --time-limit counts it, since it bounds the command as the user waits for it.
    started = time.monotonic() - (time.process_time() if argv is None else 0.0)
    args = build_parser().parse_args(argv)
    args.started = started
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.handler(args)
    except InputError as error:
        print_problems([*error.problems, *error.warnings])
        print(f"refused: {len(error.problems)} error(s); nothing was changed", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SQLAlchemyError as error:
        print(f"database error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"failed: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
