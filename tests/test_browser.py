"""What only a browser shows: the served app renders the book in Debian chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.cli import main
from tests.support import EXAMPLE, ROOT, served_app

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "docs" / "screenshots"


def test_overview_renders_map_and_contracts(browser, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'browser.db'}"
    assert main(["import", str(EXAMPLE), "--db", db_url]) == 0
    with served_app(db_url, tmp_path / "streamlit.log") as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base, wait_until="domcontentloaded")
        page.get_by_role("heading", name="Contracts").wait_for(timeout=60_000)
        page.locator("[data-testid=stStatusWidget]").wait_for(state="detached", timeout=60_000)
        assert page.get_by_text("Schools (blue)").is_visible()
        assert page.locator("[data-testid=stMetricValue]").first.inner_text() == "30"
        page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=30_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
