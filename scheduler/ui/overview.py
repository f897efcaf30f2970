"""Overview: where the schools and technicians are, and what each contract buys."""

from __future__ import annotations

import pandas as pd
import pydeck as pdk
import streamlit as st

from scheduler.services.dataset import contracts_frame
from scheduler.ui.state import book
from scheduler.ui.widgets import map_chart

scenario = book()
st.title("Overview")

if not scenario.schools:
    st.info(
        "The database is empty. Import a scenario with `scheduler import SCENARIO_DIR` "
        "(or `make run`, which loads the Kent demo)."
    )
    st.stop()

contracts = contracts_frame(scenario)
cols = st.columns(4)
cols[0].metric("Schools", len(scenario.schools))
cols[1].metric("Technicians", len(scenario.technicians))
cols[2].metric("Contracts", len(scenario.contracts))
cols[3].metric("Bought visits", int(contracts["visits"].sum()))

schools = pd.DataFrame(
    {"name": s.name, "lat": s.lat, "lon": s.lon, "kind": "school"} for s in scenario.schools
)
homes = pd.DataFrame(
    {"name": t.name, "lat": t.lat, "lon": t.lon, "kind": "technician"} for t in scenario.technicians
)
layers = [
    pdk.Layer(
        "ScatterplotLayer",
        id="schools",
        data=schools,
        get_position=["lon", "lat"],
        get_fill_color=[30, 110, 200, 180],
        get_radius=350,
        radius_min_pixels=3,
        pickable=True,
    ),
    pdk.Layer(
        "ScatterplotLayer",
        id="technicians",
        data=homes,
        get_position=["lon", "lat"],
        get_fill_color=[220, 90, 30, 230],
        get_radius=700,
        radius_min_pixels=6,
        pickable=True,
    ),
]
view = pdk.ViewState(
    latitude=float(schools["lat"].median()), longitude=float(schools["lon"].median()), zoom=8
)
st.subheader("Schools (blue) and technicians' homes (orange)")
map_chart(layers, view, key="overview_map")

st.subheader("Contracts")
packages = sorted(contracts["package"].unique())
chosen = st.multiselect("Package", packages, default=packages, key="overview_packages")
st.dataframe(
    contracts[contracts["package"].isin(chosen)],
    hide_index=True,
    width="stretch",
    key="overview_contracts",
)
