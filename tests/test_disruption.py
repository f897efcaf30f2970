"""Absence, closure, cancellation and emergency callouts: preview, apply once, re-plan with
minimal disruption, on real databases and through the CLI."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from scheduler.calendar import Calendar
from scheduler.cli import main
from scheduler.contracts import without_mirrored_history
from scheduler.demo import generate
from scheduler.domain import (
    LONDON,
    Cadence,
    Contract,
    Grade,
    HistoryVisit,
    Nation,
    Package,
    PlannedVisit,
    Scenario,
    School,
    Technician,
    TermBlock,
    VisitKind,
    VisitStatus,
)
from scheduler.errors import InputError
from scheduler.scenario import read_scenario
from scheduler.services import disruption, visits
from scheduler.services.audit import audit_events
from scheduler.services.planning import keep_visit_ids, plan, plan_stored
from scheduler.services.validate import validate_roster
from scheduler.store.db import make_engine, migrate, session_scope
from scheduler.store.repository import (
    PlanRunInfo,
    load_plan,
    load_scenario,
    replace_scenario,
    save_plan,
)
from solver.solve import SolveParams
from tests.support import EXAMPLE

FROM, TO = date(2026, 11, 23), date(2026, 12, 11)
PARAMS = SolveParams(time_limit=2, workers=2, seed=0)


@cache
def planned_demo(seed: int = 1) -> tuple[Scenario, tuple[PlannedVisit, ...]]:
    """A 15-school demo book planned for three weeks, once per test session."""
    scenario = generate(schools=15, seed=seed)
    outcome = plan(scenario, FROM, TO, SolveParams(time_limit=3, workers=2, seed=0))
    assert outcome.ok
    return scenario, tuple(outcome.roster)


@cache
def planned_example() -> tuple[Scenario, tuple[PlannedVisit, ...]]:
    """The format's example scenario planned for two weeks, with pool technician T007 moved
    next to full-managed S0011 so that someone can cover its dedicated technician."""
    scenario, _ = read_scenario(EXAMPLE)
    site = scenario.school("S0011")
    scenario.technicians = [
        dataclasses.replace(t, lat=site.lat + 0.01, lon=site.lon)
        if t.technician_id == "T007"
        else t
        for t in scenario.technicians
    ]
    outcome = plan(scenario, FROM, date(2026, 12, 4), SolveParams(time_limit=3, workers=2))
    assert outcome.ok
    return scenario, tuple(outcome.roster)


def seeded(url: str, book: tuple[Scenario, tuple[PlannedVisit, ...]] | None = None) -> Engine:
    """A database holding a planned book, as `scheduler import` + `scheduler plan` leave it."""
    scenario, roster = book or planned_demo()
    engine = make_engine(url)
    migrate(engine)
    first, last = min(FROM, *(v.date for v in roster)), max(v.date for v in roster)
    with session_scope(engine) as session:
        replace_scenario(session, scenario=scenario)
        save_plan(
            session,
            visits=roster,
            run=PlanRunInfo(status="FEASIBLE"),
            date_from=first,
            date_to=last,
        )
    return engine


def snapshot(engine: Engine) -> tuple[Any, ...]:
    """Everything a change may write: book, plan and audit trail."""
    with session_scope(engine) as session:
        return load_scenario(session), load_plan(session), audit_events(session)


def plan_of(engine: Engine) -> list[PlannedVisit]:
    with session_scope(engine) as session:
        return load_plan(session)


def book_of(engine: Engine) -> Scenario:
    with session_scope(engine) as session:
        return load_scenario(session)


def busiest_day(roster: list[PlannedVisit]) -> tuple[str, date]:
    """The technician-day with the most visits: the hardest absence to absorb."""
    counts = Counter((v.technician_id, v.date) for v in roster if v.kind is not VisitKind.DEDICATED)
    return min(counts, key=lambda key: (-counts[key], key))


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scheduler.db'}"


def assert_promises(before: list[PlannedVisit], diff: visits.Diff, as_of: date) -> None:
    """The format's re-planning promises, checked on a diff."""
    old = {v.visit_id: v for v in before}
    for change in diff.changes:
        if change.before is not None:
            assert not change.before.locked or change.after == change.before
            assert change.before.date >= as_of or change.after == change.before
        if change.after is not None and change.after.kind is not VisitKind.EMERGENCY:
            contract_visit = old.get(change.after.visit_id)
            assert contract_visit is None or contract_visit.contract_id == change.after.contract_id
    assert len(diff.not_displaced) <= disruption.MAX_NOT_DISPLACED_MOVES


# --- absence ------------------------------------------------------------------------------------


def test_absence_preview_changes_nothing_then_apply_once(db_url: str) -> None:
    engine = seeded(db_url)
    before_plan = plan_of(engine)
    tech, day = busiest_day(before_plan)
    displaced = {v.visit_id for v in before_plan if (v.technician_id, v.date) == (tech, day)}
    before = snapshot(engine)

    preview = disruption.absence(engine, tech, day, reason="sick", params=PARAMS)
    assert snapshot(engine) == before
    assert [lv.technician_id for lv in preview.leave] == [tech]
    touched = {c.visit.visit_id for c in preview.changes}
    assert displaced <= touched
    assert_promises(before_plan, preview, day)

    applied = disruption.absence(engine, tech, day, reason="sick", params=PARAMS, apply=True)
    assert applied.lines() == preview.lines()
    after = plan_of(engine)
    assert not [v for v in after if (v.technician_id, v.date) == (tech, day)]
    moved_ids = {c.after.visit_id for c in applied.changes if c.after is not None}
    assert moved_ids <= {v.visit_id for v in after}, "a moved visit keeps its visit_id"
    assert {u.contract_id for u in applied.unplaced} <= {
        c.visit.contract_id for c in applied.changes if c.after is None
    }
    events = audit_events(engine, technician_id=tech)
    assert events[0].action == "absence" and events[0].reason == "sick"

    state = snapshot(engine)
    again = disruption.absence(engine, tech, day, reason="sick", params=PARAMS, apply=True)
    assert again.is_empty
    assert snapshot(engine) == state


def test_absence_keeps_the_slot_with_cover_before_moving_the_day(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    roster = plan_of(engine)
    scenario = book_of(engine)
    for tech, day in sorted({(v.technician_id, v.date) for v in roster}):
        diff = disruption.absence(engine, tech, day, params=PARAMS)
        covered = diff.of_kind(visits.ChangeKind.REASSIGNED)
        if covered:
            break
    else:
        pytest.skip("no technician-day of this book has a free cover")
    for change in covered:
        assert change.before is not None and change.after is not None
        assert (change.after.date, change.after.window) == (
            change.before.date,
            change.before.window,
        )
        assert change.after.technician_id != tech
        assert "covers the same slot" in change.why
    after_roster = visits.replace_rows(roster, diff.changes)
    with_leave = dataclasses.replace(scenario, leave=[*scenario.leave, *diff.leave])
    assert validate_roster(with_leave, after_roster).violations == []


def test_absence_of_a_dedicated_technician_is_covered_from_the_pool(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path), planned_example())
    roster = plan_of(engine)
    day_row = min(
        (v for v in roster if v.kind is VisitKind.DEDICATED and v.technician_id == "T009"),
        key=lambda v: v.date,
    )
    their_day = {v.visit_id for v in roster if (v.technician_id, v.date) == ("T007", day_row.date)}
    diff = disruption.absence(engine, "T009", day_row.date, params=PARAMS, apply=True)
    cover = next(c for c in diff.changes if c.visit.visit_id == day_row.visit_id)
    assert cover.after == dataclasses.replace(day_row, technician_id="T007")
    assert {c.visit.visit_id for c in diff.not_displaced} == their_day
    assert len(diff.not_displaced) <= disruption.MAX_NOT_DISPLACED_MOVES
    stored = [v for v in plan_of(engine) if (v.technician_id, v.date) == ("T007", day_row.date)]
    assert [v.visit_id for v in stored] == [day_row.visit_id]


def test_absence_refuses_a_locked_visit_and_changes_nothing(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    tech, day = busiest_day(plan_of(engine))
    target = next(v for v in plan_of(engine) if (v.technician_id, v.date) == (tech, day))
    visits.lock(engine, target.visit_id, apply=True)
    before = snapshot(engine)
    with pytest.raises(InputError) as error:
        disruption.absence(engine, tech, day, params=PARAMS, apply=True)
    assert target.visit_id in str(error.value.problems[0])
    assert "unlock" in error.value.problems[0].expected
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["absence", "NOBODY", "--from", "2026-11-24"], "a technician of the book"),
        (["absence", "{tech}", "--from", "2031-01-06"], "inside some contract's period"),
        (["absence", "{tech}", "--from", "2026-11-25", "--to", "2026-11-24"], "on or after"),
        (["closure", "NOWHERE", "--from", "2026-11-24"], "a school of the book"),
        (["cancel", "V-NOPE", "--by", "school"], "a visit of the stored plan"),
        (["emergency", "{school}", "--at", "2031-01-06T10:00", "--priority", "urgent"], "period"),
        (
            [
                "emergency",
                "{school}",
                "--at",
                "2026-11-24T10:00",
                "--priority",
                "urgent",
                "--choose",
                "99",
            ],
            "an option from 1",
        ),
        (["lock", "V-NOPE"], "a visit of the stored plan"),
        (["move", "{visit}", "--to-date", "2026-11-24", "--technician", "NOBODY"], "technician"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    tmp_path: Path, argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    engine = seeded(url)
    roster = plan_of(engine)
    visit = next(v for v in roster if v.date == date(2026, 11, 24))
    fill = {"tech": visit.technician_id, "school": visit.school_id, "visit": visit.visit_id}
    before = snapshot(engine)
    code = main([arg.format(**fill) for arg in argv] + ["--db", url])
    assert code == 2
    assert words in capsys.readouterr().err
    assert snapshot(engine) == before


def test_absence_dry_run_from_the_cli_prints_the_diff_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    engine = seeded(url)
    tech, day = busiest_day(plan_of(engine))
    before = snapshot(engine)
    argv = ["absence", tech, "--from", str(day), "--reason", "flu", "--time-limit", "2"]
    assert main([*argv, "--dry-run", "--db", url]) == 0
    out = capsys.readouterr().out
    assert f"add leave: {tech} {day}" in out and "dry run: nothing was changed" in out
    assert snapshot(engine) == before
    assert main([*argv, "--db", url]) == 0
    assert "applied" in capsys.readouterr().out
    assert main([*argv, "--db", url]) == 0
    assert "nothing to change" in capsys.readouterr().out


# --- closure -------------------------------------------------------------------------------------


def test_closure_rebooks_the_schools_visits_inside_the_period(db_url: str) -> None:
    engine = seeded(db_url)
    roster = plan_of(engine)
    target = next(v for v in roster if v.date == date(2026, 11, 24))
    first, last = target.date, target.date + timedelta(days=2)
    diff = disruption.closure(
        engine, target.school_id, first, last, reason="snow", params=PARAMS, apply=True
    )
    assert [c.school_id for c in diff.closures] == [target.school_id]
    contract = book_of(engine).contract(target.contract_id)
    for change in diff.changes:
        if change.after is not None:
            assert not first <= change.after.date <= last
            assert contract.covers(change.after.date) and change.after.date >= first
    moved = next(c for c in diff.changes if c.visit.visit_id == target.visit_id)
    assert moved.after is not None or diff.unplaced
    for effect in diff.balance:
        unplaced = sum(u.visits for u in diff.unplaced if u.contract_id == effect.contract_id)
        assert effect.owed[1] - effect.owed[0] == unplaced
    assert not [
        v for v in plan_of(engine) if v.school_id == target.school_id and first <= v.date <= last
    ]
    again = disruption.closure(engine, target.school_id, first, last, reason="snow", apply=True)
    assert again.is_empty


# --- cancellations -------------------------------------------------------------------------------


def test_closure_and_cancel_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    engine = seeded(url)
    first, second = [v for v in plan_of(engine) if v.kind is VisitKind.SCHEDULED][:2]
    before = snapshot(engine)
    cancel = ["cancel", first.visit_id, "--by", "provider", "--time-limit", "2", "--db", url]
    assert main([*cancel, "--dry-run"]) == 0
    assert "owed again" in capsys.readouterr().out
    assert snapshot(engine) == before
    assert main(cancel) == 0
    closure = ["closure", second.school_id, "--from", str(second.date), "--reason", "snow"]
    assert main([*closure, "--db", url]) == 0
    out = capsys.readouterr().out
    assert f"add closure: {second.school_id}" in out and "applied" in out
    assert [a.action for a in audit_events(engine) if not a.visit_id] == ["cancel", "closure"]


def test_cancel_by_school_counts_as_delivered(db_url: str) -> None:
    engine = seeded(db_url)
    visit = next(v for v in plan_of(engine) if v.kind is VisitKind.SCHEDULED)
    diff = disruption.cancel(engine, visit.visit_id, by="school", apply=True)
    (effect,) = diff.balance
    assert effect.consumed == (effect.consumed[0], effect.consumed[0] + 1)
    assert effect.planned == (effect.planned[0], effect.planned[0] - 1)
    assert effect.owed[0] == effect.owed[1]
    records = {h.visit_id: h for h in book_of(engine).history}
    assert records[visit.visit_id].status is VisitStatus.CANCELLED_BY_SCHOOL
    assert visit.visit_id not in {v.visit_id for v in plan_of(engine)}
    state = snapshot(engine)
    assert disruption.cancel(engine, visit.visit_id, by="school", apply=True).is_empty
    assert snapshot(engine) == state


def test_cancel_by_provider_is_owed_again_and_replanned(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    visit = next(v for v in plan_of(engine) if v.kind is VisitKind.SCHEDULED)
    diff = disruption.cancel(engine, visit.visit_id, by="provider", params=PARAMS, apply=True)
    records = {h.visit_id: h for h in book_of(engine).history}
    assert records[visit.visit_id].status is VisitStatus.CANCELLED_BY_PROVIDER
    added = diff.of_kind(visits.ChangeKind.ADDED)
    (effect,) = diff.balance
    if added:
        (new,) = added
        assert new.visit.visit_id != visit.visit_id
        assert new.visit.date != visit.date and new.visit.contract_id == visit.contract_id
        assert effect.owed[0] == effect.owed[1]
    else:
        assert effect.owed[1] == effect.owed[0] + 1
        assert [u.contract_id for u in diff.unplaced] == [visit.contract_id]
    assert "owed again" in "\n".join(diff.lines())


# --- emergency callouts --------------------------------------------------------------------------


def _scheduled_school(engine: Engine) -> PlannedVisit:
    """A scheduled visit after the callout day, so its school has a visit to give up."""
    callout = date(2026, 11, 24)
    return next(
        v
        for v in plan_of(engine)
        if v.kind is VisitKind.SCHEDULED
        and v.date > callout + timedelta(days=1)
        and not any(w.school_id == v.school_id and w.date == callout for w in plan_of(engine))
    )


def test_emergency_debits_a_bought_visit_and_drops_the_next_one(db_url: str) -> None:
    engine = seeded(db_url)
    visit = _scheduled_school(engine)
    at = datetime(2026, 11, 24, 9, 15)
    options = disruption.emergency_options(engine, visit.school_id, at, "urgent")
    assert options
    arrivals = [o.arrival for o in options]
    assert arrivals == sorted(arrivals), "urgent: whoever is there first"
    diff = disruption.emergency(engine, visit.school_id, at, "urgent", params=PARAMS, apply=True)
    added = diff.of_kind(visits.ChangeKind.ADDED)
    assert [c.visit.kind for c in added] == [VisitKind.EMERGENCY]
    callout = added[0].visit
    assert callout.technician_id == options[0].technician_id and callout.locked
    dropped = diff.of_kind(visits.ChangeKind.DROPPED)
    _, roster = planned_demo()
    expected = min(
        (v for v in roster if v.contract_id == callout.contract_id and v.date > at.date()),
        key=lambda v: (v.date, v.start),
    )
    assert [c.visit.visit_id for c in dropped][:1] == [expected.visit_id]
    (effect,) = [b for b in diff.balance if b.contract_id == callout.contract_id]
    assert effect.consumed[1] == effect.consumed[0] + 1
    assert effect.owed[0] == effect.owed[1], "the spec: owed is unchanged"
    records = {h.visit_id: h for h in book_of(engine).history}
    assert records[callout.visit_id].status is VisitStatus.EMERGENCY
    stored = {v.visit_id: v for v in plan_of(engine)}
    assert stored[callout.visit_id].kind is VisitKind.EMERGENCY
    assert expected.visit_id not in stored
    state = snapshot(engine)
    again = disruption.emergency(engine, visit.school_id, at, "urgent", apply=True)
    assert again.is_empty and snapshot(engine) == state


def test_emergency_choose_and_drop_pick_another_option_and_visit(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    visit = _scheduled_school(engine)
    at = datetime(2026, 11, 24, 13, 0, tzinfo=LONDON)
    options = disruption.emergency_options(engine, visit.school_id, at, "high")
    assert [len(o.bumped) for o in options] == sorted(len(o.bumped) for o in options)
    later = [
        v for v in plan_of(engine) if v.contract_id == visit.contract_id and v.date > at.date()
    ]
    chosen = max(later, key=lambda v: v.date)
    diff = disruption.emergency(
        engine,
        visit.school_id,
        at,
        "high",
        choose=len(options),
        drop=chosen.visit_id,
        params=PARAMS,
    )
    callout = diff.of_kind(visits.ChangeKind.ADDED)[0].visit
    assert callout.technician_id == options[-1].technician_id
    assert chosen.visit_id in {c.visit.visit_id for c in diff.of_kind(visits.ChangeKind.DROPPED)}


def test_emergency_under_on_demand_counts_as_an_on_demand_visit(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    scenario = book_of(engine)
    contract = next(c for c in scenario.contracts if c.package.value == "on_demand")
    day = next(
        d
        for d in (date(2026, 11, 24) + timedelta(days=n) for n in range(14))
        if Calendar(scenario).may_visit(contract.contract_id, d)
    )
    at = datetime.combine(day, datetime.min.time()).replace(hour=9)
    diff = disruption.emergency(engine, contract.school_id, at, "urgent", params=PARAMS, apply=True)
    assert not diff.of_kind(visits.ChangeKind.DROPPED)
    assert any("on-demand visit" in note for note in diff.notes)
    records = [h for h in book_of(engine).history if h.contract_id == contract.contract_id]
    assert VisitStatus.EMERGENCY in {h.status for h in records}


def test_emergency_cli_prints_ranked_options_and_applies_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    engine = seeded(url)
    visit = _scheduled_school(engine)
    argv = ["emergency", visit.school_id, "--at", "2026-11-24T09:15", "--priority", "urgent"]
    assert main([*argv, "--time-limit", "2", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "option 1:" in out and "applied" in out
    kinds = Counter(v.kind for v in plan_of(engine))
    assert kinds[VisitKind.EMERGENCY] == 1


# --- visit ids stay stable -----------------------------------------------------------------------


def _row(visit_id: str, day: int, contract: str = "C1") -> PlannedVisit:
    base = next(v for v in planned_demo()[1])
    return dataclasses.replace(
        base, visit_id=visit_id, contract_id=contract, date=date(2026, 11, day)
    )


def test_a_moved_visit_keeps_its_id_same_day_first_then_nearest() -> None:
    hint = [_row("V-C1-a", 23), _row("V-C1-b", 25), _row("V-C2-x", 23, "C2")]
    placed = [_row("", 25), _row("", 27), _row("", 24, "C2"), _row("", 26, "C2")]
    kept = keep_visit_ids(placed, hint, reserved={"V-C2-20261126"})
    assert [v.visit_id for v in kept] == ["V-C1-b", "V-C1-a", "V-C2-x", "V-C2-20261126-2"]


def test_a_full_replan_after_a_change_keeps_the_ids_it_can(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    target = next(v for v in plan_of(engine) if v.kind is VisitKind.SCHEDULED)
    disruption.closure(engine, target.school_id, target.date, params=PARAMS, apply=True)
    before = [v for v in plan_of(engine) if FROM <= v.date <= TO and not v.locked]
    plan_stored(engine, FROM, TO, SolveParams(time_limit=3, workers=2, seed=0))
    after = [v for v in plan_of(engine) if FROM <= v.date <= TO]
    for contract_id in {v.contract_id for v in before}:
        old = {v.visit_id for v in before if v.contract_id == contract_id}
        new = {v.visit_id for v in after if v.contract_id == contract_id}
        assert len(old & new) == min(len(old), len(new)), contract_id


# --- the last resort: a neighbour moves, or the visit stays owed ---------------------------------


def _tight_book() -> tuple[Scenario, tuple[PlannedVisit, ...]]:
    """One technician who works Mondays and Tuesdays, one visit a day; school A's period
    ends on Sunday 29 November, school B's runs on. As of Monday 23 November (the
    dispatcher's `as_of`: nothing before it moves), A's Monday visit can only go to
    Tuesday, where B's visit is."""
    tech = Technician("T1", "Tess", 51.30, 0.50, Grade.SECOND_LINE, work_days=frozenset({0, 1}),
                      max_visits_per_day=1)  # fmt: skip
    schools = [
        School(sid, f"School {sid}", 51.31 + n / 100, 0.51, Nation.ENG, "KENT")
        for n, sid in enumerate(("A", "B"))
    ]
    contracts = [
        Contract("CA", "A", Package.SCHEDULED, date(2026, 9, 7), 12, 12, Cadence.WEEKLY),
        Contract("CB", "B", Package.SCHEDULED, date(2026, 9, 7), 40, 30, Cadence.WEEKLY),
    ]
    scenario = Scenario(
        schools=schools,
        technicians=[tech],
        contracts=contracts,
        term_dates=[TermBlock("KENT", date(2026, 9, 1), date(2026, 12, 18))],
    )
    am = scenario.window("3h", "AM")
    roster = tuple(
        PlannedVisit(
            f"V-{cid}-{day:%Y%m%d}",
            day,
            "AM",
            am.start,
            am.end,
            sid,
            cid,
            "T1",
            VisitKind.SCHEDULED,
        )
        for cid, sid, day in (("CA", "A", date(2026, 11, 23)), ("CB", "B", date(2026, 11, 24)))
    )
    assert validate_roster(scenario, roster).violations == []
    return scenario, roster


def test_a_neighbour_moves_only_when_that_places_a_displaced_visit(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path), _tight_book())
    monday = date(2026, 11, 23)
    diff = disruption.closure(engine, "A", monday, as_of=monday, params=PARAMS, apply=True)
    assert diff.unplaced == []
    moved = {c.visit.visit_id: c for c in diff.changes}
    assert moved["V-CA-20261123"].after.date == date(2026, 11, 24)
    (neighbour,) = diff.not_displaced
    # B gives up Tuesday for A: it may take the Monday A's closure freed, or a later day
    assert neighbour.visit.visit_id == "V-CB-20261124"
    assert (neighbour.after.date, neighbour.after.window) != (date(2026, 11, 24), "AM")
    assert "make room for V-CA-20261123" in neighbour.why


def test_a_visit_no_slot_can_take_stays_owed_with_the_reason(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path), _tight_book())
    monday = date(2026, 11, 23)
    diff = disruption.closure(
        engine, "A", monday, date(2026, 11, 24), as_of=monday, params=PARAMS, apply=True
    )
    assert not diff.not_displaced
    (unplaced,) = diff.unplaced
    assert (unplaced.contract_id, unplaced.visits) == ("CA", 1)
    assert unplaced.reason
    (effect,) = [b for b in diff.balance if b.contract_id == "CA"]
    assert effect.owed[1] == effect.owed[0] + 1
    assert "V-CB-20261124" in {v.visit_id for v in plan_of(engine)}


# --- a contract's last days: nothing but history is fixed ----------------------------------------


def _last_days_book(
    planned: tuple[date, ...],
    *,
    bought: int,
    history: tuple[date, ...] = (),
    cancelled: tuple[date, ...] = (),
) -> tuple[Scenario, tuple[PlannedVisit, ...]]:
    """School A with one full-time technician; A's period ends on Sunday 29 November, so
    Friday 27 November is its last visitable day. `planned` are A's visits (AM, T1),
    `history` its delivered ones, `cancelled` the ones the school cancelled."""
    tech = Technician("T1", "Tess", 51.30, 0.50, Grade.SECOND_LINE)
    school = School("A", "School A", 51.31, 0.51, Nation.ENG, "KENT")
    contract = Contract("CA", "A", Package.SCHEDULED, date(2026, 9, 7), 12, bought, Cadence.WEEKLY)
    records = [
        HistoryVisit(f"H-CA-{day:%Y%m%d}", "CA", day, "AM", "T1", status)
        for days, status in (
            (history, VisitStatus.DELIVERED),
            (cancelled, VisitStatus.CANCELLED_BY_SCHOOL),
        )
        for day in days
    ]
    scenario = Scenario(
        schools=[school],
        technicians=[tech],
        contracts=[contract],
        term_dates=[TermBlock("KENT", date(2026, 9, 1), date(2026, 12, 18))],
        history=records,
    )
    am = scenario.window("3h", "AM")
    roster = tuple(
        PlannedVisit(
            f"V-CA-{day:%Y%m%d}", day, "AM", am.start, am.end, "A", "CA", "T1", VisitKind.SCHEDULED
        )
        for day in planned
    )
    assert validate_roster(scenario, roster).violations == []
    return scenario, roster


LAST_DAY = date(2026, 11, 27)


def test_a_visit_closed_out_of_the_periods_last_day_is_replaced_earlier_by_default(
    tmp_path: Path,
) -> None:
    """The spec: every displaced visit is re-placed wherever any slot allows, and only history
    and published versions are fixed. Days before the closure that nothing recorded are free;
    `as_of` still makes them fixed when the dispatcher says so."""
    engine = seeded(sqlite_url(tmp_path), _last_days_book((date(2026, 11, 16), LAST_DAY), bought=2))
    before = snapshot(engine)
    told = disruption.closure(engine, "A", LAST_DAY, as_of=LAST_DAY, params=PARAMS)
    assert [u.contract_id for u in told.unplaced] == ["CA"]
    assert snapshot(engine) == before

    diff = disruption.closure(engine, "A", LAST_DAY, reason="snow", params=PARAMS, apply=True)
    assert diff.unplaced == []
    (moved,) = diff.changes
    assert moved.visit.visit_id == "V-CA-20261127" and moved.after is not None
    assert date(2026, 11, 16) < moved.after.date < LAST_DAY
    assert not diff.not_displaced
    (effect,) = diff.balance
    assert effect.owed == (0, 0)
    stored = {v.visit_id: v.date for v in plan_of(engine)}
    assert stored == {"V-CA-20261116": date(2026, 11, 16), "V-CA-20261127": moved.after.date}


@pytest.mark.parametrize(
    ("delivered", "cancelled", "recorded_until", "first", "last"),
    [
        # The book's history runs to Tuesday 24 November: re-placing goes after it, not
        # into the free days before it.
        ((date(2026, 11, 16), date(2026, 11, 24)), (), date(2026, 11, 24), 25, 26),
        # A cancellation is recorded on the cancelled visit's day, often ahead of time: the
        # days before it have not happened, so a displaced visit may still go there.
        ((date(2026, 11, 16),), (date(2026, 11, 26),), date(2026, 11, 16), 17, 25),
    ],
)
def test_a_displaced_visit_goes_after_the_last_day_history_says_happened(
    delivered: tuple[date, ...],
    cancelled: tuple[date, ...],
    recorded_until: date,
    first: int,
    last: int,
    tmp_path: Path,
) -> None:
    book = _last_days_book((LAST_DAY,), bought=3, history=delivered, cancelled=cancelled)
    engine = seeded(sqlite_url(tmp_path), book)
    assert disruption.fixed_until(visits.load_book(engine)) == recorded_until
    diff = disruption.closure(engine, "A", LAST_DAY, params=PARAMS, apply=True)
    assert diff.unplaced == []
    (moved,) = diff.changes
    assert moved.after is not None
    assert date(2026, 11, first) <= moved.after.date <= date(2026, 11, last)


def test_closure_cli_replaces_a_last_day_visit_earlier_without_as_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    seeded(url, _last_days_book((date(2026, 11, 16), LAST_DAY), bought=2))
    argv = ["closure", "A", "--from", str(LAST_DAY), "--time-limit", "2", "--dry-run", "--db", url]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "moved: V-CA-20261127" in out and "re-placed" in out
    assert "unplaced" not in out


def test_absence_on_the_periods_last_day_replaces_the_visit_earlier_by_default(
    tmp_path: Path,
) -> None:
    engine = seeded(sqlite_url(tmp_path), _last_days_book((date(2026, 11, 16), LAST_DAY), bought=2))
    diff = disruption.absence(engine, "T1", LAST_DAY, params=PARAMS, apply=True)
    assert diff.unplaced == []
    (moved,) = diff.changes
    assert moved.after is not None and date(2026, 11, 16) < moved.after.date < LAST_DAY


# --- an emergency after the contract's last planned visit ---------------------------------------

LAST_TWO = (date(2026, 11, 16), date(2026, 11, 23))
"""A's two bought visits, both planned, the later on Monday 23 November."""


def test_emergency_after_the_last_planned_visit_drops_the_latest_earlier_one(
    db_url: str,
) -> None:
    """Nothing owed and no visit after the callout: the latest visit before it that is still
    only planned gives up its entitlement (rule 5: never more than bought), and says so."""
    engine = seeded(db_url, _last_days_book(LAST_TWO, bought=2))
    at = datetime(2026, 11, 25, 9, 0)
    diff = disruption.emergency(engine, "A", at, "urgent", params=PARAMS, apply=True)
    (dropped,) = diff.of_kind(visits.ChangeKind.DROPPED)
    assert dropped.visit.visit_id == "V-CA-20261123"
    assert "no planned visit of CA after 2026-11-25" in dropped.why
    assert any("V-CA-20261123" in note for note in diff.notes)
    (effect,) = diff.balance
    assert effect.consumed == (0, 1) and effect.planned == (2, 1) and effect.owed == (0, 0)
    stored = {v.visit_id: v.kind for v in plan_of(engine)}
    assert stored == {"V-CA-20261116": VisitKind.SCHEDULED, "E-CA-20261125": VisitKind.EMERGENCY}
    scenario = book_of(engine)
    checked = without_mirrored_history(scenario, plan_of(engine))
    assert validate_roster(checked, plan_of(engine)).violations == []


def test_emergency_cli_after_the_last_planned_visit_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    seeded(url, _last_days_book(LAST_TWO, bought=2))
    argv = ["emergency", "A", "--at", "2026-11-25T09:00", "--priority", "urgent", "--db", url]
    assert main([*argv, "--time-limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "dropped: V-CA-20261123" in out and "applied" in out


def test_emergency_drop_may_name_an_earlier_visit_only_when_none_is_later(
    tmp_path: Path,
) -> None:
    engine = seeded(sqlite_url(tmp_path), _last_days_book(LAST_TWO, bought=2))
    after_both = datetime(2026, 11, 25, 9, 0)
    diff = disruption.emergency(
        engine, "A", after_both, "urgent", drop="V-CA-20261116", params=PARAMS
    )
    dropped = [c.visit.visit_id for c in diff.of_kind(visits.ChangeKind.DROPPED)]
    assert dropped == ["V-CA-20261116"]
    between = datetime(2026, 11, 18, 9, 0)
    before = snapshot(engine)
    with pytest.raises(InputError) as error:
        disruption.emergency(engine, "A", between, "urgent", drop="V-CA-20261116", params=PARAMS)
    (problem,) = error.value.problems
    assert problem.file == "--drop" and "V-CA-20261123" in problem.expected
    assert snapshot(engine) == before


def test_emergency_with_no_visit_to_give_up_is_refused_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    engine = seeded(url, _last_days_book(LAST_TWO, bought=2))
    for visit_id in ("V-CA-20261116", "V-CA-20261123"):
        visits.lock(engine, visit_id, apply=True)
    before = snapshot(engine)
    argv = ["emergency", "A", "--at", "2026-11-25T09:00", "--priority", "urgent", "--db", url]
    assert main([*argv, "--time-limit", "2"]) == 2
    err = capsys.readouterr().err
    assert "a bought visit left" in err and "locked" in err
    assert snapshot(engine) == before


def test_emergency_on_a_visit_day_drops_that_visit_and_says_why(tmp_path: Path) -> None:
    """One visit a school a day: the callout takes the place of the day's own visit, not of
    the next one, and the preview says so."""
    engine = seeded(sqlite_url(tmp_path), _last_days_book(LAST_TWO, bought=2))
    diff = disruption.emergency(engine, "A", datetime(2026, 11, 16, 9, 0), "urgent", params=PARAMS)
    (dropped,) = diff.of_kind(visits.ChangeKind.DROPPED)
    assert dropped.visit.visit_id == "V-CA-20261116"
    assert "on the callout's day 2026-11-16" in dropped.why
    assert "on the callout's day" in "\n".join(diff.lines())


def test_emergency_moves_another_contracts_visit_off_the_day_and_drops_its_own_next(
    tmp_path: Path,
) -> None:
    """School A also has contract CB, with a visit on the callout day: that visit moves off
    the day (one visit a school a day) and keeps its entitlement; the callout's own contract
    CA gives up its next planned visit."""
    scenario, roster = _last_days_book((date(2026, 11, 16), LAST_DAY), bought=2)
    callout_day = date(2026, 11, 18)
    second = Contract("CB", "A", Package.SCHEDULED, date(2026, 9, 7), 12, 1, Cadence.WEEKLY)
    scenario = dataclasses.replace(scenario, contracts=[*scenario.contracts, second])
    am = scenario.window("3h", "AM")
    theirs = PlannedVisit(
        "V-CB-20261118", callout_day, "AM", am.start, am.end, "A", "CB", "T1", VisitKind.SCHEDULED
    )
    engine = seeded(sqlite_url(tmp_path), (scenario, (*roster, theirs)))
    at = datetime(2026, 11, 18, 9, 0)
    diff = disruption.emergency(engine, "A", at, "urgent", params=PARAMS, apply=True)
    (dropped,) = diff.of_kind(visits.ChangeKind.DROPPED)
    assert dropped.visit.visit_id == f"V-CA-{LAST_DAY:%Y%m%d}"
    assert "its entitlement went to" in dropped.why
    stored = {v.visit_id: v for v in plan_of(engine)}
    assert "V-CB-20261118" in stored and stored["V-CB-20261118"].date != callout_day
    assert not diff.unplaced
