"""`scheduler absence|closure|cancel|emergency|lock|unlock|move|swap|audit`: a dispatcher's
changes from scripts.

Every change prints its diff; without `--dry-run` it is then applied in one
transaction, and applying it again changes nothing. Bad input (an unknown id,
a date outside every period, a move that breaks a hard rule) exits 2 with
nothing changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from scheduler.cli import EXIT_FAILED, EXIT_OK, add_db, engine_from, iso_date
from scheduler.errors import InputError, Problem

if TYPE_CHECKING:
    from scheduler.services.visits import Diff
    from solver.solve import SolveParams

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def iso_datetime(text: str) -> datetime:
    """`YYYY-MM-DDTHH:MM`, London time unless an offset is given, as in tickets.csv."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time YYYY-MM-DDTHH:MM") from None


def _report(diff: Diff, args: argparse.Namespace) -> int:
    for line in diff.lines():
        print(line)
    if not diff.is_empty:
        print("dry run: nothing was changed" if getattr(args, "dry_run", False) else "applied")
    return EXIT_OK


def _params(args: argparse.Namespace) -> SolveParams:
    from scheduler.services.disruption import DEFAULT_PARAMS

    if args.time_limit is None:
        return DEFAULT_PARAMS
    if args.time_limit <= 0:
        raise InputError([Problem("--time-limit", None, None, str(args.time_limit), "seconds > 0")])
    return dataclasses.replace(DEFAULT_PARAMS, time_limit=args.time_limit)


def _failed(error: RuntimeError) -> int:
    print(f"failed: {error}; nothing was changed", file=sys.stderr)
    return EXIT_FAILED


def cmd_absence(args: argparse.Namespace) -> int:
    from scheduler.services import disruption

    try:
        diff = disruption.absence(
            engine_from(args),
            args.technician_id,
            args.date_from,
            args.date_to,
            reason=args.reason,
            as_of=args.as_of,
            params=_params(args),
            apply=not args.dry_run,
            actor=args.actor,
        )
    except RuntimeError as error:
        return _failed(error)
    return _report(diff, args)


def cmd_closure(args: argparse.Namespace) -> int:
    from scheduler.services import disruption

    try:
        diff = disruption.closure(
            engine_from(args),
            args.school_id,
            args.date_from,
            args.date_to,
            reason=args.reason,
            as_of=args.as_of,
            params=_params(args),
            apply=not args.dry_run,
            actor=args.actor,
        )
    except RuntimeError as error:
        return _failed(error)
    return _report(diff, args)


def cmd_cancel(args: argparse.Namespace) -> int:
    from scheduler.services import disruption

    try:
        diff = disruption.cancel(
            engine_from(args),
            args.visit_id,
            by=args.by,
            reason=args.reason,
            as_of=args.as_of,
            params=_params(args),
            apply=not args.dry_run,
            actor=args.actor,
        )
    except RuntimeError as error:
        return _failed(error)
    return _report(diff, args)


def cmd_emergency(args: argparse.Namespace) -> int:
    from scheduler.services import disruption

    engine = engine_from(args)
    options = disruption.emergency_options(engine, args.school_id, args.at, args.priority)
    for n, option in enumerate(options, start=1):
        bumped = ", ".join(v.visit_id for v in option.bumped) or "nothing"
        print(
            f"option {n}: {option.technician_id} from {option.depart_from} at "
            f"{option.departure:%H:%M}, {option.travel_minutes} min, arrives about "
            f"{option.arrival:%H:%M}, slot {option.window.name}; bumps {bumped}"
        )
    try:
        diff = disruption.emergency(
            engine,
            args.school_id,
            args.at,
            args.priority,
            choose=args.choose,
            drop=args.drop,
            reason=args.reason,
            params=_params(args),
            apply=not args.dry_run,
            actor=args.actor,
        )
    except RuntimeError as error:
        return _failed(error)
    return _report(diff, args)


def cmd_lock(args: argparse.Namespace) -> int:
    from scheduler.services import visits

    diff = visits.lock(
        engine_from(args), args.visit_id, reason=args.reason, apply=True, actor=args.actor
    )
    return _report(diff, args)


def cmd_unlock(args: argparse.Namespace) -> int:
    from scheduler.services import visits

    diff = visits.unlock(
        engine_from(args), args.visit_id, reason=args.reason, apply=True, actor=args.actor
    )
    return _report(diff, args)


def cmd_move(args: argparse.Namespace) -> int:
    from scheduler.services import visits

    diff = visits.move(
        engine_from(args),
        args.visit_id,
        to_date=args.to_date,
        window=args.window,
        technician_id=args.technician,
        as_of=args.as_of,
        reason=args.reason,
        apply=not args.dry_run,
        actor=args.actor,
    )
    return _report(diff, args)


def cmd_swap(args: argparse.Namespace) -> int:
    from scheduler.services import visits

    diff = visits.swap(
        engine_from(args),
        args.visit_a,
        args.visit_b,
        what=args.what,
        as_of=args.as_of,
        reason=args.reason,
        apply=not args.dry_run,
        actor=args.actor,
    )
    return _report(diff, args)


def cmd_audit(args: argparse.Namespace) -> int:
    from scheduler.services.audit import audit_events

    events = audit_events(
        engine_from(args), args.school, args.technician, args.date_from, args.date_to
    )
    for e in events:
        who = " ".join(x for x in (e.school_id, e.technician_id, e.visit_id) if x)
        print(f"{e.at:%Y-%m-%d %H:%M} {e.actor} {e.action} {e.day or ''} {who}: {e.reason}")
    print(f"{len(events)} event(s)")
    return EXIT_OK


def _change_options(parser: argparse.ArgumentParser, *, dry_run: bool = True) -> None:
    parser.add_argument("--reason", default="", help="why: kept in the audit trail")
    parser.add_argument("--actor", help="who makes the change (default: $USER)")
    if dry_run:
        parser.add_argument(
            "--dry-run", action="store_true", help="print the diff and change nothing"
        )
    add_db(parser)


def _replan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=iso_date,
        metavar="DATE",
        help=(
            "nothing dated before it moves (default: only history is fixed, so a displaced "
            "visit may go to any day after the book's last history record, earlier days "
            "of its period included)"
        ),
    )
    _time_limit(parser)
    _change_options(parser)


def _time_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="solver seconds for re-planning displaced visits (default 10)",
    )


def _span(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", type=iso_date, required=True, metavar="DATE")
    parser.add_argument(
        "--to", dest="date_to", type=iso_date, metavar="DATE", help="last day (default --from)"
    )


def register(add: Add) -> None:
    p = add("absence", cmd_absence, "a technician off: record leave and re-plan their visits")
    p.add_argument("technician_id", metavar="TECHNICIAN_ID")
    _span(p)
    _replan_options(p)

    p = add("closure", cmd_closure, "a site closed: record it and rebook its visits")
    p.add_argument("school_id", metavar="SCHOOL_ID")
    _span(p)
    _replan_options(p)

    p = add("cancel", cmd_cancel, "cancel a planned visit (by the provider: re-planned)")
    p.add_argument("visit_id", metavar="VISIT_ID")
    p.add_argument("--by", choices=["school", "provider"], required=True)
    _replan_options(p)

    p = add("emergency", cmd_emergency, "book an emergency callout with the best-placed technician")
    p.add_argument("school_id", metavar="SCHOOL_ID")
    p.add_argument("--at", type=iso_datetime, required=True, metavar="DATETIME")
    p.add_argument("--priority", choices=["urgent", "high"], required=True)
    p.add_argument("--choose", type=int, default=1, metavar="N", help="ranked option (default 1)")
    p.add_argument(
        "--drop",
        metavar="VISIT_ID",
        help=(
            "the visit whose entitlement the callout uses (default: the contract's visit that "
            "day, else its next one; with none after the callout day and nothing owed, the "
            "latest one before it; an earlier visit may be named only when none is after it)"
        ),
    )
    _time_limit(p)
    _change_options(p)

    p = add("lock", cmd_lock, "pin a visit: no re-plan moves it")
    p.add_argument("visit_id", metavar="VISIT_ID")
    _change_options(p, dry_run=False)

    p = add("unlock", cmd_unlock, "release a pinned visit")
    p.add_argument("visit_id", metavar="VISIT_ID")
    _change_options(p, dry_run=False)

    p = add("move", cmd_move, "move a visit to another day, window or technician")
    p.add_argument("visit_id", metavar="VISIT_ID")
    p.add_argument("--to-date", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--window", metavar="W", help="window name (default: the same)")
    p.add_argument("--technician", metavar="T", help="technician id (default: the same)")
    p.add_argument("--as-of", type=iso_date, metavar="DATE", help="nothing before it may change")
    _change_options(p)

    p = add("swap", cmd_swap, "two visits trade technicians (or day and window)")
    p.add_argument("visit_a", metavar="VISIT_A")
    p.add_argument("visit_b", metavar="VISIT_B")
    p.add_argument("--what", choices=["technician", "slot"], default="technician")
    p.add_argument("--as-of", type=iso_date, metavar="DATE", help="nothing before it may change")
    _change_options(p)

    p = add("audit", cmd_audit, "list the audit trail by school, technician and day")
    p.add_argument("--school", metavar="SCHOOL_ID")
    p.add_argument("--technician", metavar="TECHNICIAN_ID")
    p.add_argument("--from", dest="date_from", type=iso_date, metavar="DATE")
    p.add_argument("--to", dest="date_to", type=iso_date, metavar="DATE")
    add_db(p)
