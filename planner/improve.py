"""Improve a valid plan one team at a time: re-plan a team's items with the rest of the plan held.

A large multi-sprint plan is many small plans tied together by a few dependencies between teams.
The whole model is too big for CBC to search well in seconds (it rarely gets past its starting plan),
but one team's part (about a hundred items over a few sprints) it searches properly. Each team's
part is re-planned from where it is, with everything else held: items planned for other teams stay
where they are, so an item may only follow a prerequisite another team plans, and an item another
team depends on must stay planned in time. A re-plan is kept only when it adds value, so the plan
never gets worse.
"""

from __future__ import annotations

import time
from dataclasses import replace

from planner.model import SolveOptions, build_model, solve
from planner.problem import PlanItem, PlanProblem

__all__ = ["improve_by_team", "team_part"]

Plan = dict[int, tuple[str, int]]


def improve_by_team(problem: PlanProblem, plan: Plan, options: SolveOptions, seconds: float) -> Plan:
    """A plan at least as valuable as ``plan``, from re-planning each team in turn within ``seconds``.

    Teams with the most value left out go first; the round repeats while time is left and the last
    round still found value. ``plan`` must be valid; so is the result.
    """
    stop = time.perf_counter() + seconds
    plan = dict(plan)
    values = {item.index: item.value for item in problem.items}
    improved = True
    while improved and time.perf_counter() < stop:
        improved = False
        teams = _teams_by_value_left_out(problem, plan, values)
        for position, team in enumerate(teams):
            left = stop - time.perf_counter()
            if left < 0.2:
                break
            part = team_part(problem, plan, team)
            if not part.items:
                continue
            current = {index: place for index, place in plan.items() if place[0] == team}
            step = replace(options, warm_start=current, time_limit=max(left / (len(teams) - position), 0.2),
                           earliness=0.0, previous=None, stability=0.0, gap=0.0)
            solution = solve(build_model(part, step), step)
            if solution.status not in ("optimal", "feasible"):
                continue
            gained = sum(values[i] for i in solution.assignments) - sum(values[i] for i in current)
            if gained > 0:
                for index in current:
                    del plan[index]
                plan.update(solution.assignments)
                improved = True
    return plan


def _teams_by_value_left_out(problem: PlanProblem, plan: Plan, values: dict[int, float]) -> list[str]:
    left_out = {team: 0.0 for team in problem.teams}
    for item in problem.items:
        if item.index not in plan:
            for team in item.teams:
                left_out[team] += values[item.index]
    return sorted(problem.teams, key=lambda team: -left_out[team])


def team_part(problem: PlanProblem, plan: Plan, team: str) -> PlanProblem:
    """``team``'s share of the problem with the rest of ``plan`` held where it is.

    The share: items the team may take that no other team has planned. An item whose prerequisite
    another team planned may not go before it; one whose prerequisite is held out of the plan stays
    out; an item another team's planned item depends on must be planned no later than that item.
    """
    free = {
        item.index: item for item in problem.items
        if team in item.teams and (item.index not in plan or plan[item.index][0] == team)
    }
    needed_by: dict[int, int] = {}  # free item -> last sprint an item planned elsewhere allows it
    for item in problem.items:
        if item.index in free or item.index not in plan:
            continue
        for prerequisite in item.prerequisites:
            if prerequisite in free:
                needed_by[prerequisite] = min(needed_by.get(prerequisite, plan[item.index][1]), plan[item.index][1])
    parts: dict[int, PlanItem] = {}
    for index, item in free.items():
        outside = [p for p in item.prerequisites if p not in free]
        if any(p not in plan for p in outside):
            continue  # a prerequisite held out of the plan keeps this item out too
        parts[index] = _held(item, team, plan, outside, needed_by.get(index))
    _drop_unreachable(parts)
    return replace(problem, items=tuple(parts.values()), teams=(team,), pools=tuple(problem.team_pools(team)))


def _held(item: PlanItem, team: str, plan: Plan, outside: list[int], needed_by: int | None) -> PlanItem:
    first = max((plan[p][1] for p in outside), default=0)
    last = item.last_sprint
    if needed_by is not None:
        last = needed_by if last is None else min(last, needed_by)
    return replace(
        item,
        teams=(team,),
        must=item.must or needed_by is not None,
        first_sprint=max(item.first_sprint, first),
        last_sprint=last,
        prerequisites=tuple(p for p in item.prerequisites if p not in outside),
    )


def _drop_unreachable(parts: dict[int, PlanItem]) -> None:
    """Remove items whose prerequisite is no longer in the part (repeat until settled)."""
    changed = True
    while changed:
        changed = False
        for index, item in list(parts.items()):
            if any(p not in parts for p in item.prerequisites):
                del parts[index]
                changed = True
