"""Numbers the plan states are true: the bound, what would make an item fit, overflows, prices, the gain."""

from __future__ import annotations

import math
import random
import re
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from plan_fixtures import backlog, capacity, random_instance

import planner.solve.explain as explain_module
import planner.solve.model as model_module
from planner.capacity import CapacitySettings, compute_capacity
from planner.ingest import read_backlog, read_capacity
from planner.solve import make_plan
from planner.solve.baseline import rank_and_fill
from planner.solve.decompose import decomposable, solve_by_team
from planner.solve.explain import PRICE_COLUMNS, exclusion_reasons, must_fit, skill_prices
from planner.solve.model import SolveOptions, build_model, solve
from planner.solve.problem import build_problem, plan_value
from planner.solve.verify import plan_violations

TODAY = date(2026, 1, 1)
REPO = Path(__file__).resolve().parent.parent
EXACT = SolveOptions(gap=0, time_limit=60, earliness=0)


def problem_of(items, people, sprints=1):
    return build_problem(
        items, compute_capacity(capacity(people, sprints), CapacitySettings(sprint_count=sprints), TODAY)
    )


def true_optimum(problem) -> float:
    solution = solve(build_model(problem, EXACT), EXACT)
    assert solution.status == "optimal"
    return solution.objective


@pytest.mark.parametrize("reported", [math.inf, -math.inf, math.nan, 1e31])
def test_a_solver_bound_that_is_no_number_is_no_bound(monkeypatch, reported):
    # HiGHS stopped before its root was solved reports an infinite dual bound. Passed on, it made the
    # team-by-team parts' bounds sum to infinity and rounding it failed ("cannot convert float infinity
    # to integer": seen in a solver worker under load in CI). A plan with no bound is a plan, unproven.
    frame, tables = random_instance(30, 2, seed=3)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=1), TODAY))
    monkeypatch.setattr(model_module, "_bound", lambda *arguments: reported)
    for solver in ("highs", "cbc"):
        options = replace(EXACT, solver=solver)
        solution = solve(build_model(problem, options), options)
        assert solution.assignments and solution.bound is None, (solver, solution)


# --- 1. the part-by-part search reports a true bound -----------------------------------------------


@pytest.mark.parametrize("gap", [0.01, 1e-4])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_part_by_part_bound_is_a_true_bound(seed, gap):
    # 500 items for 4 teams over 3 sprints, no links between the teams: each team's part is proven
    # within the gap, and the sum of the parts' bounds (not the plan's own value) bounds the plan.
    # Before: with gap 0.01, seed 1 said "optimal" with bound 4,679 where a 4,683 plan exists.
    frame, tables = random_instance(500, 4, seed=seed)
    problem = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=3), TODAY))
    options = SolveOptions(gap=gap, time_limit=30)
    assert decomposable(problem, options)

    by_team = solve_by_team(problem, options)
    best = true_optimum(problem)

    assert by_team.status in ("optimal", "feasible") and by_team.bound is not None
    assert plan_violations(problem, by_team.assignments) == []
    assert by_team.bound >= best - 1e-6
    assert by_team.objective <= best + 1e-6
    if by_team.status == "optimal":
        assert best - by_team.objective <= gap * best + 1e-6


# --- 2. the value that would make an item fit really does --------------------------------------------


def _small_instance(seed: int):
    rng = random.Random(seed)
    return backlog(
        *({"id": f"I{n}", "effort": rng.choice([1, 2, 3, 5]), "value": rng.randint(1, 20)} for n in range(8))
    )


def _with_value(items, item_id: str, value: float):
    changed = items.copy()
    changed.loc[changed["id"] == item_id, "value"] = value
    return changed


@pytest.mark.parametrize("seed", range(6))
def test_the_value_that_would_make_an_item_fit_flips_the_exact_plan(seed):
    # "Everything else held": every other item, effort and capacity as they are; the rest of the
    # plan may re-arrange around the item. Above the stated value an exact re-solve takes the
    # item; below it, it does not. Before: the LP price, e.g. "above about 20" where 41 is needed
    # (seed 1), or "above about 10.67" where 10 already brings it in (seed 0).
    people = [("Ann", "pod-a", None, 7)]
    items = _small_instance(seed)
    problem = problem_of(items, people)
    plan = solve(build_model(problem, EXACT), EXACT).assignments
    reasons = exclusion_reasons(problem, plan, skill_prices(problem, EXACT), "days", options=EXACT)

    stated = {}
    for exclusion in reasons.values():
        assert exclusion.reason == "capacity"
        found = re.search(r"value above ([0-9.]+) ", exclusion.detail)
        assert found, exclusion.detail  # exact, not "about"
        stated[exclusion.id] = float(found.group(1))
    assert stated
    for item_id, threshold in stated.items():
        for step, taken in ((0.01, True), (-0.01, False)):
            changed = problem_of(_with_value(items, item_id, threshold + step), people)
            solution = solve(build_model(changed, EXACT), EXACT)
            assert (changed.ids.index(item_id) in solution.assignments) == taken, (item_id, threshold, step)


def _hand_made_cut():
    """10 days: A (5 days, 10) and B (5 days, 8) are in; C (5 days, 3) comes in only above 8 (in place of B)."""
    items = backlog(
        {"id": "A", "effort": 5, "value": 10},
        {"id": "B", "effort": 5, "value": 8},
        {"id": "C", "effort": 5, "value": 3},
    )
    problem = problem_of(items, [("Ann", "pod-a", None, 10)])
    return problem, solve(build_model(problem, EXACT), EXACT).assignments


def test_the_threshold_of_a_hand_made_cut():
    problem, plan = _hand_made_cut()
    reasons = exclusion_reasons(problem, plan, skill_prices(problem, EXACT), "days", options=EXACT)
    [cut] = [reason for reason in reasons.values() if reason.id == "C"]
    assert "value above 8 (it has 3)" in cut.detail


def test_without_time_to_re_solve_the_threshold_is_worded_as_an_estimate():
    problem, plan = _hand_made_cut()
    reasons = exclusion_reasons(problem, plan, skill_prices(problem, EXACT), "days")
    [cut] = [reason for reason in reasons.values() if reason.id == "C"]
    assert "an estimate" in cut.detail and "value above about" in cut.detail


def test_with_no_time_left_the_exact_thresholds_do_not_build_their_model(monkeypatch):
    # On 2,000 items x 6 sprints at a 3 s limit the model was built (0.24 s) after the deadline had
    # passed, only for its solve to be skipped: the command returned at 3.2 s. Now the worded estimate,
    # with no model built.
    problem, plan = _hand_made_cut()
    built = []  # the MIP models (the prices' relaxations are built either way)

    def spy(*args, **kwargs):
        if not kwargs.get("relax"):
            built.append(args)
        return build_model(*args, **kwargs)

    monkeypatch.setattr(explain_module, "build_model", spy)
    late = replace(EXACT, deadline=time.perf_counter() - 1.0)
    reasons = exclusion_reasons(problem, plan, skill_prices(problem, EXACT), "days", options=late)
    [cut] = [reason for reason in reasons.values() if reason.id == "C"]
    assert "an estimate" in cut.detail and built == []
    in_time = replace(EXACT, deadline=time.perf_counter() + 30.0)
    reasons = exclusion_reasons(problem, plan, skill_prices(problem, EXACT), "days", options=in_time)
    [cut] = [reason for reason in reasons.values() if reason.id == "C"]
    assert "value above 8 (it has 3)" in cut.detail and len(built) >= 2  # the best plan, then with C forced in


# --- 3. an overflow of a fraction of a day shows numbers that differ --------------------------------


def test_a_small_overflow_shows_digits_that_differ():
    items = backlog(
        {"id": "M1", "effort": 6, "value": 1, "moscow": "Must"},
        {"id": "M2", "effort": 5.93, "value": 1, "moscow": "Must"},
    )
    problem = problem_of(items, [("Ann", "pod-a", None, 10)])
    problem = replace(problem, pools=tuple(replace(pool, capacity=(11.9,)) for pool in problem.pools))

    fit = must_fit(problem, SolveOptions())

    assert fit.status == "overflows"
    [message] = fit.messages
    assert "need 11.93 days, 0.03 more than the 11.90 available" in message  # before: "11.9 ... the 11.9"


# --- 4. prices say when the team lacks the skill -------------------------------------------------------


def test_prices_say_whether_the_team_has_the_skill():
    # D needs data and may go to either team; only pod-b has a data person. pod-a's data row is
    # priced (the LP relaxation can put D there), but nobody there has the skill.
    people = [("Ann", "pod-a", "backend", 5), ("Bob", "pod-b", "data", 5)]
    items = backlog(
        {"id": "D", "effort:data": 4, "value": 40},
        {"id": "E", "effort:data": 4, "value": 30},
        {"id": "B", "effort:backend": 4, "value": 6, "team": "pod-a"},
    )
    prices = skill_prices(problem_of(items, people), SolveOptions())

    assert list(prices.columns) == PRICE_COLUMNS and "team_has_skill" in PRICE_COLUMNS
    has = {(row.team, row.skill): row.team_has_skill for row in prices.itertuples()}
    assert not has[("pod-a", "data")]
    assert has[("pod-b", "data")] and has[("pod-a", "backend")]
    assert prices["team_has_skill"].dtype == bool


# --- 5. rank-and-fill keeps the balance targets, so the gain is like for like -----------------------


@pytest.fixture(scope="module")
def sample():
    return read_backlog(REPO / "data" / "sample_backlog.xlsx").table, read_capacity(
        REPO / "data" / "sample_capacity.xlsx"
    ).tables


def test_rank_and_fill_keeps_a_tech_debt_target_on_the_sample(sample):
    items, tables = sample
    settings = CapacitySettings(sprint_count=2)
    problem = build_problem(items, compute_capacity(tables, settings))
    balance = {"tech debt": 0.2}

    baseline = rank_and_fill(problem, balance=balance)
    assert baseline is not None
    result = make_plan(items, tables, settings, SolveOptions(balance=balance, time_limit=30))

    assert plan_violations(problem, baseline, balance) == []
    assert plan_violations(problem, rank_and_fill(problem) or {}, balance) != []  # without the target it breaks it
    assert result.status == "optimal"
    assert result.objective - plan_value(problem, baseline) >= 0  # the gain, like for like


def test_rank_and_fill_without_targets_is_unchanged(sample):
    items, tables = sample
    problem = build_problem(items, compute_capacity(tables, CapacitySettings(sprint_count=2)))
    assert rank_and_fill(problem, balance={}) == rank_and_fill(problem) == rank_and_fill(problem, balance=None)


# --- the plan itself: make_plan says the exact threshold, and Gain compares like with like ------------


def test_make_plan_states_the_exact_threshold_when_it_has_the_time():
    items = backlog(
        {"id": "A", "effort": 5, "value": 10},
        {"id": "B", "effort": 5, "value": 8},
        {"id": "C", "effort": 5, "value": 3},
    )
    result = make_plan(items, capacity([("Ann", "pod-a", None, 10)]), options=SolveOptions(time_limit=10))
    [cut] = [reason for reason in result.excluded if reason.id == "C"]
    assert cut.reason == "capacity"
    assert "value above 8 (it has 3)" in cut.detail


def test_make_plan_gain_with_a_balance_target_compares_like_with_like(sample):
    items, tables = sample
    balance = {"tech debt": 0.2}
    result = make_plan(items, tables, CapacitySettings(sprint_count=2), SolveOptions(balance=balance, time_limit=30))
    assert result.status == "optimal"
    assert result.baseline_keeps_balance
    assert result.gain_over_baseline >= 0


def test_prices_table_marks_a_skill_the_team_lacks():
    from planner.outputs import prices_table
    from planner.outputs.plan_tables import LACKED_SKILL_NOTE

    # As above: pod-a's data days are priced (the LP can put D or E there) though nobody there has data.
    people = [("Ann", "pod-a", "backend", 5), ("Bob", "pod-b", "data", 5)]
    items = backlog(
        {"id": "D", "effort:data": 4, "value": 40},
        {"id": "E", "effort:data": 4, "value": 30},
        {"id": "B", "effort:backend": 4, "value": 6, "team": "pod-a"},
    )
    result = make_plan(items, capacity(people), options=SolveOptions(time_limit=10))
    table = prices_table(result)
    assert list(table.columns) == ["team", "skill", "sprint", "value_per_day", "note"]
    notes = {(team, skill): note for team, skill, note in zip(table["team"], table["skill"], table["note"])}
    assert notes[("pod-a", "data")] == LACKED_SKILL_NOTE
    assert notes[("pod-b", "data")] == ""
