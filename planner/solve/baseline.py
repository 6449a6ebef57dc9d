"""Rank-and-fill: the plan a spreadsheet or Jira's auto-scheduler would make, for comparison.

Must and pinned items first (with the prerequisites they need, those before them), then the rest by
value per effort (highest first); each item goes to the earliest sprint (and first team) where it
still fits and its prerequisites are already placed no later. One pass, then one more for items
whose prerequisites were placed after them.

With balance targets (a least share of the planned effort per item type, e.g. 20 % tech debt) it
fills as a person keeping to them would: Must and pinned items, then the best items of each type
with a target until they hold its share of what rank-and-fill plans without targets, then the rest
by value per effort, each item only while every target still holds (or it brings one closer),
then more of any type still short; if a target is still missed, the lowest-ranked items of other
types come out again. The baseline then keeps the same rules as the plan it is compared with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from planner.cells import comparable_key
from planner.solve.model import fillable_capacity
from planner.solve.problem import Placement, PlanItem, PlanProblem, allocate

__all__ = ["DensityBound", "density_bound", "rank_and_fill"]

_EPSILON = 1e-9


def rank_and_fill(
    problem: PlanProblem, placed_already: Placement | None = None, balance: Mapping[str, float] | None = None
) -> Placement | None:
    """Backlog index -> (team, sprint position) of every item the baseline places.

    ``placed_already``: a partial plan to keep and fill around (None when its items cannot be
    booked against the pools one by one, which the greedy split of skills can miss).
    ``balance``: item type -> least share of the planned effort (``SolveOptions.balance``): the
    plan keeps them whenever rank-and-fill's steps can (see the module's docstring), so it is
    compared like for like with a plan that must keep them.
    """
    fill = _Fill(problem)
    placed: Placement = {}
    items = {item.index: item for item in problem.items}
    for index, (team, sprint) in (placed_already or {}).items():
        if not fill.book(items[index], team, sprint):
            return None
        placed[index] = (team, sprint)
    targets = {comparable_key(kind): share for kind, share in (balance or {}).items() if share > 0}
    if targets:
        return _balanced(problem, targets, placed_already)
    order = _forced_first(problem) + sorted(problem.items, key=_rank)
    for _ in range(2):
        for item in order:
            if item.index not in placed:
                _place(item, problem, fill, placed)
    return placed


class _Shares:
    """The planned effort, in all and per item type with a target, and how far the targets are missed."""

    def __init__(self, problem: PlanProblem, targets: dict[str, float], placed: Placement) -> None:
        self.targets = targets
        self.kind = {item.index: comparable_key(item.kind or "") for item in problem.items}
        self.effort = {item.index: item.total_effort for item in problem.items}
        self.total = 0.0
        self.of_kind = dict.fromkeys(targets, 0.0)
        for index in placed:
            self.add(index)

    def add(self, index: int, sign: float = 1.0) -> None:
        self.total += sign * self.effort[index]
        kind = self.kind[index]
        if kind in self.of_kind:
            self.of_kind[kind] += sign * self.effort[index]

    def short(self, extra: int | None = None) -> float:
        """Effort the targets miss by, in all (0 when they hold), with item ``extra`` added."""
        total = self.total + (self.effort[extra] if extra is not None else 0.0)
        missed = 0.0
        for kind, share in self.targets.items():
            of_kind = self.of_kind[kind] + (self.effort[extra] if extra is not None and self.kind[extra] == kind else 0)
            missed += max(share * total - of_kind - _TOLERANCE * max(1.0, total), 0.0)
        return missed

    def allows(self, index: int) -> bool:
        """Whether adding the item keeps every target, or brings the plan closer to them."""
        after = self.short(index)
        return after <= 0 or after < self.short() - _EPSILON

    def missing(self) -> list[str]:
        """The types whose target is missed."""
        return [
            kind
            for kind, share in self.targets.items()
            if self.of_kind[kind] < share * self.total - _TOLERANCE * max(1.0, self.total)
        ]


_TOLERANCE = 1e-6  # as plan_violations checks the targets


def _balanced(problem: PlanProblem, targets: dict[str, float], placed_already: Placement | None) -> Placement:
    """Rank-and-fill keeping the balance targets (``targets``: comparable type -> share); see the module's docstring.

    The Must and pinned items first, as without targets; when the targets are then missed (the
    Must items took the room the typed items need), again with the typed items' share first and
    the Must and pinned items after. The more valuable plan that keeps the targets, else the first.
    """
    free = rank_and_fill(problem, placed_already) or {}
    free_total = sum(item.total_effort for item in problem.items if item.index in free)
    first = _balanced_fill(problem, targets, placed_already, free_total, reserve_first=False, largest_first=False)
    if not _Shares(problem, targets, first).missing():
        return first
    forced = [item.index for item in problem.items if item.must or item.pinned is not None]
    for reserve_first, largest_first in ((True, False), (False, True), (True, True)):
        other = _balanced_fill(problem, targets, placed_already, free_total, reserve_first, largest_first)
        if all(index in other for index in forced) and not _Shares(problem, targets, other).missing():
            return other
    return first


def _balanced_fill(
    problem: PlanProblem,
    targets: dict[str, float],
    placed_already: Placement | None,
    free_total: float,
    reserve_first: bool,
    largest_first: bool,
) -> Placement:
    """One balanced fill: ``free_total`` is the effort rank-and-fill plans without targets."""
    fill = _Fill(problem)
    items = {item.index: item for item in problem.items}
    placed: Placement = {}
    for index, (team, sprint) in (placed_already or {}).items():
        fill.book(items[index], team, sprint)  # rank_and_fill has booked them once already
        placed[index] = (team, sprint)
    shares = _Shares(problem, targets, placed)

    def place(item: PlanItem, check: bool = True) -> None:
        if (
            item.index not in placed
            and (not check or shares.allows(item.index))
            and _place(item, problem, fill, placed)
        ):
            shares.add(item.index)

    def place_forced() -> None:
        for _ in range(2):  # Must and pinned items (with their prerequisites), whatever the targets
            for item in _forced_first(problem):
                place(item, check=False)

    if not reserve_first:
        place_forced()
    ranked = sorted(problem.items, key=_rank)
    reserve = sorted(ranked, key=lambda item: -item.total_effort) if largest_first else ranked
    for kind, share in targets.items():  # each type's best items, up to its share of a plan without targets
        for item in reserve:
            if shares.kind[item.index] == kind and shares.of_kind[kind] < share * free_total:
                place(item, check=False)
    if reserve_first:
        place_forced()
    for _ in range(2):
        for item in ranked:
            place(item)
    for kind in shares.missing():  # the plan grew past the one without targets: more of a type still short
        for item in ranked:
            if shares.kind[item.index] == kind:
                place(item)
    kept = set(placed_already or {})
    needed: dict[int, int] = {}  # placed prerequisite -> how many placed items need it
    for item in problem.items:
        if item.index in placed:
            for prerequisite in item.prerequisites:
                needed[prerequisite] = needed.get(prerequisite, 0) + 1
    for item in reversed(ranked):  # still short: the lowest-ranked items of other types come out
        short = shares.missing()
        if not short:
            break
        if (
            item.index in placed
            and item.index not in kept
            and not (item.must or item.pinned is not None)
            and shares.kind[item.index] not in short
            and not needed.get(item.index)
        ):
            del placed[item.index]
            shares.add(item.index, -1.0)
            for prerequisite in item.prerequisites:
                needed[prerequisite] -= 1
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


def _place(item: PlanItem, problem: PlanProblem, fill: _Fill, placed: Placement) -> bool:
    """Place the item at the earliest sprint (and first team) it fits; whether it was placed."""
    if any(prerequisite not in placed for prerequisite in item.prerequisites):
        return False
    effort = item.total_effort
    teams = [team for team in item.teams if fill.may_fit(effort, team)]
    if not teams:
        return False
    earliest = max((placed[p][1] for p in item.prerequisites), default=0)
    for sprint in item.sprints(problem.horizon):
        if sprint < earliest:
            continue
        for team in teams:
            if fill.may_fit(effort, team, sprint) and fill.book(item, team, sprint):
                placed[item.index] = (team, sprint)
                return True
    return False


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
