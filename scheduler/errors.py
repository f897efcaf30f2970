"""Bad input, described precisely enough to fix: file, row, column, value, what was expected.

One type for every edge (scenario folder, CLI argument, app form), so the CLI
prints the same table and exits 2, and the app shows the same error box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    """File name (e.g. `schools.csv`) or, for non-file input, the field (e.g. `--from`)."""
    row: int | None
    """Spreadsheet row: the header is row 1, the first data row is row 2; None for whole-file."""
    column: str | None
    value: str
    expected: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f" column {self.column}"
        return f"{self.severity}: {where}: got {self.value!r}, expected {self.expected}"


class InputError(Exception):
    """Raised with every problem found, never just the first, so one round of fixes suffices."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity == "warning"]
        first = self.problems[0] if self.problems else None
        super().__init__(
            f"{len(self.problems)} error(s) in input" + (f"; first: {first}" if first else "")
        )
