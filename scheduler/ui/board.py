"""Board: the dispatcher's week, one row per technician; click a cell to change its visits.

The grid is `st.dataframe` with cell selection (UI.md: the fastest board measured here);
the clicked cell opens a dialog whose open/closed state lives in session_state, so its
buttons work on every rerun. Every change goes through scheduler.services.visits or
.disruption: preview the diff, then apply; the rules are checked there, never here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pydeck as pdk
import streamlit as st

from scheduler.domain import DAY_WINDOW, PlannedVisit, Scenario, VisitKind
from scheduler.errors import InputError
from scheduler.services import disruption, visits
from scheduler.ui.board_model import (
    COLUMN_WIDTH,
    INDEX_WIDTH,
    KIND_COLOUR,
    LOCK_MARK,
    ROW_HEIGHT,
    SWAP_WITH,
    BoardGrid,
    Cell,
    board_grid,
    day_route,
    monday,
    region_choices,
    swap_candidates,
    visit_label,
    wanted_schools,
    weeks_with_visits,
)
from scheduler.ui.state import book, engine, invalidate, plan
from scheduler.ui.widgets import map_chart, show_problems
from solver.solve import SolveParams

# (Comments, not docstrings: Streamlit's magic would print a bare string of a page.)
# The cell whose dialog is open, as (technician_id, iso day, window); absent when closed.
OPEN = "board_open"
# The grid selection already handled, so a kept selection does not reopen a closed dialog.
SEEN = "board_seen"
# The previewed Diff awaiting Apply.
PREVIEW = "board_preview"
# A cancellation re-plans one owed visit: a few seconds is plenty.
CANCEL_PARAMS = SolveParams(time_limit=5)
# What a swap trades, as the services name it, in the dispatcher's words.
SWAP_WHAT = {
    "technician": "Technicians (each visit keeps its day and window)",
    "slot": "Day and window (each visit keeps its technician)",
}


def _close() -> None:
    # The swap partner belongs to the visit the dialog showed: never offer it for the next.
    for key in (OPEN, PREVIEW, "board_swap_with"):
        st.session_state.pop(key, None)


def _describe(visit: PlannedVisit, names: dict[str, str]) -> str:
    lock = LOCK_MARK if visit.locked else ""
    kind = "" if visit.kind is VisitKind.SCHEDULED else f" ({visit.kind.value})"
    return f"{lock}{names.get(visit.school_id, visit.school_id)} {visit.window}{kind}"


def _windows_for(scenario: Scenario, visit: PlannedVisit) -> list[str]:
    if visit.kind is VisitKind.DEDICATED:
        return [DAY_WINDOW]
    family = scenario.contract(visit.contract_id).window_family
    return [w.name for w in sorted(scenario.windows, key=lambda w: w.start) if w.family == family]


def _applied(message: str) -> None:
    """After a write: fresh reads everywhere, dialog closed, whole page redrawn."""
    invalidate()
    _close()
    st.session_state["board_notice"] = message
    st.rerun()


def _drop_preview() -> None:
    """A changed choice makes the shown preview stale: Apply must only write what was shown."""
    st.session_state.pop(PREVIEW, None)


def _preview(make: Any) -> None:
    try:
        st.session_state[PREVIEW] = make()
    except InputError as error:
        st.session_state.pop(PREVIEW, None)
        show_problems("Refused", error)


def _swap_tab(scenario: Scenario, roster: list[PlannedVisit], visit: PlannedVisit) -> None:
    """Pick another visit of the week; the service checks every rule on the preview."""
    names = {s.school_id: s.name for s in scenario.schools}
    techs = {t.technician_id: t.name for t in scenario.technicians}
    others = {v.visit_id: v for v in swap_candidates(roster, visit)}
    what = st.radio(
        "Swap", list(SWAP_WHAT), format_func=SWAP_WHAT.__getitem__, key="board_swap_what",
        on_change=_drop_preview,
    )  # fmt: skip
    other = st.selectbox(
        SWAP_WITH,
        list(others),
        index=None,
        format_func=lambda vid: visit_label(others[vid], names, techs),
        placeholder="Type a school or technician",
        key="board_swap_with",
        on_change=_drop_preview,
    )
    if st.button("Preview swap", key="board_preview_swap", disabled=other is None) and other:
        _preview(lambda: visits.swap(engine(), visit.visit_id, other, what=what or "technician"))


@st.dialog("Visits in this slot", width="large", on_dismiss=_close)
def _visit_dialog(scenario: Scenario, grid: BoardGrid, roster: list[PlannedVisit]) -> None:
    tech_id, day_text, window = st.session_state[OPEN]
    cell = Cell(tech_id, date.fromisoformat(day_text), window)
    found = grid.visits.get(cell, [])
    tech = scenario.technician(tech_id)
    st.write(f"**{tech.name}**, {cell.day:%A %d %B %Y}, {window}")
    if not found:
        st.info("No visit in this slot. Pick a cell with a visit.")
        return
    names = {s.school_id: s.name for s in scenario.schools}
    by_id = {v.visit_id: v for v in found}
    chosen_id = st.radio(
        "Visit",
        list(by_id),
        format_func=lambda vid: _describe(by_id[vid], names),
        key="board_visit",
    )
    visit = by_id[chosen_id or found[0].visit_id]
    st.caption(
        f"{visit.visit_id} · contract {visit.contract_id} · {visit.start:%H:%M}–{visit.end:%H:%M}"
    )

    lock_label = "Unlock" if visit.locked else "Lock"
    if st.button(lock_label, key="board_lock"):
        action = visits.unlock if visit.locked else visits.lock
        try:
            action(engine(), visit.visit_id, apply=True)
        except InputError as error:
            show_problems("Refused", error)
        else:
            _applied(f"{lock_label}ed {visit.visit_id}")

    if visit.locked:
        st.info("A locked visit cannot be moved or cancelled: unlock it first.")
    else:
        move_tab, swap_tab, cancel_tab = st.tabs(["Move", "Swap", "Cancel"])
        with move_tab:
            to_day = st.date_input("Day", value=visit.date, key="board_move_day")
            windows = _windows_for(scenario, visit)
            to_window = st.selectbox(
                "Window",
                windows,
                index=windows.index(visit.window) if visit.window in windows else 0,
                key="board_move_window",
            )
            tech_ids = [t.technician_id for t in scenario.technicians]
            to_tech = st.selectbox(
                "Technician",
                tech_ids,
                index=tech_ids.index(visit.technician_id),
                format_func=lambda tid: scenario.technician(tid).name,
                key="board_move_tech",
            )
            if st.button("Preview move", key="board_preview_move"):
                _preview(
                    lambda: visits.move(
                        engine(),
                        visit.visit_id,
                        to_date=to_day,
                        window=to_window,
                        technician_id=to_tech,
                    )
                )
        with swap_tab:
            _swap_tab(scenario, roster, visit)
        with cancel_tab:
            by = st.radio(
                "Cancelled by", ["provider", "school"], key="board_cancel_by", horizontal=True
            )
            reason = st.text_input("Reason", key="board_cancel_reason")
            if st.button("Preview cancellation", key="board_preview_cancel"):
                _preview(
                    lambda: disruption.cancel(
                        engine(), visit.visit_id, by=by, reason=reason, params=CANCEL_PARAMS
                    )
                )

    diff = st.session_state.get(PREVIEW)
    if diff is not None:
        st.markdown("**Preview**")
        st.code("\n".join(diff.lines()), language=None)
        if not diff.is_empty and st.button("Apply", type="primary", key="board_apply"):
            try:
                visits.apply_diff(engine(), diff)
            except InputError as error:
                show_problems("Not applied", error)
            else:
                _applied(f"Applied: {diff.action} {diff.subject}")


def _route_map(scenario: Scenario, roster: list[PlannedVisit], days: list[date]) -> None:
    """A technician's day on a map: straight legs home -> stops in window order -> home."""
    st.subheader("Route of a technician's day")
    techs = sorted(scenario.technicians, key=lambda t: t.name)
    left, right = st.columns(2)
    tech_id = left.selectbox(
        "Technician",
        [t.technician_id for t in techs],
        format_func=lambda tid: scenario.technician(tid).name,
        key="board_route_tech",
    )
    day = right.selectbox("Day", days, format_func=lambda d: f"{d:%a %d %b}", key="board_route_day")
    if tech_id is None or day is None:
        return
    stops = day_route(scenario, roster, tech_id, day)
    if len(stops) <= 2:
        st.caption("No visits that day.")
    # On demand: the map is redrawn on every grid click, and WebGL without a GPU (headless,
    # thin clients) made a click take 1-5 s instead of ~0.6 s in the browser benchmark.
    if not st.toggle("Show on a map", key="board_route_on"):
        st.dataframe(stops[["stop", "name"]], hide_index=True, key="board_route_stops")
        return
    path = [{"name": "route", "path": stops[["lon", "lat"]].values.tolist()}]
    layers = [
        pdk.Layer(
            "PathLayer",
            id="route_path",
            data=path,
            get_path="path",
            get_color=[30, 110, 200, 200],
            get_width=4,
            width_units=pdk.types.String("pixels"),
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="route_stops",
            data=stops,
            get_position=["lon", "lat"],
            get_fill_color=[220, 90, 30, 230],
            get_radius=8,
            radius_units=pdk.types.String("pixels"),
            pickable=True,
        ),
        pdk.Layer(
            "TextLayer",
            id="route_numbers",
            data=stops[stops["stop"] != "home"],
            get_position=["lon", "lat"],
            get_text="stop",
            get_size=16,
            get_pixel_offset=[0, -18],
        ),
    ]
    view = pdk.ViewState(
        latitude=float(stops["lat"].mean()), longitude=float(stops["lon"].mean()), zoom=10
    )
    map_chart(layers, view, key="board_route_map")
    st.dataframe(stops[["stop", "name"]], hide_index=True, key="board_route_stops")


@st.fragment
def _board(scenario: Scenario, roster: list[PlannedVisit], week: date, filters: dict) -> None:
    """Grid + dialog + map rerun alone on a click (UI.md): the filters above stay put."""
    grid = board_grid(scenario, roster, week, **filters)
    event = st.dataframe(
        grid.styled(),
        selection_mode="single-cell",
        on_select="rerun",
        key="board_grid",
        row_height=ROW_HEIGHT,
        column_config={
            "_index": st.column_config.TextColumn(width=INDEX_WIDTH),
            **{c: st.column_config.TextColumn(width=COLUMN_WIDTH) for c in grid.columns},
        },
        width="stretch",
    )
    cells = [tuple(c) for c in event.selection.get("cells", [])]
    if cells != st.session_state.get(SEEN):
        st.session_state[SEEN] = cells
        st.session_state.pop(PREVIEW, None)
        if cells:
            found = grid.cell(int(cells[0][0]), str(cells[0][1]))
            if found is not None:
                st.session_state[OPEN] = (found.technician_id, found.day.isoformat(), found.window)
                st.session_state["board_route_tech"] = found.technician_id
                st.session_state["board_route_day"] = found.day
    legend = " · ".join(
        f"<span style='background:{colour};padding:0 6px'>{kind.value}</span>"
        for kind, colour in KIND_COLOUR.items()
    )
    st.caption(
        f"{legend} · marks: (M) make-up, (E) emergency, (D) dedicated, {LOCK_MARK.strip()} locked",
        unsafe_allow_html=True,
    )
    if st.session_state.get(OPEN):
        _visit_dialog(scenario, grid, roster)
    days = sorted({d for d, _ in grid.columns.values()})
    _route_map(scenario, roster, days)


scenario = book()
st.title("Board")
if not scenario.schools:
    st.info("The database is empty. Import a scenario on the Data page.")
    st.stop()
roster = plan()
if not roster:
    st.info("No planned visits yet. Run the planner on the Plan page.")
    st.stop()
notice = st.session_state.pop("board_notice", None)
if notice:
    st.success(notice)

weeks = weeks_with_visits(roster)
tech_names = {t.technician_id: t.name for t in scenario.technicians}
school_names = {s.school_id: s.name for s in scenario.schools}
regions, areas = region_choices(scenario)
top = st.columns([1, 2, 2, 2, 1])
week = top[0].selectbox(
    "Week of", weeks, format_func=lambda d: f"{d:%a %d %b %Y}", key="board_week"
)
tech_ids = top[1].multiselect(
    "Technicians",
    sorted(t.technician_id for t in scenario.technicians),
    format_func=tech_names.__getitem__,
    key="board_techs",
)
school_ids = top[2].multiselect(
    "Schools",
    sorted(s.school_id for s in scenario.schools),
    format_func=school_names.__getitem__,
    key="board_schools",
)
chosen_regions = top[3].multiselect("Region (term calendar)", regions, key="board_regions")
chosen_areas = top[4].multiselect("Postcode area", areas, key="board_areas")
shown_schools = wanted_schools(
    scenario, school_ids=school_ids, regions=chosen_regions, areas=chosen_areas
)
if shown_schools == set():
    st.warning("No school matches these filters.")
_board(
    scenario,
    roster,
    monday(week or weeks[0]),
    {"technician_ids": tech_ids or None, "school_ids": shown_schools},
)
counts = pd.Series([v.kind.value for v in roster if monday(v.date) == week]).value_counts()
st.caption("This week: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
