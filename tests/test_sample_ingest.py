"""The bundled sample reads cleanly, and its Jira-style CSV is the same backlog as its workbook."""

from __future__ import annotations

import pandas as pd

from planner.ingest import read_backlog, read_capacity
from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY, SAMPLE_JIRA_CSV


def test_sample_backlog_reads_without_errors():
    result = read_backlog(SAMPLE_BACKLOG)
    assert not result.has_errors, [str(p) for p in result.problems if p.severity == "error"]
    assert 80 <= len(result.table) <= 150
    assert result.value_rule == "wsjf"
    assert {"backend", "frontend", "ios", "design", "data"} <= {
        c.split(":")[1] for c in result.table if c.startswith("effort:")
    }
    # The refinement cases are visible as warnings, not silently dropped.
    assert sum("no estimate" in p.message for p in result.problems) >= 3


def test_sample_capacity_reads_without_problems():
    result = read_capacity(SAMPLE_CAPACITY)
    assert not result.problems, [str(p) for p in result.problems]
    assert 12 <= len(result.tables.people) <= 20
    assert len(result.tables.sprints) == 3
    assert len(result.tables.oncall) > 0 and len(result.tables.ooo) > 0 and len(result.tables.holidays) > 0


def test_jira_csv_is_the_same_backlog():
    workbook = read_backlog(SAMPLE_BACKLOG).table.set_index("id")
    jira = read_backlog(SAMPLE_JIRA_CSV)
    assert not jira.has_errors
    csv_table = jira.table.set_index("id")
    assert list(csv_table.index) == list(workbook.index)
    pd.testing.assert_series_equal(csv_table["effort"], workbook["effort"])
    pd.testing.assert_series_equal(csv_table["value"], workbook["value"])
    pd.testing.assert_series_equal(csv_table["depends_on"], workbook["depends_on"])
    pd.testing.assert_series_equal(csv_table["deadline"], workbook["deadline"])
    pd.testing.assert_series_equal(csv_table["moscow"], workbook["moscow"])
    pd.testing.assert_series_equal(csv_table["team"], workbook["team"])
    pd.testing.assert_series_equal(csv_table["done"], workbook["done"])
    pd.testing.assert_series_equal(csv_table["title"], workbook["title"])
    pd.testing.assert_series_equal(csv_table["sprint"], workbook["sprint"])
