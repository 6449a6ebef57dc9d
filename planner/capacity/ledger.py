"""The capacity arithmetic: day counts, the ledger steps per person and sprint, and the result frames.

Internal to :mod:`planner.capacity`, whose docstring gives the formula. Everything is computed on
people x days and people x sprints arrays, summed into teams x sprints with one matrix product, so a
team's ledger adds up exactly to the sum of its people's steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from planner.capacity.inputs import Holidays, Ranges, Roster, Teams
from planner.capacity.types import LEDGER_STEPS, CapacitySettings
from planner.capacity.workdays import day_grid, range_mask, user_row
from planner.input_problems import WARNING, Problem

# person_sprint column behind each ledger total, in order; a step's change is the difference of two.
_STEP_COLUMNS: tuple[str, ...] = (
    "gross",
    "after_holidays",
    "after_ooo",
    "after_oncall",
    "after_focus",
    "after_buffer",
    "net",
)


# --------------------------------------------------------------------------------------------------
# The arithmetic: people x days matrices, summed into people x sprints


def day_counts(
    people: Roster,
    teams: Teams,
    calendar: pd.DataFrame,
    holidays: Holidays,
    ooo: Ranges,
    oncall: Ranges,
) -> dict[str, np.ndarray]:
    """People x sprints day counts (holiday, OOO, on-call, on-call deduction) and teams x sprints
    available days, counted on a grid of the sprints' Mon-Fri days."""
    grid = day_grid(calendar)
    team_holiday = np.zeros((len(teams.names), len(grid.dates)), dtype=bool)
    team_holiday |= np.isin(grid.dates, holidays.team_wide)[None, :]
    for team, dates in holidays.by_team.items():
        team_holiday[team] |= np.isin(grid.dates, dates)
    holiday = team_holiday[teams.codes(people)]

    # Ranges point at people-sheet rows; follow them to the roster after what-ifs (or drop them).
    position = {listed: i for i, listed in enumerate(people.listed_row.tolist()) if listed >= 0}
    ooo_day, _ = _range_days(grid.dates, ooo, position, len(people))
    oncall_day, oncall_load = _range_days(grid.dates, oncall, position, len(people))
    ooo_counted = ooo_day & ~holiday
    oncall_counted = oncall_day & ~holiday & ~ooo_day
    working = calendar["working_days"].to_numpy(dtype=np.float64)
    return {
        "holiday_days": grid.sum_per_sprint(holiday),
        "ooo_days": grid.sum_per_sprint(ooo_counted),
        "oncall_days": grid.sum_per_sprint(oncall_counted),
        "oncall_deduction": grid.sum_per_sprint(np.where(oncall_counted, oncall_load, 0.0)),
        "team_available": working[None, :] - grid.sum_per_sprint(team_holiday),
    }


def _range_days(
    dates: np.ndarray, ranges: Ranges, position: Mapping[int, int], n_people: int
) -> tuple[np.ndarray, np.ndarray]:
    """People x days: covered by one of the person's ranges (overlaps once), and the highest load."""
    kept = np.array([p in position for p in ranges.person.tolist()], dtype=bool)
    person = np.array([position[p] for p in ranges.person[kept].tolist()], dtype=np.int64)
    mask = range_mask(dates, ranges.start[kept], ranges.end[kept])
    covered = np.zeros((n_people, len(dates)), dtype=bool)
    np.logical_or.at(covered, person, mask)
    load = np.zeros((n_people, len(dates)), dtype=np.float64)
    np.maximum.at(load, person, mask * ranges.load[kept][:, None])
    return covered, load


def capacity_steps(
    people: Roster,
    teams: Teams,
    calendar: pd.DataFrame,
    days: Mapping[str, np.ndarray],
    settings: CapacitySettings,
) -> dict[str, np.ndarray]:
    """People x sprints arrays of every ledger step (formula in :mod:`planner.capacity`)."""
    working = calendar["working_days"].to_numpy(dtype=np.float64)[None, :]
    allocation = people.allocation[:, None]
    fixed = ~np.isnan(people.days_per_sprint)[:, None]
    per_sprint = np.where(fixed, people.days_per_sprint[:, None], 0.0)

    def share(remaining: np.ndarray) -> np.ndarray:
        """Fraction of the sprint's working days left; 0 in a sprint without working days."""
        return np.divide(remaining, working, out=np.zeros_like(remaining), where=working > 0)

    after_holiday_days = working - days["holiday_days"]
    after_ooo_days = after_holiday_days - days["ooo_days"]
    gross = np.where(fixed, per_sprint * (working > 0), working * allocation)
    after_holidays = np.where(fixed, per_sprint * share(after_holiday_days), after_holiday_days * allocation)
    after_ooo = np.where(fixed, per_sprint * share(after_ooo_days), after_ooo_days * allocation)
    after_oncall = np.maximum(after_ooo - days["oncall_deduction"], 0.0)
    focus = _focus_factors(people, teams, settings)[:, None]
    after_focus = after_oncall * focus
    after_buffer = after_focus * (1.0 - settings.buffer)
    return {
        "focus_factor": np.broadcast_to(focus, gross.shape),
        "gross": gross,
        "after_holidays": after_holidays,
        "after_ooo": after_ooo,
        "after_oncall": after_oncall,
        "after_focus": after_focus,
        "after_buffer": after_buffer,
        "net": after_buffer * settings.capacity_pct,
    }


def _focus_factors(people: Roster, teams: Teams, settings: CapacitySettings) -> np.ndarray:
    """Per person: the focus factor applied. In points it is 1: velocity is observed output, already
    net of focus (SPEC section 2), so neither the slider nor the teams sheet's factor applies."""
    if settings.unit == "points":
        return np.ones(len(people))
    if settings.focus_factor is not None:
        return np.full(len(people), float(settings.focus_factor))
    return np.where(np.isnan(teams.focus_factor), 1.0, teams.focus_factor)[teams.codes(people)]


def sum_per_team(people: Roster, teams: Teams, steps: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Teams x sprints sums of every step; teams without people get zeros."""
    membership = np.zeros((len(teams.names), len(people)), dtype=np.float64)
    membership[teams.codes(people), np.arange(len(people))] = 1.0
    sums = {column: membership @ steps[column] for column in _STEP_COLUMNS}
    sums["people"] = membership.sum(axis=1)
    return sums


def team_points_per_day(
    unit: str, listed: Roster, people: Roster, teams: Teams, calendar: pd.DataFrame, file: str
) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Per team: points per net day (``velocity / full_days``; 1 in days) and ``full_days``.

    Full availability is measured on the people listed in the file, so headcount what-ifs move the
    points; a team listed without people (staffed only by a what-if) is measured on whom it has.
    """
    full = _full_days(listed, teams, calendar)
    full = np.where(full == 0, _full_days(people, teams, calendar), full)
    problems: list[Problem] = []
    if unit != "points":
        return np.ones(len(teams.names)), full, problems
    for t in teams.staffed(people):
        if full[t] == 0:
            problems.append(
                Problem(
                    WARNING,
                    f"{teams.names[t]} has no days at full availability (allocation 0?): its "
                    "velocity cannot be scaled, so its capacity is 0 points",
                    file,
                    "teams",
                    user_row(teams.source_row[t]),
                    "velocity",
                )
            )
    velocity = np.nan_to_num(teams.velocity, nan=0.0)
    return np.divide(velocity, full, out=np.zeros(len(full)), where=full > 0), full, problems


def _full_days(people: Roster, teams: Teams, calendar: pd.DataFrame) -> np.ndarray:
    """Per team: days at full availability in a sprint of the usual number of working days."""
    usual = _usual_working_days(calendar["working_days"].to_numpy())
    per_person = np.where(np.isnan(people.days_per_sprint), usual * people.allocation, people.days_per_sprint)
    full = np.zeros(len(teams.names))
    np.add.at(full, teams.codes(people), per_person)
    return full


def _usual_working_days(working_days: np.ndarray) -> float:
    """The most common working-day count among sprints that have any (ties: the larger)."""
    values, counts = np.unique(working_days[working_days > 0], return_counts=True)
    if len(values) == 0:
        return 0.0
    return float(values[counts == counts.max()].max())


# --------------------------------------------------------------------------------------------------
# Output frames


def _strings(values: Sequence[str], index: np.ndarray) -> ExtensionArray:
    """``values[index]`` as a pandas string array (built once, then taken: cheap for repeats)."""
    return pd.array(list(values), dtype="string").take(index)


def person_sprint_frame(
    people: Roster,
    calendar: pd.DataFrame,
    days: Mapping[str, np.ndarray],
    steps: Mapping[str, np.ndarray],
    settings: CapacitySettings,
) -> pd.DataFrame:
    n_people, n_sprints = len(people), len(calendar)
    person = np.repeat(np.arange(n_people), n_sprints)
    sprint = np.tile(np.arange(n_sprints), n_people)
    oncall_load = np.divide(
        days["oncall_deduction"],
        days["oncall_days"],
        out=np.full(days["oncall_days"].shape, np.nan),
        where=days["oncall_days"] > 0,
    )
    columns: dict[str, object] = {
        "name": _strings(people.name, person),
        "team": _strings(people.team, person),
        "sprint": _strings(calendar["sprint"].tolist(), sprint),
        "skills": _strings([", ".join(skills) for skills in people.skills], person),
        "allocation": people.allocation[person],
        "days_per_sprint": people.days_per_sprint[person],
        "added": people.added[person],
        "working_days": calendar["working_days"].to_numpy(dtype=np.float64)[sprint],
        "holiday_days": days["holiday_days"].ravel(),
        "ooo_days": days["ooo_days"].ravel(),
        "oncall_days": days["oncall_days"].ravel(),
        "oncall_load": oncall_load.ravel(),
        "focus_factor": np.ravel(steps["focus_factor"]),
        "buffer": np.full(n_people * n_sprints, float(settings.buffer)),
        "capacity_pct": np.full(n_people * n_sprints, float(settings.capacity_pct)),
    }
    columns.update({column: steps[column].ravel() for column in _STEP_COLUMNS})
    return pd.DataFrame(columns)


def team_sprint_frame(
    teams: Teams,
    calendar: pd.DataFrame,
    sums: Mapping[str, np.ndarray],
    full_days: np.ndarray,
    points_per_day: np.ndarray,
    unit: str,
) -> pd.DataFrame:
    n_teams, n_sprints = len(teams.names), len(calendar)
    team = np.repeat(np.arange(n_teams), n_sprints)
    return pd.DataFrame(
        {
            "team": _strings(teams.names, team),
            "sprint": _strings(calendar["sprint"].tolist(), np.tile(np.arange(n_sprints), n_teams)),
            "people": sums["people"][team].astype(np.int64),
            "gross_days": sums["gross"].ravel(),
            "net_days": sums["net"].ravel(),
            "full_days": full_days[team],
            "velocity": teams.velocity[team],
            "net": (sums["net"] * points_per_day[:, None]).ravel(),
            "unit": _strings([unit], np.zeros(n_teams * n_sprints, dtype=np.int64)),
        }
    )


def team_skill_frame(
    people: Roster, teams: Teams, calendar: pd.DataFrame, net: np.ndarray, points_per_day: np.ndarray
) -> pd.DataFrame:
    """Per team, skill and sprint: net days of people with the skill, and of those with only it."""
    n_sprints = len(calendar)
    skill_count = np.array([len(skills) for skills in people.skills], dtype=np.int64)
    pair_person = np.repeat(np.arange(len(people)), skill_count)  # one (person, skill) pair per entry
    skill_code_of: dict[str, int] = {}
    pair_skill = np.array(
        [skill_code_of.setdefault(skill, len(skill_code_of)) for skills in people.skills for skill in skills],
        dtype=np.int64,
    )
    skill_names = list(skill_code_of)
    pair_team = teams.codes(people)[pair_person]
    # Groups in team order, then skills in the order first met.
    group_keys = list(dict.fromkeys(zip(pair_team.tolist(), pair_skill.tolist())))
    group_keys.sort(key=lambda pair: pair[0])
    group_of = {pair: g for g, pair in enumerate(group_keys)}
    group = np.array([group_of[pair] for pair in zip(pair_team.tolist(), pair_skill.tolist())], dtype=np.int64)

    n_groups = len(group_keys)
    max_days = np.zeros((n_groups, n_sprints))
    np.add.at(max_days, group, net[pair_person])
    only = skill_count[pair_person] == 1
    dedicated_days = np.zeros((n_groups, n_sprints))
    np.add.at(dedicated_days, group[only], net[pair_person[only]])
    group_team = np.array([team for team, _ in group_keys], dtype=np.int64)
    factor = points_per_day[group_team][:, None] if n_groups else np.zeros((0, 1))
    row_group = np.repeat(np.arange(n_groups), n_sprints)
    return pd.DataFrame(
        {
            "team": _strings([teams.names[team] for team, _ in group_keys], row_group),
            "skill": _strings([skill_names[skill] for _, skill in group_keys], row_group),
            "sprint": _strings(calendar["sprint"].tolist(), np.tile(np.arange(n_sprints), n_groups)),
            "people": np.bincount(group, minlength=n_groups)[row_group].astype(np.int64),
            "max_days": max_days.ravel(),
            "dedicated_days": dedicated_days.ravel(),
            "max": (max_days * factor).ravel(),
            "dedicated": (dedicated_days * factor).ravel(),
        }
    )


def ledger_frame(teams: Teams, calendar: pd.DataFrame, sums: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long ledger: per team and sprint, gross, the change made by each step, then net."""
    changes = [sums[after] - sums[before] for before, after in pairwise(_STEP_COLUMNS)]
    values = np.stack([sums["gross"], *changes, sums["net"]], axis=-1)  # teams x sprints x steps
    n_teams, n_sprints, n_steps = values.shape
    kinds = ["total"] + ["change"] * (n_steps - 2) + ["total"]
    return pd.DataFrame(
        {
            "team": _strings(teams.names, np.repeat(np.arange(n_teams), n_sprints * n_steps)),
            "sprint": _strings(calendar["sprint"].tolist(), np.tile(np.repeat(np.arange(n_sprints), n_steps), n_teams)),
            "step": _strings(LEDGER_STEPS, np.tile(np.arange(n_steps), n_teams * n_sprints)),
            "kind": _strings(kinds, np.tile(np.arange(n_steps), n_teams * n_sprints)),
            "days": values.ravel(),
        }
    )
