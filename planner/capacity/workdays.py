"""Sprint calendars and working days: which sprints there are and which of their days count.

Conventions used by the capacity engine (:mod:`planner.capacity`):

- A sprint's ``working_days`` are its Monday-to-Friday days, ``start`` and ``end`` included, *before*
  holidays (the SPEC formula subtracts holidays from working days). ``holiday_days`` are the
  team-wide holidays (holiday rows with a blank team) that fall on those working days, and
  ``available_days = working_days - holiday_days``. Holidays of one team are applied per person by
  the capacity engine, not here.
- Days are whole calendar days: times of day in the input are dropped.
- A day that lies in two overlapping sprints counts in both (the sheet says so; a warning says it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from planner.input_problems import ERROR, WARNING, Problem

__all__ = [
    "SPRINTS_SHEET",
    "DayGrid",
    "as_date",
    "count_working_days",
    "day_grid",
    "generate_sprints",
    "next_monday",
    "range_mask",
    "sheet_sprints",
    "user_row",
]

SPRINTS_SHEET = "sprints"


def as_date(value: object) -> date:
    """``value`` (date, datetime, Timestamp, numpy datetime64 or ISO text) as a plain ``date``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    # pd.Timestamp reads text, numbers and datetime64, gives NaT for a blank and raises TypeError on
    # anything else (callers catch it): the stubs only list what it reads.
    return pd.Timestamp(cast(Any, value)).date()


def next_monday(today: date) -> date:
    """The coming Monday: ``today`` itself when it is a Monday (planning day = first sprint day)."""
    return today + timedelta(days=(7 - today.weekday()) % 7)


def generate_sprints(start: date, count: int, length_days: int) -> pd.DataFrame:
    """``count`` back-to-back sprints of ``length_days`` calendar days from ``start``: Sprint 1..N."""
    starts = np.datetime64(start, "D") + np.arange(count) * np.timedelta64(length_days, "D")
    ends = starts + np.timedelta64(length_days - 1, "D")
    return _calendar_frame([f"Sprint {i}" for i in range(1, count + 1)], starts, ends)


def sheet_sprints(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Sprints of the ``sprints`` sheet, sorted by start, and the problems found in it.

    Errors: a row without a name, start or end; an end before its start; a name used twice.
    Warning: sprints that overlap (their shared days count in both).
    """
    problems: list[Problem] = []
    names = frame["sprint"].str.strip()
    starts = frame["start"].dt.normalize()
    ends = frame["end"].dt.normalize()
    rows = frame["source_row"].to_numpy()

    def error(i: int, message: str, column: str | None) -> None:
        problems.append(Problem(ERROR, message, file, SPRINTS_SHEET, user_row(rows[i]), column))

    for i in np.flatnonzero(names.isna().to_numpy() | (names == "").fillna(False).to_numpy()).tolist():
        error(i, "this sprint has no name: give every sprint a name", "sprint")
    for column, values in (("start", starts), ("end", ends)):
        for i in np.flatnonzero(values.isna().to_numpy()).tolist():
            label = names.iloc[i] if pd.notna(names.iloc[i]) else "this sprint"
            error(i, f"{label} has no {column} date", column)
    backwards = (ends < starts).fillna(False).to_numpy()
    for i in np.flatnonzero(backwards).tolist():
        error(
            i,
            f"{names.iloc[i]} ends ({ends.iloc[i]:%Y-%m-%d}) before it starts "
            f"({starts.iloc[i]:%Y-%m-%d}): swap start and end",
            "end",
        )
    duplicated = names.duplicated(keep="first").fillna(False).to_numpy() & names.notna().to_numpy()
    for i in np.flatnonzero(duplicated).tolist():
        error(i, f"the sprint name {names.iloc[i]!r} is used twice: sprint names must be unique", "sprint")
    if any(problem.severity == ERROR for problem in problems):
        return _calendar_frame([], [], []), problems

    order = np.argsort(starts.to_numpy(), kind="stable")
    calendar = _calendar_frame(names.to_numpy()[order].tolist(), starts.to_numpy()[order], ends.to_numpy()[order])
    sorted_rows = rows[order].astype("int64")
    calendar["source_row"] = sorted_rows
    sorted_starts, sorted_ends = calendar["start"].to_numpy(), calendar["end"].to_numpy()
    for i in range(1, len(calendar)):
        if sorted_starts[i] <= sorted_ends[i - 1]:
            problems.append(
                Problem(
                    WARNING,
                    f"{calendar['sprint'].iat[i]} overlaps {calendar['sprint'].iat[i - 1]}: "
                    "the days they share count in both",
                    file,
                    SPRINTS_SHEET,
                    user_row(sorted_rows[i]),
                    "start",
                )
            )
    return calendar, problems


def count_working_days(sprints: pd.DataFrame, team_wide_holidays: np.ndarray) -> pd.DataFrame:
    """``sprints`` with ``working_days``, ``holiday_days`` and ``available_days`` filled in.

    ``team_wide_holidays`` is an array of ``datetime64[D]`` (duplicates allowed).
    """
    starts = sprints["start"].to_numpy().astype("datetime64[D]")
    ends_exclusive = sprints["end"].to_numpy().astype("datetime64[D]") + np.timedelta64(1, "D")
    working = np.busday_count(starts, ends_exclusive)
    # busday_count with the holidays removes each distinct weekday holiday once, which is the count.
    available = np.busday_count(starts, ends_exclusive, holidays=np.unique(team_wide_holidays))
    result = sprints.copy()
    result["working_days"] = working.astype("int64")
    result["holiday_days"] = (working - available).astype("int64")
    result["available_days"] = available.astype("int64")
    return result


@dataclass(frozen=True)
class DayGrid:
    """Every working day (Mon-Fri) of every sprint, laid out as one axis for vectorised counting.

    ``dates[d]`` is a ``datetime64[D]`` day and ``sprint_of_day[d]`` the index of its sprint; a day in
    two overlapping sprints appears twice. ``per_sprint`` (days x sprints, float 0/1) turns a
    ``people x days`` matrix into ``people x sprints`` sums with one matrix product.
    """

    dates: np.ndarray
    sprint_of_day: np.ndarray
    per_sprint: np.ndarray

    def sum_per_sprint(self, matrix: np.ndarray) -> np.ndarray:
        """Sum a ``rows x days`` matrix (bool or float) into ``rows x sprints``."""
        return matrix.astype(np.float64, copy=False) @ self.per_sprint


def day_grid(sprints: pd.DataFrame) -> DayGrid:
    """The :class:`DayGrid` of ``sprints`` (columns ``start`` and ``end``, inclusive)."""
    starts = sprints["start"].to_numpy().astype("datetime64[D]")
    ends = sprints["end"].to_numpy().astype("datetime64[D]")
    lengths = (ends - starts).astype("int64") + 1
    sprint_of_calendar_day = np.repeat(np.arange(len(sprints)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    calendar_days = np.repeat(starts, lengths) + offsets.astype("timedelta64[D]")
    weekday = np.is_busday(calendar_days)
    dates = calendar_days[weekday]
    sprint_of_day = sprint_of_calendar_day[weekday]
    per_sprint = np.zeros((len(dates), len(sprints)), dtype=np.float64)
    per_sprint[np.arange(len(dates)), sprint_of_day] = 1.0
    return DayGrid(dates=dates, sprint_of_day=sprint_of_day, per_sprint=per_sprint)


def range_mask(dates: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``ranges x days`` bool: day ``d`` lies in range ``r`` (``starts``/``ends`` inclusive, datetime64[D])."""
    return (dates[None, :] >= starts[:, None]) & (dates[None, :] <= ends[:, None])


def _calendar_frame(names: list[str], starts: ArrayLike, ends: ArrayLike) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sprint": pd.array(list(names), dtype="string"),
            "start": np.asarray(starts, dtype="datetime64[D]").astype("datetime64[ns]"),
            "end": np.asarray(ends, dtype="datetime64[D]").astype("datetime64[ns]"),
        }
    )


def user_row(value: int | np.integer) -> int | None:
    """A source row as a user sees it; 0 means the table was built in code, with no file row."""
    row = int(value)
    return row if row > 0 else None
