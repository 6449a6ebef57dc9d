"""The plan as an Excel workbook a lead takes home, and a CSV for a tracker's Sprint field.

:func:`plan_workbook` returns the xlsx bytes (for a download button), :func:`write_plan_workbook`
writes them to a file, :func:`tracker_csv` gives ``id,sprint,team`` rows for a bulk update. The
workbook is written with xlsxwriter (about three times faster than openpyxl without lxml: 5,000
planned items in about 1 s, see ``bench/bench_export.py``); reading it back is the ingest's job.

Sheets, in this order:

- ``Plan``: one row per planned item (sprint, team, id, title, type, initiative, milestone, effort,
  ``effort:<skill>``, skill, value, moscow, deadline, depends_on, then the item's other text fields
  and the file's own extra columns), sorted by sprint, team and value. Its headers are ones the
  ingest maps, with no title row above them, and it is the first sheet: uploading the workbook (or
  its Plan sheet) as a backlog gives back the same items with ``sprint`` pinning each into its
  planned sprint (and ``team`` to the team that took it: an item open to any team comes back with
  that team). ``depends_on`` lists only prerequisites that are in the plan: the others are done
  (they are satisfied, and would be reported missing once the plan is read back alone). ``value``
  is the value planned, so the ingest's value rule reads it back unchanged whatever rule made it.
- ``Summary``: scenario, status, values (optimiser and rank-and-fill), the settings given, and per
  team and sprint the capacity, planned load, slack and utilisation (red when over capacity, amber
  when more than 30 % is left).
- ``Not planned``: every item left out, its reason and what would make it fit.
- ``Capacity``: the ledger per person and sprint, in days: gross, then each deduction (negative)
  down to net.
- ``extra_sheets`` (the hook for readiness problems and other tables), then one sheet per team:
  the Plan rows of that team, without the long text columns, to print.

Every string is written as a text cell, verbatim (never a formula, a link, an error value or a
number, whatever it starts with: see :func:`write_cell`), with the characters XML cannot hold
replaced by U+FFFD and anything past Excel's 32,767 characters cut with a visible marker (see
:func:`excel_cell_text`). Numbers are numbers, dates are Excel dates, ids are text cells formatted ``@``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from planner.capacity import CapacityResult
from planner.ingest import BACKLOG_FIELDS, match_header
from planner.schema import BACKLOG_COLUMNS, EFFORT_PREFIX, effort_skill_columns, split_list
from planner.solve import PlanResult

__all__ = [
    "MAX_CELL_CHARS",
    "SHEET_CAPACITY",
    "SHEET_NOT_PLANNED",
    "SHEET_PLAN",
    "SHEET_SUMMARY",
    "csv_cell_text",
    "excel_cell_text",
    "plan_workbook",
    "sheet_title",
    "tracker_csv",
    "write_cell",
    "write_plan_workbook",
    "write_workbook_bytes",
]

MAX_CELL_CHARS = 32_767  # Excel's limit on the characters of one cell
CUT_MARKER = "… [cut: {count} more characters]"
REPLACEMENT = "\ufffd"  # shown where a character XML cannot hold was
SHEET_PLAN = "Plan"
SHEET_SUMMARY = "Summary"
SHEET_NOT_PLANNED = "Not planned"
SHEET_CAPACITY = "Capacity"
MAX_SHEET_TITLE = 31
AMBER_SLACK = 0.3  # slack above this share of capacity is flagged

# C0 controls but tab, newline and carriage return; lone surrogates; the two non-characters.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED_SHEETS = ("history",)  # Excel refuses a sheet of this name
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_DATE_FORMAT = "yyyy-mm-dd"
_NUMBER_FORMAT = "General"
_PERCENT_FORMAT = "0%"
_TEXT_FORMAT = "@"
_FORMATS = {
    "date": _DATE_FORMAT,
    "datetime": "yyyy-mm-dd hh:mm",
    "number": _NUMBER_FORMAT,
    "percent": _PERCENT_FORMAT,
    "percent2": "0.00%",
    "id": _TEXT_FORMAT,
    "text": _TEXT_FORMAT,
}
_HEADER_FILL = "#DDEBF7"
_RED_FILL = "#F4B6B6"
_AMBER_FILL = "#FFE08A"
_WRAPPED = ("title", "detail")
_WIDTH_CAP = {"title": 60, "detail": 70, "description": 60, "acceptance_criteria": 50, "message": 80}
_DEFAULT_WIDTH_CAP = 40

# Backlog fields the Not planned sheet shows.
_EXCLUDED_FIELDS = ("title", "team", "moscow", "value", "effort", "deadline", "depends_on")
# Planned-item columns after the core ones, for the Plan sheet only (not the printable team sheets).
_EXTRA_FIELDS = ("priority", "status", "assignee", "labels", "description", "acceptance_criteria")


# --------------------------------------------------------------------------------------------------
# Safe text


def excel_cell_text(value: object) -> str:
    """``value`` as text a cell can hold verbatim: illegal characters shown as U+FFFD, long text cut visibly.

    Excel counts a cell's characters in UTF-16 units: text past :data:`MAX_CELL_CHARS` of them is cut
    and ends in ``… [cut: N more characters]`` (N in characters), the whole staying within the limit.
    """
    text = value if isinstance(value, str) else str(value)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(REPLACEMENT, text)
    if len(text) <= MAX_CELL_CHARS // 2 or _utf16_units(text) <= MAX_CELL_CHARS:
        return text
    keep = MAX_CELL_CHARS - len(CUT_MARKER.format(count=len(text)))
    kept = text[:keep]
    while _utf16_units(kept) > keep:  # astral characters count twice
        kept = kept[: len(kept) - max(1, (_utf16_units(kept) - keep) // 2)]
    return kept + CUT_MARKER.format(count=len(text) - len(kept))


def write_cell(sheet, row: int, column: int, value: object, cell_format=None) -> None:
    """Write ``value`` to an xlsxwriter ``sheet`` by its type: a string always as text, verbatim.

    Strings go through :func:`excel_cell_text` and ``write_string`` (never a formula, a number, a link or
    an error value, whatever they start with); numbers (NaN and infinity blank), booleans and dates
    as themselves; None and empty strings leave the cell empty. Rows and columns count from 0.
    """
    value = _plain(value)
    if value is None:
        return
    if isinstance(value, str):
        if value:
            sheet.write_string(row, column, excel_cell_text(value), cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, cell_format)
    elif isinstance(value, float):
        sheet.write_number(row, column, value, cell_format)
    else:  # date or datetime
        sheet.write_datetime(row, column, value, cell_format)


def _utf16_units(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def csv_cell_text(value: object) -> str:
    """Text for a CSV cell that Excel will not run: a leading ``= + - @`` (or tab, CR) gets a ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def sheet_title(name: object, taken: Iterable[str] = ()) -> str:
    """A valid, unused sheet name for ``name``: at most 31 characters, none of ``[]:*?/\\``.

    Names compare case-insensitively, as in Excel; a clash gets ``Team`` in front, then a number.
    """
    used = {title.casefold() for title in taken}
    base = _SHEET_FORBIDDEN.sub("_", _ILLEGAL.sub("_", str(name))).strip().strip("'").strip()
    base = base[:MAX_SHEET_TITLE].strip() or "Team"
    candidates = [base, f"Team {base}"[:MAX_SHEET_TITLE].strip()]
    for candidate in candidates:
        if candidate.casefold() not in used and candidate.casefold() not in _RESERVED_SHEETS:
            return candidate
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = base[: MAX_SHEET_TITLE - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in used:
            return candidate
        number += 1


# --------------------------------------------------------------------------------------------------
# Tables: columns of a kind, rows of plain values


@dataclass(frozen=True)
class Column:
    """A sheet column: header, kind (``text``, ``id``, ``number``, ``percent``, ``date``, ``bool``) and field."""

    header: str
    kind: str = "text"
    field: str = ""


@dataclass(frozen=True)
class Table:
    """Rows of plain values (str, float, date, bool or None) under their columns."""

    columns: tuple[Column, ...]
    rows: Sequence[tuple[object, ...]]


def _plain(value: object) -> object:
    """A DataFrame cell as None, str, float, bool, date or datetime."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_localize(None)
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return str(value)


# --------------------------------------------------------------------------------------------------
# Sheets


def _item_lookup(backlog: pd.DataFrame, fields: Iterable[str]) -> dict[str, dict[str, object]]:
    """Item id -> its backlog ``fields`` as plain values (first row of a repeated id)."""
    if "id" not in backlog.columns or backlog.empty:
        return {}
    frame = backlog.drop_duplicates("id")
    columns = ["id", *dict.fromkeys(field for field in fields if field in frame.columns and field != "id")]
    lookup = {}
    for values in zip(*(frame[column].tolist() for column in columns)):
        record = {column: _plain(value) for column, value in zip(columns, values)}
        lookup[str(record["id"])] = record
    return lookup


def _number(value: object) -> float:
    """A plain value of a number column as a float; blank = 0."""
    return float(value) if isinstance(value, (int, float)) else 0.0


def _kept_headers(backlog: pd.DataFrame) -> list[str]:
    """The file's own columns the backlog kept; only those the ingest would keep again on reading."""
    internal = set(BACKLOG_COLUMNS) | {"done", "source_row", "value_given"}
    return [
        column
        for column in backlog.columns
        if column not in internal
        and not column.startswith(EFFORT_PREFIX)
        and match_header(column, BACKLOG_FIELDS)[0] is None
        and backlog[column].notna().any()
    ]


def _plan_tables(result: PlanResult, backlog: pd.DataFrame) -> tuple[Table, Table, dict[str, Table]]:
    """The Plan sheet, the Not planned sheet and, per team, its rows of the Plan (core columns)."""
    skills = effort_skill_columns(backlog.columns)
    planned_ids = {a.id for a in result.selected}
    has_skill = "skill" in backlog.columns and backlog["skill"].notna().any()
    core = [
        Column("sprint", "text", "sprint"),
        Column("team", "text", "team"),
        Column("id", "id", "id"),
        Column("title", "text", "title"),
        Column("type", "text", "type"),
        Column("initiative", "text", "initiative"),
        Column("milestone", "text", "milestone"),
        Column("effort", "number", "effort"),
        *(Column(skill, "number", skill) for skill in skills),
        *([Column("skill", "text", "skill")] if has_skill else []),
        Column("value", "number", "value"),
        Column("moscow", "text", "moscow"),
        Column("deadline", "date", "deadline"),
        Column("depends_on", "id", "depends_on"),
    ]
    planned = backlog[backlog["id"].isin(list(planned_ids))] if "id" in backlog.columns else backlog.iloc[:0]
    extra = [
        Column(name, "text", name) for name in _EXTRA_FIELDS if name in planned.columns and planned[name].notna().any()
    ]
    taken = {column.header.casefold() for column in [*core, *extra]}
    kept = [Column(header, "text", header) for header in _kept_headers(backlog) if header.casefold() not in taken]
    columns = (*core, *extra, *kept)
    items = _item_lookup(backlog, [*(column.field for column in columns), *_EXCLUDED_FIELDS])

    order = {name: position for position, name in enumerate(result.sprints)}
    assignments = sorted(result.selected, key=lambda a: (order.get(a.sprint, len(order)), a.sprint, a.team, -a.value))
    rows: list[tuple[object, ...]] = []
    for assignment in assignments:
        item = items.get(assignment.id, {})
        row: list[object] = []
        for column in columns:
            if column.field == "sprint":
                row.append(assignment.sprint)
            elif column.field == "team":
                row.append(assignment.team)
            elif column.field == "id":
                row.append(assignment.id)
            elif column.field == "value":
                row.append(float(assignment.value))
            elif column.field == "effort":
                effort = item.get("effort")
                row.append(effort if effort is not None else float(assignment.effort))
            elif column.field == "depends_on":
                prerequisites = [p for p in split_list(item.get("depends_on")) if p in planned_ids]
                row.append(", ".join(prerequisites) or None)
            else:
                row.append(item.get(column.field))
        rows.append(tuple(row))
    plan = Table(columns, rows)

    team_width = len(core)
    team_position = 1
    per_team: dict[str, list[tuple[object, ...]]] = {}
    for plan_row in rows:
        per_team.setdefault(str(plan_row[team_position]), []).append(plan_row[:team_width])
    teams = {team: Table(tuple(core), team_rows) for team, team_rows in sorted(per_team.items())}

    excluded_columns = (
        Column("id", "id", "id"),
        Column("title", "text", "title"),
        Column("team", "text", "team"),
        Column("reason", "text", "reason"),
        Column("what would make it fit", "text", "detail"),
        Column("moscow", "text", "moscow"),
        Column("value", "number", "value"),
        Column("effort", "number", "effort"),
        Column("deadline", "date", "deadline"),
        Column("depends_on", "id", "depends_on"),
    )
    reason_order = Counter(e.reason.split(" ", 1)[0] for e in result.excluded)
    excluded = sorted(
        result.excluded,
        key=lambda e: (
            -reason_order[e.reason.split(" ", 1)[0]],
            e.reason.split(" ", 1)[0],
            -_number(items.get(e.id, {}).get("value")),
        ),
    )
    excluded_rows = []
    for exclusion in excluded:
        item = items.get(exclusion.id, {})
        excluded_rows.append(
            (
                exclusion.id,
                item.get("title"),
                item.get("team"),
                exclusion.reason,
                exclusion.detail or None,
                item.get("moscow"),
                item.get("value"),
                item.get("effort"),
                item.get("deadline"),
                item.get("depends_on"),
            )
        )
    return plan, Table(excluded_columns, excluded_rows), teams


_LEDGER = (  # (header, person_sprint column or (after, before) for a change, kind)
    ("name", "name", "text"),
    ("team", "team", "text"),
    ("sprint", "sprint", "text"),
    ("skills", "skills", "text"),
    ("allocation", "allocation", "percent"),
    ("days per sprint", "days_per_sprint", "number"),
    ("what-if hire", "added", "bool"),
    ("working days", "working_days", "number"),
    ("holiday days", "holiday_days", "number"),
    ("OOO days", "ooo_days", "number"),
    ("on-call days", "oncall_days", "number"),
    ("on-call load", "oncall_load", "percent"),
    ("focus factor", "focus_factor", "percent"),
    ("buffer share", "buffer", "percent"),
    ("capacity share", "capacity_pct", "percent"),
    ("gross", "gross", "number"),
    ("holidays", ("after_holidays", "gross"), "number"),
    ("OOO", ("after_ooo", "after_holidays"), "number"),
    ("on-call", ("after_oncall", "after_ooo"), "number"),
    ("focus", ("after_focus", "after_oncall"), "number"),
    ("buffer", ("after_buffer", "after_focus"), "number"),
    ("capacity %", ("net", "after_buffer"), "number"),
    ("net", "net", "number"),
)


def _capacity_table(capacity: CapacityResult | None, sprints: Sequence[str]) -> Table:
    """The ledger per person and sprint, in days; deductions are negative so a row adds up to net."""
    columns = tuple(Column(header, kind, header) for header, _, kind in _LEDGER)
    if capacity is None or capacity.person_sprint.empty:
        return Table(columns, [])
    frame = capacity.person_sprint
    if sprints and frame["sprint"].isin(list(sprints)).any():
        frame = frame[frame["sprint"].isin(list(sprints))]
    data = []
    for _, source, _kind in _LEDGER:
        if isinstance(source, tuple):
            after, before = source
            values = (frame[after].astype("float64") - frame[before].astype("float64")).round(9)
        elif source in frame.columns:
            values = frame[source]
        else:
            values = pd.Series([None] * len(frame), index=frame.index)
        plain = [_plain(value) for value in values.tolist()]
        data.append([None if value is False else value for value in plain])  # a hire is marked, others blank
    return Table(columns, [tuple(row) for row in zip(*data)])


def _frame_table(frame: pd.DataFrame) -> Table:
    """Any DataFrame as a table, kinds from the dtypes (the hook for extra sheets)."""
    columns = []
    for name in frame.columns:
        dtype = frame[name].dtype
        if pd.api.types.is_bool_dtype(dtype):
            kind = "bool"
        elif pd.api.types.is_numeric_dtype(dtype):
            kind = "number"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kind = "date"
        else:
            kind = "id" if str(name).casefold() in ("id", "depends_on") else "text"
        columns.append(Column(str(name), kind, str(name)))
    rows = [tuple(_plain(value) for value in row) for row in frame.itertuples(index=False, name=None)]
    return Table(tuple(columns), rows)


# --------------------------------------------------------------------------------------------------
# Writing


class _Writer:
    """An xlsx workbook in memory; cells are written by their Python type, a string always as text."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {
                "in_memory": True,
                # Belt and braces: only write_string / write_number / ... are called, never write().
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "default_date_format": _DATE_FORMAT,
            },
        )
        self._formats: dict[tuple[object, ...], object] = {}

    def format(
        self, kind: str, *, header: bool = False, wrap: bool = False, bold: bool = False, size: float | None = None
    ):
        key = (kind, header, wrap, bold, size)
        found = self._formats.get(key)
        if found is None:
            properties: dict[str, object] = {"num_format": _FORMATS.get(kind, "General"), "valign": "top"}
            if header:
                properties.update(bold=True, bg_color=_HEADER_FILL, text_wrap=True, bottom=1)
            if wrap:
                properties["text_wrap"] = True
            if bold:
                properties["bold"] = True
            if size:
                properties["font_size"] = size
            found = self._formats[key] = self.workbook.add_format(properties)
        return found

    def put(self, sheet, row: int, column: int, value: object, cell_format) -> None:
        write_cell(sheet, row, column, value, cell_format)

    def table_sheet(self, title: str, table: Table, *, freeze_columns: int = 0) -> None:
        """A sheet holding ``table`` from A1: header row frozen, filter, fitted widths, print setup."""
        sheet = self.workbook.add_worksheet(title)
        header = self.format("text", header=True)
        for position, column in enumerate(table.columns):
            sheet.write_string(0, position, excel_cell_text(column.header), header)
        formats = [self.format(column.kind, wrap=column.field in _WRAPPED) for column in table.columns]
        put = self.put
        for row_number, row in enumerate(table.rows, start=1):
            for position, value in enumerate(row):
                if value is not None:
                    put(sheet, row_number, position, value, formats[position])
        _set_widths(sheet, table)
        sheet.freeze_panes(1, freeze_columns if table.rows else 0)
        sheet.autofilter(0, 0, len(table.rows), max(len(table.columns) - 1, 0))
        _print_setup(sheet, repeat_header=True)

    def finish(self) -> bytes:
        self.workbook.close()
        return self._buffer.getvalue()


def _text_width(value: object, kind: str) -> int:
    if value is None:
        return 0
    if kind in ("date", "datetime"):
        return 10 if kind == "date" else 16
    if kind in ("percent", "percent2"):
        return 6
    if isinstance(value, float):
        return len(f"{value:.10g}")
    text = str(value)
    return max(len(line) for line in text.split("\n")) if "\n" in text else len(text)


def _column_width(table: Table, position: int, at_least: int = 0) -> float:
    column = table.columns[position]
    cap = _WIDTH_CAP.get(column.field, _DEFAULT_WIDTH_CAP)
    widest = max(len(column.header), at_least)
    for row in table.rows:
        if widest >= cap:
            break
        width = _text_width(row[position], column.kind)
        if width > widest:
            widest = width
    return min(max(widest, 6), cap) + 2


def _set_widths(sheet, table: Table, at_least: Sequence[int] = ()) -> None:
    for position in range(len(table.columns)):
        least = at_least[position] if position < len(at_least) else 0
        sheet.set_column(position, position, _column_width(table, position, least))


def _print_setup(sheet, *, repeat_header: bool) -> None:
    """Landscape, one page wide (as many pages tall as needed), grid lines, the header on every page."""
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.hide_gridlines(0)  # show on screen and print
    if repeat_header:
        sheet.repeat_rows(0)


def _summary_sheet(
    writer: _Writer,
    result: PlanResult,
    capacity: CapacityResult | None,
    scenario_name: str,
    settings: Mapping[str, object],
) -> None:
    sheet = writer.workbook.add_worksheet(SHEET_SUMMARY)
    label = writer.format("text", bold=True)
    reasons = Counter(e.reason.split(" ", 1)[0] for e in result.excluded)
    gain = result.gain_over_baseline
    facts: list[tuple[str, object, str]] = [
        ("Scenario", scenario_name or "(unnamed)", "text"),
        ("Exported", dt.datetime.now().replace(microsecond=0), "datetime"),
        ("Status", result.status, "text"),
        *([("Note", result.message, "text")] if result.message else []),
        (f"Planned value ({len(result.selected)} items)", result.objective, "number"),
        ("Rank-and-fill value (best value per effort first)", result.baseline_objective, "number"),
        ("Optimiser gain over rank-and-fill", gain, "number"),
        ("Gain %", gain / result.baseline_objective if result.baseline_objective else None, "percent"),
        ("Best bound (no plan can beat it)", result.bound, "number"),
        ("Gap to the bound", result.gap, "percent2"),
        ("Not planned (items)", len(result.excluded), "number"),
        (
            "Not planned by reason",
            ", ".join(f"{code} {count}" for code, count in reasons.most_common()) or None,
            "text",
        ),
        ("Unit of effort and capacity", result.unit, "text"),
        ("Sprints", ", ".join(result.sprints) or None, "text"),
        ("Solve time (s)", round(result.seconds, 2), "number"),
    ]
    settings_rows = [(str(key), _setting_value(value)) for key, value in (settings or {}).items()]

    row = 0
    sheet.write_string(row, 0, "Sprint plan", writer.format("text", bold=True, size=14))
    for name, value, kind in facts:
        row += 1
        writer.put(sheet, row, 0, name, label)
        writer.put(sheet, row, 1, value, writer.format(kind))
    if settings_rows:
        row += 2
        sheet.write_string(row, 0, "Settings", writer.format("text", bold=True, size=12))
        for key, value in settings_rows:
            row += 1
            kind = (
                "number"
                if isinstance(value, float)
                else "datetime"
                if isinstance(value, dt.datetime)
                else "date"
                if isinstance(value, dt.date)
                else "text"
            )
            writer.put(sheet, row, 0, key, label)
            writer.put(sheet, row, 1, value, writer.format(kind))

    table = _load_table(result, capacity)
    row += 2
    sheet.write_string(
        row,
        0,
        f"Capacity and planned load per team and sprint ({excel_cell_text(result.unit)}): "
        f"red = over capacity, amber = more than {AMBER_SLACK:.0%} left",
        writer.format("text", bold=True, size=12),
    )
    header_row = row + 1
    header = writer.format("text", header=True)
    for position, column in enumerate(table.columns):
        sheet.write_string(header_row, position, column.header, header)
    formats = [writer.format(column.kind) for column in table.columns]
    for offset, values in enumerate(table.rows, start=1):
        for position, value in enumerate(values):
            writer.put(sheet, header_row + offset, position, value, formats[position])
    labels = [len(name) for name, _, _ in facts] + [len(key) for key, _ in settings_rows]
    _set_widths(sheet, table, at_least=[min(max(labels), 50), 22])
    if table.rows:
        last = header_row + len(table.rows)
        sheet.autofilter(header_row, 0, last, len(table.columns) - 1)
        _conditional_load_formats(writer, sheet, header_row + 1, last)
    _print_setup(sheet, repeat_header=False)


def _setting_value(value: object) -> object:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(item) for item in value) or None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dt.date, pd.Timestamp, int, float, np.integer, np.floating)) or value is None:
        return _plain(value)
    return str(value)


LOAD_COLUMNS = ("team", "sprint", "start", "end", "capacity", "load", "slack", "utilisation")


def _load_table(result: PlanResult, capacity: CapacityResult | None) -> Table:
    """Per team and sprint (the rows with skill empty): capacity, load, slack and utilisation."""
    kinds = {
        "start": "date",
        "end": "date",
        "capacity": "number",
        "load": "number",
        "slack": "number",
        "utilisation": "percent",
    }
    columns = tuple(Column(name, kinds.get(name, "text"), name) for name in LOAD_COLUMNS)
    dates: dict[str, tuple[object, object]] = {}
    if capacity is not None and not capacity.sprints.empty:
        for sprint, start, end in zip(capacity.sprints["sprint"], capacity.sprints["start"], capacity.sprints["end"]):
            dates[str(sprint)] = (_plain(start), _plain(end))
    frame = result.capacity
    totals = frame[frame["skill"].isna()] if not frame.empty else frame
    rows = []
    for team, sprint, cap, load in zip(totals["team"], totals["sprint"], totals["capacity"], totals["load"]):
        cap, load = float(cap), float(load)
        start, end = dates.get(str(sprint), (None, None))
        rows.append((team, sprint, start, end, cap, load, round(cap - load, 9), load / cap if cap > 0 else None))
    return Table(columns, rows)


def _conditional_load_formats(writer: _Writer, sheet, first: int, last: int) -> None:
    """Red rows where load exceeds capacity; amber where slack is more than 30 % of capacity."""
    capacity, load, slack = (xl_col_to_name(LOAD_COLUMNS.index(name)) for name in ("capacity", "load", "slack"))
    row = first + 1  # the formulas are relative to the first row, in A1 numbering
    cells = (first, 0, last, len(LOAD_COLUMNS) - 1)
    sheet.conditional_format(
        *cells,
        {
            "type": "formula",
            "criteria": f"=${load}{row}-${capacity}{row}>0.000001",
            "format": writer.workbook.add_format({"bg_color": _RED_FILL}),
            "stop_if_true": True,
        },
    )
    sheet.conditional_format(
        *cells,
        {
            "type": "formula",
            "criteria": f"=${slack}{row}>{AMBER_SLACK}*${capacity}{row}",
            "format": writer.workbook.add_format({"bg_color": _AMBER_FILL}),
        },
    )


# --------------------------------------------------------------------------------------------------
# Public


def plan_workbook(
    result: PlanResult,
    backlog: pd.DataFrame,
    capacity: CapacityResult | None = None,
    *,
    scenario_name: str = "",
    settings: Mapping[str, object] | None = None,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> bytes:
    """The plan as xlsx bytes: Plan, Summary, Not planned, Capacity, ``extra_sheets``, one sheet per team.

    ``backlog`` is the table that was planned (the item fields come from it); ``capacity`` the
    capacity the plan used (its ledger fills the Capacity sheet; None leaves it with headers only);
    ``settings`` the what-if settings and solver options, shown on the Summary as given.
    ``extra_sheets`` adds ``{sheet name: table}`` sheets after Capacity, written like the others
    (the hook for the refinement report).
    """
    plan, excluded, teams = _plan_tables(result, backlog)
    writer = _Writer()
    writer.table_sheet(SHEET_PLAN, plan, freeze_columns=3)
    _summary_sheet(writer, result, capacity, scenario_name, settings or {})
    writer.table_sheet(SHEET_NOT_PLANNED, excluded, freeze_columns=1)
    writer.table_sheet(SHEET_CAPACITY, _capacity_table(capacity, result.sprints), freeze_columns=3)
    taken = [SHEET_PLAN, SHEET_SUMMARY, SHEET_NOT_PLANNED, SHEET_CAPACITY]
    for name, frame in (extra_sheets or {}).items():
        title = sheet_title(name, taken)
        taken.append(title)
        writer.table_sheet(title, _frame_table(frame))
    for team, table in teams.items():
        title = sheet_title(team, taken)
        taken.append(title)
        writer.table_sheet(title, table, freeze_columns=3)
    return writer.finish()


def write_plan_workbook(
    path: str | Path,
    result: PlanResult,
    backlog: pd.DataFrame,
    capacity: CapacityResult | None = None,
    *,
    scenario_name: str = "",
    settings: Mapping[str, object] | None = None,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write :func:`plan_workbook` to ``path``, through a temporary file: a failure leaves no half workbook."""
    data = plan_workbook(
        result, backlog, capacity, scenario_name=scenario_name, settings=settings, extra_sheets=extra_sheets
    )
    return write_workbook_bytes(path, data)


def write_workbook_bytes(path: str | Path, data: bytes) -> Path:
    """Write xlsx ``data`` to ``path`` through a temporary file beside it, so a failure leaves no half
    workbook and a reader never sees one; the file gets the usual rights of a new file."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp makes the file private (0600); a saved workbook gets the usual rights of a new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def tracker_csv(result: PlanResult, *, escape_formulas: bool = True) -> bytes:
    """``id,sprint,team`` per planned item, UTF-8 with BOM, for a tracker's bulk update of its Sprint field.

    With ``escape_formulas`` (default) a value starting with ``= + - @`` gets a leading ``'`` so Excel
    opening the file runs nothing; no real tracker key starts so.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "sprint", "team"])
    clean = csv_cell_text if escape_formulas else (lambda value: "" if value is None else str(value))
    order = {name: position for position, name in enumerate(result.sprints)}
    for assignment in sorted(result.selected, key=lambda a: (order.get(a.sprint, len(order)), a.sprint, a.team)):
        writer.writerow([clean(assignment.id), clean(assignment.sprint), clean(assignment.team)])
    return buffer.getvalue().encode("utf-8-sig")
