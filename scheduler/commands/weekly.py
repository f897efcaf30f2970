"""`scheduler weekly`: the unattended Friday-night run (cron, systemd timer).

Its exit status is all a scheduler sees, so each outcome has its own: 0 done
(unplaced visits are reported, not a failure), 1 failed (database unreachable,
solver or validator failure, stopped by SIGTERM or SIGHUP: nothing published),
2 bad input or usage, 3 another run holds the lock (this one did nothing; try
again later). Progress goes to stderr as timestamped log lines, the one-line
result to stdout.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.cli import EXIT_FAILED, EXIT_OK, add_db, engine_from, iso_date, solve_budget

if TYPE_CHECKING:
    from scheduler.services.weekly import WeeklyReport
    from solver.params import Progress

EXIT_LOCKED = 3
DEFAULT_WEEKS = 2
DEFAULT_TIME_LIMIT = 55.0
"""Keeps a 300-school book's run inside a minute end to end; raise it for bigger books."""
AT_RISK_NAMED = 10
"""Contracts at risk named in the log; summary.md lists them all, with reasons."""

log = logging.getLogger("scheduler.weekly")


class Stopped(Exception):
    """SIGTERM or SIGHUP (systemd stop, a shutdown, cron's session ending) arrived."""


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


@contextmanager
def _stoppable() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped inside the block; the caller's handlers come back after
    (the command also runs in-process, from tests and other Python)."""
    stops = (signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _stop) for sig in stops}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add(
        "weekly",
        cmd_weekly,
        "re-plan the coming weeks, publish a roster version and write calendars (for cron)",
    )
    p.epilog = (
        "Exit status: 0 done (even with unplaced visits, which it reports), 1 failed "
        "(database unreachable, solver error, SIGTERM/SIGHUP; nothing published), 2 bad input "
        "or usage, "
        "3 another run holds the lock."
    )
    p.add_argument(
        "--week-of", type=iso_date, required=True, metavar="DATE", help="any day of the first week"
    )
    p.add_argument(
        "--weeks",
        type=_positive_int,
        default=DEFAULT_WEEKS,
        metavar="N",
        help=f"weeks to plan from that Monday (default {DEFAULT_WEEKS})",
    )
    p.add_argument(
        "--publish", action="store_true", help="publish a new roster version if anything changed"
    )
    p.add_argument("--out", metavar="DIR", help="write roster, calendars and summaries here")
    p.add_argument(
        "--time-limit",
        type=_positive_seconds,
        default=DEFAULT_TIME_LIMIT,
        metavar="S",
        help=f"wall-clock bound for the whole run in seconds (default {DEFAULT_TIME_LIMIT:g})",
    )
    p.add_argument("--seed", type=int, default=0, help="solver random seed (default 0)")
    p.add_argument("--workers", type=_positive_int, default=2, help="solver threads (default 2)")
    p.add_argument(
        "--lock-expiry",
        type=_positive_seconds,
        metavar="S",
        help="seconds after which a killed run's lock may be taken over "
        "(default: the time limit plus 15 minutes)",
    )
    add_db(p)


def cmd_weekly(args: argparse.Namespace) -> int:
    """The planner and calendars load here, not at import: every other command starts faster."""
    from scheduler.services.weekly import (
        LockHeld,
        WeeklyFailed,
        WeeklyRequest,
        lock_expiry,
        run_lock,
        run_weekly,
        write_outputs,
    )
    from solver.params import SolveParams

    log.setLevel(logging.INFO)  # cron keeps this log: every step, timestamped, without -v
    engine = engine_from(args)
    expiry = (
        timedelta(seconds=args.lock_expiry) if args.lock_expiry else lock_expiry(args.time_limit)
    )
    # A stop request unwinds the run like an error: the open transaction rolls back, nothing
    # is published, and the lock is released at once instead of blocking the next run.
    try:
        with _stoppable(), run_lock(engine, expiry=expiry):
            params = SolveParams(
                time_limit=solve_budget(args.time_limit, time.monotonic() - args.started),
                workers=args.workers,
                seed=args.seed,
            )
            request = WeeklyRequest(
                week_of=args.week_of, weeks=args.weeks, publish=args.publish, params=params
            )
            report = run_weekly(engine, request, on_progress=_progress)
            if args.out:
                write_outputs(report, Path(args.out))
                log.info("wrote the roster, calendars and summaries to %s", args.out)
    except LockHeld as refusal:
        log.error("refused: %s", refusal)
        return EXIT_LOCKED
    except Stopped as stop:
        log.error("stopped by %s; nothing was published and the lock is released", stop)
        return EXIT_FAILED
    except WeeklyFailed as failure:
        for violation in failure.outcome.validation.violations[:20]:
            log.error("violation: %s", violation)
        log.error("failed: %s; nothing was published", failure)
        return EXIT_FAILED
    _report(report, time.monotonic() - args.started)
    return EXIT_OK


def _report(report: WeeklyReport, seconds: float) -> None:
    for unplaced in report.facts.unplaced:
        log.warning(
            "unplaced: %s %d visit(s): %s", unplaced.contract_id, unplaced.visits, unplaced.reason
        )
    if report.at_risk:
        named = ", ".join(risk.contract_id for risk in report.at_risk[:AT_RISK_NAMED])
        more = len(report.at_risk) - AT_RISK_NAMED
        log.warning(
            "%d contract(s) at risk (see summary.md): %s%s",
            len(report.at_risk),
            named,
            f" and {more} more" if more > 0 else "",
        )
    print(
        f"{report.facts.status}: {_publication(report)}; "
        f"{len(report.roster)} visits {report.date_from} to {report.date_to}, "
        f"{sum(u.visits for u in report.facts.unplaced)} unplaced, "
        f"{len(report.at_risk)} contract(s) at risk, {seconds:.1f}s"
    )


def _publication(report: WeeklyReport) -> str:
    version = report.version
    changes = report.diff.counts()["total"]
    against = "none" if report.diff.against is None else f"version {report.diff.against}"
    if report.published and version is not None:
        return f"published version {version.version} ({changes} change(s) against {against})"
    if report.matches_version and version is not None:
        return f"nothing new to publish: the plan matches version {version.version}"
    return f"not published ({changes} change(s) against {against})"


def _progress(progress: Progress) -> None:
    log.info(
        "%s: solutions %d, objective %s, bound %s",
        progress.phase,
        progress.solutions,
        progress.objective,
        progress.bound,
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value
