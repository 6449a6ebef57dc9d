"""Capacity ingest: sheets found by name, typed columns, and clear messages for bad rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import csv_bytes, write_xlsx

from planner.ingest import read_capacity

PEOPLE = [
    ["name", "team", "skills", "allocation", "days_per_sprint"],
    ["Ada", "pod-scale", "backend, data", "80%", None],
    ["Grace", "pod-scale", "iOS", 0.5, None],
    ["Linus", "pod-encounters", None, None, 6],
]
SPRINTS = [
    ["sprint", "start", "end"],
    ["Sprint 27", dt.date(2026, 11, 30), dt.date(2026, 12, 11)],
    ["Sprint 28", dt.date(2026, 12, 14), dt.date(2026, 12, 25)],
]


def workbook(tmp_path, **extra):
    sheets = {"people": PEOPLE, "sprints": SPRINTS, **extra}
    return write_xlsx(tmp_path / "capacity.xlsx", sheets)


def errors(result):
    return [p for p in result.problems if p.severity == "error"]


def test_full_workbook(tmp_path):
    path = workbook(
        tmp_path,
        ooo=[["name", "start", "end"], ["Ada", dt.date(2026, 12, 10), dt.date(2026, 12, 15)]],
        oncall=[
            ["name", "start", "end", "load"],
            ["Ada", dt.date(2026, 11, 30), dt.date(2026, 12, 6), "50%"],
            ["Linus", dt.date(2026, 12, 7), dt.date(2026, 12, 13), None],
        ],
        holidays=[["date", "team", "name"], [dt.date(2026, 12, 25), None, "Christmas Day"]],
        teams=[["team", "velocity", "focus_factor"], ["pod-scale", 30, 0.8], ["pod-encounters", 20, "75%"]],
    )
    result = read_capacity(path)
    assert not result.problems, result.problems
    people = result.tables.people
    assert list(people["name"]) == ["Ada", "Grace", "Linus"]
    assert list(people["skills"].fillna("")) == ["backend, data", "ios", ""]
    assert list(people["allocation"].fillna(-1)) == [0.8, 0.5, -1]  # blank = default, applied by the engine
    assert people.loc[2, "days_per_sprint"] == 6
    assert list(result.tables.sprints["start"]) == [pd.Timestamp(2026, 11, 30), pd.Timestamp(2026, 12, 14)]
    assert list(result.tables.oncall["load"].fillna(-1)) == [0.5, -1]
    assert result.tables.holidays.loc[0, "date"] == pd.Timestamp(2026, 12, 25)
    assert list(result.tables.teams["focus_factor"]) == [0.8, 0.75]
    assert list(people["source_row"]) == [2, 3, 4]
    assert set(result.sources) == {"people", "sprints", "ooo", "oncall", "holidays", "teams"}


def test_sheet_names_are_matched_loosely(tmp_path):
    path = write_xlsx(
        tmp_path / "cap.xlsx",
        {"Team Members": PEOPLE, "PTO": [["Person", "From", "To"], ["Ada", "2026-12-01", "2026-12-02"]]},
    )
    result = read_capacity(path)
    assert not errors(result)
    assert list(result.tables.ooo["name"]) == ["Ada"]


def test_missing_people_sheet_names_the_sheets_found(tmp_path):
    path = write_xlsx(tmp_path / "cap.xlsx", {"Staff list 2026": PEOPLE[:1], "sprints": SPRINTS})
    result = read_capacity(path)
    [error] = errors(result)
    assert "no 'people' sheet" in error.message and "sprints" in error.message
    assert any("Staff list 2026" in p.message and p.severity == "warning" for p in result.problems)


def test_person_on_no_team(tmp_path):
    path = write_xlsx(tmp_path / "cap.xlsx", {"people": [["name", "team"], ["Ada", "pod-scale"], ["Bob", None]]})
    [error] = errors(read_capacity(path))
    assert (error.sheet, error.row, error.column) == ("people", 3, "team")
    assert "no team" in error.message


@pytest.mark.parametrize(
    ("allocation", "expected_error"),
    [("150%", "out of range"), ("-0.2", "out of range"), ("half", "not a number")],
)
def test_bad_allocation(tmp_path, allocation, expected_error):
    path = write_xlsx(
        tmp_path / "cap.xlsx", {"people": [["name", "team", "allocation"], ["Ada", "pod-scale", allocation]]}
    )
    [error] = errors(read_capacity(path))
    assert expected_error in error.message and (error.row, error.column) == (2, "allocation")


def test_allocation_as_whole_percent_is_read_with_a_warning(tmp_path):
    path = write_xlsx(tmp_path / "cap.xlsx", {"people": [["name", "team", "allocation"], ["Ada", "pod-scale", 80]]})
    result = read_capacity(path)
    assert result.tables.people.loc[0, "allocation"] == 0.8
    assert [p.severity for p in result.problems] == ["warning"]


def test_ooo_ending_before_it_starts(tmp_path):
    path = workbook(tmp_path, ooo=[["name", "start", "end"], ["Ada", dt.date(2026, 12, 10), dt.date(2026, 12, 1)]])
    [error] = errors(read_capacity(path))
    assert (error.sheet, error.row, error.column) == ("ooo", 2, "end")
    assert "before it starts" in error.message


def test_unknown_person_in_oncall(tmp_path):
    path = workbook(tmp_path, oncall=[["name", "start", "end"], ["Adda", dt.date(2026, 12, 1), dt.date(2026, 12, 7)]])
    [error] = errors(read_capacity(path))
    assert (error.sheet, error.row) == ("oncall", 2) and "'Adda'" in error.message


def test_duplicate_person_and_overlapping_sprints(tmp_path):
    path = write_xlsx(
        tmp_path / "cap.xlsx",
        {
            "people": [["name", "team"], ["Ada", "a"], ["ada", "b"]],
            "sprints": [
                ["sprint", "start", "end"],
                ["S1", "2026-12-01", "2026-12-14"],
                ["S2", "2026-12-10", "2026-12-20"],
            ],
        },
    )
    messages = [e.message for e in errors(read_capacity(path))]
    assert len(messages) == 2
    assert any("listed again" in m for m in messages) and any("must not overlap" in m for m in messages)


def test_unparseable_date_names_the_cell(tmp_path):
    path = workbook(tmp_path, holidays=[["date", "name"], ["Christmas", "Christmas Day"]])
    [error] = errors(read_capacity(path))
    assert (error.sheet, error.row, error.column) == ("holidays", 2, "date")


def test_csv_files_one_per_sheet(tmp_path):
    people = tmp_path / "people.csv"
    people.write_bytes(csv_bytes([["name", "team", "skills"], ["Ada", "pod-scale", "backend;data"]]))
    ooo = tmp_path / "team-ooo.csv"
    ooo.write_bytes(csv_bytes([["name", "start", "end"], ["Ada", "2026-12-01", "2026-12-03"]], "utf-8-sig", ";"))
    result = read_capacity([people, ooo])
    assert not result.problems
    assert result.tables.people.loc[0, "skills"] == "backend, data"
    assert result.tables.ooo.loc[0, "end"] == pd.Timestamp(2026, 12, 3)


def test_single_csv_is_the_people_sheet(tmp_path):
    path = tmp_path / "roster-export.csv"
    path.write_bytes(csv_bytes([["Name", "Pod"], ["Ada", "pod-scale"]]))
    result = read_capacity(path)
    assert not result.problems and list(result.tables.people["team"]) == ["pod-scale"]


def test_empty_capacity_file(tmp_path):
    path = tmp_path / "capacity.csv"
    path.write_bytes(b"\n\n")
    result = read_capacity(path)
    assert result.has_errors
    assert all(p.file == "capacity.csv" for p in result.problems)
