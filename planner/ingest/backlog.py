"""Read a backlog export (SPEC section 1) into the typed backlog table, reporting every problem.

Every row of the file is either an item in the table or a problem naming its row; every column is
either mapped to a field or kept under its own header. Errors block planning, warnings do not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from pandas.api.typing import NaTType

from planner.cells import is_blank
from planner.ingest.columns import BACKLOG_FIELDS, ColumnMapping, comparable_key, map_columns
from planner.ingest.parse import MAX_NUMBER, parse_dates, parse_number, split_ids, split_labels, to_text
from planner.ingest.read import Grid, Source, read_grids, source_name
from planner.ingest.sheet import Sheet, gather, locate_header
from planner.input_problems import ERROR, WARNING, Problem, Severity, has_errors
from planner.schema import BACKLOG_COLUMNS, EFFORT_PREFIX, LIST_SEPARATOR, coerce_table, empty_table
from planner.value import VALUE_RULES, choose_value_rule, compute_value

__all__ = ["DONE_STATUSES", "MOSCOW", "BacklogImport", "SourceInfo", "read_backlog"]

DONE_STATUSES = frozenset(
    comparable_key(status)
    for status in (
        "Done",
        "Closed",
        "Resolved",
        "Completed",
        "Complete",
        "Canceled",
        "Cancelled",
        "Won't Do",
        "Wont Do",
        "Removed",
        "Released",
        "Duplicate",
    )
)
MOSCOW = {
    "must": "Must",
    "musthave": "Must",
    "m": "Must",
    "should": "Should",
    "shouldhave": "Should",
    "s": "Should",
    "could": "Could",
    "couldhave": "Could",
    "c": "Could",
    "wont": "Won't",
    "wonthave": "Won't",
    "w": "Won't",
    "willnot": "Won't",
    "wouldnt": "Won't",
}

_TEXT_FIELDS = (
    "title",
    "team",
    "skill",
    "priority",
    "status",
    "type",
    "initiative",
    "milestone",
    "milestone_type",
    "assignee",
    "description",
    "acceptance_criteria",
)
_NUMBER_FIELDS = (
    "value_given",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "reach",
    "impact",
    "confidence",
)
# Table fields read from a column of another field's name: the file's value column feeds ``value_given``.
_SOURCE_FIELDS = {"value_given": "value"}
_EMAIL_IDENTITY = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<[^<>@\s]+@[^<>\s]+>\s*$")
_MILESTONE_PARTS = re.compile(r"\s*\|\s*")


@dataclass(frozen=True)
class SourceInfo:
    """Where a table came from and how it was read."""

    file: str
    sheet: str | None
    kind: str
    encoding: str | None
    delimiter: str | None
    header_row: int
    rows_read: int

    def describe(self) -> str:
        """One line for the app, e.g. ``backlog.csv: CSV, utf-8-sig, ';'-separated, header row 1, 120 rows``."""
        parts = [f"sheet {self.sheet}" if self.sheet else "CSV"]
        if self.encoding:
            parts.append(self.encoding)
        if self.delimiter:
            parts.append(f"{'tab' if self.delimiter == chr(9) else repr(self.delimiter)}-separated")
        parts += [f"header row {self.header_row}", f"{self.rows_read} rows"]
        return f"{self.file}: " + ", ".join(parts)


@dataclass(frozen=True)
class BacklogImport:
    """The backlog table, the problems found, the column mapping used and the value rule chosen."""

    table: pd.DataFrame
    problems: tuple[Problem, ...]
    mapping: ColumnMapping
    value_rule: str
    source: SourceInfo | None

    @property
    def has_errors(self) -> bool:
        """True when a problem blocks planning."""
        return has_errors(self.problems)

    @property
    def value_rule_text(self) -> str:
        """The value rule in words, for the app and the command line."""
        return VALUE_RULES[self.value_rule]


def read_backlog(
    source: Source,
    name: str | None = None,
    *,
    sheet: str | None = None,
    corrections: Mapping[str, str | None] | None = None,
    value_rule: str | None = None,
) -> BacklogImport:
    """Read a backlog file (xlsx first sheet or sheet ``Backlog``, or CSV); never raises for bad input.

    ``corrections`` fixes the column mapping (header as written -> field, or None to keep the
    column as is); ``value_rule`` forces a rule of :data:`planner.value.VALUE_RULES`.
    """
    file = source_name(source, name)
    grids, problems = read_grids(source, file)
    grid, sheet_problems = _choose_sheet(grids, file, sheet) if grids else (None, [])
    problems += sheet_problems
    if grid is None:
        return _empty_import(problems)
    located, header_problems = locate_header(grid, BACKLOG_FIELDS)
    problems += header_problems
    if located is None:
        return _empty_import(problems)
    mapping = map_columns(located.headers, BACKLOG_FIELDS, corrections)
    table, rule, row_problems = _build_table(located, mapping, value_rule)
    source_info = SourceInfo(
        file, located.sheet, located.kind, located.encoding, located.delimiter, located.header_row, len(located.rows)
    )
    return BacklogImport(table, tuple(problems + row_problems), mapping, rule, source_info)


def _empty_import(problems: list[Problem]) -> BacklogImport:
    return BacklogImport(empty_table(BACKLOG_COLUMNS), tuple(problems), ColumnMapping(()), "one", None)


def _choose_sheet(grids: list[Grid], file: str, wanted: str | None) -> tuple[Grid | None, list[Problem]]:
    names = [grid.sheet for grid in grids]
    if wanted is not None:
        for grid in grids:
            if grid.sheet is not None and comparable_key(grid.sheet) == comparable_key(wanted):
                return grid, []
        if grids[0].sheet is None:
            return grids[0], []
        return None, [
            Problem(ERROR, f"there is no sheet named '{wanted}'; the sheets are: {', '.join(map(str, names))}", file)
        ]
    for grid in grids:
        if grid.sheet is not None and comparable_key(grid.sheet) == "backlog":
            return grid, []
    with_data = [grid for grid in grids if any(not is_blank(cell) for row in grid.rows for cell in row)]
    if not with_data:
        return grids[0], []
    if with_data[0] is not grids[0]:
        return with_data[0], [
            Problem(
                WARNING,
                f"the first sheet '{grids[0].sheet}' is empty; read sheet '{with_data[0].sheet}' instead",
                file,
                with_data[0].sheet,
            )
        ]
    return grids[0], []


class _RowLog:
    """Collects problems for one sheet, naming the row and the column header as written."""

    def __init__(self, sheet: Sheet, mapping: ColumnMapping) -> None:
        self.sheet = sheet
        self.mapping = mapping
        self.problems: list[Problem] = []

    def header(self, field: str) -> str | None:
        columns = self.mapping.columns_for(field)
        return columns[0].header if columns else None

    def add(
        self,
        severity: Severity,
        message: str,
        row_number: int | None = None,
        field: str | None = None,
        column: str | None = None,
    ) -> None:
        self.problems.append(
            self.sheet.problem(severity, message, row_number, column or (self.header(field) if field else None))
        )


def _build_table(
    sheet: Sheet, mapping: ColumnMapping, forced_rule: str | None
) -> tuple[pd.DataFrame, str, list[Problem]]:
    log = _RowLog(sheet, mapping)
    fields = mapping.fields()
    skill_columns = sorted(f for f in fields if f.startswith(EFFORT_PREFIX))
    for required in ("id", "title"):
        if required not in fields:
            log.add(
                ERROR,
                f"no column for '{required}' (looked for headers like "
                f"{', '.join(BACKLOG_FIELDS[required][:4])}); map one of the columns to '{required}'",
            )
    if "effort" not in fields and not skill_columns:
        log.add(
            ERROR,
            "no column for 'effort' (looked for Story Points, Estimate, Effort, Size, Points, "
            "Days or effort:<skill>); map the estimate column to 'effort'",
        )
    if "id" not in fields:
        return empty_table(BACKLOG_COLUMNS), forced_rule or "one", log.problems

    if not sheet.rows:
        log.add(
            ERROR,
            f"the file has a header row ({sheet.header_row}) but no items below it: export the "
            "backlog again with its items",
            sheet.header_row,
        )
        return empty_table(BACKLOG_COLUMNS), forced_rule or "one", log.problems
    keep, item_ids = _rows_to_keep(sheet, [to_text(cell) for cell in gather(sheet, mapping, "id")], log)
    rows = [sheet.row_numbers[i] for i in keep]
    gathered = _gather_all(sheet, mapping, skill_columns)
    every_row = len(keep) == len(sheet.rows)
    column = gathered if every_row else {name: [values[i] for i in keep] for name, values in gathered.items()}

    text = {field: _texts(column[field]) for field in _TEXT_FIELDS}
    text["title"] = _titles(text["title"], rows, log) if "title" in fields else text["title"]
    text["team"] = [_last_segment(team) for team in text["team"]]
    text["sprint"] = [_last_segment(sprint) for sprint in _texts(column["sprint"])]
    text["assignee"] = [_identity_name(person) for person in text["assignee"]]
    text["skill"] = [skill.casefold() if skill else None for skill in text["skill"]]
    text["moscow"] = _moscow(column["moscow"], rows, log)
    text["labels"] = [_join_unique(split_labels(labels)) if labels else None for labels in _texts(column["labels"])]
    _fill_from_milestone(text)

    completed = [completed_at is not None for completed_at in _texts(column["completed_at"])]
    done = [
        finished or (status is not None and comparable_key(status) in DONE_STATUSES)
        for status, finished in zip(text["status"], completed)
    ]
    numbers = {field: _numbers(column[field], rows, log, field, negative_ok=False) for field in _NUMBER_FIELDS}
    for skill_column in skill_columns:
        numbers[skill_column] = _numbers(column[skill_column], rows, log, skill_column, negative_ok=False)
    numbers["effort"] = _effort(
        numbers,
        done,
        _numbers(column["effort"], rows, log, "effort", negative_ok=False),
        skill_columns,
        rows,
        log,
        "effort" in fields,
    )

    day_first = sheet.delimiter == ";"
    dates = {
        "deadline": _dates(column["deadline"], rows, log, "deadline", ERROR, day_first),
        "created": _dates(column["created"], rows, log, "created", WARNING, day_first),
        "updated": _dates(column["updated"], rows, log, "updated", WARNING, day_first),
    }
    text["depends_on"] = _dependencies(item_ids, column, rows, log)

    data: dict[str, Sequence[object]] = {"id": item_ids, "source_row": rows, **text, "done": done, **numbers, **dates}
    kept = {
        header if header not in data else f"{header} (file)": [values[i] for i in keep]
        for header, values in _kept_columns(sheet, mapping).items()
    }
    frame = pd.DataFrame({**data, **kept})  # one frame at once: a column at a time is quadratic
    table = coerce_table(frame, BACKLOG_COLUMNS)
    rule = forced_rule or choose_value_rule(table)
    table["value"] = _values(table, rule, log)
    _check_cycles(table, log)
    return table, rule, log.problems


def _gather_all(sheet: Sheet, mapping: ColumnMapping, skill_columns: list[str]) -> dict[str, list[object]]:
    modes = {"sprint": "last", "depends_on": "all", "blocks": "all", "labels": "all"}
    fields = [
        *_TEXT_FIELDS,
        *_NUMBER_FIELDS,
        *skill_columns,
        "effort",
        "moscow",
        "labels",
        "deadline",
        "created",
        "updated",
        "completed_at",
        "depends_on",
        "blocks",
        "sprint",
    ]
    return {
        field: gather(sheet, mapping, _SOURCE_FIELDS.get(field, field), modes.get(field, "first")) for field in fields
    }


def _texts(cells: list[object]) -> list[str | None]:
    """Cells as text; a column the file does not have (all None) costs nothing on 200,000 rows."""
    if cells.count(None) == len(cells):
        return [None] * len(cells)
    return [to_text(cell) for cell in cells]


def _rows_to_keep(sheet: Sheet, ids: list[str | None], log: _RowLog) -> tuple[list[int], list[str]]:
    """Rows with an id and their ids; blank rows and rows without an id are reported, never silently dropped."""
    keep = []
    kept_ids = []
    first_seen: dict[str, int] = {}
    blank_rows = []
    for index, (row, item_id) in enumerate(zip(sheet.rows, ids)):
        number = sheet.row_numbers[index]
        if item_id is None:
            if all(is_blank(cell) for cell in row):
                blank_rows.append(number)
            else:
                log.add(ERROR, "this row has no id, so it was not loaded; give every item a unique id", number, "id")
            continue
        if item_id in first_seen:
            log.add(
                ERROR,
                f"id '{item_id}' is used again (first in row {first_seen[item_id]}); ids must be unique",
                number,
                "id",
            )
        else:
            first_seen[item_id] = number
        keep.append(index)
        kept_ids.append(item_id)
    if blank_rows:
        log.add(
            WARNING,
            f"{len(blank_rows)} blank row(s) between items were skipped: "
            f"{', '.join(map(str, blank_rows[:20]))}{' ...' if len(blank_rows) > 20 else ''}",
            blank_rows[0],
        )
    return keep, kept_ids


def _titles(titles: list[str | None], rows: list[int], log: _RowLog) -> list[str | None]:
    for title, row in zip(titles, rows):
        if title is None:
            log.add(WARNING, "the item has no title", row, "title")
    return titles


def _last_segment(text: str | None) -> str | None:
    """``Care\\Scale`` (Azure DevOps area or iteration path) -> ``Scale``."""
    if text is None or "\\" not in text:
        return text
    return text.rstrip("\\").rsplit("\\", 1)[-1].strip() or text


def _identity_name(text: str | None) -> str | None:
    """``Ada Lovelace <ada@example.com>`` -> ``Ada Lovelace``."""
    if text is None:
        return None
    match = _EMAIL_IDENTITY.match(text)
    return (match.group("name") or text) if match else text


def _join_unique(items: list[str]) -> str | None:
    unique = list(dict.fromkeys(items))
    return LIST_SEPARATOR.join(unique) if unique else None


def _moscow(cells: list[object], rows: list[int], log: _RowLog) -> list[str | None]:
    result: list[str | None] = []
    for text, row in zip(_texts(cells), rows):
        if text is None:
            result.append(None)
            continue
        value = MOSCOW.get(comparable_key(text))
        if value is None:
            log.add(WARNING, f"'{text}' is not Must, Should, Could or Won't; treated as blank", row, "moscow")
        result.append(value)
    return result


def _fill_from_milestone(text: dict[str, list[str | None]]) -> None:
    """A milestone named ``Initiative | Type | Description`` fills a blank initiative and type."""
    for index, milestone in enumerate(text["milestone"]):
        if not milestone or "|" not in milestone:
            continue
        parts = _MILESTONE_PARTS.split(milestone.strip())
        if text["initiative"][index] is None and parts[0]:
            text["initiative"][index] = parts[0]
        if text["milestone_type"][index] is None and len(parts) > 1 and parts[1]:
            text["milestone_type"][index] = parts[1]


def _numbers(cells: list[object], rows: list[int], log: _RowLog, field: str, negative_ok: bool) -> list[float | None]:
    result: list[float | None] = []
    if cells.count(None) == len(cells):
        return [None] * len(cells)
    column = field if field.startswith(EFFORT_PREFIX) else None
    header = log.header(_SOURCE_FIELDS.get(field, field)) or column
    for cell, row in zip(cells, rows):
        try:
            number = parse_number(cell)
        except ValueError as exc:
            log.add(ERROR, f"{exc}; write a number", row, column=header)
            number = None
        if number is not None and number < 0 and not negative_ok:
            log.add(ERROR, f"{number:g} is negative; {field.replace('_', ' ')} must be 0 or more", row, column=header)
            number = None
        result.append(number)
    return result


def _effort(
    numbers: Mapping[str, list[float | None]],
    done: list[bool],
    effort: list[float | None],
    skill_columns: list[str],
    rows: list[int],
    log: _RowLog,
    has_effort_column: bool,
) -> list[float | None]:
    """Total effort: the sum of ``effort:<skill>`` columns when the row has any, else the effort column."""
    result: list[float | None] = []
    for index, row in enumerate(rows):
        parts = [part for part in (numbers[column][index] for column in skill_columns) if part is not None]
        given = effort[index]
        total = sum(parts) if parts else given
        if parts and given is not None and total is not None and abs(given - total) > 1e-9:
            log.add(
                WARNING,
                f"effort {given:g} differs from the sum of the effort:<skill> columns ({total:g}); the sum is used",
                row,
                "effort",
            )
        if total is None and not done[index] and (has_effort_column or skill_columns):
            log.add(
                WARNING,
                "no estimate: the item cannot be planned until it is estimated",
                row,
                column=log.header("effort") or (skill_columns[0] if skill_columns else None),
            )
        result.append(total)
    return result


def _dates(
    cells: list[object], rows: list[int], log: _RowLog, field: str, severity: Severity, day_first: bool
) -> list[pd.Timestamp | NaTType]:
    parsed = parse_dates(cells, day_first=day_first)
    for index in parsed.failed:
        log.add(severity, parsed.failure(index, cells[index]), rows[index], field)
    if parsed.note:
        log.add(WARNING, parsed.note, None, field)
    return parsed.values


def _dependencies(ids: list[str], column: dict[str, list[object]], rows: list[int], log: _RowLog) -> list[str | None]:
    """Prerequisites from depends-on / blocked-by columns and, reversed, from outward blocking links."""
    known = frozenset(ids)
    prerequisites = [split_ids(text, known) if text else [] for text in _texts(column["depends_on"])]
    position = {item_id: index for index, item_id in reversed(list(enumerate(ids)))}
    for index, text in enumerate(_texts(column["blocks"])):
        for blocked in split_ids(text, known):
            if blocked in position and ids[index] not in prerequisites[position[blocked]]:
                prerequisites[position[blocked]].append(ids[index])
    for index, ids in enumerate(prerequisites):
        for missing in [item for item in ids if item not in known]:
            log.add(
                WARNING,
                f"depends on '{missing}', which is not in this backlog: the item will not be "
                "planned until it is added (or the link removed)",
                rows[index],
                "depends_on",
            )
    return [_join_unique(ids) for ids in prerequisites]


def _kept_columns(sheet: Sheet, mapping: ColumnMapping) -> dict[str, list[str | None]]:
    """Columns no field uses, under their own header; repeated headers keep every value, joined."""
    kept: dict[str, list[int]] = {}
    for match in mapping.matches:
        if match.field is None:
            kept.setdefault(match.header, []).append(match.position)
    result = {}
    for header, positions in kept.items():
        result[header] = [
            "; ".join(text for text in (to_text(row[p]) for p in positions) if text) or None for row in sheet.rows
        ]
    return result


def _values(table: pd.DataFrame, rule: str, log: _RowLog) -> pd.Series:
    values = compute_value(table, rule)
    if rule == "one":
        return values
    field = {"value": "value", "wsjf": "business_value", "rice": "reach", "priority": "priority"}[rule]
    for row in table.loc[values.isna(), "source_row"]:
        log.add(WARNING, f"no value under the rule '{VALUE_RULES[rule]}': counted as 0", int(row), field)
    # Each input is bounded, but a RICE product is not: a value the solver cannot weigh is an input error.
    for row, value in zip(table.loc[values > MAX_NUMBER, "source_row"], values[values > MAX_NUMBER]):
        log.add(
            ERROR,
            f"the value {value:.3g} under the rule '{VALUE_RULES[rule]}' is too large for planning "
            f"(more than {MAX_NUMBER:,.0f}); scale the inputs down",
            int(row),
            field,
        )
    return values.fillna(0.0).clip(upper=MAX_NUMBER)


def _check_cycles(table: pd.DataFrame, log: _RowLog) -> None:
    """Report each dependency cycle once, at the row of its first item: no plan can satisfy it."""
    # Only items with prerequisites can be on a cycle.
    linked = table.loc[table["depends_on"].notna(), ["id", "depends_on"]]
    graph = {
        item_id: [p.strip() for p in deps.split(",") if p.strip()]
        for item_id, deps in zip(linked["id"], linked["depends_on"])
    }
    rows = dict(zip(table["id"], table["source_row"]))
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    reported: set[frozenset[str]] = set()
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if child not in graph:
                continue
            if state.get(child) == 1:
                cycle = path[path.index(child) :]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    chain = " -> ".join([*cycle, child])
                    log.add(
                        ERROR,
                        f"dependency cycle {chain}: none of these items can come first; remove one of the links",
                        int(rows[cycle[0]]),
                        "depends_on",
                    )
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(graph[child])))
                path.append(child)
