"""Storage on two real databases: an SQLite file and PostgreSQL (DATABASE_URL).

Each test gets an empty, migrated database of its own; nothing is mocked
below the repository, because the point is what the engines really store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError

from scheduler.domain import (
    DEFAULT_WINDOWS,
    LONDON,
    Cadence,
    Closure,
    Contract,
    Grade,
    HistoryVisit,
    Leave,
    Nation,
    Package,
    PlannedVisit,
    Scenario,
    School,
    Settings,
    SlaPolicy,
    Technician,
    TermBlock,
    Ticket,
    TravelTime,
    VisitKind,
    VisitStatus,
    Window,
)
from scheduler.store import (
    DEFAULT_DB_PATH,
    PlanRunInfo,
    latest_plan_run,
    load_plan,
    load_scenario,
    make_engine,
    migrate,
    replace_scenario,
    repository,
    resolve_db_url,
    save_plan,
    scenario_is_empty,
    session_scope,
    sorted_scenario,
)
from scheduler.store.models import metadata

TABLES = {
    "school",
    "technician",
    "contract",
    "term_block",
    "closure",
    "leave",
    "history_visit",
    "ticket",
    "travel_time",
    "window",
    "sla_policy",
    "settings",
    "planned_visit",
    "plan_run",
    "audit_event",
    "roster_version",
    "roster_version_visit",
    "run_lock",
}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def london(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=LONDON, fold=fold)  # type: ignore[misc]


def full_scenario() -> Scenario:
    """Every entity and optional field in use, 2-3 of each."""
    return Scenario(
        schools=[
            School(
                "S1",
                "Ashford Oaks Primary",
                51.1465,
                0.8750,
                Nation.ENG,
                "kent",
                postcode="TN23 4QR",
                holiday_access=True,
                required_skills=frozenset({"mac", "wifi"}),
                preferred_weekday=0,
                preferred_window="AM",
            ),
            School(
                "S2", "Ysgol Y Graig", 51.4816, -3.1791, Nation.WLS, "cardiff", requires_senior=True
            ),
            School("S3", "Canterbury High", 51.2802, 1.0789, Nation.ENG, "kent"),
        ],
        technicians=[
            Technician(
                "T1", "Ada", 51.2, 0.9, Grade.SECOND_LINE, skills=frozenset({"mac", "wifi"})
            ),
            Technician(
                "T2",
                "Ben",
                51.3,
                1.0,
                Grade.APPRENTICE,
                work_days=frozenset({1, 3}),
                max_visits_per_day=2,
                max_commute_minutes=45,
            ),
            Technician("T3", "Cat", 51.5, -3.2, Grade.FIRST_LINE, work_days=frozenset()),
        ],
        contracts=[
            Contract(
                "C1",
                "S1",
                Package.SCHEDULED,
                date(2026, 9, 1),
                46,
                visits=46,
                cadence=Cadence.WEEKLY,
                window_family="3h",
            ),
            Contract(
                "C2",
                "S2",
                Package.FULL_MANAGED,
                date(2026, 9, 1),
                52,
                dedicated_technician_id="T3",
                sla_policy="premium",
            ),
            Contract(
                "C3",
                "S3",
                Package.SCHEDULED_ON_DEMAND,
                date(2026, 9, 7),
                23,
                visits=23,
                cadence=Cadence.FORTNIGHTLY,
                window_family="2h",
            ),
        ],
        term_dates=[
            TermBlock("cardiff", date(2026, 9, 1), date(2026, 10, 23)),
            TermBlock("kent", date(2026, 9, 2), date(2026, 10, 23)),
            TermBlock("kent", date(2026, 11, 2), date(2026, 12, 18)),
        ],
        closures=[
            Closure("S1", date(2026, 9, 4), date(2026, 9, 4), "INSET day"),
            Closure("S1", date(2026, 11, 20), date(2026, 11, 21)),
            Closure("S2", date(2026, 12, 1), date(2026, 12, 1), "snow day"),
        ],
        leave=[
            Leave("T1", date(2026, 10, 12), date(2026, 10, 16), "holiday"),
            Leave("T2", date(2026, 9, 14), date(2026, 9, 14)),
        ],
        history=[
            HistoryVisit("H1", "C1", date(2026, 9, 7), "AM", "T1", VisitStatus.DELIVERED),
            HistoryVisit(
                "H2", "C1", date(2026, 9, 14), "PM", "T2", VisitStatus.CANCELLED_BY_PROVIDER
            ),
            HistoryVisit("H3", "C3", date(2026, 9, 8), "LUNCH", "T-LEFT", VisitStatus.EMERGENCY),
        ],
        tickets=[
            Ticket(
                "K1",
                "S1",
                "urgent",
                opened_at=london(2026, 10, 23, 15, 45),
                responded_at=london(2026, 10, 23, 16, 10),
                resolved_at=london(2026, 10, 27, 9, 0),
                pauses=(
                    (london(2026, 10, 23, 16, 20), london(2026, 10, 26, 8, 0)),
                    (london(2026, 10, 25, 1, 30, fold=1), london(2026, 10, 25, 1, 45, fold=1)),
                ),
            ),
            Ticket("K2", "S2", "low", opened_at=london(2026, 11, 20, 14, 0)),
            Ticket("K3", "S3", "high", opened_at=london(2026, 7, 1, 8, 5, 30), emergency=True),
        ],
        travel=[
            TravelTime("S1", "S3", 31),
            TravelTime("S3", "S1", 33),
            TravelTime("T1", "S1", 12),
        ],
        windows=[*DEFAULT_WINDOWS, Window("4h", "MORNING", time(8, 0), time(12, 0))],
        sla_policies=[
            SlaPolicy(
                "premium",
                {
                    "hours": "Mon-Fri 07:30-18:00",
                    "response_hours": {"urgent": 0.5, "high": 1, "medium": 2, "low": 4},
                    "resolution_hours": {"urgent": 4, "high": 8, "medium": 24, "low": 40},
                    "target": 0.99,
                    "notes": ["extension keys survive", 3],
                },
            ),
            SlaPolicy(
                "standard",
                {
                    "hours": "Mon-Fri 08:00-16:30",
                    "response_hours": {"urgent": 1, "high": 2, "medium": 4, "low": 8},
                    "resolution_hours": {"urgent": 8, "high": 16, "medium": 40, "low": 80},
                    "target": 0.95,
                },
            ),
        ],
        settings=Settings(
            shutdown=(
                (date(2026, 12, 21), date(2027, 1, 1)),
                (date(2026, 10, 30), date(2026, 10, 30)),
            ),
            onsite_start=time(7, 45),
            onsite_end=time(17, 30),
            speed_kmh=35.5,
            detour_factor=1.25,
            max_commute_minutes=50,
            objective={"travel": 1.5, "regularity": 10.0, "continuity": 4},
            provider_name="Kent Schools IT Ltd",
        ),
    )


def small_scenario(*, contract_school: str = "X1") -> Scenario:
    return Scenario(
        schools=[School("X1", "Other School", 52.0, -1.0, Nation.NIR, "belfast")],
        technicians=[Technician("Z1", "Zed", 52.1, -1.1, Grade.FIRST_LINE)],
        contracts=[Contract("XC1", contract_school, Package.CLOUD, date(2027, 1, 4), 10)],
    )


def reversed_lists(scenario: Scenario) -> Scenario:
    lists = {
        f.name: list(reversed(getattr(scenario, f.name)))
        for f in dataclasses.fields(scenario)
        if f.name != "settings"
    }
    return dataclasses.replace(scenario, **lists)


def store(engine: Engine, scenario: Scenario) -> None:
    with session_scope(engine) as session:
        replace_scenario(session, scenario=scenario)


def load(engine: Engine) -> Scenario:
    with session_scope(engine) as session:
        return load_scenario(session)


def visit(visit_id: str, day: date, *, locked: bool = False) -> PlannedVisit:
    return PlannedVisit(
        visit_id,
        day,
        "AM",
        time(8, 30),
        time(11, 30),
        "S1",
        "C1",
        "T1",
        VisitKind.SCHEDULED,
        locked,
    )


SEPT = {"date_from": date(2026, 9, 1), "date_to": date(2026, 9, 30)}
OCT = {"date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31)}


def test_migrate_builds_the_schema_the_models_describe(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # at head already: a no-op
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == TABLES | {"alembic_version"}
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        with session_scope(engine) as session:
            assert scenario_is_empty(session)
            assert load_scenario(session) == Scenario(windows=[])
            assert load_plan(session) == []
            assert latest_plan_run(session) is None
    finally:
        engine.dispose()


def test_round_trip_returns_the_stored_scenario_in_key_order(engine: Engine) -> None:
    original = full_scenario()
    store(engine, reversed_lists(original))

    loaded = load(engine)

    assert loaded == sorted_scenario(original)
    assert [s.school_id for s in loaded.schools] == ["S1", "S2", "S3"]
    assert load(engine) == loaded
    with session_scope(engine) as session:
        assert not scenario_is_empty(session)
    moments = [t.opened_at for t in loaded.tickets] + [
        m for t in loaded.tickets for pause in t.pauses for m in pause
    ]
    assert all(m.tzinfo is LONDON for m in moments)
    second_half_past_one = loaded.tickets[0].pauses[1][0]  # the clocks went back at 02:00 BST
    assert second_half_past_one.utcoffset() == timedelta(0)
    assert second_half_past_one.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_second_replace_leaves_only_the_second_scenario(engine: Engine) -> None:
    store(engine, full_scenario())
    with session_scope(engine) as session:
        save_plan(session, visits=[visit("V1", date(2026, 9, 7))], run=PlanRunInfo("ok"), **SEPT)

    store(engine, small_scenario())

    assert load(engine) == sorted_scenario(small_scenario())
    with session_scope(engine) as session:
        assert load_plan(session) == []
        assert latest_plan_run(session) is None


def _fail_after_every_insert(*_: object) -> dict[str, object]:
    raise RuntimeError("disk full")


@pytest.mark.parametrize("failure", ["foreign_key", "exception_after_all_deletes"])
def test_failed_replace_keeps_the_previous_scenario(
    engine: Engine, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(engine, full_scenario())
    with session_scope(engine) as session:
        save_plan(session, visits=[visit("V1", date(2026, 9, 7))], run=PlanRunInfo("ok"), **SEPT)
    if failure == "foreign_key":
        bad, error = small_scenario(contract_school="NO-SUCH-SCHOOL"), IntegrityError
    else:
        monkeypatch.setattr(repository, "_settings_row", _fail_after_every_insert)
        bad, error = small_scenario(), RuntimeError

    with pytest.raises(error), session_scope(engine) as session:
        replace_scenario(session, scenario=bad)

    assert load(engine) == sorted_scenario(full_scenario())
    with session_scope(engine) as session:
        assert [v.visit_id for v in load_plan(session)] == ["V1"]


def test_save_plan_replaces_unlocked_visits_and_keeps_locked_ones(engine: Engine) -> None:
    store(engine, full_scenario())
    locked = visit("V1", date(2026, 9, 7), locked=True)
    with session_scope(engine) as session:
        first = save_plan(
            session, visits=[locked, visit("V2", date(2026, 9, 8))], run=PlanRunInfo("ok"), **SEPT
        )
        save_plan(session, visits=[visit("V3", date(2026, 10, 5))], run=PlanRunInfo("ok"), **OCT)

    info = PlanRunInfo(
        "optimal",
        objective=120.5,
        best_bound=118.0,
        gap=0.02,
        seconds=3.5,
        report={"visits_planned": 3, "unplaced": [{"contract_id": "C1", "visits": 1}]},
    )
    repeated = dataclasses.replace(locked, locked=False)  # the planner echoes it, flag or not
    new = visit("V4", date(2026, 9, 9))
    moved = visit("V3", date(2026, 9, 10))  # from October into the re-planned range
    with session_scope(engine) as session:
        second = save_plan(session, visits=[repeated, new, moved], run=info, **SEPT)

    assert second > first
    with session_scope(engine) as session:
        assert load_plan(session) == [locked, new, moved]
        assert load_plan(session, date_from=date(2026, 9, 8), date_to=date(2026, 9, 9)) == [new]
        assert load_plan(session, date_from=date(2026, 9, 10)) == [moved]
        run = latest_plan_run(session)
    assert run is not None
    assert (run.id, run.date_from, run.date_to, run.info) == (second, *SEPT.values(), info)
    assert run.created_at.tzinfo is LONDON


def test_save_plan_refuses_to_move_a_locked_visit_or_leave_its_range(engine: Engine) -> None:
    store(engine, full_scenario())
    with session_scope(engine) as session:
        save_plan(
            session,
            visits=[visit("V1", date(2026, 9, 7), locked=True)],
            run=PlanRunInfo("ok"),
            **SEPT,
        )

    for visits in ([visit("V1", date(2026, 9, 8))], [visit("V9", date(2026, 10, 1))]):
        with pytest.raises(ValueError), session_scope(engine) as session:
            save_plan(session, visits=visits, run=PlanRunInfo("ok"), **SEPT)

    with session_scope(engine) as session:
        assert load_plan(session) == [visit("V1", date(2026, 9, 7), locked=True)]
        assert latest_plan_run(session) is not None


def test_resolve_db_url_prefers_flag_then_environment_then_embedded_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SCHEDULER_DB_URL", raising=False)
    assert resolve_db_url(None) == f"sqlite:///{DEFAULT_DB_PATH}"
    assert resolve_db_url(None).startswith("sqlite:////")
    monkeypatch.setenv("SCHEDULER_DB_URL", "postgresql+psycopg://app@db/scheduler")
    assert resolve_db_url(None) == "postgresql+psycopg://app@db/scheduler"
    assert resolve_db_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_sqlite_engine_creates_its_folder_and_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'folder' / 'scheduler.db'}")
    try:
        migrate(engine)
        assert (tmp_path / "new" / "folder" / "scheduler.db").is_file()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    finally:
        engine.dispose()
