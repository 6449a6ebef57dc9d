"""Plans with few changes against a previous plan, found greedily: starts for the fewest-changes pass.

Re-planning keeps the value within ``keep_within`` of the best found, then makes the fewest changes
(:func:`~planner.solve.search.solve_stable`). That model is hard for a solver: on the sample at 3
sprints, after a Capacity % move, HiGHS proves the fewest changes in 1-25 s, and within the app's
0.3 s quick plan it kept its only start that met the value floor, the free plan, with 61-68 changes
where 4-28 would do. Two greedy plans make few changes by construction: the previous plan
(repaired) filled up to the value floor, most value per change first (:func:`fill_to_floor`), and
the free plan with its changes undone while it keeps the floor (:func:`unwind_to_floor`). They are
starts, not proofs: the solver then looks for fewer changes when time is left.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from planner.solve.improve import TeamIndex, team_part
from planner.solve.model import (
    MIN_SOLVE_SECONDS,
    SolveOptions,
    add_change_count,
    add_value_floor,
    build_model,
    seconds_left,
    set_stable_objective,
    small_model_solver,
    solve,
)
from planner.solve.problem import Placement, PlanItem, PlanProblem
from planner.solve.verify import fits, plan_violations

__all__ = ["fewer_changes_by_team", "fill_to_floor", "mix_by_team", "place_weight", "unwind_to_floor"]

Place = tuple[str, int]  # (team, sprint position)


def place_weight(kept: Mapping[int, Place | None], index: int, place: Place | None) -> int:
    """The changes item ``index`` counts at ``place`` (None: not planned), as the fewest-changes pass counts them.

    An item the previous plan held counts 2 when it leaves and 1 when it is anywhere else than it
    was; any other item counts 2 when it enters.
    """
    if index in kept:
        return 2 if place is None else (0 if place == kept[index] else 1)
    return 0 if place is None else 2


class _Plan:
    """A plan being changed one item at a time, with what it asks of each team sprint (per skill)."""

    def __init__(self, problem: PlanProblem, plan: Placement) -> None:
        self.problem = problem
        self.items = {item.index: item for item in problem.items}
        self.places: Placement = {}
        self.value = 0.0
        self.demand: dict[Place, dict[str, float]] = defaultdict(dict)
        self.at_place: dict[Place, set[int]] = defaultdict(set)
        self.dependents = TeamIndex.of(problem).dependents  # item -> the items that depend on it
        for index, place in plan.items():
            self.put(index, place)

    def put(self, index: int, place: Place) -> None:
        """Plan item ``index`` at ``place`` (taking it from where it was, if planned)."""
        self.take(index)
        self.places[index] = place
        self.at_place[place].add(index)
        self.value += self.items[index].value
        demand = self.demand[place]
        for skill, effort in self.items[index].effort.items():
            demand[skill] = demand.get(skill, 0.0) + effort

    def take(self, index: int) -> None:
        """Take item ``index`` out of the plan, if planned."""
        place = self.places.pop(index, None)
        if place is None:
            return
        self.at_place[place].discard(index)
        self.value -= self.items[index].value
        demand = self.demand[place]
        for skill, effort in self.items[index].effort.items():
            demand[skill] = demand.get(skill, 0.0) - effort

    def fits_with(self, index: int, place: Place, without: int | None = None) -> bool:
        """Whether item ``index`` fits at ``place`` beside what is there (less ``without``), wherever it is now."""
        trial = dict(self.demand[place])
        for other, sign in ((index, 1.0), (without, -1.0)):
            if other is None or (sign > 0 and self.places.get(other) == place):
                continue
            for skill, effort in self.items[other].effort.items():
                trial[skill] = trial.get(skill, 0.0) + sign * effort
        team, sprint = place
        return fits(trial, self.problem.team_pools(team), sprint)

    def sprints_in_order(self, index: int) -> list[int]:
        """The sprints item ``index`` may take with its planned prerequisites before and dependents after."""
        earliest = max((self.places[p][1] for p in self.items[index].prerequisites if p in self.places), default=0)
        latest = min(
            (self.places[d][1] for d in self.dependents.get(index, ()) if d in self.places),
            default=self.problem.horizon - 1,
        )
        return [sprint for sprint in self.items[index].sprints(self.problem.horizon) if earliest <= sprint <= latest]

    def may_leave(self, index: int) -> bool:
        """Whether item ``index`` can leave the plan: not Must or pinned, and no planned item depends on it."""
        item = self.items[index]
        return not (item.must or item.pinned is not None) and not any(
            d in self.places for d in self.dependents.get(index, ())
        )


@dataclass(frozen=True)
class _Addition:
    """One step: ``item`` put at ``place``, making room by moving ``occupant`` to ``target`` or dropping it."""

    item: PlanItem
    place: Place
    changes: int  # the change in the weighted changes against the previous plan
    gain: float  # the change in value
    occupant: int | None = None
    target: Place | None = None  # None with an occupant: the occupant leaves the plan


def fill_to_floor(
    problem: PlanProblem,
    start: Placement,
    kept: Mapping[int, Place | None],
    floor: float,
    deadline: float,
) -> Placement:
    """``start`` with items added, most value per change first, until the plan is worth ``floor``.

    ``start``: a valid plan (the previous plan, repaired); ``kept``: the places the previous plan
    held. Each step adds one item not planned whose prerequisites are planned, in the way that
    brings the most value per change: where its team has room in a sprint it may take (2 changes:
    it enters); else where it has room once one planned item of that team sprint moves to another of
    its sprints with room, its prerequisites still before it and its dependents after (a change
    more, one less when the move takes that item back to where the previous plan had it); else in
    the place of a planned item worth less, which leaves the plan (not a Must or pinned item, nor one
    with planned dependents). When one step reaches the floor, the one with the fewest changes is
    taken. Must and pinned items missing from ``start`` come first. The plan reached is worth less
    than ``floor`` when no step is left, or ``deadline`` (``time.perf_counter()``) passed: a part of
    it may still serve (:func:`mix_by_team`).
    """
    plan = _Plan(problem, start)
    required = [item for item in problem.items if (item.must or item.pinned is not None) and item.index not in start]
    required_indexes = {item.index for item in required}
    others = sorted(
        (item for item in problem.items if item.index not in start and item.index not in required_indexes),
        key=lambda item: (-item.value, item.index),
    )

    def room_elsewhere(occupant: int, place: Place) -> Place | None:
        """Another sprint of the same team where ``occupant`` fits, back where it was first."""
        team = place[0]
        sprints = [s for s in plan.sprints_in_order(occupant) if (team, s) != place]
        sprints.sort(key=lambda s: place_weight(kept, occupant, (team, s)))
        return next(((team, s) for s in sprints if plan.fits_with(occupant, (team, s))), None)

    def additions(item: PlanItem) -> list[_Addition]:
        """The ways to add ``item``: where there is room, else by a move, else in a cheaper item's place."""
        if any(p not in plan.places for p in item.prerequisites):
            return []
        places = [(team, sprint) for sprint in plan.sprints_in_order(item.index) for team in item.teams]
        found = [
            _Addition(item, place, place_weight(kept, item.index, place), item.value)
            for place in places
            if plan.fits_with(item.index, place)
        ]
        if found:
            return found
        for place in places:
            for occupant in sorted(plan.at_place[place]):
                if occupant in item.prerequisites or not plan.fits_with(item.index, place, without=occupant):
                    continue  # a prerequisite of the item may neither move after it nor leave
                entering = place_weight(kept, item.index, place) - place_weight(kept, occupant, place)
                target = room_elsewhere(occupant, place)
                if target is not None:
                    changes = entering + place_weight(kept, occupant, target)
                    found.append(_Addition(item, place, changes, item.value, occupant, target))
                elif plan.items[occupant].value < item.value and plan.may_leave(occupant):
                    changes = entering + place_weight(kept, occupant, None)
                    found.append(_Addition(item, place, changes, item.value - plan.items[occupant].value, occupant))
        return found

    def per_change(step: _Addition) -> float:
        return step.gain / max(step.changes, 1)

    while plan.value < floor - 1e-9 or any(item.index not in plan.places for item in required):
        if time.perf_counter() > deadline:
            break
        chosen: _Addition | None = None
        for item in [*required, *others]:
            if time.perf_counter() > deadline:
                break  # one step can look at many items on a large backlog
            if item.index in plan.places:
                continue
            if item.index in required_indexes:
                chosen = min(additions(item), key=lambda step: step.changes, default=None)
                break  # None: a Must or pinned item with no room, the solver's work
            if chosen is not None and item.value / 2 <= per_change(chosen):
                break  # sorted by value: no item further on brings more per change
            steps = additions(item)
            reaching = [step for step in steps if plan.value + step.gain >= floor - 1e-9]
            if reaching and min(step.changes for step in reaching) <= 2:
                chosen = min(reaching, key=lambda step: step.changes)
                break
            for step in steps:
                if chosen is None or per_change(step) > per_change(chosen):
                    chosen = step
        if chosen is None:
            break
        if chosen.occupant is not None:
            if chosen.target is None:
                plan.take(chosen.occupant)
            else:
                plan.put(chosen.occupant, chosen.target)
        plan.put(chosen.item.index, chosen.place)
    return dict(plan.places)


def unwind_to_floor(
    problem: PlanProblem,
    start: Placement,
    kept: Mapping[int, Place | None],
    floor: float,
    deadline: float,
) -> Placement:
    """``start`` with its changes against the previous plan undone one by one while it stays worth ``floor``.

    ``start``: a valid plan worth ``floor`` (the free plan); ``kept``: the places the previous plan
    held. In rounds until none undoes anything, or ``deadline`` passes: items moved go back where the
    previous plan had them (1 change less each) and items that left come back (2 less) where their
    team sprint has room, their prerequisites before them and dependents after; then items that
    entered leave, least value first, while the plan stays worth ``floor`` (2 less each), which
    makes room for the next round's moves back. An item that cannot go back for want of room goes
    back when items that entered at its place, least value first, can leave for it with the plan
    still worth ``floor`` (they leave with it). Every step keeps the plan valid.
    """
    plan = _Plan(problem, start)
    undone = True
    while undone and time.perf_counter() <= deadline:
        undone = False
        for index, place in sorted(kept.items()):
            if place is None or plan.places.get(index) == place or index not in plan.items:
                continue
            if place[0] in plan.items[index].teams and place[1] in plan.sprints_in_order(index):
                if all(p in plan.places for p in plan.items[index].prerequisites):
                    undone = _back_in_place(plan, index, place, kept, floor) or undone
        entered = sorted((index for index in plan.places if index not in kept), key=lambda i: plan.items[i].value)
        for index in entered:
            if plan.value - plan.items[index].value >= floor - 1e-9 and plan.may_leave(index):
                plan.take(index)
                undone = True
    return dict(plan.places)


def _back_in_place(plan: _Plan, index: int, place: Place, kept: Mapping[int, Place | None], floor: float) -> bool:
    """Put item ``index`` back at ``place``, where the previous plan had it, making room by dropping items that entered.

    Items that entered at ``place`` leave, least value first, until it fits, while the plan stays
    worth ``floor``; nothing changes (False) when it cannot fit that way.
    """
    value_after = plan.value + (0.0 if index in plan.places else plan.items[index].value)
    dropped: list[int] = []
    entered = sorted(
        (other for other in plan.at_place[place] if other not in kept and plan.may_leave(other)),
        key=lambda other: (plan.items[other].value, other),
    )
    while entered and not plan.fits_with(index, place):
        other = entered.pop(0)
        if value_after - plan.items[other].value < floor - 1e-9:
            break
        value_after -= plan.items[other].value
        plan.take(other)
        dropped.append(other)
    if plan.fits_with(index, place):
        plan.put(index, place)
        return True
    for other in dropped:
        plan.put(other, place)
    return False


def mix_by_team(
    problem: PlanProblem,
    plans: list[Placement],
    kept: Mapping[int, Place | None],
    floor: float,
    deadline: float,
    balance: Mapping[str, float] | None = None,
) -> Placement | None:
    """Each team's part of one of ``plans``, chosen so the whole is worth ``floor`` with the fewest changes.

    ``plans``: valid plans, some with few changes and little value (the previous plan, repaired, or
    filled part of the way), some worth the floor with many changes (the free plan). Counted team by
    team (an item with the team it is planned in, or when left out with the team the previous plan
    had it in), value and changes add up, so the choice is a small knapsack, solved exactly over the
    count of changes: for each count, the most value any choice of team parts reaches. The fewest
    changes worth ``floor`` are taken, the mix checked whole (an item two teams may take could be in
    two parts; a prerequisite could land after its dependent), trying the next count when it breaks
    a rule. None when no mix keeps every rule and the floor, or ``deadline`` passes.
    """
    values = {item.index: item.value for item in problem.items}

    def team_of(index: int, plan: Placement) -> str | None:
        place = plan.get(index) or kept.get(index)
        return None if place is None else place[0]

    parts_of: dict[str | None, dict[tuple[tuple[int, Place], ...], tuple[int, float]]] = defaultdict(dict)
    for plan in plans:
        parts: dict[str | None, list[tuple[int, Place]]] = defaultdict(list)
        team_changes: dict[str | None, int] = defaultdict(int)
        for index in kept.keys() | plan.keys():
            team = team_of(index, plan)
            team_changes[team] += place_weight(kept, index, plan.get(index))
            if index in plan:
                parts[team].append((index, plan[index]))
        for team in team_changes.keys() | parts.keys():
            part = tuple(sorted(parts[team]))
            parts_of[team][part] = (team_changes[team], sum(values[index] for index, _place in part))
    # most[c]: the most value, and the parts taken, of a choice of one part per team counting c changes.
    most: dict[int, tuple[float, tuple[tuple[tuple[int, Place], ...], ...]]] = {0: (0.0, ())}
    for team_options in parts_of.values():
        if time.perf_counter() > deadline:
            return None
        grown: dict[int, tuple[float, tuple[tuple[tuple[int, Place], ...], ...]]] = {}
        for count, (value, taken) in most.items():
            for part, (part_changes, part_value) in team_options.items():
                total = count + part_changes
                if total not in grown or grown[total][0] < value + part_value:
                    grown[total] = (value + part_value, (*taken, part))
        most = grown
    tolerance = 1e-6 * max(1.0, abs(floor))
    tried = 0
    for count in sorted(most):
        value, taken = most[count]
        if value < floor - tolerance:
            continue
        mixed = _union(taken)
        if mixed is not None and not plan_violations(problem, mixed, balance):
            return mixed
        tried += 1
        if tried >= _MIX_TRIES or time.perf_counter() > deadline:
            break
    return None


_MIX_TRIES = 20  # mixes that break a rule before giving up: each is a check of the whole plan


def _union(parts: tuple[tuple[tuple[int, Place], ...], ...]) -> Placement | None:
    """One plan of team parts; None when an item is in two of them."""
    plan: Placement = {}
    for part in parts:
        for index, place in part:
            if index in plan:
                return None
            plan[index] = place
    return plan


def fewer_changes_by_team(
    problem: PlanProblem,
    plan: Placement,
    kept: Mapping[int, Place | None],
    floor: float,
    options: SolveOptions,
    seconds: float,
) -> Placement:
    """``plan`` (valid, worth ``floor``) with fewer changes, re-planning one team at a time with the rest held.

    A team's part (:func:`~planner.solve.improve.team_part`) is small: the fewest changes of that
    part, worth what the floor asks of it beyond the rest of the plan, is a model HiGHS proves in
    tens of milliseconds, where the whole model takes seconds. Teams with the most changes go first;
    rounds until one changes nothing, or ``seconds`` (or the deadline) are spent. A re-plan is kept
    only when the whole plan then has fewer changes and keeps every rule and the floor.
    """
    stop = time.perf_counter() + min(seconds, seconds_left(options))
    team_index = TeamIndex.of(problem)
    values = {item.index: item.value for item in problem.items}
    tolerance = 1e-6 * max(1.0, abs(floor))

    def weight(candidate: Placement, indexes: Iterable[int]) -> int:
        return sum(place_weight(kept, index, candidate.get(index)) for index in indexes)

    best = dict(plan)
    improved = True
    while improved:
        improved = False
        changes_of = {team: 0 for team in problem.teams}
        for index in kept.keys() | best.keys():
            place = best.get(index) or kept.get(index)
            if place is not None and place[0] in changes_of:
                changes_of[place[0]] += place_weight(kept, index, best.get(index))
        for team in sorted(problem.teams, key=lambda team: -changes_of[team]):
            left = stop - time.perf_counter()
            if left < 2 * MIN_SOLVE_SECONDS:
                return best
            if changes_of[team] == 0:
                break
            part = team_part(problem, best, team, None, team_index)
            in_part = {item.index for item in part.items}
            current = {index: place for index, place in best.items() if index in in_part}
            part_kept = {index: place for index, place in kept.items() if index in in_part}
            before = weight(current, in_part)
            if before == 0:
                continue
            rest_value = sum(values[index] for index in best if index not in in_part)
            stable = replace(
                options,
                solver=small_model_solver(options.solver),
                threads=1,
                earliness=0.0,
                previous=None,
                warm_start=None,
                deadline=stop,
            )
            model = build_model(part, stable)
            add_value_floor(model, floor - rest_value - tolerance)
            set_stable_objective(model, add_change_count(model, part_kept), stable)
            solution = solve(model, replace(stable, warm_start=current, gap=0.4 / (before + 1), time_limit=left))
            if solution.status not in ("optimal", "feasible"):
                continue
            candidate = {index: place for index, place in best.items() if index not in in_part}
            candidate.update(solution.assignments)
            changed = {index for index in candidate.keys() | best.keys() if candidate.get(index) != best.get(index)}
            if (
                weight(candidate, in_part) < before
                and sum(values[index] for index in candidate) >= floor - tolerance
                and not plan_violations(problem, candidate, options.balance, changed)
            ):
                best, improved = candidate, True
    return best
