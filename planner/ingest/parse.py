"""Turn raw cells (CSV text or calamine's typed values) into text, numbers and dates.

Parsers never guess silently: a cell that does not parse is returned as a failure for the caller
to report with its row and column, and an ambiguous date order is returned as a note.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from pandas.api.typing import NaTType

from planner.cells import is_blank
from planner.schema import MAX_NUMBER

__all__ = [
    "FIRST_DATE",
    "LAST_DATE",
    "MAX_NUMBER",
    "DateColumn",
    "parse_dates",
    "parse_number",
    "split_ids",
    "split_labels",
    "to_text",
]

# Dates a plan can mean; outside them a year is mistyped (3026-03-12), and pandas' own range
# (1677-2262) would fail on them further on.
FIRST_DATE = pd.Timestamp("1900-01-01")
LAST_DATE = pd.Timestamp("2199-12-31 23:59:59")

_UNIT_SUFFIX = re.compile(r"\s*(?:d|day|days|pt|pts|point|points|sp)\.?$", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def to_text(cell: object) -> str | None:
    """Cell as text exactly as a person reads it; blank -> None. ``7.0`` from Excel -> ``"7"``."""
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell.strip()
        return text or None
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        if math.isnan(cell):
            return None
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e16 else repr(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(sep=" ")
    if isinstance(cell, (dt.date, dt.time, dt.timedelta)):
        return str(cell)
    return str(cell).strip() or None


def parse_number(cell: object, percent: bool = False) -> float | None:
    """Number from a cell; blank -> None; raises ValueError with a reason when it is not a number.

    Accepts ``3``, ``3.5``, ``3,5`` (decimal comma), unit words (``5 pts``, ``2d``) and, with
    ``percent``, ``80%`` -> 0.8.
    """
    if cell is None or isinstance(cell, bool):
        if isinstance(cell, bool):
            raise ValueError("is TRUE/FALSE, not a number")
        return None
    if isinstance(cell, (int, float)):
        if isinstance(cell, float) and math.isnan(cell):
            return None
        if isinstance(cell, float) and math.isinf(cell):
            raise ValueError(f"'{cell}' is not a number")
        return _bounded(float(cell), cell)
    if isinstance(cell, (dt.date, dt.datetime)):
        raise ValueError("is a date, not a number")
    text = str(cell).strip()
    if not text:
        return None
    try:  # most cells are plain numbers: the unit, percent and decimal-comma rules are for the rest
        value, scale = float(text), 1.0
    except ValueError:
        value, scale = _written_number(text, cell, percent)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"'{cell}' is not a number")
    return _bounded(value * scale, cell)


def _written_number(text: str, cell: object, percent: bool) -> tuple[float, float]:
    """A number written with a unit word, a decimal comma or (``percent``) a ``%``: its value and scale."""
    scale = 1.0
    if percent and text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    text = _UNIT_SUFFIX.sub("", text).replace("\u00a0", "").replace(" ", "")
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        return float(text), scale
    except ValueError:
        raise ValueError(f"'{cell}' is not a number") from None


def _bounded(value: float, cell: object) -> float:
    """``value``, unless it is too large to plan with (a typo, or an attack on the solver's arithmetic)."""
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"'{to_text(cell)}' is too large for planning (more than {MAX_NUMBER:,.0f})")
    return value


@dataclass(frozen=True)
class DateColumn:
    """Dates parsed from one column: values (NaT where blank or failed), failed row indexes, a note.

    ``out_of_range`` holds the failed rows that are dates, but outside :data:`FIRST_DATE` -
    :data:`LAST_DATE` (a mistyped year).
    """

    values: list[pd.Timestamp | NaTType]
    failed: list[int]
    note: str | None = None
    out_of_range: frozenset[int] = frozenset()

    def failure(self, row: int, cell: object) -> str:
        """Why the cell of ``row`` (one of ``failed``) is not used, and what to write instead."""
        if row in self.out_of_range:
            return (
                f"'{to_text(cell)}' is outside the years {FIRST_DATE.year}-{LAST_DATE.year}: is the year "
                "mistyped? Write it as 2026-03-12"
            )
        return f"'{to_text(cell)}' is not a date; write it as 2026-03-12"


# Text date formats seen in exports, tried as whole-column formats. Order matters only for ties.
_DATE_FORMATS = (
    "%Y-%m-%d",
    "ISO8601",
    "%d/%b/%y %I:%M %p",  # Jira: 12/Mar/26 9:00 AM
    "%d/%b/%y",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d.%m.%y",
)
_DAY_MONTH = ("%d/%m/%Y", "%d/%m/%y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y")
_MONTH_DAY = (
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m-%d-%Y",
)


def parse_dates(cells: Sequence[object], day_first: bool = False) -> DateColumn:
    """Parse a column of dates, choosing for the whole column the format most cells fit.

    Excel date cells are taken as they are. Text like ``03/04/2026`` fits both day/month and
    month/day: the order that fits more cells wins, ``day_first`` breaks a tie, and the note says so.
    Time zones are dropped after conversion, keeping the wall-clock time the export shows.
    """
    values: list[pd.Timestamp | NaTType] = [pd.NaT] * len(cells)
    text_rows: list[int] = []
    texts: list[str] = []
    failed: list[int] = []
    for row, cell in enumerate(cells):
        if is_blank(cell):
            continue
        if isinstance(cell, (dt.date, dt.datetime)):
            values[row] = pd.Timestamp(cell)
        elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
            failed.append(row)  # a bare number in a date column is a typo, not a date
        else:
            text_rows.append(row)
            texts.append(str(cell).strip())
    note = None
    if texts:
        series = pd.Series(texts, dtype="object")
        best, note = _best_format(series, day_first)
        parsed = _parse_with(series, best) if best else pd.Series([pd.NaT] * len(texts))
        for position, row in enumerate(text_rows):
            stamp = parsed.iloc[position]
            if pd.isna(stamp):
                stamp = _parse_any(texts[position], day_first)
            if pd.isna(stamp):
                failed.append(row)
            else:
                values[row] = stamp
    out_of_range = [
        row for row, stamp in enumerate(values) if not pd.isna(stamp) and not FIRST_DATE <= stamp <= LAST_DATE
    ]
    for row in out_of_range:
        values[row] = pd.NaT
    return DateColumn(values, sorted(failed + out_of_range), note, frozenset(out_of_range))


def _parse_with(series: pd.Series, fmt: str) -> pd.Series:
    parsed = pd.to_datetime(series, format=fmt, errors="coerce", utc=fmt == "ISO8601")
    if fmt == "ISO8601":
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _best_format(series: pd.Series, day_first: bool) -> tuple[str | None, str | None]:
    counts = {fmt: int(_parse_with(series, fmt).notna().sum()) for fmt in _DATE_FORMATS}
    day_month = {fmt: int(_parse_with(series, fmt).notna().sum()) for fmt in _DAY_MONTH}
    month_day = {fmt: int(_parse_with(series, fmt).notna().sum()) for fmt in _MONTH_DAY}
    best_dm = max(day_month, key=day_month.__getitem__)
    best_md = max(month_day, key=month_day.__getitem__)
    note = None
    if day_month[best_dm] and day_month[best_dm] == month_day[best_md]:
        chosen = best_dm if day_first else best_md
        order = "day/month" if day_first else "month/day"
        other = "month/day" if day_first else "day/month"
        note = (
            f"dates such as '{series.iloc[0]}' fit both day/month and month/day; read as {order} "
            f"({other} would also fit). Write dates as 2026-03-12 to be sure"
        )
        counts[chosen] = day_month[best_dm]
    else:
        counts[best_dm] = day_month[best_dm]
        counts[best_md] = month_day[best_md]
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0:
        return None, None
    return best, note if best in (best_dm, best_md) else None


def _parse_any(text: str, day_first: bool) -> pd.Timestamp | NaTType:
    for fmt in _DATE_FORMATS + ((_DAY_MONTH + _MONTH_DAY) if day_first else (_MONTH_DAY + _DAY_MONTH)):
        stamp = _parse_with(pd.Series([text], dtype="object"), fmt).iloc[0]
        if not pd.isna(stamp):
            return stamp
    return pd.NaT


_ID_SEPARATORS = re.compile(r"[,;\n]+")


def split_ids(text: str | None, known_ids: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Split a list of ids written with ``,`` ``;`` or whitespace; a part that is a known id stays whole."""
    if not text:
        return []
    ids: list[str] = []
    for part in _ID_SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        ids.extend([part] if part in known_ids else part.split())
    return ids


def split_labels(text: str | None) -> list[str]:
    """Split labels or tags written with ``,`` or ``;`` (Azure DevOps uses ``; ``)."""
    if not text:
        return []
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]
