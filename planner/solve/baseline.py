"""Rank-and-fill: the plan a spreadsheet or Jira's auto-scheduler would make, for comparison.

Must and pinned items first (with the prerequisites they need, those before them), then the rest by
value per effort (highest first); each item goes to the earliest sprint (and first team) where it
still fits and its prerequisites are already placed no later. One pass, then one more for items
whose prerequisites were placed after them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.solve.model import fillable_capacity
from planner.solve.problem import Placement, PlanItem, PlanProblem, allocate

__all__ = ["DensityBound", "density_bound", "rank_and_fill"]

_EPSILON = 1e-9


def rank_and_fill(problem: PlanProblem, placed_already: Placement | None = None) -> Placement | None:
    """Backlog index -> (team, sprint position) of every item the baseline places.

    ``placed_already``: a partial plan to keep and fill around (None when its items cannot be
    booked against the pools one by one, which the greedy split of skills can miss).
    """
    fill = _Fill(problem)
    placed: Placement = {}
    items = {item.index: item for item in problem.items}
    for index, (team, sprint) in (placed_already or {}).items():
        if not fill.book(items[index], team, sprint):
            return None
        placed[index] = (team, sprint)
    order = _forced_first(problem) + sorted(problem.items, key=_rank)
    for _ in range(2):
        for item in order:
            if item.index not in placed:
                _place(item, problem, fill, placed)
    return placed


class _Fill:
    """What is left of each pool per sprint, with each team's largest free total for a quick "no"."""

    def __init__(self, problem: PlanProblem) -> None:
        self.horizon = problem.horizon
        self.pools = {team: problem.team_pools(team) for team in problem.teams}
        self.remaining = {
            (id(pool), sprint): pool.capacity[sprint] for pool in problem.pools for sprint in range(problem.horizon)
        }
        self.free = {
            (team, sprint): sum(pool.capacity[sprint] for pool in pools)
            for team, pools in self.pools.items()
            for sprint in range(problem.horizon)
        }
        self.most_free = {
            team: max((self.free[(team, s)] for s in range(self.horizon)), default=0.0) for team in self.pools
        }

    def may_fit(self, effort: float, team: str, sprint: int | None = None) -> bool:
        """False when the team (in ``sprint``, or in any sprint) has less free in all than ``effort``.

        Most items of a long backlog fit nowhere once the sprints are full; this says so without
        splitting their effort over the pools.
        """
        free = self.most_free[team] if sprint is None else self.free[(team, sprint)]
        return effort <= free + _EPSILON * max(1.0, effort)

    def book(self, item: PlanItem, team: str, sprint: int) -> bool:
        """Take the item's effort from the team's pools in ``sprint``; False (nothing taken) when it does not fit."""
        pools = self.pools[team]
        taken = allocate(item.effort, {id(p): self.remaining[(id(p), sprint)] for p in pools}, pools)
        if taken is None:
            return False
        for pool_id, days in taken.items():
            self.remaining[(pool_id, sprint)] -= days
        self.free[(team, sprint)] -= sum(taken.values())
        self.most_free[team] = max(self.free[(team, s)] for s in range(self.horizon))
        return True


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

    forced = [item for item in problem.items if item.must or item.pinned is not None]
    for item in sorted(forced, key=lambda i: (i.pinned is None, _rank(i))):
        visit(item.index)
    return ordered


def _place(item: PlanItem, problem: PlanProblem, fill: _Fill, placed: Placement) -> None:
    if any(prerequisite not in placed for prerequisite in item.prerequisites):
        return
    effort = item.total_effort
    teams = [team for team in item.teams if fill.may_fit(effort, team)]
    if not teams:
        return
    earliest = max((placed[p][1] for p in item.prerequisites), default=0)
    for sprint in item.sprints(problem.horizon):
        if sprint < earliest:
            continue
        for team in teams:
            if fill.may_fit(effort, team, sprint) and fill.book(item, team, sprint):
                placed[item.index] = (team, sprint)
                return


@dataclass(frozen=True)
class DensityBound:
    """A proven bound on any plan's value, and how much holding each item would cost that bound.

    ``bound``: see :func:`density_bound`. ``penalty[index]``: every plan that holds the item is
    worth at most ``bound - penalty`` (items missing from it cost nothing).
    """

    bound: float
    penalty: dict[int, float]


_BISECTIONS = 60  # halvings of each group's price of a day: far below any value's last digit


def density_bound(problem: PlanProblem, groups: list[tuple[str, ...]]) -> DensityBound:
    """The Lagrangian bound of each group of teams' capacity (``groups``: teams that share items), summed.

    A relaxation of the plan, so its value bounds every plan: a group's people, skills and sprints
    are pooled into one capacity (a plan's effort fits in that total; a sprint holds whole steps
    of the items' common effort step only, as in the model), and pins, deadlines, Must and all but
    one prerequisite of each item (one in its own group) are dropped. What is left is a knapsack
    over a forest of prerequisites; pricing a day at ``r``, an item is worth ``value - r x effort``,
    the best set closed under prerequisites is found bottom-up (a subtree is kept when it is worth
    more than nothing), and ``r x capacity`` plus that set's worth bounds every plan, for any ``r``
    (weak duality); ``r`` is bisected to where the set's effort meets the capacity. Without
    prerequisites it is the fractional fill by value per effort. Holding an item forces its chain
    of prerequisites in: the bound drops by what forcing each link costs, the ``penalty``, which
    :mod:`planner.solve.search` uses to leave out of the search the items no plan better than the one at
    hand can hold. Numpy over the items: a fraction of a second for 200,000 items, there when the
    solver has no time.
    """
    items = problem.items
    if not items:
        return DensityBound(0.0, {})
    group_of = {team: number for number, teams in enumerate(groups) for team in teams}
    position = {item.index: k for k, item in enumerate(items)}
    group = np.array([group_of[item.teams[0]] for item in items], dtype=np.int64)
    value = np.array([item.value for item in items], dtype=float)
    effort = np.array([item.total_effort for item in items], dtype=float)
    parent = np.full(len(items), -1, dtype=np.int64)
    for k, item in enumerate(items):
        for prerequisite in item.prerequisites:
            j = position.get(prerequisite, -1)
            if j >= 0 and group[j] == group[k]:
                parent[k] = j
                break
    levels = _levels(parent)
    capacity = np.array(
        [
            _pooled_capacity(problem, teams, {item.total_effort for item in items if group_of[item.teams[0]] == number})
            for number, teams in enumerate(groups)
        ]
    )
    count = len(groups)

    def worth(price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each subtree's worth at these prices per group, and whether the best closed set holds each item."""
        subtree = value - price[group] * effort
        for nodes in reversed(levels[1:]):  # leaves up: a child's subtree counts when it is worth something
            np.add.at(subtree, parent[nodes], np.maximum(subtree[nodes], 0.0))
        held = subtree > 0
        for nodes in levels[1:]:  # roots down: an item is held only with its prerequisite
            held[nodes] &= held[parent[nodes]]
        return subtree, held

    def dual(price: np.ndarray, subtree: np.ndarray) -> np.ndarray:
        roots = parent < 0
        return price * capacity + np.bincount(group[roots], np.maximum(subtree[roots], 0.0), count)

    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(effort > 0, value / effort, 0.0)
    low = np.zeros(count)
    high = _highest(group, density, count)
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        _, held = worth(middle)
        over = np.bincount(group[held], effort[held], count) > capacity
        low = np.where(over, middle, low)
        high = np.where(over, high, middle)
    # Every price gives a bound; each group takes the better of the two its bisection ends at.
    subtrees = [worth(price)[0] for price in (low, high)]
    bounds = [dual(price, subtree) for price, subtree in zip((low, high), subtrees)]
    pick = bounds[0] <= bounds[1]
    subtree = np.where(pick[group], subtrees[0], subtrees[1])
    bound = float(np.where(pick, bounds[0], bounds[1]).sum())
    # Forcing an item in forces its chain of prerequisites: each link costs what its subtree falls short of 0.
    cost = np.maximum(subtree, 0.0) - subtree
    for nodes in levels[1:]:
        cost[nodes] += cost[parent[nodes]]
    if all(float(item.value).is_integer() for item in items):
        # Whole values make a whole plan value: what the bound has beyond a whole number is not to be had.
        floor = math.floor(bound + 1e-9)
        cost -= bound - floor
        bound = float(floor)
    penalty = {item.index: float(cost[k]) for k, item in enumerate(items) if cost[k] > 0}
    return DensityBound(bound, penalty)


def _highest(group: np.ndarray, density: np.ndarray, count: int) -> np.ndarray:
    """Per group, one more than its highest value per effort: no day is worth more."""
    high = np.zeros(count)
    np.maximum.at(high, group, density)
    return high + 1.0


def _pooled_capacity(problem: PlanProblem, teams: tuple[str, ...], efforts: set[float]) -> float:
    """The teams' capacity over the horizon, each team and sprint in whole steps of the items' efforts."""
    return sum(
        fillable_capacity(sum(pool.capacity[sprint] for pool in problem.team_pools(team)), list(efforts))
        for team in teams
        for sprint in range(problem.horizon)
    )


def _levels(parent: np.ndarray) -> list[np.ndarray]:
    """Items by depth in the forest of ``parent`` links (roots first); a link closing a cycle is cut, in place."""
    depth = np.full(len(parent), -1, dtype=np.int64)
    for k in range(len(parent)):
        chain: list[int] = []
        on_chain: set[int] = set()
        node = k
        while node >= 0 and depth[node] < 0:
            if node in on_chain:  # a cycle (the ingest refuses them, but be safe): cut it here
                parent[node] = -1
                break
            on_chain.add(node)
            chain.append(node)
            node = int(parent[node])
        while chain:  # resolve from the known end; cycles are cut, so each pass settles at least one
            chain = [item for item in chain if not _settle(item, parent, depth)]
    order = np.argsort(depth, kind="stable")
    edges = np.searchsorted(depth[order], np.arange(depth.max() + 2))
    return [order[edges[d] : edges[d + 1]] for d in range(depth.max() + 1)]


def _settle(item: int, parent: np.ndarray, depth: np.ndarray) -> bool:
    """Set the item's depth when its prerequisite's is known; whether it was set."""
    above = int(parent[item])
    if above < 0:
        depth[item] = 0
    elif depth[above] >= 0:
        depth[item] = depth[above] + 1
    else:
        return False
    return True
