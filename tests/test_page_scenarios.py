"""Scenarios page (AppTest on a temp database) and planner.scenarios (what-ifs <-> JSON, tables).

Streamlit 1.67's AppTest drops the entry script's sidebar (the scenario picker) from the tree after the
first run of an st.navigation app: the current scenario is read from ``planner_scenario_id``. The
page's own sidebar widgets (the what-if sliders) stay reachable by key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import streamlit as st
from conftest import open_page
from streamlit.testing.v1 import AppTest

from planner.capacity import CapacitySettings
from planner.errors import PlannerError
from planner.overrides import Override
from planner.sample import SAMPLE_NAME
from planner.scenarios import (
    WHAT_IF_DEFAULTS,
    WHAT_IF_KEY,
    apply_what_if,
    capacity_settings,
    initiative_values,
    metrics_table,
    plan_arguments,
    plan_differences,
    scenario_labels,
    utilisation_table,
    what_if_json,
    what_if_summary,
    what_if_values,
    with_what_if,
)
from planner.solve import Assignment, PlanResult
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
    assert at.selectbox(key="planner_scenarios_manage").value == copy
    at.text_input(key=f"planner_scenarios_rename_{copy}").input("Twenty percent more")
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
    at.text_input(key=f"planner_scenarios_copy_{sample}").input("Sample again")
    click(at, "Duplicate")
    listed = saved(database)
    assert sorted(s.name for s in listed) == sorted([SAMPLE_NAME, "Sample again"])
    assert at.session_state["planner_scenario_id"] == sample  # a copy does not change what is shown


def test_compare_the_sample_with_a_copy_at_more_capacity(database):
    at = scenarios_page()
    sample = at.session_state["planner_scenario_id"]
    copy = save_copy_at(at, 120, "Capacity 120")
    # Default: the current scenario and the most recent other one.
    assert at.multiselect(key="planner_scenarios_compare_widget").value == [copy, sample]
    at.multiselect(key="planner_scenarios_compare_widget").set_value([sample, copy]).run()
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


# --- planner.scenarios --------------------------------------------------------------------------------


def what_ifs(**changes) -> dict:
    values = {key: (dict(value) if isinstance(value, dict) else value) for key, value in WHAT_IF_DEFAULTS.items()}
    values.update({f"planner_{key}": value for key, value in changes.items()})
    return values


def test_what_ifs_round_trip_through_json():
    values = what_ifs(
        sprints=3,
        unit="points",
        capacity_pct=120,
        use_team_focus=False,
        focus=0.85,
        buffer_pct=10,
        oncall_load=0.5,
        value_rule="rice",
        headcount={"pod-a": 2, "pod-b": -1},
        overrides={
            "A-1": Override(pin="in"),
            "A-2": Override(moscow="Must"),
            "A-3": Override(pin="Sprint 2", moscow=""),
        },
        previous={"A-4": ("pod-a", "Sprint 1")},
    )
    data = what_if_json(values)
    assert json.loads(json.dumps(data)) == data  # plain JSON data
    assert data["overrides"]["A-3"] == {"pin": "Sprint 2", "moscow": ""}
    assert data["previous"] == {"A-4": ["pod-a", "Sprint 1"]}
    back = what_if_values(json.loads(json.dumps(data)))
    assert back == values
    assert isinstance(back["planner_capacity_pct"], int) and isinstance(back["planner_focus"], float)
    assert what_if_json(back) == data


def test_missing_what_ifs_take_the_defaults_and_zero_headcount_is_dropped():
    assert what_if_values({"capacity_pct": 80}) == what_ifs(capacity_pct=80)
    assert what_if_json(what_ifs(headcount={"pod-a": 0}))["headcount"] == {}
    assert apply_what_if({"value_rule": "wsjf"}) == {}
    assert apply_what_if(with_what_if({"value_rule": "wsjf"}, what_ifs(buffer_pct=20)))["planner_buffer_pct"] == 20
    assert with_what_if({"value_rule": "wsjf", "import": {"x": 1}}, what_ifs())["import"] == {"x": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"capacity_pct": 400}, "capacity %"),
        ({"capacity_pct": "lots"}, "capacity %"),
        ({"sprints": 0}, "sprints"),
        ({"unit": "hours"}, "unit"),
        ({"value_rule": "vibes"}, "value rule"),
        ({"use_team_focus": "yes"}, "focus"),
        ({"headcount": {"pod-a": 1.5}}, "headcount"),
        ({"overrides": {"A-1": "in"}}, "pins"),
        ({"previous": {"A-1": ["pod-a"]}}, "stable"),
        ({"version": 2}, "version"),
    ],
)
def test_unusable_what_ifs_are_refused(data, message):
    with pytest.raises(PlannerError, match=message):
        what_if_values(data)


def test_capacity_settings_are_built_from_the_what_ifs():
    settings = capacity_settings(
        what_ifs(
            sprints=2,
            unit="points",
            capacity_pct=120,
            use_team_focus=False,
            focus=0.8,
            buffer_pct=10,
            oncall_load=0.5,
            headcount={"pod-b": -1, "pod-a": 2, "pod-c": 0},
        )
    )
    assert settings == CapacitySettings(
        unit="points",
        focus_factor=0.8,
        buffer=0.1,
        oncall_load=0.5,
        capacity_pct=1.2,
        headcount=(("pod-a", 2), ("pod-b", -1)),
        sprint_count=2,
    )
    assert capacity_settings({}) == CapacitySettings(sprint_count=1)  # the team focus factors: None
    assert capacity_settings(what_ifs(focus=0.7)).focus_factor is None  # the slider is off by default


def test_plan_arguments_fall_back_to_the_scenarios_value_rule():
    overrides = {"B": Override(pin="out"), "A": Override(pin="in")}
    arguments = plan_arguments(what_ifs(overrides=overrides, previous={"A": ["pod", "S1"]}), {"value_rule": "wsjf"})
    assert arguments.value_rule == "wsjf"
    assert arguments.overrides == (("A", Override(pin="in")), ("B", Override(pin="out")))
    assert arguments.previous == (("A", ("pod", "S1")),)
    assert plan_arguments(what_ifs(value_rule="rice"), {"value_rule": "wsjf"}).value_rule == "rice"
    assert plan_arguments({}, {}).value_rule == "one"


def test_summary_names_what_differs_from_the_defaults():
    assert what_if_summary(what_ifs()) == "1 sprint"
    assert what_if_summary(what_ifs(value_rule="wsjf")) == "1 sprint, value: wsjf"
    assert what_if_summary(what_ifs(value_rule="wsjf"), own_rule="wsjf") == "1 sprint"
    assert what_if_summary(
        what_ifs(sprints=2, capacity_pct=120, headcount={"pod-a": 1}, overrides={"A": Override(pin="in")})
    ) == ("2 sprints, capacity 120 %, pod-a +1 person, 1 pin")


def test_repeated_names_get_numbered_labels():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    summaries = [
        ScenarioSummary(i, name, 1, 1, now + timedelta(minutes=n), now)
        for n, (i, name) in enumerate([("a", "Plan"), ("b", "Plan"), ("c", "Plan (1)"), ("d", "Other")])
    ]
    labels = scenario_labels(summaries)
    assert len(set(labels.values())) == 4
    assert labels["d"] == "Other" and labels["c"] == "Plan (1)"
    assert labels["a"] == "Plan (2)" and labels["b"] == "Plan (3)"


def _result(
    selected: list[tuple[str, str, str, float]], capacity: list[tuple[str, float, float]], status: str = "optimal"
) -> PlanResult:
    frame = pd.DataFrame(
        [{"team": team, "sprint": "S1", "skill": None, "capacity": cap, "load": load} for team, cap, load in capacity]
    )
    return PlanResult(
        status,
        sum(v for *_, v in selected),
        None,
        0.0,
        1.0,
        tuple(Assignment(i, team, sprint, value, 1.0) for i, team, sprint, value in selected),
        (),
        frame,
        pd.DataFrame(),
        0.5,
        sprints=("S1", "S2"),
    )


def test_comparison_tables():
    first = _result(
        [("A", "red", "S1", 5), ("B", "red", "S1", 3), ("C", "blue", "S1", 2)], [("red", 10, 8), ("blue", 0, 0)]
    )
    other = _result(
        [("A", "red", "S2", 5), ("C", "red", "S1", 2), ("D", "blue", "S1", 4)], [("red", 10, 5), ("blue", 5, 5)]
    )
    results = {"one": first, "two": other}
    metrics = metrics_table(results).set_index("scenario")
    assert metrics.loc["two", "planned value"] == 11 and metrics.loc["one", "items planned"] == 3
    assert metrics.loc["one", "gain"] == 9

    utilisation = utilisation_table(results)
    assert utilisation.loc["red", "one"] == pytest.approx(0.8)
    assert pd.isna(utilisation.loc["blue", "one"])  # no capacity
    assert utilisation.loc["blue", "two"] == pytest.approx(1.0)

    backlog = pd.DataFrame(
        {"id": ["A", "B", "C", "D"], "title": ["a", "b", "c", "d"], "initiative": ["X", "X", None, "Y"]}
    )
    differences = plan_differences(first, other, backlog, "one", "two").set_index("id")
    assert differences.to_dict("index") == {
        "A": {"title": "a", "difference": "other sprint", "first": "red / S1", "other": "red / S2"},
        "B": {"title": "b", "difference": "only in one", "first": "red / S1", "other": ""},
        "C": {"title": "c", "difference": "other team", "first": "blue / S1", "other": "red / S1"},
        "D": {"title": "d", "difference": "only in two", "first": "", "other": "blue / S1"},
    }
    assert plan_differences(first, first).empty

    values = initiative_values(results, {"one": backlog, "two": backlog})
    assert {(r.scenario, r.initiative): r.value for r in values.itertuples()} == {
        ("one", "X"): 8,
        ("one", "(no initiative)"): 2,
        ("two", "X"): 5,
        ("two", "(no initiative)"): 2,
        ("two", "Y"): 4,
    }


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
