"""Streamlit entry point: navigation only; every page lives in scheduler/ui/."""

import streamlit as st

st.set_page_config(page_title="School visit planner", page_icon="🗓️", layout="wide")

pages = [
    st.Page("scheduler/ui/overview.py", title="Overview", icon="🗺️", default=True),
]
st.navigation(pages).run()
