"""A strong first plan for the solver to start from: fill the sprints one after another.

Each sprint is a small one-sprint model (mostly knapsacks, solved at the root): the best items that
fit this sprint among those whose prerequisites are already planned. Must items join the model of
the last sprint they may take, so they are placed at the latest then. With a near-optimal start the
solver only has to prove the gap, which is what makes multi-sprint plans fast.
"""

from __future__ import annotations

from dataclasses import replace

from planner.solve.model import MIN_SOLVE_SECONDS, SolveOptions, build_model, seconds_left, solve
from planner.solve.problem import Placement, PlanItem, PlanProblem, Pool

__all__ = ["sprint_by_sprint", "whole_horizon_bound"]

_START_GAP = 0.01


def sprint_by_sprint(problem: PlanProblem, options: SolveOptions) -> Placement | None:
    """Backlog index -> (team, sprint position), or None when this heuristic finds no plan.

    A sprint the time limit (``options.deadline``) stops before it has a plan ends the fill: the
    sprints filled so far are returned, for rank-and-fill to top up.
    """
    placed: Placement = {}
    # A start, not the answer: each sprint within 1 % of its best, in a small share of the time.
    step_limit = max(options.time_limit / (8 * max(problem.horizon, 1)), 0.2)
    step_options = replace(
        options, time_limit=step_limit, gap=max(options.gap, _START_GAP), warm_start=None, previous=None
    )
    for sprint in range(problem.horizon):
        step = _one_sprint(problem, sprint, placed)
        if not step.items:
            continue
        if seconds_left(step_options) <= MIN_SOLVE_SECONDS:
            return placed
        solution = solve(build_model(step, step_options), step_options)
        if solution.status == "stopped":
            return placed
        if solution.status not in ("optimal", "feasible"):
            return None
        for index, (team, _) in solution.assignments.items():
            placed[index] = (team, sprint)
    return placed


def _one_sprint(problem: PlanProblem, sprint: int, placed: Placement) -> PlanProblem:
    """The items that may still go into ``sprint``, as a one-sprint problem."""
    open_items = {
        item.index: item
        for item in problem.items
        if item.index not in placed and sprint in item.sprints(problem.horizon)
    }
    # An item may join if each prerequisite is planned earlier or may join with it (repeat to settle).
    changed = True
    while changed:
        changed = False
        for index, item in list(open_items.items()):
            if any(p not in placed and p not in open_items for p in item.prerequisites):
                del open_items[index]
                changed = True
    items = tuple(_for_sprint(item, sprint, problem.horizon, placed, open_items) for item in open_items.values())
    pools = tuple(Pool(pool.team, pool.skills, pool.people, (pool.capacity[sprint],)) for pool in problem.pools)
    return replace(
        problem,
        items=items,
        sprints=(problem.sprints[sprint],),
        sprint_ends=(problem.sprint_ends[sprint],),
        pools=pools,
    )


def _for_sprint(
    item: PlanItem, sprint: int, horizon: int, placed: Placement, open_items: dict[int, PlanItem]
) -> PlanItem:
    last = max(item.sprints(horizon))
    forced = item.pinned == sprint or (item.must and last == sprint)
    return replace(
        item,
        must=forced,
        pinned=None,
        last_sprint=None,
        prerequisites=tuple(p for p in item.prerequisites if p in open_items),
    )


def whole_horizon_bound(problem: PlanProblem, options: SolveOptions) -> float | None:
    """A proven bound on the plan's value: the relaxation that pools each team's capacity over all sprints.

    Dropping the sprint boundaries (and deadlines and the order of dependencies) can only add
    plans, so its proven bound bounds the real problem's value; it has no symmetry between sprints,
    so it solves like a one-sprint plan. When the sprint-by-sprint fill is within the gap of this
    bound, no search is needed.
    """
    pools = tuple(replace(pool, capacity=(sum(pool.capacity),)) for pool in problem.pools)
    items = tuple(
        replace(item, must=item.must or item.pinned is not None, pinned=None, last_sprint=None)
        for item in problem.items
    )
    relaxed = replace(problem, items=items, pools=pools, sprints=("horizon",), sprint_ends=problem.sprint_ends[-1:])
    # Only the bound is wanted: a loose gap stops the solve as soon as the bound is firm.
    step = replace(
        options,
        warm_start=None,
        previous=None,
        gap=max(options.gap, _START_GAP),
        time_limit=max(options.time_limit / 10, 0.5),
    )
    solution = solve(build_model(relaxed, step), step)
    # Stopped on time, the relaxation's bound (when it got that far) is still a bound.
    return solution.bound if solution.status in ("optimal", "feasible", "stopped") else None
