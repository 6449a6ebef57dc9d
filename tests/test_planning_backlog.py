"""planner.planning_backlog: the one place the plan's backlog is assembled (value rule, then overrides)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.errors import PlannerError, SettingsError
from planner.overrides import Override, apply_overrides
from planner.planning_backlog import planning_backlog
from planner.sample import SAMPLE_BACKLOG
from planner.sprint_values import SprintTreatment
from planner.value import apply_value_rule


def backlog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "moscow": pd.array(["Should", None, "Could"], dtype="string"),
            "sprint": pd.array([None, None, None], dtype="string"),
            "value_given": [5.0, None, 2.0],
            "priority": pd.array(["High", "Low", None], dtype="string"),
        }
    )


def test_items_are_valued_by_the_rule_and_the_overrides_applied_on_top():
    saved = backlog()
    planned = planning_backlog(saved, "priority", {"A": Override(pin="out"), "B": Override(pin="Sprint 2")})
    assert planned["value"].tolist() == [4.0, 2.0, 0.0]  # no priority: worth 0
    assert planned["moscow"].tolist()[0] == "Won't"
    assert planned.loc[1, "sprint"] == "Sprint 2"
    assert planned.loc[2, "moscow"] == "Could"


def test_the_saved_backlog_is_never_changed():
    saved = backlog()
    before = saved.copy()
    planning_backlog(saved, "value", {"C": Override(moscow="Must")})
    pd.testing.assert_frame_equal(saved, before)
    assert "value" not in saved.columns


def test_overrides_as_pairs_or_as_a_mapping_give_the_same_backlog():
    pairs = (("A", Override(pin="in")), ("C", Override(moscow="")))
    as_pairs = planning_backlog(backlog(), "value", pairs)
    pd.testing.assert_frame_equal(as_pairs, planning_backlog(backlog(), "value", dict(pairs)))
    assert as_pairs["moscow"].tolist()[0] == "Must" and pd.isna(as_pairs.loc[2, "moscow"])


def test_without_overrides_it_is_the_valued_backlog():
    pd.testing.assert_frame_equal(planning_backlog(backlog(), "value"), apply_value_rule(backlog(), "value"))


def test_it_is_value_rule_then_overrides_on_the_sample():
    from planner.ingest import read_backlog

    saved = read_backlog(SAMPLE_BACKLOG).table
    first = saved["id"].iloc[0]
    overrides = {first: Override(pin="in")}
    expected = apply_overrides(apply_value_rule(saved, "wsjf"), overrides)
    pd.testing.assert_frame_equal(planning_backlog(saved, "wsjf", overrides), expected)


def test_an_unknown_value_rule_is_a_settings_error():
    with pytest.raises(SettingsError, match="unknown value rule 'vibes'"):
        planning_backlog(backlog(), "vibes")


def test_an_override_of_an_unknown_item_is_refused():
    with pytest.raises(PlannerError, match="'Z'"):
        planning_backlog(backlog(), "one", {"Z": Override(pin="in")})


def test_sprint_values_are_treated_before_the_overrides():
    """Issue 13: the project root pins nothing, a past sprint is carry-over; an override still wins."""
    saved = backlog()
    saved["sprint"] = pd.array(["Care", "CARE Sprint 42", "CARE Sprint 43"], dtype="string")
    saved["done"] = False
    sprints = SprintTreatment(("Sprint 43", "Sprint 44"))
    planned = planning_backlog(saved, "value", {"A": Override(pin="Sprint 44")}, sprints=sprints)
    assert planned["sprint"].tolist()[0] == "Sprint 44"  # the override, on top
    assert pd.isna(planned["sprint"].tolist()[1])
    assert planned["carry_over"].tolist()[1] == "CARE Sprint 42"
    assert planned["moscow"].tolist()[1] == "Should"
    assert planned["sprint"].tolist()[2] == "Sprint 43"
    must = planning_backlog(saved, "value", sprints=SprintTreatment(("Sprint 43",), (("Care", "later"),), "Must"))
    assert must["sprint"].tolist()[0] == "Care"
    assert must["moscow"].tolist()[1] == "Must"


def test_without_a_sprint_treatment_the_sprints_stay_as_written():
    saved = backlog()
    saved["sprint"] = pd.array(["Care", None, None], dtype="string")
    assert planning_backlog(saved, "value")["sprint"].tolist()[0] == "Care"
