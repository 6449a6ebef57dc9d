"""Backlog ingest: real export shapes, hostile files, and every problem named by file, row and column."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import DATA, SHARED, csv_bytes, write_xlsx

from planner.ingest import map_columns, read_backlog
from planner.schema import BACKLOG_COLUMNS


def problems_of(result, severity=None):
    return [p for p in result.problems if severity is None or p.severity == severity]


def row_of(result, item_id):
    return result.table.set_index("id").loc[item_id]


# --- real export formats -----------------------------------------------------------------------


def test_jira_export_with_bom_and_repeated_headers():
    result = read_backlog(DATA / "jira_export.csv")
    assert result.source.encoding == "utf-8-sig"
    assert list(result.table["id"]) == ["CARE-1", "CARE-2", "CARE-3", "CARE-4"]
    assert not any(column.endswith(".1") for column in result.table.columns)
    care1 = row_of(result, "CARE-1")
    assert care1["sprint"] == "Sprint 27"  # last non-empty of the repeated Sprint columns
    assert care1["labels"] == "claims, backend"  # both Labels columns kept
    assert care1["deadline"] == pd.Timestamp(2026, 3, 27)
    assert care1["created"] == pd.Timestamp(2026, 3, 12, 9, 0)
    assert care1["updated"] == pd.Timestamp(2026, 3, 14, 16, 30)
    # Story point estimate is used where Story Points is blank.
    assert row_of(result, "CARE-2")["effort"] == 3
    # Both "Inward issue link (Blocks)" columns feed depends_on; Cloners links do not.
    assert row_of(result, "CARE-4")["depends_on"] == "CARE-2, CARE-9"
    assert row_of(result, "CARE-2")["depends_on"] == "CARE-1"
    assert "Inward issue link (Cloners)" in result.table.columns
    assert row_of(result, "CARE-3")["done"]
    assert row_of(result, "CARE-3")["title"] == "Résumé export ☃"
    assert row_of(result, "CARE-1")["description"] == 'Multi-line\r\ndescription, with "quotes"'


def test_jira_mapping_is_reported_for_correction():
    result = read_backlog(DATA / "jira_export.csv")
    by_header = {m.header: m for m in result.mapping.matches}
    assert by_header["Custom field (Story Points)"].field == "effort"
    assert by_header["Custom field (Story point estimate)"].field == "effort"
    assert by_header["Issue key"].field == "id"
    assert by_header["Issue id"].field is None
    assert by_header["Outward issue link (Relates)"].field is None
    rows = result.mapping.as_rows()
    assert {
        "column": 15,
        "header": "Custom field (Story Points)",
        "field": "effort",
        "how": "custom field",
        "note": "",
    } in rows


def test_unknown_dependency_is_a_warning_naming_row_and_column():
    result = read_backlog(DATA / "jira_export.csv")
    [missing] = [p for p in result.problems if "CARE-9" in p.message]
    assert (missing.severity, missing.file, missing.row, missing.column) == (
        "warning",
        "jira_export.csv",
        5,
        "Inward issue link (Blocks)",
    )
    assert not result.has_errors


def test_asana_export():
    result = read_backlog(DATA / "asana_export.csv")
    assert list(result.table["id"]) == ["1201", "1202", "1203"]
    assert list(result.table["team"]) == ["pod-scale"] * 3  # custom field "Pod"
    assert list(result.table["effort"]) == [3, 5, 2]  # custom field "Points"
    assert row_of(result, "1202")["depends_on"] == "1201"
    assert row_of(result, "1203")["done"]  # Completed At is filled
    assert row_of(result, "1201")["labels"] == "design, claims"
    assert result.value_rule == "priority"


def test_linear_export():
    result = read_backlog(DATA / "linear_export.csv")
    assert list(result.table["effort"]) == [3, 5, 1]
    assert row_of(result, "ENC-8")["depends_on"] == "ENC-7"
    assert row_of(result, "ENC-9")["done"]  # Canceled is filled
    assert row_of(result, "ENC-7")["sprint"] == "Cycle 12"
    assert row_of(result, "ENC-7")["initiative"] == "Encounter Notes v2"
    assert row_of(result, "ENC-7")["milestone_type"] == "Released to Pilot"
    assert row_of(result, "ENC-7")["created"] == pd.Timestamp(2026, 3, 1, 10, 0)
    assert list(result.table["value"]) == [4, 5, 1]  # High, Urgent, No priority


def test_azure_devops_export():
    result = read_backlog(DATA / "ado_export.csv")
    assert list(result.table["team"]) == ["Protocols", "Protocols", "Scale"]  # Area Path last segment
    assert row_of(result, "301")["sprint"] == "Sprint 27"  # Iteration Path last segment
    assert row_of(result, "301")["assignee"] == "Ada Lovelace"  # "Name <email>"
    assert row_of(result, "301")["labels"] == "protocols, canvas"  # "; "-separated tags
    assert row_of(result, "301")["deadline"] == pd.Timestamp(2026, 4, 15)
    assert result.value_rule == "wsjf"
    assert "WSJF" in result.value_rule_text
    assert list(result.table["value"]) == [16, 12, 17]  # cost of delay, not the ratio


def test_azure_devops_iteration_paths_keep_the_sprint_and_the_root_as_written():
    """``Care\\Sprint 43`` pins to ``Sprint 43``; the project root ``Care`` is kept for the sprint treatment."""
    data = csv_bytes(
        [
            ["ID", "Title", "Area Path", "Iteration Path", "Effort", "State"],
            ["1", "In a sprint", "Care\\Scale", "Care\\Sprint 43", "3", "New"],
            ["2", "In no sprint", "Care\\Scale", "Care", "3", "New"],
            ["3", "Trailing backslash", "Care", "Care\\", "3", "New"],
        ]
    )
    result = read_backlog(data, name="ado.csv")
    assert list(result.table["sprint"]) == ["Sprint 43", "Care", "Care"]
    assert list(result.table["team"]) == ["Scale", "Scale", "Care"]


def test_linear_cycle_number_is_the_sprint_when_the_cycle_has_no_name():
    data = csv_bytes(
        [
            ["ID", "Title", "Estimate", "Cycle Number", "Cycle Name"],
            ["SCA-1", "Numbered cycle", "3", "43", ""],
            ["SCA-2", "Named cycle", "3", "44", "Cycle 44"],
            ["SCA-3", "No cycle", "3", "", ""],
        ]
    )
    result = read_backlog(data, name="linear.csv")
    assert list(result.table["sprint"].astype(object).where(result.table["sprint"].notna(), None)) == [
        "43",
        "Cycle 44",
        None,
    ]


def test_cp1252_semicolon_csv_says_which_encoding_was_used():
    result = read_backlog(DATA / "cp1252_semicolon.csv")
    assert result.source.encoding == "cp1252"
    assert result.source.delimiter == ";"
    assert row_of(result, "ABC-1")["title"] == "Überweisung prüfen – €"
    assert row_of(result, "ABC-1")["effort"] == 2.5  # decimal comma
    assert row_of(result, "ABC-1")["deadline"] == pd.Timestamp(2026, 4, 3)
    [note] = [p for p in result.problems if "Windows-1252" in p.message]
    assert note.severity == "warning"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_dialects_and_encodings(tmp_path, delimiter, encoding):
    rows = [["id", "title", "effort"], ["A-1", "Café, résumé; tab", "2"], ["007", "Straße", "1.5"]]
    path = tmp_path / "backlog.csv"
    path.write_bytes(csv_bytes(rows, encoding, delimiter))
    result = read_backlog(path)
    assert not result.has_errors, result.problems
    assert list(result.table["id"]) == ["A-1", "007"]
    assert list(result.table["title"]) == ["Café, résumé; tab", "Straße"]
    assert list(result.table["effort"]) == [2.0, 1.5]
    assert result.source.delimiter == delimiter


def test_real_jira_backlogs_are_read_whole():
    for name, count in (("mesos.csv", 1680), ("jirasoftware.csv", 352)):
        path = SHARED / "real-backlogs" / name
        if not path.exists():
            pytest.skip(f"{path} is not here (it lives in ../shared)")
        result = read_backlog(path)
        assert len(result.table) == count
        assert not result.has_errors
        assert result.value_rule == "one"
        assert result.table["effort"].notna().all()
        assert result.table["id"].is_unique


# --- ids, numbers, values ----------------------------------------------------------------------


def test_ids_stay_text_exactly_as_written(tmp_path):
    rows = [["id", "title", "effort"], ["007", "a", "1"], ["1e3", "b", "1"], ["NA", "c", "1"], ["null", "d", "1"]]
    csv_path = tmp_path / "ids.csv"
    csv_path.write_bytes(csv_bytes(rows))
    xlsx_path = write_xlsx(tmp_path / "ids.xlsx", {"Backlog": rows})
    for path in (csv_path, xlsx_path):
        result = read_backlog(path)
        assert list(result.table["id"]) == ["007", "1e3", "NA", "null"]


def test_numeric_id_cells_in_excel_read_as_whole_numbers(tmp_path):
    path = write_xlsx(tmp_path / "b.xlsx", {"Backlog": [["ID", "Title", "Points"], [101, "a", 3], [102.0, "b", 2.5]]})
    assert list(read_backlog(path).table["id"]) == ["101", "102"]


@pytest.mark.parametrize(
    ("effort", "message"),
    [("-2", "negative"), ("lots", "not a number"), ("TRUE", None)],
)
def test_bad_effort_is_an_error_naming_the_cell(tmp_path, effort, message):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["Key", "Summary", "Story Points"], ["A-1", "ok", "3"], ["A-2", "bad", effort]]))
    result = read_backlog(path)
    errors = problems_of(result, "error")
    if message is None:  # text "TRUE" in a CSV is just not a number
        message = "not a number"
    assert len(errors) == 1
    assert (errors[0].row, errors[0].column) == (3, "Story Points")
    assert message in errors[0].message
    assert list(result.table["id"]) == ["A-1", "A-2"]  # the row is still shown, with its problem


def test_missing_estimate_is_a_warning_not_for_done_items(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort", "status"], ["A", "x", "", "To Do"], ["B", "y", "", "Done"]]))
    result = read_backlog(path)
    warnings = [p for p in result.problems if "no estimate" in p.message]
    assert [(w.row, w.column) for w in warnings] == [(2, "effort")]


def test_effort_per_skill_columns_sum_to_effort(tmp_path):
    rows = [["id", "title", "effort:backend", "effort:iOS"], ["A", "x", 2, 3], ["B", "y", None, 1.5]]
    result = read_backlog(write_xlsx(tmp_path / "b.xlsx", {"Backlog": rows}))
    assert list(result.table["effort"]) == [5, 1.5]
    assert list(result.table.columns[3:6]) == ["effort", "effort:backend", "effort:ios"]
    assert pd.isna(row_of(result, "B")["effort:backend"])


@pytest.mark.parametrize(
    ("headers", "values", "rule", "expected"),
    [
        (["value"], ["7"], "value", 7),
        (["business_value", "time_criticality", "risk_reduction"], ["8", "5", "3"], "wsjf", 16),
        (["reach", "impact", "confidence"], ["100", "2", "0.5"], "rice", 100),
        (["priority"], ["P1"], "priority", 4),
        ([], [], "one", 1),
    ],
)
def test_value_rule_first_that_applies(tmp_path, headers, values, rule, expected):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort", *headers], ["A", "x", "1", *values]]))
    result = read_backlog(path)
    assert result.value_rule == rule
    assert result.table.loc[0, "value"] == expected


def test_value_rule_can_be_forced_and_keeps_the_given_value(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort", "value", "priority"], ["A", "x", "1", "9", "Low"]]))
    result = read_backlog(path, value_rule="priority")
    assert result.table.loc[0, "value"] == 2
    assert result.table.loc[0, "value_given"] == 9


def test_item_without_value_is_counted_as_zero_with_a_warning(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(
        csv_bytes([["id", "title", "effort", "Business Value"], ["A", "x", "1", "5"], ["B", "y", "1", ""]])
    )
    result = read_backlog(path)
    assert list(result.table["value"]) == [5, 0]
    [warning] = [p for p in result.problems if "counted as 0" in p.message]
    assert (warning.row, warning.column) == (3, "Business Value")


# --- problems that block planning --------------------------------------------------------------


def test_duplicate_ids_are_errors_naming_both_rows(tmp_path):
    path = tmp_path / "dups.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort"], ["A", "x", "1"], ["B", "y", "1"], ["A", "z", "2"]]))
    result = read_backlog(path)
    [error] = problems_of(result, "error")
    assert (error.row, error.column) == (4, "id")
    assert "first in row 2" in error.message
    assert result.has_errors


def test_row_without_id_is_reported_not_loaded(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort"], ["A", "x", "1"], ["", "orphan", "2"]]))
    result = read_backlog(path)
    assert list(result.table["id"]) == ["A"]
    [error] = problems_of(result, "error")
    assert (error.row, error.column) == (3, "id")


def test_dependency_cycle_is_an_error(tmp_path):
    rows = [
        ["id", "title", "effort", "depends_on"],
        ["A", "a", "1", "C"],
        ["B", "b", "1", "A"],
        ["C", "c", "1", "B"],
        ["D", "d", "1", "D"],
    ]
    path = tmp_path / "cycle.csv"
    path.write_bytes(csv_bytes(rows))
    errors = problems_of(read_backlog(path), "error")
    assert len(errors) == 2
    assert any("A -> C -> B -> A" in e.message for e in errors)
    assert any("D -> D" in e.message and e.row == 5 for e in errors)


def test_depends_on_accepts_commas_semicolons_and_spaces(tmp_path):
    rows = [
        ["id", "title", "effort", "Depends on"],
        ["A 1", "a", "1", ""],
        ["B", "b", "1", ""],
        ["C", "c", "1", "A 1; B"],
        ["D", "d", "1", "B C"],
    ]
    path = tmp_path / "deps.csv"
    path.write_bytes(csv_bytes(rows))
    result = read_backlog(path)
    assert row_of(result, "C")["depends_on"] == "A 1, B"
    assert row_of(result, "D")["depends_on"] == "B, C"
    assert not result.problems


def test_unparseable_deadline_is_an_error(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort", "Due Date"], ["A", "x", "1", "next Tuesday"]]))
    [error] = problems_of(read_backlog(path), "error")
    assert (error.row, error.column) == (2, "Due Date")
    assert "next Tuesday" in error.message


def test_ambiguous_dates_say_which_order_was_used(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort", "deadline"], ["A", "x", "1", "03/04/2026"]]))
    result = read_backlog(path)
    assert result.table.loc[0, "deadline"] == pd.Timestamp(2026, 3, 4)
    assert any("month/day" in p.message and p.severity == "warning" for p in result.problems)


def test_missing_required_columns_are_named(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["Ticket", "Whatever"], ["A", "x"]]))
    messages = [p.message for p in problems_of(read_backlog(path), "error")]
    assert any("'title'" in m for m in messages)
    assert any("'effort'" in m for m in messages)


def test_corrections_fix_the_mapping(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([["Ref", "What", "Cost"], ["A", "x", "3"]]))
    assert read_backlog(path).has_errors
    result = read_backlog(path, corrections={"Ref": "id", "What": "title", "Cost": "effort"})
    assert not result.has_errors
    assert result.table.loc[0, "effort"] == 3
    assert result.mapping.corrections() == {"Ref": "id", "What": "title", "Cost": "effort"}


# --- hostile files -----------------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = read_backlog(path)
    [error] = result.problems
    assert error.severity == "error" and "empty" in error.message and error.file == "empty.csv"
    assert list(result.table.columns) == list(BACKLOG_COLUMNS)


def test_header_only_file_is_an_error_naming_the_header_row(tmp_path):
    # Issue 11: a header without items used to plan nothing with exit 0 and no word.
    path = tmp_path / "h.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort"]]))
    result = read_backlog(path)
    assert len(result.table) == 0 and list(result.table.columns) == list(BACKLOG_COLUMNS)
    [error] = result.problems
    assert error.severity == "error" and error.file == "h.csv" and error.row == 1
    assert "no items" in error.message


def test_non_spreadsheet_renamed_xlsx():
    result = read_backlog(DATA / "renamed_pdf.xlsx")
    [error] = result.problems
    assert "not a spreadsheet" in error.message and error.file == "renamed_pdf.xlsx"


def test_csv_renamed_xlsx_is_read_with_a_warning(tmp_path):
    path = tmp_path / "really.xlsx"
    path.write_bytes(csv_bytes([["id", "title", "effort"], ["A", "x", "1"]]))
    result = read_backlog(path)
    assert list(result.table["id"]) == ["A"]
    assert any("plain text" in p.message for p in result.problems)


def test_damaged_zip_named_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    [error] = read_backlog(path).problems
    assert error.severity == "error" and "damaged" in error.message


def test_merged_title_row_above_header(tmp_path):
    rows = [
        ["Q1 backlog, pod-scale", None, None],
        [None, None, None],
        ["Key", "Summary", "Story Points"],
        ["A-1", "x", 3],
        ["A-2", "y", 5],
    ]
    path = write_xlsx(tmp_path / "merged.xlsx", {"Backlog": rows}, merges={"Backlog": ["A1:C1"]})
    result = read_backlog(path)
    assert list(result.table["id"]) == ["A-1", "A-2"]
    assert list(result.table["source_row"]) == [4, 5]
    assert result.source.header_row == 3
    [warning] = result.problems
    assert warning.row == 1 and "Q1 backlog" in warning.message


def test_merged_group_header_over_skill_columns(tmp_path):
    rows = [[None, None, "Effort", None], ["id", "title", "backend", "ios"], ["A", "x", 2, 1]]
    path = write_xlsx(tmp_path / "group.xlsx", {"Backlog": rows}, merges={"Backlog": ["C1:D1"]})
    result = read_backlog(path)
    assert result.table.loc[0, "effort:backend"] == 2
    assert result.table.loc[0, "effort"] == 3


def test_blank_header_cell_is_named_and_kept(tmp_path):
    path = write_xlsx(tmp_path / "b.xlsx", {"Backlog": [["id", "title", "effort", None], ["A", "x", 1, "note"]]})
    result = read_backlog(path)
    assert result.table.loc[0, "Column D"] == "note"
    assert any(p.column == "Column D" for p in result.problems)


def test_formula_cells_read_through_cached_values(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", {"Backlog": [["id", "title", "effort"], ["A", "x", 1]]})
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    workbook["Backlog"]["C2"] = "=1+2"  # openpyxl writes no cached value
    workbook.save(path)
    result = read_backlog(path)
    assert any("formula" in p.message and p.sheet == "Backlog" and "C2" in p.message for p in result.problems)


def test_formula_cached_value_is_used(tmp_path):
    # A minimal xlsx with a formula and its cached value, as Excel saves it.
    import zipfile

    path = write_xlsx(tmp_path / "cached.xlsx", {"Backlog": [["id", "title", "effort"], ["A", "x", 1]]})
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="C2" t="n"><v>1</v></c>', '<c r="C2"><f>1+2</f><v>3</v></c>')
    assert "<f>1+2</f>" in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    result = read_backlog(path)
    assert result.table.loc[0, "effort"] == 3
    assert not result.problems


def test_wrong_sheet_name_lists_the_sheets(tmp_path):
    path = write_xlsx(tmp_path / "b.xlsx", {"Items": [["id", "title", "effort"], ["A", "x", 1]], "Notes": [["x"]]})
    [error] = read_backlog(path, sheet="Backlog").problems
    assert "no sheet named 'Backlog'" in error.message and "Items, Notes" in error.message
    assert list(read_backlog(path).table["id"]) == ["A"]  # without a name: the first sheet


def test_backlog_sheet_is_preferred(tmp_path):
    path = write_xlsx(
        tmp_path / "b.xlsx", {"Readme": [["about"]], "Backlog": [["id", "title", "effort"], ["A", "x", 1]]}
    )
    assert list(read_backlog(path).table["id"]) == ["A"]


def test_blank_rows_between_items_are_reported(tmp_path):
    path = write_xlsx(tmp_path / "b.xlsx", {"Backlog": [["id", "title", "effort"], ["A", "x", 1], [], ["B", "y", 2]]})
    result = read_backlog(path)
    assert list(result.table["source_row"]) == [2, 4]
    assert any("blank row" in p.message and p.row == 3 for p in result.problems)


def test_excel_dates_and_text_dates(tmp_path):
    rows = [["id", "title", "effort", "deadline"], ["A", "x", 1, dt.date(2026, 12, 24)], ["B", "y", 1, "2026-12-31"]]
    result = read_backlog(write_xlsx(tmp_path / "b.xlsx", {"Backlog": rows}))
    assert list(result.table["deadline"]) == [pd.Timestamp(2026, 12, 24), pd.Timestamp(2026, 12, 31)]


def test_unknown_columns_are_kept_and_repeats_joined(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(
        csv_bytes([["id", "title", "effort", "Watchers", "Watchers", "done"], ["A", "x", "1", "ann", "bob", "yes"]])
    )
    result = read_backlog(path)
    assert result.table.loc[0, "Watchers"] == "ann; bob"
    assert result.table.loc[0, "done (file)"] == "yes"


def test_map_columns_normalises_headers():
    mapping = map_columns(["Issue_Key", "SUMMARY", "story-points", "Custom field (Team)", "MoSCoW"])
    assert [m.field for m in mapping.matches] == ["id", "title", "effort", "team", "moscow"]
