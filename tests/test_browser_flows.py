"""What a dispatcher and an account manager click, in Debian chromium: lock a visit on the
board and find it locked after a reload, swap two visits and find them swapped after one,
run the planner with live progress, download a statement. The same run saves the README's
screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scheduler.domain import VisitKind
from scheduler.errors import InputError
from scheduler.services import visits
from scheduler.services.dataset import load_book, open_database
from scheduler.services.planning import stored_roster
from scheduler.ui.board_model import (
    COLUMN_WIDTH,
    INDEX_WIDTH,
    ROW_HEIGHT,
    SWAP_WITH,
    board_grid,
    visit_label,
)
from tests.support import ROOT, served_app

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def app(book_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A served app on a private copy of the planned example: (base URL, database URL)."""
    with served_app(book_url, tmp_path / "streamlit.log") as base:
        yield base, book_url


def _settled(page: Any) -> None:
    page.locator("[data-testid=stStatusWidget]").wait_for(state="detached", timeout=60_000)


def _open(browser: Any, url: str, heading: str) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    _settled(page)
    return page


def _shot(page: Any, name: str) -> None:
    """The top of the page as a user first sees it, once the canvas tables have drawn."""
    page.locator("[data-testid=stDataFrame] canvas").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)
    page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def _first_cell(url: str) -> tuple[str, str]:
    """Visit id and school name in the grid's first data cell: Technician 1, Mon 30 Nov AM."""
    engine = open_database(url)
    scenario = load_book(engine)
    first = min(scenario.technicians, key=lambda t: t.name)
    visit = next(
        v
        for v in stored_roster(engine, date(2026, 11, 30), date(2026, 11, 30))
        if v.technician_id == first.technician_id and v.window == "AM"
    )
    return visit.visit_id, scenario.school(visit.school_id).name


def _click_cell(page: Any, row: int = 0, column: int = 0) -> Any:
    """Click a data cell of the grid (first technician, Monday AM by default); its dialog."""
    canvas = page.locator("[data-testid=stDataFrame] canvas").first
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # let the canvas settle its column widths before clicking
    box = canvas.bounding_box()
    # The grid is a canvas: click the cell by its fixed row and column sizes.
    page.mouse.click(
        box["x"] + INDEX_WIDTH + COLUMN_WIDTH * (column + 0.5), box["y"] + ROW_HEIGHT * (row + 1.5)
    )
    dialog = page.get_by_role("dialog")
    dialog.wait_for(timeout=30_000)
    _settled(page)
    return dialog


def _roster(url: str) -> dict[str, Any]:
    return {v.visit_id: v for v in stored_roster(open_database(url), date.min, date.max)}


def test_lock_a_visit_on_the_board_and_see_it_after_reload(browser, app) -> None:
    base, url = app
    visit_id, school = _first_cell(url)
    page = _open(browser, f"{base}/board", "Board")
    cells = page.locator("[data-testid=stDataFrame] [role=gridcell]")
    cells.filter(has_text=school).first.wait_for(state="attached", timeout=30_000)
    dialog = _click_cell(page)
    # The dialog opens with its heading first and its visits a moment later (a clean-clone CI
    # run read the heading alone once): wait for the visit before reading the text.
    dialog.get_by_text(visit_id).first.wait_for(timeout=30_000)
    assert visit_id in dialog.inner_text()
    dialog.get_by_role("button", name="Lock").click()
    page.get_by_text(f"Locked {visit_id}").wait_for(timeout=30_000)
    _settled(page)
    assert {v.visit_id: v for v in stored_roster(open_database(url), date.min, date.max)}[
        visit_id
    ].locked

    page.reload(wait_until="domcontentloaded")
    page.get_by_role("heading", name="Board").wait_for(timeout=60_000)
    _settled(page)
    locked_cell = (
        page.locator("[data-testid=stDataFrame] [role=gridcell]")
        .filter(has_text=school)
        .filter(has_text="[L] ")
    )
    locked_cell.first.wait_for(state="attached", timeout=30_000)
    _shot(page, "board.png")


def _swap_pair(url: str) -> tuple[Any, Any, tuple[int, int], str]:
    """Two visits of Monday 30 Nov in the same window whose technicians the services let trade:
    the first, the second, the first's (row, column) on the grid, the second's swap label."""
    engine = open_database(url)
    scenario = load_book(engine)
    roster = stored_roster(engine, date(2026, 11, 30), date(2026, 12, 4))
    grid = board_grid(scenario, roster, date(2026, 11, 30))
    columns = list(grid.columns)
    monday = [v for v in roster if v.date == date(2026, 11, 30) and v.kind is VisitKind.SCHEDULED]

    def cell(visit: Any) -> tuple[int, int]:
        label = next(c for c, slot in grid.columns.items() if slot == (visit.date, visit.window))
        return grid.technician_ids.index(visit.technician_id), columns.index(label)

    for mine in sorted(monday, key=lambda v: cell(v)[::-1]):  # leftmost columns first
        for other in monday:
            if other.window != mine.window or other.technician_id == mine.technician_id:
                continue
            try:
                visits.swap(engine, mine.visit_id, other.visit_id)
            except InputError:
                continue
            schools = {s.school_id: s.name for s in scenario.schools}
            techs = {t.technician_id: t.name for t in scenario.technicians}
            return mine, other, cell(mine), visit_label(other, schools, techs)
    raise AssertionError("no two Monday visits in one window may trade technicians")


def test_swap_two_visits_on_the_board_and_see_it_after_reload(browser, app) -> None:
    base, url = app
    mine, other, (row, column), label = _swap_pair(url)
    before = _roster(url)
    page = _open(browser, f"{base}/board", "Board")
    dialog = _click_cell(page, row, column)
    choice = _describe(url, mine)
    if not dialog.get_by_role("radio", name=choice).is_checked():  # the cell may hold two
        dialog.get_by_text(choice, exact=True).click()
        _settled(page)
    dialog.get_by_role("tab", name="Swap").click()
    dialog.get_by_label(SWAP_WITH, exact=True).click()
    page.keyboard.type(label.split(" · ")[0])  # the list is long: filter it by the school
    page.get_by_role("option", name=label, exact=True).click()
    _settled(page)
    dialog.get_by_role("button", name="Preview swap").click()
    dialog.get_by_text(f"reassigned: {mine.visit_id}").wait_for(timeout=30_000)
    _settled(page)
    assert _roster(url) == before  # the preview wrote nothing
    dialog.get_by_role("button", name="Apply").click()
    page.get_by_text("Applied: swap").wait_for(timeout=30_000)
    _settled(page)
    after = _roster(url)
    assert after[mine.visit_id].technician_id == other.technician_id
    assert after[other.visit_id].technician_id == mine.technician_id

    page.reload(wait_until="domcontentloaded")
    page.get_by_role("heading", name="Board").wait_for(timeout=60_000)
    _settled(page)
    # The same cell (that technician, that slot) now holds the other school's visit.
    text = _click_cell(page, row, column).inner_text()
    assert other.visit_id in text and mine.visit_id not in text


def _describe(url: str, visit: Any) -> str:
    """The visit's choice in the dialog's radio: school and window."""
    return f"{load_book(open_database(url)).school(visit.school_id).name} {visit.window}"


def test_plan_a_week_with_live_progress(browser, app) -> None:
    base, url = app
    page = _open(browser, f"{base}/plan", "Plan")
    page.get_by_label("Time limit (s)").fill("4")
    page.get_by_role("button", name="Plan", exact=True).click()
    page.get_by_text("Planning…").wait_for(timeout=60_000)
    page.get_by_text("saved in").wait_for(timeout=120_000)
    _settled(page)
    assert page.get_by_text("Penalty terms").is_visible()
    assert stored_roster(open_database(url), date(2026, 12, 7), date(2026, 12, 11))
    _shot(page, "plan.png")


def test_download_a_statement(browser, app, tmp_path: Path) -> None:
    base, _ = app
    page = _open(browser, f"{base}/balances", "Balances")
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=30_000)
    _shot(page, "balances.png")
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("statement-S0001-")
    assert "Dartford Primary School 1" in saved.read_text()
