"""Data page: upload, read, correct and save files, with Streamlit's AppTest on a temp database.

Streamlit 1.67's AppTest drives ``st.file_uploader`` (``.upload()`` / ``.set_value()``) and seeds a
keyed ``st.data_editor`` through its edit state in ``at.session_state``; both are used here.
"""

from __future__ import annotations

import re

import pytest
from conftest import DATA, REPO, csv_bytes, open_page
from streamlit.testing.v1 import AppTest

from planner.errors import PlannerError
from planner.sample import SAMPLE_JIRA_CSV, SAMPLE_NAME
from planner.store import Store
from planner.value import VALUE_RULES

SAMPLE_CAPACITY_XLSX = REPO / "data" / "sample_capacity.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def saved(database) -> list:
    with Store(database) as store:
        return store.list()


def data_page() -> AppTest:
    return open_page("pages/data.py", timeout=60)


def upload(
    at: AppTest, backlog: tuple[str, bytes] | None = None, capacity: list[tuple[str, bytes]] | None = None
) -> AppTest:
    if backlog is not None:
        at.file_uploader[0].upload(backlog[0], backlog[1], "text/csv")
    if capacity is not None:
        at.file_uploader[1].set_value([(name, data, XLSX) for name, data in capacity])
    at.run()
    assert not at.exception
    return at


def good_upload(at: AppTest) -> AppTest:
    return upload(
        at,
        (SAMPLE_JIRA_CSV.name, SAMPLE_JIRA_CSV.read_bytes()),
        [(SAMPLE_CAPACITY_XLSX.name, SAMPLE_CAPACITY_XLSX.read_bytes())],
    )


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.caption, *at.warning, *at.error, *at.success])


def problem_frame(at: AppTest):
    return next(frame.value for frame in at.dataframe if "severity" in frame.value.columns)


def mapping(at: AppTest) -> dict[str, str]:
    table = at.data_editor[0].value
    return dict(zip(table["header"], table["field"]))


def test_sample_renders_without_exception(database):
    at = data_page()
    assert {m.label: m.value for m in at.metric}["Items"] == "111"
    assert [u.label for u in at.file_uploader] == ["Backlog", "Capacity"]
    assert at.file_uploader[1].accept_multiple_files
    assert not at.data_editor  # nothing uploaded: no mapping to correct
    assert button(at, "Start from the sample")


def test_good_upload_shows_the_mapping_and_saves_a_new_scenario(database):
    at = good_upload(data_page())
    assert mapping(at)["Custom field (Story Points)"] == "effort"
    shown = texts(at)
    assert "sample\\_backlog\\_jira\\.csv\\: CSV, utf\\-8\\-sig" in shown  # source line, made inert
    assert "header row 1" in shown
    assert "WSJF cost of delay" in shown
    assert "Problems: 0 errors, 5 warnings" in shown
    assert len(at.dataframe[-7].value) <= 200  # backlog preview (then 6 capacity sheets)
    save = button(at, "Save as new scenario")
    assert not save.disabled
    assert at.text_input[0].value == "sample_backlog_jira"

    at.text_input[0].set_value("Jira import")
    save.click()
    at.run()
    assert not at.exception
    scenarios = {s.name: s for s in saved(database)}
    assert set(scenarios) == {SAMPLE_NAME, "Jira import"}
    new = scenarios["Jira import"]
    assert new.items == 111 and new.people == 16
    assert at.session_state["planner_scenario_id"] == new.id
    # The sidebar picker is pointed at it too. (AppTest 1.67 drops the entry script's elements from
    # the tree after the first run of an st.navigation app, so the picker is checked by its key.)
    assert at.session_state["planner_scenario_picker"] == new.id
    assert any("Saved the new scenario Jira import" in s.value for s in at.success)
    assert at.toast
    # The upload state is cleared: no pending files, no mapping editor, uploaders empty.
    assert at.session_state["planner_data_backlog_file"] is None
    assert not at.data_editor
    assert at.file_uploader[0].value is None
    with Store(database) as store:
        settings = store.load(new.id).settings
    assert settings["value_rule"] == "wsjf"
    assert settings["corrections"] == {}
    assert settings["files"] == {"backlog": "sample_backlog_jira.csv", "capacity": ["sample_capacity.xlsx"]}
    assert "sample_backlog_jira.csv" in settings["import"]["backlog"]["source"]


def test_bad_upload_shows_the_error_and_saves_nothing(database, tmp_path):
    bad = tmp_path / "dupes.csv"
    bad.write_bytes(
        csv_bytes([["Key", "Summary", "Story Points"], ["A-1", "One", 3], ["A-2", "Two", 2], ["A-1", "Three", 1]])
    )
    at = upload(
        data_page(), (bad.name, bad.read_bytes()), [(SAMPLE_CAPACITY_XLSX.name, SAMPLE_CAPACITY_XLSX.read_bytes())]
    )
    first = problem_frame(at).iloc[0]
    assert (first["severity"], first["file"], first["row"], first["column"]) == ("error", "dupes.csv", 4, "Key")
    assert "is used again" in first["message"]
    assert "Problems: 1 error, 0 warnings" in texts(at)
    assert button(at, "Save as new scenario").disabled
    assert any("Fix the 1 error" in w.value for w in at.warning)
    assert len(saved(database)) == 1  # only the sample: nothing was written
    assert {m.label: m.value for m in at.metric}["Items"] == "111"  # the saved scenario is as it was


def test_unreadable_files_are_messages_not_tracebacks(database):
    at = upload(data_page(), ("backlog.xlsx", (DATA / "renamed_pdf.xlsx").read_bytes()), [("people.csv", b"")])
    assert "Problems: 2 errors, 0 warnings" in texts(at)
    messages = " ".join(problem_frame(at)["message"])
    assert "this is not a spreadsheet" in messages
    assert "the file is empty" in messages
    assert button(at, "Save as new scenario").disabled
    assert len(saved(database)) == 1


def test_mapping_correction_rereads_the_backlog_and_is_saved(database):
    at = good_upload(data_page())
    assert VALUE_RULES["wsjf"] in "\n".join(c.value for c in at.caption).replace("\\", "")
    editor = at.data_editor[0]
    row = list(editor.value["header"]).index("Custom field (Business Value)")
    at.session_state[editor.key] = {"edited_rows": {row: {"field": "value"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert mapping(at)["Custom field (Business Value)"] == "value"
    assert at.data_editor[0].key != editor.key  # the edit became a correction; the table starts fresh
    captions = "\n".join(c.value for c in at.caption).replace("\\", "")
    assert f"Value of an item: {VALUE_RULES['value']}." in captions
    assert "Your corrections: Custom field (Business Value) → value" in captions

    button(at, "Save as new scenario").click()
    at.run()
    new = next(s for s in saved(database) if s.name == "sample_backlog_jira")
    with Store(database) as store:
        settings = store.load(new.id).settings
    assert settings["value_rule"] == "value"
    assert settings["corrections"] == {"Custom field (Business Value)": "value"}
    assert settings["import"]["backlog"]["corrections"] == {"Custom field (Business Value)": "value"}


def test_mapping_correction_can_create_an_error(database):
    at = good_upload(data_page())
    editor = at.data_editor[0]
    row = list(editor.value["header"]).index("Custom field (Story Points)")
    at.session_state[editor.key] = {"edited_rows": {row: {"field": None}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert mapping(at)["Custom field (Story Points)"] == ""
    assert button(at, "Save as new scenario").disabled
    button(at, "Undo the corrections").click()
    at.run()
    assert mapping(at)["Custom field (Story Points)"] == "effort"
    assert not button(at, "Save as new scenario").disabled


def test_replace_the_current_scenarios_data(database):
    backlog = csv_bytes(
        [["Key", "Summary", "Story Points", "Pod"], ["A-1", "One", 3, "Scale"], ["A-2", "Two", 2, "Scale"]]
    )
    at = upload(data_page(), ("small.csv", backlog), [(SAMPLE_CAPACITY_XLSX.name, SAMPLE_CAPACITY_XLSX.read_bytes())])
    current = at.session_state["planner_scenario_id"]
    button(at, "Replace its data").click()
    at.run()
    assert not at.exception
    assert [(s.id, s.name, s.items) for s in saved(database)] == [(current, SAMPLE_NAME, 2)]
    assert {m.label: m.value for m in at.metric}["Items"] == "2"
    with Store(database) as store:
        settings = store.load(current).settings
    assert "sample" not in settings
    assert settings["value_rule"] == "one"


def test_start_from_the_sample_adds_a_scenario(database):
    at = data_page()
    button(at, "Start from the sample").click()
    at.run()
    assert not at.exception
    scenarios = saved(database)
    assert [s.name for s in scenarios] == [SAMPLE_NAME, SAMPLE_NAME]
    assert at.session_state["planner_scenario_id"] == scenarios[0].id  # the newest


def test_uploads_outlast_a_page_switch(database):
    at = good_upload(data_page())
    at.switch_page("pages/scenarios.py").run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert "Using sample\\_backlog\\_jira\\.csv, loaded earlier" in texts(at)
    assert mapping(at)["Custom field (Story Points)"] == "effort"
    button(at, "Discard these files").click()
    at.run()
    assert not at.data_editor


def test_file_names_and_headers_are_shown_inert(database):
    name = "[click](http://evil.example) <b>x</b>.csv"
    backlog = csv_bytes(
        [["Key", "Summary", "Story Points", "![img](http://evil.example/i.png)"], ["A-1", "One", 3, "x"]]
    )
    at = upload(data_page(), (name, backlog))
    assert not at.html
    for element in [*at.markdown, *at.caption, *at.warning, *at.error, *at.success]:
        assert "[click](" not in element.value and "<b>" not in element.value and "![img]" not in element.value
    assert any("\\[click\\]" in c.value for c in at.caption)


@pytest.mark.parametrize(
    "error, message",
    [
        (PlannerError("the reader gave up on [this](http://evil.example)"), "the reader gave up on \\[this\\]"),
        (RuntimeError("a bug"), "unexpected error in the planner"),
    ],
)
def test_a_reader_that_raises_is_a_message(database, monkeypatch, error, message):
    def raises(*args, **kwargs):
        raise error

    at = data_page()
    monkeypatch.setattr("planner.ingest.read_backlog", raises)  # the page imports it on every run
    upload(at, ("backlog.csv", b"Key,Summary,Points\nA-1,One,3\n"))
    assert any(message in e.value for e in at.error)
    assert button(at, "Save as new scenario").disabled
    assert len(saved(database)) == 1


# --- sprint names that are none of the capacity file's sprints (issue 13) ----------------------------


def tracker_capacity(tmp_path) -> bytes:
    from datetime import date

    from conftest import write_xlsx

    path = write_xlsx(
        tmp_path / "capacity.xlsx",
        {
            "people": [["name", "team"], ["Ada", "Scale"], ["Alan", "Protocols"]],
            "sprints": [
                ["sprint", "start", "end"],
                ["Sprint 43", date(2026, 3, 16), date(2026, 3, 27)],
                ["Sprint 44", date(2026, 3, 30), date(2026, 4, 10)],
            ],
        },
    )
    return path.read_bytes()


def sprint_warnings(at: AppTest) -> list[str]:
    """The sprint warnings as the user reads them (the page escapes Markdown)."""
    shown = [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning]
    return [text for text in shown if "which is not one of your sprints" in text]


def test_sprint_values_are_one_grouped_warning_each_with_a_treatment_saved_for_the_plan(database, tmp_path):
    ado = DATA / "trackers" / "ado.csv"
    at = upload(data_page(), ("ado.csv", ado.read_bytes()), [("capacity.xlsx", tracker_capacity(tmp_path))])
    before_saving = [w for w in sprint_warnings(at) if w.startswith("ado.csv, row ")]
    assert len(before_saving) == 3
    assert any(
        "9 items name sprint 'Care', which is not one of your sprints: treated as unscheduled" in w
        for w in before_saving
    )
    button(at, "Save as new scenario").click()
    at.run()
    assert not at.exception
    shown = sprint_warnings(at)
    assert [w.split(",")[0] for w in shown] == [
        "2 items name sprint 'Sprint 42'",
        "9 items name sprint 'Care'",
        "2 items name sprint 'Sprint 47'",
    ]
    assert "treated as carry-over" in shown[0] and "treated as later" in shown[2]
    boxes = [box for box in at.radio if box.label.startswith("Treat sprint")]
    assert [box.value for box in boxes] == ["carry-over", "unscheduled", "later"]
    boxes[1].set_value("later").run()
    assert not at.exception
    at.radio(key=next(r.key for r in at.radio if r.label == "Carry-over items are planned as")).set_value("Must").run()
    assert not at.exception
    scenario_id = at.session_state["planner_scenario_id"]
    with Store(database) as store:
        settings = store.load(scenario_id).settings
    assert settings["sprint_values"] == {
        "treatments": {"Care": "later", "Sprint 42": "carry-over", "Sprint 47": "later"},
        "carry_over_moscow": "Must",
    }
    assert "(your choice; by default unscheduled)" in sprint_warnings(at)[1]


def test_sprint_values_matching_the_capacity_show_no_warning(database):
    at = good_upload(data_page())
    assert not [w for w in sprint_warnings(at) if "Sprint 27" in w]  # the sample's Sprint 27 is a sprint


# --- large uploads are read in a worker process ------------------------------------------------------


def test_a_large_upload_is_read_in_a_worker_process_with_the_same_result(database, monkeypatch):
    import streamlit as st

    from pages import _state
    from planner.solve import SolveWorkers

    here = good_upload(data_page())
    expected_mapping, expected_problems = mapping(here), problem_frame(here)

    reads: list[str] = []
    real_run = SolveWorkers.run

    def counted(self, function, arguments, time_limit):
        reads.append(getattr(function, "func", function).__name__)
        return real_run(self, function, arguments, time_limit)

    monkeypatch.setattr(_state, "IN_PROCESS_READ_BYTES", 0)  # every upload counts as large
    monkeypatch.setattr(SolveWorkers, "run", counted)
    st.cache_data.clear()  # the same bytes: read again, not taken from the cache
    there = good_upload(data_page())

    assert sorted(reads) == ["read_backlog", "read_capacity"]
    assert mapping(there) == expected_mapping
    assert problem_frame(there).equals(expected_problems)


def test_a_bad_large_upload_says_why_as_a_small_one_does(database, monkeypatch):
    import streamlit as st

    from pages import _state

    bad = ("bad.xlsx", b"PK\x03\x04 not a workbook")
    small = upload(data_page(), bad)
    monkeypatch.setattr(_state, "IN_PROCESS_READ_BYTES", 0)
    st.cache_data.clear()
    large = upload(data_page(), bad)
    said = problem_frame(small)
    assert len(said) >= 1 and said.equals(problem_frame(large))
