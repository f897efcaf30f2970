"""Plan: run the planner on a date range with live progress, cancel it, read what it did.

The solve runs in a spawned worker (scheduler.ui.plan_worker) and a fragment polls its
queue once a second, so this session and every other one stay responsive meanwhile.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from scheduler.services.dataset import database_url
from scheduler.ui.plan_worker import PlanJob
from scheduler.ui.state import book, invalidate, plan
from solver.solve import SolveParams

JOB = "plan_job"


def _default_range() -> tuple[date, date]:
    """The week after the last planned visit (or the coming week): what a dispatcher plans next."""
    roster = plan()
    start = max((v.date for v in roster), default=date.today()) + timedelta(days=1)
    start += timedelta(days=(7 - start.weekday()) % 7)
    return start, start + timedelta(days=4)


def _progress_table(job: PlanJob) -> None:
    last = job.progress[-1] if job.progress else None
    cols = st.columns(4)
    cols[0].metric("Phase", last["phase"] if last else "starting")
    cols[1].metric("Solutions", sum(1 for p in job.progress if p["solutions"]) if last else 0)
    cols[2].metric("Objective", f"{last['objective']:,.0f}" if last and last["objective"] else "–")
    cols[3].metric("Bound", f"{last['bound']:,.0f}" if last and last["bound"] else "–")
    if last:
        st.caption(f"{last['seconds']:.1f} s elapsed")


@st.fragment(run_every=1.0)
def _watch() -> None:
    """Polls the worker; when it ends, reruns the whole page to show the result."""
    job: PlanJob | None = st.session_state.get(JOB)
    if job is None or not job.running:
        return
    job.poll()
    st.subheader("Planning…")
    _progress_table(job)
    if st.button("Cancel", key="plan_cancel"):
        job.cancel()
        st.rerun(scope="app")
    if not job.running:
        invalidate()
        st.rerun(scope="app")


def _result(job: PlanJob) -> None:
    assert job.outcome is not None
    kind, payload = job.outcome
    if kind == "cancelled":
        st.warning("Cancelled: nothing was saved.")
        return
    if kind == "refused":
        st.error("The planner refused the request; nothing was saved.")
        st.dataframe(pd.DataFrame(payload), hide_index=True, key="plan_problems")
        return
    if kind == "failed":
        st.error(f"The planner failed: {payload}")
        return
    report = payload
    if report["saved"]:
        st.success(
            f"{report['status']}: {report['visits_planned']} visits planned and saved "
            f"in {report['solve_seconds']} s."
        )
    else:
        st.error("The plan broke a hard rule and was NOT saved: " + "; ".join(report["violations"]))
    cols = st.columns(4)
    cols[0].metric("Objective", f"{report['objective']:,}")
    cols[1].metric("Best bound", f"{report['best_bound']:,.0f}")
    cols[2].metric("Gap", f"{report['gap']:.1%}")
    cols[3].metric("Travel (min)", f"{report['travel_minutes']:,}")
    left, right = st.columns(2)
    with left:
        st.markdown("**Penalty terms**")
        terms = pd.DataFrame(sorted(report["terms"].items()), columns=["term", "value"])
        st.dataframe(terms, hide_index=True, key="plan_terms")
        st.markdown("**Against the previous plan of this range**")
        st.dataframe(pd.DataFrame([report["changes"]]), hide_index=True, key="plan_changes")
    with right:
        st.markdown("**Quality metrics**")
        metrics = pd.DataFrame(
            [(k, v) for k, v in report["metrics"].items()], columns=["metric", "value"]
        )
        st.dataframe(metrics.astype(str), hide_index=True, key="plan_metrics")
    st.markdown(f"**Unplaced visits** ({len(report['unplaced'])})")
    if report["unplaced"]:
        st.dataframe(pd.DataFrame(report["unplaced"]), hide_index=True, key="plan_unplaced")
    else:
        st.caption("Every owed visit of the range was placed.")
    for warning in report["warnings"]:
        st.warning(warning)


st.title("Plan")
scenario = book()
if not scenario.contracts:
    st.info("The database is empty. Import a scenario on the Data page.")
    st.stop()

job: PlanJob | None = st.session_state.get(JOB)
busy = job is not None and job.running
start, end = _default_range()
with st.form("plan_form"):
    cols = st.columns(4)
    date_from = cols[0].date_input("From", value=start, key="plan_from")
    date_to = cols[1].date_input("To", value=end, key="plan_to")
    time_limit = cols[2].number_input(
        "Time limit (s)", min_value=1, max_value=3600, value=30, key="plan_time_limit"
    )
    seed = cols[3].number_input("Seed", min_value=0, value=0, step=1, key="plan_seed")
    submitted = st.form_submit_button("Plan", type="primary", disabled=busy)
if submitted:
    if date_from > date_to:
        st.error(f"'From' ({date_from}) must be on or before 'To' ({date_to}); nothing was run.")
    else:
        params = SolveParams(time_limit=float(time_limit), seed=int(seed))
        st.session_state[JOB] = PlanJob.start(database_url(), date_from, date_to, params)
        st.rerun()

_watch()
job = st.session_state.get(JOB)
if job is not None and not job.running:
    _result(job)
