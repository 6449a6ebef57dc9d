"""planner.planning_backlog: the one place the plan's backlog is assembled (value rule, then overrides)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.errors import PlannerError, SettingsError
from planner.overrides import Override, apply_overrides
from planner.planning_backlog import planning_backlog
from planner.sample import SAMPLE_BACKLOG
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
