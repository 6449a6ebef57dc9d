"""Canonical table shapes shared by ingest, store, capacity and the model.

Tables are pandas DataFrames with these columns in this order. Kinds:

- ``text``: pandas ``string`` dtype, missing = ``<NA>``; ids stay exactly as written.
- ``number``: ``float64``, missing = NaN.
- ``date``: ``datetime64[ns]`` at midnight (timestamps keep their time), missing = NaT.
- ``bool`` / ``int``: plain numpy dtypes, never missing.

The backlog also has one ``effort:<skill>`` number column per skill (skill lower-cased) placed after
``effort``, and keeps every column it did not recognise, as text, under its original header after the
canonical ones. ``depends_on`` and ``labels`` hold their lists joined by ``", "``. ``value`` is the value
the planner uses (see :mod:`planner.value` for the rule); ``value_given`` is the file's own value column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from planner.cells import is_blank

__all__ = [
    "BACKLOG_COLUMNS",
    "CAPACITY_SHEETS",
    "EFFORT_PREFIX",
    "GENERAL_SKILL",
    "LIST_SEPARATOR",
    "MAX_NUMBER",
    "CapacityTables",
    "coerce_table",
    "effort_skill_columns",
    "empty_table",
    "split_list",
]

EFFORT_PREFIX = "effort:"
# The skill of effort that names none, and of people with no skill listed: anyone can do it.
GENERAL_SKILL = "general"
# The largest value, effort or other number a table holds. Larger ones are typos or attacks, not
# estimates: summed over a backlog they reach infinity (two values of 1e308), and solvers lose whole
# units long before that.
MAX_NUMBER = 1e12
LIST_SEPARATOR = ", "

BACKLOG_COLUMNS: dict[str, str] = {
    "id": "text",
    "title": "text",
    "team": "text",
    "effort": "number",
    "skill": "text",
    "value": "number",
    "value_given": "number",
    "business_value": "number",
    "time_criticality": "number",
    "risk_reduction": "number",
    "reach": "number",
    "impact": "number",
    "confidence": "number",
    "priority": "text",
    "moscow": "text",
    "depends_on": "text",
    "deadline": "date",
    "status": "text",
    "done": "bool",
    "sprint": "text",
    "type": "text",
    "initiative": "text",
    "milestone": "text",
    "milestone_type": "text",
    "assignee": "text",
    "labels": "text",
    "description": "text",
    "acceptance_criteria": "text",
    "created": "date",
    "updated": "date",
    "source_row": "int",
}

# Capacity workbook: sheet name -> columns. ``source_row`` is the row in the user's file.
CAPACITY_SHEETS: dict[str, dict[str, str]] = {
    "people": {
        "name": "text",
        "team": "text",
        "skills": "text",
        "allocation": "number",
        "days_per_sprint": "number",
        "source_row": "int",
    },
    "sprints": {"sprint": "text", "start": "date", "end": "date", "source_row": "int"},
    "ooo": {"name": "text", "start": "date", "end": "date", "source_row": "int"},
    "oncall": {"name": "text", "start": "date", "end": "date", "load": "number", "source_row": "int"},
    "holidays": {"date": "date", "team": "text", "name": "text", "source_row": "int"},
    "teams": {"team": "text", "velocity": "number", "focus_factor": "number", "source_row": "int"},
}

_DTYPES = {
    "text": "string",
    "number": "float64",
    "date": "datetime64[ns]",
    "bool": "bool",
    "int": "int64",
}


def effort_skill_columns(columns: Iterable[str]) -> list[str]:
    """The ``effort:<skill>`` columns among ``columns``, in their order."""
    return [column for column in columns if column.startswith(EFFORT_PREFIX)]


def empty_table(columns: Mapping[str, str]) -> pd.DataFrame:
    """A table with no rows and the given ``{column: kind}`` shape."""
    return pd.DataFrame({name: pd.Series([], dtype=_DTYPES[kind]) for name, kind in columns.items()})


def coerce_table(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """Return ``frame`` with every listed column present and of its kind's dtype.

    Missing columns are added empty; ``effort:<skill>`` columns are numbers placed right after
    ``effort`` (at the end when the shape has no ``effort``); other extra columns are kept after the
    listed ones as text.
    """
    skills = [name for name in effort_skill_columns(frame.columns) if name not in columns]
    result = {}
    for name, kind in columns.items():
        if name in frame.columns:
            result[name] = _as_kind(frame[name], kind)
        else:
            result[name] = _as_kind(pd.Series([None] * len(frame), index=frame.index), kind)
        if name == "effort":
            for skill in skills:
                result[skill] = _as_kind(frame[skill], "number")
    for name in frame.columns:
        if name not in result:
            result[name] = _as_kind(frame[name], "number" if name in skills else "text")
    return pd.DataFrame(result, index=frame.index).reset_index(drop=True)


def _as_kind(series: pd.Series, kind: str) -> pd.Series:
    if kind == "text":
        if isinstance(series.dtype, pd.StringDtype):
            # Already text (pandas reads lists of str as such): 4 times faster than the general way,
            # which counts on exports with thousands of columns.
            return series.astype("string")
        return series.astype("object").where(series.notna(), None).astype("string")
    if kind == "number":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind == "date":
        stamps = pd.to_datetime(series, errors="coerce")
        # Tables also come from the store and the app's editors: a date beyond nanosecond range
        # (year 3026) becomes missing here instead of failing; the ingest reports such cells.
        return stamps.where(stamps.isna() | stamps.between(pd.Timestamp.min, pd.Timestamp.max)).astype("datetime64[ns]")
    if kind == "bool":
        return series.fillna(False).astype("bool")
    if kind == "int":
        return pd.to_numeric(series, errors="coerce").fillna(0).astype("int64")
    raise ValueError(f"unknown column kind {kind!r}")


def split_list(text: object) -> list[str]:
    """Split a stored list (``depends_on``, ``labels``, ``skills``) back into its items."""
    if is_blank(text):
        return []
    return [part.strip() for part in str(text).split(",") if part.strip()]


def _empty_sheet(sheet: str) -> pd.DataFrame:
    return empty_table(CAPACITY_SHEETS[sheet])


@dataclass(frozen=True)
class CapacityTables:
    """The capacity workbook as typed tables, one per sheet of SPEC section 2.

    Sheets a file did not have are empty tables of the right shape. Treat the frames as read-only.
    """

    people: pd.DataFrame = field(default_factory=lambda: _empty_sheet("people"))
    sprints: pd.DataFrame = field(default_factory=lambda: _empty_sheet("sprints"))
    ooo: pd.DataFrame = field(default_factory=lambda: _empty_sheet("ooo"))
    oncall: pd.DataFrame = field(default_factory=lambda: _empty_sheet("oncall"))
    holidays: pd.DataFrame = field(default_factory=lambda: _empty_sheet("holidays"))
    teams: pd.DataFrame = field(default_factory=lambda: _empty_sheet("teams"))

    def sheets(self) -> dict[str, pd.DataFrame]:
        """``{sheet name: table}`` in SPEC order."""
        return {name: getattr(self, name) for name in CAPACITY_SHEETS}

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> CapacityTables:
        """Build from ``{sheet: frame}``, coercing each to its shape; absent sheets are empty."""
        return cls(
            **{
                name: coerce_table(frames[name], columns) if name in frames else empty_table(columns)
                for name, columns in CAPACITY_SHEETS.items()
            }
        )
