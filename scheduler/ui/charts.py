"""Altair charts built from service frames; no Streamlit here, so tests can read the spec."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd


def burndown_chart(frame: pd.DataFrame, title: str, period_end: date | None = None) -> alt.Chart:
    """Stacked area of cumulative consumed + planned, a dashed pace line, a rule at the bought
    number and (for one contract) at period end: whether the entitlement will be delivered
    in time is the gap between the area's top and the bought rule at the end rule."""
    data = frame.assign(week=pd.to_datetime(frame["week"]))
    long = data.melt(
        id_vars=["week"],
        value_vars=["consumed_to_date", "planned_to_date"],
        var_name="what",
        value_name="visits",
    )
    long["what"] = long["what"].map(
        {"consumed_to_date": "consumed", "planned_to_date": "planned (cumulative)"}
    )
    area = (
        alt.Chart(long)
        .mark_area(opacity=0.7)
        .encode(
            x=alt.X("week:T", title="week"),
            y=alt.Y("visits:Q", stack="zero", title="visits"),
            color=alt.Color(
                "what:N",
                scale=alt.Scale(
                    domain=["consumed", "planned (cumulative)"], range=["#2563eb", "#93c5fd"]
                ),
                title=None,
            ),
            tooltip=["week:T", "what:N", "visits:Q"],
        )
    )
    pace = (
        alt.Chart(data)
        .mark_line(strokeDash=[6, 4], color="#dc2626")
        .encode(x="week:T", y="pace:Q", tooltip=["week:T", alt.Tooltip("pace:Q", format=".1f")])
    )
    bought = int(data["bought"].max()) if len(data) else 0
    bought_rule = (
        alt.Chart(pd.DataFrame({"bought": [bought]}))
        .mark_rule(color="#111827")
        .encode(y="bought:Q", tooltip=["bought:Q"])
    )
    layers: list[alt.Chart] = [area, pace, bought_rule]
    if period_end is not None:
        end_rule = (
            alt.Chart(pd.DataFrame({"period_end": [pd.Timestamp(period_end)]}))
            .mark_rule(color="#111827", strokeDash=[2, 2])
            .encode(x="period_end:T", tooltip=["period_end:T"])
        )
        layers.append(end_rule)
    return alt.layer(*layers).properties(title=title, height=300)
