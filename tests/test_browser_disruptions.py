"""What a dispatcher clicks on the Disruptions page, in Debian chromium: report a sick
technician, preview, apply and find it after a reload; take an emergency callout, pick an
option, apply and see the school's balance debited. Saves docs/screenshots/disruptions.png."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scheduler.domain import VisitKind, VisitStatus
from scheduler.services.balances import balances
from scheduler.services.dataset import open_database
from scheduler.store.db import session_scope
from scheduler.store.repository import load_plan, load_scenario
from tests.support import ROOT, served_app

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "docs" / "screenshots"
SICK_DAY = date(2026, 12, 1)
AS_OF = date(2026, 12, 31)
REASON = "flu from the browser"


@pytest.fixture
def app(book_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A served app on a private copy of the planned example: (base URL, database URL)."""
    with served_app(book_url, tmp_path / "streamlit.log") as base:
        yield base, book_url


def _state(url: str):
    with session_scope(open_database(url)) as session:
        return load_scenario(session), load_plan(session)


def _settled(page: Any) -> None:
    page.locator("[data-testid=stStatusWidget]").wait_for(state="detached", timeout=60_000)


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Disruptions").wait_for(timeout=60_000)
    _settled(page)
    return page


def _choose(page: Any, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label` (a combobox in the browser)."""
    page.get_by_label(label, exact=True).first.click()
    page.keyboard.type(option)  # filters the (virtualised) list down to the option
    page.get_by_role("option", name=option, exact=True).click()
    _settled(page)


def _date(page: Any, label: str, day: date) -> None:
    """A date field of segments (year, month, day): type into the first, it moves on."""
    segments = page.get_by_label(label, exact=True).first.locator("[role=spinbutton]")
    segments.first.click()
    page.keyboard.type(f"{day:%Y%m%d}")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Disruptions").click()  # close any calendar popup
    _settled(page)
    assert segments.nth(0).inner_text() + segments.nth(1).inner_text() in (
        f"{day:%Y%m}",
        f"{day:%Y}{day.month}",
    ), [segments.nth(n).inner_text() for n in range(3)]


def _report(page: Any, tech: str) -> None:
    _choose(page, "Technician", tech)
    _date(page, "From", SICK_DAY)
    _date(page, "To", SICK_DAY)
    reason = page.get_by_label("Reason", exact=True)
    reason.fill(REASON)
    reason.press("Enter")
    _settled(page)
    page.get_by_role("button", name="Preview absence").click()
    page.get_by_role("heading", name="Preview").wait_for(timeout=60_000)
    _settled(page)


def test_report_a_sick_technician_and_find_it_after_reload(browser, app) -> None:
    base, url = app
    scenario, roster = _state(url)
    on_the_day = Counter(
        v.technician_id for v in roster if v.date == SICK_DAY and v.kind is VisitKind.SCHEDULED
    )
    tech_id = max(on_the_day, key=lambda t: (on_the_day[t], t))
    tech = scenario.technician(tech_id).name
    page = _open(browser, f"{base}/disruptions")
    _report(page, tech)
    page.get_by_role("heading", name="Preview").wait_for(timeout=60_000)
    _settled(page)
    page.get_by_role("button", name="Apply").wait_for(timeout=30_000)
    # The preview wrote nothing.
    assert _state(url) == (scenario, roster)
    page.locator("[data-testid=stDataFrame] canvas").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "disruptions.png"), full_page=True)

    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Applied: absence").wait_for(timeout=60_000)
    _settled(page)
    after, replanned = _state(url)
    assert any(lv.technician_id == tech_id and lv.reason == REASON for lv in after.leave)
    assert not [v for v in replanned if v.technician_id == tech_id and v.date == SICK_DAY]

    # After a reload (a new session), the same report is already in place: nothing to change.
    page.reload(wait_until="domcontentloaded")
    page.get_by_role("heading", name="Disruptions").wait_for(timeout=60_000)
    _settled(page)
    _report(page, tech)
    page.get_by_text("Nothing to change: already in place.").wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Apply").count() == 0
    assert _state(url) == (after, replanned)


def test_emergency_callout_debits_the_balance(browser, app) -> None:
    base, url = app
    scenario, roster = _state(url)
    school_id = next(
        v.school_id for v in roster if v.date > SICK_DAY and v.kind is VisitKind.SCHEDULED
    )
    contract = next(
        c.contract_id for c in scenario.contracts if c.school_id == school_id and c.is_scheduled
    )
    before = balances(scenario, roster, AS_OF).set_index("contract_id").loc[contract]
    page = _open(browser, f"{base}/disruptions")
    page.get_by_text("Emergency callout", exact=True).click()
    _settled(page)
    _choose(page, "School", scenario.school(school_id).name)
    _date(page, "Day", SICK_DAY)
    page.get_by_role("button", name="Find technicians").click()
    page.get_by_text("Ranked options").wait_for(timeout=60_000)
    _settled(page)
    page.get_by_role("button", name="Preview callout").click()
    page.get_by_role("heading", name="Preview").wait_for(timeout=60_000)
    _settled(page)
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Applied: emergency").wait_for(timeout=60_000)
    _settled(page)

    after, replanned = _state(url)
    assert any(
        h.contract_id == contract and h.status is VisitStatus.EMERGENCY for h in after.history
    )
    assert any(v.kind is VisitKind.EMERGENCY and v.school_id == school_id for v in replanned)
    now = balances(after, replanned, AS_OF).set_index("contract_id").loc[contract]
    assert now["emergency"] == before["emergency"] + 1
    assert now["owed"] == before["owed"]
