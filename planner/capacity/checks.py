"""The capacity checks made once the tables are read: the errors that stop the engine, then warnings.

Internal to :mod:`planner.capacity`. Errors found while reading come from
:mod:`planner.capacity.inputs` and are raised together by :func:`raise_if_errors`;
:func:`require_velocity` refuses mixed units. The warnings are made on the computed capacity: what
a plan can live with, reported in :attr:`planner.capacity.CapacityResult.problems`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from planner.capacity.inputs import Roster, Teams, match_key
from planner.capacity.workdays import SPRINTS_SHEET, user_row
from planner.errors import InputError
from planner.input_problems import ERROR, WARNING, Problem
from planner.number_text import format_number

# --------------------------------------------------------------------------------------------------
# Errors


def raise_if_errors(problems: Sequence[Problem], file: str) -> None:
    """Raise :class:`InputError` with every error in ``problems``; warnings alone pass."""
    errors = [problem for problem in problems if problem.severity == ERROR]
    if errors:
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        raise InputError(f"{file}: {count} to fix before capacity can be computed", errors)


def require_velocity(unit: str, teams: Teams, people: Roster, file: str) -> None:
    """Unit points needs the velocity of every team with people: refuse mixed units."""
    if unit != "points":
        return
    staffed = teams.staffed(people)
    missing = [t for t in staffed if np.isnan(teams.velocity[t])]
    if not missing:
        return
    given = [teams.names[t] for t in staffed if not np.isnan(teams.velocity[t])]
    lacking = ", ".join(teams.names[t] for t in missing)
    if given:
        message = (
            f"Mixed units: {', '.join(given)} {'has' if len(given) == 1 else 'have'} a velocity "
            f"but {lacking} {'has' if len(missing) == 1 else 'have'} none, so capacity cannot be "
            "given in points for every team. Add the missing velocities to the teams sheet, or "
            "plan in days."
        )
    else:
        message = (
            "Unit 'points' needs each team's velocity (points per sprint at full availability) "
            "in the teams sheet, and none is given. Add a velocity column, or plan in days."
        )
    raise InputError(
        message,
        [
            Problem(
                ERROR, f"{teams.names[t]} has no velocity", file, "teams", user_row(teams.source_row[t]), "velocity"
            )
            for t in missing
        ],
    )


# --------------------------------------------------------------------------------------------------
# Warnings


def calendar_warnings(calendar: pd.DataFrame, today: date, from_sheet: bool, file: str) -> list[Problem]:
    """Sprints with 0 working days (why) and, for a sheet, sprints that already ended."""
    problems: list[Problem] = []
    sheet = SPRINTS_SHEET if from_sheet else None
    column = "start" if from_sheet else None
    names = calendar["sprint"].tolist()
    starts, ends = calendar["start"].tolist(), calendar["end"].tolist()
    working = calendar["working_days"].tolist()
    rows = calendar["source_row"].tolist()
    for i in np.flatnonzero(calendar["available_days"].to_numpy() == 0):
        why = (
            f"{starts[i]:%a %Y-%m-%d} to {ends[i]:%a %Y-%m-%d} is all weekend"
            if working[i] == 0
            else f"all its {working[i]} weekdays are holidays"
        )
        problems.append(
            Problem(
                WARNING,
                f"{names[i]} has 0 working days ({why}): its capacity is 0",
                file,
                sheet,
                user_row(rows[i]),
                column,
            )
        )
    ended = [i for i, end in enumerate(ends) if end.date() < today]
    if from_sheet and ended:
        listed = ", ".join(names[i] for i in ended)
        problems.append(
            Problem(
                WARNING,
                f"{listed} ended before today ({today}): planned as written",
                file,
                sheet,
                user_row(rows[ended[0]]),
                "end",
            )
        )
    return problems


def team_warnings(
    people: Roster,
    listed: Roster,
    teams: Teams,
    calendar: pd.DataFrame,
    days: Mapping[str, np.ndarray],
    headcount: Iterable[tuple[str, int]],
    file: str,
) -> list[Problem]:
    """Teams without people, and teams whose own holidays take a whole sprint."""
    problems: list[Problem] = []
    staffed, was_staffed = set(people.team_key), set(listed.team_key)
    shrunk = {match_key(team) for team, change in headcount if change < 0}
    for key, t in teams.index_of.items():
        if key in staffed:
            continue
        why = (
            "the headcount what-if removes everyone"
            if key in was_staffed and key in shrunk
            else "no one in the people sheet is in it"
        )
        problems.append(
            Problem(
                WARNING,
                f"{teams.names[t]} has no people ({why}): its capacity is 0",
                file,
                "teams" if teams.in_sheet[t] else "people",
                user_row(teams.source_row[t]),
                "team",
            )
        )
    # Sprints with 0 working days for everyone are reported once, by the calendar.
    team_wide_open = calendar["available_days"].to_numpy() > 0
    names = calendar["sprint"].tolist()
    for t, s in zip(*np.nonzero((days["team_available"] == 0) & team_wide_open[None, :])):
        problems.append(
            Problem(
                WARNING,
                f"{teams.names[t]} has 0 working days in {names[s]}: all its weekdays are "
                f"{teams.names[t]} holidays, so its capacity there is 0",
                file,
                "holidays",
                None,
                "team",
            )
        )
    return problems


def person_warnings(
    people: Roster,
    calendar: pd.DataFrame,
    days: Mapping[str, np.ndarray],
    steps: Mapping[str, np.ndarray],
    file: str,
) -> list[Problem]:
    """On-call eating all availability; ``days_per_sprint`` overriding allocation or sprint length."""
    problems: list[Problem] = []
    sprint_names = np.array(calendar["sprint"].tolist(), dtype=object)
    eaten = (days["oncall_deduction"] > steps["after_ooo"] + 1e-9) & (steps["after_ooo"] > 0)
    for p in np.flatnonzero(eaten.any(axis=1)):
        problems.append(
            Problem(
                WARNING,
                f"{people.name[p]}'s on-call takes all their available time in "
                f"{', '.join(sprint_names[eaten[p]])}: capacity 0 there",
                file,
                "oncall",
                None,
                "load",
            )
        )
    working = calendar["working_days"].to_numpy(dtype=np.float64)
    open_sprint = calendar["available_days"].to_numpy() > 0  # closed ones are reported already
    for p in np.flatnonzero(~np.isnan(people.days_per_sprint)):
        row = user_row(people.source_row[p])
        allocation = format_number(people.allocation[p], decimals=4)
        per_sprint = format_number(people.days_per_sprint[p], decimals=4)
        if people.allocation_given[p] and people.allocation[p] != 1:
            problems.append(
                Problem(
                    WARNING,
                    f"{people.name[p]} has days_per_sprint, so their allocation {allocation} is not used",
                    file,
                    "people",
                    row,
                    "allocation",
                )
            )
        short = open_sprint & (working < people.days_per_sprint[p])
        if short.any():
            problems.append(
                Problem(
                    WARNING,
                    f"{people.name[p]}'s days_per_sprint ({per_sprint}) is more than "
                    f"the working days of {', '.join(sprint_names[short])}",
                    file,
                    "people",
                    row,
                    "days_per_sprint",
                )
            )
    return problems
