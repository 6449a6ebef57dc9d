"""Plans with few changes found greedily (issue 15): the starts of the fewest-changes pass.

Each start must keep every rule and the value floor; the count of changes is checked against the
fewest-changes pass's own count (``change_weight``), and the plans against the free re-plan.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import replace

import pytest
from plan_fixtures import linked_instance

from planner.capacity import CapacitySettings, compute_capacity
from planner.ingest import read_backlog, read_capacity
from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY
from planner.solve import PlanResult, SolveOptions, make_plan, search
from planner.solve.fewest_changes import (
    fewer_changes_by_team,
    fill_to_floor,
    mix_by_team,
    place_weight,
    unwind_to_floor,
)
from planner.solve.model import previous_positions
from planner.solve.plan import repaired_previous
from planner.solve.problem import Placement, PlanProblem, build_problem, plan_value
from planner.solve.search import change_weight, few_changes_starts
from planner.solve.verify import plan_violations

THREE = CapacitySettings(sprint_count=3)
KEEP = 0.005
GOOD = SolveOptions(time_limit=5, gap=0.005, exact_thresholds=False)


def placed(result: PlanResult) -> dict[str, tuple[str, str]]:
    return {a.id: (a.team, a.sprint) for a in result.selected}


def positions_of(problem: PlanProblem, result: PlanResult) -> Placement:
    return previous_positions(problem, placed(result))


def re_plan(items, tables, percent: int):
    """The problem after a Capacity % move (3 sprints), the previous plan's places in it, and the free re-plan's."""
    after = replace(THREE, capacity_pct=percent / 100)
    first = make_plan(items, tables, THREE, GOOD)
    problem = build_problem(items, compute_capacity(tables, after))
    kept = positions_of(problem, first)
    free = positions_of(problem, make_plan(items, tables, after, GOOD))
    return problem, kept, free


@functools.cache
def linked_re_plan(seed: int, percent: int, teams: int = 3):
    """:func:`re_plan` of a seeded instance with Must items and dependencies, solved once per module."""
    return re_plan(*linked_instance(seed, teams=teams), percent)


@functools.cache
def sample_re_plan(percent: int):
    return re_plan(read_backlog(SAMPLE_BACKLOG).table, read_capacity([SAMPLE_CAPACITY]).tables, percent)


def assert_keeps_rules_and_floor(problem: PlanProblem, plan: Placement, floor: float) -> None:
    assert plan_violations(problem, plan) == []
    assert plan_value(problem, plan) >= floor - 1e-6


@pytest.mark.parametrize("percent", [105, 115, 125])
def test_a_capacity_move_on_the_sample_finds_starts_with_fewer_changes_than_the_free_re_plan(percent):
    problem, kept, free = sample_re_plan(percent)
    floor = (1 - KEEP) * plan_value(problem, free)
    repaired = repaired_previous(problem, kept)
    assert all(plan_value(problem, plan) < floor for plan in repaired)  # the previous plan alone is not enough

    found = few_changes_starts(problem, [*repaired, free], kept, floor, SolveOptions())

    for start in found:
        assert plan_violations(problem, start) == []
    starts = [start for start in found if plan_value(problem, start) >= floor - 1e-6]  # the pass's starts
    assert starts
    assert min(change_weight(kept, start) for start in starts) < change_weight(kept, free)


@pytest.mark.parametrize("seed", [11, 23])
def test_more_capacity_is_filled_with_fewer_changes_than_the_free_re_plan(seed):
    problem, kept, free = linked_re_plan(seed, 125)
    floor = (1 - KEEP) * plan_value(problem, free)
    repaired = repaired_previous(problem, kept)[0]
    assert plan_value(problem, repaired) < floor

    filled = fill_to_floor(problem, repaired, kept, floor, math.inf)

    assert_keeps_rules_and_floor(problem, filled, floor)
    assert change_weight(kept, filled) < change_weight(kept, free)
    assert all(index in filled for index in repaired)  # more room: nothing of the previous plan leaves


@pytest.mark.parametrize("seed", [7, 11, 19, 23])
@pytest.mark.parametrize("percent", [85, 125])
def test_starts_keep_every_rule_and_the_floor_with_dependencies_and_musts(seed, percent):
    problem, kept, free = linked_re_plan(seed, percent)
    floor = (1 - KEEP) * plan_value(problem, free)

    unwound = unwind_to_floor(problem, free, kept, floor, math.inf)
    assert_keeps_rules_and_floor(problem, unwound, floor)
    assert change_weight(kept, unwound) <= change_weight(kept, free)
    repaired = repaired_previous(problem, kept)
    for start in repaired:
        filled = fill_to_floor(problem, start, kept, floor, math.inf)
        assert plan_violations(problem, filled) == [] or plan_violations(problem, start) != []
        # A greedy fill may stop short of the floor (no single step is left): the team mix may use its parts.
    mixed = mix_by_team(problem, [*repaired, free, unwound], kept, floor, math.inf)
    if mixed is not None:
        assert_keeps_rules_and_floor(problem, mixed, floor)
    by_team = fewer_changes_by_team(problem, free, kept, floor, SolveOptions(solver="highs"), seconds=5)
    assert_keeps_rules_and_floor(problem, by_team, floor)
    assert change_weight(kept, by_team) <= change_weight(kept, free)


@pytest.mark.parametrize("seed", [7, 11])
def test_the_change_count_is_the_fewest_changes_pass_count(seed):
    _problem, kept, free = linked_re_plan(seed, 85)
    for plan in (free, kept, {}):
        counted = sum(place_weight(kept, index, plan.get(index)) for index in set(kept) | set(plan))
        assert counted == change_weight(kept, plan)


def test_greedy_plans_past_their_deadline_are_their_starts():
    problem, kept, free = sample_re_plan(115)
    floor = (1 - KEEP) * plan_value(problem, free)
    assert fill_to_floor(problem, kept, kept, floor, time.perf_counter() - 1) == kept
    assert unwind_to_floor(problem, free, kept, floor, time.perf_counter() - 1) == free
    assert fewer_changes_by_team(problem, free, kept, floor, SolveOptions(), seconds=0) == free
    assert mix_by_team(problem, [kept, free], kept, floor, time.perf_counter() - 1) is None


@pytest.mark.parametrize("seed", [11, 23])
def test_team_by_team_re_plans_make_fewer_changes_than_the_free_re_plan(seed):
    problem, kept, free = linked_re_plan(seed, 125)
    floor = (1 - KEEP) * plan_value(problem, free)

    by_team = fewer_changes_by_team(problem, free, kept, floor, SolveOptions(solver="highs"), seconds=10)

    assert_keeps_rules_and_floor(problem, by_team, floor)
    assert change_weight(kept, by_team) < change_weight(kept, free)


def test_a_team_mix_takes_each_team_from_the_plan_that_changes_it_least_for_the_value():
    """Two teams: the previous plan is enough for one, the other needs the free plan's items."""
    problem, kept, free = linked_re_plan(11, 125, teams=2)
    floor = (1 - KEEP) * plan_value(problem, free)
    repaired = repaired_previous(problem, kept)[0]

    mixed = mix_by_team(problem, [repaired, free], kept, floor, math.inf)

    assert mixed is not None
    assert_keeps_rules_and_floor(problem, mixed, floor)
    teams = {place[0] for place in mixed.values()}
    for team in teams:
        part = {index: place for index, place in mixed.items() if place[0] == team}
        assert part in (
            {index: place for index, place in repaired.items() if place[0] == team},
            {index: place for index, place in free.items() if place[0] == team},
        )
    assert change_weight(kept, mixed) <= change_weight(kept, free)


def test_a_pass_whose_time_runs_out_while_its_model_is_built_keeps_its_best_start(monkeypatch):
    """On a busy machine the whole model can take what was left to build: the pass says so, no error."""
    problem, kept, free = sample_re_plan(115)
    floor = (1 - KEEP) * plan_value(problem, free)
    options = SolveOptions(solver="highs", deadline=time.perf_counter() + 1.0)
    real_build = search.build_model

    def slow_build(*arguments, **keywords):
        model = real_build(*arguments, **keywords)
        time.sleep(max(options.deadline - time.perf_counter(), 0.0))  # type: ignore[operator]
        return model

    monkeypatch.setattr(search, "build_model", slow_build)
    notes: list[str] = []

    solution = search.solve_stable(problem, options, kept, floor, [free], notes)

    assert solution.status == "feasible"
    assert_keeps_rules_and_floor(problem, solution.assignments, floor)
    assert change_weight(kept, solution.assignments) <= change_weight(kept, free)
    assert any("were not proven in the time limit" in note for note in notes)
