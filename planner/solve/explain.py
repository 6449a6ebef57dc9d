"""Why items are out, what a day of capacity is worth, and why a plan cannot be made.

- Reasons: every item out of the plan gets one (SPEC section 4). For ``capacity`` it says what
  value would have made the cut: given the time, the exact one (:func:`cut_thresholds`: every other
  item, effort and capacity held, the rest of the plan free to re-arrange around the item; one
  exact solve per item), else an estimate from the LP relaxation's duals, worded as an estimate.
- Prices: the value of one more day of a skill for a team in a sprint (the dual of that skill's
  capacity row in the LP relaxation): "one more backend day in pod-scale is worth N", with
  ``team_has_skill`` False where nobody in the team has the skill (a day only hiring or borrowing gives).
- Infeasible: when Must and pinned items cannot all fit, an elastic model lets each team's skill
  capacity overflow at a cost and reports where and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from time import perf_counter as _perf_counter
from typing import Literal, TypeAlias

import pandas as pd
import pulp

from planner.solve.model import (
    MIN_SOLVE_SECONDS,
    PlanModel,
    Solution,
    SolveOptions,
    build_model,
    estimated_terms,
    model_seconds,
    quiet_stdout,
    seconds_left,
    solve,
    solver_seconds,
)
from planner.solve.problem import Placement, PlanItem, PlanProblem, pool_serves

__all__ = [
    "PRICE_COLUMNS",
    "Exclusion",
    "FitStatus",
    "MustFit",
    "cut_thresholds",
    "exclusion_reasons",
    "must_fit",
    "overflow",
    "skill_prices",
    "team_has_skill",
]

# ``team_has_skill``: someone in the team has the skill (or it is the general one). A price for a
# skill the team lacks is what a day would be worth if the team hired or borrowed someone with it.
PRICE_COLUMNS = ["team", "skill", "sprint", "value_per_day", "team_has_skill"]
_TOLERANCE = 1e-6
_SHRINK = 1e-6


@dataclass(frozen=True)
class Exclusion:
    """An item left out of the plan: the reason code of SPEC section 4 and a sentence for people."""

    id: str
    reason: str
    detail: str = ""


def skill_prices(problem: PlanProblem, options: SolveOptions) -> pd.DataFrame:
    """Value of one more day (or point) of each skill per team and sprint, from the LP relaxation.

    Empty when there are no items, or when the LP is not solved by ``options.deadline`` (prices
    are an explanation, never worth missing the deadline for).
    """
    if not problem.items:
        return pd.DataFrame(columns=PRICE_COLUMNS)
    # Where the chosen items fill capacity exactly the LP is degenerate and any price between the
    # last item in and the first item out is "optimal"; shrinking capacity a hair makes the last
    # item in fractional, so its value per day is the price: what freeing a day would cost.
    shrunk = replace(
        problem,
        pools=tuple(replace(pool, capacity=tuple(c * (1 - _SHRINK) for c in pool.capacity)) for pool in problem.pools),
    )
    lp_options = replace(options, warm_start=None, time_limit=max(options.time_limit, 5))
    relaxed = build_model(shrunk, lp_options, relax=True)
    seconds = solver_seconds(relaxed, lp_options)
    if seconds < MIN_SOLVE_SECONDS:
        return pd.DataFrame(columns=PRICE_COLUMNS)
    with quiet_stdout():
        relaxed.lp.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=seconds, timeMode="elapsed"))
    if relaxed.lp.status != pulp.LpStatusOptimal:
        return pd.DataFrame(columns=PRICE_COLUMNS)
    rows = []
    for (team, skill, sprint), name in relaxed.skill_rows.items():
        price = relaxed.lp.get_constraint_by_name(name).pi or 0.0
        rows.append(
            {
                "team": team,
                "skill": skill,
                "sprint": problem.sprints[sprint],
                "value_per_day": max(price, 0.0),
                "team_has_skill": team_has_skill(problem, team, skill),
            }
        )
    return pd.DataFrame(rows, columns=PRICE_COLUMNS).astype({"team_has_skill": bool})


def team_has_skill(problem: PlanProblem, team: str, skill: str) -> bool:
    """Whether someone in ``team`` has ``skill`` (always, for the general skill, or a team of generalists)."""
    return any(pool_serves(pool, skill) for pool in problem.team_pools(team))


def exclusion_reasons(
    problem: PlanProblem,
    assignments: Placement,
    prices: pd.DataFrame,
    unit: str,
    options: SolveOptions | None = None,
) -> dict[int, Exclusion]:
    """One reason for every backlog item not in ``assignments``.

    For an item out for ``capacity``: given ``options`` (solver, balance targets, deadline), the
    value that really brings it in (:func:`cut_thresholds`: re-solved, the rest of the plan free to
    re-arrange around it), as long as ``options.deadline`` leaves time; otherwise, or without
    ``options``, an estimate from the capacity ``prices``, worded as one.
    """
    reasons = {
        index: Exclusion(problem.ids[index], reason, _settled_detail(reason))
        for index, reason in problem.excluded.items()
    }
    price = {
        (str(team), str(skill), problem.sprints.index(str(sprint))): float(value)
        for team, skill, sprint, value in zip(
            prices["team"], prices["skill"], prices["sprint"], prices["value_per_day"]
        )
    }
    cut = []
    for item in problem.items:
        if item.index in assignments:
            continue
        missing = [p for p in item.prerequisites if p not in assignments]
        if missing:
            prerequisite = problem.ids[missing[0]]
            reasons[item.index] = Exclusion(
                item.id, f"blocked-by {prerequisite}", f"its prerequisite {prerequisite} is not in the plan"
            )
        else:
            cut.append(item)
    exact = cut_thresholds(problem, assignments, [item.index for item in cut], options) if options and cut else {}
    for item in cut:
        if item.index in exact:
            detail = _exact_detail(item, exact[item.index], _smaller_effort(item, problem, price), unit)
        else:
            detail = _cut_detail(item, problem, price, unit)
        reasons[item.index] = Exclusion(item.id, "capacity", detail)
    return reasons


# No value brings the item in: with it, the Must and pinned items or the balance targets cannot be kept.
_NO_VALUE = float("inf")


def cut_thresholds(
    problem: PlanProblem, assignments: Placement, indices: list[int], options: SolveOptions
) -> dict[int, float]:
    """For items left out for capacity, the value above which the best plan takes them.

    "Everything else held" means every other item's value, effort and rule, and the capacity: the
    rest of the plan is free to re-arrange around the item. With ``best`` the best plan's value
    (re-solved exactly) and ``with_it`` the best plan's value once the item must be in, counting
    its value as nothing, the item comes in exactly when its value exceeds ``best - with_it``
    (``inf`` when no plan can hold it). Items whose solves are not proven optimal in the time
    ``options.deadline`` leaves are missing from the result (the caller then estimates).
    Each item is one exact solve of the whole model: for the small and middling plans that have
    the time; the caller's deadline decides how many get one.
    """
    if seconds_left(options) < model_seconds(estimated_terms(problem)) + MIN_SOLVE_SECONDS:
        return {}  # the model would not even be built in time (a large plan near its limit: 0.3 s wasted)
    exact = replace(
        options, gap=0.0, earliness=0.0, stability=0.0, previous=None, warm_start=None, root_only=False, deadline=None
    )
    model = build_model(problem, exact)
    start = _perf_counter()
    best = _timed_solve(model, exact, options)
    if best is None or best.status != "optimal":
        return {}  # the best plan is not proven: nothing exact to say
    per_solve = _perf_counter() - start
    items = {item.index: item for item in problem.items}
    found: dict[int, float] = {}
    for index in indices:
        if seconds_left(options) < 2 * per_solve + MIN_SOLVE_SECONDS:
            break
        if index in best.assignments:  # a tie (or the plan shown is not the best): a best plan holds it already
            continue
        forced = replace(
            problem,
            items=tuple(replace(item, must=True) if item.index == index else item for item in problem.items),
        )
        with_it = _timed_solve(build_model(forced, exact), exact, options)
        if with_it is not None and with_it.status == "infeasible":
            found[index] = _NO_VALUE
        elif with_it is not None and with_it.status == "optimal":
            found[index] = best.objective - (with_it.objective - items[index].value)
    return found


def _timed_solve(model: PlanModel, exact: SolveOptions, options: SolveOptions) -> Solution | None:
    """The exact solve, in what ``options.deadline`` leaves (None when nothing is left)."""
    left = seconds_left(options)
    if left < MIN_SOLVE_SECONDS:
        return None
    return solve(model, replace(exact, time_limit=min(options.time_limit, left)))


def _exact_detail(item: PlanItem, threshold: float, smaller: float | None, unit: str) -> str:
    """The re-solved value that brings the item in; the smaller effort is the price estimate, said as one."""
    if threshold == _NO_VALUE:
        return (
            "did not make the cut: no value would bring it in, as with it the Must and pinned items "
            "(and any balance targets) cannot all be kept"
        )
    effort = (
        f"or with an effort under about {smaller:.3g} {unit} (it has {item.total_effort:.3g}; an estimate from "
        "what a day is worth): re-estimate or split it"
        if smaller is not None
        else "or with less effort: re-estimate or split it"
    )
    return (
        f"did not make the cut: the best plan takes it only with a value above {threshold:.6g} (it has "
        f"{item.value:.6g}), the rest of the plan re-arranged around it; {effort}"
    )


def _smaller_effort(item: PlanItem, problem: PlanProblem, price: dict[tuple[str, str, int], float]) -> float | None:
    """The effort at which the capacity the item needs, priced at what a day is worth, costs its value."""
    cost = _cheapest_cost(item, problem, price)
    return item.total_effort * item.value / cost if cost > _TOLERANCE and item.value < cost else None


def _cheapest_cost(item: PlanItem, problem: PlanProblem, price: dict[tuple[str, str, int], float]) -> float:
    """The value the capacity the item needs is worth, at its cheapest team and sprint."""
    costs = [
        sum(effort * price.get((team, skill, sprint), 0.0) for skill, effort in item.effort.items())
        for team in item.teams
        for sprint in item.sprints(problem.horizon)
    ]
    return min(costs, default=0.0)


_SETTLED = {
    "done": "already done",
    "wont": "marked Won't",
    "not-estimated": "has no estimate: estimate it to plan it",
    "deadline": "its deadline falls before the end of every sprint in the plan",
    "too-big": "more than its team can hold in any sprint: split it",
}


def _settled_detail(reason: str) -> str:
    if reason in _SETTLED:
        return _SETTLED[reason]
    code, _, subject = reason.partition(" ")
    return {
        "blocked-by": f"its prerequisite {subject} is missing, Won't, or cannot be planned",
        "no-skill": f"no one on the teams that may take it has the skill '{subject}'",
        "unknown-team": f"team '{subject}' has nobody in the capacity file",
        "pinned-later": f"pinned to {subject}, which is outside the sprints planned",
    }.get(code, "")


def _cut_detail(item: PlanItem, problem: PlanProblem, price: dict[tuple[str, str, int], float], unit: str) -> str:
    """What value, or what smaller effort, would have made the cut, priced at the capacity it needs."""
    if not price:  # no prices (none needed, or no time for them): nothing to weigh the item against
        return "did not make the cut: the items chosen fill the capacity it needs"
    cost = _cheapest_cost(item, problem, price)
    if cost <= _TOLERANCE:
        return "did not make the cut: the items chosen fill the capacity it needs"
    if item.value >= cost:
        return (
            f"did not make the cut: the capacity it needs is worth about {cost:.4g} of value in the items "
            f"chosen (it has {item.value:.4g}): a close call, a little more capacity would bring it in"
        )
    smaller = _smaller_effort(item, problem, price)
    return (
        f"did not make the cut: priced at what a day is worth (an estimate, not re-planned: the value that "
        f"really brings it in may differ), it would need a value above about {cost:.4g} (it has "
        f"{item.value:.4g}), or an effort under about {smaller:.3g} {unit} (it has {item.total_effort:.3g})"
    )


FitStatus: TypeAlias = Literal["fits", "overflows", "unknown"]
"""Whether the Must and pinned items fit: see :class:`MustFit`."""


@dataclass(frozen=True)
class MustFit:
    """Whether the Must and pinned items (with their prerequisites) fit, and where they do not.

    ``status``: ``fits`` (``plan`` places them), ``overflows`` (proven: ``messages`` say where), or
    ``unknown`` (the time limit cut the diagnosis short; ``messages`` name the items).
    """

    status: FitStatus
    messages: tuple[str, ...]
    plan: Placement


def must_fit(problem: PlanProblem, options: SolveOptions) -> MustFit:
    """Whether the Must and pinned items fit, where they overflow, and a placement of them when they fit.

    Elastic model: Must and pinned items (and their prerequisites) forced in, every other item
    left out, and each team's skill capacity allowed to overflow; the solver minimises the
    overflow. Small (the forced items only), so it is cheap when rank-and-fill cannot place them:
    either a proof that no plan exists, or a placement to fill around. It gets what is left until
    ``options.deadline``, but at least a second: an infeasible plan has no other answer to give.
    """
    by_index = {item.index: item for item in problem.items}
    needed = [item.index for item in problem.items if item.must or item.pinned is not None]
    closure: set[int] = set()
    while needed:  # Must items need their prerequisites in the plan too
        index = needed.pop()
        if index not in closure:
            closure.add(index)
            needed.extend(by_index[index].prerequisites)
    forced = replace(problem, items=tuple(replace(by_index[i], must=True) for i in sorted(closure)))
    if not forced.items:
        return MustFit("fits", (), {})
    seconds = max(min(max(options.time_limit, 10.0), seconds_left(options)), 1.0)
    elastic_options = replace(
        options,
        solver="cbc",
        warm_start=None,
        gap=0.0,
        time_limit=seconds,
        deadline=None,
        balance=None,
        earliness=0.0,
        stability=0.0,
        root_only=False,
    )
    model = build_model(forced, elastic_options, elastic=True)
    slack = model.overflow
    model.lp.setObjective(pulp.LpAffineExpression([(variable, -1) for variable in slack.values()]))
    solution = solve(model, elastic_options)
    if solution.status == "infeasible":  # proven: no order of these items respects the rules
        return MustFit("overflows", tuple(_order_conflicts(forced)), {})
    if solution.status not in ("optimal", "feasible"):
        names = ", ".join(item.id for item in forced.items[:20]) + (" ..." if len(forced.items) > 20 else "")
        cut_short = (
            f"the diagnosis of where they overflow was cut short by the time limit; the Must and pinned "
            f"items (with their prerequisites) are: {names}"
        )
        return MustFit("unknown", (cut_short,), {})
    messages = []
    for (team, skill, sprint), variable in sorted(slack.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        extra = variable.varValue or 0.0
        if extra > _TOLERANCE:
            need = [
                item.id
                for item in forced.items
                if (item.index, team, sprint) in model.x
                and (model.x[(item.index, team, sprint)].varValue or 0) > 0.5
                and skill in item.effort
            ]
            available = forced.skill_capacity(team, skill, sprint)
            total, short, held = _distinct(extra + available, extra, available)
            messages.append(
                f"{team}, {problem.sprints[sprint]}, {skill}: Must and pinned items ({', '.join(need)}) need "
                f"{total} {problem.unit}, {short} more than the {held} available"
            )
    if not messages:
        return MustFit("fits", (), dict(solution.assignments))
    # Proven only when the search finished: stopped early, a plan with less overflow (or none) may exist.
    return MustFit("overflows" if solution.status == "optimal" else "unknown", tuple(messages), {})


def _distinct(need: float, short: float, available: float) -> tuple[str, str, str]:
    """The need, the shortfall and the capacity with as few decimals as keep them honest.

    Whole numbers stay whole ("need 7, 2 more than the 5 available"); otherwise one decimal more
    until the need and the capacity differ and the shortfall is not zero when shown ("need 11.93,
    0.03 more than the 11.90 available", never "need 11.9, 0.03 more than the 11.9 available").
    """
    for decimals in range(5):
        shown = [f"{number:.{decimals}f}" for number in (need, short, available)]
        if shown[0] != shown[2] and float(shown[1]) > 0 and abs(float(shown[1]) - short) <= 0.05 * short:
            return shown[0], shown[1], shown[2]
    return f"{need:.6g}", f"{short:.2g}", f"{available:.6g}"


def overflow(problem: PlanProblem, options: SolveOptions) -> list[str]:
    """Where Must and pinned items overflow capacity, as sentences; empty when they fit (see :func:`must_fit`)."""
    return list(must_fit(problem, options).messages)


def _order_conflicts(forced: PlanProblem) -> list[str]:
    messages = []
    for item in forced.items:
        for prerequisite in item.prerequisites:
            messages.append(
                f"{item.id} must come no earlier than {forced.ids[prerequisite]}: check their pins and deadlines"
            )
    return messages or ["the Must and pinned items cannot be ordered to respect their pins, deadlines and dependencies"]
