"""Improve a valid plan one team at a time: re-plan a team's items with the rest of the plan held.

A large multi-sprint plan is many small plans tied together by a few dependencies between teams.
The whole model is too big for CBC to search well in seconds (it rarely gets past its starting plan),
but one team's part (about a hundred items over a few sprints) it searches properly. Each team's
part is re-planned from where it is, with everything else held: items planned for other teams stay
where they are, so an item may only follow a prerequisite another team plans, and an item another
team depends on must stay planned in time. A re-plan is kept only when it adds value, so the plan
never gets worse. Two teams may be re-planned at once (HiGHS, in this process, lets go of Python's
lock while it searches; CBC, when HiGHS is not installed, is a process per solve); their plans are
checked together before they are kept. Two teams linked by a dependency are also re-planned together
(a few sprints at a time): one team alone cannot bring in an item whose prerequisite the other left
out. HiGHS does the re-plans whatever solver the whole model
uses: measured on 2,000 items x 20 teams x 6 sprints, two seconds of re-plans from rank-and-fill
reach 18,092 with HiGHS (one thread each) and 17,725 with CBC processes, against a bound of 18,194.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace

from planner.solve.model import Solution, SolveOptions, build_model, seconds_left, small_model_solver, solve
from planner.solve.problem import Placement, PlanItem, PlanProblem, drop_unreachable
from planner.solve.verify import plan_violations

__all__ = ["TeamIndex", "improve_by_team", "linked_teams", "team_part"]


_WINDOWS = (2, 3)  # sprints re-planned at once after a first round over each team's whole horizon
_WHOLE_FIRST_MIN_SECONDS = 0.5  # the first round is each team's whole horizon when each gets this long
_Kind = tuple[bool, int | None]  # (two linked teams at once, sprints at once: None for the whole horizon)
_WHOLE: _Kind = (False, None)


def improve_by_team(
    problem: PlanProblem,
    plan: Placement,
    options: SolveOptions,
    seconds: float,
    busy: Callable[[], bool] | None = None,
    enough: Callable[[float], bool] | None = None,
) -> Placement:
    """A plan at least as valuable as ``plan``, from re-planning one team (and a few sprints) at a time.

    Rounds (:func:`_round_kinds`): each team's whole horizon (briefly: a team's whole part is hard
    to finish), then each team two sprints at a time, then two teams linked by a dependency
    together, two sprints at a time, then each team three sprints at a time, and again, until a
    whole cycle adds no value or ``seconds`` are spent; when ``seconds`` are too few for the whole
    horizons to matter, the cycle starts at the two-sprint round. A re-plan proven optimal is not
    run again while its part and the plan in it are unchanged. Teams with the most value left out go
    first. Two re-plans run side by side when ``busy`` (the other work sharing the machine) says
    the second core is free; the search stops early when ``enough`` says a plan of this value is
    good enough (within the gap of a bound). ``plan`` must be valid; so is the result. It ends by
    ``options.deadline`` too: a re-plan the time limit stops without a plan is simply not kept.
    """
    stop = time.perf_counter() + min(seconds, seconds_left(options))
    team_index = TeamIndex.of(problem)
    values = {item.index: item.value for item in problem.items}
    plan = dict(plan)
    best = sum(values[index] for index in plan)
    pairs = linked_teams(problem)
    kinds = _round_kinds(problem, bool(pairs))
    whole_team_cap = seconds / (2 * max(len(problem.teams), 1))
    # A team's whole horizon first only when each team gets long enough for it to matter (measured on
    # 2,000 items x 20 teams x 6 sprints: 8-14 of 20 whole parts proven in 0.65 s; with 0.2 s a part,
    # starting from two-sprint windows found more by 10 s, starting whole found more by 30 s).
    level = 0 if whole_team_cap >= _WHOLE_FIRST_MIN_SECONDS or len(kinds) == 1 else 1
    rounds_without_gain, round_number = 0, 0
    running: dict[Future, tuple[tuple[str, ...], range, PlanProblem]] = {}
    proven: set[tuple] = set()  # parts (as _fingerprint names them) whose re-plan was proven optimal
    with ThreadPoolExecutor(max_workers=2) as pool:
        while rounds_without_gain < len(kinds) and time.perf_counter() < stop:
            kind = kinds[level]
            queue = deque(_tasks(problem, plan, values, kind, pairs))
            gained = False
            while (queue or running) and time.perf_counter() < stop:
                if enough is not None and enough(best):
                    rounds_without_gain = len(kinds)  # good enough: no further rounds
                    break
                workers = 1 if busy is not None and busy() else 2
                busy_teams = {team for teams, _, _ in running.values() for team in teams}
                for _ in range(len(queue)):
                    if len(running) >= workers:
                        break
                    teams, window = queue.popleft()
                    if busy_teams.intersection(teams):  # one re-plan per team at a time
                        queue.append((teams, window))
                        continue
                    cap = whole_team_cap if kind == _WHOLE and round_number < len(kinds) else seconds
                    step = _step(problem, plan, teams, window, options, stop, workers, len(queue) + 1, cap, team_index)
                    if step is None or _fingerprint(step[0], plan, teams, window) in proven:
                        continue  # nothing to re-plan, or this very part was proven before: the same answer
                    running[pool.submit(solve, build_model(*step), step[1])] = (teams, window, step[0])
                    busy_teams.update(teams)
                if not running:
                    break
                done, _ = wait(
                    running, timeout=max(min(stop - time.perf_counter(), 0.1), 0.0), return_when=FIRST_COMPLETED
                )
                for future in done:
                    teams, window, part = running.pop(future)
                    solution = future.result()
                    candidate = _merged(plan, teams, window, solution)
                    changed = set() if candidate is None else _changed(plan, candidate)
                    value = -1.0 if candidate is None else best + _value_change(plan, candidate, changed, values)
                    if candidate is not None and solution.status == "optimal":
                        # Proven: the part with the plan it found, and with the plan here when that is as good.
                        proven.add(_fingerprint(part, candidate, teams, window))
                        if value <= best:
                            proven.add(_fingerprint(part, plan, teams, window))
                    if candidate is None:  # the re-plan found no plan in its time
                        continue
                    # Side by side, two teams' plans can clash through a dependency between them: checked.
                    if value > best and not plan_violations(problem, candidate, changed=changed):
                        plan, best, gained = candidate, value, True
            if rounds_without_gain < len(kinds):
                rounds_without_gain = 0 if gained else rounds_without_gain + 1
            level = (level + 1) % len(kinds)
            round_number += 1
        for future in running:
            future.cancel()
    return plan


def _round_kinds(problem: PlanProblem, with_pairs: bool) -> list[_Kind]:
    """The rounds in their cycle: each team's whole horizon, two sprints, linked pairs two sprints, three sprints.

    Linked pairs (two teams an item of one depends on the other's) only ``with_pairs`` (there are
    such teams), and windows only when shorter than the horizon. Measured on 2,000 items x 20 teams x 6 sprints
    (seed 1, 30 s): the pairs' round, after the two-sprint one, took the plan from 18,143 to 18,155.
    """
    kinds: list[_Kind] = [_WHOLE]
    for size in _WINDOWS:
        if size < problem.horizon:
            kinds.append((False, size))
            if size == _WINDOWS[0] and with_pairs:
                kinds.append((True, size))
    return kinds


def _fingerprint(part: PlanProblem, plan: Placement, teams: tuple[str, ...], window: range) -> tuple:
    """What a re-plan depends on: its part's items and rules, and where the plan has them in the window.

    The same fingerprint again means the same part from the same plan: a re-plan proven optimal
    before would find nothing better, so it is not solved again.
    """
    items = tuple(
        (item.index, item.first_sprint, item.last_sprint, item.must, item.prerequisites) for item in part.items
    )
    placed = tuple(sorted((index, place) for index, place in plan.items() if place[0] in teams and place[1] in window))
    return teams, window.start, window.stop, items, placed


def _tasks(
    problem: PlanProblem, plan: Placement, values: dict[int, float], kind: _Kind, pairs: list[tuple[str, str]]
) -> list[tuple[tuple[str, ...], range]]:
    together, size = kind
    teams = _teams_by_value_left_out(problem, plan, values)
    if together:
        rank = {team: position for position, team in enumerate(teams)}
        linked = sorted(pairs, key=lambda pair: min(rank[team] for team in pair))
        if size is None:
            return [(pair, range(problem.horizon)) for pair in linked]
        return [(pair, range(first, first + size)) for pair in linked for first in range(problem.horizon - size + 1)]
    if size is None:
        return [((team,), range(problem.horizon)) for team in teams]
    return [((team,), range(first, first + size)) for team in teams for first in range(problem.horizon - size + 1)]


def linked_teams(problem: PlanProblem) -> list[tuple[str, str]]:
    """Pairs of teams with an item of one depending on an item of the other (each pair once, in name order).

    Re-planned one team at a time, an item whose prerequisite the other team left out stays out;
    re-planned together, both may come in.
    """
    by_index = {item.index: item for item in problem.items}
    pairs = set()
    for item in problem.items:
        for prerequisite in item.prerequisites:
            other = by_index.get(prerequisite)
            if other is None:
                continue
            for team in item.teams:
                for other_team in other.teams:
                    if team != other_team:
                        pairs.add((min(team, other_team), max(team, other_team)))
    return sorted(pairs)


def _step(
    problem: PlanProblem,
    plan: Placement,
    teams: tuple[str, ...],
    window: range,
    options: SolveOptions,
    stop: float,
    workers: int,
    tasks_left: int,
    cap: float,
    team_index: TeamIndex,
) -> tuple[PlanProblem, SolveOptions] | None:
    """The part to re-plan and the options to solve it from where it is; None when it has no items."""
    part = team_part(problem, plan, teams, window, team_index)
    left = stop - time.perf_counter()
    if not part.items or left < 0.1:
        return None
    current = {index: place for index, place in plan.items() if place[0] in teams and place[1] in window}
    share = min(max(left * workers / tasks_left, 0.2), cap, left)
    return part, replace(
        options,
        solver=small_model_solver(options.solver),
        threads=1,  # two re-plans side by side on two cores: a solver's own threads would only contend
        warm_start=current,
        time_limit=share,
        earliness=0.0,
        previous=None,
        stability=0.0,
        gap=0.0,
        root_only=False,
    )


def _merged(plan: Placement, teams: tuple[str, ...], window: range, solution: Solution) -> Placement | None:
    """``plan`` with ``teams``' items in ``window`` as ``solution`` places them (None: the solve found no plan)."""
    if solution.status not in ("optimal", "feasible"):
        return None
    merged = {index: place for index, place in plan.items() if place[0] not in teams or place[1] not in window}
    merged.update(solution.assignments)
    return merged


def _changed(plan: Placement, candidate: Placement) -> set[int]:
    """The items placed differently in ``candidate`` (moved, added or dropped)."""
    return {index for index in plan.keys() | candidate.keys() if plan.get(index) != candidate.get(index)}


def _value_change(plan: Placement, candidate: Placement, changed: set[int], values: dict[int, float]) -> float:
    """What ``candidate`` is worth more than ``plan`` (``changed``: where they differ)."""
    return sum(values[index] for index in changed if index in candidate) - sum(
        values[index] for index in changed if index in plan
    )


def _teams_by_value_left_out(problem: PlanProblem, plan: Placement, values: dict[int, float]) -> list[str]:
    left_out = {team: 0.0 for team in problem.teams}
    for item in problem.items:
        if item.index not in plan:
            for team in item.teams:
                left_out[team] += values[item.index]
    return sorted(problem.teams, key=lambda team: -left_out[team])


@dataclass(frozen=True)
class TeamIndex:
    """The items each team may take and the items that depend on each item, for :func:`team_part`.

    Built once per problem: re-planning walks one team's items, not the whole backlog, each time
    (200,000 items: 80 ms a part without it).
    """

    items_of: dict[str, list[PlanItem]]
    dependents: dict[int, list[int]]

    @classmethod
    def of(cls, problem: PlanProblem) -> TeamIndex:
        """The index of ``problem``."""
        items_of: dict[str, list[PlanItem]] = {team: [] for team in problem.teams}
        dependents: dict[int, list[int]] = {}
        for item in problem.items:
            for team in item.teams:
                items_of[team].append(item)
            for prerequisite in item.prerequisites:
                dependents.setdefault(prerequisite, []).append(item.index)
        return cls(items_of, dependents)


def team_part(
    problem: PlanProblem,
    plan: Placement,
    team: str | tuple[str, ...],
    sprints: range | None = None,
    team_index: TeamIndex | None = None,
) -> PlanProblem:
    """``team``'s share of the problem (or several teams' together) with the rest of ``plan`` held where it is.

    The share: items the team may take that no other team has planned and, given ``sprints``, that
    the team has not planned outside them; they may go only to ``sprints`` (default: all). An item
    whose prerequisite is held may not go before it; one whose prerequisite is held out of the plan
    stays out; an item a held item depends on must be planned no later than that item.
    ``team_index`` (:meth:`TeamIndex.of` the same problem) makes it faster, not different.
    """
    teams = (team,) if isinstance(team, str) else tuple(team)
    found = team_index or TeamIndex.of(problem)
    window = sprints if sprints is not None else range(problem.horizon)
    free = {
        item.index: item
        for one_team in teams
        for item in found.items_of.get(one_team, ())
        if item.index not in plan or (plan[item.index][0] in teams and plan[item.index][1] in window)
    }
    needed_by: dict[int, int] = {}  # free item -> last sprint an item held in the plan allows it
    for prerequisite in free:
        for dependent in found.dependents.get(prerequisite, ()):
            if dependent in plan and dependent not in free:
                needed_by[prerequisite] = min(needed_by.get(prerequisite, plan[dependent][1]), plan[dependent][1])
    parts: dict[int, PlanItem] = {}
    for index, item in free.items():
        outside = [p for p in item.prerequisites if p not in free]
        if any(p not in plan for p in outside):
            continue  # a prerequisite held out of the plan keeps this item out too
        held = _held(item, teams, plan, outside, needed_by.get(index), window)
        if held.must or list(held.sprints(problem.horizon)):
            parts[index] = held
    drop_unreachable(parts)
    pools = tuple(pool for pool in problem.pools if pool.team in teams)
    return replace(problem, items=tuple(parts.values()), teams=teams, pools=pools)


def _held(
    item: PlanItem, teams: tuple[str, ...], plan: Placement, outside: list[int], needed_by: int | None, window: range
) -> PlanItem:
    first = max([plan[p][1] for p in outside] + [window.start, item.first_sprint])
    last = window.stop - 1 if item.last_sprint is None else min(item.last_sprint, window.stop - 1)
    if needed_by is not None:
        last = min(last, needed_by)
    return replace(
        item,
        teams=tuple(team for team in item.teams if team in teams),
        must=item.must or needed_by is not None,
        first_sprint=first,
        last_sprint=last,
        prerequisites=tuple(p for p in item.prerequisites if p not in outside),
    )
