"""Capacity engine: net capacity per person, team, skill and sprint after holidays, OOO and on-call.

Net capacity of person ``p`` in sprint ``s`` (SPEC section 2), step by step, every step kept as a
column of :attr:`CapacityResult.person_sprint` so that the ledger adds up exactly:

====================  ==========================================================================
``gross``             ``working_days x allocation`` (working days = Mon-Fri in the sprint, before
                      holidays), or ``days_per_sprint`` when set (``allocation`` is then ignored)
``after_holidays``    ``(working_days - holiday_days) x allocation``
``after_ooo``         ``(working_days - holiday_days - ooo_days) x allocation``
``after_oncall``      ``max(0, after_ooo - on-call days x load)``: the only step that can go below
                      zero, so capacity is clipped here and is never negative
``after_focus``       ``x focus_factor`` (the slider when set, else the team's, else 1)
``after_buffer``      ``x (1 - buffer)``: this is the SPEC's net capacity
``net``               ``x capacity_pct``: the global what-if multiplier is its own, last ledger step
                      ("capacity %"), so the what-if shows as one bar of the waterfall
====================  ==========================================================================

Day counting, all on the sprint's Mon-Fri days: a holiday applies to everyone (blank team) or to
that team's people only; an OOO day that is also a holiday is a holiday, not OOO (counted once);
overlapping OOO rows of a person count each day once; an on-call day that is a holiday or an OOO day
is not on-call; overlapping on-call rows count each day once, at the highest load among them.

``days_per_sprint`` is read as the person's days in a sprint without holidays. Holidays and OOO
reduce it in proportion to the working days they take:
``after_ooo = days_per_sprint x (working_days - holiday_days - ooo_days) / working_days``; on-call,
focus, buffer and capacity % then apply as for everyone.

Errors and warnings. Input that cannot be used raises :class:`InputError` listing every problem
found: no people at all; a person without a name, listed twice in a team, with an allocation outside
0..1 or a negative ``days_per_sprint``; an OOO or on-call row naming no one known, missing a date,
ending before it starts, or with a load outside 0..1; a holiday without a date; a sprint row without
a name or dates, ending before it starts, or named twice; a team listed twice, with a negative
velocity or a focus factor outside 0..1; unit ``points`` without the velocity of every staffed team
(mixed units); invalid settings or what-ifs. What a plan can live with is a warning in
:attr:`CapacityResult.problems`, and the capacity is as computed (often 0): a team with no people, a
sprint (or one team's sprint) with 0 working days, on-call eating a person's whole availability, a
holiday for an unknown team, ``allocation`` ignored because of ``days_per_sprint``, sprints that
overlap or already ended.

This module holds the entry points and the choice of sprints; import every public name from here.
The work is done below it: :mod:`planner.capacity_types` (constants, settings, result),
:mod:`planner.capacity_inputs` (reading the tables and the what-ifs), :mod:`planner.capacity_ledger`
(the arithmetic and the result frames), :mod:`planner.capacity_checks` (raising the errors, the
warnings) and :mod:`planner.contention` (demand vs capacity).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from planner.capacity_checks import (
    calendar_warnings,
    person_warnings,
    raise_if_errors,
    require_velocity,
    team_warnings,
)
from planner.capacity_inputs import (
    apply_headcount,
    extra_ooo_ranges,
    read_holidays,
    read_people,
    read_ranges,
    read_teams,
)
from planner.capacity_ledger import (
    capacity_steps,
    day_counts,
    ledger_frame,
    person_sprint_frame,
    sum_per_team,
    team_points_per_day,
    team_sprint_frame,
    team_skill_frame,
)
from planner.capacity_types import (
    DEFAULT_SPRINT_COUNT,
    GENERAL_SKILL,
    LEDGER_STEPS,
    NO_TEAM,
    UNITS,
    CapacityResult,
    CapacitySettings,
)
# Public here before the engine was split into modules: kept importable from planner.capacity.
from planner.capacity_types import SETTINGS_FILE, Unit  # noqa: F401
from planner.contention import TIGHT_AT, UNASSIGNED, check_units, contention
from planner.problems import ERROR, WARNING, Problem, has_errors
from planner.schema import CapacityTables
from planner.workdays import (
    SPRINTS_SHEET,
    as_date,
    count_working_days,
    generate_sprints,
    next_monday,
    sheet_sprints,
)

__all__ = [
    "DEFAULT_SPRINT_COUNT",
    "GENERAL_SKILL",
    "LEDGER_STEPS",
    "NO_TEAM",
    "TIGHT_AT",
    "UNASSIGNED",
    "UNITS",
    "CapacityResult",
    "CapacitySettings",
    "check_units",
    "compute_capacity",
    "contention",
    "sprint_calendar",
]


# --------------------------------------------------------------------------------------------------
# Public entry points


def sprint_calendar(
    tables: CapacityTables,
    settings: CapacitySettings = CapacitySettings(),
    today: date | None = None,
    *,
    file: str = "capacity",
) -> pd.DataFrame:
    """The sprints of the planning horizon with their working days (see :mod:`planner.workdays`).

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
        calendar = generate_sprints(start, settings.sprint_count or DEFAULT_SPRINT_COUNT,
                                    settings.default_sprint_days)
        calendar["source_row"] = np.zeros(len(calendar), dtype=np.int64)
        return calendar, []
    calendar, problems = sheet_sprints(sheet, file)
    if has_errors(problems):
        return calendar, problems
    if settings.start is not None:
        calendar = calendar[calendar["end"] >= pd.Timestamp(settings.start)].reset_index(drop=True)
        if len(calendar) == 0:
            problems.append(Problem(
                ERROR, f"no sprint of the sprints sheet ends on or after the start date {settings.start}",
                file, SPRINTS_SHEET, None, "end",
            ))
            return calendar, problems
    if settings.sprint_count is not None:
        if settings.sprint_count > len(calendar):
            problems.append(Problem(
                WARNING, f"{settings.sprint_count} sprints asked for, the sprints sheet has "
                f"{len(calendar)}: planning {len(calendar)}", file, SPRINTS_SHEET,
            ))
        calendar = calendar.head(settings.sprint_count).reset_index(drop=True)
    return calendar, problems

