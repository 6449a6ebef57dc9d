"""The plain grid of cells every reader returns: one sheet, or one CSV file."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MAX_ROWS", "MAX_SHEET_CELLS", "Grid"]

# Cells calamine may lay out densely for one sheet, from A1 to the last row and column holding a value
# (or values it may hold, counted cell by cell). 5 million is 50,000 rows x 100 columns, well above any
# backlog, and costs calamine ~160 MB plus Python's lists; the bombs this stops ask for 26 million
# (Z1000000: 1.2 GB, 6 s) to 17 billion (XFD1048576: an abort).
MAX_SHEET_CELLS = 5_000_000
# Rows of one sheet or CSV file. A backlog of 200,000 items reads in about 3 s; ten times that (a 20 MB
# CSV of short rows) would hold the server for a minute and gigabytes while reporting every row.
MAX_ROWS = 250_000


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
