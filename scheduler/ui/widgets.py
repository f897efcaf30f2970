"""Small pieces several pages share: how refused input is shown."""

from __future__ import annotations

import pandas as pd
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
