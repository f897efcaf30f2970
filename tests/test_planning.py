"""Planning through the services and the CLI: real solver, real validator, real databases."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from scheduler.calendar import Calendar
from scheduler.cli import main
from scheduler.domain import HistoryVisit, VisitKind, VisitStatus
from scheduler.scenario import read_scenario
from scheduler.services.balances import balances
from scheduler.services.dataset import load_book, open_database
from scheduler.services.planning import build_problem, plan, stored_roster
from scheduler.travel import HomeLegs
from solver.params import SolveParams
from tests.support import EXAMPLE

FROM, TO = date(2026, 11, 23), date(2026, 12, 18)
PARAMS = SolveParams(time_limit=8, workers=2, seed=3)


@pytest.fixture(scope="module")
def outcome():
    scenario, _ = read_scenario(EXAMPLE)
    return plan(scenario, FROM, TO, PARAMS)


def test_plan_passes_the_validator_and_agrees_with_the_solver(outcome) -> None:
    assert outcome.validation.violations == []
    assert outcome.result.status in ("OPTIMAL", "FEASIBLE")
    assert outcome.validation.terms == outcome.result.terms
    assert outcome.validation.objective == outcome.result.objective


def test_every_row_is_inside_the_horizon_with_a_technician(outcome) -> None:
    assert outcome.roster
    assert all(FROM <= v.date <= TO and v.technician_id for v in outcome.roster)
    kinds = {v.kind.value for v in outcome.roster}
    assert {"scheduled", "dedicated"} <= kinds


@pytest.mark.parametrize(
    ("contract_id", "words"),
    [
        ("C0004", "no technician with a senior grade within 60 minutes' commute of S0004"),
        ("C0015", "no technician with AV within 60 minutes' commute of S0015"),
        ("C0017", "no technician lives within 60 minutes' commute of S0017"),
        ("C0021", "no technician lives within 60 minutes' commute of S0021"),
        ("C0025", "no technician with NETWORK within 60 minutes' commute of S0025"),
        ("C0006", "on dedicated duty at full-managed S0011"),
    ],
)
def test_unplaced_visits_name_the_blocking_rule(outcome, contract_id: str, words: str) -> None:
    reasons = {u.contract_id: u.reason for u in outcome.unplaced}
    assert words in reasons[contract_id]


def test_a_seed_gives_the_same_plan() -> None:
    scenario, _ = read_scenario(EXAMPLE)
    short = SolveParams(time_limit=4, workers=2, seed=11)
    first = plan(scenario, date(2026, 11, 30), date(2026, 12, 11), short)
    second = plan(scenario, date(2026, 11, 30), date(2026, 12, 11), short)
    assert first.roster == second.roster


def test_solve_command_writes_roster_and_report(tmp_path: Path) -> None:
    roster, report = tmp_path / "roster.csv", tmp_path / "report.json"
    code = main(["solve", str(EXAMPLE), "--from", "2026-11-30", "--to", "2026-12-11",
                 "--out", str(roster), "--report", str(report), "--time-limit", "10"])  # fmt: skip
    assert code == 0
    with roster.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert {"date", "window", "start", "end", "school_id", "contract_id", "technician_id",
            "kind", "visit_id"} <= set(rows[0])  # fmt: skip
    data = json.loads(report.read_text())
    for key in ("visits_planned", "travel_minutes", "objective", "best_bound", "solve_seconds"):
        assert key in data
    assert data["visits_planned"] == len(rows)
    assert {"contract_id", "visits", "reason"} <= set(data["unplaced"][0])
    # The roster's whole travel, as the spec's travel per visit counts it: dedicated days too,
    # unrounded (the `travel` term counts whole minutes rounded up).
    metrics = data["metrics"]
    assert data["travel_minutes"] == pytest.approx(metrics["travel_per_visit"] * len(rows), abs=0.1)
    assert any(row["kind"] == "dedicated" for row in rows)


def test_plan_then_roster_from_the_database(db_url: str, tmp_path: Path) -> None:
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    args = ["--from", "2026-11-30", "--to", "2026-12-04", "--db", db_url]
    assert main(["plan", *args, "--time-limit", "8"]) == 0
    out = tmp_path / "roster.csv"
    assert main(["roster", *args, "--out", str(out)]) == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all("2026-11-30" <= r["date"] <= "2026-12-04" for r in rows)
    # planning again replaces the range instead of adding to it
    assert main(["plan", *args, "--time-limit", "8"]) == 0
    assert main(["roster", *args, "--out", str(out)]) == 0
    with out.open() as handle:
        assert len(list(csv.DictReader(handle))) == len(rows)


@pytest.mark.parametrize(
    "argv",
    [
        ["--from", "2026-12-04", "--to", "2026-11-30"],
        ["--from", "2026-13-01", "--to", "2026-12-04"],
        ["--from", "2026-11-30", "--to", "2026-12-04", "--time-limit", "0"],
    ],
)
def test_bad_plan_arguments_exit_2(argv: list[str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["import", str(EXAMPLE), "--db", db]) == 0
    try:
        code = main(["plan", *argv, "--db", db])
    except SystemExit as exit_info:  # argparse refuses malformed dates itself
        code = int(exit_info.code or 0)
    assert code == 2


def test_plan_on_an_empty_database_exits_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["plan", "--from", "2026-11-30", "--to", "2026-12-04", "--db", db]) == 2


def test_replanning_weeks_inside_a_longer_plan_defers_nothing(tmp_path: Path) -> None:
    """Visits planned after the horizon are not owed in it, and do not shrink its share either."""
    db = f"sqlite:///{tmp_path / 'year.db'}"
    # the demo has fortnightly contracts and holiday-access sites: weeks without a visit
    assert main(["demo", "--schools", "25", "--seed", "3", str(tmp_path / "demo")]) == 0
    assert main(["import", str(tmp_path / "demo"), "--db", db]) == 0
    assert main(["plan", "--from", "2026-11-23", "--to", "2027-03-26", "--time-limit", "10",
                 "--db", db]) == 0  # fmt: skip
    weeks = ["--from", "2026-11-30", "--to", "2026-12-11"]
    before = tmp_path / "before.csv"
    assert main(["roster", *weeks, "--out", str(before), "--db", db]) == 0
    assert main(["plan", *weeks, "--time-limit", "6", "--db", db]) == 0
    after = tmp_path / "after.csv"
    assert main(["roster", *weeks, "--out", str(after), "--db", db]) == 0
    count = {p: len(p.read_text().splitlines()) for p in (before, after)}
    assert count[after] >= count[before]  # catch-ups may come earlier, nothing is dropped


def test_import_and_plan_are_in_the_audit_trail(tmp_path: Path) -> None:
    from scheduler.services.audit import audit_events
    from scheduler.services.dataset import open_database

    db = f"sqlite:///{tmp_path / 'audit.db'}"
    assert main(["import", str(EXAMPLE), "--db", db]) == 0
    assert main(["plan", "--from", "2026-11-30", "--to", "2026-12-04", "--time-limit", "5",
                 "--db", db]) == 0  # fmt: skip
    events = audit_events(open_database(db))
    actions = [e.action for e in events]
    assert actions.count("import") == 1 and actions.count("plan") == 1
    planned = next(e for e in events if e.action == "plan")
    assert planned.day == date(2026, 11, 30) and planned.after["visits"] > 0


def test_a_contract_whose_period_is_over_is_unplaced_with_its_reason_not_deferred() -> None:
    # C0019 runs 2026-04-14..2027-03-01: a plan from 2027-03-15 can deliver none of what it owes.
    scenario, _ = read_scenario(EXAMPLE)
    later = plan(scenario, date(2027, 3, 15), date(2027, 3, 19), PARAMS)
    unplaced = {u.contract_id: u for u in later.unplaced}
    assert "C0019" not in later.deferred
    assert unplaced["C0019"].visits > 0
    assert unplaced["C0019"].reason.startswith("the contract's period ended on 2027-03-01")
    assert later.validation.metrics.shortfall >= unplaced["C0019"].visits


# --- a recorded appointment's day is not booked again -------------------------------------------


@pytest.mark.parametrize("status", list(VisitStatus))
def test_a_day_with_a_history_record_of_the_contract_is_not_offered_to_it(
    status: VisitStatus,
) -> None:
    """C0009 (S0009, Fridays PM) recorded on Fri 2026-11-20 in any status: the planner may not
    put a visit of C0009 on that day again (a cancelled appointment is not re-booked there)."""
    scenario, _ = read_scenario(EXAMPLE)
    cancelled = date(2026, 11, 20)
    record = HistoryVisit("V-C0009-20261120", "C0009", cancelled, "PM", "T005", status)
    scenario = replace(scenario, history=[*scenario.history, record])
    problem = build_problem(scenario, date(2026, 11, 16), date(2026, 11, 27),
                            calendar=Calendar(scenario), travel=HomeLegs(scenario))  # fmt: skip
    (c0009,) = [c for c in problem.instance.contracts if c.id == "C0009"]
    offered = {date.fromordinal(d) for d in (*c0009.term_days, *c0009.holiday_days)}
    assert cancelled not in offered
    assert {date(2026, 11, 19), date(2026, 11, 27)} <= offered  # the rest of the horizon stays


def test_a_replan_after_a_provider_cancellation_keeps_off_the_cancelled_day(tmp_path: Path) -> None:
    """A tester's repro (cancel by provider, then re-plan), made certain: plan a week, cancel
    the C0009 visit by the provider (the owed visit moves to another day), then re-plan only
    the cancelled day, where C0009 is still owed a share: the re-plan must not book C0009 into
    it again, and balances count as planned exactly the roster's visits without a history
    record."""
    db = f"sqlite:///{tmp_path / 'cancel.db'}"
    assert main(["import", str(EXAMPLE), "--db", db]) == 0
    assert main(["plan", "--from", "2026-11-16", "--to", "2026-11-20", "--time-limit", "8",
                 "--db", db]) == 0  # fmt: skip
    engine = open_database(db)
    week = stored_roster(engine, date(2026, 11, 16), date(2026, 11, 20))
    before = [v for v in week if v.contract_id == "C0009"]
    victim = max(before, key=lambda v: v.date)
    day = victim.date.isoformat()
    assert main(["cancel", victim.visit_id, "--by", "provider", "--time-limit", "5",
                 "--db", db]) == 0  # fmt: skip
    after = [v for v in stored_roster(engine, date.min, date.max) if v.contract_id == "C0009"]
    assert len(after) == len(before) and victim.date not in {v.date for v in after}
    assert main(["plan", "--from", day, "--to", day, "--time-limit", "5", "--db", db]) == 0

    roster = stored_roster(engine, date.min, date.max)
    book = load_book(engine)
    assert any(h.visit_id == victim.visit_id for h in book.history)
    assert not [v for v in roster if v.contract_id == "C0009" and v.date == victim.date]
    as_of = date(2026, 12, 31)
    recorded = {h.visit_id for h in book.history if h.date <= as_of}
    frame = balances(book, roster, as_of).set_index("contract_id")
    for contract in book.contracts:
        unrecorded = [
            v
            for v in roster
            if v.contract_id == contract.contract_id
            and v.kind is not VisitKind.DEDICATED
            and v.visit_id not in recorded
        ]
        assert frame.loc[contract.contract_id, "planned"] == len(unrecorded), contract.contract_id
