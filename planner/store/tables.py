"""The scenario tables: their layout, the rows a save writes and the frames a load rebuilds.

Shared by both backends. Statements name their columns (no ``SELECT *``), so the same SQL runs on
DuckDB and PostgreSQL; only the column types differ (:class:`ColumnTypes`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from planner.errors import StoreError
from planner.schema import (
    BACKLOG_COLUMNS,
    CAPACITY_SHEETS,
    EFFORT_PREFIX,
    CapacityTables,
    coerce_table,
    effort_skill_columns,
)
from planner.store.records import Scenario

BACKLOG = "backlog"
EFFORT_ROW_DTYPES = {"position": "int64", "ordinal": "int64", "skill": "string", "amount": "float64"}


def quote(identifier: str) -> str:
    """Quote a column name taken from planner.schema (``end``, ``date`` are SQL keywords)."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class ColumnTypes:
    """A backend's SQL types for the scenario tables' columns."""

    kinds: Mapping[str, str]  # planner.schema kind ("text", "number", ...) -> SQL type
    efforts: str  # the effort_by_skill column: skill -> effort


@dataclass(frozen=True)
class Table:
    """Where one scenario table lives and what its canonical columns are."""

    name: str  # the SQL table; fixed here, never from user data
    columns: Mapping[str, str]  # canonical {column: kind} from planner.schema
    efforts: bool = False  # whether effort:<skill> columns go into effort_by_skill

    @property
    def snapshots(self) -> str:
        """The twin table holding this table's rows per data version."""
        return f"{self.name}_versions"

    @property
    def stored_columns(self) -> list[str]:
        """The columns a row holds besides its scenario (and data version), quoted, in order."""
        return [
            "position",
            *(quote(column) for column in self.columns),
            *(["effort_by_skill"] if self.efforts else []),
            "extra",
        ]

    def create_sql(self, types: ColumnTypes, *, snapshots: bool = False) -> str:
        body = [
            "scenario_id VARCHAR NOT NULL",
            *(["data_version BIGINT NOT NULL"] if snapshots else []),
            "position BIGINT NOT NULL",
            *(f"{quote(column)} {types.kinds[kind]}" for column, kind in self.columns.items()),
        ]
        if self.efforts:
            body.append(f"effort_by_skill {types.efforts} NOT NULL")
        key = "scenario_id, data_version, position" if snapshots else "scenario_id, position"
        body += ["extra JSON NOT NULL", f"PRIMARY KEY ({key})"]
        name = self.snapshots if snapshots else self.name
        return f"CREATE TABLE IF NOT EXISTS {name} (\n    " + ",\n    ".join(body) + "\n)"

    # -- statements on one scenario's rows --

    def select_sql(self) -> str:
        return f"SELECT {', '.join(self.stored_columns)} FROM {self.name} WHERE scenario_id = ? ORDER BY position"

    def delete_sql(self) -> str:
        return f"DELETE FROM {self.name} WHERE scenario_id = ?"

    def snapshot_sql(self) -> str:
        """Copy a scenario's current rows in as data version ``?`` (parameters: version, scenario id)."""
        columns = ", ".join(self.stored_columns)
        return (
            f"INSERT INTO {self.snapshots} (data_version, scenario_id, {columns}) "
            f"SELECT ?, scenario_id, {columns} FROM {self.name} WHERE scenario_id = ?"
        )

    def unsnapshot_sql(self) -> str:
        """Write a data version's rows back as the scenario's current rows (scenario id, data version)."""
        columns = ", ".join(self.stored_columns)
        return (
            f"INSERT INTO {self.name} (scenario_id, {columns}) SELECT scenario_id, {columns} FROM {self.snapshots} "
            "WHERE scenario_id = ? AND data_version = ?"
        )

    def select_snapshot_sql(self) -> str:
        return (
            f"SELECT {', '.join(self.stored_columns)} FROM {self.snapshots} "
            "WHERE scenario_id = ? AND data_version = ? ORDER BY position"
        )

    def delete_snapshots_sql(self) -> str:
        return f"DELETE FROM {self.snapshots} WHERE scenario_id = ?"

    def copy_sql(self) -> str:
        """Copy one scenario's rows to another (parameters: the copy's id, the original's id)."""
        columns = ", ".join(self.stored_columns)
        return (
            f"INSERT INTO {self.name} (scenario_id, {columns}) SELECT ?, {columns} FROM {self.name} "
            "WHERE scenario_id = ?"
        )


# Keyed by the name used in ``scenarios.columns``: "backlog" and the capacity sheet names.
TABLES: dict[str, Table] = {
    BACKLOG: Table("backlog_items", BACKLOG_COLUMNS, efforts=True),
    **{sheet: Table(f"capacity_{sheet}", columns) for sheet, columns in CAPACITY_SHEETS.items()},
}


# --- preparing tables for a save ------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """One table ready to insert: typed canonical rows, efforts in long form, header order."""

    rows: pd.DataFrame  # position, the canonical columns, extra (JSON text)
    efforts: pd.DataFrame | None  # (position, ordinal, skill, amount), missing efforts left out
    headers: list[str]


def stage_all(backlog: pd.DataFrame, capacity: CapacityTables) -> dict[str, Staged]:
    """Check and shape every table before the transaction starts, so it stays short."""
    if not isinstance(backlog, pd.DataFrame):
        raise StoreError(f"Cannot save the backlog: expected a pandas DataFrame, got {type(backlog).__name__}.")
    if not isinstance(capacity, CapacityTables):
        raise StoreError(
            f"Cannot save the capacity: expected planner.schema.CapacityTables, got {type(capacity).__name__}."
        )
    frames = {BACKLOG: backlog, **capacity.sheets()}
    return {name: _stage(name, frames[name]) for name in TABLES}


def _stage(name: str, frame: pd.DataFrame) -> Staged:
    table = TABLES[name]
    typed = _typed(name, frame, table.columns)
    extras = [column for column in typed.columns if column not in table.columns]
    effort_columns = effort_skill_columns(extras) if table.efforts else []
    others = [column for column in extras if column not in effort_columns]

    rows = typed[list(table.columns)].copy()
    rows.insert(0, "position", pd.RangeIndex(len(typed), dtype="int64"))
    rows["extra"] = pd.Series(_extra_json(typed, others), dtype="string")
    efforts = _efforts_long(typed, effort_columns) if table.efforts else None
    return Staged(rows=rows, efforts=efforts, headers=list(typed.columns))


def _typed(name: str, frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with schema dtypes; a frame that has every canonical column keeps its column order."""
    headers = list(frame.columns)
    odd = [header for header in headers if not isinstance(header, str)]
    if odd:
        raise StoreError(f"Cannot save the {name} table: column header {odd[0]!r} is not text.")
    repeated = list(pd.Index(headers)[pd.Index(headers).duplicated()])
    if repeated:
        raise StoreError(
            f"Cannot save the {name} table: column header {repeated[0]!r} appears more than once; rename one of them."
        )
    typed = coerce_table(frame, columns)
    if all(column in headers for column in columns):
        typed = typed[headers]
    return typed


def _extra_json(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """One JSON object per row with the unrecognised columns, in their order."""
    if not columns:
        return ["{}"] * len(frame)
    values = [[json_value(value) for value in frame[column].tolist()] for column in columns]
    # ensure_ascii: the stored text stays plain ASCII whatever the file held; loads() undoes it.
    return [json.dumps(dict(zip(columns, row)), ensure_ascii=True) for row in zip(*values)]


def json_value(value: Any) -> Any:
    """A cell as JSON: missing becomes null; JSON has no infinity, so it is kept as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return str(value)  # "inf" / "-inf": read back as numbers (schema.coerce_table, rebuild)
    return value


def _efforts_long(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``effort:<skill>`` columns as (position, ordinal, skill, amount) rows; missing efforts dropped."""
    parts = [
        pd.DataFrame(
            {
                "position": pd.RangeIndex(len(frame), dtype="int64"),
                "ordinal": ordinal,
                "skill": column[len(EFFORT_PREFIX) :],
                "amount": frame[column].to_numpy(dtype="float64"),
            }
        )
        for ordinal, column in enumerate(columns)
    ]
    if not parts:  # still a frame with its columns and types: a backend may join it
        return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in EFFORT_ROW_DTYPES.items()})
    long = pd.concat(parts, ignore_index=True).astype(EFFORT_ROW_DTYPES)
    return long[long["amount"].notna()].reset_index(drop=True)


def columns_json(staged: Mapping[str, Staged]) -> str:
    return json.dumps({name: table.headers for name, table in staged.items()}, ensure_ascii=True)


# --- rebuilding tables on load ----------------------------------------------------------------------


def _effort_map(stored: Any) -> Mapping[str, float]:
    """A row's efforts by skill: a map (DuckDB) or JSON text with "inf" kept as text (PostgreSQL)."""
    if isinstance(stored, str):
        return {skill: float(amount) for skill, amount in json.loads(stored).items()}
    return stored or {}


def _rebuild(name: str, rows: pd.DataFrame, headers: list[str]) -> pd.DataFrame:
    """The saved frame from its stored rows and header order."""
    table = TABLES[name]
    extras = [header for header in headers if header not in table.columns]
    effort_columns = effort_skill_columns(extras) if table.efforts else []
    others = [header for header in extras if header not in effort_columns]

    parts = [rows[list(table.columns)].reset_index(drop=True)]
    if others:
        records = [json.loads(text) for text in rows["extra"].tolist()]
        parts.append(pd.DataFrame.from_records(records, columns=others))
    if effort_columns:
        maps = [_effort_map(stored) for stored in rows["effort_by_skill"].tolist()]
        skills = [column[len(EFFORT_PREFIX) :] for column in effort_columns]
        efforts = pd.DataFrame.from_records(maps, columns=skills).astype("float64")
        efforts.columns = effort_columns
        parts.append(efforts)
    frame = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return coerce_table(frame, table.columns)[headers]


def utc(moment: datetime) -> datetime:
    # Stored as naive TIMESTAMP in UTC: a zoned type would depend on the session's time zone.
    return moment.replace(tzinfo=UTC)


def scenario_from_rows(scenario_id: str, row: Sequence[Any], rows_of: Callable[[Table], pd.DataFrame]) -> Scenario:
    """A scenario from its row (name, settings, columns, created, updated, version) and its tables' rows."""
    name, settings, columns, created_at, updated_at, version = row
    headers = json.loads(columns)
    frames = {
        table_name: _rebuild(table_name, rows_of(table), headers[table_name]) for table_name, table in TABLES.items()
    }
    return Scenario(
        id=scenario_id,
        name=name,
        backlog=frames.pop(BACKLOG),
        capacity=CapacityTables(**frames),
        settings=json.loads(settings),
        created_at=utc(created_at),
        updated_at=utc(updated_at),
        version=int(version),
    )
