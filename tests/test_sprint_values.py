"""planner.sprint_values: the backlog's sprint values against the capacity file's sprints (issue 13)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.errors import SettingsError
from planner.sprint_values import (
    CARRY_OVER_COLUMN,
    SPRINT_SETTINGS_KEY,
    SprintTreatment,
    apply_sprint_treatment,
    classify_sprint_values,
)

SPRINTS = ("Sprint 43", "Sprint 44", "Sprint 45")


def backlog(sprints: list[str | None], done: list[bool] | None = None, moscow: list[str | None] | None = None):
    count = len(sprints)
    return pd.DataFrame(
        {
            "id": [f"I{n}" for n in range(count)],
            "source_row": list(range(2, count + 2)),
            "sprint": pd.array(sprints, dtype="string"),
            "moscow": pd.array(moscow or [None] * count, dtype="string"),
            "done": done or [False] * count,
        }
    )


def treatments(values: list[str | None], sprints=SPRINTS) -> dict[str, tuple[str, int, str | None]]:
    return {v.value: (v.treatment, v.items, v.sprint) for v in classify_sprint_values(backlog(values), sprints)}


def test_the_ado_project_root_is_unscheduled_and_one_grouped_warning():
    planned, problems = apply_sprint_treatment(backlog(["Care"] * 55), SPRINTS)
    assert planned["sprint"].isna().all()
    assert len(problems) == 1
    assert problems[0].message.startswith(
        "55 items name sprint 'Care', which is not one of your sprints: treated as unscheduled"
    )
    assert (problems[0].row, problems[0].column) == (2, "sprint")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sprint 43", ("matched", "Sprint 43")),
        ("sprint-44", ("matched", "Sprint 44")),
        ("CARE Sprint 43", ("matched", "Sprint 43")),
        ("Care\\Sprint 45", ("matched", "Sprint 45")),
        ("Cycle 44", ("matched", "Sprint 44")),
        ("44", ("matched", "Sprint 44")),
        ("Care", ("unscheduled", None)),
        ("Care\\", ("unscheduled", None)),
        ("Backlog", ("unscheduled", None)),
        ("Release 2", ("unscheduled", None)),
        ("CARE Sprint 42", ("carry-over", None)),
        ("Sprint 7", ("carry-over", None)),
        ("CARE Sprint 47", ("later", None)),
    ],
)
def test_each_value_is_classified(value, expected):
    treatment, items, sprint = treatments([value])[value]
    assert (treatment, sprint) == expected
    assert items == 1


def test_a_gap_between_sprints_and_unnumbered_sprints_are_unscheduled():
    assert treatments(["Sprint 44"], ("Sprint 43", "Sprint 45"))["Sprint 44"][0] == "unscheduled"
    assert treatments(["Sprint 9"], ("Alpha", "Beta"))["Sprint 9"][0] == "unscheduled"
    assert treatments(["alpha"], ("Alpha", "Beta"))["alpha"] == ("matched", 1, "Alpha")


def test_without_a_sprints_sheet_made_up_names_match_and_other_numbers_are_later():
    found = treatments(["Sprint 2", "Care", "CARE Sprint 42"], None)
    assert found == {
        "Sprint 2": ("matched", 1, "Sprint 2"),
        "Care": ("unscheduled", 1, None),
        "CARE Sprint 42": ("later", 1, None),
    }


def test_done_items_are_not_counted_nor_changed():
    saved = backlog(["CARE Sprint 42", "CARE Sprint 42", "Care"], done=[True, False, True])
    assert [(v.value, v.items) for v in classify_sprint_values(saved, SPRINTS)] == [("CARE Sprint 42", 1)]
    planned, problems = apply_sprint_treatment(saved, SPRINTS)
    assert planned["sprint"].tolist()[0] == "CARE Sprint 42"
    assert planned["sprint"].tolist()[2] == "Care"
    assert problems[0].message.startswith("1 item names sprint 'CARE Sprint 42'")
    assert problems[0].row == 3  # the first open item's row


def test_carry_over_is_unpinned_marked_and_raised_to_should_or_must():
    saved = backlog(["CARE Sprint 42"] * 4, moscow=[None, "Could", "Must", "Won't"])
    planned, problems = apply_sprint_treatment(saved, SPRINTS)
    assert planned["sprint"].isna().all()
    assert planned[CARRY_OVER_COLUMN].tolist() == ["CARE Sprint 42"] * 4
    assert planned["moscow"].tolist() == ["Should", "Should", "Must", "Won't"]
    assert "carry-over" in problems[0].message
    as_must, _ = apply_sprint_treatment(saved, SPRINTS, carry_over_moscow="Must")
    assert as_must["moscow"].tolist() == ["Must", "Must", "Must", "Won't"]


def test_matched_values_take_the_capacity_name_and_later_keeps_the_pin():
    planned, problems = apply_sprint_treatment(backlog(["CARE Sprint 43", "Sprint 47", None]), SPRINTS)
    assert planned["sprint"].tolist()[:2] == ["Sprint 43", "Sprint 47"]
    assert pd.isna(planned["sprint"].tolist()[2])
    assert planned[CARRY_OVER_COLUMN].isna().all()
    assert len(problems) == 1 and "treated as later" in problems[0].message


def test_the_users_choice_overrides_the_default_and_is_said():
    saved = backlog(["Care", "CARE Sprint 42", "Sprint 47"])
    chosen = {"Care": "later", "CARE Sprint 42": "unscheduled", "Sprint 47": "carry-over"}
    planned, problems = apply_sprint_treatment(saved, SPRINTS, chosen)
    assert planned["sprint"].tolist()[0] == "Care"
    assert pd.isna(planned["sprint"].tolist()[1])
    assert planned[CARRY_OVER_COLUMN].tolist()[2] == "Sprint 47"
    assert "(your choice; by default unscheduled)" in problems[0].message


def test_the_saved_backlog_is_never_changed():
    saved = backlog(["Care", "CARE Sprint 42"])
    before = saved.copy()
    apply_sprint_treatment(saved, SPRINTS)
    pd.testing.assert_frame_equal(saved, before)


def test_bad_treatments_are_refused():
    with pytest.raises(SettingsError, match="'soon' is not one of"):
        apply_sprint_treatment(backlog(["Care"]), SPRINTS, {"Care": "soon"})
    with pytest.raises(SettingsError, match="Should or Must"):
        SprintTreatment(SPRINTS, carry_over_moscow="Could")
    with pytest.raises(SettingsError, match="not a mapping"):
        SprintTreatment.from_settings(SPRINTS, {SPRINT_SETTINGS_KEY: ["Care"]})


def test_treatment_settings_round_trip_and_are_hashable():
    treatment = SprintTreatment(SPRINTS, (("Care", "later"),), "Must")
    again = SprintTreatment.from_settings(list(SPRINTS), {SPRINT_SETTINGS_KEY: treatment.settings()})
    assert again == treatment and hash(again) == hash(treatment)
    assert SprintTreatment.from_settings(SPRINTS, {}) == SprintTreatment(SPRINTS)


def test_a_short_sprint_stem_matches_by_number_and_a_namesake_is_not_called_between():
    backlog = pd.DataFrame({"id": ["A", "B", "C"], "sprint": ["Sprint 2", "Release 2", "S 1"], "done": [False] * 3})
    found = {value.value: value for value in classify_sprint_values(backlog, ["S1", "S2"])}
    assert (found["Sprint 2"].treatment, found["Sprint 2"].sprint) == ("matched", "S2")
    assert (found["S 1"].treatment, found["S 1"].sprint) == ("matched", "S1")
    assert found["Release 2"].treatment == "unscheduled" and "between" not in found["Release 2"].reason
