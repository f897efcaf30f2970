"""The planner in a child process, so a 60 s solve never blocks the app's other sessions.

Spawned (not forked: the parent runs Streamlit's threads and a live SQLAlchemy pool), it
opens its own engine, streams every Progress event through a queue and ends with one
("done", summary) or ("refused", problems) message. Terminating it saves nothing:
plan_stored writes the roster only after the solve, in one transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing as mp
import os
from datetime import date
from multiprocessing.process import BaseProcess
from queue import Empty
from typing import Any

from scheduler.errors import InputError
from scheduler.services.dataset import open_database
from scheduler.services.planning import plan_report, plan_stored, stored_roster
from solver.solve import Progress, SolveParams


def changes_against(before: list[Any], after: list[Any]) -> dict[str, int]:
    """How many visits of the range were kept, moved, added or dropped by the new plan."""
    old = {v.visit_id: (v.date, v.window, v.technician_id) for v in before}
    new = {v.visit_id: (v.date, v.window, v.technician_id) for v in after}
    return {
        "kept": sum(1 for k, slot in new.items() if old.get(k) == slot),
        "moved": sum(1 for k, slot in new.items() if k in old and old[k] != slot),
        "added": sum(1 for k in new if k not in old),
        "dropped": sum(1 for k in old if k not in new),
    }


WORKER_NICENESS = 19
"""How far below the app the solve runs for the CPU (19: the lowest priority; the kernel
clamps there): CP-SAT takes every core it is given, and on a 2-core server the pages of
every session would otherwise wait for it. Its searches stop on work, not on the clock, so
a few clicks only stretch its wall time; the time limit still caps it. Measured in the
browser benchmark during a 60 s solve: opening a page by URL at niceness 10 took up to 2.4 s."""


def _below_the_app(pid: int) -> None:
    """A background job yields the CPU to interactive work. Set by the parent right after the
    spawn, so the child's start-up imports (a second of CPU) already run below the app, and
    every thread CP-SAT starts later inherits it; a no-op where niceness does not exist."""
    with contextlib.suppress(AttributeError, OSError):
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, mine + WORKER_NICENESS)


def run(url: str, date_from: date, date_to: date, params: SolveParams, queue: Any) -> None:
    """Child entry point: plan the range against the stored book; report through `queue`."""
    try:
        engine = open_database(url)
        before = stored_roster(engine, date_from, date_to)
        outcome = plan_stored(
            engine,
            date_from,
            date_to,
            params,
            on_progress=lambda p: queue.put(("progress", dataclasses.asdict(p))),
        )
        summary = plan_report(outcome)
        summary["saved"] = outcome.ok
        summary["changes"] = changes_against(before, outcome.roster)
        summary["unplaced"] = [dataclasses.asdict(u) for u in outcome.unplaced]
        queue.put(("done", summary))
    except InputError as error:
        queue.put(("refused", [dataclasses.asdict(p) for p in error.problems]))
    except Exception as error:  # the parent must hear of any failure, not hang
        queue.put(("failed", f"{type(error).__name__}: {error}"))


@dataclasses.dataclass
class PlanJob:
    """A running (or finished) solve as the page keeps it in session_state."""

    process: BaseProcess
    queue: Any
    progress: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    outcome: tuple[str, Any] | None = None

    @classmethod
    def start(cls, url: str, date_from: date, date_to: date, params: SolveParams) -> PlanJob:
        context = mp.get_context("spawn")
        queue = context.Queue()
        process = context.Process(
            target=run, args=(url, date_from, date_to, params, queue), daemon=True
        )
        process.start()
        if process.pid is not None:
            _below_the_app(process.pid)
        return cls(process, queue)

    def poll(self) -> None:
        """Drain the queue; notice a child that died without a word."""
        while True:
            try:
                kind, payload = self.queue.get_nowait()
            except Empty:
                break
            if kind == "progress":
                self.progress.append(payload)
            else:
                self.outcome = (kind, payload)
        if self.outcome is None and not self.process.is_alive():
            try:
                kind, payload = self.queue.get(timeout=1)
                self.outcome = (kind, payload)
            except Empty:
                self.outcome = ("failed", f"the planner stopped (exit {self.process.exitcode})")

    @property
    def running(self) -> bool:
        return self.outcome is None

    def cancel(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        self.outcome = ("cancelled", None)


__all__ = ["PlanJob", "Progress", "changes_against", "run"]
