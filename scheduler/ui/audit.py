"""Audit: who changed what, when and why; every applied change writes its events here."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from scheduler.services.audit import audit_events
from scheduler.ui.state import book, engine

ACTIONS = ["", "move", "swap", "lock", "unlock", "cancel", "absence", "closure", "emergency"]

st.title("Audit")
scenario = book()
school_names = {s.school_id: s.name for s in scenario.schools}
tech_names = {t.technician_id: t.name for t in scenario.technicians}
cols = st.columns(5)
school = cols[0].selectbox(
    "School",
    ["", *sorted(school_names)],
    format_func=lambda s: school_names.get(s, "any"),
    key="audit_school",
)
tech = cols[1].selectbox(
    "Technician",
    ["", *sorted(tech_names)],
    format_func=lambda t: tech_names.get(t, "any"),
    key="audit_tech",
)
action = cols[2].selectbox("Action", ACTIONS, format_func=lambda a: a or "any", key="audit_action")
day_from = cols[3].date_input("About days from", value=None, key="audit_from")
day_to = cols[4].date_input("to", value=None, key="audit_to")

if day_from and day_to and day_from > day_to:
    st.error(f"'from' ({day_from}) must be on or before 'to' ({day_to}).")
    st.stop()
events = audit_events(
    engine(), school or None, tech or None, day_from, day_to, action=action or None
)
st.caption(f"{len(events)} event(s), newest first")
frame = pd.DataFrame(
    [
        {
            "at": e.at.strftime("%Y-%m-%d %H:%M:%S"),
            "actor": e.actor,
            "action": e.action,
            "school": school_names.get(e.school_id or "", e.school_id or ""),
            "technician": tech_names.get(e.technician_id or "", e.technician_id or ""),
            "visit_id": e.visit_id or "",
            "day": e.day,
            "reason": e.reason,
            "before": json.dumps(e.before, default=str) if e.before is not None else "",
            "after": json.dumps(e.after, default=str) if e.after is not None else "",
        }
        for e in reversed(events)
    ],
    columns=["at", "actor", "action", "school", "technician", "visit_id", "day", "reason",
             "before", "after"],
)  # fmt: skip
st.dataframe(frame, hide_index=True, width="stretch", key="audit_table")
