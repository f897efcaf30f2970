"""`make bench` case `browser`: the app timed in Debian chromium on the 300-school demo (issue 7).

The real app (`streamlit run app.py`, headless, on a free port) serves a copy of the planned
300-school demo of the operations case; Playwright drives Debian chromium and measures, in
the browser: every page's first render (≤ 2 s), opened by its URL (a new session: the
frontend loads, connects and runs the page) and switched to from the sidebar (the same
session, as a dispatcher moves around); a dispatcher's clicks (≤ 1 s); an absence preview
(a re-plan, reported apart); and the same renders while the Plan page runs a 60 s solve of
the rest of the year in its worker process.

Times are taken inside the page: an init script notes, with `performance.now()`, each
script run's start and end message as the page receives it. A measurement runs from
navigation start (a URL) or from just before the decisive click to the first animation
frame at which the last run begun since has ended, Streamlit shows it as not running, the
status widget is gone, the page's heading (or the awaited element) is drawn and so is every
table, chart and map on it (no loading skeleton left); Playwright's polling and round trips
are not counted. The browser keeps one profile (HTTP cache) for the whole case, as a
dispatcher's browser would.

    python -m benchmarks.run --only browser
    BENCH_BROWSER_DB=/path/ops.db python -m benchmarks.run --case browser   # reuse a planned book
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.run import PLAN_FROM, PLAN_TO, _peak_mb, _percentile, planned_demo
from tests.support import CHROMIUM, CHROMIUM_ARGS, free_port, served_app, stop, wait_for_http

REPEATS = 3
PAGE_TARGET = 2.0
CLICK_TARGET = 1.0
SOLVE_SECONDS = 60
THINK_SECONDS = 2
"""A dispatcher's pause between actions while the solve runs."""
PAGES = {
    "Overview": "",
    "Board": "board",
    "Disruptions": "disruptions",
    "Plan": "plan",
    "Balances": "balances",
    "SLA": "sla",
    "Audit": "audit",
    "Data": "data",
}
"""Title (the page's h1) -> URL path, in the app's navigation order."""
DURING_SOLVE = ("Board", "Balances", "Overview", "Disruptions", "SLA", "Audit")
WEEKS = (date(2026, 11, 30), date(2026, 12, 7))
"""Two planned weeks the board's week filter flips between (the demo plans from 23 Nov)."""
SICK_DAY = date(2026, 12, 2)
VIEWPORT = {"width": 1600, "height": 1100}
TIMEOUT_MS = 120_000
SWAP_SHOWN = "[role=dialog] [data-testid=stCode], [role=dialog] [data-testid=stAlert]"
"""The swap's preview, or its refusal: either is the answer the dispatcher waits for."""

WATCH_RUNS = """
window.__runs = [];
const fields = (data) => {
  const b = new Uint8Array(data);
  let i = 0;
  const varint = () => {
    let value = 0, shift = 0, byte;
    do { byte = b[i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return value;
  };
  const found = [];
  while (i < b.length) {
    const key = varint(), field = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) found.push([field, varint()]);
    else if (wire === 2) { const size = varint(); found.push([field, null]); i += size; }
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else break;
  }
  return found;
};
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new Native(...args);
  socket.addEventListener('message', (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    for (const [field, value] of fields(event.data)) {
      if (field === 4) window.__runs.push(['started', performance.now()]);
      if (field === 6) window.__runs.push([value === 2 ? 'rerun' : 'finished', performance.now()]);
    }
  });
  return socket;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, Native);
"""
"""Every script run's start (ForwardMsg.new_session, field 4) and end (script_finished, field
6; 2 = ended early for a rerun) as the page receives it, in ms since navigation start. Read
from the messages, not the DOM: when the main thread is busy, React may render a whole run
at once and the DOM's script-run state never shows it running."""

FINISHED = """
([t0, heading, selector]) => {
  const runs = window.__runs.filter(([, at]) => at >= t0);
  if (!runs.length || runs[runs.length - 1][0] !== 'finished') return false;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const drawn = (testid, inner) => [...document.querySelectorAll(`[data-testid="${testid}"]`)]
    .every((element) => element.querySelector(inner));
  if (!drawn('stDataFrame', 'canvas') || !drawn('stVegaLiteChart', 'canvas, svg')
      || !drawn('stDeckGlJsonChart', 'canvas')) return false;
  const titles = [...document.querySelectorAll('h1')].map((h) => h.textContent.trim());
  if (heading && !titles.includes(heading)) return false;
  if (selector && !document.querySelector(selector)) return false;
  return performance.now();
}
"""
"""When the last run begun after t0 has finished and its page is drawn (ms since navigation
start); polled every animation frame. Drawn means its content too: tables, charts and maps are
loaded lazily and show a skeleton first, and at the moment the heading is drawn none of them
is (probed on every page); a click then would wait for them."""


def _finished(
    page: Any, t0: float, heading: str | None = None, selector: str | None = None
) -> float:
    """Seconds from t0 (ms since navigation start) until the run it caused is drawn."""
    done = page.wait_for_function(
        FINISHED, arg=[t0, heading, selector], polling="raf", timeout=TIMEOUT_MS
    )
    return (done.json_value() - t0) / 1000


def _now(page: Any) -> float:
    return page.evaluate("performance.now()")


def _settle(page: Any) -> None:
    """After an untimed step: let any run it caused start, then finish."""
    page.wait_for_timeout(300)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="detached", timeout=TIMEOUT_MS)


def open_url(context: Any, base: str, title: str, path: str | None = None) -> float:
    """A page opened by its URL in a new tab: navigation start to the first run drawn."""
    page = context.new_page()
    try:
        page.add_init_script(WATCH_RUNS)
        page.goto(f"{base}/{PAGES[title] if path is None else path}", wait_until="commit")
        return _finished(page, 0, title)
    finally:
        page.close()


@contextmanager
def served_empty_page(folder: Path) -> Iterator[str]:
    """A one-heading Streamlit app on a free port: what any page costs here before its own
    content (the frontend's load, the session, one run)."""
    script = folder / "empty.py"
    script.write_text('import streamlit as st\n\nst.title("Empty")\n')
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with (folder / "empty.log").open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/_stcore/health", 90, proc)
            yield base
        finally:
            stop(proc)


@contextmanager
def opened(context: Any, base: str, title: str) -> Iterator[Any]:
    page = context.new_page()
    try:
        page.add_init_script(WATCH_RUNS)
        page.goto(f"{base}/{PAGES[title]}", wait_until="commit")
        _finished(page, 0, title)
        yield page
    finally:
        page.close()


def switch(page: Any, title: str) -> float:
    """A click on the page's link in the sidebar: the session and the frontend stay."""
    link = page.locator("[data-testid=stSidebarNavLink]", has_text=title).first
    t0 = _now(page)
    link.click()
    return _finished(page, t0, title)


def _pick(page: Any, label: str, option: str, selector: str | None = None) -> float:
    """Choose `option` in the select labelled `label`; timed from the option's click."""
    page.get_by_label(label, exact=True).first.click()
    page.keyboard.type(option)  # the list is virtualised: filter it down to the option
    choice = page.get_by_role("option", name=option, exact=True)
    choice.wait_for(timeout=10_000)
    t0 = _now(page)
    choice.click()
    seconds = _finished(page, t0, None, selector)
    page.keyboard.press("Escape")  # a multiselect stays open
    return seconds


def _click(page: Any, locator: Any, selector: str | None = None) -> float:
    t0 = _now(page)
    locator.click()
    return _finished(page, t0, None, selector)


def _date(page: Any, label: str, day: date, scope: Any = None) -> None:
    """Type a day into a segmented date field (year, month, day), then leave it."""
    segments = (scope or page).get_by_label(label, exact=True).first.locator("[role=spinbutton]")
    segments.first.click()
    page.keyboard.type(f"{day:%Y%m%d}")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")


def _week(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def page_switches(context: Any, base: str) -> dict[str, list[float]]:
    """Every page reached from the sidebar, REPEATS rounds through the navigation."""
    found: dict[str, list[float]] = {title: [] for title in PAGES}
    with opened(context, base, "Data") as page:
        for _ in range(REPEATS):
            for title in PAGES:
                found[title].append(switch(page, title))
    return found


def board_clicks(
    context: Any, base: str, tech_names: list[str], cells: list[tuple[int, int]]
) -> dict[str, list[float]]:
    """Week, technician and region filters; a cell click that opens the visit dialog; a swap
    preview in that dialog."""
    from scheduler.ui.board_model import COLUMN_WIDTH, INDEX_WIDTH, ROW_HEIGHT, SWAP_WITH

    found: dict[str, list[float]] = {
        "board: change the week": [],
        "board: add a technician to the filter": [],
        "board: pick a region (term calendar)": [],
        "board: click a cell, visit dialog drawn": [],
        "board: preview a swap (the service checks every rule)": [],
    }
    with opened(context, base, "Board") as page:
        for n in range(REPEATS):
            found["board: change the week"].append(
                _pick(page, "Week of", _week(WEEKS[(n + 1) % 2]))
            )
        for name in tech_names[:REPEATS]:
            found["board: add a technician to the filter"].append(_pick(page, "Technicians", name))
        for region in ("KENT", "KENT-ACADEMY-A", "KENT-ACADEMY-B")[:REPEATS]:
            found["board: pick a region (term calendar)"].append(
                _pick(page, "Region (term calendar)", region)
            )
    for n, (row, column) in enumerate(cells[:REPEATS]):
        # A fresh session each time: a click right after a dialog closes may not reach the grid.
        with opened(context, base, "Board") as page:
            canvas = page.locator("[data-testid=stDataFrame] canvas").first
            canvas.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(500)  # the canvas settles its column widths
            box = canvas.bounding_box()
            t0 = _now(page)
            page.mouse.click(
                box["x"] + INDEX_WIDTH + COLUMN_WIDTH * (column + 0.5),
                box["y"] + ROW_HEIGHT * (row + 1.5),
            )
            found["board: click a cell, visit dialog drawn"].append(
                _finished(page, t0, None, "[role=dialog]")
            )
            dialog = page.get_by_role("dialog")
            swap_tab = dialog.get_by_role("tab", name="Swap")
            if not swap_tab.count():
                continue  # an empty or locked slot: nothing to swap
            swap_tab.click()
            dialog.get_by_label(SWAP_WITH, exact=True).click()
            page.get_by_role("option").nth(n).click()
            _settle(page)
            found["board: preview a swap (the service checks every rule)"].append(
                _click(page, dialog.get_by_role("button", name="Preview swap"), SWAP_SHOWN)
            )
    return found


def balances_clicks(context: Any, base: str) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"balances: toggle 'At risk only'": []}
    with opened(context, base, "Balances") as page:
        box = page.get_by_text("At risk only", exact=True)
        for _ in range(REPEATS):
            found["balances: toggle 'At risk only'"].append(_click(page, box))
    return found


def absence_previews(context: Any, base: str, tech_names: list[str]) -> list[float]:
    """A technician sick for a day: from the Preview click to the preview drawn (a re-plan)."""
    times = []
    with opened(context, base, "Disruptions") as page:
        _date(page, "From", SICK_DAY)
        _settle(page)
        _date(page, "To", SICK_DAY)
        _settle(page)
        # A pick of the technician already selected (the first by name) runs nothing: start
        # from one that is neither that one nor any of those timed.
        chosen = tech_names[:REPEATS]
        _pick(page, "Technician", next(n for n in sorted(tech_names)[1:] if n not in chosen))
        for name in chosen:
            _pick(page, "Technician", name)
            button = page.get_by_role("button", name="Preview absence")
            times.append(_click(page, button, "[data-testid=stHeading] #preview"))
    return times


def during_solve(context: Any, base: str) -> dict[str, Any]:
    """Start a 60 s plan of the rest of the year on the Plan page; meanwhile, in a second
    session, switch pages, open pages by URL and click, timing each, until it is saved.

    A dispatcher reads between clicks: THINK_SECONDS pass after each action. Back-to-back
    clicks for minutes would measure a load no user makes and starve the solve, which runs
    below the app (plan_worker.WORKER_NICENESS)."""
    plan_page = context.new_page()
    plan_page.add_init_script(WATCH_RUNS)
    plan_page.goto(f"{base}/plan", wait_until="commit")
    _finished(plan_page, 0, "Plan")
    form = plan_page.locator("[data-testid=stForm]")
    _date(plan_page, "From", PLAN_FROM, form)
    _date(plan_page, "To", PLAN_TO, form)
    plan_page.get_by_label("Time limit (s)").fill(str(SOLVE_SECONDS))
    plan_page.get_by_label("Time limit (s)").press("Tab")
    started = time.perf_counter()
    plan_page.get_by_role("button", name="Plan", exact=True).click()
    plan_page.get_by_text("Planning…").wait_for(timeout=TIMEOUT_MS)

    found: dict[str, list[float]] = {"switch": [], "url": [], "click": []}

    def timed(kind: str, seconds: float) -> None:
        found[kind].append(seconds)
        plan_page.wait_for_timeout(THINK_SECONDS * 1000)

    outcome = "running"
    with opened(context, base, "Overview") as page:
        n = 0
        while outcome == "running":
            title = DURING_SOLVE[n % len(DURING_SOLVE)]
            timed("switch", switch(page, title))
            if title == "Board":
                timed("click", _pick(page, "Week of", _week(WEEKS[n % 2])))
            if title == "Balances":
                timed("click", _click(page, page.get_by_text("At risk only", exact=True)))
            if n % 3 == 2:
                timed("url", open_url(context, base, DURING_SOLVE[(n + 1) % len(DURING_SOLVE)]))
            n += 1
            if plan_page.get_by_text("saved in").count():
                outcome = "saved"
            elif plan_page.get_by_text("NOT saved").count():
                outcome = "not saved"
            elif plan_page.get_by_text("The planner failed").count():
                outcome = "failed"
            elif time.perf_counter() - started > SOLVE_SECONDS * 5:
                outcome = "still running after 5 minutes"
    seconds = time.perf_counter() - started
    plan_page.close()
    return {"times": found, "outcome": outcome, "seconds": round(seconds, 1)}


def _stats(times: list[float]) -> dict[str, float]:
    return {
        "runs": len(times),
        "p50": round(_percentile(times, 0.5), 2),
        "p95": round(_percentile(times, 0.95), 2),
        "max": round(max(times), 2),
    }


def _served_book(folder: Path) -> str:
    """A planned 300-school book in `folder`: BENCH_BROWSER_DB's copy, else built afresh."""
    given = os.environ.get("BENCH_BROWSER_DB")
    target = folder / "app.db"
    if given:
        with sqlite3.connect(given) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    else:
        planned_demo(folder).dispose()
        shutil.move(folder / "ops.db", target)
    return f"sqlite:///{target}"


def _busiest(url: str) -> list[str]:
    """Technicians' names, most visits on SICK_DAY first: a sick day that moves work."""
    from scheduler.services.dataset import load_book, open_database
    from scheduler.services.planning import stored_roster

    engine = open_database(url)
    names = {t.technician_id: t.name for t in load_book(engine).technicians}
    load = Counter(v.technician_id for v in stored_roster(engine, SICK_DAY, SICK_DAY))
    engine.dispose()
    return [names[t] for t in sorted(names, key=lambda t: (-load[t], names[t]))]


def _cells_with_visits(url: str) -> list[tuple[int, int]]:
    """(row, column) of board cells holding an unlocked visit in the week the board opens on,
    within the first rows and columns (drawn without scrolling), in reading order."""
    from scheduler.services.dataset import load_book, open_database
    from scheduler.services.planning import stored_roster
    from scheduler.ui.board_model import Cell, board_grid, weeks_with_visits

    engine = open_database(url)
    roster = stored_roster(engine, date.min, date.max)
    grid = board_grid(load_book(engine), roster, weeks_with_visits(roster)[0])
    engine.dispose()
    columns = list(grid.columns)
    found = []
    for row, technician_id in enumerate(grid.technician_ids[:8]):
        for column, label in enumerate(columns[:6]):
            day, window = grid.columns[label]
            held = grid.visits.get(Cell(technician_id, day, window), [])
            if held and not any(v.locked for v in held):
                found.append((row, column))
    return found


def case_browser() -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, object]] = []

    def add(what: str, times: list[float], target: float | None) -> None:
        if times:
            rows.append({"what": what, **_stats(times), "target": target})
            print(f"{what}: {[round(t, 2) for t in times]}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        url = _served_book(Path(tmp))
        tech_names = _busiest(url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT)
            with served_empty_page(Path(tmp)) as empty:
                open_url(context, empty, "Empty", "")  # its first session compiles the page
                times = [open_url(context, empty, "Empty", "") for _ in range(REPEATS)]
                add("the floor: a one-heading Streamlit page by URL", times, None)
            with served_app(url, Path(tmp) / "streamlit.log") as base:
                _measure_app(context, base, url, tech_names, add)
            browser.close()
    return {
        "rows": rows,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "peak_mb": round(_peak_mb()),
    }


def _measure_app(
    context: Any, base: str, url: str, tech_names: list[str], add: Callable[..., None]
) -> None:
    add("cold start: Overview by URL, the server's first session", [
        open_url(context, base, "Overview")], None)  # fmt: skip
    for title in PAGES:
        times = [open_url(context, base, title) for _ in range(REPEATS)]
        add(f"open by URL: {title}", times, PAGE_TARGET)
    for title, times in page_switches(context, base).items():
        add(f"switch from the sidebar: {title}", times, PAGE_TARGET)
    cells = _cells_with_visits(url)
    for what, times in board_clicks(context, base, tech_names, cells).items():
        add(what, times, CLICK_TARGET)
    for what, times in balances_clicks(context, base).items():
        add(what, times, CLICK_TARGET)
    add(
        "disruptions: preview a sick day (a re-plan, reported apart)",
        absence_previews(context, base, tech_names),
        None,
    )
    solve = during_solve(context, base)
    during = f"during a {SOLVE_SECONDS} s solve:"
    add(f"{during} switch from the sidebar", solve["times"]["switch"], PAGE_TARGET)
    add(f"{during} open by URL", solve["times"]["url"], PAGE_TARGET)
    add(f"{during} board week, balances filter", solve["times"]["click"], CLICK_TARGET)
    add(
        f"the solve itself (Plan page, {PLAN_FROM}..{PLAN_TO}, {SOLVE_SECONDS} s limit): "
        f"{solve['outcome']}",
        [solve["seconds"]],
        None,
    )


def browser_table(result: dict[str, Any]) -> list[str]:
    """The case's figures as the README's table; a miss of its target is marked."""
    if "error" in result:
        return [
            "| app in the browser | error |",
            "|---|---|",
            f"| case failed | {result['error']} |",
        ]
    lines = [
        "| app in Debian chromium, 300-school demo | runs | p50 s | p95 s | max s | target |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        target = r["target"]
        shown = "" if target is None else f"≤ {target:g} s"
        if target is not None and r["max"] > target:
            shown += " **missed**"
        lines.append(
            f"| {r['what']} | {r['runs']} | {r['p50']} | {r['p95']} | {r['max']} | {shown} |"
        )
    first, last = result["load_average"]
    lines += ["", f"Load average (1 min) at the start and end of the case: {first}, {last}."]
    return lines
