"""Make a sprint plan: capacity -> problem -> baseline -> model -> check -> reasons.

This is the library's front door for planning; the command line and the app call :func:`make_plan`.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from planner.capacity import CapacityResult, CapacitySettings, compute_capacity
from planner.errors import PlannerError
from planner.input_problems import Problem
from planner.schema import GENERAL_SKILL, CapacityTables
from planner.solve.baseline import DensityBound, density_bound, rank_and_fill
from planner.solve.decompose import decomposable, solve_by_team, team_groups
from planner.solve.explain import PRICE_COLUMNS, Exclusion, exclusion_reasons, must_fit, overflow, skill_prices
from planner.solve.improve import TeamIndex, improve_by_team, team_part
from planner.solve.model import (
    MIN_SOLVE_SECONDS,
    PlanModel,
    Solution,
    SolveOptions,
    build_model,
    estimated_terms,
    model_seconds,
    seconds_left,
    solve,
)
from planner.solve.problem import PlanProblem, build_problem, capacity_sprint_names, check_plan_inputs, drop_unreachable
from planner.solve.verify import plan_violations
from planner.solve.warmstart import sprint_by_sprint, whole_horizon_bound

__all__ = ["CAPACITY_COLUMNS", "Assignment", "PlanResult", "make_plan"]

CAPACITY_COLUMNS = ["team", "sprint", "skill", "capacity", "load"]

Plan = dict[int, tuple[str, int]]  # backlog index -> (team, sprint position)


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
        """The JSON object of SPEC section 3 (plus ``message``).

        Numbers are finite: :func:`make_plan` refuses values a plan cannot weigh, and drops a bound
        that is not a number. A result built otherwise with an infinite objective raises rather than
        reach JSON as null.
        """
        for name in ("objective", "bound", "gap", "baseline_objective"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise PlannerError(f"the plan's {name} is {number}, not a number JSON can hold: check the values")
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "baseline_objective": self.baseline_objective,
            "selected": [{"id": a.id, "team": a.team, "sprint": a.sprint} for a in self.selected],
            "excluded": [{"id": e.id, "reason": e.reason} for e in self.excluded],
            "capacity": [
                {
                    "team": row.team,
                    "sprint": row.sprint,
                    "skill": None if pd.isna(row.skill) else row.skill,
                    "capacity": float(row.capacity),
                    "load": float(row.load),
                }
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

    One deadline bounds the whole call: ``options.deadline`` when set (the command line counts it
    from its own start, so reading the files counts), else ``options.time_limit`` from now. Every
    phase gets what is left of it: the search by team, the warm start, the whole model and its
    improvement, then the sprint order and the capacity prices, which are skipped (the message
    says so) when nothing is left for them. Rank-and-fill is always at hand: a search the time limit
    cuts short ends ``feasible`` with the best plan found (rank-and-fill at worst) and its gap to
    the best proven bound; ``infeasible`` only when the Must and pinned items provably cannot fit.

    Raises :class:`~planner.errors.InputError` when the capacity tables cannot be used, when the
    backlog holds values or efforts a plan cannot weigh, or (given capacity tables) when a Must
    item is pinned to a sprint the capacity file does not have.
    """
    started = time.perf_counter()
    options = options or SolveOptions()
    deadline = options.deadline if options.deadline is not None else started + options.time_limit
    options = replace(options, deadline=deadline)
    if isinstance(capacity, CapacityResult):
        check_plan_inputs(backlog)  # the file's sprints are not known here: the caller checks the pins
        net = capacity
    else:
        check_plan_inputs(backlog, capacity_sprint_names(capacity))
        net = compute_capacity(capacity, capacity_settings or CapacitySettings(), today)
    problem = build_problem(backlog, net)
    baseline: Plan = rank_and_fill(problem) or {}  # None only when given a plan to fill around
    baseline_objective = _value(problem, baseline)
    if problem.must_problems:
        return _infeasible(problem, net, baseline_objective, list(problem.must_problems), started)
    baseline_valid = not plan_violations(problem, baseline, options.balance)
    notes: list[str] = []
    # The reasons and the result are kept their time at the end; the sprint order and the prices
    # get a share kept from the search (used by the search's successor when the search ends early).
    finish = deadline - _finish_seconds(problem)
    work = replace(options, deadline=finish)
    start: Plan | None = baseline if baseline_valid else None
    fit = None
    if not baseline_valid:
        # Rank-and-fill could not place the Must and pinned items: the small model of those items
        # alone proves they cannot fit, or places them for rank-and-fill to fill around.
        fit = must_fit(problem, work)
        if fit.status == "overflows":
            return _infeasible(problem, net, baseline_objective, list(fit.messages), started)
        around = rank_and_fill(problem, placed_already=fit.plan) if fit.status == "fits" else None
        if around is not None and not plan_violations(problem, around, options.balance):
            start = around
    order_share, price_share = _optional_shares(problem, work, start or baseline)
    search = replace(work, deadline=finish - order_share - price_share)
    solution = _solve_for_value(problem, search, start, notes)
    if solution.status == "infeasible":
        messages = list(fit.messages) if fit is not None and fit.status != "fits" else overflow(problem, work)
        return _infeasible(problem, net, baseline_objective, messages, started)
    if solution.status not in ("optimal", "feasible"):
        # No plan at all: the search found none in time and rank-and-fill cannot place every Must
        # and pinned item. Not a proof of infeasibility, so not reported as one.
        notes.insert(0, solution.message or "no plan was found")
        notes.append("rank-and-fill could not place every Must and pinned item either")
        notes += list(fit.messages) if fit is not None else []
        return _result(problem, net, "error", {}, None, None, baseline_objective, started, notes, work)
    assignments, status, bound = solution.assignments, solution.status, solution.bound
    gap = _gap(_value(problem, assignments), bound)
    if status == "feasible" and gap is not None and gap <= options.gap:
        status = "optimal"
    if status == "feasible" and not any("time limit" in note for note in notes):
        notes.append("the search was cut short by the time limit before it proved the plan within the gap asked for")
    ordered = _order_sprints(problem, assignments, replace(work, deadline=finish - price_share), notes)
    assignments, status, bound, gap, violations = _checked(
        problem, ordered, assignments, start, status, bound, gap, options, notes
    )
    if violations:
        return _result(
            problem,
            net,
            "error",
            {},
            None,
            None,
            baseline_objective,
            started,
            ["the solver's plan breaks a rule: " + "; ".join(violations[:5])],
            work,
        )
    result = _result(problem, net, status, assignments, bound, gap, baseline_objective, started, notes, work)
    return replace(result, baseline_complete=baseline_valid)


_FINISH_SECONDS = 0.05  # the reasons, the capacity rows and the result: a fixed part ...
_FINISH_SECONDS_PER_ITEM = 1e-5  # ... and per backlog item (200,000 items: about 1.5 s measured)
_ORDER_SHARE = 0.15  # at most this share of the time is kept from the search for the sprint order
_PRICE_SHARE = 0.25  # prices that would take more than this share of the time are skipped


def _finish_seconds(problem: PlanProblem) -> float:
    """Time kept back at the end for the reasons and the result."""
    return _FINISH_SECONDS + _FINISH_SECONDS_PER_ITEM * len(problem.ids)


def _optional_shares(
    problem: PlanProblem, options: SolveOptions, baseline: dict[int, tuple[str, int]]
) -> tuple[float, float]:
    """Seconds kept from the search for the sprint order and for the capacity prices.

    The order re-plans the chosen items only (about as many as rank-and-fill places); the prices
    solve the LP relaxation of the whole problem, which on a huge backlog costs as much as the
    search: then none is kept (and :func:`_result` skips them when no time is left).
    """
    left = max(seconds_left(options), 0.0)
    order = 0.0
    if problem.horizon > 1 or options.previous:
        chosen = replace(problem, items=tuple(item for item in problem.items if item.index in baseline))
        order = min(_ORDER_SHARE * left, 2 * model_seconds(estimated_terms(chosen)) + 0.5)
    price = _prices_seconds(problem)
    return order, (price if price <= _PRICE_SHARE * left else 0.0)


def _prices_seconds(problem: PlanProblem) -> float:
    """About what the LP relaxation for the prices takes: building, writing and solving it."""
    return 2 * model_seconds(estimated_terms(problem)) + MIN_SOLVE_SECONDS


def _checked(
    problem: PlanProblem,
    ordered: Plan,
    unordered: Plan,
    baseline: Plan | None,
    status: str,
    bound: float | None,
    gap: float | None,
    options: SolveOptions,
    notes: list[str],
) -> tuple[Plan, str, float | None, float | None, list[str]]:
    """The first plan that keeps every rule: ordered, else as the search left it, else rank-and-fill.

    A solver can hand back a plan that breaks a rule (a tolerance, a time limit, a bug); the
    rules are checked independently, and a valid plan at hand is shown instead, saying so.
    """
    violations = plan_violations(problem, ordered, options.balance)
    if not violations:
        return ordered, status, bound, gap, []
    fallbacks = [unordered] + ([baseline] if baseline is not None else [])
    for plan in fallbacks:
        if not plan_violations(problem, plan, options.balance):
            notes.append(
                "the solver's plan breaks a rule ("
                + "; ".join(violations[:3])
                + "): showing "
                + ("it in the order found before" if plan is unordered else "the rank-and-fill plan")
            )
            gap = _gap(_value(problem, plan), bound)
            return plan, "feasible", bound, gap, []
    return ordered, "error", None, None, violations


def _solve_for_value(problem: PlanProblem, options: SolveOptions, baseline: Plan | None, notes: list[str]) -> Solution:
    """The most valuable plan found by ``options.deadline`` (sprint order comes later), with its best bound.

    Value first: with whole-number values the solver prunes by whole units, which the small
    sprint-order bonus would take away (a 30 s unproven solve becomes well under a second).
    Re-planning keeps its stability bonus here, so a tie does not drop an item already planned.

    In order, each with what is left of the time and each skipped when its models could not be
    built in time (saying so in ``notes``): the density bound (instant, for every size; it can
    prove rank-and-fill within the gap), which also leaves out of the search the items no plan
    better than rank-and-fill can hold; with CBC and teams that share no items, part by part
    (:mod:`planner.solve.decompose`: when it proves the plan, nothing else is needed); the warm start;
    the whole model with team-by-team improvement beside it. The result is the best plan found
    (rank-and-fill at worst, when it is valid) with the tightest bound proven; ``infeasible``
    only when the solver proves it and rank-and-fill has no valid plan either; ``stopped`` or
    ``error`` when no valid plan was found at all.
    """
    value_options = replace(options, earliness=0.0, stability=options.stability if options.previous else 0.0)
    cheap = density_bound(problem, team_groups(problem))
    if baseline is not None:
        best = Solution("feasible", dict(baseline), _value(problem, baseline), cheap.bound, 0.0)
        if not options.previous and _within_gap(best.objective, cheap.bound, options):
            return replace(best, status="optimal")  # re-planning, the stability bonus is still to be had
    else:
        best = Solution("stopped", {}, 0.0, cheap.bound, 0.0, "the search found no plan in time")
    core = _core(problem, cheap, baseline, options)
    terms = estimated_terms(core)

    if decomposable(core, options) and model_seconds(terms) <= _BY_TEAM_BUILD_SHARE * seconds_left(options):
        share = _BY_TEAM_SHARE * seconds_left(options)
        by_team = solve_by_team(core, replace(value_options, time_limit=share, deadline=time.perf_counter() + share))
        if by_team.status == "infeasible" and baseline is None:
            return by_team
        best = _keep_better(by_team, best) if by_team.status in ("optimal", "feasible") else best
        if by_team.status == "optimal":
            return best

    left = seconds_left(options)
    start, horizon_bound = best.assignments or None, None
    if problem.horizon > 1 and options.solver == "cbc" and model_seconds(terms) <= _START_BUILD_SHARE * left:
        start_options = replace(options, time_limit=left, deadline=time.perf_counter() + _START_SHARE * left)
        start, horizon_bound = _best_start(core, start_options, start)
        if start is not None:
            best = _keep_better(best, Solution("feasible", start, _value(problem, start), horizon_bound, 0.0))
            start = best.assignments
        elif horizon_bound is not None:
            best = replace(best, bound=horizon_bound if best.bound is None else min(best.bound, horizon_bound))
    if (
        best.assignments
        and best.bound is not None
        and not options.previous
        and _within_gap(best.objective, best.bound, options)
    ):
        return replace(best, status="optimal")  # within the gap of a proven bound: no need to search further

    left = seconds_left(options)
    if model_seconds(terms) > _MODEL_BUILD_SHARE * left:
        # Too big for the time left: one team's part at a time is small, so improve the plan that way.
        found = "rank-and-fill" if best.assignments == baseline else "the best plan found before it"
        before = best.objective
        if best.assignments and len(core.teams) > 1 and left >= _MIN_IMPROVE_SECONDS and not options.balance:
            improved = improve_by_team(core, dict(best.assignments), value_options, seconds=left)
            best = _keep_better(best, Solution("feasible", improved, _value(problem, improved), None, 0.0))
        notes.append(
            f"the search was cut short by the time limit: the whole model ({terms:,} variables and "
            f"entries) could not be built and searched in the {max(left, 0.0):.1f} s left, so the plan is "
            f"{found}" + (", improved team by team" if best.objective > before else "")
        )
        return best
    model_options = replace(value_options, warm_start=start, time_limit=max(left, MIN_SOLVE_SECONDS))
    whole = _search(core, model_options, start)
    if whole.status == "infeasible" and not best.assignments:
        return whole
    if whole.status == "stopped" and best.assignments:
        notes.append(
            "the search was cut short by the time limit before it found a plan: the plan is the best "
            "found before it" + (" (rank-and-fill)" if best.assignments == baseline else "")
        )
    elif whole.status == "error" and best.assignments:
        notes.append(
            f"{whole.message}: the plan is the best found before the search"
            + (" (rank-and-fill)" if best.assignments == baseline else "")
        )
    if whole.status == "infeasible":  # rank-and-fill's plan is valid: the solver is wrong, keep the plan
        notes.append("the solver reported no plan, but rank-and-fill found one: showing it")
        return best
    return _keep_better(whole, best)


_BY_TEAM_BUILD_SHARE = 0.3  # part by part only when building its models takes at most this share of the time
_BY_TEAM_SHARE = 0.425  # part by part may take this share (half the time, less a share for the rest)
_START_BUILD_SHARE = 0.2  # the warm start's models (about the whole model's size in all) ...
_START_SHARE = 0.35  # ... and its share of the time
_MODEL_BUILD_SHARE = 0.6  # the whole model only when building it leaves the solver 40 % of the time
_MIN_IMPROVE_SECONDS = 0.5  # team-by-team improvement in less time than this rarely gets one re-plan done


def _core(problem: PlanProblem, cheap: DensityBound, incumbent: Plan | None, options: SolveOptions) -> PlanProblem:
    """``problem`` without the items no plan more valuable than ``incumbent`` can hold.

    Reduced-cost fixing on the density bound: a plan holding an item is worth at most the bound
    less the item's penalty, so an item whose penalty exceeds what the bound leaves above
    ``incumbent`` is in no better plan. On a long backlog most items are far below the cut (200,000
    items for a few thousand places), and the search's models shrink by as much. Kept always: Must
    and pinned items and ``incumbent``'s items (so it stays a valid start), with their prerequisites;
    items whose prerequisite is left out go too. Any plan better than ``incumbent`` is a plan of the
    core, so the core's bound (at least ``incumbent``'s value) bounds the whole problem. Not with a
    previous plan or balance targets, whose objective or rules weigh more than value.
    """
    if incumbent is None or options.previous or options.balance:
        return problem
    slack = cheap.bound - _value(problem, incumbent) + 1e-9 * max(1.0, abs(cheap.bound))
    by_index = {item.index: item for item in problem.items}
    needed = [item.index for item in problem.items if item.must or item.pinned is not None] + list(incumbent)
    protected: set[int] = set()
    while needed:
        index = needed.pop()
        if index not in protected:
            protected.add(index)
            needed.extend(by_index[index].prerequisites)
    kept = {
        item.index: item
        for item in problem.items
        if item.index in protected or cheap.penalty.get(item.index, 0.0) <= slack
    }
    if len(kept) == len(problem.items):
        return problem
    drop_unreachable(kept)
    return replace(problem, items=tuple(kept.values()))


def _search(problem: PlanProblem, options: SolveOptions, start: dict[int, tuple[str, int]] | None) -> Solution:
    """The whole model's solve and, with CBC and several teams, team-by-team improvement beside it.

    On large multi-sprint plans CBC's search of the whole model rarely gets past its start, but its
    cuts at the root give the bound; re-planning one team at a time with the rest held
    (:mod:`planner.solve.improve`) finds the value. The two run side by side (CBC is a separate process),
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
            return proven.status == "optimal" or (
                proven.bound is not None and _within_gap(value, proven.bound, options)
            )

        improved = improve_by_team(
            problem, start, options, seconds=options.time_limit - 0.5, busy=lambda: not whole.done(), enough=within_gap
        )
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
    ``solution``, never replace a proof of infeasibility. A ``solution`` stopped without a plan
    (or failed) gives way to ``other``, keeping its bound when it proved one.
    """
    if other is None or other.status not in ("optimal", "feasible"):
        return solution
    bounds = [b for b in (solution.bound, other.bound) if b is not None]
    bound = min(bounds) if bounds else None
    if solution.status == "infeasible":
        return solution
    if solution.status not in ("optimal", "feasible"):
        return replace(other, bound=bound)
    better = other if other.objective > solution.objective else solution
    status = solution.status if better is solution else "feasible"
    return replace(better, status=status, bound=bound, seconds=solution.seconds)


def _improvable(problem: PlanProblem, options: SolveOptions, start: dict[int, tuple[str, int]] | None) -> bool:
    """Team-by-team improvement applies: CBC, a valid start, several teams and sprints, no balance targets.

    Balance targets tie every team's plan to the others', so they are left to the whole model.
    """
    return (
        options.solver == "cbc"
        and start is not None
        and len(problem.teams) > 1
        and problem.horizon > 1
        and not options.balance
        and options.time_limit >= 2.0
    )


_ORDER_NOT_DONE = (
    "the sprint order was not optimised: too little of the time limit was left for it (every item "
    "is in a sprint it may take, not necessarily the earliest)"
)


def _order_sprints(problem: PlanProblem, assignments: Plan, options: SolveOptions, notes: list[str]) -> Plan:
    """Second pass: the same items, placed as early as they can go and, re-planning, where they were.

    Every chosen item is forced in, so the value stays; the objective is only the sprint order and
    the stability bonus. Several teams and no previous plan: each team's items are ordered in turn,
    the others held (small models, a fraction of the time); otherwise the whole plan at once. It
    gets what is left until ``options.deadline`` (at most a quarter of the time limit, 10 s); a
    plan that cannot be improved in that time is kept as it is, and ``notes`` says so when the
    time ran out.
    """
    if not assignments or (problem.horizon == 1 and not options.previous):
        return assignments
    chosen = replace(
        problem, items=tuple(replace(item, must=True) for item in problem.items if item.index in assignments)
    )
    left = seconds_left(options)
    ordering = replace(
        options,
        warm_start=assignments,
        earliness=1.0,
        gap=max(options.gap, 1e-3),
        time_limit=max(min(left, options.time_limit / 4, 10.0), MIN_SOLVE_SECONDS),
    )
    if len(problem.teams) > 1 and not options.previous:
        return _order_team_by_team(chosen, assignments, ordering, notes)
    if model_seconds(estimated_terms(chosen)) + MIN_SOLVE_SECONDS > left:
        notes.append(_ORDER_NOT_DONE)
        return assignments
    solution = solve(build_model(chosen, ordering), ordering)
    if solution.status in ("optimal", "feasible") and set(solution.assignments) == set(assignments):
        return solution.assignments
    if solution.status == "stopped":
        notes.append(_ORDER_NOT_DONE)
    return assignments


def _order_team_by_team(chosen: PlanProblem, assignments: Plan, ordering: SolveOptions, notes: list[str]) -> Plan:
    """Each team's planned items as early as they go, the other teams' held where they are."""
    plan = dict(assignments)
    stop = min(time.perf_counter() + ordering.time_limit, ordering.deadline or math.inf)
    index = TeamIndex.of(chosen)
    skipped, ordered = False, False
    for position, team in enumerate(chosen.teams):
        left = stop - time.perf_counter()
        if left <= MIN_SOLVE_SECONDS:
            skipped = skipped or any(place[0] == team for place in plan.values())
            continue
        part = team_part(chosen, plan, team, team_index=index)
        if not part.items:
            continue
        if model_seconds(estimated_terms(part)) + MIN_SOLVE_SECONDS > left:
            skipped = True
            continue
        mine = {item.index for item in part.items}
        step = replace(
            ordering,
            warm_start={index: plan[index] for index in mine},
            time_limit=max(left / (len(chosen.teams) - position), 0.2),
        )
        solution = solve(build_model(part, step), step)
        if solution.status in ("optimal", "feasible") and set(solution.assignments) == mine:
            plan.update(solution.assignments)
            ordered = True
        skipped = skipped or solution.status == "stopped"
    if skipped:
        notes.append(
            _ORDER_NOT_DONE.replace("was not optimised", "was optimised for some teams only")
            if ordered
            else _ORDER_NOT_DONE
        )
    return plan


def _best_start(problem: PlanProblem, options: SolveOptions, baseline: Plan | None) -> tuple[Plan | None, float | None]:
    """The best valid plan found before the search, and a proven bound from the whole-horizon model.

    One sprint, or HiGHS: rank-and-fill (the solver does well from there). Several sprints with CBC:
    also the sprint-by-sprint fill, topped up by rank-and-fill, and the whole-horizon bound; each
    ends by ``options.deadline``.
    """
    starts = [baseline] if baseline is not None else []
    bound = None
    if problem.horizon > 1 and options.solver == "cbc":  # HiGHS's own heuristics do better unaided
        bound = whole_horizon_bound(problem, options)
        filled = sprint_by_sprint(problem, options) if seconds_left(options) > MIN_SOLVE_SECONDS else None
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


_PRICES_SKIPPED = (
    "the capacity prices were skipped: too little of the time limit was left for them (the reasons "
    "of items left out for capacity do not say what value would have made the cut)"
)


def _result(
    problem: PlanProblem,
    net: CapacityResult,
    status: str,
    assignments: Plan,
    bound: float | None,
    gap: float | None,
    baseline_objective: float,
    started: float,
    notes: list[str],
    options: SolveOptions,
) -> PlanResult:
    """The result with every reason; the capacity prices (for the ``capacity`` reasons) when time is left.

    Prices solve the LP relaxation of the whole problem: skipped, saying so, when that would run
    past ``options.deadline``. A bound or gap that is not a finite number is no bound at all.
    """
    items = {item.index: item for item in problem.items}
    selected = tuple(
        Assignment(problem.ids[index], team, problem.sprints[sprint], items[index].value, items[index].total_effort)
        for index, (team, sprint) in sorted(assignments.items(), key=lambda kv: (kv[1][1], kv[1][0], kv[0]))
    )
    needs_prices = status in ("optimal", "feasible") and any(
        item.index not in assignments and all(p in assignments for p in item.prerequisites) for item in problem.items
    )
    prices = pd.DataFrame(columns=PRICE_COLUMNS)
    if needs_prices and _prices_seconds(problem) > seconds_left(options):
        notes = [*notes, _PRICES_SKIPPED]
    elif needs_prices:
        prices = skill_prices(problem, options)
    reasons = exclusion_reasons(problem, assignments, prices, problem.unit) if status != "error" else {}
    excluded = tuple(reasons[index] for index in sorted(reasons))
    objective = _value(problem, assignments)
    if bound is None or not math.isfinite(bound) or gap is None or not math.isfinite(gap):
        bound, gap = None, None  # values are bounded on the way in (check_plan_inputs): only a bound can be off
    return PlanResult(
        status,
        objective,
        bound,
        gap,
        baseline_objective,
        selected,
        excluded,
        capacity_rows(problem, assignments),
        prices,
        time.perf_counter() - started,
        problem.unit,
        "; ".join(notes),
        tuple(net.problems),
        problem.sprints,
    )


def _infeasible(
    problem: PlanProblem, net: CapacityResult, baseline_objective: float, reasons: list[str], started: float
) -> PlanResult:
    message = "No plan can hold every Must and pinned item: " + "; ".join(reasons)
    return PlanResult(
        "infeasible",
        0.0,
        None,
        None,
        baseline_objective,
        (),
        (),
        capacity_rows(problem, {}),
        pd.DataFrame(columns=PRICE_COLUMNS),
        time.perf_counter() - started,
        problem.unit,
        message,
        tuple(net.problems),
        problem.sprints,
    )


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
            rows.append(
                {
                    "team": team,
                    "sprint": problem.sprints[sprint],
                    "skill": None,
                    "capacity": sum(p.capacity[sprint] for p in pools),
                    "load": load[(team, sprint, None)],
                }
            )
            if skills_used != [GENERAL_SKILL]:
                for skill in skills_used:
                    rows.append(
                        {
                            "team": team,
                            "sprint": problem.sprints[sprint],
                            "skill": skill,
                            "capacity": problem.skill_capacity(team, skill, sprint),
                            "load": load[(team, sprint, skill)],
                        }
                    )
    return pd.DataFrame(rows, columns=CAPACITY_COLUMNS)
