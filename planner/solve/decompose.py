"""Plans solved exactly part by part, branching on the few dependencies between the parts.

Each team's plan is a small problem that CBC proves optimal in a fraction of a second, but the
whole model ties twenty of them together, and CBC's search of the whole then takes minutes to prove
what each team proves alone. Teams that share items (an item several teams may take) form one part;
dependencies between parts are first dropped, each part is solved alone, and the sum of the parts'
bounds bounds the whole plan. Where an item is planned before its prerequisite (or without it), the
search branches on the item's sprint k: either the item goes after k (or not at all), or the
prerequisite must be planned by k. Branches are taken best bound first, and only the parts a branch
touches are solved again. Every branch's plans are repaired into a valid plan, so a good plan is at
hand from the first step. The bound reported is the best bound of every branch not ruled out:
still open, given up, settled (its parts proven only within the gap) or cut off within the gap,
never the best plan's own value alone.

Parts too big to prove within their share of the time (a team's many items over many sprints) make
the search give up at once: the caller then improves the plan team by team instead
(:mod:`planner.solve.improve`). So does a part the time limit stops before it has any plan: running out
of time proves nothing, so only a part the solver proves infeasible makes a branch infeasible.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from planner.solve.baseline import density_bound, rank_and_fill
from planner.solve.model import Solution, SolveOptions, build_model, small_model_solver, solve
from planner.solve.problem import Placement, PlanItem, PlanProblem, SolveStatus, drop_unreachable, plan_value
from planner.solve.verify import plan_violations

__all__ = ["decomposable", "solve_by_team", "solve_parts_side_by_side", "team_groups"]


def team_groups(problem: PlanProblem) -> list[tuple[str, ...]]:
    """Teams joined by the items they may share (an item without a team joins every team)."""
    group = {team: team for team in problem.teams}

    def root(team: str) -> str:
        while group[team] != team:
            team = group[team]
        return team

    for item in problem.items:
        for other in item.teams[1:]:
            group[root(other)] = root(item.teams[0])
    members: dict[str, list[str]] = {}
    for team in problem.teams:
        members.setdefault(root(team), []).append(team)
    return [tuple(teams) for teams in members.values()]


def decomposable(problem: PlanProblem, options: SolveOptions) -> bool:
    """Part by part applies: CBC, teams in more than one part, no balance targets or previous plan.

    Balance targets and the stability bonus of re-planning weigh the parts' plans together, so they
    are left to the whole model.
    """
    return options.solver == "cbc" and not options.balance and not options.previous and len(team_groups(problem)) > 1


@dataclass(frozen=True)
class _Node:
    """A branch: the sprints items are held to, and items that must be planned."""

    first: frozenset[tuple[int, int]] = frozenset()  # (item, first sprint allowed); past the horizon: out
    last: frozenset[tuple[int, int]] = frozenset()  # (item, last sprint allowed)
    forced: frozenset[int] = frozenset()


def solve_by_team(
    problem: PlanProblem, options: SolveOptions, part_seconds: float | None = None, part_solves: int | None = None
) -> Solution:
    """The best plan within ``options.gap`` of the bound, or the best found in ``options.time_limit``.

    ``part_seconds``: the most one part's solve may take (default: half the time shared among the
    parts); a part not proven optimal in that time (or stopped with no plan at all) ends the search
    with status ``error``: the parts are too big for this method, which proves nothing about the
    plan. ``part_solves``: the most parts solved in all (default: three per part and twenty more);
    a search that needs more stops with the best plan and bound so far (status ``feasible``): many
    links between the parts make it too wide, and the whole model is the better tool.
    ``infeasible`` only when the solver proves that no plan holds the Must and pinned items.
    """
    started = time.perf_counter()
    search = _Search(problem, options, started + options.time_limit, part_seconds, part_solves)
    status, best, bound = search.run()
    values = {item.index: item.value for item in problem.items}
    if best is None or status == "error":
        message = "" if status == "infeasible" else "the parts could not be solved in their share of the time"
        return Solution(
            status if status != "feasible" else "error", {}, 0.0, None, time.perf_counter() - started, message
        )
    objective = float(sum(values[index] for index in best))
    if all(float(value).is_integer() for value in values.values()):
        bound = math.floor(bound + 1e-6)  # whole values make a whole plan value: the fraction is not to be had
    return Solution(status, best, objective, max(bound, objective), time.perf_counter() - started)


def solve_parts_side_by_side(
    problem: PlanProblem, options: SolveOptions, start: Placement | None, seconds: float, workers: int = 2
) -> Solution:
    """A valid plan and a proven bound in ``seconds``: every part solved once, two at a time, none proven.

    The anytime counterpart of :func:`solve_by_team` for plans too big to prove part by part in the
    time: the dependencies between parts are dropped, each part gets an equal share of ``seconds``
    on one of ``workers`` threads (HiGHS in this process when installed, from ``start``'s plan of its
    items), and the parts' plans are repaired into one valid plan (an item whose prerequisite in
    another part is missing or later leaves, rank-and-fill tops up). Dropping rules only adds plans,
    so the sum of the parts' bounds bounds the whole plan (for a part whose solve stopped early, its
    own density bound where that is tighter: :func:`~planner.solve.baseline.density_bound`). Status
    ``feasible`` (the caller compares the bound with the plan), or ``stopped`` when no valid plan came
    of it.
    """
    started = time.perf_counter()
    part_options = replace(
        options,
        solver=small_model_solver(options.solver),
        threads=1,  # two solves side by side on two cores: a solver's own threads would only contend
        earliness=0.0,
        stability=0.0,
        previous=None,
        root_only=False,
    )
    groups = team_groups(problem)
    search = _Search(problem, part_options, started + seconds, None, None)
    share = max(seconds * workers / max(len(groups), 1), 0.05)
    parts = [search._part(_Node(), number) for number in range(len(groups))]

    def solved(part: PlanProblem | None) -> Solution | None:
        if part is None or not part.items:
            return None
        mine = {item.index for item in part.items}
        held = {index: place for index, place in (start or {}).items() if index in mine}
        left = search.stop - time.perf_counter()
        step = replace(part_options, warm_start=held or None, time_limit=max(min(share, left), 0.05))
        solution = solve(build_model(part, step), step)
        if solution.status != "optimal":
            # A solve stopped before its relaxation was done bounds the part loosely or not at all (on
            # a busy machine: seen 1,181 against the 1,028 of a part solved in time): the part's own
            # density bound, instant, caps it, so the bound of the whole does not hang on the load.
            own = density_bound(part, [part.teams]).bound
            solution = replace(solution, bound=own if solution.bound is None else min(solution.bound, own))
        if solution.status not in ("optimal", "feasible") or solution.objective < plan_value(part, held):
            return replace(solution, assignments=held, objective=plan_value(part, held))
        return solution

    with ThreadPoolExecutor(max_workers=workers) as pool:
        solutions = list(pool.map(solved, parts))
    combined: Placement = {}
    bound: float | None = 0.0
    for part, solution in zip(parts, solutions, strict=True):
        if part is None or solution is None:
            if part is None:  # a forced item no plan of the part can take: left to the whole model
                bound = None
            continue
        combined.update(solution.assignments)
        bound = None if bound is None or solution.bound is None else bound + solution.bound
    search._offer(combined)
    seconds_spent = time.perf_counter() - started
    if search.best is None:
        return Solution("stopped", {}, 0.0, bound, seconds_spent, "the parts' plans could not be made valid")
    if bound is not None and all(float(item.value).is_integer() for item in problem.items):
        bound = math.floor(bound + 1e-6)  # whole values make a whole plan value
    return Solution(
        "feasible",
        search.best,
        search.best_value,
        None if bound is None else max(bound, search.best_value),
        seconds_spent,
    )


class _TooBig(Exception):
    """A part was not proven optimal within its share of the time."""


class _Search:
    """Best-bound-first search over branches; each part is solved once per distinct branch."""

    def __init__(
        self,
        problem: PlanProblem,
        options: SolveOptions,
        stop: float,
        part_seconds: float | None,
        part_solves: int | None,
    ) -> None:
        self.problem = problem
        self.options = replace(options, warm_start=None, earliness=0.0, stability=0.0, previous=None)
        self.stop = stop
        self.items = {item.index: item for item in problem.items}
        self.values = {item.index: item.value for item in problem.items}
        self.groups = team_groups(problem)
        self.part_seconds = part_seconds if part_seconds is not None else options.time_limit / (2 * len(self.groups))
        group_of = {team: number for number, teams in enumerate(self.groups) for team in teams}
        self.members: list[list[PlanItem]] = [[] for _ in self.groups]
        for item in problem.items:  # one pass: 200,000 items x 20 parts took half a second
            self.members[group_of[item.teams[0]]].append(item)
        self.relevant = [
            {item.index for item in mine} | {p for item in mine for p in item.prerequisites} for mine in self.members
        ]
        self.solved: dict[tuple, Solution] = {}
        # Plans the method suits take a few solves per part (20 teams, one sprint: 26); a search that
        # needs many more is better left to the whole model, which it hands a plan and a bound.
        self.solves_left = part_solves if part_solves is not None else 3 * len(self.groups) + 20
        self.best: Placement | None = None
        self.best_value = float("-inf")
        self.unsettled = float("-inf")  # best bound of branches given up before they were settled
        # Best bound of the branches closed without beating the best plan: settled ones (their parts
        # may be proven only within the gap, so their bound can exceed their plan's value) and those
        # cut off as within the gap of the best plan. The bound reported is never below it.
        self.closed_bound = float("-inf")

    def run(self) -> tuple[SolveStatus, Placement | None, float]:
        """Status, best plan and proven bound."""
        counter = itertools.count()
        root = _Node()
        try:
            parts = self._parts(root)
        except _TooBig:  # a part too big, or the time ran out before every part had a plan
            return "error", None, 0.0
        if parts is None:  # proven: a part cannot hold its Must and pinned items
            return "infeasible", None, 0.0
        open_nodes = [(-self._bound(parts), next(counter), root, parts)]
        while open_nodes:
            top = -open_nodes[0][0]
            if self._closed(max(top, self.unsettled)):
                break
            if self._spent():
                return "feasible", self.best, max(top, self.unsettled, self.closed_bound, self.best_value)
            _, _, node, parts = heapq.heappop(open_nodes)
            plan = self._combined(parts)
            self._offer(plan)
            children = self._branch(node, plan)
            if children is None:  # no item before its prerequisite: this branch is settled
                self.closed_bound = max(self.closed_bound, self._bound(parts))
                continue
            for child in children:
                try:
                    child_parts = self._parts(child)
                except _TooBig:  # too big, or cut short by the time limit: not ruled out, only not proven
                    self.unsettled = max(self.unsettled, self._bound(parts))
                    continue
                if child_parts is None:  # proven: no plan in this branch
                    continue
                if self._closed(self._bound(child_parts)):  # within the gap of the best plan: cut off, bound kept
                    self.closed_bound = max(self.closed_bound, self._bound(child_parts))
                else:
                    heapq.heappush(open_nodes, (-self._bound(child_parts), next(counter), child, child_parts))
        if self.best is None:
            return ("error" if self.unsettled > float("-inf") else "infeasible"), None, 0.0
        # A true bound: the best bound of every branch still open (the heap's top, when the search
        # stopped within the gap), given up, settled or cut off, never only the best plan's value.
        top = -open_nodes[0][0] if open_nodes else float("-inf")
        bound = max(top, self.unsettled, self.closed_bound, self.best_value)
        return ("optimal" if self._closed(bound) else "feasible"), self.best, bound

    def _spent(self) -> bool:
        """Out of time, or out of part solves: many links between the parts make the search too wide."""
        return time.perf_counter() >= self.stop or self.solves_left <= 0

    def _closed(self, bound: float) -> bool:
        """Whether no branch with this bound can beat the best plan by more than the gap."""
        return self.best is not None and bound - self.best_value <= self.options.gap * max(abs(bound), 1e-9) + 1e-6

    @staticmethod
    def _bound(parts: list[Solution]) -> float:
        return sum(part.bound if part.bound is not None else part.objective for part in parts)

    # --- the parts -------------------------------------------------------------------------------

    def _parts(self, node: _Node) -> list[Solution] | None:
        """Each part's optimal plan under the branch; None when a part provably has no valid plan.

        Raises :class:`_TooBig` when a part is not proven optimal within its share of the time, when
        a solve ends on the time limit without a plan, or when the time or the solves run out first:
        none of these says anything about the branch.
        """
        parts = []
        for number in range(len(self.groups)):
            relevant = self.relevant[number]
            key = (
                number,
                frozenset(pair for pair in node.first if pair[0] in relevant),
                frozenset(pair for pair in node.last if pair[0] in relevant),
                node.forced & relevant,
            )
            solution = self.solved.get(key)
            if solution is None:
                part = self._part(node, number)
                if part is None:
                    return None
                if self._spent():
                    raise _TooBig
                left = self.stop - time.perf_counter()
                self.solves_left -= 1
                step = replace(self.options, time_limit=max(min(left, self.part_seconds), 0.1))
                empty = Solution("optimal", {}, 0.0, 0.0, 0.0)
                solution = solve(build_model(part, step), step) if part.items else empty
                if solution.status in ("stopped", "error"):
                    raise _TooBig  # no plan in its time: proves nothing about the branch
                if solution.status == "feasible" and time.perf_counter() < self.stop:
                    raise _TooBig
                self.solved[key] = solution
            if solution.status not in ("optimal", "feasible"):
                return None
            parts.append(solution)
        return parts

    def _part(self, node: _Node, number: int) -> PlanProblem | None:
        """The part's items under the branch, prerequisites in other parts dropped; None if a forced item cannot go."""
        horizon = self.problem.horizon
        first: dict[int, int] = {}
        for index, sprint in node.first:
            first[index] = max(first.get(index, 0), sprint)
        last: dict[int, int] = {}
        for index, sprint in node.last:
            last[index] = min(last.get(index, horizon - 1), sprint)
        mine = {item.index for item in self.members[number]}
        kept = {}
        for item in self.members[number]:
            forced = item.must or item.pinned is not None or item.index in node.forced
            earliest = max(item.first_sprint, first.get(item.index, 0))
            deadline = horizon - 1 if item.last_sprint is None else item.last_sprint
            latest = min(deadline, last.get(item.index, horizon - 1))
            if earliest > latest or (item.pinned is not None and not earliest <= item.pinned <= latest):
                if forced:
                    return None
                continue
            kept[item.index] = replace(
                item,
                must=forced,
                first_sprint=earliest,
                last_sprint=latest,
                prerequisites=tuple(p for p in item.prerequisites if p in mine),
            )
        if any(item.must for item in drop_unreachable(kept)):  # a forced item whose prerequisite cannot go
            return None
        teams = self.groups[number]
        return replace(
            self.problem,
            items=tuple(kept.values()),
            teams=teams,
            pools=tuple(pool for pool in self.problem.pools if pool.team in teams),
        )

    # --- branching and plans ---------------------------------------------------------------------

    @staticmethod
    def _combined(parts: list[Solution]) -> Placement:
        return {index: place for part in parts for index, place in part.assignments.items()}

    def _branch(self, node: _Node, plan: Placement) -> list[_Node] | None:
        """For the first item planned before its prerequisite (or without it), in sprint k: the item
        goes after k, or the prerequisite is planned by k. None when there is no such item.
        """
        for item in self.problem.items:
            if item.index not in plan:
                continue
            sprint = plan[item.index][1]
            for prerequisite in item.prerequisites:
                if prerequisite not in plan or plan[prerequisite][1] > sprint:
                    return [
                        replace(node, first=node.first | {(item.index, sprint + 1)}),
                        replace(node, last=node.last | {(prerequisite, sprint)}, forced=node.forced | {prerequisite}),
                    ]
        return None

    def _offer(self, plan: Placement) -> None:
        """Repair the parts' plans into a valid plan (prerequisites in, no later) and keep it if it is the best."""
        repaired = dict(plan)
        changed = True
        while changed:
            changed = False
            for index in list(repaired):
                sprint = repaired[index][1]
                if any(p not in repaired or repaired[p][1] > sprint for p in self.items[index].prerequisites):
                    del repaired[index]
                    changed = True
        repaired = rank_and_fill(self.problem, placed_already=repaired) or repaired
        if plan_violations(self.problem, repaired):
            return
        value = sum(self.values[index] for index in repaired)
        if value > self.best_value:
            self.best, self.best_value = repaired, value
