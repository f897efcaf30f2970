"""Small pieces several pages share: how refused input is shown, how a map is drawn."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd
import pydeck as pdk
import streamlit as st

from scheduler.errors import InputError


def problems_frame(error: InputError) -> pd.DataFrame:
    """The same file/row/column/value/expected table the CLI prints."""
    return pd.DataFrame(
        [
            {
                "file": p.file,
                "row": p.row,
                "column": p.column or "",
                "value": p.value,
                "expected": p.expected,
            }
            for p in error.problems
        ],
        columns=["file", "row", "column", "value", "expected"],
    )


def show_problems(title: str, error: InputError) -> None:
    """A clear message on the page, then every problem, so one round of fixes suffices."""
    st.error(f"{title}: {len(error.problems)} problem(s); nothing was changed.")
    st.dataframe(problems_frame(error), hide_index=True, width="stretch")


def map_chart(layers: Sequence[pdk.Layer], view: pdk.ViewState, key: str) -> None:
    """A pydeck map with the name of what is under the pointer.

    Tiles come from the internet; SCHEDULER_MAP_TILES=off draws the points alone (tests,
    offline servers).
    """
    st.pydeck_chart(
        pdk.Deck(
            layers=list(layers),
            initial_view_state=view,
            map_style=None if os.environ.get("SCHEDULER_MAP_TILES") == "off" else "light",
            tooltip={"text": "{name}"},
        ),
        key=key,
    )
