"""Find the header row of a grid and gather each field's cells from the columns that feed it.

Exports and hand-made sheets often start with a title row, a merged banner or blank rows; the header
is the row among the first few that names the most known fields. Rows above it are reported, never
read as items. A header cell inside a merged range takes the merged range's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.cells import is_blank
from planner.ingest.columns import ColumnMapping, comparable_key, match_header
from planner.ingest.grid import Grid
from planner.ingest.parse import to_text
from planner.input_problems import ERROR, WARNING, Problem, Severity

__all__ = ["Sheet", "column_letter", "gather", "locate_header"]

_HEADER_SEARCH_ROWS = 15


@dataclass(frozen=True)
class Sheet:
    """A grid with its header found: ``rows[i]`` is the user's row ``row_numbers[i]``."""

    file: str
    sheet: str | None
    header_row: int
    headers: list[str]
    rows: list[list[object]]
    row_numbers: list[int]
    kind: str
    encoding: str | None
    delimiter: str | None

    def problem(self, severity: Severity, message: str, row: int | None = None, column: str | None = None) -> Problem:
        """A problem located in this sheet."""
        return Problem(severity, message, self.file, self.sheet, row, column)


def column_letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based position: 0 -> A, 27 -> AB."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _is_filled(row: list[object]) -> bool:
    """Whether any cell of the row holds something (most rows: the first cell already does)."""
    for cell in row:
        if not is_blank(cell):
            return True
    return False


def locate_header(grid: Grid, fields: Mapping[str, Sequence[str]]) -> tuple[Sheet | None, list[Problem]]:
    """Find the header row and return the data below it, trimmed of trailing blank rows and columns."""
    problems: list[Problem] = []
    rows = grid.rows  # read, never changed: a copy of 200,000 rows costs half a second
    filled = [index for index, row in enumerate(rows) if _is_filled(row)]
    if not filled:
        where = f"sheet '{grid.sheet}' is empty" if grid.sheet else "the file has no rows"
        return None, [Problem(ERROR, f"{where}: it needs a header row and one row per item", grid.file, grid.sheet)]
    header_index = _best_header_row(rows, filled[:_HEADER_SEARCH_ROWS], fields)
    skipped = [index + 1 for index in filled if index < header_index]
    if skipped:
        first_text = next(text for text in map(to_text, rows[skipped[0] - 1]) if text)
        problems.append(
            Problem(
                WARNING,
                f"row(s) {', '.join(map(str, skipped))} above the header row {header_index + 1} were skipped "
                f"(title or banner such as '{first_text[:60]}')",
                grid.file,
                grid.sheet,
                skipped[0],
            )
        )
    header_cells = _merged_header_cells(grid, rows, header_index)
    last_row = filled[-1]
    data = rows[header_index + 1 : last_row + 1]
    width = max((len(row) for row in [header_cells, *data]), default=0)
    used = [
        position
        for position in range(width)
        if (position < len(header_cells) and not is_blank(header_cells[position]))
        or any(position < len(row) and not is_blank(row[position]) for row in data)
    ]
    width = (used[-1] + 1) if used else 0
    headers = []
    for position in range(width):
        text = to_text(header_cells[position]) if position < len(header_cells) else None
        if text is None:
            text = f"Column {column_letter(position)}"
            if position in used:
                problems.append(
                    Problem(
                        WARNING,
                        f"column {column_letter(position)} has no header; its values are kept as '{text}'",
                        grid.file,
                        grid.sheet,
                        header_index + 1,
                        text,
                    )
                )
        headers.append(text)
    padded = [row if len(row) == width else (list(row) + [None] * width)[:width] for row in data]
    numbers = list(range(header_index + 2, header_index + 2 + len(padded)))
    return Sheet(
        grid.file, grid.sheet, header_index + 1, headers, padded, numbers, grid.kind, grid.encoding, grid.delimiter
    ), problems


def _best_header_row(rows: list[list[object]], candidates: list[int], fields: Mapping[str, Sequence[str]]) -> int:
    def known(index: int) -> int:
        names = {match_header(text, fields)[0] for text in (to_text(c) for c in rows[index]) if text}
        return len(names - {None})

    scores = [(known(index), -index) for index in candidates]
    best_score, best_index = max(scores)
    return -best_index if best_score > 0 else candidates[0]


def _merged_header_cells(grid: Grid, rows: list[list[object]], header_index: int) -> list[object]:
    """Header cells with merged ranges filled in; a group label above skill columns makes ``effort:<skill>``."""
    cells = list(rows[header_index])
    for first_row, first_col, last_row, last_col in grid.merged:
        if first_row <= header_index <= last_row:
            anchor = rows[first_row][first_col] if first_col < len(rows[first_row]) else None
            for position in range(first_col, min(last_col + 1, len(cells))):
                if is_blank(cells[position]):
                    cells[position] = anchor
        elif last_row == header_index - 1 and last_col > first_col:
            group = to_text(rows[first_row][first_col])
            if group and comparable_key(group) in {"effort", "estimate", "days", "effortdays"}:
                for position in range(first_col, min(last_col + 1, len(cells))):
                    sub = to_text(cells[position])
                    if sub:
                        cells[position] = f"effort:{sub}"
    return cells


def gather(sheet: Sheet, mapping: ColumnMapping, field: str, mode: str = "first") -> list[object]:
    """Each row's cell for ``field`` from the columns that feed it.

    ``mode``: ``first`` takes the first non-blank column in file order, ``last`` the last non-blank (Jira's
    repeated Sprint columns), ``all`` joins every non-blank text with ``", "`` (links, labels).
    """
    columns = [match.position for match in mapping.columns_for(field)]
    if not columns:
        return [None] * len(sheet.rows)
    if len(columns) == 1:
        position = columns[0]
        return [row[position] for row in sheet.rows]
    result: list[object] = []
    for row in sheet.rows:
        cells = [row[position] for position in columns if not is_blank(row[position])]
        if not cells:
            result.append(None)
        elif mode == "last":
            result.append(cells[-1])
        elif mode == "all":
            result.append(", ".join(to_text(cell) or "" for cell in cells))
        else:
            result.append(cells[0])
    return result
