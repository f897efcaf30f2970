"""SLA: compliance against each policy's target, and the tickets breached or about to be.

Read-only: every clock (working hours, pauses, policies) is computed in
scheduler.services.sla_report; this page only filters and draws.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from scheduler.domain import LONDON
from scheduler.services.sla_report import COMPLIANCE_GROUPS
from scheduler.ui.state import book, sla_tables

st.title("SLA")
scenario = book()
if not scenario.tickets:
    st.info("No tickets: the database is empty or its book has none. Import one on the Data page.")
    st.stop()

cols = st.columns([1, 1, 2, 1])
day = cols[0].date_input("As of (day)", value=datetime.now(LONDON).date(), key="sla_day")
moment = cols[1].time_input("Time", value=time(16, 30), key="sla_time")
groups = cols[2].multiselect(
    "Break down by", list(COMPLIANCE_GROUPS), default=["priority", "month"], key="sla_by"
)
soon_hours = cols[3].number_input(
    "About to breach within (h)", min_value=1, max_value=72, value=4, key="sla_soon"
)
as_of = datetime.combine(day, moment, tzinfo=LONDON)

table, rows = sla_tables(as_of, groups)
st.subheader("Compliance")
if table.empty:
    st.caption("No decided tickets yet.")
else:
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="sla_compliance",
        column_config={
            "share": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
            "target": st.column_config.NumberColumn(format="percent"),
        },
    )
    label = table[["policy", *groups]].astype(str).agg(" · ".join, axis=1)
    bars = (
        alt.Chart(table.assign(group=label))
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=None, sort=None),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            xOffset="measure:N",
            color=alt.Color("measure:N"),
            tooltip=[
                "group:N",
                "measure:N",
                "tickets:Q",
                "met:Q",
                alt.Tooltip("share:Q", format=".0%"),
            ],
        )
    )
    target = (
        alt.Chart(table.drop_duplicates("policy"))
        .mark_rule(color="#dc2626", strokeDash=[6, 4])
        .encode(y="target:Q", tooltip=["policy:N", alt.Tooltip("target:Q", format=".0%")])
    )
    st.altair_chart(
        alt.layer(bars, target).properties(height=280), width="stretch", key="sla_chart"
    )

names = {s.school_id: s.name for s in scenario.schools}
rows.insert(2, "school", rows["school_id"].map(names))
breached = rows[(rows["response_met"] == False) | (rows["resolution_met"] == False)]  # noqa: E712
horizon = pd.Timestamp(as_of + timedelta(hours=int(soon_hours)))
now = pd.Timestamp(as_of)
open_response = rows["responded_at"].isna() & rows["response_due"].between(now, horizon)
open_resolution = rows["resolved_at"].isna() & rows["resolution_due"].between(now, horizon)
soon = rows[(open_response | open_resolution) & ~rows.index.isin(breached.index)]

left, right = st.columns(2)
with left:
    st.subheader(f"Breached ({len(breached)})")
    st.dataframe(breached, hide_index=True, key="sla_breached")
with right:
    st.subheader(f"About to breach ({len(soon)})")
    st.dataframe(soon, hide_index=True, key="sla_soon_table")
