"""Team-by-team solving: the exact one-sprint decomposition and the multi-sprint improvement."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from plan_fixtures import backlog, capacity, linked_instance, random_instance

from planner.capacity import CapacitySettings, compute_capacity
from planner.solve import improve, make_plan
from planner.solve.baseline import density_bound, rank_and_fill
from planner.solve.decompose import decomposable, solve_by_team, solve_parts_side_by_side, team_groups
from planner.solve.improve import improve_by_team, linked_teams, team_part
from planner.solve.model import SolveOptions, build_model, small_model_solver, solve
from planner.solve.problem import build_problem
from planner.solve.verify import plan_violations

TODAY = date(2026, 1, 1)
EXACT = SolveOptions(gap=0, time_limit=30)
TWO_TEAMS = [("Ann", "pod-a", None, 10), ("Bob", "pod-b", None, 10)]


def problem_of(items, people=TWO_TEAMS, sprints=3):
    settings = CapacitySettings(sprint_count=sprints)
    return build_problem(items, compute_capacity(capacity(people, sprints), settings, TODAY))


def index_of(problem, item_id):
    return problem.ids.index(item_id)


# --- team_part: one team's share with the rest of the plan held ------------------------------------


def test_team_part_holds_links_to_other_teams():
    items = backlog(
        {"id": "B1", "effort": 2, "value": 5, "team": "pod-b"},
        {"id": "A1", "effort": 2, "value": 5, "team": "pod-a", "depends_on": "B1"},  # B1 planned in S2
        {"id": "A2", "effort": 2, "value": 1, "team": "pod-a"},
        {"id": "B2", "effort": 2, "value": 9, "team": "pod-b", "depends_on": "A2"},  # planned in S2, needs A2
        {"id": "B3", "effort": 2, "value": 1, "team": "pod-b"},  # left out of the plan
        {"id": "A3", "effort": 2, "value": 5, "team": "pod-a", "depends_on": "B3"},
        {"id": "A4", "effort": 2, "value": 5, "team": "pod-a", "depends_on": "A3"},
        {"id": "X", "effort": 2, "value": 5},  # any team; planned by pod-b
    )
    problem = problem_of(items)
    at = {item_id: index_of(problem, item_id) for item_id in problem.ids}
    plan = {at["B1"]: ("pod-b", 1), at["A2"]: ("pod-a", 0), at["B2"]: ("pod-b", 1), at["X"]: ("pod-b", 0)}

    part = team_part(problem, plan, "pod-a")

    by_id = {item.id: item for item in part.items}
    assert set(by_id) == {"A1", "A2"}  # A3 waits for B3 (out), A4 for A3; X stays with pod-b
    assert list(by_id["A1"].sprints(3)) == [1, 2] and by_id["A1"].prerequisites == ()
    assert by_id["A2"].must and list(by_id["A2"].sprints(3)) == [0, 1]
    assert part.teams == ("pod-a",) and {pool.team for pool in part.pools} == {"pod-a"}


def test_team_part_frees_items_no_team_has_planned():
    items = backlog({"id": "X", "effort": 2, "value": 5}, {"id": "Y", "effort": 2, "value": 5})
    problem = problem_of(items)
    part = team_part(problem, {index_of(problem, "Y"): ("pod-b", 0)}, "pod-a")
    assert [(item.id, item.teams) for item in part.items] == [("X", ("pod-a",))]


def test_team_part_over_a_window_holds_the_team_s_other_sprints():
    items = backlog(
        {"id": "A0", "effort": 2, "value": 5, "team": "pod-a"},  # planned in S1, outside the window
        {"id": "A1", "effort": 2, "value": 5, "team": "pod-a", "depends_on": "A0"},  # planned in S2
        {"id": "A2", "effort": 2, "value": 5, "team": "pod-a"},  # planned in S3
        {"id": "A3", "effort": 2, "value": 5, "team": "pod-a", "deadline": "2026-02-20"},  # not planned
        {"id": "A4", "effort": 2, "value": 5, "team": "pod-a", "deadline": "2026-01-16"},  # not planned, due in S1
    )
    problem = problem_of(items)
    at = {item_id: index_of(problem, item_id) for item_id in problem.ids}
    plan = {at["A0"]: ("pod-a", 0), at["A1"]: ("pod-a", 1), at["A2"]: ("pod-a", 2)}

    part = team_part(problem, plan, "pod-a", sprints=range(1, 3))

    by_id = {item.id: item for item in part.items}
    assert set(by_id) == {"A1", "A2", "A3"}  # A0 is held in S1; A4 can only go to S1, outside the window
    assert [list(by_id[i].sprints(3)) for i in ("A1", "A2", "A3")] == [[1, 2], [1, 2], [1, 2]]
    assert by_id["A1"].prerequisites == ()  # A0 is held before the window


def test_two_linked_teams_share_one_part():
    items = backlog(
        {"id": "P", "effort": 10, "value": 1, "team": "pod-b"},  # not planned
        {"id": "A", "effort": 10, "value": 40, "team": "pod-a", "depends_on": "P"},
        {"id": "Q", "effort": 10, "value": 5, "team": "pod-b"},  # planned in S1, inside the window
        {"id": "R", "effort": 10, "value": 5, "team": "pod-b"},  # planned in S3, outside it
        {"id": "X", "effort": 2, "value": 5},  # any team
        {"id": "C", "effort": 1, "value": 1, "team": "pod-c"},
    )
    problem = problem_of(items, TWO_TEAMS + [("Cy", "pod-c", None, 10)])
    at = {item_id: index_of(problem, item_id) for item_id in problem.ids}
    plan = {at["Q"]: ("pod-b", 0), at["R"]: ("pod-b", 2), at["C"]: ("pod-c", 0)}

    part = team_part(problem, plan, ("pod-a", "pod-b"), sprints=range(0, 2))

    by_id = {item.id: item for item in part.items}
    assert set(by_id) == {"P", "A", "Q", "X"}  # A comes in with its prerequisite; R is held in S3
    assert by_id["A"].prerequisites == (at["P"],) and by_id["A"].teams == ("pod-a",)
    assert set(by_id["X"].teams) == {"pod-a", "pod-b"}  # any team of the two, not pod-c
    assert part.teams == ("pod-a", "pod-b") and {pool.team for pool in part.pools} == {"pod-a", "pod-b"}


def test_linked_teams_are_the_pairs_a_dependency_joins():
    items = backlog(
        {"id": "P", "effort": 1, "value": 1, "team": "pod-b"},
        {"id": "A", "effort": 1, "value": 1, "team": "pod-a", "depends_on": "P"},
        {"id": "A2", "effort": 1, "value": 1, "team": "pod-a", "depends_on": "A"},  # within pod-a: no pair
        {"id": "C", "effort": 1, "value": 1, "team": "pod-c"},
    )
    problem = problem_of(items, TWO_TEAMS + [("Cy", "pod-c", None, 10)])
    assert linked_teams(problem) == [("pod-a", "pod-b")]


# --- improve_by_team --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [3, 5])
def test_improvement_keeps_the_plan_valid_and_never_loses_value(seed):
    frame, tables = linked_instance(seed, items=240, teams=4, any_team=0.1)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=3), TODAY))
    start = rank_and_fill(problem)
    assert plan_violations(problem, start) == []
    values = {item.index: item.value for item in problem.items}

    better = improve_by_team(problem, start, SolveOptions(), seconds=8)

    assert plan_violations(problem, better) == []
    assert sum(values[i] for i in better) > sum(values[i] for i in start)  # rank-and-fill leaves value here


def test_improvement_stops_when_the_plan_is_good_enough():
    frame, tables = linked_instance(3, items=240, teams=4, any_team=0.1)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=3), TODAY))
    start = rank_and_fill(problem)
    values = {item.index: item.value for item in problem.items}
    target = sum(values[i] for i in start) + 1
    seen = []

    def enough(value):
        seen.append(value)
        return value >= target

    better = improve_by_team(problem, start, SolveOptions(), seconds=60, enough=enough)

    assert sum(values[i] for i in better) >= target
    assert seen[-1] >= target and all(value < target for value in seen[:-1])  # asked again until met, then stopped


# --- solve_by_team: exact for one sprint ------------------------------------------------------------


def linked_problem(seed, sprints):
    frame, tables = linked_instance(seed, items=150 if sprints == 1 else 60, teams=4)
    return build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=sprints), TODAY))


def whole_model(problem):
    options = replace(EXACT, earliness=0)
    return solve(build_model(problem, options), options)


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "sprints"), [(seed, 1) for seed in range(6)] + [(seed, 3) for seed in range(4)])
def test_by_team_matches_the_whole_model(seed, sprints):
    # Prerequisites across teams (a fifth of the items) make the search branch, here as far as it
    # takes (up to 400 part solves); the whole model is the referee.
    problem = linked_problem(seed, sprints)
    assert decomposable(problem, EXACT)

    by_team = solve_by_team(problem, EXACT, part_solves=1000)
    whole = whole_model(problem)

    assert by_team.status == whole.status == "optimal"
    assert by_team.objective == pytest.approx(whole.objective)
    assert by_team.bound == pytest.approx(by_team.objective)
    assert plan_violations(problem, by_team.assignments) == []


def test_a_search_too_wide_hands_over_a_valid_plan_and_an_honest_bound():
    # 60 items, 4 teams, 3 sprints, 12 prerequisites mostly across teams: the branches multiply
    # (about 400 part solves to finish), so the search stops at its budget of part solves (32).
    problem = linked_problem(0, 3)
    by_team = solve_by_team(problem, EXACT)
    whole = whole_model(problem)

    assert by_team.status == "feasible" and by_team.seconds < 5
    assert by_team.objective < whole.objective <= by_team.bound
    assert plan_violations(problem, by_team.assignments) == []


def test_parts_too_big_for_their_share_of_time_give_up_at_once():
    # 2,000 items for 12 teams over 3 sprints: a team's part is not proven in a tenth of a second.
    frame, tables = random_instance(2000, 12)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=3), TODAY))
    result = solve_by_team(problem, SolveOptions(gap=0, time_limit=20), part_seconds=0.1)
    assert result.status == "error" and result.assignments == {}
    assert result.seconds < 5


def test_one_sprint_by_team_says_infeasible_when_a_must_item_cannot_go():
    items = backlog(
        {"id": "P", "effort": 8, "value": 1, "team": "pod-b", "moscow": "Must"},
        {"id": "Q", "effort": 8, "value": 1, "team": "pod-b", "moscow": "Must"},
        {"id": "A", "effort": 1, "value": 5, "team": "pod-a"},
    )
    problem = problem_of(items, sprints=1)
    assert solve_by_team(problem, EXACT).status == "infeasible"


def test_an_item_two_teams_want_goes_to_one():
    # X is worth most to both teams' own plans; only one may take it, the other fills with Y.
    items = backlog(
        {"id": "X", "effort": 10, "value": 50},
        {"id": "Y", "effort": 10, "value": 10},
        {"id": "Z", "effort": 10, "value": 1},
    )
    problem = problem_of(items, sprints=1)
    solution = solve_by_team(problem, EXACT)
    assert solution.status == "optimal" and solution.objective == 60
    assert len({team for team, _ in solution.assignments.values()}) == 2


def test_a_cross_team_prerequisite_is_planned_when_it_pays():
    # A (pod-a, 40) needs P (pod-b, 1); pod-b alone would rather take Q (5). Together: P + A = 41 > Q + other.
    items = backlog(
        {"id": "P", "effort": 10, "value": 1, "team": "pod-b"},
        {"id": "Q", "effort": 10, "value": 5, "team": "pod-b"},
        {"id": "A", "effort": 10, "value": 40, "team": "pod-a", "depends_on": "P"},
    )
    problem = problem_of(items, sprints=1)
    solution = solve_by_team(problem, EXACT)
    planned = {problem.ids[i] for i in solution.assignments}
    assert planned == {"P", "A"} and solution.objective == 41 and solution.status == "optimal"


# --- solve_parts_side_by_side: every part once, a valid plan and a proven bound --------------------


@pytest.mark.parametrize(("seed", "sprints"), [(0, 3), (2, 3), (1, 1)])
def test_parts_side_by_side_give_a_valid_plan_and_a_true_bound(seed, sprints):
    # Prerequisites across teams (a fifth of the items) are dropped in the parts: the repaired plan
    # keeps every rule, and the sum of the parts' bounds is at least the proven optimum.
    problem = linked_problem(seed, sprints)
    start = rank_and_fill(problem)
    whole = whole_model(problem)
    values = {item.index: item.value for item in problem.items}

    parts = solve_parts_side_by_side(problem, EXACT, start, seconds=10)

    assert parts.status == "feasible" and whole.status == "optimal"
    assert plan_violations(problem, parts.assignments) == []
    assert parts.objective == sum(values[index] for index in parts.assignments)
    assert parts.objective <= whole.objective + 1e-6
    assert parts.bound is not None and parts.bound >= whole.objective - 1e-6
    assert parts.bound >= parts.objective


def test_parts_side_by_side_keep_within_their_seconds():
    frame, tables = random_instance(2000, 12)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=3), TODAY))
    start = rank_and_fill(problem)
    values = {item.index: item.value for item in problem.items}

    parts = solve_parts_side_by_side(problem, SolveOptions(gap=0, time_limit=20), start, seconds=1.0)

    assert parts.seconds < 2.5  # 12 parts, two at a time, a sixth of a second each: plus building and repair
    assert plan_violations(problem, parts.assignments) == []
    # No prerequisites here, so the repair drops nothing: each part keeps at least its share of the start.
    assert parts.objective >= sum(values[index] for index in start)
    assert parts.bound is not None and parts.bound >= parts.objective


@pytest.mark.parametrize(("items", "teams"), [(4000, 2), (6000, 3)])
def test_parts_stopped_before_their_relaxation_still_bound_the_plan(items, teams):
    # Big parts in a twentieth of a second each: HiGHS stops before its root, with no bound of its
    # own (the whole plan had none before). Each part's density bound stands in for it.
    frame, tables = random_instance(items, teams)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=6), TODAY))
    start = rank_and_fill(problem)

    parts = solve_parts_side_by_side(problem, SolveOptions(gap=0, time_limit=20), start, seconds=0.01)

    assert parts.status == "feasible" and plan_violations(problem, parts.assignments) == []
    assert parts.bound is not None and parts.bound >= parts.objective
    # No bound looser than the whole backlog's own density bound (the parts' density bounds sum to it).
    assert parts.bound <= density_bound(problem, team_groups(problem)).bound + 1e-6


def test_small_models_are_solved_in_process_when_highs_is_installed():
    # highspy is a dependency: the many small re-plans must not each start a CBC process.
    assert small_model_solver("cbc") == "highs" == small_model_solver("highs")


def test_a_large_plan_at_a_short_limit_is_bounded_and_beats_rank_and_fill():
    # 2,000 items, 12 teams, 3 sprints in 3 s: too big to prove part by part or whole in the time, so
    # the parts side by side give the bound and the start, and the re-plans team by team the value.
    frame, tables = random_instance(2000, 12)
    result = make_plan(frame, tables, CapacitySettings(sprint_count=3), SolveOptions(time_limit=3), today=TODAY)

    assert result.status in ("optimal", "feasible") and result.seconds < 4.5
    assert result.bound is not None and result.bound >= result.objective
    assert result.gap is not None and result.gap < 0.02  # measured 0.1-0.4 %: loose, as the machine may be busy
    assert result.objective > result.baseline_objective


def test_linked_teams_re_planned_together_bring_in_what_one_team_at_a_time_cannot():
    # pod-b is full of Q items (5 each); A (pod-a, 40) needs P (pod-b, 1). Alone, pod-a cannot take A
    # (P is out) and pod-b would lose 4 by taking P; together they gain 36.
    items = backlog(
        {"id": "P", "effort": 10, "value": 1, "team": "pod-b"},
        {"id": "A", "effort": 10, "value": 40, "team": "pod-a", "depends_on": "P"},
        *({"id": f"Q{n}", "effort": 10, "value": 5, "team": "pod-b"} for n in range(3)),
    )
    problem = problem_of(items)  # one person a team, 10 days a sprint, 3 sprints
    at = {item_id: index_of(problem, item_id) for item_id in problem.ids}
    start = {at[f"Q{n}"]: ("pod-b", n) for n in range(3)}
    for team in ("pod-a", "pod-b"):  # each team alone is already at its best
        alone = solve(build_model(team_part(problem, start, team), EXACT), EXACT)
        assert alone.status == "optimal" and alone.objective == (0 if team == "pod-a" else 15)

    better = improve_by_team(problem, start, SolveOptions(), seconds=10)

    assert plan_violations(problem, better) == []
    assert {problem.ids[index] for index in better} >= {"P", "A"}
    assert sum(item.value for item in problem.items if item.index in better) == 51


def test_a_re_plan_proven_optimal_is_not_solved_again_while_its_part_is_unchanged(monkeypatch):
    frame, tables = linked_instance(5, items=60, teams=3)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=3), TODAY))
    solved: list[tuple] = []
    real_solve = improve.solve

    def recorded(model, options):
        solution = real_solve(model, options)
        if solution.status == "optimal":
            part = model.problem
            rules = tuple(
                (item.index, item.first_sprint, item.last_sprint, item.must, item.prerequisites) for item in part.items
            )
            solved.append((part.teams, rules, tuple(sorted(options.warm_start.items()))))
        return solution

    monkeypatch.setattr(improve, "solve", recorded)
    better = improve_by_team(problem, rank_and_fill(problem), SolveOptions(), seconds=30)

    assert plan_violations(problem, better) == []
    assert len(solved) > 0
    assert len(set(solved)) == len(solved)  # no part solved twice from the same plan
