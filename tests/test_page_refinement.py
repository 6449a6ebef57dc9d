"""The Refinement page in AppTest: findings on the sample, the check filter, settings and the agenda."""

from __future__ import annotations

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("database")


def refinement_page() -> AppTest:
    return open_page("pages/refinement.py")


def findings(at: AppTest):
    for frame in at.dataframe:
        if {"check", "severity", "items", "message", "action"} <= set(frame.value.columns):
            return frame.value
    raise AssertionError("no findings table")


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_page_shows_findings_of_the_main_checks_on_the_sample():
    at = refinement_page()
    assert at.title[0].value == "Refinement"
    checks = set(findings(at)["check"])
    assert {"oversized", "milestone", "duplicate", "dependency"} <= checks
    shown = metrics(at)
    total = sum(int(shown[label]) for label in ("Errors", "Warnings", "Info"))
    assert total == len(findings(at))
    assert not at.error


def test_check_filter_narrows_the_table():
    at = refinement_page()
    everything = findings(at)
    at.multiselect(key="planner_refinement_checks").set_value(["milestone"]).run()
    assert not at.exception
    narrowed = findings(at)
    assert 0 < len(narrowed) < len(everything)
    assert set(narrowed["check"]) == {"milestone"}


def test_split_threshold_changes_the_oversized_findings():
    at = refinement_page()
    before = int((findings(at)["check"] == "oversized").sum())
    at.number_input(key="planner_refinement_split_threshold").set_value(4.0).run()
    assert not at.exception
    lower = int((findings(at)["check"] == "oversized").sum())
    assert lower > before
    at.number_input(key="planner_refinement_split_threshold").set_value(0.0).run()  # 0 turns it off
    assert not at.exception
    assert int((findings(at)["check"] == "oversized").sum()) < before


def test_empty_milestone_types_show_a_message_not_a_traceback():
    at = refinement_page()
    at.text_input(key="planner_refinement_milestone_types").set_value(" , ").run()
    assert not at.exception
    assert any("milestone type" in error.value for error in at.error)


def test_balance_target_adds_a_balance_finding():
    at = refinement_page()
    assert "balance" not in set(findings(at)["check"])
    at.number_input(key="planner_refinement_balance_tech debt").set_value(90).run()
    assert not at.exception
    assert "balance" in set(findings(at)["check"])


def test_agenda_is_shown_as_plain_text_with_a_download_button():
    at = refinement_page()
    assert any(expander.label == "Meeting agenda" for expander in at.expander)
    agenda = [code.value for code in at.code if code.value.startswith("# Refinement agenda")]
    assert agenda and "## Capacity notes" in agenda[0]
    buttons = at.get("download_button")
    assert len(buttons) == 1
    assert "Download the agenda (.md)" in str(buttons[0].proto.label)


def test_held_balance_targets_steer_the_plan():
    at = open_page("pages/plan.py")
    before = {m.label: m.value for m in at.metric}["Planned value"]
    at.session_state["planner_balance"] = {"tech debt": 0.25}
    at.run()
    assert not at.exception
    assert not at.error, [error.value for error in at.error]
    after = {m.label: m.value for m in at.metric}["Planned value"]
    assert float(after.replace(",", "")) < float(before.replace(",", ""))  # the targets cost value


def test_hold_toggle_keeps_the_targets_for_the_plan():
    at = refinement_page()
    at.number_input(key="planner_refinement_balance_tech debt").set_value(25).run()
    at.toggle(key="planner_refinement_hold_balance").set_value(True).run()
    assert not at.exception
    assert at.session_state["planner_balance"] == {"tech debt": 0.25}


def test_sprint_values_that_are_no_sprint_are_shown_as_on_the_data_page():
    """Issue 13: the sample's open item of Sprint 26 (the capacity starts at Sprint 27) is carry-over."""
    at = refinement_page()
    shown = [w.value.replace("\\", "") for w in at.warning if "not one of your sprints" in w.value]
    assert len(shown) == 1
    assert "1 item names sprint 'Sprint 26', which is not one of your sprints: treated as carry-over" in shown[0]
    assert "row " in shown[0]
