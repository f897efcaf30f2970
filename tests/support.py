"""Helpers for tests that run the real app: free ports, a served Streamlit, a real browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> str:
    """Poll until the URL answers 200; fail early if the serving process died."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return response.read().decode()
        except OSError as error:
            last = error
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the whole process group (make -> streamlit) so no server outlives the test."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def served_app(db_url: str, log: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port against `db_url`; yields the base URL."""
    port = free_port()
    env = {**os.environ, "SCHEDULER_DB_URL": db_url, "SCHEDULER_MAP_TILES": "off"}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(base + "/_stcore/health", 90, proc)
            yield base
        finally:
            stop(proc)


EXAMPLE = ROOT / "tests" / "fixtures" / "example"
"""A copy of the spec's example scenario (../shared/spec/example), so a clean clone tests alone."""
