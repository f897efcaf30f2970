"""Disruptions: report an absence, a closure, a cancellation or an emergency callout.

Every report is previewed first (the services' Diff: visits moved, reassigned, added,
dropped, unplaced with reasons, penalty-term changes, balance effect) and written only by
the Apply button. The rules live in scheduler.services.disruption; this page only asks,
shows and applies. Refused input is shown with its problems table and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from scheduler.domain import PlannedVisit, Scenario, VisitKind
from scheduler.errors import InputError
from scheduler.services import disruption, visits
from scheduler.services.visits import ChangeKind, Diff
from scheduler.ui.state import book, engine, invalidate, plan
from scheduler.ui.widgets import show_problems

# (Comments, not docstrings: Streamlit's magic would print a bare string of a page.)
KINDS = ["Absence", "Closure", "Cancellation", "Emergency callout"]
# The previewed Diff awaiting Apply, and the report kind it belongs to.
PREVIEW = "dis_preview"
PREVIEW_KIND = "dis_preview_kind"
# The ranked callout options last found: (school_id, at, priority, options).
OPTIONS = "dis_options"
NOTICE = "dis_notice"


def _clear_preview() -> None:
    st.session_state.pop(PREVIEW, None)
    st.session_state.pop(PREVIEW_KIND, None)


def _clear_options() -> None:
    st.session_state.pop(OPTIONS, None)
    _clear_preview()


def _preview(kind: str, make: Callable[[], Diff]) -> None:
    """Ask the service for a diff (never applied here); refused input shows its problems."""
    try:
        diff = make()
    except InputError as error:
        _clear_preview()
        show_problems("Refused", error)
    else:
        st.session_state[PREVIEW] = diff
        st.session_state[PREVIEW_KIND] = kind


def _slot(visit: PlannedVisit | None, tech_names: dict[str, str]) -> str:
    if visit is None:
        return ""
    return f"{visit.date:%a %d %b} {visit.window} · {tech_names.get(visit.technician_id, '?')}"


def changes_frame(diff: Diff, scenario: Scenario) -> pd.DataFrame:
    schools = {s.school_id: s.name for s in scenario.schools}
    techs = {t.technician_id: t.name for t in scenario.technicians}
    return pd.DataFrame(
        [
            {
                "change": c.kind.value,
                "visit": c.visit.visit_id,
                "school": schools.get(c.visit.school_id, c.visit.school_id),
                "before": _slot(c.before, techs),
                "after": _slot(c.after, techs),
                "why": c.why + ("" if c.displaced else " (moved to make room)"),
            }
            for c in diff.changes
        ],
        columns=["change", "visit", "school", "before", "after", "why"],
    )


def unplaced_frame(diff: Diff, scenario: Scenario) -> pd.DataFrame:
    schools = {s.school_id: s.name for s in scenario.schools}
    return pd.DataFrame(
        [
            {
                "contract": u.contract_id,
                "school": schools.get(u.school_id, u.school_id),
                "visits": u.visits,
                "reason": u.reason,
            }
            for u in diff.unplaced
        ],
        columns=["contract", "school", "visits", "reason"],
    )


def terms_frame(diff: Diff) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"term": name, "before": before, "after": after, "change": after - before}
            for name, (before, after) in sorted(diff.terms.items())
            if after != before
        ],
        columns=["term", "before", "after", "change"],
    )


def balance_frame(diff: Diff) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "contract": b.contract_id,
                "school": b.school_id,
                "bought": b.bought,
                "consumed": f"{b.consumed[0]} → {b.consumed[1]}",
                "planned": f"{b.planned[0]} → {b.planned[1]}",
                "owed": f"{b.owed[0]} → {b.owed[1]}",
                "note": b.note,
            }
            for b in diff.balance
        ],
        columns=["contract", "school", "bought", "consumed", "planned", "owed", "note"],
    )


def options_frame(options: list, scenario: Scenario) -> pd.DataFrame:
    schools = {s.school_id: s.name for s in scenario.schools}
    techs = {t.technician_id: t.name for t in scenario.technicians}
    return pd.DataFrame(
        [
            {
                "option": n,
                "technician": techs.get(o.technician_id, o.technician_id),
                "day": f"{o.day:%a %d %b}",
                "from": "home" if o.depart_from == "home" else schools.get(o.depart_from, "?"),
                "leaves": f"{o.departure:%H:%M}",
                "travel (min)": o.travel_minutes,
                "estimated arrival": f"{o.arrival:%H:%M}",
                "window": o.window.name,
                "bumped": "; ".join(
                    f"{schools.get(v.school_id, v.school_id)} {v.window}" for v in o.bumped
                )
                or "nothing",
            }
            for n, o in enumerate(options, start=1)
        ],
        columns=[
            "option",
            "technician",
            "day",
            "from",
            "leaves",
            "travel (min)",
            "estimated arrival",
            "window",
            "bumped",
        ],
    )


def on_record_frames(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Absences and closures already in the book, latest first."""
    techs = {t.technician_id: t.name for t in scenario.technicians}
    schools = {s.school_id: s.name for s in scenario.schools}
    leave = pd.DataFrame(
        [
            {
                "technician": techs.get(lv.technician_id, lv.technician_id),
                "from": lv.first_day,
                "to": lv.last_day,
                "reason": lv.reason,
            }
            for lv in sorted(scenario.leave, key=lambda lv: lv.first_day, reverse=True)
        ],
        columns=["technician", "from", "to", "reason"],
    )
    closures = pd.DataFrame(
        [
            {
                "school": schools.get(c.school_id, c.school_id),
                "from": c.first_day,
                "to": c.last_day,
                "reason": c.reason,
            }
            for c in sorted(scenario.closures, key=lambda c: c.first_day, reverse=True)
        ],
        columns=["school", "from", "to", "reason"],
    )
    return leave, closures


def _table(title: str, frame: pd.DataFrame, key: str) -> None:
    if not frame.empty:
        st.markdown(f"**{title}**")
        st.dataframe(frame, hide_index=True, width="stretch", key=key)


def _show_preview(scenario: Scenario) -> None:
    diff: Diff | None = st.session_state.get(PREVIEW)
    if diff is None:
        return
    st.subheader("Preview")
    st.write(f"**{diff.action}**: {diff.subject}" + (f" ({diff.reason})" if diff.reason else ""))
    counts = st.columns(5)
    for column, kind in zip(
        counts,
        [ChangeKind.MOVED, ChangeKind.REASSIGNED, ChangeKind.ADDED, ChangeKind.DROPPED],
        strict=False,
    ):
        column.metric(kind.value.capitalize(), len(diff.of_kind(kind)))
    counts[4].metric("Unplaced", sum(u.visits for u in diff.unplaced))
    for lv in diff.leave:
        st.write(f"Adds leave: {lv.technician_id} {lv.first_day} to {lv.last_day}")
    for c in diff.closures:
        st.write(f"Adds closure: {c.school_id} {c.first_day} to {c.last_day}")
    for h in diff.history:
        st.write(f"Records: {h.visit_id} ({h.contract_id}) {h.date} as {h.status.value}")
    _table("Visits", changes_frame(diff, scenario), "dis_changes")
    _table("Unplaced (still owed)", unplaced_frame(diff, scenario), "dis_unplaced")
    _table("Penalty terms", terms_frame(diff), "dis_terms")
    _table("Balance effect", balance_frame(diff), "dis_balance")
    for note in diff.notes:
        st.caption(note)
    with st.expander("As text"):
        st.code("\n".join(diff.lines()), language=None)
    if diff.is_empty:
        st.info("Nothing to change: already in place.")
        return
    if st.button("Apply", type="primary", key="dis_apply"):
        try:
            visits.apply_diff(engine(), diff)
        except InputError as error:
            show_problems("Not applied", error)
        else:
            invalidate()
            _clear_options()
            st.session_state[NOTICE] = f"Applied: {diff.action} {diff.subject}"
            st.rerun()


def _absence(scenario: Scenario) -> None:
    techs = sorted(scenario.technicians, key=lambda t: t.name)
    names = {t.technician_id: t.name for t in techs}
    tech_id = st.selectbox(
        "Technician", list(names), format_func=names.__getitem__, key="dis_abs_tech"
    )
    left, right = st.columns(2)
    first = left.date_input("From", value=date.today(), key="dis_abs_from")
    last = right.date_input("To", value=date.today(), key="dis_abs_to")
    reason = st.text_input("Reason", value="sick", key="dis_abs_reason")
    if st.button("Preview absence", key="dis_abs_preview"):
        _preview(
            "Absence",
            lambda: disruption.absence(engine(), tech_id, first, last, reason=reason),
        )


def _closure(scenario: Scenario) -> None:
    schools = sorted(scenario.schools, key=lambda s: s.name)
    names = {s.school_id: s.name for s in schools}
    school_id = st.selectbox(
        "School", list(names), format_func=names.__getitem__, key="dis_clo_school"
    )
    left, right = st.columns(2)
    first = left.date_input("From", value=date.today(), key="dis_clo_from")
    last = right.date_input("To", value=date.today(), key="dis_clo_to")
    reason = st.text_input("Reason", value="", key="dis_clo_reason")
    if st.button("Preview closure", key="dis_clo_preview"):
        _preview(
            "Closure",
            lambda: disruption.closure(engine(), school_id, first, last, reason=reason),
        )


def _cancellation(scenario: Scenario, roster: list[PlannedVisit]) -> None:
    if not roster:
        st.info("No planned visits to cancel. Run the planner on the Plan page.")
        return
    days = sorted({v.date for v in roster})
    start = next((d for d in days if d >= date.today()), days[0])
    day = st.date_input("Day", value=start, key="dis_can_day")
    schools = {s.school_id: s.name for s in scenario.schools}
    techs = {t.technician_id: t.name for t in scenario.technicians}
    found = {v.visit_id: v for v in roster if v.date == day and v.kind is not VisitKind.EMERGENCY}
    if not found:
        st.caption("No planned visit that day.")
        return
    visit_id = st.selectbox(
        "Visit",
        list(found),
        format_func=lambda vid: (
            f"{schools.get(found[vid].school_id, '?')} · {found[vid].window} · "
            f"{techs.get(found[vid].technician_id, '?')}"
            + (" · locked" if found[vid].locked else "")
        ),
        key="dis_can_visit",
    )
    by = st.radio("Cancelled by", ["school", "provider"], horizontal=True, key="dis_can_by")
    reason = st.text_input("Reason", value="", key="dis_can_reason")
    if visit_id and st.button("Preview cancellation", key="dis_can_preview"):
        _preview(
            "Cancellation",
            lambda: disruption.cancel(engine(), visit_id, by=by, reason=reason),
        )


def _emergency(scenario: Scenario) -> None:
    schools = sorted(scenario.schools, key=lambda s: s.name)
    names = {s.school_id: s.name for s in schools}
    school_id = st.selectbox(
        "School",
        list(names),
        format_func=names.__getitem__,
        key="dis_em_school",
        on_change=_clear_options,
    )
    left, middle, right = st.columns(3)
    day = left.date_input("Day", value=date.today(), key="dis_em_day", on_change=_clear_options)
    when = middle.time_input(
        "Time", value=time(10, 0), step=900, key="dis_em_time", on_change=_clear_options
    )
    priority = right.radio(
        "Priority", ["urgent", "high"], horizontal=True, key="dis_em_priority",
        on_change=_clear_options,
    )  # fmt: skip
    reason = st.text_input("What happened", value="", key="dis_em_reason")
    at = datetime.combine(day, when)
    if st.button("Find technicians", key="dis_em_find"):
        _clear_options()
        try:
            found = disruption.emergency_options(engine(), school_id, at, priority)
        except InputError as error:
            show_problems("Refused", error)
        else:
            st.session_state[OPTIONS] = (school_id, at, priority, found)
    kept = st.session_state.get(OPTIONS)
    if not kept or kept[:3] != (school_id, at, priority):
        return
    options = kept[3]
    if not options:
        st.warning("Nobody can reach this school within the next two weeks.")
        return
    st.markdown("**Ranked options** (urgent: first there; high: least disruption)")
    st.dataframe(options_frame(options, scenario), hide_index=True, key="dis_em_options")
    techs = {t.technician_id: t.name for t in scenario.technicians}
    choice = st.radio(
        "Send",
        list(range(1, len(options) + 1)),
        format_func=lambda n: f"{n}. {techs.get(options[n - 1].technician_id, '?')}",
        horizontal=True,
        key="dis_em_choose",
        on_change=_clear_preview,
    )
    chosen = options[(choice or 1) - 1]
    if chosen.bumped:
        bumped = ", ".join(f"{names.get(v.school_id, '?')} {v.window}" for v in chosen.bumped)
        st.caption(f"Bumps {bumped}: re-planned in the preview below.")
    if st.button("Preview callout", key="dis_em_preview"):
        _preview(
            "Emergency callout",
            lambda: disruption.emergency(
                engine(), school_id, at, priority, choose=choice or 1, reason=reason
            ),
        )
        diff = st.session_state.get(PREVIEW)
        if diff is not None and diff.technician_id not in (None, chosen.technician_id):
            _clear_options()
            st.warning("The plan changed since the options were found: find technicians again.")


scenario = book()
st.title("Disruptions")
if not scenario.schools:
    st.info("The database is empty. Import a scenario on the Data page.")
    st.stop()
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(notice)

kind = st.radio("What happened?", KINDS, horizontal=True, key="dis_kind", on_change=_clear_preview)
if kind == "Absence":
    _absence(scenario)
elif kind == "Closure":
    _closure(scenario)
elif kind == "Cancellation":
    _cancellation(scenario, plan())
else:
    _emergency(scenario)
if st.session_state.get(PREVIEW_KIND) == kind:
    _show_preview(scenario)

st.divider()
st.subheader("On record")
leave_table, closure_table = on_record_frames(scenario)
left, right = st.columns(2)
left.markdown(f"**Absences** ({len(leave_table)})")
left.dataframe(leave_table, hide_index=True, width="stretch", height=250)
right.markdown(f"**Closures** ({len(closure_table)})")
right.dataframe(closure_table, hide_index=True, width="stretch", height=250)
