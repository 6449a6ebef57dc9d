"""Make a sprint plan: capacity -> problem -> baseline -> model -> check -> reasons.

This is the library's front door for planning; the command line and the app call :func:`make_plan`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from planner.baseline import rank_and_fill
from planner.capacity import CapacityResult, CapacitySettings, compute_capacity
from planner.explain import PRICE_COLUMNS, Exclusion, exclusion_reasons, overflow, skill_prices
from planner.decompose import decomposable, solve_by_team
from planner.improve import improve_by_team, team_part
from planner.model import PlanModel, Solution, SolveOptions, build_model, solve
from planner.problem import PlanProblem, build_problem
from planner.problems import Problem
from planner.schema import CapacityTables
from planner.verify import plan_violations
from planner.warmstart import sprint_by_sprint, whole_horizon_bound

__all__ = ["Assignment", "PlanResult", "make_plan", "CAPACITY_COLUMNS"]

CAPACITY_COLUMNS = ["team", "sprint", "skill", "capacity", "load"]


@dataclass(frozen=True)
class Assignment:
    """An item in the plan: which team does it, in which sprint."""

    id: str
    team: str
    sprint: str
    value: float
    effort: float


@dataclass(frozen=True)
class PlanResult:
    """The plan, how good it is proven to be, and the reason for every item left out."""

    status: str  # "optimal" | "feasible" | "infeasible" | "error"
    objective: float
    bound: float | None
    gap: float | None
    baseline_objective: float
    selected: tuple[Assignment, ...]
    excluded: tuple[Exclusion, ...]
    capacity: pd.DataFrame
    prices: pd.DataFrame
    seconds: float
    unit: str = "days"
    message: str = ""
    problems: tuple[Problem, ...] = field(default=())
    sprints: tuple[str, ...] = field(default=())
    baseline_complete: bool = True  # False: rank-and-fill could not place every Must and pinned item

    @property
    def gain_over_baseline(self) -> float:
        """Value the optimiser plans beyond rank-and-fill."""
        return self.objective - self.baseline_objective

    def as_json(self) -> dict[str, object]:
        """The JSON object of SPEC section 3 (plus ``message``)."""
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "baseline_objective": self.baseline_objective,
            "selected": [{"id": a.id, "team": a.team, "sprint": a.sprint} for a in self.selected],
            "excluded": [{"id": e.id, "reason": e.reason} for e in self.excluded],
            "capacity": [
                {"team": row.team, "sprint": row.sprint, "skill": None if pd.isna(row.skill) else row.skill,
                 "capacity": float(row.capacity), "load": float(row.load)}
                for row in self.capacity.itertuples(index=False)
            ],
            "seconds": self.seconds,
            "message": self.message,
        }


def make_plan(
    backlog: pd.DataFrame,
    capacity: CapacityTables | CapacityResult,
    capacity_settings: CapacitySettings | None = None,
    options: SolveOptions | None = None,
    today: date | None = None,
) -> PlanResult:
    """The highest-value plan that fits, checked, with the rank-and-fill baseline and every reason.

    Raises :class:`~planner.errors.InputError` when the capacity tables cannot be used.
    """
    started = time.perf_counter()
    options = options or SolveOptions()
    if isinstance(capacity, CapacityResult):
        net = capacity
    else:
        net = compute_capacity(capacity, capacity_settings or CapacitySettings(), today)
    problem = build_problem(backlog, net)
    baseline = rank_and_fill(problem)
    baseline_objective = _value(problem, baseline)
    if problem.must_problems:
        return _infeasible(problem, net, baseline_objective, list(problem.must_problems), started)
    baseline_valid = not plan_violations(problem, baseline, options.balance)
    solution, start, horizon_bound = _solve_for_value(problem, options, baseline if baseline_valid else None, started)
    if solution.status == "infeasible":
        return _infeasible(problem, net, baseline_objective, overflow(problem, options), started)
    assignments, status, bound, message = solution.assignments, solution.status, solution.bound, solution.message
    if solution.status == "error" and start is not None:
        assignments, status, bound = start, "feasible", horizon_bound
        message = f"{solution.message}; showing the best plan found before the search"
    elif solution.status == "error":
        return _result(problem, net, "error", {}, None, None, baseline_objective, started, solution.message, options)
    if start is not None and _value(problem, start) > _value(problem, assignments):
        # The solver stopped (time limit) before it even matched its starting plan: keep the better.
        assignments, status = dict(start), "feasible"
    bounds = [b for b in (bound, horizon_bound) if b is not None]
    bound = min(bounds) if bounds else None
    gap = _gap(_value(problem, assignments), bound)
    if status == "feasible" and gap is not None and gap <= options.gap:
        status = "optimal"
    left = options.time_limit - (time.perf_counter() - started)
    assignments = _order_sprints(problem, assignments, replace(options, time_limit=max(left, 4.0)))
    violations = plan_violations(problem, assignments, options.balance)
    if violations:
        return _result(problem, net, "error", {}, None, None, baseline_objective, started,
                       "the solver's plan breaks a rule: " + "; ".join(violations[:5]), options)
    result = _result(problem, net, status, assignments, bound, gap, baseline_objective, started, message, options)
    return replace(result, baseline_complete=baseline_valid)


def _solve_for_value(problem: PlanProblem, options: SolveOptions, baseline: dict[int, tuple[str, int]] | None,
                     started: float) -> tuple[Solution, dict[int, tuple[str, int]] | None, float | None]:
    """The most valuable plan (sprint order comes later), with the start it was searched from and its bound.

    Value first: with whole-number values the solver prunes by whole units, which the small
    sprint-order bonus would take away (a 30 s unproven solve becomes well under a second).
    Re-planning keeps its stability bonus here, so a tie does not drop an item already planned. The
    time limit covers the whole call: the search gets what the start left, less a share kept for
    ordering the sprints. With CBC and teams that share no items, part by part comes first
    (:mod:`planner.decompose`): when it proves the plan, no start is needed.
    """
    value_options = replace(options, earliness=0.0, stability=options.stability if options.previous else 0.0)
    by_team = None
    if decomposable(problem, options):
        by_team = solve_by_team(problem, replace(value_options, time_limit=options.time_limit * 0.85 / 2))
        if by_team.status in ("optimal", "infeasible"):
            return by_team, None, None
    start, horizon_bound = _best_start(problem, options, baseline)
    if by_team is not None and by_team.status == "feasible" and (
            start is None or by_team.objective > _value(problem, start)):
        start = by_team.assignments
    if start is not None and horizon_bound is not None and _within_gap(_value(problem, start), horizon_bound, options):
        # The start is already within the gap of a proven bound: no need to search further.
        found = Solution("optimal", start, _value(problem, start), horizon_bound, 0.0)
        return _keep_better(found, by_team), start, horizon_bound
    left = options.time_limit - (time.perf_counter() - started)
    model_options = replace(value_options, warm_start=start, time_limit=max(left * 0.85, 1.0))
    return _keep_better(_search(problem, model_options, start), by_team), start, horizon_bound


def _search(problem: PlanProblem, options: SolveOptions, start: dict[int, tuple[str, int]] | None) -> Solution:
    """The whole model's solve and, with CBC and several teams, team-by-team improvement beside it.

    On large multi-sprint plans CBC's search of the whole model rarely gets past its start, but its
    cuts at the root give the bound; re-planning one team at a time with the rest held
    (:mod:`planner.improve`) finds the value. The two run side by side (CBC is a separate process),
    the improvement stops once the whole model's bound shows its plan within the gap, and the
    better plan is kept. HiGHS solves the whole model itself.
    """
    model = build_model(problem, options)
    if not _improvable(problem, options, start):
        return solve(model, options)
    with ThreadPoolExecutor(max_workers=1) as pool:
        whole = pool.submit(_bound_first, model, options)

        def within_gap(value: float) -> bool:
            """Enough improving: the whole model proved its own plan, or bounds this one within the gap."""
            if not whole.done():
                return False
            proven = whole.result()
            return proven.status == "optimal" or (proven.bound is not None and _within_gap(value, proven.bound, options))

        improved = improve_by_team(problem, start, options, seconds=options.time_limit - 0.5,
                                   busy=lambda: not whole.done(), enough=within_gap)
        solution = whole.result()
    return _keep_better(solution, Solution("feasible", improved, _value(problem, improved), None, 0.0))


_QUICK_ROOT_SECONDS = 1.0  # a root this quick: the model is small enough for CBC's own search to prove


def _bound_first(model: PlanModel, options: SolveOptions) -> Solution:
    """The whole model's root (its cuts give the bound), then its full search only if the root was quick.

    On a large model the root takes seconds and the search after it finds neither value nor bound,
    so stopping there frees the second core for team-by-team improvement (and lets it stop once the
    bound shows its plan within the gap); a small model's root takes a fraction of a second and its
    search proves the plan optimal.
    """
    started = time.perf_counter()
    root = solve(model, replace(options, root_only=True))
    spent = time.perf_counter() - started
    quick = spent <= min(options.time_limit / 4, _QUICK_ROOT_SECONDS)
    if root.status not in ("optimal", "feasible") or root.status == "optimal" or not quick:
        return root
    search = replace(options, warm_start=root.assignments, time_limit=max(options.time_limit - spent, 1.0))
    return _keep_better(solve(model, search), root)


def _keep_better(solution: Solution, other: Solution | None) -> Solution:
    """``solution`` with ``other``'s plan when that is more valuable, and the tighter of their bounds.

    ``other`` is a plan found another way (with its own bound, or None): it can only improve on
    ``solution``, never replace a proof of infeasibility.
    """
    if other is None or other.status not in ("optimal", "feasible"):
        return solution
    if solution.status not in ("optimal", "feasible"):
        return other if solution.status == "error" else solution
    bounds = [b for b in (solution.bound, other.bound) if b is not None]
    better = other if other.objective > solution.objective else solution
    status = solution.status if better is solution else "feasible"
    return replace(better, status=status, bound=min(bounds) if bounds else None, seconds=solution.seconds)


def _improvable(problem: PlanProblem, options: SolveOptions, start: dict[int, tuple[str, int]] | None) -> bool:
    """Team-by-team improvement applies: CBC, a valid start, several teams and sprints, no balance targets.

    Balance targets tie every team's plan to the others', so they are left to the whole model.
    """
    return (options.solver == "cbc" and start is not None and len(problem.teams) > 1 and problem.horizon > 1
            and not options.balance and options.time_limit >= 2.0)


def _order_sprints(problem: PlanProblem, assignments: dict[int, tuple[str, int]],
                   options: SolveOptions) -> dict[int, tuple[str, int]]:
    """Second pass: the same items, placed as early as they can go and, re-planning, where they were.

    Every chosen item is forced in, so the value stays; the objective is only the sprint order and
    the stability bonus. Several teams and no previous plan: each team's items are ordered in turn,
    the others held (small models, a fraction of the time); otherwise the whole plan at once. A
    plan that cannot be improved in the time left is kept as it is.
    """
    if not assignments or (problem.horizon == 1 and not options.previous):
        return assignments
    chosen = replace(problem, items=tuple(replace(item, must=True) for item in problem.items
                                          if item.index in assignments))
    ordering = replace(options, warm_start=assignments, earliness=1.0, gap=max(options.gap, 1e-3),
                       time_limit=max(min(options.time_limit / 4, 10.0), 1.0))  # a share of what is left
    if len(problem.teams) > 1 and not options.previous:
        return _order_team_by_team(chosen, assignments, ordering)
    solution = solve(build_model(chosen, ordering), ordering)
    if solution.status in ("optimal", "feasible") and set(solution.assignments) == set(assignments):
        return solution.assignments
    return assignments


def _order_team_by_team(chosen: PlanProblem, assignments: dict[int, tuple[str, int]],
                        ordering: SolveOptions) -> dict[int, tuple[str, int]]:
    """Each team's planned items as early as they go, the other teams' held where they are."""
    plan = dict(assignments)
    stop = time.perf_counter() + ordering.time_limit
    for position, team in enumerate(chosen.teams):
        part = team_part(chosen, plan, team)
        left = stop - time.perf_counter()
        if not part.items or left <= 0:
            continue
        mine = {item.index for item in part.items}
        step = replace(ordering, warm_start={index: plan[index] for index in mine},
                       time_limit=max(left / (len(chosen.teams) - position), 0.2))
        solution = solve(build_model(part, step), step)
        if solution.status in ("optimal", "feasible") and set(solution.assignments) == mine:
            plan.update(solution.assignments)
    return plan


def _best_start(problem: PlanProblem, options: SolveOptions, baseline: dict[int, tuple[str, int]] | None
                ) -> tuple[dict[int, tuple[str, int]] | None, float | None]:
    """The best valid plan found before the search, and a proven bound from the whole-horizon model.

    One sprint, or HiGHS: rank-and-fill (the solver does well from there). Several sprints with CBC:
    also the sprint-by-sprint fill, topped up by rank-and-fill, and the whole-horizon bound.
    """
    starts = [baseline] if baseline is not None else []
    bound = None
    if problem.horizon > 1 and options.solver == "cbc":  # HiGHS's own heuristics do better unaided
        bound = whole_horizon_bound(problem, options)
        filled = sprint_by_sprint(problem, options)
        if filled is not None:
            filled = rank_and_fill(problem, placed_already=filled) or filled
        if filled is not None and not plan_violations(problem, filled, options.balance):
            starts.append(filled)
    return max(starts, key=lambda start: _value(problem, start), default=None), bound


def _gap(objective: float, bound: float | None) -> float | None:
    return None if bound is None else max(bound - objective, 0.0) / max(abs(bound), 1e-9)


def _within_gap(objective: float, bound: float, options: SolveOptions) -> bool:
    gap = _gap(objective, bound)
    return gap is not None and gap <= options.gap


def _value(problem: PlanProblem, assignments: dict[int, tuple[str, int]]) -> float:
    values = {item.index: item.value for item in problem.items}
    return float(sum(values[index] for index in assignments))


def _result(problem: PlanProblem, net: CapacityResult, status: str, assignments: dict[int, tuple[str, int]],
            bound: float | None, gap: float | None, baseline_objective: float, started: float, message: str,
            options: SolveOptions) -> PlanResult:
    items = {item.index: item for item in problem.items}
    selected = tuple(
        Assignment(problem.ids[index], team, problem.sprints[sprint], items[index].value, items[index].total_effort)
        for index, (team, sprint) in sorted(assignments.items(), key=lambda kv: (kv[1][1], kv[1][0], kv[0]))
    )
    needs_prices = status in ("optimal", "feasible") and any(
        item.index not in assignments and all(p in assignments for p in item.prerequisites) for item in problem.items
    )
    prices = skill_prices(problem, options) if needs_prices else pd.DataFrame(columns=PRICE_COLUMNS)
    reasons = exclusion_reasons(problem, assignments, prices, problem.unit) if status != "error" else {}
    excluded = tuple(reasons[index] for index in sorted(reasons))
    return PlanResult(
        status, _value(problem, assignments), bound, gap, baseline_objective, selected, excluded,
        capacity_rows(problem, assignments), prices, time.perf_counter() - started, problem.unit, message,
        tuple(net.problems), problem.sprints,
    )


def _infeasible(problem: PlanProblem, net: CapacityResult, baseline_objective: float, reasons: list[str],
                started: float) -> PlanResult:
    message = "No plan can hold every Must and pinned item: " + "; ".join(reasons)
    return PlanResult("infeasible", 0.0, None, None, baseline_objective, (), (), capacity_rows(problem, {}),
                      pd.DataFrame(columns=PRICE_COLUMNS), time.perf_counter() - started, problem.unit, message,
                      tuple(net.problems), problem.sprints)


def capacity_rows(problem: PlanProblem, assignments: dict[int, tuple[str, int]]) -> pd.DataFrame:
    """Per team and sprint: total net capacity and planned load (skill empty), then one row per skill used."""
    items = {item.index: item for item in problem.items}
    load: dict[tuple[str, int, str | None], float] = defaultdict(float)
    for index, (team, sprint) in assignments.items():
        for skill, effort in items[index].effort.items():
            load[(team, sprint, skill)] += effort
            load[(team, sprint, None)] += effort
    skills_used = sorted({skill for item in problem.items for skill in item.effort})
    rows = []
    for team in problem.teams:
        for sprint in range(problem.horizon):
            pools = problem.team_pools(team)
            rows.append({"team": team, "sprint": problem.sprints[sprint], "skill": None,
                         "capacity": sum(p.capacity[sprint] for p in pools), "load": load[(team, sprint, None)]})
            if skills_used != ["general"]:
                for skill in skills_used:
                    rows.append({"team": team, "sprint": problem.sprints[sprint], "skill": skill,
                                 "capacity": problem.skill_capacity(team, skill, sprint),
                                 "load": load[(team, sprint, skill)]})
    return pd.DataFrame(rows, columns=CAPACITY_COLUMNS)
