"""The plain grid of cells every reader returns: one sheet, or one CSV file."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Grid"]


@dataclass(frozen=True)
class Grid:
    """One sheet (or one CSV file) as rows of cells; ``rows[i]`` is spreadsheet row ``i + 1``."""

    file: str
    sheet: str | None
    rows: list[list[object]]
    kind: str  # "xlsx" | "csv"
    encoding: str | None = None
    delimiter: str | None = None
    # (first_row, first_col, last_row, last_col), 0-based inclusive, as calamine reports them.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
