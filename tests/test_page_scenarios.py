"""Scenarios page (AppTest on a temp database); planner.scenarios itself is tested in test_scenarios.py.

Streamlit 1.67's AppTest drops the entry script's sidebar (the scenario picker) from the tree after the
first run of an st.navigation app: the current scenario is read from ``planner_scenario_id``. The
page's own sidebar widgets (the what-if sliders) stay reachable by key.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from conftest import keyed, open_page
from streamlit.testing.v1 import AppTest

from planner.overrides import Override
from planner.sample import SAMPLE_NAME
from planner.scenarios import WHAT_IF_KEY
from planner.store import ScenarioSummary, Store

CAPACITY_WIDGET = "planner_capacity_pct_widget"


def saved(database) -> list[ScenarioSummary]:
    with Store(database) as store:
        return store.list()


def settings_of(database, scenario_id: str) -> dict:
    with Store(database) as store:
        return store.load(scenario_id).settings


def scenarios_page() -> AppTest:
    return open_page("pages/scenarios.py")


def plain(text: str) -> str:
    """Shown text without markdown_inert's escapes."""
    return text.replace("\\", "")


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}: {[b.label for b in at.button]}"
    return matches[0]


def click(at: AppTest, label: str) -> AppTest:
    button(at, label).click()
    at.run()
    assert not at.exception
    return at


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}")


def save_copy_at(at: AppTest, capacity_pct: int, name: str) -> str:
    """Move the capacity slider, save the what-ifs as a new scenario; the new scenario's id."""
    at.slider(key=CAPACITY_WIDGET).set_value(capacity_pct).run()
    at.text_input(key="planner_scenarios_save_name").input(name)
    click(at, "Save as a new scenario")
    return at.session_state["planner_scenario_id"]


# --- the page -----------------------------------------------------------------------------------------


def test_save_the_what_ifs_as_a_new_scenario(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    new = save_copy_at(at, 120, "Capacity 120")
    listed = {s.id: s for s in saved(database)}
    assert set(listed) == {sample, new}
    assert listed[new].name == "Capacity 120" and listed[new].items == listed[sample].items
    settings = settings_of(database, new)
    assert settings[WHAT_IF_KEY]["capacity_pct"] == 120
    assert settings[WHAT_IF_KEY]["value_rule"] == "wsjf"  # the sample's rule, as the sidebar had it
    assert settings["value_rule"] == "wsjf"  # the rest of the settings came with the copy
    assert WHAT_IF_KEY not in settings_of(database, sample)
    # The copy is now the current scenario, with the what-ifs it was saved with.
    assert new != sample
    assert at.session_state["planner_capacity_pct"] == 120
    assert at.slider(key=CAPACITY_WIDGET).value == 120
    assert any(
        "Saved the scenario Capacity 120 with these what-ifs: 1 sprint, capacity 120 %." in plain(s.value)
        for s in at.success
    )


def test_a_blank_name_takes_the_suggested_one(database):
    at = scenarios_page()
    at.slider(key="planner_buffer_pct_widget").set_value(10).run()
    click(at, "Save as a new scenario")
    names = [s.name for s in saved(database)]
    assert f"{SAMPLE_NAME}: 1 sprint, buffer 10 %" in names


def test_save_the_what_ifs_into_the_current_scenario(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    at.slider(key="planner_sprints_widget").set_value(2).run()
    click(at, "Save into this scenario")
    assert [s.id for s in saved(database)] == [sample]
    assert settings_of(database, sample)[WHAT_IF_KEY]["sprints"] == 2
    assert any("has saved what-ifs: 2 sprints. The sidebar shows them." in plain(i.value) for i in at.info)


def test_saved_what_ifs_come_back_when_the_scenario_is_used_again(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    copy = save_copy_at(at, 120, "Capacity 120")
    # Back to the sample (as the sidebar picker does), and the sliders elsewhere.
    at.session_state["planner_scenario_id"] = sample
    at.run()
    at.slider(key=CAPACITY_WIDGET).set_value(90).run()
    assert at.session_state["planner_capacity_pct"] == 90
    # Pick the copy again: the page offers its saved what-ifs.
    at.session_state["planner_scenario_id"] = copy
    at.run()
    assert not at.exception
    assert any("has saved what-ifs: 1 sprint, capacity 120 %" in plain(info.value) for info in at.info)
    click(at, "Use this scenario's saved what-ifs")
    assert at.session_state["planner_capacity_pct"] == 120
    assert at.slider(key=CAPACITY_WIDGET).value == 120
    assert button(at, "Use this scenario's saved what-ifs").disabled  # they are in use now


def test_pins_are_saved_and_restored(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    with Store(database) as store:
        item = store.load(sample).backlog["id"].iloc[0]
    at.session_state["planner_overrides"] = {item: Override(pin="out")}
    at.run()
    copy = save_copy_at(at, 100, "Without the first item")
    assert settings_of(database, copy)[WHAT_IF_KEY]["overrides"] == {item: {"pin": "out", "moscow": None}}
    assert at.session_state["planner_overrides"] == {item: Override(pin="out")}


def test_rename_and_delete(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    copy = save_copy_at(at, 120, "Capacity 120")
    # Rename the copy (the current scenario, so the one chosen to change).
    assert keyed(at.selectbox, "planner_scenarios_manage").value == copy
    keyed(at.text_input, f"planner_scenarios_rename_{copy}").input("Twenty percent more")
    click(at, "Rename")
    assert {s.id: s.name for s in saved(database)}[copy] == "Twenty percent more"
    assert "Twenty percent more" in set(frame_with(at, "name", "items", "people", "updated")["name"])
    # Delete asks first; cancel keeps it.
    click(at, "Delete…")
    assert any("the bin" in w.value for w in at.warning)
    click(at, "Cancel")
    assert len(saved(database)) == 2
    click(at, "Delete…")
    click(at, "Move to the bin")
    assert [s.id for s in saved(database)] == [sample]
    assert at.session_state["planner_scenario_id"] == sample  # the current one was deleted
    assert list(frame_with(at, "name", "items")["name"]) == [SAMPLE_NAME]
    # Issue 11: anyone can delete, so anyone can restore: the bin gives it back, whole, as current.
    assert list(frame_with(at, "name", "deleted")["name"]) == ["Twenty percent more"]
    assert at.selectbox(key="planner_scenarios_restore").value == copy
    click(at, "Restore")
    assert sorted(s.id for s in saved(database)) == sorted([sample, copy])
    assert at.session_state["planner_scenario_id"] == copy
    assert settings_of(database, copy)[WHAT_IF_KEY]["capacity_pct"] == 120


def test_duplicate(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    at.text_input(key=f"planner_scenarios_copy_{sample}_1").input("Sample again")
    click(at, "Duplicate")
    listed = saved(database)
    assert sorted(s.name for s in listed) == sorted([SAMPLE_NAME, "Sample again"])
    assert at.session_state["planner_scenario_id"] == sample  # a copy does not change what is shown


def test_compare_the_sample_with_a_copy_at_more_capacity(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    copy = save_copy_at(at, 120, "Capacity 120")
    # Default: the current scenario and the most recent other one.
    assert keyed(at.multiselect, "planner_scenarios_compare_widget").value == [copy, sample]
    keyed(at.multiselect, "planner_scenarios_compare_widget").set_value([sample, copy]).run()
    assert not at.exception
    metrics = frame_with(at, "scenario", "planned value", "rank-and-fill", "gain").set_index("scenario")
    assert list(metrics.index) == [SAMPLE_NAME, "Capacity 120"]
    assert metrics.loc["Capacity 120", "planned value"] > metrics.loc[SAMPLE_NAME, "planned value"]
    assert set(metrics["status"]) <= {"optimal", "feasible"}
    assert "capacity 120 %" in metrics.loc["Capacity 120", "what-ifs"]
    utilisation = frame_with(at, SAMPLE_NAME, "Capacity 120")
    assert len(utilisation) == 4 and utilisation.notna().all().all()
    differences = frame_with(at, "id", "difference", "first", "other")
    assert len(differences) > 0
    assert any(d == "only in Capacity 120" for d in differences["difference"])
    assert at.get("vega_lite_chart")


def test_one_scenario_is_not_compared(database):
    at = scenarios_page()
    assert any("two or more" in info.value for info in at.info)


def test_names_are_shown_inert(database):
    at = scenarios_page()
    save_copy_at(at, 110, "[click](http://evil.example) <b>x</b>")
    assert not at.exception
    assert not at.html
    for element in [*at.markdown, *at.caption, *at.warning, *at.error, *at.success, *at.info]:
        assert "[click](" not in element.value and "<b>" not in element.value


def test_unusable_saved_what_ifs_are_a_message(database):
    at = scenarios_page()
    copy = save_copy_at(at, 120, "Broken")
    with Store(database) as store:
        settings = store.load(copy).settings
        settings[WHAT_IF_KEY]["capacity_pct"] = "lots"
        store.save_settings(copy, settings)
    st.cache_data.clear()
    at.run()
    assert not at.exception
    assert any("capacity %" in w.value and "lots" in w.value for w in at.warning)


def test_the_last_scenario_deleted_can_be_restored_from_the_bin(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    click(at, "Delete…")
    click(at, "Move to the bin")
    assert saved(database) == []
    assert any("No scenario yet" in info.value for info in at.info)  # and the bin is still there
    click(at, "Restore")
    assert [s.id for s in saved(database)] == [sample]
    assert at.session_state["planner_scenario_id"] == sample
