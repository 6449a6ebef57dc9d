"""Input at the edges: dates beyond any plan, absurd numbers, empty backlogs, very wide and long files.

Issue 11: each of these crashed, planned nonsense or took minutes; each is now an input problem
naming file, sheet, row and column (or reads in linear time).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import tomllib
import warnings

import pandas as pd
import pytest
from conftest import REPO, csv_bytes, write_xlsx
from hostile_files import HEADER_ROW, ODS_HEADER, ods_bytes, sheet_xml, write_workbook
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.ingest import columns as column_matching
from planner.ingest import read_backlog, read_capacity
from planner.ingest.grid import MAX_ROWS, MAX_SHEET_CELLS
from planner.ingest.parse import FIRST_DATE, LAST_DATE, MAX_NUMBER, parse_dates, parse_number
from planner.schema import BACKLOG_COLUMNS, coerce_table
from planner.store import Store

SAMPLE_CAPACITY = REPO / "data" / "sample_capacity.xlsx"


def errors_of(result):
    return [problem for problem in result.problems if problem.severity == "error"]


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["3026-03-12", "9999-12-31", "1066-10-14", "12/03/3026"])
def test_a_deadline_outside_any_plan_is_an_error_naming_row_and_column(tmp_path, written):
    path = tmp_path / "backlog.csv"
    path.write_bytes(
        csv_bytes(
            [["id", "title", "effort", "Due date"], ["A-1", "One", "3", "2026-12-01"], ["A-2", "Two", "2", written]]
        )
    )
    result = read_backlog(path)
    [error] = errors_of(result)
    assert (error.file, error.row, error.column) == ("backlog.csv", 3, "Due date")
    assert written in error.message and "mistyped" in error.message
    assert result.table["deadline"].isna().tolist() == [False, True]


def test_an_excel_date_cell_in_year_9999_is_an_error_not_a_crash(tmp_path):
    path = write_xlsx(
        tmp_path / "backlog.xlsx",
        {
            "Backlog": [
                ["id", "title", "effort", "deadline", "created"],
                ["A-1", "One", 3, dt.date(9999, 12, 31), dt.datetime(3000, 1, 1, 9, 30)],
            ]
        },
    )
    result = read_backlog(path)
    by_column = {problem.column: problem for problem in result.problems}
    assert by_column["deadline"].severity == "error" and by_column["deadline"].sheet == "Backlog"
    assert by_column["created"].severity == "warning"  # a created date only informs
    assert result.table["deadline"].dtype == "datetime64[ns]"


def test_an_ooo_in_the_year_3000_is_an_error_naming_sheet_row_and_column(tmp_path):
    path = write_xlsx(
        tmp_path / "capacity.xlsx",
        {
            "people": [["name", "team"], ["Ada", "pod"]],
            "sprints": [["sprint", "start", "end"], ["S1", dt.date(2026, 11, 30), dt.date(2026, 12, 11)]],
            "ooo": [["name", "start", "end"], ["Ada", dt.date(3000, 1, 1), "3000-01-05"]],
        },
    )
    result = read_capacity(path)
    located = {(p.sheet, p.row, p.column) for p in errors_of(result) if "mistyped" in p.message}
    assert located == {("ooo", 2, "start"), ("ooo", 2, "end")}


def test_the_cli_exits_2_on_an_out_of_range_date_with_row_and_column(tmp_path, capsys):
    path = tmp_path / "backlog.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort", "deadline"], ["A-1", "One", "3", "3026-03-12"]]))
    code = main(["plan", "--backlog", str(path), "--capacity", str(SAMPLE_CAPACITY), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 2 and report["status"] == "error"
    assert "backlog.csv, row 2, column 'deadline'" in report["message"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.dates(), st.datetimes(), st.none(), st.dates().map(lambda day: day.isoformat())), max_size=8)
)
@pytest.mark.slow
def test_any_date_cell_parses_within_range_or_fails_cleanly(cells):
    parsed = parse_dates(cells)
    for row, stamp in enumerate(parsed.values):
        assert pd.isna(stamp) or FIRST_DATE <= stamp <= LAST_DATE
        if row in parsed.failed:
            assert pd.isna(stamp) and parsed.failure(row, cells[row])
    table = coerce_table(pd.DataFrame({"id": ["x"] * len(cells), "deadline": parsed.values}), BACKLOG_COLUMNS)
    assert table["deadline"].dtype == "datetime64[ns]"


def test_stored_tables_with_far_dates_read_as_missing_not_a_crash():
    frame = pd.DataFrame({"id": ["a", "b"], "deadline": [dt.date(3026, 3, 12), dt.date(2026, 3, 12)]})
    table = coerce_table(frame, BACKLOG_COLUMNS)
    assert table["deadline"].isna().tolist() == [True, False]


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["1e308", 1e308, "-1e13", "inf", float("inf"), "nan"])
def test_absurd_or_non_finite_numbers_are_refused(cell):
    with pytest.raises(ValueError):
        parse_number(cell)


@pytest.mark.parametrize("cell, expected", [("5", 5.0), ("3,5", 3.5), ("5 pts", 5.0), (MAX_NUMBER, MAX_NUMBER)])
def test_ordinary_numbers_still_read(cell, expected):
    assert parse_number(cell) == expected


def test_two_values_of_1e308_are_input_errors_naming_the_value_column(tmp_path, capsys):
    path = tmp_path / "backlog.csv"
    path.write_bytes(
        csv_bytes([["id", "title", "effort", "Business Value"], ["A", "a", "1", "1e308"], ["B", "b", "1", "1e308"]])
    )
    result = read_backlog(path)
    assert [(p.row, p.column) for p in errors_of(result)] == [(2, "Business Value"), (3, "Business Value")]
    code = main(["plan", "--backlog", str(path), "--capacity", str(SAMPLE_CAPACITY), "--json"])
    assert code == 2 and json.loads(capsys.readouterr().out)["status"] == "error"


def test_a_rice_product_too_large_to_plan_with_is_an_error(tmp_path):
    path = tmp_path / "backlog.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["id", "title", "effort", "reach", "impact", "confidence"],
                ["A", "a", "1", "1e12", "1e12", "1e12"],
                ["B", "b", "1", "100", "2", "0.5"],
            ]
        )
    )
    result = read_backlog(path)
    [error] = errors_of(result)
    assert (error.row, error.column) == (2, "reach") and "too large" in error.message
    assert result.table["value"].tolist() == [MAX_NUMBER, 100.0]


# --- empty, wide and long files ------------------------------------------------------------------


def test_a_header_only_backlog_makes_the_cli_exit_2(tmp_path, capsys):
    path = tmp_path / "backlog.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort"]]))
    code = main(["plan", "--backlog", str(path), "--capacity", str(SAMPLE_CAPACITY)])
    assert code == 2 and "no items" in capsys.readouterr().err


def test_a_5000_column_export_builds_the_synonym_index_once_and_the_table_in_one_go(tmp_path):
    headers = ["Issue key", "Summary", "Story Points"] + [f"Custom field (Extra {n})" for n in range(4997)]
    rows = [headers] + [
        [f"W-{r}", f"title {r}", str(r + 1)] + ["x" if n % 97 == r else "" for n in range(4997)] for r in range(5)
    ]
    path = tmp_path / "wide.csv"
    path.write_bytes(csv_bytes(rows))
    column_matching._built_index.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)  # a column at a time fragments the frame
        result = read_backlog(path)
    assert column_matching._built_index.cache_info().misses == 1
    assert not result.has_errors and result.table["id"].tolist() == [f"W-{r}" for r in range(5)]
    assert "Custom field (Extra 4996)" in result.table.columns and len(result.table.columns) == 4997 + len(
        BACKLOG_COLUMNS
    )


def test_a_long_backlog_reads_every_row(tmp_path):
    rows = [["id", "title", "team", "effort", "value", "depends_on"]]
    rows += [
        [f"I-{n}", f"Item {n}", f"T{n % 7}", str(n % 8 + 1), str(n % 100), f"I-{n - 1}" if n % 50 == 1 else ""]
        for n in range(20_000)
    ]
    rows[30] = ["I-29", "cycle", "T1", "1", "1", "I-30"]
    rows[31] = ["I-30", "cycle", "T2", "1", "1", "I-29"]
    path = tmp_path / "long.csv"
    path.write_bytes(csv_bytes(rows))
    result = read_backlog(path)
    assert len(result.table) == 20_000
    [cycle] = errors_of(result)
    assert "cycle" in cycle.message and cycle.row in (31, 32)


@pytest.mark.parametrize("extra", [1, 2_000_000])
def test_a_csv_longer_than_the_row_limit_is_refused_before_it_is_read_whole(tmp_path, extra):
    # A 20 MB upload of short rows is millions of items: refused at the limit, not reported row by row.
    path = tmp_path / "long.csv"
    path.write_bytes(b"id,title,effort\n" + b"a,b,1\n" * (MAX_ROWS + extra))
    result = read_backlog(path)
    [error] = result.problems
    assert error.severity == "error" and f"{MAX_ROWS:,}" in error.message and len(result.table) == 0


def test_a_csv_row_with_millions_of_cells_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b"id,title,effort\n" + b"," * (MAX_SHEET_CELLS + 1) + b"\n")
    [error] = read_backlog(path).problems
    assert error.severity == "error" and error.row == 2 and "cells" in error.message


def test_a_workbook_longer_than_the_row_limit_is_refused_naming_the_sheet(tmp_path):
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(3, MAX_ROWS + 3))
    path = write_workbook(tmp_path / "long.xlsx", sheet_xml(HEADER_ROW + rows))
    [error] = read_backlog(path).problems
    assert (error.severity, error.sheet) == ("error", "Backlog") and "rows or more" in error.message


def test_an_ods_whose_repeated_rows_pass_the_row_limit_is_refused(tmp_path):
    # 1 KB that calamine expands to a million items, each then reported as a duplicate id (18 s, 2 GB).
    repeated = (
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell office:value-type="string">'
        "<text:p>A-1</text:p></table:table-cell></table:table-row>"
    )
    path = tmp_path / "backlog.ods"
    path.write_bytes(ods_bytes(ODS_HEADER + repeated))
    [error] = read_backlog(path).problems
    assert error.severity == "error" and "rows" in error.message and error.file == "backlog.ods"


# --- settings of a shared server -----------------------------------------------------------------


def test_the_database_and_its_log_are_readable_by_their_owner_only(tmp_path):
    from planner.sample import ensure_sample

    path = tmp_path / "planner.duckdb"
    store = Store(path)
    try:
        ensure_sample(store)
        files = [candidate for candidate in (path, tmp_path / "planner.duckdb.wal") if candidate.exists()]
        assert path in files
        assert all(stat.S_IMODE(os.stat(candidate).st_mode) == 0o600 for candidate in files)
    finally:
        store.close()


def test_users_get_no_tracebacks_from_the_shared_server():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_the_shared_server_skips_a_full_garbage_collection_after_every_script_and_fragment_run():
    # Each took the interpreter's lock from every session: with five sessions polling for their
    # full plans, 78 % of the server's time (bench/README.md, load).
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_a_click_during_a_run_waits_for_it_rather_than_a_second_runner_on_the_same_session():
    # Two runners overlapping on one session state ran an undo's callback twice in CI (README, Errors).
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["fastReruns"] is False
