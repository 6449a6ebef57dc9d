"""Make a sprint plan: capacity -> problem -> baseline -> search -> check -> reasons and prices.

This is the library's front door for planning; the command line and the app call :func:`make_plan`.
The search itself (which phases run, with what share of the time) is :mod:`planner.solve.search`.

Re-planning against a previous plan (``SolveOptions.previous``) is lexicographic: (a) the best value
with no regard for the previous plan (``free_objective``), (b) the fewest changes among plans worth at
least ``(1 - keep_within) x free_objective``, an item entering or leaving counting 2 and a move to
another sprint or team 1, (c) value and earliness only as a tie-break among those. Unchanged inputs
give no change. An item of the previous plan that is gone from the backlog or now done is not
counted: the backlog changed it, not the plan.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from planner.capacity import CapacityResult, CapacitySettings, compute_capacity
from planner.errors import PlannerError
from planner.input_problems import Problem
from planner.schema import GENERAL_SKILL, CapacityTables
from planner.solve.baseline import rank_and_fill
from planner.solve.explain import PRICE_COLUMNS, Exclusion, MustFit, exclusion_reasons, must_fit, overflow, skill_prices
from planner.solve.model import Solution, SolveOptions, previous_positions, seconds_left
from planner.solve.problem import (
    Placement,
    PlanProblem,
    PlanStatus,
    build_problem,
    capacity_sprint_names,
    check_plan_inputs,
    plan_value,
)
from planner.solve.search import TimeBudget, order_sprints, relative_gap, solve_for_value, solve_stable
from planner.solve.verify import fits, plan_violations

__all__ = ["CAPACITY_COLUMNS", "Assignment", "Changes", "PlanResult", "make_plan", "plan_changes_against"]

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
class Changes:
    """How a plan differs from a previous plan: items that entered it, left it, moved sprint or team.

    The ids of each are kept too (sorted). ``weight`` is what re-planning minimises: entering or
    leaving counts 2, moving 1; ``count`` is the number of items that changed.
    """

    entered: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """Items that changed."""
        return len(self.entered) + len(self.left) + len(self.moved)

    @property
    def weight(self) -> int:
        """The weighted changes: 2 per item entering or leaving, 1 per item moving."""
        return 2 * (len(self.entered) + len(self.left)) + len(self.moved)

    def as_json(self) -> dict[str, int]:
        """The counts, as SPEC section 3's ``changes``."""
        return {"entered": len(self.entered), "left": len(self.left), "moved": len(self.moved)}


def linked_changes(
    problem: PlanProblem, previous: Mapping[str, tuple[str, str]], plan: Placement, changes: Changes
) -> list[str]:
    """Changes that another team's change forced through a dependency, named item by item.

    A change of inputs confined to one team moves other teams' items only when a dependency links
    them; this names each such pair among the changed items, so the room sees why.
    """
    changed = set(changes.entered) | set(changes.left) | set(changes.moved)
    if not changed:
        return []
    index_of = {item.id: item.index for item in problem.items}

    def team(item_id: str) -> str | None:
        index = index_of.get(item_id)
        if index is not None and index in plan:
            return plan[index][0]
        return previous.get(item_id, (None, ""))[0]

    said: list[str] = []
    for item in problem.items:
        if item.id not in changed:
            continue
        for prerequisite in item.prerequisites:
            before = problem.ids[prerequisite]
            if before in changed and team(before) != team(item.id):
                said.append(f"{item.id} ({team(item.id)}) changed with its prerequisite {before} ({team(before)})")
    if not said:
        return []
    return ["other teams' items changed through dependencies: " + "; ".join(said[:10])]


def plan_changes_against(problem: PlanProblem, previous: Mapping[str, tuple[str, str]], plan: Placement) -> Changes:
    """The changes of ``plan`` against ``previous`` (id -> team, sprint name).

    Items of ``previous`` that are gone from the backlog or done are not counted: the plan did not
    change them. An item of ``previous`` out of the plan (for whatever reason) has left; one in it
    at another team or sprint has moved.
    """
    ids = {item_id: index for index, item_id in enumerate(problem.ids)}
    now = {problem.ids[index]: (team, problem.sprints[sprint]) for index, (team, sprint) in plan.items()}
    counted = {
        item_id: tuple(where)
        for item_id, where in previous.items()
        if item_id in ids and problem.excluded.get(ids[item_id]) != "done"
    }
    entered = sorted(item_id for item_id in now if item_id not in counted)
    left = sorted(item_id for item_id in counted if item_id not in now)
    moved = sorted(item_id for item_id, where in counted.items() if item_id in now and now[item_id] != where)
    return Changes(tuple(entered), tuple(left), tuple(moved))


@dataclass(frozen=True)
class PlanResult:
    """The plan, how good it is proven to be, and the reason for every item left out."""

    status: PlanStatus
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
    baseline_keeps_balance: bool = True  # False: rank-and-fill could not keep the balance targets
    # Re-planning against a previous plan (None otherwise): this plan's changes against it, the best
    # value found with no regard for it, and the changes of that free plan.
    changes: Changes | None = None
    free_objective: float | None = None
    free_changes: Changes | None = None

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
        for name in ("objective", "bound", "gap", "baseline_objective", "free_objective"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise PlannerError(f"the plan's {name} is {number}, not a number JSON can hold: check the values")
        rows = self.capacity
        payload: dict[str, object] = {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "baseline_objective": self.baseline_objective,
            "selected": [{"id": a.id, "team": a.team, "sprint": a.sprint} for a in self.selected],
            "excluded": [{"id": e.id, "reason": e.reason} for e in self.excluded],
            "capacity": [
                {
                    "team": team,
                    "sprint": sprint,
                    "skill": None if pd.isna(skill) else skill,
                    "capacity": float(capacity),
                    "load": float(load),
                }
                for team, sprint, skill, capacity, load in zip(
                    rows["team"], rows["sprint"], rows["skill"], rows["capacity"], rows["load"]
                )
            ],
            "seconds": self.seconds,
            "message": self.message,
        }
        if self.changes is not None:
            payload["changes"] = self.changes.as_json()
            payload["free_objective"] = self.free_objective
        return payload


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
    phase gets what is left of it (:class:`~planner.solve.search.TimeBudget` says how): the search
    by team, the warm start, the whole model and its improvement, then the sprint order and the
    capacity prices, which are skipped (the message says so) when nothing is left for them.
    Rank-and-fill is always at hand: a search the time limit cuts short ends ``feasible`` with the
    best plan found (rank-and-fill at worst) and its gap to the best proven bound; ``infeasible``
    only when the Must and pinned items provably cannot fit.

    Raises :class:`~planner.errors.InputError` when the capacity tables cannot be used, when the
    backlog holds values or efforts a plan cannot weigh, or (given capacity tables) when a Must
    item is pinned to a sprint the capacity file does not have.
    """
    started = time.perf_counter()
    options = options or SolveOptions()
    deadline = options.deadline if options.deadline is not None else started + options.time_limit
    options = replace(options, deadline=deadline)
    budget = TimeBudget()

    # Capacity (the backlog checked first), then the problem: items no plan can take settled with their reason.
    net = _net_capacity(backlog, capacity, capacity_settings, today)
    problem = build_problem(backlog, net)
    # Baseline: rank-and-fill, as a spreadsheet fills sprints; every result reports its value.
    # Held to the same balance targets as the plan, so the gain compares like with like.
    baseline: Placement = rank_and_fill(problem, balance=options.balance) or {}  # None only around a given plan
    baseline_objective = plan_value(problem, baseline)
    # Input checks: Must items no plan can take (a missing skill, a deadline before every sprint ...).
    if problem.must_problems:
        return _infeasible(problem, net, baseline_objective, list(problem.must_problems), started)

    # A valid plan to start from (rank-and-fill's, else one around the Must and pinned items), or the proof
    # that those items cannot fit.
    finish = deadline - budget.finish_reserve(problem)  # the reasons and the result keep their time at the end
    work = replace(options, deadline=finish)
    baseline_valid = not plan_violations(problem, baseline, options.balance)
    start, fit = _start(problem, baseline if baseline_valid else None, work)
    if fit is not None and fit.status == "overflows":
        return _infeasible(problem, net, baseline_objective, list(fit.messages), started)
    # Re-planning: the previous plan made valid for the new inputs (the fewest-changes pass starts from it too).
    repaired = repaired_previous(problem, previous_positions(problem, options.previous)) if options.previous else []
    start_name = "rank-and-fill"
    if start is not None and repaired:
        # After a small change (a slider move) the previous plan, repaired, is often a better start
        # than rank-and-fill, and a better start shrinks the search.
        start, start_name = _better_start(problem, start, repaired, options)

    # Search: the bound, then the most valuable plan, with time kept back for the sprint order and the
    # prices; then the sprint order.
    # Re-planning against a previous plan: the search finds the value with no regard for it, and time
    # is kept back for the fewest-changes pass after the sprint order.
    notes: list[str] = []
    previous = options.previous or None
    free = replace(work, previous=None)
    order_seconds, price_seconds = budget.kept_back(problem, free, start or baseline)
    after = order_seconds + price_seconds
    stable_seconds = budget.stable_seconds(finish - after - time.perf_counter()) if previous else 0.0
    search = replace(free, deadline=finish - after - stable_seconds)
    solution = solve_for_value(problem, search, start, notes, budget, start_name)
    if solution.status == "infeasible":
        messages = list(fit.messages) if fit is not None and fit.status != "fits" else overflow(problem, work)
        return _infeasible(problem, net, baseline_objective, messages, started)
    if solution.status not in ("optimal", "feasible"):
        # No plan at all: the search found none in time and rank-and-fill cannot place every Must
        # and pinned item. Not a proof of infeasibility, so not reported as one.
        notes.insert(0, solution.message or "no plan was found")
        notes.append("rank-and-fill could not place every Must and pinned item either")
        notes += list(fit.messages) if fit is not None else []
        return _error(problem, net, baseline_objective, notes, started)
    status, gap = _status(problem, solution, options, notes)
    ordering = replace(free, deadline=finish - price_seconds - stable_seconds)
    ordered = order_sprints(problem, solution.assignments, ordering, notes, budget)

    # Verify: every rule checked again, independently of the solver.
    plan, status, bound, gap, violations = _checked(
        problem, ordered, solution.assignments, start, status, solution.bound, gap, options, notes
    )
    if violations:
        return _error(
            problem, net, baseline_objective, ["the solver's plan breaks a rule: " + "; ".join(violations[:5])], started
        )

    # Re-planning: the fewest changes against the previous plan within keep_within of the value found.
    changes, free_objective, free_changes = None, None, None
    if previous is not None:
        free_plan = plan
        stable = replace(work, deadline=finish - price_seconds)
        plan, status = _stable(problem, stable, previous, repaired, plan, status, notes)
        gap = relative_gap(plan_value(problem, plan), bound)
        changes = plan_changes_against(problem, previous, plan)
        notes += linked_changes(problem, previous, plan, changes)
        free_objective = plan_value(problem, free_plan)
        free_changes = plan_changes_against(problem, previous, free_plan)

    # Reasons and prices, and the result.
    prices = _prices(problem, plan, work, budget, notes)
    now = time.perf_counter()
    reasons = (
        replace(work, deadline=now + budget.thresholds_seconds(finish - now)) if options.exact_thresholds else None
    )
    result = _result(problem, net, status, plan, bound, gap, baseline_objective, prices, started, notes, reasons)
    return replace(
        result,
        baseline_complete=not plan_violations(problem, baseline),
        baseline_keeps_balance=not options.balance or not plan_violations(problem, baseline, options.balance),
        changes=changes,
        free_objective=free_objective,
        free_changes=free_changes,
    )


def _stable(
    problem: PlanProblem,
    options: SolveOptions,
    previous: Mapping[str, tuple[str, str]],
    repaired: list[Placement],
    free_plan: Placement,
    status: PlanStatus,
    notes: list[str],
) -> tuple[Placement, PlanStatus]:
    """The stable plan: the fewest changes against ``previous`` among plans worth (1 - keep_within) x the free plan's.

    ``free_plan``: the best plan found with no regard for ``previous`` (checked, in sprint order). The
    stable pass starts from ``repaired`` (``previous`` made valid: :func:`repaired_previous`) or from
    the free plan. ``optimal`` only when the free value was
    proven (within the gap) and the fewest changes too; else ``feasible``, and ``notes`` say which was not.
    """
    free_objective = plan_value(problem, free_plan)
    if status != "optimal":
        notes.append(
            f"the best value found, {free_objective:,.6g}, was not proven optimal: the stable plan keeps "
            f"within {options.keep_within:.2%} of it"
        )
    floor = (1 - options.keep_within) * free_objective
    starts = [*repaired, free_plan]
    solution = solve_stable(problem, options, _kept(problem, previous), floor, starts, notes)
    if solution.status not in ("optimal", "feasible"):
        notes.append("no stable plan was found: the plan is the free re-plan")
        return free_plan, "feasible" if status == "optimal" else status
    if solution.status != "optimal" and status == "optimal":
        status = "feasible"
    return solution.assignments, status


def _better_start(
    problem: PlanProblem, start: Placement, repaired: list[Placement], options: SolveOptions
) -> tuple[Placement, str]:
    """The most valuable valid plan of ``start`` (rank-and-fill's) and ``repaired``, with the name the notes use."""
    best, name = start, "rank-and-fill"
    for plan in repaired:
        if plan_value(problem, plan) > plan_value(problem, best) and not plan_violations(
            problem, plan, options.balance
        ):
            best, name = plan, "the previous plan, repaired"
    return best, name


def _kept(problem: PlanProblem, previous: Mapping[str, tuple[str, str]]) -> dict[int, tuple[str, int] | None]:
    """The candidates ``previous`` held: backlog index -> (team, sprint position); None: a sprint not planned now."""
    sprint_position = {name: position for position, name in enumerate(problem.sprints)}
    index_of = {item.id: item.index for item in problem.items}
    return {
        index_of[item_id]: (team, sprint_position[sprint]) if sprint in sprint_position else None
        for item_id, (team, sprint) in previous.items()
        if item_id in index_of
    }


def repaired_previous(problem: PlanProblem, previous: Placement) -> list[Placement]:
    """The previous plan made valid again, alone and filled around by rank-and-fill: starts for the stable pass.

    Items at a place they may no longer take are dropped; then, sprint by sprint and team by team,
    items are kept, most valuable first, while the team's people can still hold them; then items
    whose prerequisite is no longer planned before them are dropped. Plans that still break a rule
    (a Must item left out, a balance target) are filtered out by the stable pass.
    """
    items = {item.index: item for item in problem.items}
    plan: Placement = {}
    demand: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    order = sorted(previous.items(), key=lambda kv: (kv[1][1], -items[kv[0]].value, kv[0]))
    for index, (team, sprint) in order:
        item = items[index]
        if team not in item.teams or sprint not in item.sprints(problem.horizon):
            continue
        trial = dict(demand[(team, sprint)])
        for skill, effort in item.effort.items():
            trial[skill] = trial.get(skill, 0.0) + effort
        if fits(trial, problem.team_pools(team), sprint):
            demand[(team, sprint)] = defaultdict(float, trial)
            plan[index] = (team, sprint)
    dropped = True
    while dropped:
        dropped = False
        for index in list(plan):
            if any(p not in plan or plan[p][1] > plan[index][1] for p in items[index].prerequisites):
                del plan[index]
                dropped = True
    filled = rank_and_fill(problem, placed_already=plan)
    return [plan] + ([filled] if filled is not None and filled != plan else [])


def _net_capacity(
    backlog: pd.DataFrame,
    capacity: CapacityTables | CapacityResult,
    settings: CapacitySettings | None,
    today: date | None,
) -> CapacityResult:
    """Net capacity per person and sprint, the backlog checked first (:func:`check_plan_inputs`).

    Given capacity tables, Must items pinned to a sprint the file does not have are refused too; a
    capacity already computed does not know the file's sprints, so its caller checks the pins.
    """
    if isinstance(capacity, CapacityResult):
        check_plan_inputs(backlog)
        return capacity
    check_plan_inputs(backlog, capacity_sprint_names(capacity))
    return compute_capacity(capacity, settings or CapacitySettings(), today)


def _start(
    problem: PlanProblem, baseline: Placement | None, options: SolveOptions
) -> tuple[Placement | None, MustFit | None]:
    """A valid plan to start the search from, and what the Must and pinned items' own model said, if asked.

    ``baseline``: rank-and-fill's plan when it is valid, which is then the start. When rank-and-fill
    could not place the Must and pinned items, the small model of those items alone proves they
    cannot fit (``overflows``), or places them for rank-and-fill to fill around.
    """
    if baseline is not None:
        return baseline, None
    fit = must_fit(problem, options)
    if fit.status != "fits":
        return None, fit
    around = rank_and_fill(problem, placed_already=fit.plan)
    if around is not None and not plan_violations(problem, around, options.balance):
        return around, fit
    return None, fit


def _status(
    problem: PlanProblem, solution: Solution, options: SolveOptions, notes: list[str]
) -> tuple[PlanStatus, float | None]:
    """The status and gap of the search's plan: ``optimal`` once within the gap asked for.

    A ``feasible`` plan says why in ``notes`` (the time limit cut the search short), unless a phase said so.
    """
    gap = relative_gap(plan_value(problem, solution.assignments), solution.bound)
    status: PlanStatus = "optimal" if solution.status == "optimal" else "feasible"
    if status == "feasible" and gap is not None and gap <= options.gap:
        status = "optimal"
    if status == "feasible" and not any("time limit" in note for note in notes):
        notes.append("the search was cut short by the time limit before it proved the plan within the gap asked for")
    return status, gap


def _checked(
    problem: PlanProblem,
    ordered: Placement,
    unordered: Placement,
    baseline: Placement | None,
    status: PlanStatus,
    bound: float | None,
    gap: float | None,
    options: SolveOptions,
    notes: list[str],
) -> tuple[Placement, PlanStatus, float | None, float | None, list[str]]:
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
            return plan, "feasible", bound, relative_gap(plan_value(problem, plan), bound), []
    return ordered, "error", None, None, violations


_PRICES_SKIPPED = (
    "the capacity prices were skipped: too little of the time limit was left for them (the reasons "
    "of items left out for capacity do not say what value would have made the cut)"
)


def _prices(
    problem: PlanProblem, plan: Placement, options: SolveOptions, budget: TimeBudget, notes: list[str]
) -> pd.DataFrame:
    """The capacity prices, for the ``capacity`` reasons, when an item is out for capacity and time is left.

    Prices solve the LP relaxation of the whole problem: skipped, saying so in ``notes``, when that
    would run past ``options.deadline``.
    """
    needs_prices = any(item.index not in plan and all(p in plan for p in item.prerequisites) for item in problem.items)
    if needs_prices and budget.prices_seconds(problem) > seconds_left(options):
        notes.append(_PRICES_SKIPPED)
    elif needs_prices:
        return skill_prices(problem, options)
    return pd.DataFrame(columns=PRICE_COLUMNS)


def _result(
    problem: PlanProblem,
    net: CapacityResult,
    status: PlanStatus,
    plan: Placement,
    bound: float | None,
    gap: float | None,
    baseline_objective: float,
    prices: pd.DataFrame,
    started: float,
    notes: list[str],
    reasons_options: SolveOptions | None = None,
) -> PlanResult:
    """The result with the reason for every item left out. A bound or gap that is not a finite number is no bound.

    ``reasons_options``: the solver and the deadline for the exact "what would make it fit" values.
    """
    items = {item.index: item for item in problem.items}
    selected = tuple(
        Assignment(problem.ids[index], team, problem.sprints[sprint], items[index].value, items[index].total_effort)
        for index, (team, sprint) in sorted(plan.items(), key=lambda kv: (kv[1][1], kv[1][0], kv[0]))
    )
    reasons = exclusion_reasons(problem, plan, prices, problem.unit, reasons_options)
    excluded = tuple(reasons[index] for index in sorted(reasons))
    objective = plan_value(problem, plan)
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
        capacity_rows(problem, plan),
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
    """No plan: the Must and pinned items provably cannot all fit, and ``reasons`` say where."""
    message = "No plan can hold every Must and pinned item: " + "; ".join(reasons)
    return _no_plan(problem, net, "infeasible", baseline_objective, message, started)


def _error(
    problem: PlanProblem, net: CapacityResult, baseline_objective: float, notes: list[str], started: float
) -> PlanResult:
    """No plan, and no proof that there is none: ``notes`` say what went wrong."""
    return _no_plan(problem, net, "error", baseline_objective, "; ".join(notes), started)


def _no_plan(
    problem: PlanProblem,
    net: CapacityResult,
    status: PlanStatus,
    baseline_objective: float,
    message: str,
    started: float,
) -> PlanResult:
    return PlanResult(
        status,
        0.0,
        None,
        None,
        baseline_objective,
        (),
        _nothing_planned(problem, status),
        capacity_rows(problem, {}),
        pd.DataFrame(columns=PRICE_COLUMNS),
        time.perf_counter() - started,
        problem.unit,
        message,
        tuple(net.problems),
        problem.sprints,
    )


def _nothing_planned(problem: PlanProblem, status: PlanStatus) -> tuple[Exclusion, ...]:
    """Every item's reason when there is no plan (SPEC 3: every item is in selected or excluded).

    Items settled before solving keep their own reason; every other item is out for ``capacity``:
    with no plan, none of them is planned, the Must items that overflow included.
    """
    reasons = exclusion_reasons(problem, {}, pd.DataFrame(columns=PRICE_COLUMNS), problem.unit)
    why = (
        "no plan can hold every Must and pinned item (see the message)"
        if status == "infeasible"
        else "no plan was found (see the message)"
    )
    for item in problem.items:
        reasons[item.index] = Exclusion(item.id, "capacity", why)
    return tuple(reasons[index] for index in sorted(reasons))


def capacity_rows(problem: PlanProblem, assignments: Placement) -> pd.DataFrame:
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
