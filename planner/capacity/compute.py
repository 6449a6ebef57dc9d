"""Capacity entry points: net capacity per person, team, skill and sprint, and the horizon's sprints.

The rules are in the package docstring (:mod:`planner.capacity`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from planner.capacity.checks import (
    calendar_warnings,
    person_warnings,
    raise_if_errors,
    require_velocity,
    team_warnings,
)
from planner.capacity.inputs import (
    RANGE_SHEETS,
    apply_headcount,
    extra_ooo_ranges,
    match_key,
    read_holidays,
    read_people,
    read_ranges,
    read_teams,
)
from planner.capacity.ledger import (
    capacity_steps,
    day_counts,
    ledger_frame,
    person_sprint_frame,
    sum_per_team,
    team_points_per_day,
    team_skill_frame,
    team_sprint_frame,
)
from planner.capacity.types import (
    DEFAULT_SPRINT_COUNT,
    CapacityResult,
    CapacitySettings,
)
from planner.capacity.workdays import (
    SPRINTS_SHEET,
    as_date,
    count_working_days,
    generate_sprints,
    next_monday,
    sheet_sprints,
)
from planner.input_problems import ERROR, WARNING, Problem, has_errors
from planner.schema import CAPACITY_SHEETS, CapacityTables, coerce_table

__all__ = ["compute_capacity", "range_problems", "sprint_calendar"]


# --------------------------------------------------------------------------------------------------
# Public entry points


def sprint_calendar(
    tables: CapacityTables,
    settings: CapacitySettings = CapacitySettings(),
    today: date | None = None,
    *,
    file: str = "capacity",
) -> pd.DataFrame:
    """The sprints of the planning horizon with their working days (see :mod:`planner.capacity.workdays`).

    From the sprints sheet when it has rows (first ``settings.sprint_count`` of them), else
    ``settings.sprint_count`` (default :data:`DEFAULT_SPRINT_COUNT`) sprints of
    ``settings.default_sprint_days`` calendar days from ``settings.start`` or the Monday coming after
    ``today``. Raises :class:`InputError` on unusable sprint or holiday rows.
    """
    today = _as_today(today)
    calendar, problems = _horizon(tables.sprints, settings, today, file)
    holidays, holiday_problems = read_holidays(tables.holidays, {}, file, warn_unknown_team=False)
    raise_if_errors(problems + holiday_problems, file)
    return count_working_days(calendar, holidays.team_wide).drop(columns="source_row")


def compute_capacity(
    tables: CapacityTables,
    settings: CapacitySettings = CapacitySettings(),
    today: date | None = None,
    *,
    file: str = "capacity",
) -> CapacityResult:
    """Net capacity per person, team, skill and sprint of the horizon (see the module docstring).

    ``today`` (default: the real today) places generated sprints and dates the "already ended"
    warning; ``file`` names the capacity file in problems. Raises :class:`InputError` listing every
    blocking problem; returns the warnings in ``result.problems``.
    """
    today = _as_today(today)
    problems: list[Problem] = []

    calendar, found = _horizon(tables.sprints, settings, today, file)
    problems += found
    listed, found = read_people(tables.people, file)
    problems += found
    teams, found = read_teams(tables.teams, listed, file)
    problems += found
    holidays, found = read_holidays(tables.holidays, teams.index_of, file)
    problems += found
    names = listed.name_index()
    ooo, found = read_ranges(tables.ooo, "ooo", names, file)
    problems += found
    extra, found = extra_ooo_ranges(settings.extra_ooo, names)
    problems += found
    oncall, found = read_ranges(tables.oncall, "oncall", names, file, default_load=settings.oncall_load)
    problems += found
    people, found = apply_headcount(listed, teams, settings.headcount)
    problems += found
    raise_if_errors(problems, file)
    require_velocity(settings.unit, teams, people, file)

    calendar = count_working_days(calendar, holidays.team_wide)
    days = day_counts(people, teams, calendar, holidays, ooo.plus(extra), oncall)
    steps = capacity_steps(people, teams, calendar, days, settings)
    team_sums = sum_per_team(people, teams, steps)
    points_per_day, full_days, found = team_points_per_day(settings.unit, listed, people, teams, calendar, file)
    problems += found

    problems += calendar_warnings(calendar, today, len(tables.sprints) > 0, file)
    problems += team_warnings(people, listed, teams, calendar, days, settings.headcount, file)
    problems += person_warnings(people, calendar, days, steps, file)
    return CapacityResult(
        sprints=calendar.drop(columns="source_row"),
        person_sprint=person_sprint_frame(people, calendar, days, steps, settings),
        team_sprint=team_sprint_frame(teams, calendar, team_sums, full_days, points_per_day, settings.unit),
        team_skill_sprint=team_skill_frame(people, teams, calendar, steps["net"], points_per_day),
        ledger=ledger_frame(teams, calendar, team_sums),
        problems=tuple(problems),
        unit=settings.unit,
        settings=settings,
    )


def range_problems(
    table: pd.DataFrame, sheet: str, people: Iterable[object], *, file: str = "capacity"
) -> list[Problem]:
    """The problems :func:`compute_capacity` finds in an ``ooo`` or ``oncall`` table, all errors.

    The same rules, from the same code: each row names one of ``people`` (trimmed, any case), has a
    start and an end date (one day: the same date twice), does not end before it starts and, for
    on-call, has a load between 0 and 1 when it has one. ``table`` is first coerced to the sheet's
    shape (a cell that is not a date is a missing date); its ``source_row`` numbers the rows in the
    problems (0 or absent: no row). For checking edited rows before they are saved.
    """
    if sheet not in RANGE_SHEETS:
        raise ValueError(f"range_problems checks the sheets {', '.join(RANGE_SHEETS)}, not {sheet!r}")
    known = {key: [0] for key in map(match_key, people) if key is not None}
    _, problems = read_ranges(coerce_table(table, CAPACITY_SHEETS[sheet]), sheet, known, file)
    return problems


# --------------------------------------------------------------------------------------------------
# Helpers


def _as_today(today: date | None) -> date:
    """``today`` as a date; ``None`` is the real today."""
    return as_date(today) if today is not None else date.today()


def _horizon(
    sheet: pd.DataFrame, settings: CapacitySettings, today: date, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """The horizon's sprints (sprint, start, end, source_row), from the sheet or generated."""
    if len(sheet) == 0:
        start = settings.start or next_monday(today)
        calendar = generate_sprints(start, settings.sprint_count or DEFAULT_SPRINT_COUNT, settings.default_sprint_days)
        calendar["source_row"] = np.zeros(len(calendar), dtype=np.int64)
        return calendar, []
    calendar, problems = sheet_sprints(sheet, file)
    if has_errors(problems):
        return calendar, problems
    if settings.start is not None:
        calendar = calendar[calendar["end"] >= pd.Timestamp(settings.start)].reset_index(drop=True)
        if len(calendar) == 0:
            problems.append(
                Problem(
                    ERROR,
                    f"no sprint of the sprints sheet ends on or after the start date {settings.start}",
                    file,
                    SPRINTS_SHEET,
                    None,
                    "end",
                )
            )
            return calendar, problems
    if settings.sprint_count is not None:
        if settings.sprint_count > len(calendar):
            problems.append(
                Problem(
                    WARNING,
                    f"{settings.sprint_count} sprints asked for, the sprints sheet has "
                    f"{len(calendar)}: planning {len(calendar)}",
                    file,
                    SPRINTS_SHEET,
                )
            )
        calendar = calendar.head(settings.sprint_count).reset_index(drop=True)
    return calendar, problems
