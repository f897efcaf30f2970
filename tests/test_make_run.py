"""`make run` from the README really serves the app: demo data in, HTTP 200 out."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from scheduler.services.dataset import load_book, open_database
from scheduler.services.planning import stored_roster
from tests.support import ROOT, free_port, stop, wait_for_http


def test_make_run_serves_the_app_on_the_demo(tmp_path: Path) -> None:
    port = free_port()
    db_url = f"sqlite:///{tmp_path / 'run.db'}"
    env = {**os.environ, "SCHEDULER_DB_URL": db_url}
    cmd = ["make", "run", f"PORT={port}", "DEMO_SCHOOLS=30", "PLAN_SECONDS=15",
           f"DEMO={tmp_path / 'demo'}"]  # fmt: skip
    with (tmp_path / "make.log").open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        try:
            assert "ok" in wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", 240, proc)
            page = wait_for_http(f"http://127.0.0.1:{port}/", 30, proc)
        finally:
            stop(proc)
    assert '<div id="root">' in page or "streamlit" in page.lower()
    engine = open_database(db_url)
    assert len(load_book(engine).schools) == 30
    planned = stored_roster(engine, date(2026, 11, 23), date(2027, 8, 31))
    assert len(planned) > 100, (tmp_path / "make.log").read_text()
