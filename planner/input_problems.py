"""Problems found in input files: one per thing a user must fix or know, with its place.

A problem names the file, the sheet (``None`` for CSV), the row number as the user sees it in a
spreadsheet (header row = 1 unless the header sits lower) and the column header as written.
Errors block planning; warnings do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ERROR", "WARNING", "Problem", "Severity", "has_errors"]

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding about an input file, located as precisely as the file allows."""

    severity: Severity
    message: str
    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    @property
    def location(self) -> str:
        """Where the problem is, e.g. ``backlog.xlsx, sheet Backlog, row 7, column 'Story Points'``."""
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.severity}: {self.location}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """Plain dict, for tables and JSON."""
        return {
            "severity": self.severity,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


def has_errors(problems: list[Problem] | tuple[Problem, ...]) -> bool:
    """True when any problem blocks planning."""
    return any(problem.severity == ERROR for problem in problems)
