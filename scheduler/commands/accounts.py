"""Account managers' commands: visit balances, SLA compliance, customer statements."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from scheduler.cli import EXIT_OK, add_db, engine_from, iso_date

AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def _local_datetime(text: str) -> datetime:
    from scheduler.scenario import parse_datetime

    try:
        return parse_datetime(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time YYYY-MM-DDTHH:MM") from None


def cmd_balances(args: argparse.Namespace) -> int:
    from scheduler.services.balances import write_balances_csv

    frame = write_balances_csv(
        engine_from(args), args.as_of, Path(args.out), pace_tolerance=args.pace_tolerance
    )
    at_risk = int(frame["at_risk"].sum()) if len(frame) else 0
    behind = int(frame["behind_pace"].sum()) if len(frame) else 0
    print(f"wrote {len(frame)} contracts to {args.out}; {at_risk} at risk, {behind} behind pace")
    return EXIT_OK


def cmd_sla(args: argparse.Namespace) -> int:
    from scheduler.services.sla_report import write_sla_csv

    rows = write_sla_csv(engine_from(args), args.as_of, Path(args.out))
    print(f"wrote {len(rows)} tickets to {args.out}")
    return EXIT_OK


def cmd_statement(args: argparse.Namespace) -> int:
    from scheduler.services.dataset import load_book
    from scheduler.services.planning import stored_roster
    from scheduler.services.statements import statements, statements_csv, statements_html

    engine = engine_from(args)
    items = statements(
        load_book(engine),
        stored_roster(engine, date.min, date.max),
        args.date_from,
        args.date_to,
        args.school or None,
    )
    out = Path(args.out)
    text = statements_html(items) if out.suffix.lower() in (".html", ".htm") else None
    out.write_text(text if text is not None else statements_csv(items), encoding="utf-8")
    print(f"wrote {len(items)} statement(s) to {out}")
    return EXIT_OK


def register(add: AddCommand) -> None:
    p = add(
        "balances", cmd_balances, "each contract's visit balance, at-risk and behind-pace flags"
    )
    p.add_argument("--as-of", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--out", required=True, metavar="BALANCES_CSV")
    p.add_argument(
        "--pace-tolerance",
        type=int,
        default=2,
        metavar="N",
        help="behind_pace when delivered + planned falls more than N visits behind the even "
        "pace (an early warning; at_risk is owed visits that no longer fit the days left)",
    )
    add_db(p)

    p = add("sla", cmd_sla, "response and resolution deadlines of every ticket as CSV")
    p.add_argument("--as-of", type=_local_datetime, required=True, metavar="DATETIME")
    p.add_argument("--out", required=True, metavar="SLA_CSV")
    add_db(p)

    p = add("statement", cmd_statement, "customer statements per school (CSV, or HTML by .html)")
    p.add_argument("--from", dest="date_from", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--to", dest="date_to", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--school", action="append", metavar="SCHOOL_ID", help="repeatable; default all")
    p.add_argument("--out", required=True, metavar="FILE")
    add_db(p)
