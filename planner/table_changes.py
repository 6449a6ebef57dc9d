"""What differs between two versions of a table, cell by cell: for the Scenarios page's history view.

:func:`table_changes` lists the differences between two versions of one table, one row each:
``change`` (``added``, ``removed`` or ``changed``), ``row`` (the row's key, e.g. ``CARE-12`` or
``Maya Patel · 2026-12-03``), ``column`` (the changed cell's column; blank for added and removed rows),
``before`` and ``after`` (the cells as text; blank where there is none). :func:`scenario_table_changes`
does it for a scenario's backlog and every capacity sheet, keyed by :data:`TABLE_KEYS`.

Cells compare by value: every blank (None, NaN, ``<NA>``, NaT, text of only whitespace) equals every
other blank, numbers compare as numbers (``1 == 1.0``, ``True == 1``), dates as instants, text exactly.
A column on one side only reads as blank on the other, so its filled cells are changed cells.

Rows are matched by their key. When the key is missing from a table or names two rows alike, rows are
matched by their whole content instead: a changed row is then one ``removed`` and one ``added`` row.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date, datetime
from functools import reduce
from numbers import Integral, Real

import numpy as np
import pandas as pd

from planner.cells import is_blank
from planner.schema import CAPACITY_SHEETS
from planner.store import Scenario

__all__ = [
    "ADDED",
    "CHANGED",
    "CHANGE_COLUMNS",
    "REMOVED",
    "ROW_SEPARATOR",
    "TABLE_KEYS",
    "UNCOMPARED_COLUMNS",
    "scenario_table_changes",
    "table_changes",
]

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
CHANGE_COLUMNS: tuple[str, ...] = ("change", "row", "column", "before", "after")
ROW_SEPARATOR = " · "  # between the parts of a row's key: "Maya Patel · 2026-12-03"

# The columns that name a row of each table. A holiday with a blank team is for every team.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "backlog": ("id",),
    "people": ("name",),
    "sprints": ("sprint",),
    "ooo": ("name", "start"),
    "oncall": ("name", "start"),
    "holidays": ("date", "team"),
    "teams": ("team",),
}
# Bookkeeping, not data: the row in the uploaded file moves whenever a row above it is added.
UNCOMPARED_COLUMNS: tuple[str, ...] = ("source_row",)

# Identities: one text per cell, equal exactly when the cells are equal by value ("" for a blank).
_NUMBER, _DATE, _TEXT, _OTHER = "n:", "d:", "s:", "o:"
_PART = "\x1f"  # between the identities of a key's or a row's cells
_INT64_SAFE = 2.0**62  # whole floats below this turn into int64 exactly
_PLAIN_WHOLE = 1e16  # whole numbers below this read as integers ("3", not "3.0"); larger ones as 1e+16


def table_changes(before: pd.DataFrame, after: pd.DataFrame, key: Sequence[str]) -> pd.DataFrame:
    """The differences from ``before`` to ``after``, one row each, in ``after``'s row order, removed rows last.

    Columns :data:`CHANGE_COLUMNS`, all text. Rows are matched by the ``key`` columns' values; when a
    key column is missing from either table, or two rows of one table share a key, rows are matched by
    their whole content (``added`` and ``removed`` rows only). No differences: no rows.
    """
    before, after = _unique_columns(before), _unique_columns(after)
    columns = [*after.columns, *(column for column in before.columns if column not in after.columns)]
    key = list(key)
    before_keys, after_keys = _key_identities(before, key), _key_identities(after, key)
    if before_keys is None or after_keys is None:
        return _content_changes(before, after, columns, key)

    matched_in_before = pd.Index(before_keys, dtype=object).get_indexer(pd.Index(after_keys, dtype=object))
    is_added = matched_in_before == -1
    removed = np.flatnonzero(~pd.Index(before_keys, dtype=object).isin(after_keys))
    common_after = np.flatnonzero(~is_added)
    common_before = matched_in_before[common_after]

    added = np.flatnonzero(is_added)
    parts = [_row_changes(ADDED, after, key, added, order=added)]
    for place, column in enumerate(columns):
        before_ids = _column_identities(before, column, len(before))[common_before]
        after_ids = _column_identities(after, column, len(after))[common_after]
        differ = np.flatnonzero(before_ids != after_ids)
        if differ.size:
            parts.append(_cell_changes(before, after, key, column, common_before[differ], common_after[differ], place))
    parts.append(_row_changes(REMOVED, before, key, removed, order=len(after) + removed))
    return _assembled(parts)


def scenario_table_changes(before: Scenario, after: Scenario) -> dict[str, pd.DataFrame]:
    """``{table: its changes}`` from ``before`` to ``after``, only for the tables that differ.

    Tables in order: ``backlog``, then the capacity sheets (``people``, ``sprints``, ``ooo``,
    ``oncall``, ``holidays``, ``teams``), each matched by its :data:`TABLE_KEYS` (a sheet without keys
    by content). :data:`UNCOMPARED_COLUMNS` are left out. Identical scenarios give ``{}``.
    """
    tables_before = {"backlog": before.backlog, **before.capacity.sheets()}
    tables_after = {"backlog": after.backlog, **after.capacity.sheets()}
    result = {}
    for name in ("backlog", *CAPACITY_SHEETS):
        changes = table_changes(
            _compared_columns(tables_before[name]), _compared_columns(tables_after[name]), TABLE_KEYS.get(name, ())
        )
        if len(changes):
            result[name] = changes
    return result


# --------------------------------------------------------------------------------------------------
# Matching rows


def _unique_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each column label once (the first such column kept): ``frame[label]`` is one column."""
    return frame.loc[:, ~frame.columns.duplicated()] if frame.columns.has_duplicates else frame


def _compared_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[column for column in UNCOMPARED_COLUMNS if column in frame.columns])


def _key_identities(frame: pd.DataFrame, key: list[str]) -> np.ndarray | None:
    """One text per row naming it by the ``key`` columns; None when a key column is missing or not unique."""
    if not key or any(column not in frame.columns for column in key):
        return None
    identities = _joined([_column_identities(frame, column, len(frame)) for column in key], len(frame))
    return None if pd.Index(identities, dtype=object).has_duplicates else identities


def _content_changes(
    before: pd.DataFrame, after: pd.DataFrame, columns: list[Hashable], key: list[str]
) -> pd.DataFrame:
    """Added and removed rows, matching equal rows one to one (two alike before and one after: one removed)."""
    before_rows = _occurrences(_row_identities(before, columns))
    after_rows = _occurrences(_row_identities(after, columns))
    added = np.flatnonzero(~pd.Index(after_rows, dtype=object).isin(before_rows))
    removed = np.flatnonzero(~pd.Index(before_rows, dtype=object).isin(after_rows))
    return _assembled(
        [
            _row_changes(ADDED, after, key, added, order=added),
            _row_changes(REMOVED, before, key, removed, order=len(after) + removed),
        ]
    )


def _occurrences(rows: np.ndarray) -> np.ndarray:
    """Each row's identity with how many equal rows came before it: the 2nd of two alike differs from the 1st."""
    series = pd.Series(rows, dtype=object)
    counts = series.groupby(series, sort=False).cumcount().astype(str).to_numpy(dtype=object)
    return rows + _PART + _PART + counts


def _row_identities(frame: pd.DataFrame, columns: list[Hashable]) -> np.ndarray:
    """One text per row of ``frame`` naming its whole content over ``columns`` (absent ones blank)."""
    return _joined([_column_identities(frame, column, len(frame)) for column in columns], len(frame))


def _joined(identities: list[np.ndarray], rows: int) -> np.ndarray:
    if not identities:
        return np.full(rows, "", dtype=object)
    return reduce(lambda left, right: left + _PART + right, identities)


# --------------------------------------------------------------------------------------------------
# Cells' identities: equal texts exactly for cells equal by value


def _column_identities(frame: pd.DataFrame, column: Hashable, rows: int) -> np.ndarray:
    """The identity of each cell of ``column`` (all blank when ``frame`` has no such column)."""
    if column not in frame.columns:
        return np.full(rows, "", dtype=object)
    series = frame[column]
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":  # never missing; exact as integers
        values = series.to_numpy()
        return _NUMBER + (values.astype("int64") if dtype.kind == "b" else values).astype(str).astype(object)
    if pd.api.types.is_float_dtype(dtype):
        return _number_identities(series.to_numpy(dtype="float64", na_value=np.nan))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _date_identities(series)
    if isinstance(dtype, pd.StringDtype):
        texts = series.to_numpy(dtype=object, na_value="")
        blank = series.str.strip().fillna("").to_numpy(dtype=object) == ""
        return np.where(blank, "", _TEXT + texts).astype(object)
    return _object_identities(series)


def _number_identities(values: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    small_whole = ~missing & (np.abs(values) < _INT64_SAFE) & (values == np.round(values))
    result = np.full(len(values), "", dtype=object)
    result[small_whole] = _NUMBER + values[small_whole].astype("int64").astype(str).astype(object)
    rest = ~small_whole & ~missing
    result[rest] = [_NUMBER + _number_text(float(value)) for value in values[rest]]
    return result


def _date_identities(values: pd.Series | list[object]) -> np.ndarray:
    """Instants as whole microseconds since 1970 (UTC for zoned ones) and the nanoseconds left: any unit, any year."""
    stamps = pd.DatetimeIndex(values)
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    if stamps.unit == "ns":
        micro, nano = np.divmod(stamps.asi8, 1000)
    else:
        micro, nano = stamps.as_unit("us").asi8, np.zeros(len(stamps), dtype="int64")
    texts = _DATE + micro.astype(str).astype(object) + "." + nano.astype(str).astype(object)
    return np.where(np.asarray(stamps.isna()), "", texts).astype(object)


def _object_identities(series: pd.Series) -> np.ndarray:
    return np.array([_identity(value) for value in series.to_numpy(dtype=object)], dtype=object)


def _identity(value: object) -> str:
    """One cell's identity, the same as the vectorised ones give for a column of its kind."""
    if is_blank(value):
        return ""
    if isinstance(value, str):
        return _TEXT + value
    if isinstance(value, (bool, np.bool_, Integral)):
        return _NUMBER + str(int(value))
    if isinstance(value, Real):
        return _NUMBER + _number_text(float(value))
    if isinstance(value, (date, np.datetime64)):
        try:
            return _date_identities([value])[0]
        except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
            return _DATE + str(value)
    return _OTHER + str(value)


# --------------------------------------------------------------------------------------------------
# Cells as people read them


def _display(value: object) -> str:
    """A cell as text: numbers without a needless ``.0``, dates without a midnight time, blanks empty."""
    if is_blank(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        return _float_text(float(value))
    if isinstance(value, (datetime, np.datetime64)):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is None and stamp == stamp.normalize():
            return stamp.date().isoformat()
        return stamp.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _float_text(number: float) -> str:
    """The shortest text that reads back as ``number``: ``3`` for 3.0, ``0.1`` for 0.1, ``1e+20``."""
    if number.is_integer() and abs(number) < _PLAIN_WHOLE:
        return str(int(number))
    return repr(number)


def _number_text(number: float) -> str:
    """``number`` exactly, whole ones as integers: the identity of an int and of the float equal to it agree."""
    return str(int(number)) if number.is_integer() else repr(number)


def _cells(frame: pd.DataFrame, column: Hashable, rows: np.ndarray) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(rows), "", dtype=object)
    return np.array([_display(value) for value in frame[column].to_numpy(dtype=object)[rows]], dtype=object)


def _row_names(frame: pd.DataFrame, key: list[str], rows: np.ndarray) -> np.ndarray:
    """Each row's key values joined, blanks left out; ``row N`` (1-based) when the table has no key column."""
    present = [column for column in key if column in frame.columns]
    if not present:
        return np.array([f"row {row + 1}" for row in rows], dtype=object)
    values = [_cells(frame, column, rows) for column in present]
    return np.array([ROW_SEPARATOR.join(part for part in parts if part) for parts in zip(*values)], dtype=object)


# --------------------------------------------------------------------------------------------------
# The result


def _row_changes(
    change: str, frame: pd.DataFrame, key: list[str], rows: np.ndarray, *, order: np.ndarray
) -> pd.DataFrame:
    blank = np.full(len(rows), "", dtype=object)
    return pd.DataFrame(
        {
            "change": np.full(len(rows), change, dtype=object),
            "row": _row_names(frame, key, rows),
            "column": blank,
            "before": blank,
            "after": blank,
            "_row_order": order,
            "_column_order": np.full(len(rows), -1),
        }
    )


def _cell_changes(
    before: pd.DataFrame,
    after: pd.DataFrame,
    key: list[str],
    column: Hashable,
    before_rows: np.ndarray,
    after_rows: np.ndarray,
    place: int,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "change": np.full(len(after_rows), CHANGED, dtype=object),
            "row": _row_names(after, key, after_rows),
            "column": np.full(len(after_rows), str(column), dtype=object),
            "before": _cells(before, column, before_rows),
            "after": _cells(after, column, after_rows),
            "_row_order": after_rows,
            "_column_order": np.full(len(after_rows), place),
        }
    )


def _assembled(parts: list[pd.DataFrame]) -> pd.DataFrame:
    found = [part for part in parts if len(part)]
    if not found:
        return pd.DataFrame({column: pd.Series([], dtype="string") for column in CHANGE_COLUMNS})
    result = pd.concat(found, ignore_index=True).sort_values(["_row_order", "_column_order"], kind="stable")
    return result[list(CHANGE_COLUMNS)].astype("string").reset_index(drop=True)
