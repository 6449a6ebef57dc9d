"""The Export page in AppTest: both downloads are offered and the workbook is a real plan."""

from __future__ import annotations

import io

import openpyxl
import pytest

from conftest import open_page


pytestmark = pytest.mark.usefixtures("database")


def test_export_page_offers_the_workbook_and_the_tracker_csv():
    at = open_page("pages/export.py")
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Download the plan (.xlsx)", "Download id, sprint, team (.csv)"]
    assert any("items planned" in markdown.value for markdown in at.markdown)


def test_export_workbook_holds_the_plan_shown():
    from planner.export import plan_workbook
    from planner.ingest import read_backlog, read_capacity
    from planner.plan import make_plan
    from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY

    backlog = read_backlog(SAMPLE_BACKLOG).table
    result = make_plan(backlog, read_capacity(SAMPLE_CAPACITY).tables)
    workbook = openpyxl.load_workbook(io.BytesIO(plan_workbook(result, backlog)))
    plan = workbook["Plan"]
    ids = [row[2] for row in plan.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(a.id for a in result.selected)


def test_export_workbook_has_the_refinement_agenda_sheet():
    from planner.agenda import AGENDA_COLUMNS, agenda_table, build_agenda
    from planner.capacity import CapacitySettings, compute_capacity
    from planner.checks import CheckSettings, run_checks
    from planner.export import plan_workbook
    from planner.ingest import read_backlog, read_capacity
    from planner.plan import make_plan
    from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY

    backlog = read_backlog(SAMPLE_BACKLOG).table
    capacity = compute_capacity(read_capacity(SAMPLE_CAPACITY).tables, CapacitySettings())
    agenda = agenda_table(build_agenda(backlog, run_checks(backlog, capacity, CheckSettings()), capacity))
    assert len(agenda) > 0
    data = plan_workbook(make_plan(backlog, capacity), backlog, capacity, extra_sheets={"Refinement": agenda})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Refinement"]
    assert [cell.value for cell in sheet[1]][:len(AGENDA_COLUMNS)] == AGENDA_COLUMNS
    assert sheet.max_row == len(agenda) + 1
