"""planner.ingest.LoadedFiles: what an uploaded file set holds, and the rule for what blocks saving it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.ingest import LoadedFiles, import_settings, read_backlog, read_capacity
from planner.input_problems import ERROR, WARNING, Problem
from planner.sample import SAMPLE_CAPACITY, SAMPLE_JIRA_CSV

CAPACITY_NAME = SAMPLE_CAPACITY.name


@pytest.fixture(scope="module")
def imports():
    return read_backlog(SAMPLE_JIRA_CSV), read_capacity(SAMPLE_CAPACITY)


def files(imports, **changes) -> LoadedFiles:
    backlog, capacity = imports
    loaded = LoadedFiles(SAMPLE_JIRA_CSV.name, (CAPACITY_NAME,), backlog, capacity, {"Points": "effort"})
    return replace(loaded, **changes)


def test_a_good_file_set_can_be_saved_with_how_it_was_read(imports):
    loaded = files(imports)
    assert loaded.blockers() == []
    settings = loaded.settings()
    assert settings == {
        **import_settings(*imports),
        "corrections": {"Points": "effort"},
        "files": {"backlog": SAMPLE_JIRA_CSV.name, "capacity": [CAPACITY_NAME]},
    }
    assert settings["value_rule"] == imports[0].value_rule


def test_missing_files_block_saving(imports):
    assert files(imports, backlog_name=None, backlog=None).blockers() == ["Load a backlog file."]
    assert files(imports, capacity_names=(), capacity=None).blockers() == [
        "Load the capacity workbook (or its CSV files)."
    ]
    assert LoadedFiles(None, (), None, None).blockers() == [
        "Load a backlog file.",
        "Load the capacity workbook (or its CSV files).",
    ]


def test_a_file_that_could_not_be_read_blocks_saving(imports):
    loaded = files(imports, backlog=None, failures=("The backlog could not be read: no.",))
    assert loaded.blockers() == ["A file could not be read: see the message above."]


def test_errors_block_saving_and_warnings_do_not(imports):
    backlog, capacity = imports
    warning = Problem(WARNING, "a warning", "backlog.csv", row=3)
    errors = [Problem(ERROR, f"error {n}", "capacity.xlsx", "people", n) for n in (1, 2)]
    assert files(imports, backlog=replace(backlog, problems=(warning,))).blockers() == []
    loaded = files(
        imports, backlog=replace(backlog, problems=(warning,)), capacity=replace(capacity, problems=(*errors,))
    )
    assert loaded.blockers() == [
        "Fix the 2 errors listed under Problems: correct the file and upload it again, or correct the column mapping."
    ]
    one = files(imports, capacity=replace(capacity, problems=(errors[0],)))
    assert one.blockers()[0].startswith("Fix the 1 error listed")
    # Errors first, each severity in file order (backlog, then capacity).
    assert loaded.problems == [*errors, warning]
    assert (loaded.count(ERROR), loaded.count(WARNING)) == (2, 1)


def test_every_reason_is_given_at_once(imports):
    backlog, _ = imports
    error = Problem(ERROR, "an error", "backlog.csv")
    loaded = LoadedFiles("b.csv", (), replace(backlog, problems=(error,)), None, failures=("x",))
    assert [reason.split(" ")[0] for reason in loaded.blockers()] == ["Load", "A", "Fix"]
