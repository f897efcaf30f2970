"""Changes to single planned visits, and the preview-then-apply contract every change keeps.

A dispatcher's change (a move, a swap, a lock, and the disruptions of
`scheduler.services.disruption`) is first computed as a `Diff` against the
stored book and plan, without writing anything; `apply_diff` then writes it in
one transaction together with its audit events, after checking that the plan
still is what the preview saw. Applying a diff that is already in place does
nothing, so a retried request or a double click is harmless.

Every change is checked with the solver-free validator on the rows it can
affect (the technician-days, school-days and contracts it touches) and
refused with the rule and the reason when it breaks one that held before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

from sqlalchemy.engine import Engine

from scheduler.calendar import Calendar
from scheduler.contracts import bought, consumed, without_mirrored_history
from scheduler.domain import (
    DAY_WINDOW,
    Closure,
    HistoryVisit,
    Leave,
    PlannedVisit,
    Scenario,
    VisitKind,
)
from scheduler.errors import InputError, Problem
from scheduler.services.audit import AuditRecord, append_events, event
from scheduler.services.balances import RecordIndex, counts_as_planned, owed
from scheduler.services.planning import Unplaced
from scheduler.services.validate import ValidationReport, Violation, validate_roster
from scheduler.store.changes import (
    add_closure,
    add_history,
    add_leave,
    closure_exists,
    delete_visits,
    history_by_id,
    insert_visits,
    leave_exists,
    update_visits,
    visits_by_id,
)
from scheduler.store.db import session_scope
from scheduler.store.repository import load_plan, load_scenario
from scheduler.travel import HomeLegs, TravelMatrix

SLICE_TERMS_LEFT_OUT = frozenset({"workload"})
"""Terms a diff does not report: `workload` compares every technician of the book, which the
slice of the roster a diff is priced on cannot measure."""


class ChangeKind(StrEnum):
    MOVED = "moved"
    """Another day or window (and perhaps another technician)."""
    REASSIGNED = "reassigned"
    """Same day and window, another technician."""
    ADDED = "added"
    DROPPED = "dropped"
    LOCKED = "locked"
    UNLOCKED = "unlocked"


@dataclass(frozen=True, slots=True)
class VisitChange:
    before: PlannedVisit | None
    after: PlannedVisit | None
    why: str
    displaced: bool = True
    """False for a visit the change did not displace but moved to make room for one that it
    did: the re-planning promise allows at most 5 of these."""

    @property
    def visit(self) -> PlannedVisit:
        """The visit as it ends up, or as it was when the change drops it."""
        found = self.after or self.before
        assert found is not None, "a change has a before or an after"
        return found

    @property
    def kind(self) -> ChangeKind:
        if self.before is None:
            return ChangeKind.ADDED
        if self.after is None:
            return ChangeKind.DROPPED
        if (self.before.date, self.before.window) != (self.after.date, self.after.window):
            return ChangeKind.MOVED
        if self.before.technician_id != self.after.technician_id:
            return ChangeKind.REASSIGNED
        return ChangeKind.LOCKED if self.after.locked else ChangeKind.UNLOCKED


@dataclass(frozen=True, slots=True)
class BalanceEffect:
    """One contract's entitlement before and after a change (balances.csv's counting)."""

    contract_id: str
    school_id: str
    bought: int
    consumed: tuple[int, int]
    planned: tuple[int, int]
    note: str = ""

    @property
    def owed(self) -> tuple[int, int]:
        return (
            owed(self.bought, self.consumed[0], self.planned[0]),
            owed(self.bought, self.consumed[1], self.planned[1]),
        )


@dataclass(slots=True)
class Diff:
    """What a change will do, shown before it is applied and written as it was shown."""

    action: str
    """absence, closure, cancel, emergency, move, swap, lock or unlock."""
    subject: str
    reason: str = ""
    school_id: str | None = None
    technician_id: str | None = None
    day: date | None = None
    changes: list[VisitChange] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    """Displaced visits no slot could take, with why: they stay owed."""
    terms: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Penalty terms (before, after) over the rows the change touches; see
    `SLICE_TERMS_LEFT_OUT`."""
    balance: list[BalanceEffect] = field(default_factory=list)
    leave: list[Leave] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    history: list[HistoryVisit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.changes or self.leave or self.closures or self.history)

    def of_kind(self, kind: ChangeKind) -> list[VisitChange]:
        return [c for c in self.changes if c.kind is kind]

    @property
    def not_displaced(self) -> list[VisitChange]:
        return [c for c in self.changes if not c.displaced]

    @property
    def term_changes(self) -> dict[str, int]:
        return {
            name: after - before for name, (before, after) in self.terms.items() if after != before
        }

    def lines(self) -> list[str]:
        """The preview as text, one fact a line: what the CLI prints and the app can show."""
        out = [f"{self.action}: {self.subject}" + (f" ({self.reason})" if self.reason else "")]
        if self.is_empty:
            return [*out, "nothing to change: already in place", *self.notes]
        out += [
            f"add leave: {lv.technician_id} {_span(lv.first_day, lv.last_day)}" for lv in self.leave
        ]
        out += [
            f"add closure: {c.school_id} {_span(c.first_day, c.last_day)}" for c in self.closures
        ]
        out += [
            f"record: {h.visit_id} {h.contract_id} {h.date} {h.status.value}" for h in self.history
        ]
        for change in self.changes:
            flag = "" if change.displaced else " [not displaced]"
            out.append(f"{change.kind.value}{flag}: {_describe(change)}; {change.why}")
        for u in self.unplaced:
            out.append(f"unplaced: {u.contract_id} ({u.school_id}) {u.visits} visit(s): {u.reason}")
        if self.term_changes:
            deltas = ", ".join(
                f"{name} {delta:+d}" for name, delta in sorted(self.term_changes.items())
            )
            out.append(f"penalty terms: {deltas}")
        for b in self.balance:
            out.append(
                f"balance {b.contract_id} ({b.school_id}): bought {b.bought}, "
                f"consumed {b.consumed[0]}->{b.consumed[1]}, "
                f"planned {b.planned[0]}->{b.planned[1]}, "
                f"owed {b.owed[0]}->{b.owed[1]}" + (f"; {b.note}" if b.note else "")
            )
        return [*out, *self.notes]


def _span(first: date, last: date) -> str:
    return str(first) if first == last else f"{first}..{last}"


def _slot(visit: PlannedVisit) -> str:
    return f"{visit.date} {visit.window} {visit.technician_id}"


def _describe(change: VisitChange) -> str:
    visit = change.visit
    where = f"{visit.visit_id} {visit.school_id}"
    if change.before is None or change.after is None:
        return f"{where} {_slot(visit)}"
    if change.kind in (ChangeKind.LOCKED, ChangeKind.UNLOCKED):
        return f"{where} {_slot(visit)}"
    return f"{where} {_slot(change.before)} -> {_slot(change.after)}"


# --- the stored book and plan, as a change sees them ---------------------------------------


@dataclass(slots=True)
class Book:
    """The scenario and the whole current plan, with the calendar and travel built once."""

    scenario: Scenario
    roster: list[PlannedVisit]
    calendar: Calendar
    travel: TravelMatrix

    @classmethod
    def of(cls, scenario: Scenario, roster: Sequence[PlannedVisit]) -> Book:
        return cls(scenario, list(roster), Calendar(scenario), HomeLegs(scenario))

    def with_facts(
        self,
        *,
        leave: Sequence[Leave] = (),
        closures: Sequence[Closure] = (),
        history: Sequence[HistoryVisit] = (),
    ) -> Book:
        """The book as it will be once the change's facts are stored; same plan, new calendar."""
        if not (leave or closures or history):
            return self
        scenario = dataclasses.replace(
            self.scenario,
            leave=[*self.scenario.leave, *leave],
            closures=[*self.scenario.closures, *closures],
            history=[*self.scenario.history, *history],
        )
        return Book(scenario, self.roster, Calendar(scenario), self.travel)

    def visit(self, visit_id: str, *, field_name: str = "VISIT_ID") -> PlannedVisit:
        for visit in self.roster:
            if visit.visit_id == visit_id:
                return visit
        raise InputError([Problem(field_name, None, None, visit_id, "a visit of the stored plan")])


def load_book(engine: Engine) -> Book:
    with session_scope(engine) as session:
        return Book.of(load_scenario(session), load_plan(session))


def known_technician(scenario: Scenario, technician_id: str, field_name: str) -> None:
    ids = sorted(t.technician_id for t in scenario.technicians)
    if technician_id not in ids:
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise InputError(
            [Problem(field_name, None, None, technician_id, f"a technician of the book ({shown})")]
        )


def not_frozen(visit: PlannedVisit, as_of: date | None, field_name: str) -> Problem | None:
    """The published past is frozen: nothing dated before `as_of` is changed by anyone."""
    if as_of is None or visit.date >= as_of:
        return None
    return Problem(
        field_name,
        None,
        None,
        f"{visit.visit_id} on {visit.date}",
        f"a visit on or after --as-of {as_of}: the past is frozen",
    )


def not_locked(visit: PlannedVisit, field_name: str) -> Problem | None:
    """A locked visit is never changed, by hand or by a re-plan, until it is unlocked."""
    if not visit.locked:
        return None
    return Problem(
        field_name,
        None,
        None,
        visit.visit_id,
        f"an unlocked visit (unlock it first: scheduler unlock {visit.visit_id})",
    )


def refuse(problems: Iterable[Problem | None]) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise InputError(found)


# --- hard rules and penalty terms on the slice a change touches ----------------------------


def slim(scenario: Scenario, rows: Sequence[PlannedVisit]) -> Scenario:
    """Only the entities `rows` refer to: validating a few rows then costs a few rows."""
    schools = {v.school_id for v in rows}
    technicians = {v.technician_id for v in rows}
    contracts = {v.contract_id for v in rows}
    return dataclasses.replace(
        scenario,
        schools=[s for s in scenario.schools if s.school_id in schools],
        technicians=[t for t in scenario.technicians if t.technician_id in technicians],
        contracts=[c for c in scenario.contracts if c.contract_id in contracts],
        leave=[lv for lv in scenario.leave if lv.technician_id in technicians],
        closures=[c for c in scenario.closures if c.school_id in schools],
        history=[h for h in scenario.history if h.contract_id in contracts],
        tickets=[],
    )


def touched_slice(
    roster: Sequence[PlannedVisit], changed: Iterable[PlannedVisit]
) -> list[PlannedVisit]:
    """Rows whose rules or terms a change of `changed` can alter: the same technician-day
    (rule 4, travel), school-day (rule 5) or contract (rule 5, pattern terms)."""
    tech_days, school_days, contracts = set(), set(), set()
    for visit in changed:
        tech_days.add((visit.technician_id, visit.date))
        school_days.add((visit.school_id, visit.date))
        contracts.add(visit.contract_id)
    return [
        v
        for v in roster
        if (v.technician_id, v.date) in tech_days
        or (v.school_id, v.date) in school_days
        or v.contract_id in contracts
    ]


def check_rows(
    book: Book, rows: Sequence[PlannedVisit], hint: Sequence[PlannedVisit] = ()
) -> ValidationReport:
    """The validator on `rows` alone: every rule and term, against only what they name."""
    scenario = slim(without_mirrored_history(book.scenario, book.roster), rows)
    return validate_roster(
        scenario, rows, calendar=book.calendar, travel=book.travel, hint=hint or None
    )


def new_violations(
    before: Book,
    after: Book,
    changed: Iterable[PlannedVisit],
) -> list[Violation]:
    """Hard-rule violations of the after-plan that the before-plan did not have, on the slice
    the change touches (a broken rule elsewhere is not this change's to answer for)."""
    changed = list(changed)
    old = {
        (v.rule, v.message)
        for v in check_rows(before, touched_slice(before.roster, changed)).violations
    }
    return [
        v
        for v in check_rows(after, touched_slice(after.roster, changed)).violations
        if (v.rule, v.message) not in old
    ]


def refuse_broken_rules(violations: Sequence[Violation], field_name: str, value: str) -> None:
    """Bad input, named by the rule it breaks and why, e.g. a move onto a bank holiday."""
    if violations:
        raise InputError(
            [
                Problem(
                    field_name, None, f"rule {v.rule}", value, f"no broken rule, but {v.message}"
                )
                for v in violations
            ]
        )


def term_changes(
    before: Book, after: Book, changes: Sequence[VisitChange]
) -> dict[str, tuple[int, int]]:
    """Every penalty term (but `SLICE_TERMS_LEFT_OUT`) before and after, on the touched slice:
    a term of an untouched contract or technician-day is the same on both sides."""
    changed = [v for c in changes for v in (c.before, c.after) if v is not None]
    if not changed:
        return {}
    rows_before = touched_slice(before.roster, changed)
    rows_after = touched_slice(after.roster, changed)
    old = check_rows(before, rows_before).terms
    new = check_rows(after, rows_after, hint=rows_before).terms
    return {name: (old[name], new[name]) for name in old if name not in SLICE_TERMS_LEFT_OUT}


def balance_effects(
    before: Book, after: Book, contract_ids: Iterable[str], note: str = ""
) -> list[BalanceEffect]:
    """balances.csv's bought, consumed, planned and owed for each contract, before and after."""
    wanted = sorted(set(contract_ids))
    effects = []
    for contract_id in wanted:
        contract = after.scenario.contract(contract_id)
        if not contract.is_scheduled:
            continue
        effects.append(
            BalanceEffect(
                contract_id=contract_id,
                school_id=contract.school_id,
                bought=bought(contract),
                consumed=(
                    consumed(contract, before.scenario.history),
                    consumed(contract, after.scenario.history),
                ),
                planned=(_planned(before, contract_id), _planned(after, contract_id)),
                note=note,
            )
        )
    return effects


def _planned(book: Book, contract_id: str) -> int:
    records = RecordIndex.of(h for h in book.scenario.history if h.contract_id == contract_id)
    return sum(
        1 for v in book.roster if v.contract_id == contract_id and counts_as_planned(v, records)
    )


def replace_rows(
    roster: Sequence[PlannedVisit], changes: Sequence[VisitChange]
) -> list[PlannedVisit]:
    """The plan with `changes` made: befores removed, afters added."""
    gone = {c.before.visit_id for c in changes if c.before is not None}
    return [v for v in roster if v.visit_id not in gone] + [
        c.after for c in changes if c.after is not None
    ]


def finish(diff: Diff, before: Book, after: Book, *, balance_note: str = "") -> Diff:
    """Price the diff's changes and entitlement effect from the two books."""
    diff.terms = term_changes(before, after, diff.changes)
    contracts = {c.visit.contract_id for c in diff.changes} | {h.contract_id for h in diff.history}
    contracts |= {u.contract_id for u in diff.unplaced}
    diff.balance = balance_effects(before, after, contracts, balance_note)
    return diff


# --- apply ------------------------------------------------------------------------------------


def apply_diff(engine: Engine, diff: Diff, *, actor: str | None = None) -> bool:
    """Write the diff and its audit events in one transaction; False when already in place.

    Refused (InputError, nothing written) when the stored plan no longer matches the
    preview: someone changed it meanwhile, so the diff must be previewed again.
    """
    if diff.is_empty:
        return False
    with session_scope(engine) as session:
        ids = [c.visit.visit_id for c in diff.changes]
        stored = visits_by_id(session, visit_ids=ids)
        recorded = history_by_id(session, visit_ids=[h.visit_id for h in diff.history])
        todo = [c for c in diff.changes if stored.get(c.visit.visit_id) != c.after]
        stale = [c for c in todo if stored.get(c.visit.visit_id) != c.before]
        stale_history = [h for h in diff.history if recorded.get(h.visit_id, h) != h]
        if stale or stale_history:
            raise InputError(
                [
                    Problem(
                        "plan", None, "visit_id", c.visit.visit_id, "as previewed: preview again"
                    )
                    for c in stale
                ]
                + [
                    Problem("history", None, "visit_id", h.visit_id, "as previewed: preview again")
                    for h in stale_history
                ]
            )
        new_history = [h for h in diff.history if h.visit_id not in recorded]
        new_leave = [lv for lv in diff.leave if not leave_exists(session, leave=lv)]
        new_closures = [c for c in diff.closures if not closure_exists(session, closure=c)]
        if not (todo or new_history or new_leave or new_closures):
            return False
        for leave in new_leave:
            add_leave(session, leave=leave)
        for closure in new_closures:
            add_closure(session, closure=closure)
        add_history(session, records=new_history)
        delete_visits(
            session, visit_ids=[c.before.visit_id for c in todo if c.after is None and c.before]
        )
        update_visits(session, visits=[c.after for c in todo if c.after and c.before])
        insert_visits(session, visits=[c.after for c in todo if c.after and c.before is None])
        append_events(session, audit_records(diff, todo, actor))
    return True


def audit_records(
    diff: Diff, changes: Sequence[VisitChange], actor: str | None
) -> list[AuditRecord]:
    """One event for the change itself, then one per visit it changes, each with its why."""
    summary = event(
        actor=actor,
        action=diff.action,
        school_id=diff.school_id,
        technician_id=diff.technician_id,
        day=diff.day,
        after={
            "subject": diff.subject,
            "leave": diff.leave,
            "closures": diff.closures,
            "history": diff.history,
            "changes": {kind.value: len(diff.of_kind(kind)) for kind in ChangeKind},
            "unplaced": diff.unplaced,
            "terms": diff.term_changes,
            "balance": [
                {"contract_id": b.contract_id, "owed": b.owed, "note": b.note} for b in diff.balance
            ],
        },
        reason=diff.reason,
    )
    per_visit = [
        event(
            actor=actor,
            action=diff.action,
            school_id=c.visit.school_id,
            technician_id=c.visit.technician_id,
            visit_id=c.visit.visit_id,
            day=c.visit.date,
            before=c.before,
            after=c.after,
            reason=c.why,
        )
        for c in changes
    ]
    return [summary, *per_visit]


def _applied(engine: Engine, diff: Diff, apply: bool, actor: str | None) -> Diff:
    if apply:
        apply_diff(engine, diff, actor=actor)
    return diff


# --- manual changes ---------------------------------------------------------------------------


def move(
    engine: Engine,
    visit_id: str,
    *,
    to_date: date,
    window: str | None = None,
    technician_id: str | None = None,
    as_of: date | None = None,
    reason: str = "",
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    """A visit to another day, window and/or technician, refused when it breaks a hard rule."""
    book = load_book(engine)
    visit = book.visit(visit_id)
    if technician_id is not None:
        known_technician(book.scenario, technician_id, "--technician")
    refuse([not_locked(visit, "VISIT_ID"), not_frozen(visit, as_of, "VISIT_ID")])
    if as_of is not None and to_date < as_of:
        refuse(
            [Problem("--to-date", None, None, str(to_date), f"a day on or after --as-of {as_of}")]
        )
    after = _in_slot(
        book, visit, to_date, window or visit.window, technician_id or visit.technician_id
    )
    diff = Diff(
        "move",
        f"{visit_id} to {_slot(after)}",
        reason,
        school_id=visit.school_id,
        technician_id=after.technician_id,
        day=to_date,
    )
    if after == visit:
        return diff
    diff.changes = [VisitChange(visit, after, reason or "moved by hand")]
    return _checked(engine, book, diff, "--to-date", str(to_date), apply, actor)


def _in_slot(
    book: Book, visit: PlannedVisit, day: date, window: str, technician_id: str
) -> PlannedVisit:
    """The visit in another slot, with the times of that window of its contract's family."""
    if visit.kind is VisitKind.DEDICATED:
        if window != DAY_WINDOW:
            refuse([Problem("--window", None, None, window, f"{DAY_WINDOW} for a dedicated day")])
        return dataclasses.replace(visit, date=day, technician_id=technician_id)
    family = book.scenario.contract(visit.contract_id).window_family
    slots = {w.name: w for w in book.scenario.windows if w.family == family}
    if window not in slots:
        refuse(
            [
                Problem(
                    "--window", None, None, window, f"a {family} window: {', '.join(sorted(slots))}"
                )
            ]
        )
    chosen = slots[window]
    return dataclasses.replace(
        visit,
        date=day,
        window=chosen.name,
        start=chosen.start,
        end=chosen.end,
        technician_id=technician_id,
    )


def _checked(
    engine: Engine,
    book: Book,
    diff: Diff,
    field_name: str,
    value: str,
    apply: bool,
    actor: str | None,
) -> Diff:
    after = Book(book.scenario, replace_rows(book.roster, diff.changes), book.calendar, book.travel)
    changed = [v for c in diff.changes for v in (c.before, c.after) if v is not None]
    refuse_broken_rules(new_violations(book, after, changed), field_name, value)
    return _applied(engine, finish(diff, book, after), apply, actor)


SwapWhat = Literal["technician", "slot"]


def swap(
    engine: Engine,
    visit_a: str,
    visit_b: str,
    *,
    what: SwapWhat = "technician",
    as_of: date | None = None,
    reason: str = "",
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    """Two visits trade technicians, or trade day and window (each keeping its technician)."""
    book = load_book(engine)
    a, b = book.visit(visit_a, field_name="VISIT_A"), book.visit(visit_b, field_name="VISIT_B")
    if a.visit_id == b.visit_id:
        refuse([Problem("VISIT_B", None, None, visit_b, "a visit other than VISIT_A")])
    refuse(
        [
            not_locked(a, "VISIT_A"),
            not_locked(b, "VISIT_B"),
            not_frozen(a, as_of, "VISIT_A"),
            not_frozen(b, as_of, "VISIT_B"),
        ]
    )
    if what == "technician":
        new_a = dataclasses.replace(a, technician_id=b.technician_id)
        new_b = dataclasses.replace(b, technician_id=a.technician_id)
    else:
        new_a = _in_slot(book, a, b.date, b.window, a.technician_id)
        new_b = _in_slot(book, b, a.date, a.window, b.technician_id)
    diff = Diff("swap", f"{a.visit_id} <-> {b.visit_id} ({what})", reason, day=min(a.date, b.date))
    why = reason or f"swapped {what} by hand"
    diff.changes = [
        VisitChange(old, new, why) for old, new in ((a, new_a), (b, new_b)) if old != new
    ]
    if not diff.changes:
        return diff
    return _checked(engine, book, diff, "VISIT_B", f"{a.visit_id} <-> {b.visit_id}", apply, actor)


def lock(
    engine: Engine,
    visit_id: str,
    *,
    reason: str = "",
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    """Pin a visit: no re-plan moves it, and a manual change must unlock it first."""
    return _set_locked(engine, visit_id, True, reason, apply, actor)


def unlock(
    engine: Engine,
    visit_id: str,
    *,
    reason: str = "",
    apply: bool = False,
    actor: str | None = None,
) -> Diff:
    return _set_locked(engine, visit_id, False, reason, apply, actor)


def _set_locked(
    engine: Engine, visit_id: str, locked: bool, reason: str, apply: bool, actor: str | None
) -> Diff:
    book = load_book(engine)
    visit = book.visit(visit_id)
    action = "lock" if locked else "unlock"
    diff = Diff(
        action,
        visit_id,
        reason,
        school_id=visit.school_id,
        technician_id=visit.technician_id,
        day=visit.date,
    )
    if visit.locked != locked:
        after = dataclasses.replace(visit, locked=locked)
        diff.changes = [VisitChange(visit, after, reason or f"{action}ed by hand")]
    return _applied(engine, diff, apply, actor)
