"""Streamlit entry point: navigation only; every page lives in scheduler/ui/."""

import streamlit as st

st.set_page_config(page_title="School visit planner", page_icon="🗓️", layout="wide")

pages = [
    st.Page("scheduler/ui/overview.py", title="Overview", icon="🗺️", default=True),
    st.Page("scheduler/ui/board.py", title="Board", icon="📋", url_path="board"),
    st.Page("scheduler/ui/disruptions.py", title="Disruptions", icon="🚨", url_path="disruptions"),
    st.Page("scheduler/ui/plan.py", title="Plan", icon="⚙️", url_path="plan"),
    st.Page("scheduler/ui/balances.py", title="Balances", icon="📊", url_path="balances"),
    st.Page("scheduler/ui/sla.py", title="SLA", icon="⏱️", url_path="sla"),
    st.Page("scheduler/ui/audit.py", title="Audit", icon="📜", url_path="audit"),
    st.Page("scheduler/ui/data.py", title="Data", icon="💾", url_path="data"),
]
st.navigation(pages).run()
