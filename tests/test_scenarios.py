"""planner.scenarios: what-ifs <-> JSON and session values, what the planner takes, comparison tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from planner.capacity import CapacitySettings
from planner.errors import PlannerError
from planner.overrides import Override
from planner.scenarios import (
    WHAT_IF_DEFAULTS,
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
from planner.store import ScenarioSummary


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
