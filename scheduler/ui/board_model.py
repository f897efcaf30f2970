"""The board's frames, built from plain data so they are tested without Streamlit.

Kept apart from the page because building and styling the grid is the only slow-ish part
(~60 ms on a 40-technician week) and the cell -> visits mapping must be exact: a click
lands on a (row, column) pair and the dialog must list precisely that cell's visits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from scheduler.domain import DAY_WINDOW, PlannedVisit, Scenario, VisitKind

KIND_MARK = {
    VisitKind.SCHEDULED: "",
    VisitKind.MAKE_UP: "(M) ",
    VisitKind.EMERGENCY: "(E) ",
    VisitKind.DEDICATED: "(D) ",
}
"""Text marks, not emoji (headless chromium and some desktops draw emoji as boxes); put
before the name so a narrow, truncated cell still shows them."""
LOCK_MARK = "[L] "
KIND_COLOUR = {
    VisitKind.SCHEDULED: "#dbeafe",
    VisitKind.MAKE_UP: "#fef3c7",
    VisitKind.EMERGENCY: "#fecaca",
    VisitKind.DEDICATED: "#e9d5ff",
}
KIND_ORDER = (VisitKind.EMERGENCY, VisitKind.MAKE_UP, VisitKind.DEDICATED, VisitKind.SCHEDULED)
"""When a cell holds visits of several kinds, it takes the colour of the first here."""
WINDOW_ORDER = ("AM", "LUNCH", "PM", DAY_WINDOW)
ROW_HEIGHT = 36
COLUMN_WIDTH = 150
INDEX_WIDTH = 130
"""Fixed grid sizes (pixels), so a click on the canvas lands on a known cell."""


SWAP_WITH = "With visit (school · technician · day · window)"
"""The swap partner's field, named as `visit_label` writes each choice."""
NO_POSTCODE = "(no postcode)"
"""The postcode area of a school stored without a postcode, so it can still be picked."""


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_with_visits(plan: Iterable[PlannedVisit]) -> list[date]:
    """Mondays of the weeks that have planned visits, earliest first."""
    return sorted({monday(v.date) for v in plan})


@dataclass(frozen=True, slots=True)
class Cell:
    technician_id: str
    day: date
    window: str


@dataclass(slots=True)
class BoardGrid:
    """The grid as shown, plus what each position means."""

    text: pd.DataFrame
    kinds: pd.DataFrame
    technician_ids: list[str]
    columns: dict[str, tuple[date, str]]
    visits: dict[Cell, list[PlannedVisit]]

    def cell(self, row: int, column: str) -> Cell | None:
        if not 0 <= row < len(self.technician_ids) or column not in self.columns:
            return None
        day, window = self.columns[column]
        return Cell(self.technician_ids[row], day, window)

    def styled(self) -> pd.io.formats.style.Styler:
        """Background by the cell's kind: a dispatcher spots make-ups and callouts at a glance."""
        colours = self.kinds.map(lambda k: f"background-color: {KIND_COLOUR[k]}" if k else "")
        return self.text.style.apply(lambda _: colours, axis=None)


def column_label(day: date, window: str) -> str:
    return f"{day:%a %d %b} {window}"


def visit_text(visit: PlannedVisit, school_names: dict[str, str]) -> str:
    name = school_names.get(visit.school_id, visit.school_id)
    return f"{LOCK_MARK if visit.locked else ''}{KIND_MARK[visit.kind]}{name}"


def board_grid(
    scenario: Scenario,
    plan: Sequence[PlannedVisit],
    week: date,
    *,
    technician_ids: Sequence[str] | None = None,
    school_ids: Collection[str] | None = None,
) -> BoardGrid:
    """Rows = technicians (filtered), columns = Mon..Fri x the windows used that week.

    `school_ids` None shows every school's visits; an empty collection shows none (filters
    that no school matches).
    """
    first = monday(week)
    days = [first + timedelta(days=n) for n in range(5)]
    wanted_schools = set(school_ids) if school_ids is not None else None
    techs = [
        t
        for t in sorted(scenario.technicians, key=lambda t: t.name)
        if not technician_ids or t.technician_id in technician_ids
    ]
    in_week = [
        v
        for v in plan
        if first <= v.date < first + timedelta(days=5)
        and (wanted_schools is None or v.school_id in wanted_schools)
    ]
    used = {v.window for v in in_week} or {"AM", "PM"}
    windows = [w for w in WINDOW_ORDER if w in used] + sorted(used - set(WINDOW_ORDER))
    columns = {column_label(d, w): (d, w) for d in days for w in windows}
    cells: dict[Cell, list[PlannedVisit]] = defaultdict(list)
    for visit in sorted(in_week, key=lambda v: (v.start, v.school_id)):
        cells[Cell(visit.technician_id, visit.date, visit.window)].append(visit)
    names = {s.school_id: s.name for s in scenario.schools}
    text_rows, kind_rows = [], []
    for tech in techs:
        text_row, kind_row = [], []
        for day, window in columns.values():
            found = cells.get(Cell(tech.technician_id, day, window), [])
            text_row.append(" | ".join(visit_text(v, names) for v in found))
            kinds = {v.kind for v in found}
            kind_row.append(next((k for k in KIND_ORDER if k in kinds), ""))
        text_rows.append(text_row)
        kind_rows.append(kind_row)
    index = pd.Index([t.name for t in techs], name="Technician")
    return BoardGrid(
        text=pd.DataFrame(text_rows, index=index, columns=list(columns), dtype=object),
        kinds=pd.DataFrame(kind_rows, index=index, columns=list(columns), dtype=object),
        technician_ids=[t.technician_id for t in techs],
        columns=columns,
        visits=dict(cells),
    )


def postcode_area(postcode: str) -> str:
    """The postcode's leading letters (ME, CT, B): the area a dispatcher knows by heart."""
    found = re.match(r"\s*([A-Za-z]{1,2})(?=\d)", postcode)
    return found.group(1).upper() if found else NO_POSTCODE


def region_choices(scenario: Scenario) -> tuple[list[str], list[str]]:
    """The term calendars (our regions: schools carry no region) and postcode areas in use."""
    regions = sorted({s.term_calendar for s in scenario.schools})
    areas = sorted({postcode_area(s.postcode) for s in scenario.schools})
    return regions, areas


def wanted_schools(
    scenario: Scenario,
    *,
    school_ids: Collection[str] = (),
    regions: Collection[str] = (),
    areas: Collection[str] = (),
) -> set[str] | None:
    """Schools every chosen filter allows (filters left empty allow all); None when no filter
    is set, so the board need not test each visit."""
    if not (school_ids or regions or areas):
        return None
    return {
        s.school_id
        for s in scenario.schools
        if (not school_ids or s.school_id in school_ids)
        and (not regions or s.term_calendar in regions)
        and (not areas or postcode_area(s.postcode) in areas)
    }


def swap_candidates(plan: Iterable[PlannedVisit], visit: PlannedVisit) -> list[PlannedVisit]:
    """The other visits of the visit's week, by day, window and technician: a swap partner
    is nearly always nearby in time, and a week keeps the list short enough to scan."""
    first = monday(visit.date)
    return sorted(
        (
            v
            for v in plan
            if first <= v.date < first + timedelta(days=7) and v.visit_id != visit.visit_id
        ),
        key=lambda v: (v.date, _window_rank(v.window), v.technician_id, v.school_id),
    )


def _window_rank(window: str) -> int:
    return WINDOW_ORDER.index(window) if window in WINDOW_ORDER else len(WINDOW_ORDER)


def visit_label(
    visit: PlannedVisit, school_names: dict[str, str], tech_names: dict[str, str]
) -> str:
    """School / technician / day / window, as a dispatcher names a visit; [L] when locked."""
    return (
        f"{LOCK_MARK if visit.locked else ''}{school_names.get(visit.school_id, visit.school_id)}"
        f" · {tech_names.get(visit.technician_id, visit.technician_id)}"
        f" · {visit.date:%a %d %b} · {visit.window}"
    )


def day_route(
    scenario: Scenario, plan: Sequence[PlannedVisit], technician_id: str, day: date
) -> pd.DataFrame:
    """The technician's day as stops in window order, home first and last (straight legs).

    A stop names its window with its times: "Dover Secondary School 13 PM" read as 1 pm.
    """
    tech = scenario.technician(technician_id)
    schools = {s.school_id: s for s in scenario.schools}
    visits = sorted(
        (v for v in plan if v.technician_id == technician_id and v.date == day),
        key=lambda v: (v.start, v.end),
    )
    rows = [{"stop": "home", "name": f"{tech.name} (home)", "lat": tech.lat, "lon": tech.lon}]
    for n, visit in enumerate(visits, start=1):
        school = schools[visit.school_id]
        hours = f"{visit.start:%H:%M}–{visit.end:%H:%M}"
        rows.append(
            {
                "stop": str(n),
                "name": f"{n}. {school.name} · {visit.window} {hours}",
                "lat": school.lat,
                "lon": school.lon,
            }
        )
    rows.append({"stop": "home", "name": f"{tech.name} (home)", "lat": tech.lat, "lon": tech.lon})
    return pd.DataFrame(rows)
