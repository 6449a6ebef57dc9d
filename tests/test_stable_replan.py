"""Stable re-planning (issue 13): value first within keep-within, then the fewest changes.

The changes are counted here from the plans themselves (not from ``result.changes``), so each
property is checked independently of the code that reports it.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from plan_fixtures import backlog, capacity, random_instance

from planner.capacity import CapacitySettings
from planner.errors import PlannerError
from planner.ingest import read_backlog, read_capacity
from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY
from planner.schema import CapacityTables
from planner.solve import PlanResult, SolveOptions, make_plan

THREE = CapacitySettings(sprint_count=3)
EXACT = SolveOptions(gap=0, time_limit=30)
KEEP = 0.005


def placed(result: PlanResult) -> dict[str, tuple[str, str]]:
    return {a.id: (a.team, a.sprint) for a in result.selected}


def changed(before: dict[str, tuple[str, str]], after: PlanResult) -> dict[str, tuple[str, str] | None]:
    """Every item whose place differs: id -> its old place (None: it entered)."""
    now = placed(after)
    return {item: before.get(item) for item in set(before) | set(now) if before.get(item) != now.get(item)}


def teams_of(item_ids, before: dict[str, tuple[str, str]], after: PlanResult) -> set[str]:
    now = placed(after)
    return {place[0] for item in item_ids for place in (before.get(item), now.get(item)) if place is not None}


def with_less_capacity(tables: CapacityTables, person: int, days: float) -> CapacityTables:
    people = tables.people.copy()
    people.loc[person, "days_per_sprint"] = people.loc[person, "days_per_sprint"] - days
    return replace(tables, people=people)


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_unchanged_inputs_change_nothing_on_generated_instances(seed):
    items, tables = random_instance(45, 3, seed=seed)
    first = make_plan(items, tables, THREE, EXACT)
    again = make_plan(items, tables, THREE, replace(EXACT, previous=placed(first)))
    assert changed(placed(first), again) == {}
    assert again.objective == first.objective
    assert again.changes is not None and again.changes.as_json() == {"entered": 0, "left": 0, "moved": 0}
    assert again.free_objective == pytest.approx(first.objective)


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_a_change_confined_to_one_team_moves_no_other_team_and_keeps_the_value(seed):
    items, tables = random_instance(45, 3, seed=seed)  # no dependencies: no item links two teams
    first = make_plan(items, tables, THREE, EXACT)
    before = placed(first)
    smaller = with_less_capacity(tables, person=0, days=3)  # p0-0 of team t0
    team_of_person = tables.people.loc[0, "team"]
    free = make_plan(items, smaller, THREE, EXACT)
    stable = make_plan(items, smaller, THREE, replace(EXACT, previous=before, keep_within=KEEP))

    assert teams_of(changed(before, stable), before, stable) <= {team_of_person}
    assert stable.objective >= (1 - KEEP) * free.objective - 1e-6
    assert stable.free_objective == pytest.approx(free.objective)
    # The fewest changes: never more than the free re-plan makes, counted as the contract weighs them.
    assert stable.changes is not None and stable.free_changes is not None
    assert stable.changes.weight <= stable.free_changes.weight
    counted = changed(before, stable)
    assert len(stable.changes.entered) == sum(1 for item, old in counted.items() if old is None)
    assert len(stable.changes.left) == sum(1 for item in counted if item not in placed(stable))


def test_keep_within_zero_keeps_the_best_value_and_a_wider_tolerance_changes_less():
    items, tables = random_instance(45, 3, seed=7)
    before = placed(make_plan(items, tables, THREE, EXACT))
    smaller = with_less_capacity(tables, person=0, days=3)
    free = make_plan(items, smaller, THREE, EXACT)
    strict = make_plan(items, smaller, THREE, replace(EXACT, previous=before, keep_within=0.0))
    loose = make_plan(items, smaller, THREE, replace(EXACT, previous=before, keep_within=0.2))
    assert strict.objective == pytest.approx(free.objective)
    assert loose.objective >= 0.8 * free.objective - 1e-6
    assert loose.changes is not None and strict.changes is not None
    assert loose.changes.weight <= strict.changes.weight


def test_a_cross_team_dependency_forces_the_dependent_item_to_move():
    # B-1 (team b) depends on A-1 (team a). With A's person out for most of S1, A-1 can only be
    # done from S2 on, so B-1 must follow it; B-2, which depends on nothing, stays where it was.
    items = backlog(
        {"id": "A-1", "team": "a", "effort": 4, "value": 10},
        {"id": "B-1", "team": "b", "effort": 2, "value": 30, "depends_on": "A-1"},
        {"id": "B-2", "team": "b", "effort": 2, "value": 5},
    )
    people = [("ann", "a", "", 5), ("bob", "b", "", 5)]
    before = {"A-1": ("a", "S1"), "B-1": ("b", "S1"), "B-2": ("b", "S1")}
    tables = capacity(people, sprints=3)
    again = make_plan(items, tables, THREE, replace(EXACT, previous=before))
    assert changed(before, again) == {}

    # Ann is out for most of S1 (2 days left): A-1 (4 days) fits only from S2 on.
    out = pd.DataFrame([{"name": "ann", "start": pd.Timestamp("2026-01-05"), "end": pd.Timestamp("2026-01-12")}])
    smaller = CapacityTables.from_frames({"people": tables.people, "sprints": tables.sprints, "ooo": out})
    stable = make_plan(items, smaller, THREE, replace(EXACT, previous=before))
    now = placed(stable)
    assert now["A-1"][1] != "S1"  # A-1 had to move
    assert now["B-1"][1] >= now["A-1"][1]  # and B-1, which depends on it, moved with it
    assert "B-1" in changed(before, stable)
    assert now.get("B-2") == ("b", "S1")  # linked to nothing that moved: stays
    assert stable.changes is not None and set(stable.changes.moved) == {"A-1", "B-1"}
    # The plan says which dependency moved another team's item.
    assert "B-1 (b) changed with its prerequisite A-1 (a)" in stable.message


def test_items_gone_from_the_backlog_or_done_are_not_changes():
    items = backlog(
        {"id": "A-1", "team": "a", "effort": 2, "value": 10},
        {"id": "A-2", "team": "a", "effort": 2, "value": 10, "done": True},
    )
    tables = capacity([("ann", "a", "", 5)], sprints=3)
    before = {"A-1": ("a", "S1"), "A-2": ("a", "S1"), "GONE": ("a", "S2")}
    result = make_plan(items, tables, THREE, replace(EXACT, previous=before))
    assert result.changes is not None and result.changes.as_json() == {"entered": 0, "left": 0, "moved": 0}
    payload = result.as_json()
    assert payload["changes"] == {"entered": 0, "left": 0, "moved": 0}
    assert payload["free_objective"] == 10


def test_keep_within_is_checked():
    with pytest.raises(PlannerError, match="keep-within"):
        SolveOptions(keep_within=1.0)
    with pytest.raises(PlannerError, match="keep-within"):
        SolveOptions(keep_within=-0.1)


def test_without_a_previous_plan_the_result_has_no_changes():
    items, tables = random_instance(20, 2, seed=3)
    result = make_plan(items, tables, THREE, EXACT)
    assert result.changes is None and result.free_objective is None
    assert "changes" not in result.as_json()


@pytest.fixture(scope="module")
def sample():
    items = read_backlog(SAMPLE_BACKLOG).table
    tables = read_capacity([SAMPLE_CAPACITY]).tables
    return items, tables


def _sample_ooo(tables: CapacityTables) -> CapacityTables:
    """Two days out for Maya Patel (pod-scale) in Sprint 28."""
    extra = pd.DataFrame(
        [
            {
                "name": "Maya Patel",
                "start": pd.Timestamp("2026-12-15"),
                "end": pd.Timestamp("2026-12-16"),
                "source_row": len(tables.ooo) + 2,  # the row it would be in the sheet
            }
        ]
    )
    return replace(tables, ooo=pd.concat([tables.ooo, extra], ignore_index=True))


def test_sample_unchanged_inputs_and_an_ooo_confined_to_one_team(sample):
    items, tables = sample
    # The 3-sprint sample is not always proven within 30 s (1,532 found, bound 1,548): a tolerance of
    # 2 % keeps the first plan within reach of whatever the re-plan's search finds.
    keep = 0.02
    options = SolveOptions(gap=0.0, time_limit=30, keep_within=keep)
    first = make_plan(items, tables, THREE, options)
    before = placed(first)

    again = make_plan(items, tables, THREE, replace(options, previous=before))
    assert changed(before, again) == {}
    assert again.objective == first.objective

    ooo = _sample_ooo(tables)
    stable = make_plan(items, ooo, THREE, replace(options, previous=before))
    moved = changed(before, stable)
    assert stable.objective >= (1 - keep) * stable.free_objective - 1e-6
    other = teams_of(moved, before, stable) - {"pod-scale"}
    # Another team's item may change only when a dependency links it to a changed pod-scale item.
    links = {
        (str(item), str(prerequisite).strip())
        for item, prerequisites in zip(items["id"], items["depends_on"])
        if isinstance(prerequisites, str)
        for prerequisite in prerequisites.split(",")
    }
    for item in moved:
        place = before.get(item) or placed(stable)[item]
        if place[0] in other:
            assert any(item in link and (set(link) - {item}) & set(moved) for link in links), item
    assert stable.changes is not None and stable.free_changes is not None
    assert stable.changes.weight <= stable.free_changes.weight


def test_sample_at_the_apps_gap_keeps_the_plan_where_the_free_re_plan_moves_it(sample):
    # Issue 13's case, at the app's gap and the default tolerance: the free re-plan after a 2-day OOO in
    # pod-scale moves or drops about 18 items, 2 of other teams. The stable plan must do far better. A
    # start handed to CBC for the fewest-changes model once came back "optimal" unchanged (22 changes,
    # where 4 were enough): this is the test that caught it.
    from planner.planning_backlog import planning_backlog
    from planner.solve import capacity_sprint_names
    from planner.sprint_values import SprintTreatment

    raw, tables = sample
    # As the app plans it: the sample's item still open from Sprint 26 is carry-over.
    items = planning_backlog(raw, "wsjf", sprints=SprintTreatment(capacity_sprint_names(tables)))
    options = SolveOptions(gap=0.005, time_limit=30)
    before = placed(make_plan(items, tables, THREE, options))
    stable = make_plan(items, _sample_ooo(tables), THREE, replace(options, previous=before))
    assert stable.changes is not None and stable.free_changes is not None and stable.free_objective is not None
    assert stable.objective >= (1 - KEEP) * stable.free_objective - 1e-6
    assert stable.free_changes.count >= 10
    assert stable.changes.count <= 5
    assert teams_of(changed(before, stable), before, stable) <= {"pod-scale"}


def test_a_re_plan_starts_from_the_previous_plan_repaired_when_it_beats_rank_and_fill(sample):
    """More capacity keeps every item of the previous plan in place: a value search cut short at once
    still finds the previous plan filled around (worth more than rank-and-fill's), and says so."""
    items, tables = sample
    three = CapacitySettings(sprint_count=3)
    first = make_plan(items, tables, three, SolveOptions(time_limit=30, gap=0.005))
    previous = placed(first)
    cut_short = SolveOptions(time_limit=0.05, gap=0.005, exact_thresholds=False, previous=previous)
    result = make_plan(items, tables, replace(three, capacity_pct=1.15), cut_short)
    assert result.status in ("optimal", "feasible")
    assert result.free_objective is not None and result.free_objective > result.baseline_objective
    assert result.free_objective > first.objective
