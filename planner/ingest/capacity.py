"""Read the capacity workbook (SPEC section 2) into :class:`planner.schema.CapacityTables`.

One xlsx with sheets ``people`` (required), ``sprints``, ``ooo``, ``oncall``, ``holidays``, ``teams``,
or one CSV per sheet named after it (``people.csv``, ``team-ooo.csv`` ...). Sheet names are matched
like headers and through synonyms (``PTO`` -> ``ooo``); a sheet that is not recognised is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from planner.cells import is_blank
from planner.ingest.backlog import SourceInfo
from planner.ingest.columns import CAPACITY_FIELDS, ColumnMapping, comparable_key, map_columns
from planner.ingest.parse import parse_dates, parse_number, split_labels, to_text
from planner.ingest.read import Grid, Source, read_grids, source_name
from planner.ingest.sheet import Sheet, gather, locate_header
from planner.input_problems import ERROR, WARNING, Problem, has_errors
from planner.schema import CAPACITY_SHEETS, LIST_SEPARATOR, CapacityTables

__all__ = ["SHEET_SYNONYMS", "CapacityImport", "read_capacity"]

SHEET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "people": ("people", "person", "team members", "members", "staff", "roster", "engineers", "capacity"),
    "sprints": ("sprints", "sprint", "iterations", "cycles", "calendar"),
    "ooo": ("ooo", "out of office", "pto", "leave", "vacation", "vacations", "absences", "time off"),
    "oncall": ("oncall", "on call", "on-call", "rotation", "on call rotation", "support rotation"),
    "holidays": ("holidays", "holiday", "public holidays", "bank holidays", "non working days"),
    "teams": ("teams", "team", "pods", "squads"),
}
_REQUIRED = {
    "people": ("name", "team"),
    "sprints": ("sprint", "start", "end"),
    "ooo": ("name", "start", "end"),
    "oncall": ("name", "start", "end"),
    "holidays": ("date",),
    "teams": ("team",),
}


@dataclass(frozen=True)
class CapacityImport:
    """The capacity tables, the problems found, and per sheet the column mapping and source."""

    tables: CapacityTables
    problems: tuple[Problem, ...]
    mappings: dict[str, ColumnMapping]
    sources: dict[str, SourceInfo]

    @property
    def has_errors(self) -> bool:
        """True when a problem blocks planning."""
        return has_errors(self.problems)


def sheet_for(name: str) -> str | None:
    """The capacity sheet a sheet or file name stands for, or None."""
    key = comparable_key(Path(name).stem if "." in name else name)
    for sheet, synonyms in SHEET_SYNONYMS.items():
        if key in {comparable_key(s) for s in synonyms}:
            return sheet
    for sheet, synonyms in SHEET_SYNONYMS.items():  # file names such as team_capacity_ooo.csv
        if any(key.endswith(comparable_key(s)) for s in synonyms if len(comparable_key(s)) >= 3):
            return sheet
    return None


def read_capacity(
    sources: Source | Sequence[Source],
    names: Sequence[str | None] | None = None,
    *,
    corrections: Mapping[str, Mapping[str, str | None]] | None = None,
) -> CapacityImport:
    """Read a capacity workbook, or CSV files one per sheet; never raises for bad input.

    ``corrections`` maps a sheet name to header corrections, as :func:`map_columns` takes them.
    """
    source_list: list[Source] = list(sources) if isinstance(sources, (list, tuple)) else [cast(Source, sources)]
    name_list: list[str | None] = list(names) if names else [None] * len(source_list)
    if not source_list:
        return CapacityImport(CapacityTables(), (Problem(ERROR, "no capacity file was given", "capacity"),), {}, {})
    grids, problems = _sheets_by_name(source_list, name_list)
    located: dict[str, Sheet] = {}
    mappings: dict[str, ColumnMapping] = {}
    frames: dict[str, pd.DataFrame] = {}
    for sheet_name, grid in grids.items():
        sheet, header_problems = locate_header(grid, CAPACITY_FIELDS[sheet_name])
        problems += header_problems
        if sheet is None:
            continue
        mapping = map_columns(sheet.headers, CAPACITY_FIELDS[sheet_name], (corrections or {}).get(sheet_name))
        located[sheet_name], mappings[sheet_name] = sheet, mapping
        frame, sheet_problems = _read_sheet(sheet_name, sheet, mapping)
        frames[sheet_name] = frame
        problems += sheet_problems
    tables = CapacityTables.from_frames(frames)
    if "people" in located:
        problems += _cross_checks(tables, located, mappings)
    infos = {
        name: SourceInfo(s.file, s.sheet, s.kind, s.encoding, s.delimiter, s.header_row, len(s.rows))
        for name, s in located.items()
    }
    return CapacityImport(tables, tuple(problems), mappings, infos)


def _sheets_by_name(sources: list[Source], names: list[str | None]) -> tuple[dict[str, Grid], list[Problem]]:
    """Recognise each sheet (or CSV file) as one of the capacity sheets; report the rest."""
    grids: dict[str, Grid] = {}
    problems: list[Problem] = []
    files = []
    for source, name in zip(sources, names):
        file = source_name(source, name)
        files.append(file)
        file_grids, read_problems = read_grids(source, file)
        problems += read_problems
        for grid in file_grids:
            label = grid.sheet if grid.sheet is not None else file
            sheet = sheet_for(label)
            if sheet is None and grid.sheet is None and len(sources) == 1:
                sheet = "people"  # a single CSV is the people sheet
            if sheet is None:
                problems.append(
                    Problem(
                        WARNING,
                        f"sheet '{label}' is not a capacity sheet ({', '.join(CAPACITY_SHEETS)}); it was not read",
                        file,
                        grid.sheet,
                    )
                )
            elif sheet in grids:
                problems.append(
                    Problem(
                        ERROR,
                        f"'{label}' is a second {sheet} sheet "
                        f"(the first is '{grids[sheet].sheet or grids[sheet].file}'); keep one",
                        file,
                        grid.sheet,
                    )
                )
            else:
                grids[sheet] = grid
    if "people" not in grids and not has_errors(problems):
        found = [g.sheet or g.file for g in grids.values()]
        problems.append(
            Problem(
                ERROR,
                "no 'people' sheet: the capacity file needs a sheet named 'people' with name and team columns"
                + (f" (sheets read: {', '.join(found)})" if found else ""),
                files[0],
            )
        )
    return grids, problems


def _read_sheet(sheet_name: str, sheet: Sheet, mapping: ColumnMapping) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    fields = mapping.fields()
    missing = [field for field in _REQUIRED[sheet_name] if field not in fields]
    if missing:
        problems.append(
            sheet.problem(
                ERROR,
                f"no column for {', '.join(repr(m) for m in missing)}; the {sheet_name} sheet needs "
                f"{', '.join(_REQUIRED[sheet_name])}",
                sheet.header_row,
            )
        )
        return pd.DataFrame(), problems
    columns = CAPACITY_SHEETS[sheet_name]
    data: dict[str, Sequence[object]] = {"source_row": list(sheet.row_numbers)}
    blank = [all(is_blank(c) for c in row) for row in sheet.rows]
    day_first = sheet.delimiter == ";"
    for field, kind in columns.items():
        if field == "source_row":
            continue
        cells = gather(sheet, mapping, field)
        matches = mapping.columns_for(field)
        header_text = matches[0].header if matches else None
        if kind == "text":
            data[field] = [to_text(cell) for cell in cells]
        elif kind == "date":
            parsed = parse_dates(cells, day_first=day_first)
            for index in parsed.failed:
                problems.append(
                    sheet.problem(ERROR, parsed.failure(index, cells[index]), sheet.row_numbers[index], header_text)
                )
            if parsed.note:
                problems.append(sheet.problem(WARNING, parsed.note, None, header_text))
            data[field] = parsed.values
        else:
            data[field] = _numbers(sheet, cells, field, header_text, problems)
    frame = pd.DataFrame(data)
    frame = frame.loc[[not b for b in blank]].reset_index(drop=True)
    if sheet_name == "people":
        frame["skills"] = [
            LIST_SEPARATOR.join(dict.fromkeys(s.casefold() for s in split_labels(to_text(text)))) or None
            for text in frame["skills"].astype("object").where(frame["skills"].notna(), None)
        ]
    problems += _row_checks(sheet_name, sheet, frame, mapping)
    return frame, problems


def _numbers(
    sheet: Sheet, cells: list[object], field: str, header: str | None, problems: list[Problem]
) -> list[float | None]:
    """Numbers of one column; shares (allocation, load, focus factor) accept ``80%`` and ``80``."""
    share = field in {"allocation", "load", "focus_factor"}
    result: list[float | None] = []
    for index, cell in enumerate(cells):
        row = sheet.row_numbers[index]
        try:
            number = parse_number(cell, percent=share)
        except ValueError as exc:
            problems.append(sheet.problem(ERROR, f"{exc}; write a number", row, header))
            result.append(None)
            continue
        written_as_percent = isinstance(cell, str) and cell.strip().endswith("%")
        if number is not None and share and not written_as_percent and 1 < number <= 100:
            problems.append(sheet.problem(WARNING, f"{number:g} read as {number:g}% ({number / 100:g})", row, header))
            number /= 100
        if number is not None and (number < 0 or (share and number > 1)):
            limit = "between 0 and 1 (or 0% to 100%)" if share else "0 or more"
            problems.append(
                sheet.problem(
                    ERROR, f"{number:g} is out of range: {field.replace('_', ' ')} must be {limit}", row, header
                )
            )
            number = None
        result.append(number)
    return result


def _row_checks(sheet_name: str, sheet: Sheet, frame: pd.DataFrame, mapping: ColumnMapping) -> list[Problem]:
    """Required cells, ranges that end before they start, duplicate names."""
    problems = []

    def header(field: str) -> str | None:
        columns = mapping.columns_for(field)
        return columns[0].header if columns else None

    for field in _REQUIRED[sheet_name]:
        if CAPACITY_SHEETS[sheet_name][field] == "date":
            continue  # failed dates were reported; a blank one is reported below
        for row in frame.loc[frame[field].isna(), "source_row"]:
            what = (
                "a person on no team: add the team they plan with"
                if (sheet_name, field) == ("people", "team")
                else f"no {field}"
            )
            problems.append(sheet.problem(ERROR, what, int(row), header(field)))
    if "start" in frame and "end" in frame:
        for _, row in frame.iterrows():
            if pd.isna(row["start"]) or pd.isna(row["end"]):
                problems.append(
                    sheet.problem(
                        ERROR,
                        "needs both a start and an end date",
                        int(row["source_row"]),
                        header("start") if pd.isna(row["start"]) else header("end"),
                    )
                )
            elif row["end"] < row["start"]:
                problems.append(
                    sheet.problem(
                        ERROR,
                        f"ends ({row['end']:%Y-%m-%d}) before it starts ({row['start']:%Y-%m-%d}); swap the dates",
                        int(row["source_row"]),
                        header("end"),
                    )
                )
    unique_key = {"people": "name", "sprints": "sprint", "teams": "team"}.get(sheet_name)
    if unique_key:
        seen: dict[str, int] = {}
        for value, row in zip(frame[unique_key], frame["source_row"]):
            if is_blank(value):
                continue
            key = str(value).casefold()
            if key in seen:
                problems.append(
                    sheet.problem(
                        ERROR, f"'{value}' is listed again (first in row {seen[key]})", int(row), header(unique_key)
                    )
                )
            else:
                seen[key] = int(row)
    return problems


def _cross_checks(
    tables: CapacityTables, sheets: dict[str, Sheet], mappings: dict[str, ColumnMapping]
) -> list[Problem]:
    """Names in ooo/oncall must be people; teams in holidays should exist; sprints must not overlap."""
    problems = []

    def header(sheet_name: str, field: str) -> str:
        columns = mappings[sheet_name].columns_for(field)
        return columns[0].header if columns else field

    people = {str(name).casefold() for name in tables.people["name"].dropna()}
    for sheet_name in ("ooo", "oncall"):
        table = getattr(tables, sheet_name)
        for name, row in zip(table["name"], table["source_row"]):
            if not is_blank(name) and str(name).casefold() not in people:
                problems.append(
                    sheets[sheet_name].problem(
                        ERROR,
                        f"'{name}' is not on the people sheet; fix the spelling or add the person",
                        int(row),
                        header(sheet_name, "name"),
                    )
                )
    teams = {str(team).casefold() for team in tables.people["team"].dropna()}
    unstaffed = {"holidays": "this holiday changes nothing", "teams": "its capacity is 0"}
    for sheet_name, consequence in unstaffed.items():
        if sheet_name not in sheets:
            continue
        table = getattr(tables, sheet_name)
        for team, row in zip(table["team"], table["source_row"]):
            if not is_blank(team) and str(team).casefold() not in teams:
                problems.append(
                    sheets[sheet_name].problem(
                        WARNING,
                        f"team '{team}' has nobody on the people sheet: {consequence}",
                        int(row),
                        header(sheet_name, "team"),
                    )
                )
    if "sprints" in sheets:
        ordered = tables.sprints.dropna(subset=["start", "end"]).sort_values("start")
        previous = None
        for _, sprint in ordered.iterrows():
            if previous is not None and sprint["start"] <= previous["end"]:
                problems.append(
                    sheets["sprints"].problem(
                        ERROR,
                        f"'{sprint['sprint']}' starts {sprint['start']:%Y-%m-%d}, before '{previous['sprint']}' "
                        f"ends ({previous['end']:%Y-%m-%d}); sprints must not overlap",
                        int(sprint["source_row"]),
                        header("sprints", "start"),
                    )
                )
            previous = sprint
    return problems
