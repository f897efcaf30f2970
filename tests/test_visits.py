"""Moves, swaps, locks by hand: refused with the rule and the reason when they break one, and
written once, with an audit trail, when they do not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.domain import PlannedVisit, VisitKind
from scheduler.errors import InputError
from scheduler.services import visits
from scheduler.services.audit import audit_events
from tests.test_disruption import plan_of, seeded, snapshot, sqlite_url

GOOD_FRIDAY = date(2027, 3, 26)
"""A public holiday inside every demo contract's period."""


def _scheduled(roster: list[PlannedVisit]) -> PlannedVisit:
    return next(v for v in roster if v.kind is VisitKind.SCHEDULED and v.date >= date(2026, 11, 24))


def _alone(roster: list[PlannedVisit]) -> PlannedVisit:
    """A visit alone on its technician's day: moving it to the other window breaks nothing."""
    return next(
        v
        for v in roster
        if v.kind is VisitKind.SCHEDULED
        and v.date >= date(2026, 11, 24)
        and not any(
            w.technician_id == v.technician_id and w.date == v.date and w != v for w in roster
        )
    )


def _other_window(visit: PlannedVisit) -> str:
    return "PM" if visit.window == "AM" else "AM"


def test_move_to_another_window_keeps_the_id_and_is_audited(db_url: str) -> None:
    engine = seeded(db_url)
    visit = _alone(plan_of(engine))
    window = _other_window(visit)
    diff = visits.move(
        engine, visit.visit_id, to_date=visit.date, window=window, reason="asked", apply=True
    )
    assert [c.kind for c in diff.changes] == [visits.ChangeKind.MOVED]
    stored = {v.visit_id: v for v in plan_of(engine)}[visit.visit_id]
    assert stored.window == window and stored.date == visit.date
    (event,) = [e for e in audit_events(engine, school_id=visit.school_id) if e.visit_id]
    assert event.action == "move" and event.reason == "asked"
    assert event.before["window"] == visit.window and event.after["window"] == window
    assert event.at.utcoffset() is not None


@pytest.mark.parametrize(
    ("to_date", "words"),
    [(GOOD_FRIDAY, "public holiday"), (date(2028, 1, 5), "outside contract period")],
)
def test_a_move_onto_an_unvisitable_day_names_rule_1(
    tmp_path: Path, to_date: date, words: str
) -> None:
    engine = seeded(sqlite_url(tmp_path))
    visit = _scheduled(plan_of(engine))
    before = snapshot(engine)
    with pytest.raises(InputError) as error:
        visits.move(engine, visit.visit_id, to_date=to_date, apply=True)
    (problem,) = error.value.problems
    assert problem.column == "rule 1" and words in problem.expected
    assert snapshot(engine) == before


def test_a_move_that_overloads_a_technician_names_rule_4(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    roster = plan_of(engine)
    visit = _scheduled(roster)
    busy = next(
        w
        for w in roster
        if w.date == visit.date
        and w.window == visit.window
        and w.technician_id != visit.technician_id
        and w.school_id != visit.school_id
    )
    with pytest.raises(InputError) as error:
        visits.move(engine, visit.visit_id, to_date=visit.date, technician_id=busy.technician_id)
    assert {p.column for p in error.value.problems} & {"rule 3", "rule 4"}


def test_locked_and_frozen_visits_are_refused(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    visit = _scheduled(plan_of(engine))
    with pytest.raises(InputError, match="on or after --as-of"):
        visits.move(
            engine,
            visit.visit_id,
            to_date=visit.date,
            window=_other_window(visit),
            as_of=date(2027, 1, 4),
        )
    visits.lock(engine, visit.visit_id, apply=True)
    with pytest.raises(InputError, match="unlock it first"):
        visits.move(engine, visit.visit_id, to_date=visit.date, window=_other_window(visit))


def test_lock_and_unlock_are_idempotent(db_url: str) -> None:
    engine = seeded(db_url)
    visit = _scheduled(plan_of(engine))
    assert visits.lock(engine, visit.visit_id, apply=True).changes
    assert {v.visit_id: v for v in plan_of(engine)}[visit.visit_id].locked
    state = snapshot(engine)
    assert visits.lock(engine, visit.visit_id, apply=True).is_empty
    assert snapshot(engine) == state
    visits.unlock(engine, visit.visit_id, apply=True)
    assert not {v.visit_id: v for v in plan_of(engine)}[visit.visit_id].locked
    assert [e.action for e in audit_events(engine) if e.visit_id] == ["lock", "unlock"]


def test_swap_slots_of_two_visits_of_one_contract(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    roster = plan_of(engine)
    first = _scheduled(roster)
    second = next(
        v
        for v in roster
        if v.contract_id == first.contract_id
        and v.date != first.date
        and v.technician_id == first.technician_id
    )
    visits.swap(engine, first.visit_id, second.visit_id, what="slot", apply=True)
    stored = {v.visit_id: v for v in plan_of(engine)}
    assert (stored[first.visit_id].date, stored[first.visit_id].window) == (
        second.date,
        second.window,
    )
    assert (stored[second.visit_id].date, stored[second.visit_id].window) == (
        first.date,
        first.window,
    )


def test_swap_technicians_is_applied_or_refused_whole(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    roster = plan_of(engine)
    a = _scheduled(roster)
    b = next(v for v in roster if v.date == a.date and v.technician_id != a.technician_id)
    before = snapshot(engine)
    try:
        visits.swap(engine, a.visit_id, b.visit_id, apply=True)
    except InputError as error:
        assert all(p.column and p.column.startswith("rule ") for p in error.value.problems)
        assert snapshot(engine) == before
    else:
        stored = {v.visit_id: v for v in plan_of(engine)}
        assert stored[a.visit_id].technician_id == b.technician_id
        assert stored[b.visit_id].technician_id == a.technician_id


def test_a_stale_preview_is_refused(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    visit = _alone(plan_of(engine))
    preview = visits.move(engine, visit.visit_id, to_date=visit.date, window=_other_window(visit))
    visits.lock(engine, visit.visit_id, apply=True)
    state = snapshot(engine)
    with pytest.raises(InputError, match="preview again"):
        visits.apply_diff(engine, preview)
    assert snapshot(engine) == state


def test_applying_a_diff_twice_writes_once(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    visit = _alone(plan_of(engine))
    preview = visits.move(engine, visit.visit_id, to_date=visit.date, window=_other_window(visit))
    assert visits.apply_diff(engine, preview)
    state = snapshot(engine)
    assert not visits.apply_diff(engine, preview)
    assert snapshot(engine) == state


def test_move_and_lock_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = sqlite_url(tmp_path)
    engine = seeded(url)
    visit = _scheduled(plan_of(engine))
    before = snapshot(engine)
    argv = ["move", visit.visit_id, "--to-date", str(GOOD_FRIDAY), "--db", url]
    assert main(argv) == 2
    assert "rule 1" in capsys.readouterr().err
    assert main([*argv[:3], str(visit.date), "--dry-run", "--db", url]) == 0
    assert snapshot(engine) == before
    assert main(["lock", visit.visit_id, "--reason", "customer asked", "--db", url]) == 0
    assert "locked" in capsys.readouterr().out
    assert main(["unlock", visit.visit_id, "--db", url]) == 0
    assert main(["audit", "--school", visit.school_id, "--db", url]) == 0
    out = capsys.readouterr().out
    assert "lock" in out and "customer asked" in out


def test_a_diff_reports_the_term_changes_it_causes(tmp_path: Path) -> None:
    engine = seeded(sqlite_url(tmp_path))
    visit = _alone(plan_of(engine))
    diff = visits.move(engine, visit.visit_id, to_date=visit.date, window=_other_window(visit))
    assert diff.terms["moved"] == (0, 1)
    assert "workload" not in diff.terms
    assert any(line.startswith("penalty terms:") for line in diff.lines())
