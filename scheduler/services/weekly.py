"""The weekly batch run: re-plan the coming weeks, publish them, and say what could not be done.

Cron runs it with nobody watching, so every step is safe to repeat or to kill:
- the run lock is a database row, so two runs on two machines cannot overlap;
- the working plan is saved in its own transaction (by `plan_stored`), and a
  published version is written in one transaction at the very end, so a run
  killed anywhere leaves the last published roster exactly as it was sent;
- a run whose plan for the weeks matches the latest version publishes nothing,
  so re-running after a failure or by hand never bumps the version or makes
  calendar apps re-sync for nothing;
- a run that finds the book and the plan exactly as the latest version of the
  same weeks left them does not re-plan at all: a solver given more time may
  always shuffle a visit or two for a marginal gain, and a published roster
  should change only because something in the world did.

A version holds every visit of its weeks, plus (as `cancelled`) each visit the
version before it had sent for those weeks that the plan no longer has, so
calendars can be told to drop it.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from scheduler.domain import LONDON, PlannedVisit, Scenario, VisitKind
from scheduler.errors import InputError
from scheduler.services import audit
from scheduler.services.balances import balances
from scheduler.services.calendars import calendar_files
from scheduler.services.planning import PlanOutcome, Unplaced, plan_stored
from scheduler.services.sla_report import compliance
from scheduler.services.validate import write_roster_csv
from scheduler.store.db import session_scope
from scheduler.store.repository import load_plan, load_scenario
from scheduler.store.versions import (
    PublishedVisit,
    RosterVersion,
    RunLock,
    latest_version,
    lock_holder,
    release_lock,
    save_version,
    try_lock,
    version_visits,
    visit_histories,
)
from solver.params import Progress, SolveParams

log = logging.getLogger("scheduler.weekly")

LOCK_NAME = "weekly"
LOCK_GRACE = timedelta(minutes=15)
"""How long past its time limit a run's lock is honoured before another run may take it over."""
PUBLISHABLE_STATUSES = frozenset({"OPTIMAL", "FEASIBLE"})
UNPLACED_COLUMNS = ("contract_id", "school_id", "visits", "reason")
CHANGES_LISTED = 50
"""Changes listed one by one in summary.md; the rest are counted (summary.json has counts)."""


class LockHeld(Exception):
    """Another run holds the lock: this one did nothing."""

    def __init__(self, lock: RunLock | None) -> None:
        self.lock = lock
        if lock is None:  # released between our INSERT and the look-up: still not our turn
            super().__init__("another weekly run holds the lock")
            return
        super().__init__(
            f"another weekly run ({lock.holder}) holds the lock since {_local(lock.acquired_at)}; "
            f"it may be taken over after {_local(lock.expires_at)}"
        )


class WeeklyFailed(Exception):
    """The plan could not be used (solver failure or a broken hard rule): nothing published."""

    def __init__(self, message: str, outcome: PlanOutcome) -> None:
        self.outcome = outcome
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class WeeklyRequest:
    week_of: date
    """Any day of the first week: the run starts on its Monday."""
    weeks: int
    publish: bool
    params: SolveParams


@dataclass(frozen=True, slots=True)
class AtRisk:
    contract_id: str
    school_id: str
    owed: int
    reason: str


@dataclass(frozen=True, slots=True)
class SlaLine:
    policy: str
    measure: str
    tickets: int
    met: int
    share: float
    target: float


@dataclass(frozen=True, slots=True)
class SlaWeek:
    first_day: date
    last_day: date
    lines: list[SlaLine]
    note: str = ""
    """Why there are no lines (no tickets, or the tickets could not be timed)."""


@dataclass(frozen=True, slots=True)
class RosterDiff:
    """What changed for these weeks between two versions, by visit."""

    against: int | None
    """The version compared with; None when there was none (everything is added)."""
    added: list[PlannedVisit]
    cancelled: list[PlannedVisit]
    moved: list[tuple[PlannedVisit, PlannedVisit]]
    """(before, after): another day, window or time."""
    reassigned: list[tuple[PlannedVisit, PlannedVisit]]
    """(before, after): another technician."""
    relabelled: list[tuple[PlannedVisit, PlannedVisit]]
    """(before, after): another kind only (e.g. scheduled → make_up); calendars show no change."""

    def counts(self) -> dict[str, int]:
        changed = {v.visit_id for v in [*self.added, *self.cancelled]} | {
            after.visit_id for _, after in [*self.moved, *self.reassigned, *self.relabelled]
        }
        return {
            "added": len(self.added),
            "cancelled": len(self.cancelled),
            "moved": len(self.moved),
            "reassigned": len(self.reassigned),
            "relabelled": len(self.relabelled),
            "total": len(changed),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "against": self.against,
            "added": [audit.as_json(v) for v in self.added],
            "cancelled": [audit.as_json(v) for v in self.cancelled],
            **{
                name: [{"before": audit.as_json(b), "after": audit.as_json(a)} for b, a in pairs]
                for name, pairs in (
                    ("moved", self.moved),
                    ("reassigned", self.reassigned),
                    ("relabelled", self.relabelled),
                )
            },
        }


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What the planner said about the weeks: from this run's solve, or, when nothing changed,
    as the run that published the current version recorded it."""

    status: str
    objective: int
    best_bound: float
    gap: float
    seconds: float
    unplaced: list[Unplaced]
    deferred: dict[str, int]
    """Owed visits left for after the weeks, per contract (pro-rata pacing, not a failure)."""
    warnings: list[str]
    solved: bool
    """False when the run kept the current version without solving."""

    @classmethod
    def of(cls, outcome: PlanOutcome) -> PlanFacts:
        result = outcome.result
        return cls(
            status=result.status,
            objective=outcome.validation.objective,
            best_bound=result.best_bound,
            gap=result.gap,
            seconds=round(result.seconds, 3),
            unplaced=list(outcome.unplaced),
            deferred=dict(outcome.deferred),
            warnings=list(outcome.warnings),
            solved=True,
        )

    @classmethod
    def recorded(cls, summary: Mapping[str, Any]) -> PlanFacts:
        return cls(
            status=summary["status"],
            objective=summary["objective"],
            best_bound=summary["best_bound"],
            gap=summary["gap"],
            seconds=summary["solve_seconds"],
            unplaced=[Unplaced(**u) for u in summary["unplaced"]],
            deferred=summary["deferred_beyond_weeks"],
            warnings=summary["warnings"],
            solved=False,
        )


@dataclass(slots=True)
class WeeklyReport:
    """Everything the outputs are written from: one run's plan, version and findings."""

    request: WeeklyRequest
    date_from: date
    date_to: date
    scenario: Scenario
    facts: PlanFacts
    inputs: str
    """`inputs_fingerprint` of the book and plan the outputs come from."""
    roster: list[PlannedVisit]
    """The plan's visits in the weeks: roster.csv."""
    state: list[PublishedVisit]
    """What a version of these weeks holds: the roster plus cancellations."""
    baseline: list[PublishedVisit]
    """The version before the one that holds `state`, in the weeks: what changed is against it."""
    diff: RosterDiff
    sequences: dict[str, int]
    published: bool
    """True when this run wrote a new version."""
    version: RosterVersion | None
    """The current published version, whether this run wrote it or found it unchanged."""
    matches_version: bool
    """The plan for the weeks is what `version` holds."""
    stamp: datetime
    """When this state was published (or, if it was not, computed): the calendars' DTSTAMP."""
    at_risk: list[AtRisk]
    sla: SlaWeek


# --- the rules ----------------------------------------------------------------------------


def week_range(week_of: date, weeks: int) -> tuple[date, date]:
    """Monday of the week holding `week_of` to the Sunday `weeks` weeks later, inclusive."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    monday = week_of - timedelta(days=week_of.weekday())
    return monday, monday + timedelta(days=7 * weeks - 1)


def publishable(outcome: PlanOutcome) -> str | None:
    """Why a plan must not be published, or None: only a validated plan the solver stands by."""
    if outcome.validation.violations:
        return f"the plan broke {len(outcome.validation.violations)} hard rule(s) and was not saved"
    if outcome.result.status not in PUBLISHABLE_STATUSES:
        return f"the solver ended with status {outcome.result.status}"
    return None


def inputs_fingerprint(
    scenario: Scenario, plan: Sequence[PlannedVisit], date_from: date, date_to: date
) -> str:
    """A digest of everything a re-plan of the weeks depends on: the whole book, the whole
    working plan (locks included) and the weeks. Canonical JSON, so sets hash the same in
    every process."""
    canonical = json.dumps(
        audit.as_json([date_from, date_to, scenario, plan]), sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def unchanged_since(version: RosterVersion, inputs: str) -> bool:
    """Nothing to re-plan: the book, the plan and the weeks are as this version left them."""
    return version.summary.get("inputs") == inputs


def version_state(
    roster: Sequence[PlannedVisit], latest: Sequence[PublishedVisit]
) -> list[PublishedVisit]:
    """The rows a version of these weeks holds: every planned visit, and each visit the latest
    version holds for the weeks that the plan no longer has, as cancelled (again, if it
    already was), so calendars keep hearing about it while its day is in view."""
    planned = {v.visit_id for v in roster}
    rows = [PublishedVisit(dataclasses.replace(v, locked=False)) for v in roster]
    rows += [
        PublishedVisit(p.visit, cancelled=True) for p in latest if p.visit.visit_id not in planned
    ]
    return sorted(rows, key=_roster_order)


def roster_diff(
    before: Sequence[PublishedVisit], after: Sequence[PublishedVisit], against: int | None
) -> RosterDiff:
    """Visit by visit, by visit_id: a visit keeps its id when it moves or changes hands."""
    old = {p.visit.visit_id: p.visit for p in before if not p.cancelled}
    new = {p.visit.visit_id: p.visit for p in after if not p.cancelled}
    both = sorted(old.keys() & new.keys())
    return RosterDiff(
        against=against,
        added=[new[i] for i in sorted(new.keys() - old.keys())],
        cancelled=[old[i] for i in sorted(old.keys() - new.keys())],
        moved=[(old[i], new[i]) for i in both if _slot(old[i]) != _slot(new[i])],
        reassigned=[(old[i], new[i]) for i in both if old[i].technician_id != new[i].technician_id],
        relabelled=[(old[i], new[i]) for i in both if old[i].kind is not new[i].kind],
    )


def calendar_sequence(states: Sequence[PublishedVisit]) -> int:
    """RFC 5545 SEQUENCE of a visit's event: how often what a calendar shows of it (day,
    time, technician, cancelled) changed from one published state to the next, so it
    only rises, and rises exactly when calendar apps must update the event."""
    return sum(1 for a, b in pairwise(states) if _shown(a) != _shown(b))


def contracts_at_risk(
    scenario: Scenario, plan: Sequence[PlannedVisit], as_of: date
) -> list[AtRisk]:
    """The balances' verdicts: owed visits that no longer fit (`at_risk`) or falling behind
    the even pace (`behind_pace`), so the Monday summary warns while there is time to act."""
    frame = balances(scenario, plan, as_of)
    risky = frame[frame["at_risk"].astype(bool) | frame["behind_pace"].astype(bool)]
    return [
        AtRisk(str(r.contract_id), str(r.school_id), int(r.owed), str(r.reason))
        for r in risky.itertuples(index=False)
    ]


def last_week_sla(scenario: Scenario, monday: date) -> SlaWeek:
    """Compliance of the tickets opened in the week before `monday`, judged at its midnight.

    A report section, not the run's purpose: tickets that cannot be timed leave a note
    here rather than failing a run that planned and published correctly.
    """
    first, last = monday - timedelta(days=7), monday - timedelta(days=1)
    tickets = [
        t for t in scenario.tickets if first <= t.opened_at.astimezone(LONDON).date() <= last
    ]
    if not tickets:
        return SlaWeek(first, last, [], "no tickets were opened")
    week = dataclasses.replace(scenario, tickets=tickets)
    try:
        frame = compliance(week, datetime.combine(monday, time(), LONDON), by=())
    except InputError as error:
        return SlaWeek(first, last, [], f"not available: {error}")
    lines = [
        SlaLine(r.policy, r.measure, int(r.tickets), int(r.met), float(r.share), float(r.target))
        for r in frame.itertuples(index=False)
    ]
    return SlaWeek(first, last, lines, "" if lines else "no ticket was decided yet")


# --- the run lock -------------------------------------------------------------------------


def lock_expiry(time_limit: float) -> timedelta:
    """A run is bounded by its time limit, so a lock older than that plus a grace is dead."""
    return timedelta(seconds=time_limit) + LOCK_GRACE


@contextmanager
def run_lock(engine: Engine, *, expiry: timedelta, name: str = LOCK_NAME) -> Iterator[str]:
    """Hold the database run lock for the block; raise LockHeld if another run has it.

    Taken in its own committed transaction, so other runs see it at once; released
    by its holder only. A killed run cannot release it: it expires instead.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        taken = try_lock(session, name=name, holder=holder, now=now, expires_at=now + expiry)
        current = None if taken else lock_holder(session, name=name)
    if not taken:
        raise LockHeld(current)
    log.info("took the run lock as %s until %s", holder, _local(now + expiry))
    try:
        yield holder
    finally:
        try:
            with session_scope(engine) as session:
                release_lock(session, name=name, holder=holder)
        except SQLAlchemyError as error:
            log.warning("could not release the run lock (it expires by itself): %s", error)


# --- the run ------------------------------------------------------------------------------


def run_weekly(
    engine: Engine,
    request: WeeklyRequest,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> WeeklyReport:
    """Re-plan the weeks against the stored book and plan, then publish if asked and changed.

    Raises WeeklyFailed (nothing published) when the plan cannot be used, and
    InputError when the database holds no scenario. Take `run_lock` first.
    """
    date_from, date_to = week_range(request.week_of, request.weeks)
    with session_scope(engine) as session:
        scenario, plan, latest = load_scenario(session), load_plan(session), latest_version(session)
    inputs = inputs_fingerprint(scenario, plan, date_from, date_to)
    if latest is not None and unchanged_since(latest, inputs):
        log.info("nothing changed since version %d: kept it without re-planning", latest.version)
        facts = PlanFacts.recorded(latest.summary)
    else:
        facts = _replan(engine, request, date_from, date_to, on_progress)
        with session_scope(engine) as session:
            scenario, plan = load_scenario(session), load_plan(session)
        inputs = inputs_fingerprint(scenario, plan, date_from, date_to)
    with session_scope(engine) as session:
        latest_rows = _rows_of(session, latest.version if latest else None, date_from, date_to)
        roster = [v for v in plan if date_from <= v.date <= date_to]
        state = version_state(roster, latest_rows)
        matches = latest is not None and set(state) == set(latest_rows)
        against = _baseline_version(latest, matches)
        baseline = _rows_of(session, against, date_from, date_to)
        histories = visit_histories(
            session, visit_ids=[p.visit.visit_id for p in [*state, *baseline]]
        )
    diff = roster_diff(baseline, state, against)
    report = WeeklyReport(
        request=request,
        date_from=date_from,
        date_to=date_to,
        scenario=scenario,
        facts=facts,
        inputs=inputs,
        roster=roster,
        state=state,
        baseline=baseline,
        diff=diff,
        sequences=_sequences(histories, state),
        published=False,
        version=latest,
        matches_version=matches,
        stamp=latest.published_at if matches and latest else datetime.now(UTC),
        at_risk=contracts_at_risk(scenario, plan, date_from - timedelta(days=1)),
        sla=last_week_sla(scenario, date_from),
    )
    if request.publish and not matches:
        report.version = _publish(engine, report)
        report.published = True
        report.matches_version = True
        log.info("published version %d: %s", report.version.version, _changes_text(diff))
    elif matches and latest is not None:
        log.info("nothing new to publish: the weeks match version %d", latest.version)
    return report


def _replan(
    engine: Engine,
    request: WeeklyRequest,
    date_from: date,
    date_to: date,
    on_progress: Callable[[Progress], None] | None,
) -> PlanFacts:
    """`plan_stored` over the weeks: it saves the working plan (its own transaction) only when
    the validator passes; a plan the solver does not stand by is refused here too."""
    log.info("solving %s to %s (time limit %.0fs)", date_from, date_to, request.params.time_limit)
    outcome = plan_stored(engine, date_from, date_to, request.params, on_progress=on_progress)
    refusal = publishable(outcome)
    if refusal:
        raise WeeklyFailed(refusal, outcome)
    facts = PlanFacts.of(outcome)
    log.info(
        "planned: %s, objective %s, bound %s, %d visit(s) unplaced",
        facts.status,
        facts.objective,
        facts.best_bound,
        sum(u.visits for u in facts.unplaced),
    )
    return facts


def _baseline_version(latest: RosterVersion | None, matches: bool) -> int | None:
    """The version the state is compared with: the latest, or the one before it when the
    latest already holds the state (so a re-run reports and writes what the publish did)."""
    if latest is None:
        return None
    number = latest.version - 1 if matches else latest.version
    return number or None


def _rows_of(
    session: Session, version: int | None, first: date, last: date
) -> list[PublishedVisit]:
    if version is None:
        return []
    return version_visits(session, version=version, date_from=first, date_to=last)


def _sequences(
    histories: Mapping[str, list[PublishedVisit]], state: Sequence[PublishedVisit]
) -> dict[str, int]:
    sequences = {visit_id: calendar_sequence(states) for visit_id, states in histories.items()}
    for row in state:
        sequences[row.visit.visit_id] = calendar_sequence(
            [*histories.get(row.visit.visit_id, []), row]
        )
    return sequences


def _publish(engine: Engine, report: WeeklyReport) -> RosterVersion:
    """One transaction: the version, its rows and the audit event, or none of them."""
    facts = version_facts(report)
    with session_scope(engine) as session:
        number = save_version(
            session,
            published_at=report.stamp,
            date_from=report.date_from,
            date_to=report.date_to,
            visits=report.state,
            summary=facts,
            diff=report.diff.as_json(),
        )
        audit.record(
            session,
            actor=None,
            action="publish",
            day=report.date_from,
            after={"version": number, **facts},
            reason=f"weekly run for {report.date_from} to {report.date_to}",
            at=report.stamp,
        )
    return RosterVersion(
        version=number,
        published_at=report.stamp,
        date_from=report.date_from,
        date_to=report.date_to,
        summary=facts,
        diff=report.diff.as_json(),
    )


# --- outputs ------------------------------------------------------------------------------


def version_facts(report: WeeklyReport) -> dict[str, Any]:
    """What a version records about the run that made it (and summary.json repeats); with
    `inputs`, so the next run can tell whether anything changed since."""
    facts = report.facts
    return {
        "date_from": report.date_from.isoformat(),
        "date_to": report.date_to.isoformat(),
        "weeks": report.request.weeks,
        "visits": len(report.roster),
        "changes": report.diff.counts(),
        "unplaced": [dataclasses.asdict(u) for u in facts.unplaced],
        "at_risk": [dataclasses.asdict(a) for a in report.at_risk],
        "status": facts.status,
        "objective": facts.objective,
        "best_bound": facts.best_bound,
        "gap": facts.gap,
        "solve_seconds": facts.seconds,
        "deferred_beyond_weeks": facts.deferred,
        "warnings": facts.warnings,
        "inputs": report.inputs,
    }


def summary_json(report: WeeklyReport) -> dict[str, Any]:
    version = report.version
    return {
        "published": report.published,
        "version": None if version is None else version.version,
        "published_at": None if version is None else version.published_at.isoformat(),
        "matches_version": report.matches_version,
        "replanned": report.facts.solved,
        "week_of": report.date_from.isoformat(),
        **version_facts(report),
        "changes_against": report.diff.against,
        "sla_last_week": {
            "first_day": report.sla.first_day.isoformat(),
            "last_day": report.sla.last_day.isoformat(),
            "lines": [dataclasses.asdict(line) for line in report.sla.lines],
            "note": report.sla.note,
        },
    }


def summary_markdown(report: WeeklyReport) -> str:
    """For the office on Monday morning: what was sent, what changed, what needs a person."""
    out = [
        f"# Weekly roster {report.date_from:%a %d %b %Y} to {report.date_to:%a %d %b %Y}",
        "",
        _publication_line(report),
        "",
        "## Visits planned",
        "",
        _visits_line(report.roster),
        "",
        *_changes_section(report.diff),
        *_unplaced_section(report.facts.unplaced),
        *_at_risk_section(report.at_risk),
        *_sla_section(report.sla),
        "## Solve",
        "",
        _solve_line(report.facts),
    ]
    return "\n".join(out) + "\n"


def write_outputs(report: WeeklyReport, folder: Path) -> None:
    """Every file covers the same weeks; each is replaced whole, so a reader never sees half."""
    folder.mkdir(parents=True, exist_ok=True)
    _replace(folder / "roster.csv", lambda path: write_roster_csv(report.roster, path))
    _replace(
        folder / "unplaced.csv",
        lambda path: path.write_text(_unplaced_csv(report.facts.unplaced), encoding="utf-8"),
    )
    _write_calendars(report, folder / "calendars")
    text = json.dumps(summary_json(report), indent=2, default=str) + "\n"
    _replace(folder / "summary.json", lambda path: path.write_text(text, encoding="utf-8"))
    markdown = summary_markdown(report)
    _replace(folder / "summary.md", lambda path: path.write_text(markdown, encoding="utf-8"))


def _write_calendars(report: WeeklyReport, folder: Path) -> None:
    """One file per technician and school; files of people no longer in the book go, so no
    feed keeps showing visits nobody will make."""
    files = calendar_files(
        report.scenario,
        current=report.state,
        baseline=report.baseline,
        sequences=report.sequences,
        stamp=report.stamp,
        first_day=report.date_from,
        last_day=report.date_to,
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        _replace(folder / name, lambda path, data=data: path.write_bytes(data))
    for stale in [*folder.glob("technician-*.ics"), *folder.glob("school-*.ics")]:
        if stale.name not in files:
            stale.unlink()


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    partial = path.with_name(f".{path.name}.partial")
    write(partial)
    os.replace(partial, path)


def _unplaced_csv(unplaced: Sequence[Unplaced]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(UNPLACED_COLUMNS)
    for u in sorted(unplaced, key=lambda u: u.contract_id):
        writer.writerow([u.contract_id, u.school_id, u.visits, u.reason])
    return buffer.getvalue()


def _publication_line(report: WeeklyReport) -> str:
    version = report.version
    if report.published and version is not None:
        return f"Published **version {version.version}** at {_local(version.published_at)}."
    if report.matches_version and version is not None:
        return (
            f"Nothing new to publish: these weeks are as **version {version.version}** "
            f"(published {_local(version.published_at)}) sent them."
        )
    latest = "none yet" if version is None else f"version {version.version}"
    return f"Not published (run with `--publish`); the latest published roster is {latest}."


def _visits_line(roster: Sequence[PlannedVisit]) -> str:
    kinds = {kind: sum(1 for v in roster if v.kind is kind) for kind in VisitKind}
    detail = ", ".join(f"{n} {kind.value}" for kind, n in kinds.items() if n)
    schools = len({v.school_id for v in roster})
    technicians = len({v.technician_id for v in roster})
    return (
        f"{len(roster)} visits ({detail or 'none'}) at {schools} schools "
        f"by {technicians} technicians."
    )


def _changes_text(diff: RosterDiff) -> str:
    counts = diff.counts()
    if not counts["total"]:
        return "no changes"
    parts = [f"{n} {name}" for name, n in counts.items() if n and name != "total"]
    return ", ".join(parts)


def _changes_section(diff: RosterDiff) -> list[str]:
    against = "none: the first version" if diff.against is None else f"version {diff.against}"
    lines = [f"## Changes against {against}", "", _changes_text(diff).capitalize() + "."]
    rows = [("added", None, v) for v in diff.added]
    rows += [("cancelled", v, None) for v in diff.cancelled]
    rows += [("moved", b, a) for b, a in diff.moved]
    rows += [("reassigned", b, a) for b, a in diff.reassigned]
    if rows:
        lines += ["", "| change | visit | school | before | after |", "|---|---|---|---|---|"]
        for change, before, after in rows[:CHANGES_LISTED]:
            visit = after or before
            assert visit is not None
            lines.append(
                f"| {change} | {visit.visit_id} | {visit.school_id} | {_slot_text(before)} "
                f"| {_slot_text(after)} |"
            )
        if len(rows) > CHANGES_LISTED:
            lines += ["", f"…and {len(rows) - CHANGES_LISTED} more (see the version's diff)."]
    return [*lines, ""]


def _unplaced_section(unplaced: Sequence[Unplaced]) -> list[str]:
    if not unplaced:
        return ["## Unplaced visits", "", "None: every visit owed in these weeks is placed.", ""]
    total = sum(u.visits for u in unplaced)
    lines = [
        "## Unplaced visits",
        "",
        f"{total} visit(s) of {len(unplaced)} contract(s) could not be placed:",
        "",
        "| contract | school | visits | reason |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {u.contract_id} | {u.school_id} | {u.visits} | {_cell(u.reason)} |"
        for u in sorted(unplaced, key=lambda u: u.contract_id)
    ]
    return [*lines, ""]


def _at_risk_section(at_risk: Sequence[AtRisk]) -> list[str]:
    title = "## Contracts at risk or behind the pace"
    if not at_risk:
        none = "None: every owed visit still fits its period, and no contract trails the pace."
        return [title, "", none, ""]
    lines = [
        title,
        "",
        f"{len(at_risk)} contract(s) may not get every visit they bought (at risk) or trail "
        "the even pace (an early warning); the reason says which:",
        "",
        "| contract | school | owed | reason |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {a.contract_id} | {a.school_id} | {a.owed} | {_cell(a.reason)} |" for a in at_risk
    ]
    return [*lines, ""]


def _sla_section(sla: SlaWeek) -> list[str]:
    title = f"## SLA compliance last week ({sla.first_day:%d %b} to {sla.last_day:%d %b %Y})"
    if not sla.lines:
        return [title, "", f"SLA: {sla.note}.", ""]
    lines = [
        title,
        "",
        "| policy | measure | tickets | met | share | target |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.policy} | {s.measure} | {s.tickets} | {s.met} | {s.share:.0%} | {s.target:.0%} |"
        for s in sla.lines
    ]
    return [*lines, ""]


def _solve_line(facts: PlanFacts) -> str:
    line = (
        f"Status {facts.status}, objective {facts.objective}, bound {_number(facts.best_bound)}, "
        f"gap {facts.gap:.1%}, {facts.seconds:.1f} s."
    )
    if facts.solved:
        return line
    return f"Not re-planned: nothing changed since the run that published the version. {line}"


def _slot(visit: PlannedVisit) -> tuple[date, str, time, time]:
    return (visit.date, visit.window, visit.start, visit.end)


def _shown(published: PublishedVisit) -> tuple[object, ...]:
    v = published.visit
    return (*_slot(v), v.technician_id, published.cancelled)


def _roster_order(published: PublishedVisit) -> tuple[date, time, str, str]:
    v = published.visit
    return (v.date, v.start, v.technician_id, v.visit_id)


def _slot_text(visit: PlannedVisit | None) -> str:
    if visit is None:
        return ""
    return f"{visit.date:%a %d %b} {visit.window} {visit.start:%H:%M} {visit.technician_id}"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _local(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M %Z")
