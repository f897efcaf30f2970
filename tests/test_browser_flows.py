"""What a dispatcher and an account manager click, in Debian chromium: lock a visit on the
board and find it locked after a reload, run the planner with live progress, download a
statement. The same run saves the README's screenshots."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scheduler.cli import main
from scheduler.services.dataset import load_book, open_database
from scheduler.services.planning import stored_roster
from scheduler.ui.board_model import COLUMN_WIDTH, INDEX_WIDTH, ROW_HEIGHT
from tests.support import EXAMPLE, ROOT, served_app

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def planned_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "planned.db"
    url = f"sqlite:///{path}"
    assert main(["import", str(EXAMPLE), "--db", url]) == 0
    args = ["plan", "--from", "2026-11-30", "--to", "2026-12-04", "--time-limit", "6"]
    assert main([*args, "--db", url]) == 0
    return path


@pytest.fixture
def app(planned_db: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A served app on a private copy of the planned example: (base URL, database URL)."""
    path = tmp_path / "book.db"
    with sqlite3.connect(planned_db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    url = f"sqlite:///{path}"
    with served_app(url, tmp_path / "streamlit.log") as base:
        yield base, url


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


def test_lock_a_visit_on_the_board_and_see_it_after_reload(browser, app) -> None:
    base, url = app
    visit_id, school = _first_cell(url)
    page = _open(browser, f"{base}/board", "Board")
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for(timeout=30_000)
    cells = page.locator("[data-testid=stDataFrame] [role=gridcell]")
    cells.filter(has_text=school).first.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(500)  # let the canvas settle its column widths before clicking
    box = page.locator("[data-testid=stDataFrame] canvas").first.bounding_box()
    # The grid is a canvas: click the first data cell by its fixed row and column sizes.
    page.mouse.click(box["x"] + INDEX_WIDTH + COLUMN_WIDTH / 2, box["y"] + ROW_HEIGHT * 1.5)
    dialog = page.get_by_role("dialog")
    dialog.wait_for(timeout=30_000)
    _settled(page)
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
