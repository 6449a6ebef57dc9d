"""Rank-and-fill: the plan a spreadsheet or Jira's auto-scheduler would make, for comparison.

Must and pinned items first (with the prerequisites they need, those before them), then the rest by
value per effort (highest first); each item goes to the earliest sprint (and first team) where it
still fits and its prerequisites are already placed no later. One pass, then one more for items
whose prerequisites were placed after them.
"""

from __future__ import annotations

from planner.problem import PlanItem, PlanProblem, allocate

__all__ = ["rank_and_fill"]


def rank_and_fill(problem: PlanProblem, placed_already: dict[int, tuple[str, int]] | None = None
                  ) -> dict[int, tuple[str, int]] | None:
    """Backlog index -> (team, sprint position) of every item the baseline places.

    ``placed_already``: a partial plan to keep and fill around (None when its items cannot be
    booked against the pools one by one, which the greedy split of skills can miss).
    """
    pools_by_team = {team: problem.team_pools(team) for team in problem.teams}
    remaining = {(id(pool), sprint): pool.capacity[sprint] for pool in problem.pools for sprint in range(problem.horizon)}
    placed: dict[int, tuple[str, int]] = {}
    items = {item.index: item for item in problem.items}
    for index, (team, sprint) in (placed_already or {}).items():
        pools = pools_by_team[team]
        taken = allocate(items[index].effort, {id(p): remaining[(id(p), sprint)] for p in pools}, pools)
        if taken is None:
            return None
        for pool_id, days in taken.items():
            remaining[(pool_id, sprint)] -= days
        placed[index] = (team, sprint)
    order = _forced_first(problem) + sorted(problem.items, key=_rank)
    for _ in range(2):
        for item in order:
            if item.index not in placed:
                _place(item, problem, pools_by_team, remaining, placed)
    return placed


def _rank(item: PlanItem) -> tuple[float, float]:
    density = item.value / item.total_effort if item.total_effort > 0 else float("inf")
    return (-density, -item.value)


def _forced_first(problem: PlanProblem) -> list[PlanItem]:
    """Must and pinned items and, before each, the prerequisites it needs (depth first)."""
    by_index = {item.index: item for item in problem.items}
    ordered: list[PlanItem] = []
    seen: set[int] = set()

    def visit(index: int) -> None:
        if index in seen:
            return
        seen.add(index)
        for prerequisite in by_index[index].prerequisites:
            visit(prerequisite)
        ordered.append(by_index[index])

    for item in sorted(problem.items, key=lambda i: (i.pinned is None, _rank(i))):
        if item.must or item.pinned is not None:
            visit(item.index)
    return ordered


def _place(item: PlanItem, problem: PlanProblem, pools_by_team, remaining, placed) -> None:
    if any(prerequisite not in placed for prerequisite in item.prerequisites):
        return
    earliest = max((placed[p][1] for p in item.prerequisites), default=0)
    for sprint in item.sprints(problem.horizon):
        if sprint < earliest:
            continue
        for team in item.teams:
            pools = pools_by_team[team]
            free = {id(pool): remaining[(id(pool), sprint)] for pool in pools}
            taken = allocate(item.effort, free, pools)
            if taken is None:
                continue
            for pool_id, days in taken.items():
                remaining[(pool_id, sprint)] -= days
            placed[item.index] = (team, sprint)
            return
