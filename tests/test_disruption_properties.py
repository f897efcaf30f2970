"""Random disruptions on generated books keep the re-planning promises: locked visits never
move, no hard rule breaks, nothing fixed moves (days up to the book's last history record, and
before an explicit `as_of`), at most 5 visits move that were not displaced, and no bought visit
is lost (bought = consumed + planned + owed, every new owed one named)."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from scheduler.contracts import bought, consumed, without_mirrored_history
from scheduler.domain import PlannedVisit, Scenario, VisitKind
from scheduler.errors import InputError
from scheduler.services import disruption, visits
from scheduler.services.balances import RecordIndex, counts_as_planned
from scheduler.services.validate import validate_roster
from tests.test_disruption import (
    PARAMS,
    book_of,
    plan_of,
    planned_demo,
    seeded,
    snapshot,
)

SEEDS = (1, 2)
KINDS = ("absence", "absence_week", "closure", "cancel_school", "cancel_provider", "emergency")


def _balance(scenario: Scenario, roster: list[PlannedVisit]) -> Counter[str]:
    """bought - consumed - planned per scheduled contract: what is owed, unclipped."""
    records = RecordIndex.of(scenario.history)
    planned = Counter(v.contract_id for v in roster if counts_as_planned(v, records))
    return Counter(
        {
            c.contract_id: bought(c) - consumed(c, scenario.history) - planned[c.contract_id]
            for c in scenario.contracts
            if c.is_scheduled
        }
    )


def _disrupt(
    engine: Engine, kind: str, visit: PlannedVisit, hour: int, explicit: bool
) -> tuple[visits.Diff, date]:
    """Apply one disruption around `visit`; returns the diff and the first day it may touch:
    the day after the book's last history record, or the day given as `as_of` (absence and
    closure with `explicit`) or implied by the change (a cancelled visit's, a callout's)."""
    day = visit.date
    recorded = disruption.fixed_until(visits.load_book(engine))
    floor = date.min if recorded is None else recorded + timedelta(days=1)
    as_of = day if explicit else None
    if kind in ("absence", "absence_week"):
        last = day + timedelta(days=4) if kind == "absence_week" else None
        diff = disruption.absence(
            engine, visit.technician_id, day, last, as_of=as_of, params=PARAMS, apply=True
        )
        return diff, max(floor, as_of or floor)
    if kind == "closure":
        diff = disruption.closure(
            engine, visit.school_id, day, as_of=as_of, params=PARAMS, apply=True
        )
        return diff, max(floor, as_of or floor)
    if kind in ("cancel_school", "cancel_provider"):
        by = "school" if kind == "cancel_school" else "provider"
        diff = disruption.cancel(engine, visit.visit_id, by=by, params=PARAMS, apply=True)
        return diff, max(floor, day)
    at = datetime(day.year, day.month, day.day, hour, 10)
    diff = disruption.emergency(engine, visit.school_id, at, "urgent", params=PARAMS, apply=True)
    return diff, max(floor, day)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    seed=st.sampled_from(SEEDS),
    kind=st.sampled_from(KINDS),
    pick=st.integers(0, 10_000),
    hour=st.integers(8, 15),
    lock=st.integers(0, 10_000),
    explicit=st.booleans(),
)
def test_random_disruptions_keep_the_replanning_promises(
    seed: int, kind: str, pick: int, hour: int, lock: int, explicit: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = seeded(f"sqlite:///{Path(folder) / 'scheduler.db'}", planned_demo(seed))
        roster = plan_of(engine)
        early = [v for v in roster if v.kind is VisitKind.SCHEDULED and v.date < date(2026, 12, 5)]
        pinned = roster[lock % len(roster)]
        visits.lock(engine, pinned.visit_id, apply=True)
        pinned = next(v for v in plan_of(engine) if v.visit_id == pinned.visit_id)
        before_state = snapshot(engine)
        before_plan, before_book = plan_of(engine), book_of(engine)
        try:
            diff, as_of = _disrupt(engine, kind, early[pick % len(early)], hour, explicit)
        except InputError:
            assert snapshot(engine) == before_state, "a refused change changes nothing"
            return
        after_plan, after_book = plan_of(engine), book_of(engine)

        assert pinned in after_plan, "locked visits never move"
        checked = without_mirrored_history(after_book, after_plan)
        assert validate_roster(checked, after_plan).violations == []
        assert {v for v in before_plan if v.date < as_of} == {
            v for v in after_plan if v.date < as_of
        }
        assert len(diff.not_displaced) <= disruption.MAX_NOT_DISPLACED_MOVES

        owed_before, owed_after = (
            _balance(before_book, before_plan),
            _balance(after_book, after_plan),
        )
        named = Counter({u.contract_id: u.visits for u in diff.unplaced})
        used_owed = Counter(
            h.contract_id
            for h in diff.history
            if kind == "emergency" and not diff.of_kind(visits.ChangeKind.DROPPED)
        )
        for contract_id, owed in owed_after.items():
            change = owed - owed_before[contract_id]
            assert change == named[contract_id] - used_owed[contract_id], contract_id


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    what=st.sampled_from(("technician", "period", "holiday", "lock", "school")),
    junk=st.text("ABCXYZ0123-", min_size=1, max_size=8),
    year=st.sampled_from((2019, 2024, 2030)),
)
def test_bad_input_is_refused_and_changes_nothing(what: str, junk: str, year: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = seeded(f"sqlite:///{Path(folder) / 'scheduler.db'}")
        visit = next(v for v in plan_of(engine) if v.kind is VisitKind.SCHEDULED)
        before = snapshot(engine)
        out_of_period = date(year, 3, 3)
        calls = {
            "technician": lambda: disruption.absence(engine, f"NO-{junk}", visit.date, apply=True),
            "period": lambda: disruption.absence(
                engine, visit.technician_id, out_of_period, apply=True
            ),
            "holiday": lambda: visits.move(
                engine, visit.visit_id, to_date=date(2026, 12, 25), apply=True
            ),
            "lock": lambda: visits.lock(engine, f"V-{junk}", apply=True),
            "school": lambda: disruption.closure(engine, f"NO-{junk}", visit.date, apply=True),
        }
        try:
            calls[what]()
        except InputError as error:
            assert error.problems
        else:
            raise AssertionError(f"{what} was not refused")
        assert snapshot(engine) == before
