"""The capacity engine's vocabulary: its constants, its what-if settings and its result.

Internal: import these names from :mod:`planner.capacity`. They live here, below every other
capacity module, so that the readers, the ledger and :mod:`planner.capacity.contention` can use them without
importing :mod:`planner.capacity` back.

:class:`CapacitySettings` checks itself on creation: an invalid value raises :class:`InputError`
naming the setting, and what-if names (people, teams) are checked later against the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner.capacity.workdays import as_date
from planner.errors import InputError
from planner.input_problems import ERROR, Problem

Unit = Literal["days", "points"]
UNITS: tuple[str, ...] = ("days", "points")
NO_TEAM = "(no team)"
DEFAULT_SPRINT_COUNT = 6
SETTINGS_FILE = "settings"
LEDGER_STEPS: tuple[str, ...] = (
    "gross",
    "holidays",
    "OOO",
    "on-call",
    "focus",
    "buffer",
    "capacity %",
    "net",
)
_MAX_CAPACITY_PCT = 2.0


# --------------------------------------------------------------------------------------------------
# Checks of the settings' values (defined first: the settings use them when created)


def setting_problem(name: str, message: str) -> Problem:
    """An error in the what-if setting ``name`` (no file row: settings come from sliders or flags)."""
    return Problem(ERROR, message, SETTINGS_FILE, None, None, name)


def _in_range(value: object, low: float, high: float, *, low_open: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    if np.isnan(value):
        return False
    return bool((low < value if low_open else low <= value) and value <= high)


def _positive_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and bool(value >= 1)


def _normalise_extra_ooo(extra: Iterable[Any] | None, problems: list[Problem]) -> tuple[tuple[str, date, date], ...]:
    result: list[tuple[str, date, date]] = []
    for entry in extra or ():
        try:
            name, start, end = entry
            start, end = as_date(start), as_date(end)
        except (TypeError, ValueError):
            problems.append(setting_problem("extra_ooo", f"{entry!r} is not (name, start date, end date)"))
            continue
        if end < start:
            problems.append(
                setting_problem(
                    "extra_ooo",
                    f"{name}'s extra out-of-office ends ({end}) before it starts ({start}): swap start and end",
                )
            )
            continue
        result.append((str(name), start, end))
    return tuple(result)


def _normalise_headcount(headcount: Iterable[Any] | None, problems: list[Problem]) -> tuple[tuple[str, int], ...]:
    result: list[tuple[str, int]] = []
    for entry in headcount or ():
        try:
            team, delta = entry
        except (TypeError, ValueError):
            problems.append(setting_problem("headcount", f"{entry!r} is not (team, change in people)"))
            continue
        if isinstance(delta, bool) or not isinstance(delta, (int, np.integer)):
            problems.append(
                setting_problem("headcount", f"{team}: the change in people {delta!r} must be a whole number")
            )
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
      value in (0, 1] overrides every team. Days only: in points the factor is 1 (SPEC section 2).
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
                problems.append(setting_problem("start", f"{self.start!r} is not a date"))
        if self.unit not in UNITS:
            problems.append(setting_problem("unit", f"unit must be 'days' or 'points', not {self.unit!r}"))
        if self.focus_factor is not None and not _in_range(self.focus_factor, 0.0, 1.0, low_open=True):
            problems.append(
                setting_problem(
                    "focus_factor", f"focus factor must be above 0 and at most 1, not {self.focus_factor!r}"
                )
            )
        for name, low, high in (
            ("buffer", 0.0, 1.0),
            ("oncall_load", 0.0, 1.0),
            ("capacity_pct", 0.0, _MAX_CAPACITY_PCT),
        ):
            value = getattr(self, name)
            if not _in_range(value, low, high):
                problems.append(setting_problem(name, f"{name} must be between {low:g} and {high:g}, not {value!r}"))
        if self.sprint_count is not None and not _positive_int(self.sprint_count):
            problems.append(
                setting_problem(
                    "sprint_count", f"sprint count must be a whole number of at least 1, not {self.sprint_count!r}"
                )
            )
        if not _positive_int(self.default_sprint_days):
            problems.append(
                setting_problem(
                    "default_sprint_days",
                    f"sprint length must be a whole number of days, at least 1, not {self.default_sprint_days!r}",
                )
            )
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
      ``net = velocity x net_days / full_days``, with ``net_days`` at focus 1 (velocity is already
      net of focus, so in points the focus factor is 1 and the ledger's focus step is 0); in days
      ``net = net_days``. Teams without people have rows of 0.
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
