"""The Excel plan export: sheets, types, formats, formula injection, long text, Unicode, the round trip, CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import plan_fixtures as fx
import pytest
from conftest import REPO

from planner.capacity import CapacitySettings, compute_capacity
from planner.ingest import read_backlog, read_capacity
from planner.input_problems import ERROR
from planner.outputs.workbook import (
    MAX_CELL_CHARS,
    csv_cell_text,
    excel_cell_text,
    plan_workbook,
    sheet_title,
    tracker_csv,
    write_plan_workbook,
)
from planner.solve import SolveOptions, make_plan

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "=1+1"]
FIXED_SHEETS = ["Plan", "Summary", "Not planned", "Capacity"]
OPTIONS = SolveOptions(time_limit=5, gap=0.01)


def build(*items: dict, people=(("Ada", "pod-a", None, 10),), sprints: int = 1):
    """(result, backlog, capacity) of a small hand-made plan."""
    backlog = fx.backlog(*items)
    net = compute_capacity(fx.capacity(list(people), sprints=sprints), CapacitySettings())
    return make_plan(backlog, net, options=OPTIONS), backlog, net


def write(tmp_path: Path, result, backlog, net, **kwargs) -> openpyxl.Workbook:
    """Write to a real file and open it as a user's Excel would be read (formulas as formulas)."""
    path = write_plan_workbook(
        tmp_path / "plan.xlsx",
        result,
        backlog,
        net,
        scenario_name=kwargs.pop("scenario_name", "Q1 plan"),
        settings=kwargs.pop("settings", {"buffer": 0.1}),
        **kwargs,
    )
    return openpyxl.load_workbook(path)


def table(sheet, header_row: int = 1) -> list[dict[str, object]]:
    """The rows of a sheet as dicts of cells, keyed by header."""
    headers = [cell.value for cell in sheet[header_row]]
    return [dict(zip(headers, row)) for row in sheet.iter_rows(min_row=header_row + 1)]


def formula_cells(workbook: openpyxl.Workbook) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


@pytest.fixture(scope="module")
def sample():
    """The sample backlog planned into two sprints, and its workbook's bytes."""
    backlog = read_backlog(REPO / "data" / "sample_backlog.xlsx")
    capacity = read_capacity(REPO / "data" / "sample_capacity.xlsx")
    net = compute_capacity(capacity.tables, CapacitySettings(sprint_count=2))
    result = make_plan(backlog.table, net, options=OPTIONS)
    assert result.status in ("optimal", "feasible") and result.selected
    data = plan_workbook(result, backlog.table, net, scenario_name="Sample", settings={"unit": "days"})
    return result, backlog.table, net, data


@pytest.fixture(scope="module")
def sample_workbook(sample, tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "plan.xlsx"
    path.write_bytes(sample[3])
    return openpyxl.load_workbook(path)


# --------------------------------------------------------------------------------------------------
# Sheets, columns, types, formats


def test_sheets_in_order_with_one_per_team(sample, sample_workbook):
    result = sample[0]
    teams = sorted({a.team for a in result.selected})
    assert sample_workbook.sheetnames == FIXED_SHEETS + teams
    for team in teams:
        rows = table(sample_workbook[team])
        assert {row["team"].value for row in rows} == {team}
        assert sorted(row["id"].value for row in rows) == sorted(a.id for a in result.selected if a.team == team)


def test_plan_sheet_columns_order_and_types(sample, sample_workbook):
    result, backlog = sample[0], sample[1]
    sheet = sample_workbook["Plan"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:8] == ["sprint", "team", "id", "title", "type", "initiative", "milestone", "effort"]
    skills = [h for h in headers if h.startswith("effort:")]
    assert skills == [c for c in backlog.columns if c.startswith("effort:")]
    for name in ("value", "moscow", "deadline", "depends_on", "description"):
        assert name in headers
    rows = table(sheet)
    assert len(rows) == len(result.selected)
    order = {name: i for i, name in enumerate(result.sprints)}
    keys = [(order[row["sprint"].value], row["team"].value, -row["value"].value) for row in rows]
    assert keys == sorted(keys)
    for row in rows:
        assert row["id"].data_type == "s" and row["id"].number_format == "@"
        assert row["title"].data_type == "s"
        assert row["effort"].data_type == "n" and isinstance(row["effort"].value, (int, float))
        assert row["value"].data_type == "n"
        for skill in skills:
            assert row[skill].value is None or isinstance(row[skill].value, (int, float))
    assert formula_cells(sample_workbook) == []


def test_dates_are_excel_dates(tmp_path):
    result, backlog, net = build({"id": "A-1", "team": "pod-a", "effort": 2, "value": 5, "deadline": "2026-01-16"})
    workbook = write(tmp_path, result, backlog, net)
    deadline = table(workbook["Plan"])[0]["deadline"]
    assert deadline.is_date and deadline.number_format == "yyyy-mm-dd"
    assert deadline.value.date().isoformat() == "2026-01-16"
    summary = [[cell for cell in row] for row in workbook["Summary"].iter_rows()]
    header = next(i for i, row in enumerate(summary) if [c.value for c in row[:2]] == ["team", "sprint"])
    start = summary[header + 1][2]
    assert start.is_date and start.value.date().isoformat() == "2026-01-05"


def test_frozen_header_filter_widths_and_print_setup(sample_workbook):
    for name in sample_workbook.sheetnames:
        sheet = sample_workbook[name]
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1)  # absent means 1: one page wide
        assert sheet.page_setup.fitToHeight == 0  # as many pages tall as needed
        assert sheet.auto_filter.ref
        if name == "Summary":
            continue
        assert sheet.freeze_panes in ("B2", "D2")
        assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(sheet.max_column)}{sheet.max_row}"
        assert sheet.print_title_rows == "$1:$1"
        widths = [
            sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, sheet.max_column + 1)
        ]
        assert all(8 <= width <= 73 for width in widths), widths  # fitted, capped (Excel adds padding)
    plan = sample_workbook["Plan"]
    title_width = plan.column_dimensions["D"].width
    longest = max(len(row["title"].value) for row in table(plan))
    assert title_width == pytest.approx(min(longest, 60) + 2, abs=1)


def test_summary_numbers_settings_and_load_table(sample, sample_workbook):
    result = sample[0]
    rows = [[cell for cell in row] for row in sample_workbook["Summary"].iter_rows()]
    facts = {row[0].value: row[1] for row in rows if row[0].value is not None and len(row) > 1}
    assert facts["Scenario"].value == "Sample"
    assert facts["Status"].value == result.status
    planned = next(cell for label, cell in facts.items() if str(label).startswith("Planned value"))
    assert planned.data_type == "n" and planned.value == pytest.approx(result.objective)
    rank_and_fill = next(cell for label, cell in facts.items() if str(label).startswith("Rank-and-fill"))
    assert rank_and_fill.value == pytest.approx(result.baseline_objective)
    assert facts["unit"].value == "days"  # a setting as given
    header = next(
        i
        for i, row in enumerate(rows)
        if [c.value for c in row[:8]] == ["team", "sprint", "start", "end", "capacity", "load", "slack", "utilisation"]
    )
    load_rows = [[c.value for c in row] for row in rows[header + 1 :] if row[0].value is not None]
    totals = result.capacity[result.capacity["skill"].isna()]
    assert len(load_rows) == len(totals)
    for values, expected in zip(load_rows, totals.itertuples(index=False)):
        team, sprint, _, _, capacity, load, slack, used = values
        assert (team, sprint) == (expected.team, expected.sprint)
        assert capacity == pytest.approx(expected.capacity) and load == pytest.approx(expected.load)
        assert slack == pytest.approx(expected.capacity - expected.load)
        assert used == pytest.approx(expected.load / expected.capacity)
    assert rows[header + 1][7].number_format.endswith("%")
    assert sample_workbook["Summary"].auto_filter.ref.startswith(f"A{header + 1}:")


def test_conditional_formatting_for_over_capacity_and_slack(sample_workbook):
    sheet = sample_workbook["Summary"]
    rules = [(str(cf.sqref), rule) for cf in sheet.conditional_formatting for rule in cf.rules]
    assert len(rules) == 2
    (area, over), (_, slack) = rules
    first = int(area.split(":")[0][1:])
    assert over.type == "expression" and over.formula == [f"$F{first}-$E{first}>0.000001"] and over.stopIfTrue
    assert slack.formula == [f"$G{first}>0.3*$E{first}"]
    assert over.dxf.fill.bgColor.rgb.endswith("F4B6B6") and slack.dxf.fill.bgColor.rgb.endswith("FFE08A")


def test_capacity_ledger_per_person_adds_up(sample, sample_workbook):
    net = sample[2]
    rows = table(sample_workbook["Capacity"])
    assert len(rows) == len(net.person_sprint)
    steps = ["holidays", "OOO", "on-call", "focus", "buffer", "capacity %"]
    for row in rows:
        assert row["name"].data_type == "s" and row["gross"].data_type == "n"
        total = row["gross"].value + sum(row[step].value or 0 for step in steps)
        assert total == pytest.approx(row["net"].value, abs=1e-6)
    maya = [row for row in rows if row["name"].value == "Maya Patel"]
    assert {row["sprint"].value for row in maya} == set(sample[0].sprints)


def test_not_planned_lists_every_excluded_item_with_reason_and_detail(sample, sample_workbook):
    result = sample[0]
    rows = table(sample_workbook["Not planned"])
    assert sorted(row["id"].value for row in rows) == sorted(e.id for e in result.excluded)
    by_id = {e.id: e for e in result.excluded}
    for row in rows:
        exclusion = by_id[row["id"].value]
        assert row["reason"].value == exclusion.reason
        assert row["what would make it fit"].value == (exclusion.detail or None)


# --------------------------------------------------------------------------------------------------
# Safety: no formulas, capped cells, Unicode, ids as text


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("where", ["title", "id", "team"])
def test_user_strings_are_never_formulas(tmp_path, text, where):
    item = {"id": "A-1", "title": "A title", "team": "pod-a", "effort": 2, "value": 5, where: text}
    team = item["team"]
    left_out = {"id": "B-1", "title": text, "team": team, "effort": 50, "value": 1}
    result, backlog, net = build(item, left_out, people=(("Ada", team, None, 10),))
    assert [a.id for a in result.selected] == [item["id"]]
    workbook = write(tmp_path, result, backlog, net, scenario_name=text, settings={text: text})
    assert formula_cells(workbook) == []
    plan = table(workbook["Plan"])[0]
    assert plan[where].value == text and plan[where].data_type == "s"
    team_sheet = workbook.worksheets[len(FIXED_SHEETS)]
    assert table(team_sheet)[0][where].value == text
    excluded = table(workbook["Not planned"])[0]
    assert excluded["title"].value == text and excluded["title"].data_type == "s"
    summary = list(workbook["Summary"].iter_rows(max_col=2))
    facts = {row[0].value: row[1] for row in summary[:20] if row[0].value is not None}
    assert facts["Scenario"].value == text and facts[text].value == text
    back = read_backlog((tmp_path / "plan.xlsx").read_bytes(), name="plan.xlsx", sheet="Plan")
    assert back.table.loc[0, where] == text


@pytest.mark.parametrize("text", ["#N/A", "#REF!", "TRUE", "1e5", "0012", " padded ", "_x0041_", "a\tb\nc"])
def test_text_that_looks_like_something_else_stays_text(tmp_path, text):
    result, backlog, net = build({"id": "A-1", "title": text, "team": "pod-a", "effort": 2, "value": 5})
    workbook = write(tmp_path, result, backlog, net)
    title = table(workbook["Plan"])[0]["title"]
    assert title.data_type == "s" and title.value == text
    back = read_backlog((tmp_path / "plan.xlsx").read_bytes(), name="plan.xlsx", sheet="Plan")
    assert back.table.loc[0, "title"] == text.strip()  # the ingest trims cells, as it does any file


def test_long_description_is_cut_with_a_visible_marker(tmp_path):
    description = "ab" * 20_000  # 40,000 characters
    result, backlog, net = build({"id": "A-1", "team": "pod-a", "effort": 2, "value": 5, "description": description})
    workbook = write(tmp_path, result, backlog, net)
    cell = table(workbook["Plan"])[0]["description"].value
    assert len(cell) <= MAX_CELL_CHARS
    kept, marker = cell.split("… [cut: ")
    assert description.startswith(kept)
    assert marker == f"{len(description) - len(kept)} more characters]"


def test_safe_text_limits_and_illegal_characters():
    assert excel_cell_text("x" * MAX_CELL_CHARS) == "x" * MAX_CELL_CHARS
    cut = excel_cell_text("x" * (MAX_CELL_CHARS + 1))
    assert len(cut) <= MAX_CELL_CHARS and cut.endswith("more characters]")
    emoji = excel_cell_text("😀" * 20_000)  # 40,000 UTF-16 units: Excel's count
    assert len(emoji.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS
    kept = emoji.split("…")[0]
    assert emoji.endswith(f"[cut: {20_000 - len(kept)} more characters]")
    assert excel_cell_text("bell\x07 and\x00nul") == "bell\ufffd and\ufffdnul"
    assert excel_cell_text("lone \ud800 surrogate") == "lone \ufffd surrogate"
    assert excel_cell_text("tab\tnew\nline\r") == "tab\tnew\nline\r"
    assert excel_cell_text(7) == "7"


def test_illegal_characters_are_marked_not_dropped(tmp_path):
    result, backlog, net = build({"id": "A-1", "title": "before\x1bafter", "team": "pod-a", "effort": 2, "value": 5})
    workbook = write(tmp_path, result, backlog, net)
    assert table(workbook["Plan"])[0]["title"].value == "before\ufffdafter"


@pytest.mark.parametrize(
    "title", ["Ship it 🚀📦 now", "需求分析与设计 第二阶段", "שלום עולם — בדיקה", "مرحبا بالعالم", "Ünïcødé ✓ ‘quotes’"]
)
def test_unicode_titles_survive(tmp_path, title):
    result, backlog, net = build({"id": "A-1", "title": title, "team": "pod-a", "effort": 2, "value": 5})
    workbook = write(tmp_path, result, backlog, net)
    assert table(workbook["Plan"])[0]["title"].value == title
    back = read_backlog((tmp_path / "plan.xlsx").read_bytes(), name="plan.xlsx", sheet="Plan")
    assert back.table.loc[0, "title"] == title


def test_ids_stay_text(tmp_path):
    result, backlog, net = build(
        {"id": "007", "team": "pod-a", "effort": 2, "value": 5},
        {"id": "12", "team": "pod-a", "effort": 1, "value": 4, "depends_on": "007"},
    )
    workbook = write(tmp_path, result, backlog, net)
    rows = {row["id"].value: row for row in table(workbook["Plan"])}
    assert set(rows) == {"007", "12"}
    assert all(row["id"].data_type == "s" and row["id"].number_format == "@" for row in rows.values())
    assert rows["12"]["depends_on"].value == "007" and rows["12"]["depends_on"].data_type == "s"
    back = read_backlog((tmp_path / "plan.xlsx").read_bytes(), name="plan.xlsx", sheet="Plan")
    assert sorted(back.table["id"]) == ["007", "12"]
    assert csv_rows(tracker_csv(result))[1:] == [["007", "S1", "pod-a"], ["12", "S1", "pod-a"]]


# --------------------------------------------------------------------------------------------------
# Round trip


def test_round_trip_gives_back_the_items_pinned_to_their_sprints(sample):
    result, backlog, net, data = sample
    back = read_backlog(data, name="plan.xlsx", sheet="Plan")
    assert back.source is not None and back.source.header_row == 1
    assert [p for p in back.problems if p.severity == ERROR] == []
    assert not [p for p in back.problems if "above the header" in p.message or "not in this backlog" in p.message]
    assert back.value_rule == "value"
    table_back = back.table.set_index("id")
    original = backlog.set_index("id")
    assert sorted(table_back.index) == sorted(a.id for a in result.selected)
    skills = [c for c in backlog.columns if c.startswith("effort:")]
    assert [c for c in back.table.columns if c.startswith("effort:")] == skills
    for assignment in result.selected:
        row = table_back.loc[assignment.id]
        assert row["sprint"] == assignment.sprint and row["team"] == assignment.team
        assert row["title"] == original.loc[assignment.id, "title"]
        assert row["value"] == pytest.approx(assignment.value)
        assert row["effort"] == pytest.approx(original.loc[assignment.id, "effort"])
        for skill in skills:
            expected = original.loc[assignment.id, skill]
            assert (pd.isna(row[skill]) and pd.isna(expected)) or row[skill] == pytest.approx(expected)
        for field in ("moscow", "type", "initiative", "milestone", "description"):
            expected = original.loc[assignment.id, field]
            assert (pd.isna(row[field]) and pd.isna(expected)) or row[field] == expected

    # Uploaded as is (first sheet) it reads the same, and planning it again keeps every item in place.
    assert read_backlog(data, name="plan.xlsx").table["id"].tolist() == back.table["id"].tolist()
    again = make_plan(back.table, net, options=OPTIONS)
    assert again.status == "optimal"
    assert {(a.id, a.team, a.sprint) for a in again.selected} == {(a.id, a.team, a.sprint) for a in result.selected}


def test_round_trip_keeps_single_skill_deadline_and_dependencies(tmp_path):
    result, backlog, net = build(
        {"id": "A-1", "title": "Base", "team": "pod-a", "effort": 2, "value": 5, "skill": "ios", "moscow": "Must"},
        {
            "id": "A-2",
            "title": "On top",
            "team": "pod-a",
            "effort": 3,
            "value": 4,
            "skill": "ios",
            "depends_on": "A-1, D-1",
            "deadline": "2026-01-30",
        },
        {"id": "D-1", "title": "Done already", "team": "pod-a", "effort": 1, "value": 1, "done": True},
        people=(("Ada", "pod-a", "ios", 3),),
        sprints=2,
    )
    assert {a.id: a.sprint for a in result.selected} == {"A-1": "S1", "A-2": "S2"}
    write(tmp_path, result, backlog, net)
    back = read_backlog((tmp_path / "plan.xlsx").read_bytes(), name="plan.xlsx", sheet="Plan")
    assert not [p for p in back.problems if p.severity == ERROR]
    rows = back.table.set_index("id")
    assert rows.loc["A-2", "depends_on"] == "A-1"  # the done prerequisite is satisfied: not listed
    assert rows.loc["A-2", "skill"] == "ios" and rows.loc["A-1", "moscow"] == "Must"
    assert rows.loc["A-2", "deadline"] == pd.Timestamp("2026-01-30")
    again = make_plan(back.table, net, options=OPTIONS)
    assert {a.id: a.sprint for a in again.selected} == {"A-1": "S1", "A-2": "S2"}


def test_round_trip_keeps_the_files_own_columns(tmp_path):
    items = [{"id": "A-1", "team": "pod-a", "effort": 2, "value": 5, "Customer": "=ACME", "labels": "x, y"}]
    result, backlog, net = build(*items)
    assert "Customer" in backlog.columns
    workbook = write(tmp_path, result, backlog, net)
    assert table(workbook["Plan"])[0]["Customer"].value == "=ACME"
    assert "Customer" not in [cell.value for cell in workbook["pod-a"][1]]  # the printable sheet stays narrow
    back = read_backlog((tmp_path / "plan.xlsx").read_bytes(), name="plan.xlsx", sheet="Plan")
    assert back.table.loc[0, "Customer"] == "=ACME" and back.table.loc[0, "labels"] == "x, y"


# --------------------------------------------------------------------------------------------------
# Per-team sheets, hooks, empty plans, the file


def test_sheet_titles_are_valid_and_unique():
    assert sheet_title("pod-a") == "pod-a"
    assert sheet_title("a/b\\c[d]:e*f?g") == "a_b_c_d__e_f_g"
    assert len(sheet_title("x" * 50)) == 31
    assert sheet_title("plan", ["Plan"]) == "Team plan"
    assert sheet_title("plan", ["Plan", "Team plan"]) == "plan (2)"
    assert sheet_title("'quoted'") == "quoted"
    assert sheet_title("   ") == "Team"
    assert sheet_title("History") == "Team History"
    taken = ["y" * 31]
    assert sheet_title("y" * 40, taken) != taken[0] and len(sheet_title("y" * 40, taken)) <= 31


def test_team_sheet_names_are_sanitised(tmp_path):
    teams = ["Pod/One: [iOS]", "plan", "x" * 40, "O'Brien's pod"]
    items = [{"id": f"A-{i}", "team": team, "effort": 1, "value": 5} for i, team in enumerate(teams)]
    people = tuple((f"P{i}", team, None, 10) for i, team in enumerate(teams))
    result, backlog, net = build(*items, people=people)
    workbook = write(tmp_path, result, backlog, net)
    extra = workbook.sheetnames[len(FIXED_SHEETS) :]
    assert sorted(extra) == sorted(["Pod_One_ _iOS_", "Team plan", "x" * 31, "O'Brien's pod"])
    for name in extra:
        rows = table(workbook[name])
        assert len(rows) == 1 and rows[0]["team"].value in teams
        assert workbook[name].print_title_rows == "$1:$1"


def test_extra_sheets_hook(tmp_path):
    result, backlog, net = build({"id": "A-1", "team": "pod-a", "effort": 2, "value": 5})
    readiness = pd.DataFrame({"id": ["A-1"], "problem": ["=no acceptance criteria"], "points": [3.0]})
    workbook = write(tmp_path, result, backlog, net, extra_sheets={"Refinement": readiness})
    assert workbook.sheetnames == [*FIXED_SHEETS, "Refinement", "pod-a"]
    row = table(workbook["Refinement"])[0]
    assert row["problem"].value == "=no acceptance criteria" and row["problem"].data_type == "s"
    assert row["points"].value == 3 and workbook["Refinement"].freeze_panes == "A2"


def test_an_empty_plan_still_writes_every_sheet(tmp_path):
    result, backlog, net = build({"id": "A-1", "team": "pod-a", "effort": 50, "value": 5})
    assert result.selected == ()
    workbook = write(tmp_path, result, backlog, net)
    assert workbook.sheetnames == FIXED_SHEETS
    assert workbook["Plan"].max_row == 1
    assert table(workbook["Not planned"])[0]["reason"].value == "too-big"
    assert tracker_csv(result) == "\ufeffid,sprint,team\r\n".encode()


def test_no_capacity_leaves_the_ledger_empty():
    result, backlog, _ = build({"id": "A-1", "team": "pod-a", "effort": 2, "value": 5})
    data = plan_workbook(result, backlog, None, scenario_name="x", settings={})
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook["Capacity"].max_row == 1 and workbook["Capacity"]["A1"].value == "name"


def test_write_leaves_no_temporary_file(tmp_path):
    result, backlog, net = build({"id": "A-1", "team": "pod-a", "effort": 2, "value": 5})
    path = write_plan_workbook(tmp_path / "out.xlsx", result, backlog, net, scenario_name="x", settings={})
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    assert path.read_bytes()[:4] == b"PK\x03\x04"


# --------------------------------------------------------------------------------------------------
# Tracker CSV


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_tracker_csv_has_bom_header_and_one_row_per_planned_item(sample):
    result = sample[0]
    rows = csv_rows(tracker_csv(result))
    assert rows[0] == ["id", "sprint", "team"]
    assert sorted(map(tuple, rows[1:])) == sorted((a.id, a.sprint, a.team) for a in result.selected)
    order = {name: i for i, name in enumerate(result.sprints)}
    assert [order[row[1]] for row in rows[1:]] == sorted(order[row[1]] for row in rows[1:])


def test_tracker_csv_escapes_formulas_unless_asked_not_to():
    result, _, _ = build(
        {"id": "=1+1", "title": "t", "team": "pod-a", "effort": 2, "value": 5},
        {"id": "Ünï-😀", "title": "u", "team": "pod-a", "effort": 1, "value": 4},
    )
    rows = csv_rows(tracker_csv(result))
    assert sorted(row[0] for row in rows[1:]) == sorted(["'=1+1", "Ünï-😀"])
    raw = csv_rows(tracker_csv(result, escape_formulas=False))
    assert sorted(row[0] for row in raw[1:]) == sorted(["=1+1", "Ünï-😀"])
    assert [csv_cell_text(text) for text in INJECTIONS] == ["'" + text for text in INJECTIONS]
    assert csv_cell_text("CARE-12") == "CARE-12"


# --- the sample's plan, as the Export page writes it ----------------------------------------------------


def test_export_workbook_holds_the_plan_shown():
    from planner.ingest import read_backlog, read_capacity
    from planner.outputs import plan_workbook
    from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY
    from planner.solve import make_plan

    backlog = read_backlog(SAMPLE_BACKLOG).table
    result = make_plan(backlog, read_capacity(SAMPLE_CAPACITY).tables)
    workbook = openpyxl.load_workbook(io.BytesIO(plan_workbook(result, backlog)))
    plan = workbook["Plan"]
    ids = [row[2] for row in plan.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(a.id for a in result.selected)


def test_export_workbook_has_the_refinement_agenda_sheet():
    from planner.capacity import CapacitySettings, compute_capacity
    from planner.ingest import read_backlog, read_capacity
    from planner.outputs import plan_workbook
    from planner.refine import AGENDA_COLUMNS, CheckSettings, agenda_table, build_agenda, run_checks
    from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY
    from planner.solve import make_plan

    backlog = read_backlog(SAMPLE_BACKLOG).table
    capacity = compute_capacity(read_capacity(SAMPLE_CAPACITY).tables, CapacitySettings())
    agenda = agenda_table(build_agenda(backlog, run_checks(backlog, capacity, CheckSettings()), capacity))
    assert len(agenda) > 0
    data = plan_workbook(make_plan(backlog, capacity), backlog, capacity, extra_sheets={"Refinement": agenda})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Refinement"]
    assert [cell.value for cell in sheet[1]][: len(AGENDA_COLUMNS)] == AGENDA_COLUMNS
    assert sheet.max_row == len(agenda) + 1


def test_export_workbook_is_the_plan_workbook_with_the_refinement_sheet(sample, tmp_path):
    from planner.outputs import SHEET_REFINEMENT, export_workbook, write_export_workbook
    from planner.refine import AGENDA_COLUMNS, CheckSettings, agenda_table, build_agenda, run_checks

    result, backlog, net, _ = sample
    data = export_workbook(result, backlog, net, scenario_name="Sample", settings={"unit": "days"})
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    teams = list(dict.fromkeys(a.team for a in sorted(result.selected, key=lambda a: a.team)))
    assert workbook.sheetnames[:5] == [*FIXED_SHEETS, SHEET_REFINEMENT]
    assert set(workbook.sheetnames[5:]) == set(teams)
    agenda = agenda_table(build_agenda(backlog, run_checks(backlog, net, CheckSettings()), net))
    sheet = workbook[SHEET_REFINEMENT]
    assert [cell.value for cell in sheet[1]][: len(AGENDA_COLUMNS)] == AGENDA_COLUMNS
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == agenda["id"].tolist()
    assert sheet.max_row == len(agenda) + 1 > 1
    # Written to a file (what `planner plan --out` does): the same sheets and Plan rows.
    path = write_export_workbook(tmp_path / "out.xlsx", result, backlog, net, scenario_name="Sample")
    written = openpyxl.load_workbook(path)
    assert written.sheetnames == workbook.sheetnames
    assert [r[2] for r in written["Plan"].iter_rows(min_row=2, values_only=True)] == [
        r[2] for r in workbook["Plan"].iter_rows(min_row=2, values_only=True)
    ]
    assert list(tmp_path.iterdir()) == [path]
