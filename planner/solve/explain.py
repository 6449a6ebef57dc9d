"""Why items are out, what a day of capacity is worth, and why a plan cannot be made.

- Reasons: every item out of the plan gets one (SPEC section 4). For ``capacity`` it says what
  value, or what smaller effort, would have made the cut, priced by the LP relaxation's duals.
- Prices: the value of one more day of a skill for a team in a sprint (the dual of that skill's
  capacity row in the LP relaxation): "one more backend day in pod-scale is worth N".
- Infeasible: when Must and pinned items cannot all fit, an elastic model lets each team's skill
  capacity overflow at a cost and reports where and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

import pandas as pd
import pulp

from planner.solve.model import (
    MIN_SOLVE_SECONDS,
    SolveOptions,
    build_model,
    quiet_stdout,
    seconds_left,
    solve,
    solver_seconds,
)
from planner.solve.problem import Placement, PlanItem, PlanProblem

__all__ = [
    "PRICE_COLUMNS",
    "Exclusion",
    "FitStatus",
    "MustFit",
    "exclusion_reasons",
    "must_fit",
    "overflow",
    "skill_prices",
]

PRICE_COLUMNS = ["team", "skill", "sprint", "value_per_day"]
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
        rows.append({"team": team, "skill": skill, "sprint": problem.sprints[sprint], "value_per_day": max(price, 0.0)})
    return pd.DataFrame(rows, columns=PRICE_COLUMNS)


def exclusion_reasons(
    problem: PlanProblem, assignments: Placement, prices: pd.DataFrame, unit: str
) -> dict[int, Exclusion]:
    """One reason for every backlog item not in ``assignments``."""
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
            reasons[item.index] = Exclusion(item.id, "capacity", _cut_detail(item, problem, price, unit))
    return reasons


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
    costs = [
        sum(effort * price.get((team, skill, sprint), 0.0) for skill, effort in item.effort.items())
        for team in item.teams
        for sprint in item.sprints(problem.horizon)
    ]
    cost = min(costs, default=0.0)
    if cost <= _TOLERANCE:
        return "did not make the cut: the items chosen fill the capacity it needs"
    if item.value >= cost:
        return (
            f"did not make the cut: the capacity it needs is worth about {cost:.4g} of value in the items "
            f"chosen (it has {item.value:.4g}): a close call, a little more capacity would bring it in"
        )
    smaller = item.total_effort * item.value / cost
    return (
        f"did not make the cut: it would need a value above about {cost:.4g} (it has {item.value:.4g}), "
        f"or an effort under about {smaller:.3g} {unit} (it has {item.total_effort:.3g})"
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
            messages.append(
                f"{team}, {problem.sprints[sprint]}, {skill}: Must and pinned items ({', '.join(need)}) need "
                f"{extra + available:.3g} {problem.unit}, {extra:.3g} more than the {available:.3g} available"
            )
    if not messages:
        return MustFit("fits", (), dict(solution.assignments))
    # Proven only when the search finished: stopped early, a plan with less overflow (or none) may exist.
    return MustFit("overflows" if solution.status == "optimal" else "unknown", tuple(messages), {})


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
