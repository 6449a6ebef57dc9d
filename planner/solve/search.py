"""The search for the most valuable plan by a deadline, then the sprint order of the plan found.

:func:`solve_for_value` runs the search strategy; :class:`TimeBudget` says how much of the time
left each phase gets and which phases are worth starting. In order, each phase only when its models
can be built in its share of the time left (the message says when one was not):

1. the density bound (:func:`~planner.solve.baseline.density_bound`): instant for every size; it can
   prove the start within the gap at once, and leaves out of the search the items no better plan holds;
2. part by part (:mod:`~planner.solve.decompose`), with CBC and teams that share no items: when
   it proves the plan, nothing else is needed;
3. on a large model, every part solved once side by side (links between parts dropped): a plan and
   a bound in a quarter of the time, where the whole model's root would take seconds; otherwise the
   warm start (:mod:`~planner.solve.warmstart`): the sprint-by-sprint fill and the whole-horizon bound;
4. the whole model, with team-by-team improvement (:mod:`~planner.solve.improve`) beside it; or, when
   the whole model cannot be built in the time left, or is large and the time short, the improvement
   alone on both cores. The many small models of steps 3-4 (parts, re-plans) and of the sprint order
   run on HiGHS in this process when it is installed (``small_model_solver``): a CBC process takes
   30-50 ms to start, a tenth of what a re-plan gets at short limits.

:func:`order_sprints` then places the chosen items as early as they go, with the value held.

Re-planning against a previous plan, :func:`solve_stable` is the second pass: the fewest changes
against the previous plan among plans worth at least a floor (the value found, less what the user
allows), sprint order only as a tie-break.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from planner.solve.baseline import DensityBound, density_bound, rank_and_fill
from planner.solve.decompose import decomposable, solve_by_team, solve_parts_side_by_side, team_groups
from planner.solve.fewest_changes import (
    fewer_changes_by_team,
    fill_to_floor,
    mix_by_team,
    place_weight,
    unwind_to_floor,
)
from planner.solve.improve import TeamIndex, improve_by_team, team_part
from planner.solve.model import (
    MIN_SOLVE_SECONDS,
    PlanModel,
    Solution,
    SolveOptions,
    add_change_count,
    add_value_floor,
    build_model,
    estimated_terms,
    model_seconds,
    model_terms,
    seconds_left,
    set_stable_objective,
    small_model_solver,
    solve,
)
from planner.solve.problem import Placement, PlanProblem, SolveStatus, drop_unreachable, plan_value
from planner.solve.verify import plan_violations
from planner.solve.warmstart import sprint_by_sprint, whole_horizon_bound

__all__ = ["TimeBudget", "best_start", "order_sprints", "relative_gap", "solve_for_value", "solve_stable"]


@dataclass(frozen=True)
class TimeBudget:
    """How make_plan shares its one deadline: every share and time limit of its phases, in one place.

    A share is of the seconds left before the deadline when the phase starts (``left``); a phase
    whose models would take more than its build share of that to build is skipped, saying so.
    """

    # --- kept back from the search, for the steps after it -------------------------------------------
    finish_seconds: float = 0.05  # the reasons, the capacity rows and the result: a fixed part ...
    finish_seconds_per_item: float = 1e-5  # ... and per backlog item (200,000 items: about 1.5 s measured)
    solve_to_build: float = 2.0  # building, writing and solving a model: about twice its build and I/O alone
    order_share: float = 0.15  # at most this share of the time is kept from the search for the sprint order ...
    order_margin_seconds: float = 0.5  # ... and no more than its model's solve plus this (CBC's start, a first pass)
    price_share: float = 0.25  # prices that would take more than this share of the time are skipped
    # --- the search, in order ---------------------------------------------------------------------------
    parts_share: float = 0.25  # every part solved once side by side (a plan and a bound): this share ...
    parts_max_seconds: float = 0.1  # ... and at most this long a part (longer adds little a re-plan would not)
    by_team_build_share: float = 0.3  # part by part only when building its models takes at most this share ...
    by_team_share: float = 0.425  # ... and it may take this share (half the time, less a share for the rest)
    by_team_min_part_seconds: float = 0.1  # ... with at least this for each part's solve (a large model's)
    start_build_share: float = 0.2  # the warm start's models (about the whole model's size in all) ...
    start_share: float = 0.35  # ... and its share of the time
    model_build_share: float = 0.6  # the whole model only when building it leaves the solver 40 % of the time
    min_improve_seconds: float = 0.5  # team-by-team improvement in less time than this rarely gets one re-plan done
    beside_min_seconds: float = 2.0  # improvement beside the whole model: below this, two solves share too little
    beside_margin_seconds: float = 0.5  # ... and it stops this much before the whole model's time limit
    # The whole model's root (its cuts bound the plan tighter than the parts' bounds) takes seconds of
    # one core on a large model: below this time limit both cores improve the plan instead.
    root_beside_min_seconds: float = 4.0
    quick_root_seconds: float = 1.0  # a root this quick: the model is small enough for CBC's own search to prove ...
    quick_root_share: float = 0.25  # ... when it also took at most this share of the whole model's time limit
    after_root_min_seconds: float = 1.0  # the search after a quick root: at least this (the deadline still ends it)
    # A model this small always gets its search after the root, however long the root took: the
    # machine's load must not decide whether a plan is proven (the sample over 3 sprints is about
    # 1,500 terms; its root took 0.6 s on a quiet machine and 1.6 s on a busy one).
    small_model_terms: int = 10_000
    # --- the sprint order -----------------------------------------------------------------------------
    order_limit_share: float = 0.25  # the order takes at most this share of the time limit ...
    order_max_seconds: float = 10.0  # ... and at most this: an earlier sprint is a small bonus, never worth a wait
    order_min_team_seconds: float = 0.2  # each team's order: its model is small, but a solver needs this to start
    # --- re-planning against a previous plan -----------------------------------------------------------
    stable_share: float = 0.5  # the fewest-changes pass gets this share of the search's time (the value the rest)
    # --- the reasons ------------------------------------------------------------------------------------
    # "What would make it fit" re-solves the plan once per item left out for capacity: exact, but a
    # slider move must not wait for it. It gets this share of what is left, at most this long; the
    # items it has no time for get the price estimate, worded as an estimate.
    threshold_share: float = 0.25
    threshold_max_seconds: float = 2.0

    def finish_reserve(self, problem: PlanProblem) -> float:
        """Seconds kept back at the end of the deadline for the reasons and the result."""
        return self.finish_seconds + self.finish_seconds_per_item * len(problem.ids)

    def prices_seconds(self, problem: PlanProblem) -> float:
        """About what the LP relaxation for the prices takes: building, writing and solving it."""
        return self.solve_to_build * model_seconds(estimated_terms(problem)) + MIN_SOLVE_SECONDS

    def kept_back(self, problem: PlanProblem, options: SolveOptions, plan: Placement) -> tuple[float, float]:
        """Seconds kept from the search for the sprint order and for the capacity prices.

        The order re-plans the chosen items only (about as many as ``plan``, rank-and-fill's, places);
        the prices solve the LP relaxation of the whole problem, which on a huge backlog costs as much
        as the search: then none is kept (and the result skips them when no time is left).
        """
        left = max(seconds_left(options), 0.0)
        order = 0.0
        if problem.horizon > 1:
            chosen = replace(problem, items=tuple(item for item in problem.items if item.index in plan))
            solve_seconds = self.solve_to_build * model_seconds(estimated_terms(chosen))
            order = min(self.order_share * left, solve_seconds + self.order_margin_seconds)
        price = self.prices_seconds(problem)
        return order, (price if price <= self.price_share * left else 0.0)

    def by_team_builds(self, terms: int, left: float, parts: int) -> bool:
        """Part by part applies: its models (``terms`` in all) build in its share of ``left``.

        A large model's ``parts`` must also get at least ``by_team_min_part_seconds`` each: a CBC
        solve needs that to start, and on a large model the parts solved side by side (HiGHS) do better
        in a short time (measured: 2,000 items x 20 teams x 6 sprints at 3 s, 0.03 s a part, none proven).
        """
        part_seconds = self.by_team_seconds(left) / (2 * max(parts, 1))
        small = terms <= self.small_model_terms
        return model_seconds(terms) <= self.by_team_build_share * left and (
            small or part_seconds >= self.by_team_min_part_seconds
        )

    def by_team_seconds(self, left: float) -> float:
        """The time part by part may take."""
        return self.by_team_share * left

    def parts_seconds(self, left: float, parts: int, workers: int) -> float:
        """The time every part solved once side by side may take (``parts`` parts, ``workers`` at a time)."""
        return min(self.parts_share * left, self.parts_max_seconds * math.ceil(parts / workers))

    def start_builds(self, terms: int, left: float) -> bool:
        """The warm start applies: its models build in its share of ``left``."""
        return model_seconds(terms) <= self.start_build_share * left

    def start_seconds(self, left: float) -> float:
        """The time the warm start may take."""
        return self.start_share * left

    def whole_model_builds(self, terms: int, left: float) -> bool:
        """The whole model applies: building it leaves the solver enough of ``left``."""
        return model_seconds(terms) <= self.model_build_share * left

    def whole_model_seconds(self, left: float) -> float:
        """The whole model's time limit: all that is left."""
        return max(left, MIN_SOLVE_SECONDS)

    def improves(self, left: float) -> bool:
        """Team-by-team improvement alone is worth starting in ``left``."""
        return left >= self.min_improve_seconds

    def beside(self, time_limit: float) -> bool:
        """Improvement beside the whole model is worth starting in its ``time_limit``."""
        return time_limit >= self.beside_min_seconds

    def beside_seconds(self, time_limit: float) -> float:
        """The time improvement beside the whole model may take."""
        return time_limit - self.beside_margin_seconds

    def root_beside(self, time_limit: float, terms: int) -> bool:
        """The whole model (``terms`` variables and entries) is solved beside the improvement under ``time_limit``.

        A small model always is (CBC proves it in about a second); a large one's root only when the
        limit leaves it the seconds it takes.
        """
        return terms <= self.small_model_terms or time_limit >= self.root_beside_min_seconds

    def quick_root(self, spent: float, time_limit: float, terms: int) -> bool:
        """The whole model is small, or its root took so little, that its own search is worth running after it."""
        return terms <= self.small_model_terms or spent <= min(
            time_limit * self.quick_root_share, self.quick_root_seconds
        )

    def after_root_seconds(self, time_limit: float, spent: float) -> float:
        """The time limit of the whole model's search after a quick root."""
        return max(time_limit - spent, self.after_root_min_seconds)

    def order_seconds(self, left: float, time_limit: float) -> float:
        """The sprint order's time limit: what is left, within its share of the time limit."""
        return max(min(left, time_limit * self.order_limit_share, self.order_max_seconds), MIN_SOLVE_SECONDS)

    def stable_seconds(self, left: float) -> float:
        """Seconds kept from the value search for the fewest-changes pass, re-planning."""
        return self.stable_share * max(left, 0.0)

    def thresholds_seconds(self, left: float) -> float:
        """Seconds for the exact "what would make it fit" re-solves, ``left`` seconds before the deadline."""
        return min(self.threshold_share * max(left, 0.0), self.threshold_max_seconds)

    def order_team_seconds(self, left: float, teams_left: int) -> float:
        """One team's share of the sprint order's time left, ``teams_left`` teams (this one too) to go."""
        return max(left / teams_left, self.order_min_team_seconds)


def relative_gap(objective: float, bound: float | None) -> float | None:
    """How far ``objective`` is below ``bound``, as a share of the bound (None without a bound)."""
    return None if bound is None else max(bound - objective, 0.0) / max(abs(bound), 1e-9)


def _within_gap(objective: float, bound: float, options: SolveOptions) -> bool:
    gap = relative_gap(objective, bound)
    return gap is not None and gap <= options.gap


# --- the most valuable plan ------------------------------------------------------------------------


def solve_for_value(
    problem: PlanProblem,
    options: SolveOptions,
    baseline: Placement | None,
    notes: list[str],
    budget: TimeBudget,
    baseline_name: str = "rank-and-fill",
) -> Solution:
    """The most valuable plan found by ``options.deadline`` (sprint order comes later), with its best bound.

    Value first: with whole-number values the solver prunes by whole units, which the small
    sprint-order bonus would take away (a 30 s unproven solve becomes well under a second).
    A previous plan plays no part here (re-planning, :func:`solve_stable` comes after).

    The phases of the module's docstring, each with what ``budget`` gives it of the time left and
    each skipped when its models could not be built in time (saying so in ``notes``). The result
    is the best plan found (``baseline``, named ``baseline_name`` in the notes, at worst, when it is valid) with the
    tightest bound proven; ``infeasible`` only when the solver proves it and rank-and-fill has no
    valid plan either; ``stopped`` or ``error`` when no valid plan was found at all.
    """
    options = replace(options, previous=None)
    value_options = replace(options, earliness=0.0)
    cheap = density_bound(problem, team_groups(problem))
    if baseline is not None:
        best = Solution("feasible", dict(baseline), plan_value(problem, baseline), cheap.bound, 0.0)
        if _within_gap(best.objective, cheap.bound, options):
            return replace(best, status="optimal")
    else:
        best = Solution("stopped", {}, 0.0, cheap.bound, 0.0, "the search found no plan in time")
    core = _core(problem, cheap, baseline, options)
    terms = estimated_terms(core)

    groups = team_groups(core)
    if decomposable(core, options) and budget.by_team_builds(terms, seconds_left(options), len(groups)):
        share = budget.by_team_seconds(seconds_left(options))
        by_team = solve_by_team(core, replace(value_options, time_limit=share, deadline=time.perf_counter() + share))
        if by_team.status == "infeasible" and baseline is None:
            return by_team
        best = _keep_better(by_team, best) if by_team.status in ("optimal", "feasible") else best
        if by_team.status == "optimal":
            return best

    side_by_side = _parts_side_by_side(options, groups, terms, budget)
    if side_by_side:
        seconds = budget.parts_seconds(seconds_left(options), len(groups), _WORKERS)
        parts = solve_parts_side_by_side(core, value_options, best.assignments or None, seconds, _WORKERS)
        best = _keep_better(best, parts)
        if best.assignments and best.bound is not None and _within_gap(best.objective, best.bound, options):
            return replace(best, status="optimal")

    left = seconds_left(options)
    start, horizon_bound = best.assignments or None, None
    # After the parts the warm start adds little: its bound is looser and its plan about as good, in
    # twice the time (measured, 2,000 items x 20 teams x 6 sprints: parts 18,234 and 17,854 in 0.75 s,
    # warm start 18,384 and 17,937 in 1.4 s); the re-plans team by team find the value from either.
    if problem.horizon > 1 and options.solver == "cbc" and not side_by_side and budget.start_builds(terms, left):
        start_options = replace(options, time_limit=left, deadline=time.perf_counter() + budget.start_seconds(left))
        start, horizon_bound = best_start(core, start_options, start)
        if start is not None:
            best = _keep_better(best, Solution("feasible", start, plan_value(problem, start), horizon_bound, 0.0))
            start = best.assignments
        elif horizon_bound is not None:
            best = replace(best, bound=horizon_bound if best.bound is None else min(best.bound, horizon_bound))
    if best.assignments and best.bound is not None and _within_gap(best.objective, best.bound, options):
        return replace(best, status="optimal")  # within the gap of a proven bound: no need to search further

    left = seconds_left(options)
    if not budget.whole_model_builds(terms, left):
        # Too big for the time left: one team's part at a time is small, so improve the plan that way.
        found = baseline_name if best.assignments == baseline else "the best plan found before it"
        before = best.objective
        if best.assignments and len(core.teams) > 1 and budget.improves(left) and not options.balance:
            improved = improve_by_team(core, dict(best.assignments), value_options, seconds=left)
            best = _keep_better(best, Solution("feasible", improved, plan_value(problem, improved), None, 0.0))
        notes.append(
            f"the search was cut short by the time limit: the whole model ({terms:,} variables and "
            f"entries) could not be built and searched in the {max(left, 0.0):.1f} s left, so the plan is "
            f"{found}" + (", improved team by team" if best.objective > before else "")
        )
        return best
    model_options = replace(value_options, warm_start=start, time_limit=budget.whole_model_seconds(left))
    whole = _whole_model(core, model_options, start, budget, best.bound)
    if whole.status == "infeasible" and not best.assignments:
        return whole
    if whole.status == "stopped" and best.assignments:
        notes.append(
            "the search was cut short by the time limit before it found a plan: the plan is the best "
            "found before it" + (f" ({baseline_name})" if best.assignments == baseline else "")
        )
    elif whole.status == "error" and best.assignments:
        notes.append(
            f"{whole.message}: the plan is the best found before the search"
            + (f" ({baseline_name})" if best.assignments == baseline else "")
        )
    if whole.status == "infeasible":  # rank-and-fill's plan is valid: the solver is wrong, keep the plan
        notes.append("the solver reported no plan, but rank-and-fill found one: showing it")
        return best
    return _keep_better(whole, best)


def _core(problem: PlanProblem, cheap: DensityBound, incumbent: Placement | None, options: SolveOptions) -> PlanProblem:
    """``problem`` without the items no plan more valuable than ``incumbent`` can hold.

    Reduced-cost fixing on the density bound: a plan holding an item is worth at most the bound
    less the item's penalty, so an item whose penalty exceeds what the bound leaves above
    ``incumbent`` is in no better plan. On a long backlog most items are far below the cut (200,000
    items for a few thousand places), and the search's models shrink by as much. Kept always: Must
    and pinned items and ``incumbent``'s items (so it stays a valid start), with their prerequisites;
    items whose prerequisite is left out go too. Any plan better than ``incumbent`` is a plan of the
    core, so the core's bound (at least ``incumbent``'s value) bounds the whole problem. Not with
    balance targets, whose rules weigh more than value.
    """
    if incumbent is None or options.balance:
        return problem
    slack = cheap.bound - plan_value(problem, incumbent) + 1e-9 * max(1.0, abs(cheap.bound))
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


def best_start(
    problem: PlanProblem, options: SolveOptions, baseline: Placement | None
) -> tuple[Placement | None, float | None]:
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
    return max(starts, key=lambda start: plan_value(problem, start), default=None), bound


def _whole_model(
    problem: PlanProblem, options: SolveOptions, start: Placement | None, budget: TimeBudget, bound: float | None
) -> Solution:
    """The whole model's solve and, with CBC and several teams, team-by-team improvement beside it.

    On large multi-sprint plans CBC's search of the whole model rarely gets past its start, but its
    cuts at the root give the bound; re-planning one team at a time with the rest held
    (:mod:`planner.solve.improve`) finds the value. The two run side by side (CBC is a separate process),
    the improvement stops once the whole model's bound shows its plan within the gap, and the
    better plan is kept. Under ``budget.root_beside_min_seconds`` the root would take the time of
    one core for a bound little tighter than ``bound`` (the best found before), so the improvement
    has both cores and stops once its plan is within the gap of ``bound``. HiGHS solves the whole
    model itself.
    """
    improvable = _improvable(problem, options)
    if start is not None and improvable and not budget.root_beside(options.time_limit, estimated_terms(problem)):
        improved = improve_by_team(
            problem,
            start,
            options,
            seconds=options.time_limit,
            enough=lambda value: bound is not None and _within_gap(value, bound, options),
        )
        return Solution("feasible", improved, plan_value(problem, improved), None, 0.0)
    model = build_model(problem, options)
    if start is None or not improvable or not budget.beside(options.time_limit):
        return solve(model, options)
    with ThreadPoolExecutor(max_workers=1) as pool:
        whole = pool.submit(_bound_first, model, options, budget)

        def within_gap(value: float) -> bool:
            """Enough improving: the whole model proved its own plan, or bounds this one within the gap."""
            if not whole.done():
                return False
            proven = whole.result()
            return proven.status == "optimal" or (
                proven.bound is not None and _within_gap(value, proven.bound, options)
            )

        improved = improve_by_team(
            problem,
            start,
            options,
            seconds=budget.beside_seconds(options.time_limit),
            busy=lambda: not whole.done(),
            enough=within_gap,
        )
        solution = whole.result()
    return _keep_better(solution, Solution("feasible", improved, plan_value(problem, improved), None, 0.0))


def _bound_first(model: PlanModel, options: SolveOptions, budget: TimeBudget) -> Solution:
    """The whole model's root (its cuts give the bound), then its full search only if the root was quick.

    On a large model the root takes seconds and the search after it finds neither value nor bound,
    so stopping there frees the second core for team-by-team improvement (and lets it stop once the
    bound shows its plan within the gap); a small model's root takes a fraction of a second and its
    search proves the plan optimal.
    """
    started = time.perf_counter()
    root = solve(model, replace(options, root_only=True))
    spent = time.perf_counter() - started
    if root.status != "feasible" or not budget.quick_root(spent, options.time_limit, model_terms(model)):
        return root
    search = replace(
        options, warm_start=root.assignments, time_limit=budget.after_root_seconds(options.time_limit, spent)
    )
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
    status: SolveStatus = solution.status if better is solution else "feasible"
    return replace(better, status=status, bound=bound, seconds=solution.seconds)


_WORKERS = 2  # solves side by side: the machine the planner is made for has two cores


def _parts_side_by_side(options: SolveOptions, groups: list[tuple[str, ...]], terms: int, budget: TimeBudget) -> bool:
    """Every part solved once side by side applies: CBC's path, several parts, a large model, no balance targets.

    A small model CBC proves whole in about a second, sooner than the parts would bound it. Balance
    targets weigh every part's plan against the others', so they are left to the whole model.
    """
    return options.solver == "cbc" and len(groups) > 1 and terms > budget.small_model_terms and not options.balance


def _improvable(problem: PlanProblem, options: SolveOptions) -> bool:
    """Team-by-team improvement applies, beside the whole model or alone: CBC, several teams and sprints, no balance.

    Balance targets tie every team's plan to the others', so they are left to the whole model.
    """
    return options.solver == "cbc" and len(problem.teams) > 1 and problem.horizon > 1 and not options.balance


# --- the sprint order ------------------------------------------------------------------------------

_ORDER_NOT_DONE = (
    "the sprint order was not optimised: too little of the time limit was left for it (every item "
    "is in a sprint it may take, not necessarily the earliest)"
)


def order_sprints(
    problem: PlanProblem, assignments: Placement, options: SolveOptions, notes: list[str], budget: TimeBudget
) -> Placement:
    """Second pass: the same items, placed as early as they can go.

    Every chosen item is forced in, so the value stays; the objective is only the sprint order.
    Several teams: each team's items are ordered in turn,
    the others held (small models, a fraction of the time); otherwise the whole plan at once. It
    gets what is left until ``options.deadline`` (within ``budget``'s share of the time limit); a
    plan that cannot be improved in that time is kept as it is, and ``notes`` says so when the
    time ran out.
    """
    if not assignments or problem.horizon == 1:
        return assignments
    chosen = replace(
        problem, items=tuple(replace(item, must=True) for item in problem.items if item.index in assignments)
    )
    left = seconds_left(options)
    ordering = replace(
        options,
        previous=None,
        warm_start=assignments,
        earliness=1.0,
        gap=max(options.gap, 1e-3),
        time_limit=budget.order_seconds(left, options.time_limit),
    )
    if len(problem.teams) > 1:
        return _order_team_by_team(chosen, assignments, ordering, notes, budget)
    if model_seconds(estimated_terms(chosen)) + MIN_SOLVE_SECONDS > left:
        notes.append(_ORDER_NOT_DONE)
        return assignments
    solution = solve(build_model(chosen, ordering), ordering)
    if solution.status in ("optimal", "feasible") and set(solution.assignments) == set(assignments):
        return solution.assignments
    if solution.status == "stopped":
        notes.append(_ORDER_NOT_DONE)
    return assignments


def _order_team_by_team(
    chosen: PlanProblem, assignments: Placement, ordering: SolveOptions, notes: list[str], budget: TimeBudget
) -> Placement:
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
            solver=small_model_solver(ordering.solver),  # measured: orders a team in half CBC's time
            threads=1,
            warm_start={index: plan[index] for index in mine},
            time_limit=budget.order_team_seconds(left, len(chosen.teams) - position),
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


# --- re-planning: the fewest changes ------------------------------------------------------------------

_STABLE_NOT_PROVEN = (
    "the fewest changes against the previous plan were not proven in the time limit: the plan is the "
    "stable plan found with the fewest changes"
)


def change_weight(kept: Mapping[int, tuple[str, int] | None], plan: Placement) -> int:
    """The weighted changes of ``plan`` (candidates only) against the previous plan, as :func:`add_change_count` counts.

    ``kept``: the candidates the previous plan held, with their place (None: a place no longer planned).
    Leaving counts 2, moving 1, entering 2 (:func:`~planner.solve.fewest_changes.place_weight`).
    """
    return sum(place_weight(kept, index, plan.get(index)) for index in kept.keys() | plan.keys())


# The fewest-changes pass re-plans team by team first only when it has less than this: measured on the
# sample (3 sprints, command line, 30 s), the whole model then proved the same fewest changes in 2-20 s
# from the team pass's plan, against 2-7 s from the greedy starts alone; at the app's 3 s it halves them.
TEAM_PASS_BEFORE_SECONDS = 5.0


def few_changes_starts(
    problem: PlanProblem,
    starts: list[Placement],
    kept: Mapping[int, tuple[str, int] | None],
    floor: float,
    options: SolveOptions,
) -> list[Placement]:
    """Plans with few changes found greedily, for the fewest-changes pass to start from.

    The start with the fewest changes filled up towards ``floor``, the starts worth it unwound, and
    the best mix of all of them team by team (:mod:`~planner.solve.fewest_changes`). Within half the
    time left at most, so the solver may still look for fewer changes from them. Some may be worth
    less than ``floor``: the pass leaves those out.
    """
    deadline = time.perf_counter() + seconds_left(options) / 2
    found: list[Placement] = []
    fewest = min(starts, key=lambda plan: change_weight(kept, plan), default=None)
    if fewest is not None:
        found.append(fill_to_floor(problem, fewest, kept, floor, deadline))
    for start in starts:
        if plan_value(problem, start) >= floor and change_weight(kept, start) > 0:
            found.append(unwind_to_floor(problem, start, kept, floor, deadline))
    mixed = mix_by_team(problem, [*starts, *found], kept, floor, deadline, options.balance)
    return found + ([] if mixed is None else [mixed])


def solve_stable(
    problem: PlanProblem,
    options: SolveOptions,
    kept: Mapping[int, tuple[str, int] | None],
    floor: float,
    starts: list[Placement],
    notes: list[str],
) -> Solution:
    """The plan with the fewest changes against the previous plan among those worth at least ``floor``.

    The stable model is the whole model (every rule of :func:`~planner.solve.model.build_model`)
    with :func:`~planner.solve.model.add_value_floor`, :func:`~planner.solve.model.add_change_count`
    and :func:`~planner.solve.model.set_stable_objective`: fewest changes, then value and earliness
    as a tie-break worth less than one change. It starts from the best of ``starts`` (the previous plan
    repaired, the free plan ...) and of the greedy plans made from them (:func:`few_changes_starts`)
    that keeps every rule and the floor: a start with no change at all is the answer (nothing can do
    better), and the solver is not run. With less than ``TEAM_PASS_BEFORE_SECONDS`` left, each team's
    fewest changes with the rest held come first (:func:`~planner.solve.fewest_changes.fewer_changes_by_team`).
    The solver must prove its plan
    within half a change of the fewest; a solve cut short keeps the better of its plan and the start,
    ``feasible``, saying so in ``notes``. ``stopped`` when no start keeps the rules and the floor.
    """
    tolerance = 1e-6 * max(1.0, abs(floor))
    starts = starts + few_changes_starts(problem, starts, kept, floor, options)
    valid = [
        start
        for start in starts
        if plan_value(problem, start) >= floor - tolerance and not plan_violations(problem, start, options.balance)
    ]
    if not valid:
        return Solution("stopped", {}, 0.0, None, 0.0, "no plan keeps the value floor")
    start = min(valid, key=lambda plan: (change_weight(kept, plan), -plan_value(problem, plan)))
    best = Solution("feasible", dict(start), plan_value(problem, start), None, 0.0)
    weight = change_weight(kept, start)
    if weight == 0:
        return replace(best, status="optimal")
    if seconds_left(options) < TEAM_PASS_BEFORE_SECONDS:
        # Too little time for the whole model to prove much: team by team first (small models, proven
        # fast), with half the time; the whole model then starts from it.
        by_team = fewer_changes_by_team(problem, start, kept, floor, options, seconds_left(options) / 2)
        if change_weight(kept, by_team) < weight:
            start, weight = by_team, change_weight(kept, by_team)
            best = Solution("feasible", dict(start), plan_value(problem, start), None, 0.0)
    if model_seconds(estimated_terms(problem)) + MIN_SOLVE_SECONDS > seconds_left(options):
        notes.append(_STABLE_NOT_PROVEN)
        return best
    stable = replace(options, earliness=0.0, previous=None, warm_start=None)
    model = build_model(problem, stable)
    add_value_floor(model, floor - tolerance)
    changes = add_change_count(model, kept)
    set_stable_objective(model, changes, stable)
    # The objective is -changes + a tie-break below half a change: a relative gap of 0.4 / (changes + 1)
    # proves the plan within 0.4 of the fewest changes, so with as few as any plan.
    gap = min(options.gap, 0.4 / (weight + 1))
    left = seconds_left(options)
    if left < MIN_SOLVE_SECONDS:  # building the model took what was left (a busy machine)
        notes.append(_STABLE_NOT_PROVEN)
        return best
    solution = solve(model, replace(stable, warm_start=start, gap=gap, time_limit=left))
    found = solution.assignments
    if (
        solution.status in ("optimal", "feasible")
        and plan_value(problem, found) >= floor - tolerance
        and not plan_violations(problem, found, options.balance)
        and (change_weight(kept, found), -plan_value(problem, found)) <= (weight, -best.objective)
    ):
        best = Solution(solution.status, found, plan_value(problem, found), None, solution.seconds)
    if best.status != "optimal":
        notes.append(_STABLE_NOT_PROVEN)
    return best
