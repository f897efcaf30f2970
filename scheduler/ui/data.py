"""Data: import a scenario (zip upload or a server folder), export it, or make a demo book.

An import replaces the whole stored book in one transaction after validating every file,
so a refused import shows every problem at once and changes nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from scheduler.demo import generate
from scheduler.errors import InputError
from scheduler.scenario import write_scenario
from scheduler.services.dataset import ImportSummary, import_scenario
from scheduler.ui.dataio import export_zip, import_zip
from scheduler.ui.state import book, engine, invalidate
from scheduler.ui.widgets import show_problems


def _imported(summary: ImportSummary, source: str) -> None:
    invalidate()
    st.session_state.pop("data_export", None)
    counts = ", ".join(f"{n} {what}" for what, n in summary.counts.items())
    st.session_state["data_notice"] = f"Imported {source}: {counts}."
    st.rerun()


st.title("Data")
notice = st.session_state.pop("data_notice", None)
if notice:
    st.success(notice)
scenario = book()
st.caption(
    f"Stored book: {len(scenario.schools)} schools, {len(scenario.technicians)} technicians, "
    f"{len(scenario.contracts)} contracts. An import replaces the whole book."
)

st.subheader("Import a scenario")
upload_tab, folder_tab = st.tabs(["Upload a zip", "Folder on the server"])
with upload_tab:
    upload = st.file_uploader("Scenario zip", type=["zip"], key="data_upload")
    if st.button("Import zip", key="data_import_zip", disabled=upload is None) and upload:
        try:
            summary = import_zip(engine(), upload.getvalue(), upload.name)
        except InputError as error:
            show_problems("Import refused", error)
        else:
            _imported(summary, upload.name)
with folder_tab:
    folder = st.text_input("Scenario folder", key="data_folder", placeholder="/path/to/scenario")
    if st.button("Import folder", key="data_import_folder"):
        path = Path(folder.strip()).expanduser()
        if not folder.strip() or not path.is_dir():
            st.error(f"No such folder: {folder!r}; nothing was changed.")
        else:
            try:
                summary = import_scenario(engine(), path)
            except InputError as error:
                show_problems("Import refused", error)
            else:
                _imported(summary, str(path))

st.subheader("Export")
if st.button("Prepare export", key="data_export_prepare", disabled=not scenario.schools):
    st.session_state["data_export"] = export_zip(engine())
if "data_export" in st.session_state:
    st.download_button(
        "Download scenario.zip",
        st.session_state["data_export"],
        file_name="scenario.zip",
        mime="application/zip",
        key="data_export_download",
    )

st.subheader("Demo book")
with st.form("data_demo"):
    cols = st.columns(2)
    schools = cols[0].number_input(
        "Schools", min_value=5, max_value=5000, value=60, step=5, key="data_demo_schools"
    )
    seed = cols[1].number_input("Seed", min_value=0, value=7, step=1, key="data_demo_seed")
    go = st.form_submit_button("Generate and import (replaces the book)")
if go:
    with st.spinner("Generating…"), tempfile.TemporaryDirectory(prefix="demo-") as tmp:
        write_scenario(generate(schools=int(schools), seed=int(seed)), Path(tmp))
        try:
            summary = import_scenario(engine(), Path(tmp))
        except InputError as error:
            show_problems("Demo refused", error)
        else:
            _imported(summary, f"a {int(schools)}-school demo (seed {int(seed)})")
