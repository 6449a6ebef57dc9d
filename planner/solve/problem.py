"""The planning problem: backlog items and capacity pools prepared for the model and the baseline.

Items that no plan could take are settled here, each with its one reason (SPEC section 4): ``done``,
``wont``, ``not-estimated``, ``unknown-team <team>``, ``deadline``, ``no-skill <skill>``,
``too-big``, ``pinned-later <sprint>`` and ``blocked-by <id>`` (a prerequisite that is missing, Won't
or itself settled out). The rest are candidates, with the teams and sprints each may go to.

Capacity comes as *pools*: the people of one team with the same skills, their net capacity summed
per sprint. People with blank skills have the ``general`` skill (SPEC section 2); effort with no skill
is ``general`` effort, which anyone can do. People added by the headcount what-if form a pool with no
skills, which can take any skill.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, SupportsFloat, TypeAlias

import numpy as np
import pandas as pd

from planner.capacity import CapacityResult
from planner.errors import InputError
from planner.input_problems import ERROR, Problem
from planner.schema import EFFORT_PREFIX, GENERAL_SKILL, MAX_NUMBER, CapacityTables, effort_skill_columns, split_list

__all__ = [
    "Placement",
    "PlanItem",
    "PlanProblem",
    "PlanStatus",
    "Pool",
    "SolveStatus",
    "allocate",
    "build_problem",
    "capacity_sprint_names",
    "check_plan_inputs",
    "drop_unreachable",
    "plan_value",
    "pool_serves",
    "unknown_sprint_pins",
    "unplannable_numbers",
]

# --- the words of the solve package ------------------------------------------------------------

Placement: TypeAlias = dict[int, tuple[str, int]]
"""A plan, or part of one: backlog index -> (team, sprint position)."""

SolveStatus: TypeAlias = Literal["optimal", "feasible", "infeasible", "stopped", "error"]
"""How one solve (or search) ended. ``optimal``: within the gap asked for; ``feasible``: a plan, not
proven within the gap; ``infeasible``: proven that no plan holds the Must and pinned items;
``stopped``: the time limit ended it before it found a plan (a proof of nothing); ``error``: no plan,
for another reason (the message says which)."""

PlanStatus: TypeAlias = Literal["optimal", "feasible", "infeasible", "error"]
"""How :func:`~planner.solve.plan.make_plan` ended (SPEC section 3): as :data:`SolveStatus`, but a search
stopped without a plan is an ``error`` (rank-and-fill could not place every Must and pinned item either)."""

_EPSILON = 1e-9
_GENERATED_SPRINT = re.compile(r"sprint \d+")  # the names of sprints made up without a sprints sheet


@dataclass(frozen=True)
class PlanItem:
    """One backlog item as the model sees it; ``index`` is its row in the backlog table."""

    index: int
    id: str
    title: str
    team: str | None
    effort: dict[str, float]  # skill -> days or points; GENERAL_SKILL when the item names no skill
    value: float
    must: bool = False
    pinned: int | None = None  # sprint position the item is pinned to
    last_sprint: int | None = None  # last sprint position the deadline allows (None: no deadline)
    prerequisites: tuple[int, ...] = ()  # backlog indexes of not-done prerequisites
    teams: tuple[str, ...] = ()  # teams that may take it
    kind: str | None = None  # the item's type (story, bug, tech debt ...), for balance targets
    first_sprint: int = 0  # first sprint position allowed (set when re-planning part of a plan)

    @property
    def total_effort(self) -> float:
        """All effort of the item, over its skills."""
        return sum(self.effort.values())

    def sprints(self, horizon: int) -> range:
        """Sprint positions the item may go to."""
        if self.pinned is not None:
            return range(self.pinned, self.pinned + 1)
        last = horizon - 1 if self.last_sprint is None else self.last_sprint
        return range(self.first_sprint, last + 1)


@dataclass(frozen=True)
class Pool:
    """People of one team with the same skills (empty: general), and their capacity per sprint."""

    team: str
    skills: frozenset[str]
    people: tuple[str, ...]
    capacity: tuple[float, ...]


def pool_serves(pool: Pool, skill: str) -> bool:
    """Whether people of ``pool`` can do effort of ``skill``."""
    return skill == GENERAL_SKILL or not pool.skills or skill in pool.skills


@dataclass(frozen=True)
class PlanProblem:
    """Everything the model needs, with the items settled before solving."""

    items: tuple[PlanItem, ...]  # candidates only
    excluded: dict[int, str]  # backlog index -> reason, for items no plan can take
    ids: tuple[str, ...]  # every backlog id, by backlog index
    sprints: tuple[str, ...]
    sprint_ends: tuple[pd.Timestamp, ...]
    teams: tuple[str, ...]
    pools: tuple[Pool, ...]
    unit: str = "days"
    must_problems: tuple[str, ...] = field(default=())  # why Must or pinned items cannot be planned

    @property
    def horizon(self) -> int:
        """Number of sprints planned."""
        return len(self.sprints)

    def team_pools(self, team: str) -> list[Pool]:
        """The pools of one team."""
        return [pool for pool in self.pools if pool.team == team]

    def skill_capacity(self, team: str, skill: str, sprint: int) -> float:
        """Most days (or points) ``team`` can put on ``skill`` in ``sprint``."""
        return sum(pool.capacity[sprint] for pool in self.team_pools(team) if pool_serves(pool, skill))


def drop_unreachable(items: dict[int, PlanItem]) -> list[PlanItem]:
    """Remove, in place, items whose prerequisite is not among ``items`` (repeated until settled); returns them."""
    dropped = []
    changed = True
    while changed:
        changed = False
        for index, item in list(items.items()):
            if any(p not in items for p in item.prerequisites):
                dropped.append(items.pop(index))
                changed = True
    return dropped


def plan_value(problem: PlanProblem, placement: Placement) -> float:
    """The planned value: the sum of the values of the items ``placement`` holds."""
    values = {item.index: item.value for item in problem.items}
    return float(sum(values[index] for index in placement))


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)


def build_problem(backlog: pd.DataFrame, capacity: CapacityResult) -> PlanProblem:
    """Prepare items and pools; settle every item no plan can take, with its reason."""
    sprints = tuple(str(name) for name in capacity.sprints["sprint"])
    sprint_ends = tuple(pd.Timestamp(end) for end in capacity.sprints["end"])
    pools = _pools(capacity, sprints)
    teams = tuple(sorted({pool.team for pool in pools}))
    team_lookup = {team.casefold(): team for team in teams}
    ids = tuple(str(item_id) for item_id in backlog["id"])
    position = {item_id: index for index, item_id in reversed(list(enumerate(ids)))}
    skill_columns = effort_skill_columns(backlog.columns)

    excluded: dict[int, str] = {}
    candidates: dict[int, PlanItem] = {}
    done = set()
    # Whole columns as lists once: cell-by-cell DataFrame access cost a second on 5,000 items.
    column = {
        name: _cells(backlog[name])
        for name in (
            "done",
            "moscow",
            "team",
            "sprint",
            "deadline",
            "value",
            "title",
            "effort",
            "skill",
            "depends_on",
            "type",
        )
    }
    skill_efforts = {name[len(EFFORT_PREFIX) :]: _cells(backlog[name]) for name in skill_columns}
    for index in range(len(backlog)):
        if bool(column["done"][index]):
            done.add(index)
            excluded[index] = "done"
            continue
        moscow = _text(column["moscow"][index])
        if moscow == "Won't":
            excluded[index] = "wont"
            continue
        effort = _effort(index, skill_efforts, column["effort"], column["skill"])
        if effort is None:
            excluded[index] = "not-estimated"
            continue
        team = _text(column["team"][index])
        if team is not None and team.casefold() not in team_lookup:
            excluded[index] = f"unknown-team {team}"
            continue
        eligible = (team_lookup[team.casefold()],) if team else teams
        pinned, pin_reason = _pin(_text(column["sprint"][index]), sprints)
        if pin_reason:
            excluded[index] = pin_reason
            continue
        last_sprint = _last_sprint(column["deadline"][index], sprint_ends)
        if last_sprint == -1 or (pinned is not None and last_sprint is not None and pinned > last_sprint):
            excluded[index] = "deadline"
            continue
        value = column["value"][index]
        candidates[index] = PlanItem(
            index=index,
            id=ids[index],
            title=_text(column["title"][index]) or "",
            team=team and team_lookup[team.casefold()],
            effort=effort,
            value=0.0 if value is None else _float(value),
            must=moscow == "Must",
            pinned=pinned,
            last_sprint=last_sprint,
            teams=eligible,
            kind=_text(column["type"][index]),
        )

    problem_pools = {team: [p for p in pools if p.team == team] for team in teams}
    # Items of the same size, teams and sprints fit alike: a backlog of 200,000 items has a few
    # hundred such shapes, and checking each item on its own took seconds.
    fit: dict[tuple, str | None] = {}
    for index, item in list(candidates.items()):
        shape = (tuple(sorted(item.effort.items())), item.teams, item.pinned, item.last_sprint)
        if shape not in fit:
            fit[shape] = _fit_reason(item, problem_pools, len(sprints))
        reason = fit[shape]
        if reason:
            excluded[index] = reason
            del candidates[index]

    prerequisites = {index: split_list(column["depends_on"][index]) for index in candidates}
    _settle_blocked(candidates, prerequisites, position, done, excluded, ids)
    items = tuple(_with_prerequisites(item, prerequisites[item.index], position, done) for item in candidates.values())
    must_problems = tuple(
        f"{ids[index]} is Must{' and pinned' if _text(column['sprint'][index]) else ''} but cannot be planned: {reason}"
        for index, reason in excluded.items()
        if reason not in ("done", "wont") and _text(column["moscow"][index]) == "Must"
    )
    return PlanProblem(items, excluded, ids, sprints, sprint_ends, teams, pools, capacity.unit, must_problems)


# --- input a plan cannot be made from ------------------------------------------------------------


def capacity_sprint_names(tables: CapacityTables) -> tuple[str, ...] | None:
    """The sprints the capacity file has (its sprints sheet); None without one (sprints are then made up)."""
    names = tables.sprints["sprint"] if "sprint" in tables.sprints else pd.Series([], dtype=object)
    found = tuple(str(name).strip() for name in names if _text(name) is not None and str(name).strip())
    return found or None


def same_sprint(pin: str, name: str) -> bool:
    """Whether a backlog's sprint names this sprint: case and surrounding spaces aside."""
    return pin.strip().casefold() == name.strip().casefold()


def unknown_sprint_pins(
    backlog: pd.DataFrame,
    sprints: Sequence[str] | None,
    file: str = "backlog",
    column: str = "sprint",
    sheet: str | None = None,
) -> list[Problem]:
    """Must items pinned to a sprint the capacity file does not have at all: one error each.

    A pin to a sprint of the file beyond the sprints planned is not an error (the item is
    ``pinned-later``); a pin to no sprint of the file is a typo or another file's sprint, and a Must
    item there would otherwise make the plan infeasible for a reason that is not about capacity.
    ``sprints``: the capacity file's sprints (:func:`capacity_sprint_names`); None when it has no
    sprints sheet, so that the sprints are made up as ``Sprint 1``, ``Sprint 2`` ...: any such name
    exists. Other items pinned to unknown sprints are left alone (they are settled ``pinned-later``).
    The problem names the file, the row (``source_row``), the column and the sprints there are.
    """
    if "sprint" not in backlog or "moscow" not in backlog:
        return []
    rows = _source_rows(backlog)
    done = backlog["done"].tolist() if "done" in backlog else [False] * len(backlog)
    listed = "; ".join(sprints) if sprints else "none (sprints are made up: Sprint 1, Sprint 2, ...)"
    problems = []
    for position, (item_id, pin, moscow) in enumerate(zip(backlog["id"], backlog["sprint"], backlog["moscow"])):
        pin, moscow = _text(pin), _text(moscow)
        if pin is None or not pin.strip() or moscow != "Must" or bool(done[position]):
            continue
        known = (
            any(same_sprint(pin, name) for name in sprints)
            if sprints is not None
            else _GENERATED_SPRINT.fullmatch(pin.strip().casefold()) is not None
        )
        if not known:
            problems.append(
                Problem(
                    ERROR,
                    f"{item_id} is Must and pinned to sprint '{pin}', which the capacity file does not have "
                    f"(its sprints: {listed}): fix the sprint name, or unpin the item",
                    file,
                    sheet,
                    rows[position],
                    column,
                )
            )
    return problems


def unplannable_numbers(backlog: pd.DataFrame, file: str = "backlog", sheet: str | None = None) -> list[Problem]:
    """Values and efforts a plan cannot weigh: infinite, or above :data:`MAX_NUMBER`. One error each.

    Missing numbers are fine (no value counts 0, no effort is ``not-estimated``).
    """
    columns = [name for name in ("value", "effort", *effort_skill_columns(backlog.columns)) if name in backlog]
    rows = _source_rows(backlog)
    ids = backlog["id"].tolist()
    problems = []
    for name in columns:
        numbers = pd.to_numeric(backlog[name], errors="coerce").astype("float64").to_numpy()
        for position in (abs(numbers) > MAX_NUMBER).nonzero()[0]:  # NaN compares False: missing is fine
            problems.append(
                Problem(
                    ERROR,
                    f"{ids[position]} has {name} {numbers[position]:.3g}: a plan cannot weigh numbers above "
                    f"{MAX_NUMBER:,.0f} (summed, they reach infinity); scale them down",
                    file,
                    sheet,
                    rows[position],
                    name,
                )
            )
    return problems


def _source_rows(backlog: pd.DataFrame) -> list[int | None]:
    """Each item's row in the user's file, or None where the table does not know it (made in the app)."""
    if "source_row" not in backlog:
        return [None] * len(backlog)
    return [int(row) if not pd.isna(row) and int(row) > 0 else None for row in backlog["source_row"]]


def check_plan_inputs(
    backlog: pd.DataFrame,
    sprints: Sequence[str] | bool | None = False,
    file: str = "backlog",
    sprint_column: str = "sprint",
    sheet: str | None = None,
) -> None:
    """Raise :class:`InputError` for a backlog no plan can be made from, listing every problem.

    Numbers a plan cannot weigh always; Must items pinned to a sprint the capacity file does not
    have when ``sprints`` are given (the file's sprint names, or None without a sprints sheet;
    ``False``: not known, not checked). The app and the command line call it with the file's name
    and headers; :func:`planner.solve.plan.make_plan` calls it too.
    """
    problems = unplannable_numbers(backlog, file, sheet)
    if sprints is not False:
        problems += unknown_sprint_pins(backlog, sprints, file, sprint_column, sheet)  # type: ignore[arg-type]
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise InputError(f"{count} in the backlog to fix before planning", problems)


def _pools(capacity: CapacityResult, sprints: tuple[str, ...]) -> tuple[Pool, ...]:
    people = capacity.person_sprint
    if people.empty:
        return ()
    rate = _points_per_day(capacity)
    names: dict[tuple[str, frozenset[str]], list[str]] = {}  # (team, skills) -> its people, in order
    days: dict[tuple[str, frozenset[str]], list[float]] = {}  # (team, skills) -> capacity per sprint
    sprint_position = {name: position for position, name in enumerate(sprints)}
    added_column = people["added"] if "added" in people else [False] * len(people)
    for team, skill_list, name, sprint, net, added in zip(
        people["team"], people["skills"], people["name"], people["sprint"], people["net"], added_column
    ):
        # A hire added by the headcount what-if is counted as able to take any skill: the what-if asks
        # what one more person would bring, and a team hires for what it needs.
        skills = frozenset() if bool(added) else frozenset(skill.casefold() for skill in split_list(skill_list))
        key = (str(team), skills)
        members = names.setdefault(key, [])
        capacity_per_sprint = days.setdefault(key, [0.0] * len(sprints))
        if name not in members:
            members.append(name)
        position = sprint_position.get(str(sprint))
        if position is not None:
            capacity_per_sprint[position] += float(net) * rate.get((str(team), str(sprint)), 1.0)
    return tuple(
        Pool(team, skills, tuple(names[(team, skills)]), tuple(days[(team, skills)]))
        for team, skills in sorted(names, key=lambda key: (key[0], sorted(key[1])))
    )


def _points_per_day(capacity: CapacityResult) -> dict[tuple[str, str], float]:
    if capacity.unit != "points":
        return {}
    rates = {}
    frame = capacity.team_sprint
    for team, sprint, net, net_days in zip(frame["team"], frame["sprint"], frame["net"], frame["net_days"]):
        rates[(str(team), str(sprint))] = float(net) / float(net_days) if net_days else 0.0
    return rates


def _cells(series: pd.Series) -> list[object]:
    """A column as plain Python values, missing ones as None."""
    return [
        None if value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value) else value
        for value in series.astype("object").tolist()
    ]


def _float(cell: object) -> float:
    """A number cell as a float: number columns hold Python floats; numeric text and numpy numbers read too."""
    if isinstance(cell, float | int | str | SupportsFloat):
        return float(cell)
    raise TypeError(f"a number was expected, not {cell!r}")


def _effort(
    index: int, skill_efforts: dict[str, list[object]], totals: list[object], skills: list[object]
) -> dict[str, float] | None:
    """Effort per skill, or None when the item has no estimate."""
    per_skill = {
        skill: _float(values[index])
        for skill, values in skill_efforts.items()
        if values[index] is not None and _float(values[index]) > 0
    }
    if per_skill:
        return per_skill
    total = totals[index]
    if total is None:
        return None
    skill = _text(skills[index])
    return {(skill.casefold() if skill else GENERAL_SKILL): _float(total)}


def _pin(sprint: str | None, sprints: tuple[str, ...]) -> tuple[int | None, str | None]:
    """Sprint position of a pin; a pin outside the horizon settles the item out."""
    if sprint is None:
        return None, None
    for position, name in enumerate(sprints):
        if same_sprint(sprint, name):
            return position, None
    return None, f"pinned-later {sprint}"


def _last_sprint(deadline: object, sprint_ends: tuple[pd.Timestamp, ...]) -> int | None:
    """Last sprint position ending on or before the deadline; -1 when none does; None: no deadline."""
    if deadline is None:
        return None
    if not isinstance(deadline, date | str | np.datetime64):  # the schema makes the column dates
        raise TypeError(f"a deadline must be a date, not {deadline!r}")
    if pd.isna(deadline):
        return None
    day = pd.Timestamp(deadline).normalize()
    allowed = [position for position, end in enumerate(sprint_ends) if end.normalize() <= day]
    return allowed[-1] if allowed else -1


def _fit_reason(item: PlanItem, pools: dict[str, list[Pool]], horizon: int) -> str | None:
    """``no-skill <k>`` when no eligible team has the skill; ``too-big`` when no team-sprint can hold it."""
    for skill in item.effort:
        if not any(pool_serves(pool, skill) for team in item.teams for pool in pools[team]):
            return f"no-skill {skill}"
    for team in item.teams:
        for sprint in item.sprints(horizon):
            if _fits_empty(item, pools[team], sprint):
                return None
    return "too-big"


def _fits_empty(item: PlanItem, pools: list[Pool], sprint: int) -> bool:
    """Whether the item alone fits the team's pools in one sprint."""
    return allocate(item.effort, {id(pool): pool.capacity[sprint] for pool in pools}, pools) is not None


def allocate(effort: dict[str, float], remaining: dict[int, float], pools: list[Pool]) -> dict[int, float] | None:
    """Days taken from each pool (by ``id``) to cover ``effort``, or None when it does not fit.

    Greedy: each skill takes from the most specialised pools first, so general people stay free
    for what only they can do. Exact for one skill; a good heuristic otherwise.
    """
    taken: dict[int, float] = {}
    for skill, need in sorted(effort.items(), key=lambda kv: kv[0] == GENERAL_SKILL):
        serving = sorted((p for p in pools if pool_serves(p, skill)), key=lambda p: (not p.skills, len(p.skills)))
        for pool in serving:
            free = remaining[id(pool)] - taken.get(id(pool), 0.0)
            take = min(need, max(free, 0.0))
            if take > 0:
                taken[id(pool)] = taken.get(id(pool), 0.0) + take
                need -= take
        if need > _EPSILON:
            return None
    return taken


def _settle_blocked(
    candidates: dict[int, PlanItem],
    prerequisites: dict[int, list[str]],
    position: dict[str, int],
    done: set[int],
    excluded: dict[int, str],
    ids: tuple[str, ...],
) -> None:
    """Items whose prerequisite is missing, Won't, or settled out cannot be planned: ``blocked-by <id>``."""
    changed = True
    while changed:
        changed = False
        for index in list(candidates):
            for prerequisite in prerequisites[index]:
                where = position.get(prerequisite)
                if where is not None and (where in done or where in candidates):
                    continue
                excluded[index] = f"blocked-by {prerequisite}"
                del candidates[index]
                changed = True
                break


def _with_prerequisites(item: PlanItem, names: list[str], position: dict[str, int], done: set[int]) -> PlanItem:
    open_prerequisites = tuple(dict.fromkeys(position[name] for name in names if position[name] not in done))
    if not open_prerequisites:
        return item
    return PlanItem(**{**item.__dict__, "prerequisites": open_prerequisites})
