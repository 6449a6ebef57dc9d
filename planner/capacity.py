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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from planner.workdays import (
    SPRINTS_SHEET,
    as_date,
    count_working_days,
    day_grid,
    generate_sprints,
    next_monday,
    range_mask,
    sheet_sprints,
)
from planner.errors import InputError, PlannerError
from planner.problems import ERROR, WARNING, Problem, has_errors
from planner.schema import CapacityTables, split_list

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

Unit = Literal["days", "points"]
UNITS: tuple[str, ...] = ("days", "points")
GENERAL_SKILL = "general"
NO_TEAM = "(no team)"
UNASSIGNED = "unassigned"
DEFAULT_SPRINT_COUNT = 6
TIGHT_AT = 0.85
SETTINGS_FILE = "settings"
LEDGER_STEPS: tuple[str, ...] = (
    "gross", "holidays", "OOO", "on-call", "focus", "buffer", "capacity %", "net",
)
# person_sprint column behind each ledger total, in order; a step's change is the difference of two.
_STEP_COLUMNS: tuple[str, ...] = (
    "gross", "after_holidays", "after_ooo", "after_oncall", "after_focus", "after_buffer", "net",
)
_MAX_CAPACITY_PCT = 2.0


# --------------------------------------------------------------------------------------------------
# Small helpers (defined first: the settings' defaults use them at import time)


def _key(text: object) -> str | None:
    """Matching key of a name or team: trimmed and case-folded; ``None`` when blank."""
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return None
    return str(text).strip().casefold() or None


def _texts(series: pd.Series) -> list[str | None]:
    """A text column as trimmed Python strings, blank = ``None`` (faster than pandas on small sheets)."""
    return [None if value is None or value is pd.NA or not str(value).strip() else str(value).strip()
            for value in series.tolist()]


def _skills(text: object) -> tuple[str, ...]:
    skills = tuple(dict.fromkeys(part.casefold() for part in split_list(text)))
    return skills or (GENERAL_SKILL,)


def _row(value: object) -> int | None:
    """A source row as a user sees it; 0 means the table was built in code, with no file row."""
    row = int(value)  # type: ignore[call-overload]
    return row if row > 0 else None


def _raise_if_errors(problems: Sequence[Problem], file: str) -> None:
    errors = [problem for problem in problems if problem.severity == ERROR]
    if errors:
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        raise InputError(f"{file}: {count} to fix before capacity can be computed", errors)


def _setting_problem(name: str, message: str) -> Problem:
    return Problem(ERROR, message, SETTINGS_FILE, None, None, name)


def _in_range(value: object, low: float, high: float, *, low_open: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    if np.isnan(value):
        return False
    return (low < value if low_open else low <= value) and value <= high


def _positive_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


def _normalise_extra_ooo(extra: object, problems: list[Problem]) -> tuple[tuple[str, date, date], ...]:
    result: list[tuple[str, date, date]] = []
    for entry in extra or ():  # type: ignore[attr-defined]
        try:
            name, start, end = entry
            start, end = as_date(start), as_date(end)
        except (TypeError, ValueError):
            problems.append(_setting_problem("extra_ooo", f"{entry!r} is not (name, start date, end date)"))
            continue
        if end < start:
            problems.append(_setting_problem(
                "extra_ooo", f"{name}'s extra out-of-office ends ({end}) before it starts ({start}): "
                "swap start and end",
            ))
            continue
        result.append((str(name), start, end))
    return tuple(result)


def _normalise_headcount(headcount: object, problems: list[Problem]) -> tuple[tuple[str, int], ...]:
    result: list[tuple[str, int]] = []
    for entry in headcount or ():  # type: ignore[attr-defined]
        try:
            team, delta = entry
        except (TypeError, ValueError):
            problems.append(_setting_problem("headcount", f"{entry!r} is not (team, change in people)"))
            continue
        if isinstance(delta, bool) or not isinstance(delta, (int, np.integer)):
            problems.append(_setting_problem(
                "headcount", f"{team}: the change in people {delta!r} must be a whole number"
            ))
            continue
        result.append((str(team), int(delta)))
    return tuple(result)


# --------------------------------------------------------------------------------------------------
# Settings and result


@dataclass(frozen=True)
class CapacitySettings:
    """What-if knobs of the capacity engine; each is a plain value a slider or a CLI flag can set.

    - ``unit``: ``"days"`` or ``"points"`` (points need every staffed team's velocity).
    - ``focus_factor``: ``None`` = each team's ``focus_factor`` from the teams sheet, else 1; a
      value in (0, 1] overrides every team.
    - ``buffer``: share of capacity kept free, 0..1. ``oncall_load``: load of on-call rows whose
      ``load`` is blank, 0..1 (rows with a load keep it).
    - ``capacity_pct``: global multiplier, 0..2 (1 = as computed), applied last.
    - ``extra_ooo``: extra ``(name, start, end)`` out-of-office ranges (dates or ISO text).
    - ``headcount``: ``(team, change)`` pairs applied in order: ``+n`` adds n generic full-time
      people ("New hire 1 (pod-x)", skill general); ``-n`` removes the last n people listed in that
      team, never below 0.
    - ``sprint_count``: plan the first N sprints (``None``: every sheet sprint, or
      :data:`DEFAULT_SPRINT_COUNT` generated ones). ``default_sprint_days``: calendar days of a
      generated sprint. ``start``: first day of generated sprints (default: the coming Monday); with
      a sprints sheet, sprints that end before ``start`` are left out.

    Lists are turned into tuples and dates into ``date`` so settings stay hashable (cache keys).
    Invalid values raise :class:`InputError` naming the setting.
    """

    unit: Unit = "days"
    focus_factor: float | None = None
    buffer: float = 0.0
    oncall_load: float = 1.0
    capacity_pct: float = 1.0
    extra_ooo: tuple[tuple[str, date, date], ...] = ()
    headcount: tuple[tuple[str, int], ...] = ()
    sprint_count: int | None = None
    default_sprint_days: int = 14
    start: date | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        object.__setattr__(self, "extra_ooo", _normalise_extra_ooo(self.extra_ooo, problems))
        object.__setattr__(self, "headcount", _normalise_headcount(self.headcount, problems))
        if self.start is not None:
            try:
                object.__setattr__(self, "start", as_date(self.start))
            except (TypeError, ValueError):
                problems.append(_setting_problem("start", f"{self.start!r} is not a date"))
        if self.unit not in UNITS:
            problems.append(_setting_problem("unit", f"unit must be 'days' or 'points', not {self.unit!r}"))
        if self.focus_factor is not None and not _in_range(self.focus_factor, 0.0, 1.0, low_open=True):
            problems.append(_setting_problem(
                "focus_factor", f"focus factor must be above 0 and at most 1, not {self.focus_factor!r}"
            ))
        for name, low, high in (("buffer", 0.0, 1.0), ("oncall_load", 0.0, 1.0),
                                ("capacity_pct", 0.0, _MAX_CAPACITY_PCT)):
            value = getattr(self, name)
            if not _in_range(value, low, high):
                problems.append(_setting_problem(name, f"{name} must be between {low:g} and {high:g}, "
                                                       f"not {value!r}"))
        if self.sprint_count is not None and not _positive_int(self.sprint_count):
            problems.append(_setting_problem(
                "sprint_count", f"sprint count must be a whole number of at least 1, not {self.sprint_count!r}"
            ))
        if not _positive_int(self.default_sprint_days):
            problems.append(_setting_problem(
                "default_sprint_days",
                f"sprint length must be a whole number of days, at least 1, not {self.default_sprint_days!r}",
            ))
        if problems:
            raise InputError("Capacity settings are not valid", problems)


@dataclass(frozen=True)
class CapacityResult:
    """Capacity of the planning horizon. Frames are in team / person order, then sprint order.

    - ``sprints``: sprint, start, end, working_days (Mon-Fri), holiday_days (team-wide holidays on
      those days), available_days.
    - ``person_sprint``: one row per person and sprint: name, team, sprint, skills, allocation,
      days_per_sprint, added (a headcount what-if hire), working_days, holiday_days, ooo_days,
      oncall_days, oncall_load (mean load of the counted on-call days, NaN without any),
      focus_factor, buffer, capacity_pct, then the steps gross, after_holidays, after_ooo,
      after_oncall, after_focus, after_buffer, net, all in days.
    - ``team_sprint``: team, sprint, people, gross_days, net_days, full_days, velocity, net, unit.
      ``full_days`` is the team's full availability: the people listed in the file (before
      headcount what-ifs, so hiring raises points) in a sprint of the usual length (the most common
      number of working days among the planned sprints), with no holidays, OOO or on-call, at focus
      1 and buffer 0; ``days_per_sprint`` people count their ``days_per_sprint``. In points,
      ``net = velocity x net_days / full_days``; in days ``net = net_days``. Teams without people
      have rows of 0.
    - ``team_skill_sprint``: team, skill, sprint, people (having the skill), max_days (net days of
      everyone with the skill: a two-skill person counts fully in both, so skills do not add up to
      the team; the team total is ``team_sprint``), dedicated_days (people whose only skill it is),
      max and dedicated (the same in ``unit``). People without skills have the skill ``general``.
    - ``ledger``: team, sprint, step (:data:`LEDGER_STEPS`), kind (``total`` for gross and net,
      ``change`` for the steps between, negative for a deduction), days; per team and sprint
      ``gross + changes = net``.
    - ``problems``: warnings only (errors raise :class:`InputError`).
    """

    sprints: pd.DataFrame
    person_sprint: pd.DataFrame
    team_sprint: pd.DataFrame
    team_skill_sprint: pd.DataFrame
    ledger: pd.DataFrame
    problems: tuple[Problem, ...] = ()
    unit: Unit = "days"
    settings: CapacitySettings = field(default_factory=CapacitySettings)


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
    today = as_date(today) if today is not None else date.today()
    calendar, problems = _horizon(tables.sprints, settings, today, file)
    holidays, holiday_problems = _read_holidays(tables.holidays, {}, file, warn_unknown_team=False)
    _raise_if_errors(problems + holiday_problems, file)
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
    today = as_date(today) if today is not None else date.today()
    problems: list[Problem] = []

    calendar, found = _horizon(tables.sprints, settings, today, file)
    problems += found
    listed, found = _read_people(tables.people, file)
    problems += found
    teams, found = _read_teams(tables.teams, listed, file)
    problems += found
    holidays, found = _read_holidays(tables.holidays, teams.index_of, file)
    problems += found
    names = listed.name_index()
    ooo, found = _read_ranges(tables.ooo, "ooo", names, file)
    problems += found
    extra, found = _extra_ooo_ranges(settings.extra_ooo, names)
    problems += found
    oncall, found = _read_ranges(tables.oncall, "oncall", names, file, default_load=settings.oncall_load)
    problems += found
    people, found = _apply_headcount(listed, teams, settings.headcount)
    problems += found
    _raise_if_errors(problems, file)
    _require_velocity(settings.unit, teams, people, file)

    calendar = count_working_days(calendar, holidays.team_wide)
    days = _day_counts(people, teams, calendar, holidays, ooo.plus(extra), oncall)
    steps = _capacity_steps(people, teams, calendar, days, settings)
    team_sums = _team_sums(people, teams, steps)
    points_per_day, full_days, found = _points_per_day(settings.unit, listed, people, teams, calendar, file)
    problems += found

    problems += _calendar_warnings(calendar, today, len(tables.sprints) > 0, file)
    problems += _team_warnings(people, listed, teams, calendar, days, settings.headcount, file)
    problems += _person_warnings(people, calendar, days, steps, file)
    return CapacityResult(
        sprints=calendar.drop(columns="source_row"),
        person_sprint=_person_sprint_frame(people, calendar, days, steps, settings),
        team_sprint=_team_sprint_frame(teams, calendar, team_sums, full_days, points_per_day, settings.unit),
        team_skill_sprint=_team_skill_frame(people, teams, calendar, steps["net"], points_per_day),
        ledger=_ledger_frame(teams, calendar, team_sums),
        problems=tuple(problems),
        unit=settings.unit,
        settings=settings,
    )


def check_units(backlog_unit: str, capacity_unit: str) -> None:
    """Refuse to compare a backlog and a capacity in different units (points vs days)."""
    for label, unit in (("backlog", backlog_unit), ("capacity", capacity_unit)):
        if unit not in UNITS:
            raise PlannerError(f"The {label} unit must be 'days' or 'points', not {unit!r}.")
    if backlog_unit != capacity_unit:
        needs = " (it needs each team's velocity)" if backlog_unit == "points" else ""
        raise PlannerError(
            f"Mixed units: the backlog's effort is in {backlog_unit} but capacity is in {capacity_unit}. "
            f"Compute capacity in {backlog_unit}{needs}, or estimate the backlog in {capacity_unit}."
        )


def contention(
    backlog: pd.DataFrame,
    capacity: CapacityResult,
    *,
    backlog_unit: str | None = None,
    tight_at: float = TIGHT_AT,
) -> pd.DataFrame:
    """Per team: Must + Should demand of open items vs net capacity over the whole horizon.

    Demand sums ``effort`` (blank = 0) of items whose ``moscow`` is Must or Should and that are not
    ``done``, by ``team`` (matched to capacity teams ignoring case and spaces around). Items with a
    blank team may go to any team: they form the :data:`UNASSIGNED` row, set against the capacity
    left over once each team's own Must + Should is covered. Items of a team the capacity does not
    know get a row with capacity 0.

    Columns: team, must_should_demand, net_capacity, sprints, ratio (demand / capacity; inf for
    demand without capacity), flag (``over`` when demand > capacity, ``tight`` above ``tight_at`` of
    it, else ``ok``), message. A known ``backlog_unit`` must match ``capacity.unit``
    (:func:`check_units`).
    """
    if backlog_unit is not None:
        check_units(backlog_unit, capacity.unit)
    demand, spelling = _must_should_demand(backlog)
    supply = capacity.team_sprint.groupby("team", sort=False)["net"].sum()
    rows: list[tuple[str, float, float]] = []
    for team, net in supply.items():
        rows.append((str(team), demand.pop(_key(team), 0.0), float(net)))
    unassigned = demand.pop(None, 0.0)
    for key, amount in demand.items():  # teams the capacity file does not know
        rows.append((spelling[key], amount, 0.0))  # type: ignore[index]
    if unassigned > 0:
        spare = sum(max(net - amount, 0.0) for _, amount, net in rows)
        rows.append((UNASSIGNED, unassigned, spare))

    sprint_count = len(capacity.sprints)
    ratios = [_ratio(amount, net) for _, amount, net in rows]
    flags = [_flag(ratio, tight_at) for ratio in ratios]
    messages = [
        _contention_message(team, amount, net, ratio, flag, capacity.unit, sprint_count)
        for (team, amount, net), ratio, flag in zip(rows, ratios, flags)
    ]
    return pd.DataFrame({
        "team": pd.array([row[0] for row in rows], dtype="string"),
        "must_should_demand": np.array([row[1] for row in rows], dtype=np.float64),
        "net_capacity": np.array([row[2] for row in rows], dtype=np.float64),
        "sprints": np.full(len(rows), sprint_count, dtype=np.int64),
        "ratio": np.array(ratios, dtype=np.float64),
        "flag": pd.array(flags, dtype="string"),
        "message": pd.array(messages, dtype="string"),
    })


# --------------------------------------------------------------------------------------------------
# Inputs: a roster of people, teams, holidays and date ranges, validated


@dataclass(frozen=True)
class _Roster:
    """People, one entry per row of the people sheet (plus what-if hires), as plain arrays.

    ``listed_row`` is the person's position in the people sheet (-1 for hires): OOO and on-call
    rows point at it, so they follow the person through headcount what-ifs.
    """

    name: list[str]
    team: list[str]
    team_key: list[str]
    skills: list[tuple[str, ...]]
    allocation: np.ndarray
    allocation_given: np.ndarray
    days_per_sprint: np.ndarray  # NaN = not set
    source_row: np.ndarray
    added: np.ndarray
    listed_row: np.ndarray

    def __len__(self) -> int:
        return len(self.name)

    def take(self, rows: Sequence[int]) -> "_Roster":
        """The people at ``rows``, in that order."""
        index = np.asarray(rows, dtype=np.int64)
        return _Roster(*(
            [value[i] for i in index] if isinstance(value, list) else value[index]
            for value in (getattr(self, f) for f in _ROSTER_FIELDS)
        ))

    def plus(self, other: "_Roster") -> "_Roster":
        """This roster followed by ``other``."""
        return _Roster(*(
            a + b if isinstance(a, list) else np.concatenate([a, b])
            for a, b in ((getattr(self, f), getattr(other, f)) for f in _ROSTER_FIELDS)
        ))

    def name_index(self) -> dict[str, list[int]]:
        """Name key -> listed rows (several when a person is split across teams)."""
        index: dict[str, list[int]] = {}
        for row, name in zip(self.listed_row.tolist(), self.name):
            key = _key(name)
            if key is not None:
                index.setdefault(key, []).append(row)
        return index


_ROSTER_FIELDS = tuple(_Roster.__dataclass_fields__)


@dataclass(frozen=True)
class _Teams:
    """Teams in display order: people's teams as first listed, then teams only in the teams sheet."""

    names: list[str]
    index_of: dict[str, int]  # team key -> position
    velocity: np.ndarray  # NaN = not given
    focus_factor: np.ndarray  # NaN = not given
    source_row: np.ndarray  # teams-sheet row; 0 when not there or built in code
    in_sheet: np.ndarray  # bool

    def codes(self, people: _Roster) -> np.ndarray:
        """Each person's team position."""
        return np.array([self.index_of[key] for key in people.team_key], dtype=np.int64)


@dataclass(frozen=True)
class _Holidays:
    team_wide: np.ndarray  # datetime64[D]
    by_team: dict[int, np.ndarray]  # team position -> datetime64[D]


@dataclass(frozen=True)
class _Ranges:
    """OOO or on-call ranges: listed person row, inclusive start and end (datetime64[D]), load."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray
    load: np.ndarray

    def plus(self, other: "_Ranges") -> "_Ranges":
        return _Ranges(*(np.concatenate([getattr(self, f), getattr(other, f)])
                         for f in ("person", "start", "end", "load")))


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


def _read_people(frame: pd.DataFrame, file: str) -> tuple[_Roster, list[Problem]]:
    """The people sheet as a roster. Blank allocation = 1, blank skills = general.

    A blank team becomes :data:`NO_TEAM`, with a warning when other people do have a team (a
    one-team file may well have no team column). The same name in several teams is a person split
    across teams: allowed, with a warning when the allocations add up to more than 1.
    """
    sheet = "people"
    problems: list[Problem] = []
    rows = frame["source_row"].to_numpy(dtype=np.int64)

    def problem(severity: str, i: int, message: str, column: str) -> None:
        problems.append(Problem(severity, message, file, sheet, _row(rows[i]), column))  # type: ignore[arg-type]

    if len(frame) == 0:
        problems.append(Problem(ERROR, "the people sheet has no one in it: list at least one person "
                                "with a name and a team", file, sheet, None, "name"))
        return _new_hires("", "", 0, 0), problems

    names = _texts(frame["name"])
    teams = _texts(frame["team"])
    labels = [name or "this person" for name in names]
    for i in (i for i, name in enumerate(names) if name is None):
        problem(ERROR, i, "this person has no name", "name")
    if any(team is None for team in teams) and any(team is not None for team in teams):
        for i in (i for i, team in enumerate(teams) if team is None and names[i] is not None):
            problem(WARNING, i, f"{labels[i]} has no team: counted in {NO_TEAM!r}", "team")
    teams = [team or NO_TEAM for team in teams]

    allocation = frame["allocation"].to_numpy(dtype=np.float64)
    given = ~np.isnan(allocation)
    for i in np.flatnonzero(given & ((allocation < 0) | (allocation > 1))):
        # 80 instead of 0.8 is the likely slip: say how to write it.
        hint = f" (for {allocation[i]:g}% write {allocation[i] / 100:g})" if 1 < allocation[i] <= 100 else ""
        problem(ERROR, i, f"{labels[i]}'s allocation {allocation[i]:g} is outside 0..1{hint}", "allocation")
    per_sprint = frame["days_per_sprint"].to_numpy(dtype=np.float64)
    for i in np.flatnonzero(per_sprint < 0):
        problem(ERROR, i, f"{labels[i]}'s days_per_sprint {per_sprint[i]:g} is negative", "days_per_sprint")

    seen: dict[tuple[str | None, str | None], int] = {}
    allocation_by_name: dict[str, list[float]] = {}
    for i, (name, team) in enumerate(zip(names, teams)):
        if name is None:
            continue
        pair = (_key(name), _key(team))
        if pair in seen:
            problem(ERROR, i, f"{name} is listed twice in {team}: keep one row", "name")
        seen[pair] = i
        allocation_by_name.setdefault(pair[0], []).append(allocation[i] if given[i] else 1.0)  # type: ignore[arg-type]
    for key, shares in allocation_by_name.items():
        if len(shares) > 1 and sum(shares) > 1 + 1e-9:
            i = next(i for i, name in enumerate(names) if _key(name) == key)
            problem(WARNING, i, f"{names[i]} is in {len(shares)} teams with allocations adding up to "
                    f"{sum(shares):g}, more than 1", "allocation")

    roster = _Roster(
        name=labels,
        team=teams,
        team_key=[_key(team) for team in teams],  # type: ignore[misc]
        skills=[_skills(text) for text in frame["skills"].tolist()],
        allocation=np.where(given, allocation, 1.0),
        allocation_given=given,
        days_per_sprint=per_sprint,
        source_row=rows,
        added=np.zeros(len(frame), dtype=bool),
        listed_row=np.arange(len(frame), dtype=np.int64),
    )
    return roster, problems


def _read_teams(frame: pd.DataFrame, people: _Roster, file: str) -> tuple[_Teams, list[Problem]]:
    """Teams: people's teams in order of appearance, then teams only in the teams sheet."""
    sheet = "teams"
    problems: list[Problem] = []
    names: list[str] = []
    index_of: dict[str, int] = {}
    for team, key in zip(people.team, people.team_key):
        if key not in index_of:
            index_of[key] = len(names)
            names.append(team)

    rows = frame["source_row"].to_numpy(dtype=np.int64)
    velocity_in = frame["velocity"].to_numpy(dtype=np.float64)
    focus_in = frame["focus_factor"].to_numpy(dtype=np.float64)
    listed: dict[str, int] = {}
    for i, team in enumerate(_texts(frame["team"])):
        def error(message: str, column: str) -> None:
            problems.append(Problem(ERROR, message, file, sheet, _row(rows[i]), column))

        if team is None:
            error("this row has no team name", "team")
            continue
        key = _key(team)
        if key in listed:
            error(f"{team} is listed twice in the teams sheet: keep one row", "team")
            continue
        listed[key] = i  # type: ignore[index]
        if velocity_in[i] < 0:
            error(f"{team}'s velocity {velocity_in[i]:g} is negative", "velocity")
        if not np.isnan(focus_in[i]) and not 0 < focus_in[i] <= 1:
            error(f"{team}'s focus factor {focus_in[i]:g} must be above 0 and at most 1 (0.8 for 80%)",
                  "focus_factor")
        if key not in index_of:
            index_of[key] = len(names)  # type: ignore[index]
            names.append(team)

    velocity = np.full(len(names), np.nan)
    focus = np.full(len(names), np.nan)
    source_row = np.zeros(len(names), dtype=np.int64)
    in_sheet = np.zeros(len(names), dtype=bool)
    for key, i in listed.items():
        position = index_of[key]
        velocity[position], focus[position] = velocity_in[i], focus_in[i]
        source_row[position], in_sheet[position] = rows[i], True
    return _Teams(names, index_of, velocity, focus, source_row, in_sheet), problems


def _read_holidays(
    frame: pd.DataFrame, team_index: Mapping[str, int], file: str, *, warn_unknown_team: bool = True
) -> tuple[_Holidays, list[Problem]]:
    """Holiday dates, team-wide (blank team) and per team position; unknown teams are ignored."""
    sheet = "holidays"
    problems: list[Problem] = []
    rows = frame["source_row"].to_numpy(dtype=np.int64)
    dates = frame["date"].to_numpy().astype("datetime64[D]")
    missing = np.isnat(dates)
    for i in np.flatnonzero(missing):
        problems.append(Problem(ERROR, "this holiday has no date", file, sheet, _row(rows[i]), "date"))
    teams = _texts(frame["team"])
    blank = np.array([team is None for team in teams], dtype=bool)
    by_team: dict[int, list[np.datetime64]] = {}
    for i in np.flatnonzero(~blank & ~missing):
        position = team_index.get(_key(teams[i]))  # type: ignore[arg-type]
        if position is not None:
            by_team.setdefault(position, []).append(dates[i])
        elif warn_unknown_team:
            problems.append(Problem(
                WARNING, f"holiday for team {teams[i]!r}, which has no people and is not in the teams "
                "sheet: ignored", file, sheet, _row(rows[i]), "team",
            ))
    return _Holidays(
        dates[blank & ~missing],
        {team: np.array(days, dtype="datetime64[D]") for team, days in by_team.items()},
    ), problems


def _read_ranges(
    frame: pd.DataFrame,
    sheet: str,
    names: Mapping[str, list[int]],
    file: str,
    *,
    default_load: float = 1.0,
) -> tuple[_Ranges, list[Problem]]:
    """OOO or on-call rows as ranges; a name split across teams gives one range per people row.

    Both dates are required (one day: the same start and end): a blank end could mean "open-ended",
    and guessing one day would understate the absence. Blank on-call loads get ``default_load``.
    """
    what = "out-of-office" if sheet == "ooo" else "on-call"
    problems: list[Problem] = []
    rows = frame["source_row"].to_numpy(dtype=np.int64)
    starts = frame["start"].to_numpy().astype("datetime64[D]")
    ends = frame["end"].to_numpy().astype("datetime64[D]")
    loads = frame["load"].to_numpy(dtype=np.float64) if "load" in frame.columns else np.full(len(frame), np.nan)
    person: list[int] = []
    kept: list[int] = []
    for i, name in enumerate(_texts(frame["name"])):
        errors: list[tuple[str, str]] = []
        matches = names.get(_key(name), []) if name is not None else []
        if name is None:
            errors.append((f"this {what} row has no name", "name"))
        elif not matches:
            errors.append((f"no one called {name!r} in the people sheet: check the spelling", "name"))
        label = name or "this person"
        for column, value in (("start", starts[i]), ("end", ends[i])):
            if np.isnat(value):
                errors.append((f"{label}'s {what} has no {column} date (for one day, give the same "
                               "start and end)", column))
        if not np.isnat(starts[i]) and not np.isnat(ends[i]) and ends[i] < starts[i]:
            errors.append((f"{label}'s {what} ends ({ends[i]}) before it starts ({starts[i]}): "
                           "swap start and end", "end"))
        if not np.isnan(loads[i]) and not 0 <= loads[i] <= 1:
            errors.append((f"{label}'s on-call load {loads[i]:g} is outside 0..1 (0.5 = half of each day)",
                           "load"))
        problems += [Problem(ERROR, message, file, sheet, _row(rows[i]), column) for message, column in errors]
        if not errors:
            person += matches
            kept += [i] * len(matches)
    load = np.where(np.isnan(loads[kept]), default_load, loads[kept])
    return _Ranges(np.array(person, dtype=np.int64), starts[kept], ends[kept], load), problems


def _extra_ooo_ranges(
    extra: Iterable[tuple[str, date, date]], names: Mapping[str, list[int]]
) -> tuple[_Ranges, list[Problem]]:
    """The what-if OOO ranges (dates already checked by :class:`CapacitySettings`)."""
    problems: list[Problem] = []
    person: list[int] = []
    starts: list[date] = []
    ends: list[date] = []
    for name, start, end in extra:
        matches = names.get(_key(name), [])  # type: ignore[arg-type]
        if not matches:
            problems.append(_setting_problem("extra_ooo", f"no one called {name!r} in the people sheet"))
        person += matches
        starts += [start] * len(matches)
        ends += [end] * len(matches)
    return _Ranges(
        np.array(person, dtype=np.int64), np.array(starts, dtype="datetime64[D]"),
        np.array(ends, dtype="datetime64[D]"), np.full(len(person), np.nan),
    ), problems


# --------------------------------------------------------------------------------------------------
# What-ifs and units


def _apply_headcount(
    people: _Roster, teams: _Teams, headcount: Iterable[tuple[str, int]]
) -> tuple[_Roster, list[Problem]]:
    """People after the headcount what-ifs: ``+n`` appends hires, ``-n`` drops the last n listed."""
    problems: list[Problem] = []
    for team, change in headcount:
        key = _key(team)
        if key not in teams.index_of:
            problems.append(_setting_problem(
                "headcount", f"no team called {team!r}; the teams are {', '.join(teams.names)}"
            ))
            continue
        members = [i for i, member_key in enumerate(people.team_key) if member_key == key]
        if change < 0:
            dropped = set(members[max(len(members) + change, 0):])
            people = people.take([i for i in range(len(people)) if i not in dropped])
        elif change > 0:
            hired = int(sum(people.added[i] for i in members))
            people = people.plus(_new_hires(teams.names[teams.index_of[key]], key, hired, change))
    return people, problems


def _new_hires(team: str, key: str, already: int, count: int) -> _Roster:
    """``count`` generic full-time people with the general skill, numbered after ``already``."""
    return _Roster(
        name=[f"New hire {already + i} ({team})" for i in range(1, count + 1)],
        team=[team] * count,
        team_key=[key] * count,
        skills=[(GENERAL_SKILL,)] * count,
        allocation=np.ones(count),
        allocation_given=np.zeros(count, dtype=bool),
        days_per_sprint=np.full(count, np.nan),
        source_row=np.zeros(count, dtype=np.int64),
        added=np.ones(count, dtype=bool),
        listed_row=np.full(count, -1, dtype=np.int64),
    )


def _require_velocity(unit: str, teams: _Teams, people: _Roster, file: str) -> None:
    """Unit points needs the velocity of every team with people: refuse mixed units."""
    if unit != "points":
        return
    staffed = sorted(set(teams.codes(people).tolist()))
    missing = [t for t in staffed if np.isnan(teams.velocity[t])]
    if not missing:
        return
    given = [teams.names[t] for t in staffed if not np.isnan(teams.velocity[t])]
    lacking = ", ".join(teams.names[t] for t in missing)
    if given:
        message = (f"Mixed units: {', '.join(given)} {'has' if len(given) == 1 else 'have'} a velocity "
                   f"but {lacking} {'has' if len(missing) == 1 else 'have'} none, so capacity cannot be "
                   "given in points for every team. Add the missing velocities to the teams sheet, or "
                   "plan in days.")
    else:
        message = ("Unit 'points' needs each team's velocity (points per sprint at full availability) "
                   "in the teams sheet, and none is given. Add a velocity column, or plan in days.")
    raise InputError(message, [
        Problem(ERROR, f"{teams.names[t]} has no velocity", file, "teams", _row(teams.source_row[t]), "velocity")
        for t in missing
    ])


# --------------------------------------------------------------------------------------------------
# The arithmetic: people x days matrices, summed into people x sprints


def _day_counts(
    people: _Roster,
    teams: _Teams,
    calendar: pd.DataFrame,
    holidays: _Holidays,
    ooo: _Ranges,
    oncall: _Ranges,
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
    dates: np.ndarray, ranges: _Ranges, position: Mapping[int, int], n_people: int
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


def _capacity_steps(
    people: _Roster,
    teams: _Teams,
    calendar: pd.DataFrame,
    days: Mapping[str, np.ndarray],
    settings: CapacitySettings,
) -> dict[str, np.ndarray]:
    """People x sprints arrays of every ledger step (formula in the module docstring)."""
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


def _focus_factors(people: _Roster, teams: _Teams, settings: CapacitySettings) -> np.ndarray:
    if settings.focus_factor is not None:
        return np.full(len(people), float(settings.focus_factor))
    return np.where(np.isnan(teams.focus_factor), 1.0, teams.focus_factor)[teams.codes(people)]


def _team_sums(people: _Roster, teams: _Teams, steps: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Teams x sprints sums of every step; teams without people get zeros."""
    membership = np.zeros((len(teams.names), len(people)), dtype=np.float64)
    membership[teams.codes(people), np.arange(len(people))] = 1.0
    sums = {column: membership @ steps[column] for column in _STEP_COLUMNS}
    sums["people"] = membership.sum(axis=1)
    return sums


def _points_per_day(
    unit: str, listed: _Roster, people: _Roster, teams: _Teams, calendar: pd.DataFrame, file: str
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
    for t in sorted(set(teams.codes(people).tolist())):
        if full[t] == 0:
            problems.append(Problem(
                WARNING, f"{teams.names[t]} has no days at full availability (allocation 0?): its "
                "velocity cannot be scaled, so its capacity is 0 points", file, "teams",
                _row(teams.source_row[t]), "velocity",
            ))
    velocity = np.nan_to_num(teams.velocity, nan=0.0)
    return np.divide(velocity, full, out=np.zeros(len(full)), where=full > 0), full, problems


def _full_days(people: _Roster, teams: _Teams, calendar: pd.DataFrame) -> np.ndarray:
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


def _strings(values: Sequence[object], index: np.ndarray) -> pd.arrays.StringArray:
    """``values[index]`` as a pandas string array (built once, then taken: cheap for repeats)."""
    return pd.array(list(values), dtype="string").take(index)


def _person_sprint_frame(
    people: _Roster,
    calendar: pd.DataFrame,
    days: Mapping[str, np.ndarray],
    steps: Mapping[str, np.ndarray],
    settings: CapacitySettings,
) -> pd.DataFrame:
    n_people, n_sprints = len(people), len(calendar)
    person = np.repeat(np.arange(n_people), n_sprints)
    sprint = np.tile(np.arange(n_sprints), n_people)
    oncall_load = np.divide(days["oncall_deduction"], days["oncall_days"],
                            out=np.full(days["oncall_days"].shape, np.nan), where=days["oncall_days"] > 0)
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


def _team_sprint_frame(
    teams: _Teams,
    calendar: pd.DataFrame,
    sums: Mapping[str, np.ndarray],
    full_days: np.ndarray,
    points_per_day: np.ndarray,
    unit: str,
) -> pd.DataFrame:
    n_teams, n_sprints = len(teams.names), len(calendar)
    team = np.repeat(np.arange(n_teams), n_sprints)
    return pd.DataFrame({
        "team": _strings(teams.names, team),
        "sprint": _strings(calendar["sprint"].tolist(), np.tile(np.arange(n_sprints), n_teams)),
        "people": sums["people"][team].astype(np.int64),
        "gross_days": sums["gross"].ravel(),
        "net_days": sums["net"].ravel(),
        "full_days": full_days[team],
        "velocity": teams.velocity[team],
        "net": (sums["net"] * points_per_day[:, None]).ravel(),
        "unit": _strings([unit], np.zeros(n_teams * n_sprints, dtype=np.int64)),
    })


def _team_skill_frame(
    people: _Roster, teams: _Teams, calendar: pd.DataFrame, net: np.ndarray, points_per_day: np.ndarray
) -> pd.DataFrame:
    """Per team, skill and sprint: net days of people with the skill, and of those with only it."""
    n_sprints = len(calendar)
    skill_count = np.array([len(skills) for skills in people.skills], dtype=np.int64)
    pair_person = np.repeat(np.arange(len(people)), skill_count)  # one (person, skill) pair per entry
    skill_code_of: dict[str, int] = {}
    pair_skill = np.array([skill_code_of.setdefault(skill, len(skill_code_of))
                           for skills in people.skills for skill in skills], dtype=np.int64)
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
    return pd.DataFrame({
        "team": _strings([teams.names[team] for team, _ in group_keys], row_group),
        "skill": _strings([skill_names[skill] for _, skill in group_keys], row_group),
        "sprint": _strings(calendar["sprint"].tolist(), np.tile(np.arange(n_sprints), n_groups)),
        "people": np.bincount(group, minlength=n_groups)[row_group].astype(np.int64),
        "max_days": max_days.ravel(),
        "dedicated_days": dedicated_days.ravel(),
        "max": (max_days * factor).ravel(),
        "dedicated": (dedicated_days * factor).ravel(),
    })


def _ledger_frame(teams: _Teams, calendar: pd.DataFrame, sums: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long ledger: per team and sprint, gross, the change made by each step, then net."""
    changes = [sums[after] - sums[before] for before, after in zip(_STEP_COLUMNS, _STEP_COLUMNS[1:])]
    values = np.stack([sums["gross"], *changes, sums["net"]], axis=-1)  # teams x sprints x steps
    n_teams, n_sprints, n_steps = values.shape
    kinds = ["total"] + ["change"] * (n_steps - 2) + ["total"]
    return pd.DataFrame({
        "team": _strings(teams.names, np.repeat(np.arange(n_teams), n_sprints * n_steps)),
        "sprint": _strings(calendar["sprint"].tolist(),
                           np.tile(np.repeat(np.arange(n_sprints), n_steps), n_teams)),
        "step": _strings(LEDGER_STEPS, np.tile(np.arange(n_steps), n_teams * n_sprints)),
        "kind": _strings(kinds, np.tile(np.arange(n_steps), n_teams * n_sprints)),
        "days": values.ravel(),
    })


# --------------------------------------------------------------------------------------------------
# Warnings


def _calendar_warnings(calendar: pd.DataFrame, today: date, from_sheet: bool, file: str) -> list[Problem]:
    """Sprints with 0 working days (why) and, for a sheet, sprints that already ended."""
    problems: list[Problem] = []
    sheet = SPRINTS_SHEET if from_sheet else None
    column = "start" if from_sheet else None
    names = calendar["sprint"].tolist()
    starts, ends = calendar["start"].tolist(), calendar["end"].tolist()
    working = calendar["working_days"].tolist()
    rows = calendar["source_row"].tolist()
    for i in np.flatnonzero(calendar["available_days"].to_numpy() == 0):
        why = (f"{starts[i]:%a %Y-%m-%d} to {ends[i]:%a %Y-%m-%d} is all weekend" if working[i] == 0
               else f"all its {working[i]} weekdays are holidays")
        problems.append(Problem(WARNING, f"{names[i]} has 0 working days ({why}): its capacity is 0",
                                file, sheet, _row(rows[i]), column))
    ended = [i for i, end in enumerate(ends) if end.date() < today]
    if from_sheet and ended:
        listed = ", ".join(names[i] for i in ended)
        problems.append(Problem(WARNING, f"{listed} ended before today ({today}): planned as written",
                                file, sheet, _row(rows[ended[0]]), "end"))
    return problems


def _team_warnings(
    people: _Roster,
    listed: _Roster,
    teams: _Teams,
    calendar: pd.DataFrame,
    days: Mapping[str, np.ndarray],
    headcount: Iterable[tuple[str, int]],
    file: str,
) -> list[Problem]:
    """Teams without people, and teams whose own holidays take a whole sprint."""
    problems: list[Problem] = []
    staffed, was_staffed = set(people.team_key), set(listed.team_key)
    shrunk = {_key(team) for team, change in headcount if change < 0}
    for key, t in teams.index_of.items():
        if key in staffed:
            continue
        why = ("the headcount what-if removes everyone" if key in was_staffed and key in shrunk
               else "no one in the people sheet is in it")
        problems.append(Problem(
            WARNING, f"{teams.names[t]} has no people ({why}): its capacity is 0",
            file, "teams" if teams.in_sheet[t] else "people", _row(teams.source_row[t]), "team",
        ))
    # Sprints with 0 working days for everyone are reported once, by the calendar.
    team_wide_open = calendar["available_days"].to_numpy() > 0
    names = calendar["sprint"].tolist()
    for t, s in zip(*np.nonzero((days["team_available"] == 0) & team_wide_open[None, :])):
        problems.append(Problem(
            WARNING, f"{teams.names[t]} has 0 working days in {names[s]}: all its weekdays are "
            f"{teams.names[t]} holidays, so its capacity there is 0", file, "holidays", None, "team",
        ))
    return problems


def _person_warnings(
    people: _Roster,
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
        problems.append(Problem(
            WARNING, f"{people.name[p]}'s on-call takes all their available time in "
            f"{', '.join(sprint_names[eaten[p]])}: capacity 0 there", file, "oncall", None, "load",
        ))
    working = calendar["working_days"].to_numpy(dtype=np.float64)
    open_sprint = calendar["available_days"].to_numpy() > 0  # closed ones are reported already
    for p in np.flatnonzero(~np.isnan(people.days_per_sprint)):
        row = _row(people.source_row[p])
        if people.allocation_given[p] and people.allocation[p] != 1:
            problems.append(Problem(
                WARNING, f"{people.name[p]} has days_per_sprint, so their allocation "
                f"{people.allocation[p]:g} is not used", file, "people", row, "allocation",
            ))
        short = open_sprint & (working < people.days_per_sprint[p])
        if short.any():
            problems.append(Problem(
                WARNING, f"{people.name[p]}'s days_per_sprint ({people.days_per_sprint[p]:g}) is more than "
                f"the working days of {', '.join(sprint_names[short])}", file, "people", row, "days_per_sprint",
            ))
    return problems


# --------------------------------------------------------------------------------------------------
# Contention helpers


def _must_should_demand(backlog: pd.DataFrame) -> tuple[dict[str | None, float], dict[str, str]]:
    """Open Must + Should effort by team key (``None`` = blank team), and each key's spelling."""
    n = len(backlog)
    moscow = _texts(backlog["moscow"]) if "moscow" in backlog.columns else [None] * n
    teams = _texts(backlog["team"]) if "team" in backlog.columns else [None] * n
    done = backlog["done"].fillna(False).astype(bool).tolist() if "done" in backlog.columns else [False] * n
    effort = (pd.to_numeric(backlog["effort"], errors="coerce").fillna(0.0).tolist()
              if "effort" in backlog.columns else [0.0] * n)
    demand: dict[str | None, float] = {}
    spelling: dict[str, str] = {}
    for level, team, is_done, amount in zip(moscow, teams, done, effort):
        if is_done or level is None or not level.casefold().startswith(("must", "should")):
            continue
        key = _key(team)
        demand[key] = demand.get(key, 0.0) + float(amount)
        if key is not None:
            spelling.setdefault(key, team)  # type: ignore[arg-type]
    return demand, spelling


def _ratio(demand: float, capacity: float) -> float:
    if capacity > 0:
        return demand / capacity
    return float("inf") if demand > 0 else 0.0


def _flag(ratio: float, tight_at: float) -> str:
    if ratio > 1:
        return "over"
    if ratio > tight_at:
        return "tight"
    return "ok"


def _contention_message(
    team: str, demand: float, capacity: float, ratio: float, flag: str, unit: str, sprints: int
) -> str:
    horizon = f"{sprints} sprint{'s' if sprints != 1 else ''}"
    supply = "spare capacity across teams" if team == UNASSIGNED else "net capacity"
    head = f"{team}: Must+Should needs {demand:.1f} {unit}, {supply} {capacity:.1f} {unit} over {horizon}"
    if flag == "over":
        return f"{head}: likely needs more bandwidth"
    if flag == "tight":
        return f"{head}: tight ({ratio:.0%} of capacity)"
    return f"{head}: fits"
