"""`scheduler weekly` end to end: real solver, real SQLite and PostgreSQL, real calendars.

The weeks tested (Mon 19 Oct to Sun 8 Nov 2026) straddle the end of British
Summer Time, so calendar times are checked on both sides of a clock change.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy.engine import Engine

from scheduler.cli import main
from scheduler.domain import LONDON, PlannedVisit, VisitKind
from scheduler.scenario import read_scenario
from scheduler.services import weekly as weekly_service
from scheduler.services.dataset import open_database
from scheduler.services.planning import PlanOutcome, plan_stored
from scheduler.services.weekly import (
    calendar_sequence,
    last_week_sla,
    roster_diff,
    run_lock,
    version_state,
    week_range,
)
from scheduler.store.db import session_scope
from scheduler.store.models import ClosureRow, LeaveRow, PlannedVisitRow
from scheduler.store.versions import (
    PublishedVisit,
    latest_version,
    lock_holder,
    release_lock,
    try_lock,
    version_visits,
)
from tests.support import EXAMPLE, ROOT

WEEK_OF, WEEKS = "2026-10-21", "3"
FIRST, LAST = date(2026, 10, 19), date(2026, 11, 8)
TIME_LIMIT = "4"
OTHER_WINDOW = {"AM": ("PM", "12:30", "15:30"), "PM": ("AM", "08:30", "11:30")}


def weekly(db_url: str, out: Path, *extra: str) -> int:
    return main(["weekly", "--week-of", WEEK_OF, "--weeks", WEEKS, "--db", db_url,
                 "--out", str(out), "--time-limit", TIME_LIMIT, "--seed", "1", *extra])  # fmt: skip


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def publication(data: dict) -> tuple[bool, int | None, bool]:
    return data["published"], data["version"], data["replanned"]


def roster_rows(out: Path) -> list[dict[str, str]]:
    with (out / "roster.csv").open() as handle:
        return list(csv.DictReader(handle))


def events(path: Path) -> dict[str, dict]:
    """VEVENTs of an ICS file by UID, parsed back with icalendar."""
    calendar = Calendar.from_ical(path.read_bytes())
    assert str(calendar["METHOD"]) == "PUBLISH"
    return {
        str(e["UID"]): {
            "start": e.decoded("DTSTART"),
            "end": e.decoded("DTEND"),
            "sequence": int(e["SEQUENCE"]),
            "status": str(e["STATUS"]),
            "summary": str(e["SUMMARY"]),
            "location": str(e.get("LOCATION", "")),
            "geo": e.get("GEO"),
        }
        for e in calendar.walk("VEVENT")
    }


def uid(visit_id: str) -> str:
    return f"{visit_id}@school-visit-planner"


@pytest.fixture
def book(db_url: str) -> str:
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    return db_url


# --- end to end ---------------------------------------------------------------------------


def test_runs_publish_once_and_calendars_follow_moves_and_cancellations(
    book: str, tmp_path: Path
) -> None:
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    assert weekly(book, first, "--publish") == 0
    assert weekly(book, second, "--publish") == 0
    one, again = summary(first), summary(second)
    assert publication(one) == (True, 1, True)
    assert publication(again) == (False, 1, False)  # nothing changed: not even re-planned
    _add_leave_after_the_weeks(book)
    assert weekly(book, tmp_path / "replanned", "--publish") == 0
    assert publication(summary(tmp_path / "replanned")) == (False, 1, True)  # same roster
    for key in ("visits", "changes", "unplaced", "at_risk", "status", "best_bound", "gap"):
        assert key in again
    assert one["visits"] == len(roster_rows(first)) > 0
    assert roster_rows(first) == roster_rows(second)
    assert (first / "unplaced.csv").read_text() == (second / "unplaced.csv").read_text()
    with session_scope(open_database(book)) as session:
        assert latest_version(session).version == 1
    markdown = (first / "summary.md").read_text()
    for heading in ("Visits planned", "Changes", "Unplaced", "at risk", "SLA", "Solve"):
        assert heading in markdown

    rows = roster_rows(first)
    _check_calendar_times_and_uids(first, rows)
    moved, closed_school = _move_one_visit_and_close_a_school(book, rows)

    assert weekly(book, third, "--publish") == 0
    three = summary(third)
    assert publication(three) == (True, 2, True)
    assert three["changes"]["moved"] >= 1 and three["changes"]["cancelled"] >= 1
    after = events(third / "calendars" / f"technician-{moved['technician_id']}.ics")
    before = events(first / "calendars" / f"technician-{moved['technician_id']}.ics")
    event = after[uid(moved["visit_id"])]
    new_window = OTHER_WINDOW[moved["window"]]
    assert event["start"].strftime("%H:%M") == new_window[1]
    assert event["status"] == "CONFIRMED"
    assert event["sequence"] == before[uid(moved["visit_id"])]["sequence"] + 1
    cancelled = [r for r in rows if r["school_id"] == closed_school]
    school_events = events(third / "calendars" / f"school-{closed_school}.ics")
    for row in cancelled:
        gone = school_events[uid(row["visit_id"])]
        assert gone["status"] == "CANCELLED" and gone["sequence"] >= 1
    assert closed_school not in {r["school_id"] for r in roster_rows(third)}
    with session_scope(open_database(book)) as session:
        v1 = version_visits(session, version=1)
    assert {p.visit.visit_id for p in v1} == {r["visit_id"] for r in rows}


def _check_calendar_times_and_uids(out: Path, rows: list[dict[str, str]]) -> None:
    """Every roster row is an event in its technician's and its school's calendar, at the
    roster's wall-clock times in Europe/London (BST before 25 Oct, GMT after)."""
    for row in rows:
        for name in (f"technician-{row['technician_id']}", f"school-{row['school_id']}"):
            event = events(out / "calendars" / f"{name}.ics")[uid(row["visit_id"])]
            day = date.fromisoformat(row["date"])
            assert event["start"] == datetime.combine(
                day, datetime.strptime(row["start"], "%H:%M").time(), LONDON
            )
            assert event["end"].strftime("%H:%M") == row["end"]
            summer = day < date(2026, 10, 25)
            assert event["start"].utcoffset() == timedelta(hours=1 if summer else 0)
            assert event["status"] == "CONFIRMED" and event["sequence"] == 0
            assert event["geo"] is not None and event["location"]
    assert any(date.fromisoformat(r["date"]) >= date(2026, 10, 26) for r in rows)
    school = events(out / "calendars" / f"school-{rows[0]['school_id']}.ics")
    assert all("(" in e["summary"] for e in school.values())  # names the technician


def _add_leave_after_the_weeks(db_url: str) -> None:
    """A change to the book that cannot touch these weeks: re-planned, the same roster."""
    leave = LeaveRow(technician_id="T001", first_day=date(2027, 3, 1), last_day=date(2027, 3, 2))
    with session_scope(open_database(db_url)) as session:
        session.add(leave)


def _move_one_visit_and_close_a_school(
    db_url: str, rows: list[dict[str, str]]
) -> tuple[dict[str, str], str]:
    """A dispatcher's edits between runs: one visit locked into its other window (its
    technician's only visit that day, so nothing else must give way), and another school
    closed for all three weeks."""
    per_day = Counter((r["technician_id"], r["date"]) for r in rows)
    moved = next(
        r
        for r in rows
        if r["kind"] in ("scheduled", "make_up")
        and r["window"] in OTHER_WINDOW
        and per_day[(r["technician_id"], r["date"])] == 1
    )
    closed = next(r["school_id"] for r in rows if r["school_id"] != moved["school_id"])
    window, start, end = OTHER_WINDOW[moved["window"]]
    with session_scope(open_database(db_url)) as session:
        row = session.get(PlannedVisitRow, moved["visit_id"])
        row.window = window
        row.start = datetime.strptime(start, "%H:%M").time()
        row.end = datetime.strptime(end, "%H:%M").time()
        row.locked = True
        session.add(ClosureRow(school_id=closed, first_day=FIRST, last_day=LAST, reason="works"))
    return moved, closed


def _published_then_changed(book: str, tmp_path: Path) -> tuple[Engine, list[PublishedVisit]]:
    """Version 1 published, then a school closed, so the next run has something to publish."""
    assert weekly(book, tmp_path / "first", "--publish") == 0
    engine = open_database(book)
    with session_scope(engine) as session:
        published = version_visits(session, version=1)
        school = published[0].visit.school_id
        session.add(ClosureRow(school_id=school, first_day=FIRST, last_day=LAST, reason="works"))
    return engine, published


@contextmanager
def _mid_solve(book: str, out: Path, *extra: str) -> Iterator[subprocess.Popen[str]]:
    """A publishing run in its own process, handed over once it is solving; killed after."""
    command = [sys.executable, "-m", "scheduler.cli", "weekly", "--week-of", WEEK_OF,
               "--weeks", WEEKS, "--db", book, "--out", str(out), "--publish",
               "--time-limit", "120", *extra]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "solving" in line:
                break
        time.sleep(1.0)
        assert proc.poll() is None, "the run ended before it could be signalled mid-solve"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_run_killed_mid_solve_leaves_the_published_version_and_its_lock_expires(
    book: str, tmp_path: Path
) -> None:
    engine, published = _published_then_changed(book, tmp_path)
    with _mid_solve(book, tmp_path / "killed", "--lock-expiry", "8") as proc:
        os.kill(proc.pid, signal.SIGKILL)

    with session_scope(engine) as session:
        assert latest_version(session).version == 1
        assert version_visits(session, version=1) == published
        lock = lock_holder(session, name="weekly")
    assert lock is not None, "a killed run cannot release its lock"
    assert not (tmp_path / "killed" / "summary.json").exists()
    assert weekly(book, tmp_path / "refused", "--publish") == 3

    time.sleep(max(0.0, (lock.expires_at - datetime.now(UTC)).total_seconds()) + 0.5)
    assert weekly(book, tmp_path / "later", "--publish") == 0
    assert publication(summary(tmp_path / "later")) == (True, 2, True)
    with session_scope(engine) as session:
        assert version_visits(session, version=1) == published
        assert lock_holder(session, name="weekly") is None


def test_a_run_stopped_by_sigterm_publishes_nothing_and_releases_its_lock(
    book: str, tmp_path: Path
) -> None:
    """systemd's stop (or a shutdown) must not leave the next Friday's run locked out."""
    engine, published = _published_then_changed(book, tmp_path)
    with _mid_solve(book, tmp_path / "stopped") as proc:
        proc.send_signal(signal.SIGTERM)
        assert proc.stderr is not None
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 1

    assert "stopped by SIGTERM; nothing was published and the lock is released" in rest
    with session_scope(engine) as session:
        assert latest_version(session).version == 1
        assert version_visits(session, version=1) == published
        assert lock_holder(session, name="weekly") is None
    assert not (tmp_path / "stopped" / "summary.json").exists()
    assert weekly(book, tmp_path / "next", "--publish") == 0


def test_a_second_run_is_refused_while_the_lock_is_held(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_database(db_url)
    with run_lock(engine, expiry=timedelta(minutes=5)) as holder:
        assert weekly(db_url, tmp_path / "out", "--publish") == 3
        assert f"refused: another weekly run ({holder}) holds the lock" in caplog.text
        with session_scope(engine) as session:
            assert lock_holder(session, name="weekly").holder == holder
            assert latest_version(session) is None
    assert not (tmp_path / "out").exists()
    with session_scope(engine) as session:
        assert lock_holder(session, name="weekly") is None


def test_an_expired_lock_is_taken_over_and_only_its_holder_releases_it(db_url: str) -> None:
    engine = open_database(db_url)
    t0 = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)

    def take(holder: str, now: datetime) -> bool:
        with session_scope(engine) as session:
            return try_lock(session, name="weekly", holder=holder, now=now, expires_at=now + minute)

    assert take("first", t0)
    assert not take("second", t0 + minute / 2)
    assert take("second", t0 + minute * 2)
    with session_scope(engine) as session:
        release_lock(session, name="weekly", holder="first")
        assert lock_holder(session, name="weekly").holder == "second"


def test_a_plan_the_solver_does_not_stand_by_is_not_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    assert main(["import", str(EXAMPLE), "--db", url]) == 0

    def unproven(*args: object, **kwargs: object) -> PlanOutcome:
        outcome = plan_stored(*args, **kwargs)
        outcome.result = dataclasses.replace(outcome.result, status="UNKNOWN")
        return outcome

    monkeypatch.setattr(weekly_service, "plan_stored", unproven)
    assert weekly(url, tmp_path / "out", "--publish") == 1
    with session_scope(open_database(url)) as session:
        assert latest_version(session) is None
    assert not (tmp_path / "out").exists()


def test_an_empty_database_is_bad_input_and_releases_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert weekly(url, tmp_path / "out") == 2
    assert weekly(url, tmp_path / "out") == 2  # not 3: the refused run let go of the lock


def test_an_unreachable_database_exits_1(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=2"
    assert weekly(url, tmp_path / "out") == 1


@pytest.mark.parametrize(
    "arguments",
    [
        ["--week-of", "2026-13-01"],
        ["--week-of", "next friday"],
        ["--week-of", "2026-10-21", "--weeks", "0"],
        ["--week-of", "2026-10-21", "--weeks", "two"],
        ["--week-of", "2026-10-21", "--time-limit", "0"],
        ["--weeks", "2"],
    ],
)
def test_bad_arguments_exit_2(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["weekly", *arguments])
    assert exit_.value.code == 2


# --- the rules ----------------------------------------------------------------------------


def _visit(visit_id: str, day: date, window: str = "AM", technician: str = "T1") -> PlannedVisit:
    start, end = (8, 30), (11, 30)
    if window == "PM":
        start, end = (12, 30), (15, 30)
    return PlannedVisit(
        visit_id=visit_id,
        date=day,
        window=window,
        start=datetime(2026, 1, 1, *start).time(),
        end=datetime(2026, 1, 1, *end).time(),
        school_id="S1",
        contract_id="C1",
        technician_id=technician,
        kind=VisitKind.SCHEDULED,
    )


def test_week_range_starts_on_the_monday() -> None:
    assert week_range(date(2026, 10, 21), 3) == (FIRST, LAST)
    assert week_range(date(2026, 10, 19), 1) == (FIRST, date(2026, 10, 25))


def test_diff_names_each_kind_of_change() -> None:
    day = date(2026, 10, 19)
    before = [PublishedVisit(_visit(n, day)) for n in ("keep", "move", "hand", "drop")]
    before.append(PublishedVisit(_visit("gone", day), cancelled=True))
    plan = [_visit("keep", day), _visit("move", day, "PM"), _visit("hand", day, technician="T2"),
            _visit("new", day + timedelta(days=1))]  # fmt: skip
    state = version_state(plan, before)
    assert {p.visit.visit_id for p in state if p.cancelled} == {"drop", "gone"}
    diff = roster_diff(before, state, against=1)
    assert [v.visit_id for v in diff.added] == ["new"]
    assert [v.visit_id for v in diff.cancelled] == ["drop"]
    assert [a.visit_id for _, a in diff.moved] == ["move"]
    assert [a.visit_id for _, a in diff.reassigned] == ["hand"]
    assert diff.counts()["total"] == 4
    assert set(version_state(plan, state)) == set(state)  # nothing new: nothing to publish


def test_sequence_counts_only_changes_a_calendar_shows() -> None:
    day = date(2026, 10, 19)
    am, pm = PublishedVisit(_visit("v", day)), PublishedVisit(_visit("v", day, "PM"))
    relabelled = PublishedVisit(dataclasses.replace(am.visit, kind=VisitKind.MAKE_UP))
    assert calendar_sequence([am]) == 0
    assert calendar_sequence([am, am, relabelled]) == 0
    assert calendar_sequence([am, pm, pm]) == 1
    assert calendar_sequence([am, pm, PublishedVisit(pm.visit, cancelled=True)]) == 2


def test_last_weeks_sla_counts_the_tickets_opened_that_week() -> None:
    scenario, _ = read_scenario(EXAMPLE)
    week = last_week_sla(scenario, date(2026, 11, 30))
    assert (week.first_day, week.last_day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week.lines and {line.policy for line in week.lines} == {"standard"}
    quiet = last_week_sla(scenario, date(2026, 10, 19))
    assert quiet.lines == [] and "no tickets" in quiet.note


def test_the_command_gives_back_the_callers_signal_handlers(book: str, tmp_path: Path) -> None:
    """Run in-process (tests, other Python), the stop handlers must not outlive the run."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    assert weekly(book, tmp_path / "out") == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before
