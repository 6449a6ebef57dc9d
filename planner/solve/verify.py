"""Check a plan against the rules, independently of the solver that made it.

A solver can report success and still hand back a plan that breaks a rule (a time limit, a
tolerance, a bug of ours); every plan is checked here before it is shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from planner.cells import comparable_key
from planner.solve.problem import Placement, PlanItem, PlanProblem, Pool, pool_serves

__all__ = ["fits", "plan_violations"]

_TOLERANCE = 1e-6
_MAX_EXACT_SKILLS = 14


def fits(demand: dict[str, float], pools: list[Pool], sprint: int) -> bool:
    """Whether pools can cover a team's skill demand in a sprint.

    Exact by Gale's condition for transport problems: for every set of skills, their demand is at
    most the capacity of the pools that serve any of them (``2^skills`` sets; skills are few). Each
    set is its smallest skill added to a smaller set, so its demand and its people are one step from
    that set's (a check runs for every changed team sprint of every re-plan).
    """
    skills = [skill for skill, need in demand.items() if need > _TOLERANCE]
    if len(skills) > _MAX_EXACT_SKILLS:
        total = sum(pool.capacity[sprint] for pool in pools)
        return sum(demand.values()) <= total + _TOLERANCE
    serving = [sum(1 << n for n, pool in enumerate(pools) if pool_serves(pool, skill)) for skill in skills]
    need_of = [0.0] * (1 << len(skills))  # skill set (a bit per skill) -> its demand
    people_of = [0] * (1 << len(skills))  # skill set -> the pools serving any of its skills (a bit per pool)
    supply_of: dict[int, float] = {0: 0.0}
    for subset in range(1, 1 << len(skills)):
        smallest = subset & -subset
        rest, skill = subset ^ smallest, smallest.bit_length() - 1
        need_of[subset] = need = need_of[rest] + demand[skills[skill]]
        people_of[subset] = people = people_of[rest] | serving[skill]
        if people not in supply_of:
            supply_of[people] = sum(pool.capacity[sprint] for n, pool in enumerate(pools) if people >> n & 1)
        if need > supply_of[people] + _TOLERANCE * max(1.0, need):
            return False
    return True


def plan_violations(
    problem: PlanProblem,
    assignments: Placement,
    balance: Mapping[str, float] | None = None,
    changed: Collection[int] | None = None,
) -> list[str]:
    """Every rule the plan breaks, in words; an empty list means the plan is valid.

    ``balance``: item type -> least share of the planned effort, when the plan was asked to keep one.
    ``changed``: the items whose place differs from a valid plan (moved, added or dropped): only the
    rules those items take part in are checked (their own, their dependents', and the capacity of
    the team sprints they enter), the same verdict as the whole check for a fraction of its cost
    (re-planning one team of twenty checks a sprint or two of one team, not the whole plan).
    """
    problems: list[str] = []
    items = {item.index: item for item in problem.items}
    ids = problem.ids
    to_check: Iterable[int] = assignments
    must_check: Iterable[PlanItem] = problem.items
    if changed is not None:
        near = set(changed)
        near.update(item.index for item in problem.items if near.intersection(item.prerequisites))  # dependents
        to_check = [index for index in near if index in assignments]
        must_check = [items[index] for index in changed if index in items]
    for index in to_check:
        team, sprint = assignments[index]
        item = items.get(index)
        if item is None:
            problems.append(f"{ids[index]} is planned but cannot be ({problem.excluded.get(index, 'unknown')})")
            continue
        if team not in item.teams:
            problems.append(f"{item.id} is planned for team {team}, which may not take it")
        if sprint not in item.sprints(problem.horizon):
            problems.append(f"{item.id} is planned in {problem.sprints[sprint]}, outside its pin or deadline")
        for prerequisite in item.prerequisites:
            placed = assignments.get(prerequisite)
            if placed is None or placed[1] > sprint:
                problems.append(f"{item.id} is planned before its prerequisite {ids[prerequisite]}")
    for item in must_check:
        if (item.must or item.pinned is not None) and item.index not in assignments:
            problems.append(f"{item.id} is {'Must' if item.must else 'pinned'} but not planned")
    entered = None if changed is None else {assignments[index] for index in changed if index in assignments}
    demand: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for index, place in assignments.items():
        if index in items and (entered is None or place in entered):
            for skill, effort in items[index].effort.items():
                demand[place][skill] += effort
    for (team, sprint), need in demand.items():
        if not fits(need, problem.team_pools(team), sprint):
            problems.append(f"{team} is over capacity in {problem.sprints[sprint]}")
    if changed is not None and not balance:
        return problems
    planned = [items[index] for index in assignments if index in items]
    total = sum(item.total_effort for item in planned)
    for kind, share in (balance or {}).items():
        of_kind = sum(item.total_effort for item in planned if comparable_key(item.kind or "") == comparable_key(kind))
        if of_kind < share * total - _TOLERANCE * max(1.0, total):
            problems.append(f"{kind} has {of_kind:g} of {total:g} planned, under its {share:.0%} share")
    return problems
