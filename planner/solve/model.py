"""The PuLP model of SPEC section 4: pick the items of highest value that fit, by team and sprint.

data (:class:`~planner.solve.problem.PlanProblem`) -> variables -> constraints -> objective -> solve ->
read back. Variables are named by position (``x_<item row>_<team>_<sprint>``), never by user ids,
so ids such as ``A-1``, ``A 1`` and ``A_1`` cannot collide.

The objective is the planned value with a small bonus that never lowers it: earlier sprints
weigh ``1 + earliness x (sprints left)``. It is >= 0, so the solver's bound on the objective is also
a bound on the plain planned value, which is what is reported.

Re-planning against a previous plan (:func:`~planner.solve.plan.make_plan` with ``previous``) is
lexicographic, not a bonus: the value is found first, then the *stable model* is the same model with
two more families, :func:`add_value_floor` (value at least a floor) and :func:`add_change_count`
(the changes against the previous plan, counted), and :func:`set_stable_objective` (fewest changes,
then value and earliness only as a tie-break worth less than one change).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import pulp

from planner.cells import comparable_key
from planner.errors import PlannerError
from planner.solve.problem import Placement, PlanProblem, SolveStatus, pool_serves

__all__ = [
    "MIN_SOLVE_SECONDS",
    "SOLVERS",
    "PlanModel",
    "Solution",
    "SolveOptions",
    "add_change_count",
    "add_value_floor",
    "build_model",
    "estimated_terms",
    "io_seconds",
    "model_seconds",
    "model_terms",
    "previous_positions",
    "quiet_stdout",
    "seconds_left",
    "set_stable_objective",
    "solve",
    "solver_seconds",
]

SOLVERS = ("cbc", "highs")


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: solver, limits, and the small objective weights."""

    solver: str = "cbc"
    time_limit: float = 30.0
    gap: float = 1e-4
    threads: int | None = None
    earliness: float = 1e-4
    # No longer weighs anything: re-planning is lexicographic (value, then fewest changes; see
    # make_plan). Kept so that callers that clear it (``replace(options, stability=0.0)``) still work.
    stability: float = 0.0
    previous: Mapping[str, tuple[str, str]] | None = None  # id -> (team, sprint name) of the last plan
    keep_within: float = 0.005  # re-planning: the value kept is at least (1 - keep_within) x the best found
    warm_start: Mapping[int, tuple[str, int]] | None = None  # backlog index -> (team, sprint position)
    balance: Mapping[str, float] | None = None  # item type -> least share of the planned effort (0-1)
    root_only: bool = False  # CBC: stop after the root node (its cuts give the bound; no branching)
    # "What would make it fit": re-solve for the exact value (a share of the time left), else the price
    # estimate, worded as one. The app turns it off: a slider move must not wait for the re-solves.
    exact_thresholds: bool = True
    # ``time.perf_counter()`` by which the whole plan must be ready: every solve ends by then, whatever
    # its own ``time_limit`` (None: no deadline beyond ``time_limit``). make_plan sets it.
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise PlannerError(f"unknown solver {self.solver!r}: choose {' or '.join(SOLVERS)}")
        if self.time_limit <= 0:
            raise PlannerError(f"the time limit must be positive, not {self.time_limit}")
        if not 0 <= self.gap < 1:
            raise PlannerError(f"the gap must be between 0 and 1, not {self.gap}")
        if not (isinstance(self.keep_within, (int, float)) and 0 <= self.keep_within < 1):
            raise PlannerError(f"keep-within must be at least 0 and below 1, not {self.keep_within}")
        for kind, share in (self.balance or {}).items():
            if not 0 <= share <= 1:
                raise PlannerError(f"the share for '{kind}' must be between 0 and 1 (0 % to 100 %), not {share}")
        if sum((self.balance or {}).values()) > 1:
            raise PlannerError("the balance targets add up to more than 100 % of the planned effort")


@dataclass
class PlanModel:
    """The PuLP problem with its variables, keyed by positions."""

    problem: PlanProblem
    lp: pulp.LpProblem
    x: dict[tuple[int, str, int], pulp.LpVariable]  # (backlog index, team, sprint) -> binary
    h: dict[tuple[int, str, int], pulp.LpVariable]  # (pool position, skill, sprint) -> days
    skill_rows: dict[tuple[str, str, int], str] = field(default_factory=dict)  # (team, skill, sprint) -> constraint
    overflow: dict[tuple[str, str, int], pulp.LpVariable] = field(default_factory=dict)  # elastic models only
    team_position: dict[str, int] = field(default_factory=dict)


def seconds_left(options: SolveOptions) -> float:
    """Seconds until ``options.deadline`` (infinite without one); negative once it has passed."""
    return math.inf if options.deadline is None else options.deadline - time.perf_counter()


@dataclass(frozen=True)
class Solution:
    """What the solver found, read back and not yet checked.

    ``stopped``: the time limit (or the deadline) ended the solve before it found a plan. That
    says nothing about feasibility, so callers fall back to a plan found another way; only
    ``infeasible`` is a proof that no plan exists.
    """

    status: SolveStatus
    assignments: Placement
    objective: float
    bound: float | None  # the gap is the caller's to compute, once, against its best bound
    seconds: float
    message: str = ""


def build_model(problem: PlanProblem, options: SolveOptions, relax: bool = False, elastic: bool = False) -> PlanModel:
    """Variables, constraints and objective for ``problem``.

    ``relax`` makes x continuous (for prices); ``elastic`` lets each skill capacity overflow through
    a variable in ``model.overflow`` (for explaining infeasible plans).
    """
    lp = pulp.LpProblem("sprint_plan", pulp.LpMaximize)
    model = PlanModel(problem, lp, {}, {}, team_position={t: n for n, t in enumerate(problem.teams)})
    # The MIP states capacity as subset rows (no continuous variables, so CBC prunes far better); the
    # LP for prices and the elastic model keep the people's time per skill, whose duals price a day.
    use_subsets = not relax and not elastic and _few_skills(problem)
    _add_variables(model, relax, with_time=not use_subsets)
    add_each_item_at_most_once(model)
    if use_subsets:
        add_skill_set_capacity(model)
    else:
        add_people_capacity(model)
        add_skill_capacity(model, elastic)
    add_dependencies(model)
    add_balance_targets(model, options.balance or {})
    _set_objective(model, options)
    return model


def _add_variables(model: PlanModel, relax: bool, with_time: bool = True) -> None:
    """x[i,t,s] only where allowed: the item's teams, its pinned sprint, sprints before its deadline."""
    category = pulp.LpContinuous if relax else pulp.LpBinary
    problem = model.problem
    add_variable = model.lp.add_variable
    x = model.x
    for item in problem.items:
        index, sprints = item.index, item.sprints(problem.horizon)
        for team in item.teams:
            prefix = f"x_{index}_{model.team_position[team]}_"
            for sprint in sprints:
                x[(index, team, sprint)] = add_variable(f"{prefix}{sprint}", 0, 1, cat=category)
    if not with_time:
        return
    demanded = _demanded_skills(problem)
    for position, pool in enumerate(problem.pools):
        for skill in sorted(demanded[pool.team]):
            if pool_serves(pool, skill):
                for sprint in range(problem.horizon):
                    skill_position = sorted(demanded[pool.team]).index(skill)
                    model.h[(position, skill, sprint)] = model.lp.add_variable(
                        f"h_{position}_{skill_position}_{sprint}", 0, pool.capacity[sprint]
                    )


def _demanded_skills(problem: PlanProblem) -> dict[str, set[str]]:
    demanded: dict[str, set[str]] = defaultdict(set)
    for item in problem.items:
        for team in item.teams:
            demanded[team].update(item.effort)
    return demanded


_MAX_SUBSET_SKILLS = 10


def _few_skills(problem: PlanProblem) -> bool:
    return all(len(skills) <= _MAX_SUBSET_SKILLS for skills in _demanded_skills(problem).values())


def _skill_sets(skills: list[str], pools: list, sprint: int) -> list[tuple[str, ...]]:
    """The skill sets whose capacity row is not implied by another's.

    A set's capacity is that of the people who have any of its skills. Kept: sets whose skills are
    linked through shared people (otherwise the row is the sum of its parts' rows) and to which no
    linked skill can be added without raising the capacity (otherwise the larger set's row is stronger).
    """
    serving = {skill: frozenset(n for n, pool in enumerate(pools) if pool_serves(pool, skill)) for skill in skills}

    def capacity(subset: tuple[str, ...]) -> float:
        people = frozenset().union(*(serving[skill] for skill in subset))
        return sum(pools[n].capacity[sprint] for n in people)

    def linked(subset: tuple[str, ...]) -> bool:
        reached, frontier = {subset[0]}, [subset[0]]
        while frontier:
            skill = frontier.pop()
            for other in subset:
                if other not in reached and serving[skill] & serving[other]:
                    reached.add(other)
                    frontier.append(other)
        return len(reached) == len(subset)

    kept: list[tuple[str, ...]] = []
    for size in range(1, len(skills) + 1):
        for subset in combinations(skills, size):
            if not linked(subset):
                continue
            own = capacity(subset)
            people = frozenset().union(*(serving[skill] for skill in subset))
            # Only an extra skill sharing people with the set makes a linked, kept superset whose
            # row implies this one (a skill nobody here has would prune rows that then go missing).
            if any(
                serving[extra] & people and capacity(subset + (extra,)) <= own + 1e-9
                for extra in skills
                if extra not in subset
            ):
                continue
            kept.append(subset)
    return kept


def add_skill_set_capacity(model: PlanModel) -> None:
    """For every set of skills, a team's items need no more of them in a sprint than its people with
    any of those skills hold (Gale's condition: exactly when the people can split their time to fit).
    """
    problem = model.problem
    efforts = {item.index: item.effort for item in problem.items}
    by_team_sprint: dict[tuple[str, int], list[tuple[int, pulp.LpVariable]]] = defaultdict(list)
    for (index, team, sprint), variable in model.x.items():
        by_team_sprint[(team, sprint)].append((index, variable))
    for (team, sprint), entries in sorted(
        by_team_sprint.items(), key=lambda kv: (model.team_position[kv[0][0]], kv[0][1])
    ):
        pools = problem.team_pools(team)
        skills = sorted({skill for index, _ in entries for skill in efforts[index]})
        for number, subset in enumerate(_skill_sets(skills, pools, sprint)):
            capacity = sum(p.capacity[sprint] for p in pools if any(pool_serves(p, skill) for skill in subset))
            terms = [(variable, sum(efforts[index].get(skill, 0.0) for skill in subset)) for index, variable in entries]
            terms = [(variable, need) for variable, need in terms if need > 0]
            if terms:
                name = f"skills_{model.team_position[team]}_{sprint}_{number}"
                fillable = fillable_capacity(capacity, [need for _, need in terms])
                model.lp += (pulp.LpAffineExpression(terms) <= fillable, name)


def fillable_capacity(capacity: float, efforts: list[float]) -> float:
    """The most that items of these efforts can fill: whole steps of their common step (1 point, half a day).

    Efforts of 1, 2, 3 and 5 points fill 9.6 points of capacity 9 at most; stating 9 instead of 9.6
    changes no plan but tightens the LP relaxation, which is what proves plans optimal (a backlog
    of 1-point items over 12 team-sprints: CBC from a 2 % gap after 30 s to proven at the root).
    Efforts with no common step of at least 1/100 keep the capacity as it is.
    """
    step = _common_step(frozenset(efforts))  # a row has thousands of items but a handful of distinct efforts
    if step is None:
        return capacity
    return float(step * math.floor(capacity / step + 1e-6))  # the tolerance keeps 8.9999999 at 9


@functools.lru_cache(maxsize=1024)  # the same few efforts in every row of every model: 0.1 ms a row
def _common_step(efforts: frozenset[float]) -> Fraction | None:
    steps = []
    for effort in efforts:
        fraction = Fraction(effort).limit_denominator(100)
        if fraction <= 0 or abs(float(fraction) - effort) > 1e-9:
            return None
        steps.append(fraction)
    denominator = math.lcm(*(step.denominator for step in steps))
    numerator = math.gcd(*(int(step * denominator) for step in steps))
    return Fraction(numerator, denominator)


def _item_sprint_vars(model: PlanModel) -> dict[int, dict[int, list[pulp.LpVariable]]]:
    by_item: dict[int, dict[int, list[pulp.LpVariable]]] = defaultdict(lambda: defaultdict(list))
    for (index, _team, sprint), variable in model.x.items():
        by_item[index][sprint].append(variable)
    return by_item


def add_each_item_at_most_once(model: PlanModel) -> None:
    """Each item is planned at most once; exactly once when it is Must or pinned."""
    by_item = _item_sprint_vars(model)
    for item in model.problem.items:
        variables = [v for per_sprint in by_item[item.index].values() for v in per_sprint]
        forced = item.must or item.pinned is not None
        if len(variables) == 1:
            # One place only: the variable's own bounds say it (a row per item slows the search).
            if forced:
                variables[0].lowBound = 1
            continue
        # Expressions from (variable, coefficient) pairs: lpSum's operator arithmetic is ten times slower.
        places = pulp.LpAffineExpression([(variable, 1) for variable in variables])
        if forced:
            model.lp += (places == 1, f"once_{item.index}")
        else:
            model.lp += (places <= 1, f"once_{item.index}")


def add_people_capacity(model: PlanModel) -> None:
    """People of a pool spend at most their net capacity in a sprint, over all the skills they have."""
    by_pool: dict[tuple[int, int], list[pulp.LpVariable]] = defaultdict(list)
    for (position, _skill, sprint), variable in model.h.items():
        by_pool[(position, sprint)].append(variable)
    for (position, sprint), variables in by_pool.items():
        if len(variables) > 1:  # a single variable already has the capacity as its upper bound
            capacity = model.problem.pools[position].capacity[sprint]
            model.lp += (
                pulp.LpAffineExpression([(v, 1) for v in variables]) <= capacity,
                f"people_{position}_{sprint}",
            )


def add_skill_capacity(model: PlanModel, elastic: bool = False) -> None:
    """A team's items need no more of a skill in a sprint than its people put on that skill.

    Elastic: plus an overflow of that skill, which the caller penalises.
    """
    problem = model.problem
    demand: dict[tuple[str, str, int], list[tuple[float, pulp.LpVariable]]] = defaultdict(list)
    efforts = {item.index: item.effort for item in problem.items}
    for (index, team, sprint), variable in model.x.items():
        for skill, effort in efforts[index].items():
            demand[(team, skill, sprint)].append((effort, variable))
    supply: dict[tuple[str, str, int], list[pulp.LpVariable]] = defaultdict(list)
    for (position, skill, sprint), variable in model.h.items():
        supply[(problem.pools[position].team, skill, sprint)].append(variable)
    skills = sorted({skill for (_team, skill, _sprint) in demand})
    for key, terms in sorted(demand.items(), key=lambda kv: (model.team_position[kv[0][0]], kv[0][1], kv[0][2])):
        team, skill, sprint = key
        name = f"skill_{model.team_position[team]}_{skills.index(skill)}_{sprint}"
        available = list(supply[key])
        if elastic:
            model.overflow[key] = model.lp.add_variable(f"over_{name}", 0)
            available.append(model.overflow[key])
        need = [(variable, effort) for effort, variable in terms] + [(variable, -1) for variable in available]
        model.lp += (pulp.LpAffineExpression(need) <= 0, name)
        model.skill_rows[key] = name


def add_dependencies(model: PlanModel) -> None:
    """An item starts no earlier than each prerequisite: by every sprint, planned only if the prerequisite is.

    As prefix sums: for each sprint s, (item planned in sprints <= s) <= (prerequisite planned in
    sprints <= s). A prerequisite that is not planned at all keeps the item out.
    """
    by_item = _item_sprint_vars(model)
    for item in model.problem.items:
        item_sprints = by_item[item.index]
        for prerequisite in item.prerequisites:
            before = by_item[prerequisite]
            # Checking at each sprint the item may take is enough: that sprint's prefix holds it.
            for sprint in sorted(item_sprints):
                terms = [(v, 1) for s, variables in item_sprints.items() if s <= sprint for v in variables]
                terms += [(v, -1) for s, variables in before.items() if s <= sprint for v in variables]
                model.lp += (pulp.LpAffineExpression(terms) <= 0, f"after_{item.index}_{prerequisite}_{sprint}")


def add_balance_targets(model: PlanModel, balance: Mapping[str, float]) -> None:
    """Items of a type take at least their target share of the planned effort (e.g. 20 % tech debt).

    Linear: effort of that type planned - share x all effort planned >= 0, over the horizon. Types
    are compared as labels (case, spaces and punctuation ignored).
    """
    if not balance:
        return
    efforts = {item.index: item.total_effort for item in model.problem.items}
    kinds = {item.index: comparable_key(item.kind or "") for item in model.problem.items}
    for number, (kind, share) in enumerate(sorted(balance.items())):
        target = comparable_key(kind)
        terms = [
            (variable, efforts[index] * ((1.0 if kinds[index] == target else 0.0) - share))
            for (index, _team, _sprint), variable in model.x.items()
        ]
        model.lp += (pulp.LpAffineExpression(terms) >= 0, f"balance_{number}")


def _set_objective(model: PlanModel, options: SolveOptions) -> None:
    """Maximise value, slightly more for earlier sprints."""
    problem = model.problem
    values = {item.index: item.value for item in problem.items}
    sprint_weight = [1 + options.earliness * (problem.horizon - 1 - sprint) for sprint in range(problem.horizon)]
    terms = [(variable, values[index] * sprint_weight[sprint]) for (index, _team, sprint), variable in model.x.items()]
    model.lp.setObjective(pulp.LpAffineExpression(terms))


def previous_positions(problem: PlanProblem, previous: Mapping[str, tuple[str, str]] | None) -> Placement:
    """The previous plan (id -> team, sprint name) as positions, for the items and sprints the problem has.

    Items that are no longer candidates and sprints that are no longer planned are left out.
    """
    if not previous:
        return {}
    sprint_position = {name: position for position, name in enumerate(problem.sprints)}
    index_of = {item.id: item.index for item in problem.items}
    return {
        index_of[item_id]: (team, sprint_position[sprint])
        for item_id, (team, sprint) in previous.items()
        if item_id in index_of and sprint in sprint_position
    }


# --- the stable model: re-planning against a previous plan -----------------------------------------


def add_value_floor(model: PlanModel, floor: float) -> None:
    """The plan is worth at least ``floor``: sum of value x planned >= floor (row ``value_floor``).

    The floor is (1 - keep-within) x the best value found with no regard for the previous plan, so
    keeping the previous plan never costs more value than the user allowed.
    """
    values = {item.index: item.value for item in model.problem.items}
    terms = [(variable, values[index]) for (index, _team, _sprint), variable in model.x.items() if values[index]]
    if floor > 0:
        model.lp += (pulp.LpAffineExpression(terms) >= floor, "value_floor")


def add_change_count(model: PlanModel, kept: Mapping[int, tuple[str, int] | None]) -> pulp.LpVariable:
    """A variable ``changes`` equal to the weighted changes against the previous plan (row ``change_count``).

    ``kept``: the candidate items the previous plan held, backlog index -> the (team, sprint position)
    it held them in, or None when that place is no longer planned (a sprint dropped). An item the
    previous plan held counts 2 when it leaves the plan and 1 when it moves to another sprint or
    team: with ``planned`` (sum of its x) and ``stays`` (its x at the old place, 0 when there is
    none), that is ``2 (1 - planned) + (planned - stays) = 2 - planned - stays``. Any other item counts
    2 when it enters: ``2 planned``. Linear in the binary x, with no more variables than the count.
    """
    terms: list[tuple[pulp.LpVariable, float]] = []
    for (index, team, sprint), variable in model.x.items():
        if index in kept:
            terms.append((variable, -2.0 if kept[index] == (team, sprint) else -1.0))
        else:
            terms.append((variable, 2.0))
    changes = model.lp.add_variable("changes", 0)
    expression = pulp.LpAffineExpression(terms + [(changes, -1.0)], constant=2.0 * len(kept))
    model.lp += (expression == 0, "change_count")
    return changes


def set_stable_objective(model: PlanModel, changes: pulp.LpVariable, options: SolveOptions) -> float:
    """Fewest changes first; among plans with as many, more value and earlier sprints (a tie-break).

    Minimise ``changes - tie``, the tie-break ``sum value x (1 + earliness' x sprints left) x / scale``
    scaled to stay below half a change for any plan, so it can never buy a change. Returns the scale.

    A minimisation on purpose: CBC given a start (``-mips``) for a maximisation whose objective is
    negative takes the start's value with the wrong sign, finds it beyond its bound and stops at the
    start, "optimal" (measured on the sample: 22 changes reported optimal where 4 were enough).
    """
    problem = model.problem
    values = {item.index: item.value for item in problem.items}
    earliness = 0.1 / max(problem.horizon, 1)  # the earliest sprint weighs at most 10 % more
    weight = [1 + earliness * (problem.horizon - 1 - sprint) for sprint in range(problem.horizon)]
    total = sum(max(value, 0.0) for value in values.values()) * (1 + earliness * max(problem.horizon - 1, 0))
    scale = 2.0 * max(total, 1.0)
    terms = [(changes, 1.0)] + [
        (variable, -values[index] * weight[sprint] / scale) for (index, _team, sprint), variable in model.x.items()
    ]
    model.lp.sense = pulp.LpMinimize
    model.lp.setObjective(pulp.LpAffineExpression(terms))
    return scale


# --- solving ---------------------------------------------------------------------------------------


def solve(model: PlanModel, options: SolveOptions) -> Solution:
    """Solve and read back the plan, the bound and an honest status.

    PuLP reports "Optimal" after a time limit with an incumbent; only ``sol_status`` and the
    solver's own log tell the truth, so both are read. A solve that ends on its time limit without a
    plan is ``stopped``, never ``infeasible``: only the solver's proof makes a plan infeasible. The
    solver gets ``options.time_limit``, cut to what the deadline leaves once the model is written
    and read back; with no time left it is not started (``stopped``).
    """
    limit = solver_seconds(model, options)
    if limit < MIN_SOLVE_SECONDS:
        return Solution("stopped", {}, 0.0, None, 0.0, "no time was left to search")
    if options.warm_start:
        _warm_start(model, options.warm_start)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "solver.log"
        solver = _solver(options, log, warm=bool(options.warm_start), seconds=limit)
        # Only HiGHS prints (its banner); CBC runs with its output closed, so solves may run side by side.
        quiet = quiet_stdout() if options.solver == "highs" else contextlib.nullcontext()
        try:
            with quiet:
                model.lp.solve(solver)
        except pulp.PulpSolverError as error:
            return Solution("error", {}, 0.0, None, time.perf_counter() - started, f"the solver failed: {error}")
        log_text = log.read_text(errors="replace") if log.exists() else ""
    seconds = time.perf_counter() - started
    stopped = _STOPPED.search(log_text) is not None
    if model.lp.status == pulp.LpStatusInfeasible or model.lp.sol_status == pulp.LpSolutionInfeasible:
        if not stopped and _may_be_infeasible(model) and not _reached(log_text, limit):
            return Solution("infeasible", {}, 0.0, None, seconds)
        stopped = True  # CBC's preprocessing, cut short by the time limit, says "infeasible": it is not a proof
    if model.lp.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        if stopped or model.lp.status in (pulp.LpStatusNotSolved, pulp.LpStatusInfeasible):
            # No plan, and no proof there is none: the caller keeps a plan found another way.
            return Solution(
                "stopped",
                {},
                0.0,
                _bound_without_plan(model, options, log_text),
                seconds,
                "the time limit ended the search before it found a plan",
            )
        return Solution(
            "error",
            {},
            0.0,
            None,
            seconds,
            f"the solver ended with status {pulp.LpStatus.get(model.lp.status, model.lp.status)}",
        )
    assignments = {
        index: (team, sprint) for (index, team, sprint), variable in model.x.items() if (variable.varValue or 0) > 0.5
    }
    values = {item.index: item.value for item in model.problem.items}
    objective = sum(values[index] for index in assignments)
    model_objective = pulp.value(model.lp.objective) or 0.0
    bound = _finite(_bound(model, options, log_text, model_objective))  # HiGHS says inf before its root is solved
    status: SolveStatus = "optimal" if model.lp.sol_status == pulp.LpSolutionOptimal else "feasible"
    bound = max(bound, objective) if bound is not None else None
    return Solution(status, assignments, objective, bound, seconds)


@functools.cache
def highs_installed() -> bool:
    """Whether HiGHS (highspy) can be used in this process."""
    return bool(pulp.HiGHS().available())


def small_model_solver(solver: str) -> str:
    """The solver for the many small models a search solves one after another (a team's part, a few sprints).

    HiGHS when installed, whatever ``solver`` the whole model uses: it runs in this process and starts
    at once, where each CBC solve is a process of its own, with the model written and read back
    (30-50 ms before it searches: a team's re-plan gets a tenth of a second).
    """
    return "highs" if highs_installed() else solver


MIN_SOLVE_SECONDS = 0.05  # less than this for the solver: not worth starting it
_IO_SECONDS = 0.02  # starting the solver and reading its files back, beyond the model's size (measured 4 ms)
_IO_SECONDS_PER_TERM = 5e-6  # writing the model, CBC reading it, reading the plan back (measured 4-5e-6)
_STOPPED = re.compile(r"^Result - Stopped on|^Partial search|^Stopped on|time limit reached", re.MULTILINE)


_BUILD_SECONDS_PER_TERM = 4e-6  # building the PuLP model, per variable and row entry (measured 3.4-4.6e-6)


def estimated_terms(problem: PlanProblem) -> int:
    """About how many variables and row entries :func:`build_model` makes for ``problem``, without building it.

    Each place (item, team, sprint) is a variable, an entry of the item's "at most once" row (when
    it has several places) and of about two capacity rows per skill; each dependency adds prefix
    rows over the sprints. Within a third of the real count on the benchmarks: enough to tell a
    model that builds in a second from one that does not build in the time left.
    """
    horizon = problem.horizon
    terms = 0
    for item in problem.items:
        places = len(item.teams) * len(item.sprints(horizon))
        terms += places * (1 + (places > 1) + 2 * len(item.effort)) + len(item.prerequisites) * places * horizon
    return terms


def model_seconds(terms: int) -> float:
    """Seconds to build a model of ``terms`` variables and entries, write it out and read a plan back."""
    return _BUILD_SECONDS_PER_TERM * terms + io_seconds(terms)


def model_terms(model: PlanModel) -> int:
    """Variables and constraint entries of the model: what writing it out costs."""
    return len(model.x) + len(model.h) + sum(len(constraint) for constraint in model.lp.constraints())


def io_seconds(terms: int) -> float:
    """Seconds PuLP takes to write a model of ``terms`` variables and entries and read its plan back."""
    return _IO_SECONDS + _IO_SECONDS_PER_TERM * terms


def solver_seconds(model: PlanModel, options: SolveOptions) -> float:
    """The solver's own time limit: ``options.time_limit``, cut to what the deadline leaves after the I/O."""
    left = seconds_left(options)
    if math.isinf(left):
        return options.time_limit
    return min(options.time_limit, left - io_seconds(model_terms(model)))


def _may_be_infeasible(model: PlanModel) -> bool:
    """Whether any plan could be infeasible: only forced items can make it so (no plan at all is valid)."""
    return any(item.must or item.pinned is not None for item in model.problem.items)


_WALLCLOCK = re.compile(r"Wallclock seconds\)?:\s*([0-9.]+)")


def _reached(log_text: str, limit: float) -> bool:
    """Whether CBC ran into its time limit (its own wall clock, from its log)."""
    times = [float(found) for found in _WALLCLOCK.findall(log_text)]
    return bool(times) and max(times) >= 0.95 * limit


def _bound_without_plan(model: PlanModel, options: SolveOptions, log_text: str) -> float | None:
    """The bound a solve stopped without a plan proved, when it got as far as solving the relaxation."""
    if options.solver == "highs":
        return _finite(_bound(model, options, log_text, 0.0))
    if "Continuous objective value" not in log_text:  # the relaxation itself was not solved: no bound
        return None
    found = _CBC_BOUND.search(log_text)
    return _finite(float(found.group(1))) if found else None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) and abs(value) < 1e30 else None


def _warm_start(model: PlanModel, start: Mapping[int, tuple[str, int]]) -> None:
    for (index, team, sprint), variable in model.x.items():
        variable.setInitialValue(1 if start.get(index) == (team, sprint) else 0)


def _solver(options: SolveOptions, log: Path, warm: bool, seconds: float) -> pulp.LpSolver:
    if options.solver == "highs":
        if not pulp.HiGHS().available():
            raise PlannerError("HiGHS is not installed: pip install highspy, or use --solver cbc")
        solver_class = _HiGHSWithStart if warm else pulp.HiGHS
        return solver_class(msg=False, timeLimit=seconds, gapRel=options.gap, threads=options.threads)
    # Wall-clock time (PuLP's default, said here because CBC's own default is CPU time, which runs
    # slower than the clock on a busy machine and faster with threads).
    return pulp.PULP_CBC_CMD(
        msg=False,
        timeLimit=seconds,
        gapRel=options.gap,
        threads=options.threads,
        warmStart=warm,
        logPath=str(log),
        maxNodes=0 if options.root_only else None,
        timeMode="elapsed",
    )


class _HiGHSWithStart(pulp.HiGHS):
    """PuLP's HiGHS, handing HiGHS the variables' initial values as a starting plan (PuLP does not)."""

    def callSolver(self, lp):
        import highspy

        start = highspy.HighsSolution()
        start.col_value = [float(variable.varValue or 0.0) for variable in lp.variables()]
        start.value_valid = True
        lp.solverModel.setSolution(start)
        lp.solverModel.run()


_CBC_BOUND = re.compile(r"^(?:Upper|Lower) bound:\s*(-?[0-9.eE+]+)", re.MULTILINE)


def _bound(model: PlanModel, options: SolveOptions, log_text: str, model_objective: float) -> float | None:
    """The solver's best bound on the objective (itself a bound on the planned value)."""
    if options.solver == "highs":
        highs = getattr(model.lp, "solverModel", None)
        # PuLP hands HiGHS the negated objective of a maximisation, so the dual bound comes back negated.
        return -float(highs.getInfo().mip_dual_bound) if highs is not None else None
    found = _CBC_BOUND.search(log_text)
    if found:
        return float(found.group(1))
    if model.lp.sol_status == pulp.LpSolutionOptimal:
        # CBC prints its bound only when it stops within the gap tolerance ("Optimal solution found
        # (within gap tolerance)"); with no bound line it proved the objective optimal outright.
        return model_objective
    return None


class _QuietStdout:
    """Standard output sent to /dev/null while any thread is inside :meth:`held`; restored after the last.

    The redirection is of the process's file descriptor 1, shared by every thread: two solves that
    each saved and restored it on their own could restore each other's /dev/null for good.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._saved: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                try:
                    self._saved = os.dup(1)
                    with open(os.devnull, "w") as devnull:
                        os.dup2(devnull.fileno(), 1)
                except OSError:
                    self._saved = None
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._saved is not None:
                    os.dup2(self._saved, 1)
                    os.close(self._saved)
                    self._saved = None


_QUIET = _QuietStdout()


def quiet_stdout() -> contextlib.AbstractContextManager[None]:
    """Keep solver banners (HiGHS prints one even with msg=False) off stdout, so --json stays clean."""
    return _QUIET.held()
