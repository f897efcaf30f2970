"""The audit trail: append-only, aware times, queryable by school, technician and day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.domain import LONDON
from scheduler.services import audit, disruption
from scheduler.store.db import make_engine, migrate, session_scope
from tests.test_disruption import PARAMS, busiest_day, plan_of, seeded


def _events(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        audit.record(session, actor="ana", action="import", reason="demo folder")
        audit.record(
            session,
            actor="ben",
            action="move",
            school_id="S1",
            technician_id="T1",
            visit_id="V-1",
            day=date(2026, 11, 24),
            before={"window": "AM"},
            after={"window": "PM"},
            reason="asked",
        )
        audit.record(
            session,
            actor=None,
            action="absence",
            technician_id="T2",
            day=date(2026, 11, 30),
            at=datetime(2026, 11, 23, 9, 0, tzinfo=LONDON),
        )


def test_record_and_query_by_school_technician_and_day(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "dispatcher")
    _events(db_url)
    engine = make_engine(db_url)
    everything = audit.audit_events(engine)
    assert [e.action for e in everything] == ["import", "move", "absence"]
    assert all(e.at.utcoffset() is not None for e in everything)
    (move,) = audit.audit_events(engine, school_id="S1")
    assert (move.actor, move.before, move.after, move.reason) == (
        "ben",
        {"window": "AM"},
        {"window": "PM"},
        "asked",
    )
    (absence,) = audit.audit_events(engine, technician_id="T2")
    assert absence.actor == "dispatcher"
    assert absence.at == datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
    assert [e.action for e in audit.audit_events(engine, day_from=date(2026, 11, 25))] == [
        "absence"
    ]
    in_range = audit.audit_events(engine, day_from=date(2026, 11, 24), day_to=date(2026, 11, 24))
    assert [e.visit_id for e in in_range] == ["V-1"]
    with session_scope(engine) as session:
        assert [e.action for e in audit.audit_events(session, action="import")] == ["import"]


def test_the_log_only_grows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    _events(url)
    first = audit.audit_events(make_engine(url))
    _events(url)
    second = audit.audit_events(make_engine(url))
    assert second[: len(first)] == first and len(second) == 2 * len(first)
    assert not [name for name in dir(audit) if name.startswith(("delete", "update", "edit"))]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        audit.event(actor="x", action="move", at=datetime(2026, 11, 23, 9, 0))


def test_domain_objects_become_json() -> None:
    moment = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    value = audit.as_json(
        {"when": moment, "days": {date(2026, 11, 24)}, "gap": [timedelta(0).days]}
    )
    assert value == {"when": "2026-11-23T09:30:00+00:00", "days": ["2026-11-24"], "gap": [0]}


def test_a_change_is_recorded_with_its_visits(tmp_path: Path) -> None:
    engine = seeded(f"sqlite:///{tmp_path / 'scheduler.db'}")
    tech, day = busiest_day(plan_of(engine))
    diff = disruption.absence(
        engine, tech, day, reason="flu", actor="ops", params=PARAMS, apply=True
    )
    events = audit.audit_events(engine, day_from=day - timedelta(days=30))
    summary = events[0]
    assert (summary.action, summary.actor, summary.technician_id, summary.day) == (
        "absence",
        "ops",
        tech,
        day,
    )
    assert summary.after["leave"][0]["technician_id"] == tech
    per_visit = {e.visit_id: e for e in events if e.visit_id}
    assert set(per_visit) == {c.visit.visit_id for c in diff.changes}
    for change in diff.changes:
        event = per_visit[change.visit.visit_id]
        assert event.before == audit.as_json(change.before)
        assert event.after == audit.as_json(change.after)
        assert event.reason == change.why


def test_data_version_moves_with_every_write_and_only_then(db_url: str) -> None:
    """The app's caches key on it: a write by any process must change it, a read must not."""
    engine = make_engine(db_url)
    migrate(engine)
    empty = audit.data_version(engine)
    assert empty == (0, 0)
    _events(db_url)
    written = audit.data_version(engine)
    assert written[0] == 3 and written != empty
    audit.audit_events(engine)
    assert audit.data_version(engine) == written
