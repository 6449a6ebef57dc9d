"""Saved scenarios: one embedded DuckDB file holding each scenario's backlog, capacity and settings.

The tables are real DuckDB tables, so a scenario can be inspected or queried with plain SQL
(schema version 1):

- ``meta(key, value)``: ``schema_version`` lets a later planner migrate an older file.
- ``scenarios(id, name, settings JSON, columns JSON, created_at, updated_at)``: ``columns`` holds
  every saved table's column headers in their order (``{"backlog": [...], "people": [...], ...}``),
  so headers come back exactly, even for tables with no rows. Timestamps are UTC.
- ``backlog_items(scenario_id, position, <schema.BACKLOG_COLUMNS>, effort_by_skill, extra)``:
  one row per backlog item in its order; ``effort_by_skill`` is a ``MAP(VARCHAR, DOUBLE)`` from
  skill to effort (the ``effort:<skill>`` columns, missing efforts left out); ``extra`` is a JSON
  object holding the columns the planner did not recognise, under their original headers.
- ``capacity_<sheet>(scenario_id, position, <schema.CAPACITY_SHEETS[sheet]>, extra)``: one table per
  capacity sheet, same idea.

Versions (schema version 3): ``scenarios.version`` starts at 1 and every change adds 1.
``scenario_history(scenario_id, version, changed_at, author, what, name, settings, columns,
data_version)`` holds one row per version. The tables are snapshotted only when they change: each
table above has a twin ``<table>_versions`` with an extra ``data_version`` column, holding a copy of
the rows as written at that scenario version; a history row names the snapshot valid at its version
(settings-only changes reuse the previous one).

Plans (schema version 4): ``scenario_plans(scenario_id, version, inputs, plan, made_at)`` keeps each
plan made for a scenario version under a digest of everything else it depends on, so a plan that
stopped at a time limit is still the one plan for those inputs (:meth:`Store.keep_plan`).

Links (schema version 4): ``scenario_links(token, scenario_id, kind, created_at, revoked_at)`` holds
each scenario's edit and view link tokens (random, 32 URL-safe characters); rotating revokes the old
pair. A scenario in the bin for :data:`BIN_DAYS` days is removed for good by :meth:`Store.purge_expired`.

Every write is one transaction; a failed write leaves the file as it was. One ``Store`` serves all
threads of a process: it keeps one connection and gives every operation its own cursor. DuckDB
allows one writing process per file, so a second planner process on the same file gets a
:class:`~planner.errors.StoreError` saying so.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from planner.errors import ScenarioNotFound, StoreError, VersionConflict
from planner.schema import (
    BACKLOG_COLUMNS,
    CAPACITY_SHEETS,
    EFFORT_PREFIX,
    CapacityTables,
    coerce_table,
    effort_skill_columns,
)
from planner.settings_merge import merge_settings

__all__ = [
    "BIN_DAYS",
    "DATABASE_ENV",
    "LINK_KINDS",
    "PLANS_KEPT",
    "SCHEMA_VERSION",
    "Scenario",
    "ScenarioLinks",
    "ScenarioState",
    "ScenarioSummary",
    "Store",
    "VersionInfo",
    "default_database_path",
    "is_link_token",
]

DATABASE_ENV = "PLANNER_DB"
SCHEMA_VERSION = 4
BIN_DAYS = 30  # a scenario stays this long in the bin before purge_expired removes it
LINK_KINDS = ("edit", "view")
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)
BACKLOG = "backlog"

# Conflicts are rare (two saves of one scenario at the same moment) and clear up on a retry.
_ATTEMPTS = 3

_T = TypeVar("_T")
# DuckDB's API has no separate cursor class: ``connection.cursor()`` returns another connection.
_Cursor = duckdb.DuckDBPyConnection


# --- table layout -------------------------------------------------------------------------------

_SQL_TYPES = {
    "text": "VARCHAR",
    "number": "DOUBLE",
    # Nanoseconds, like the frames' datetime64[ns]: plain TIMESTAMP would drop sub-microseconds.
    "date": "TIMESTAMP_NS",
    "bool": "BOOLEAN NOT NULL",
    "int": "BIGINT NOT NULL",
}


def _quote(identifier: str) -> str:
    """Quote a column name taken from planner.schema (``end``, ``date`` are SQL keywords)."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class _Table:
    """Where one scenario table lives and what its canonical columns are."""

    name: str  # the DuckDB table; fixed here, never from user data
    columns: Mapping[str, str]  # canonical {column: kind} from planner.schema
    efforts: bool = False  # whether effort:<skill> columns go into effort_by_skill

    @property
    def snapshots(self) -> str:
        """The twin table holding this table's rows per data version."""
        return f"{self.name}_versions"

    def create_sql(self, *, snapshots: bool = False) -> str:
        body = [
            "scenario_id VARCHAR NOT NULL",
            *(["data_version BIGINT NOT NULL"] if snapshots else []),
            "position BIGINT NOT NULL",
            *(f"{_quote(column)} {_SQL_TYPES[kind]}" for column, kind in self.columns.items()),
        ]
        if self.efforts:
            body.append("effort_by_skill MAP(VARCHAR, DOUBLE) NOT NULL")
        key = "scenario_id, data_version, position" if snapshots else "scenario_id, position"
        body += ["extra JSON NOT NULL", f"PRIMARY KEY ({key})"]
        name = self.snapshots if snapshots else self.name
        return f"CREATE TABLE IF NOT EXISTS {name} (\n    " + ",\n    ".join(body) + "\n)"


# Keyed by the name used in ``scenarios.columns``: "backlog" and the capacity sheet names.
_TABLES: dict[str, _Table] = {
    BACKLOG: _Table("backlog_items", BACKLOG_COLUMNS, efforts=True),
    **{sheet: _Table(f"capacity_{sheet}", columns) for sheet, columns in CAPACITY_SHEETS.items()},
}

# No foreign keys to scenarios: DuckDB cannot cascade deletes, and every write below touches the
# parent and its children in one transaction anyway.
_CREATE_META = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
_CREATE_SCENARIOS = """
CREATE TABLE IF NOT EXISTS scenarios (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    settings JSON NOT NULL,
    columns JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1
)"""
_CREATE_HISTORY = """
CREATE TABLE IF NOT EXISTS scenario_history (
    scenario_id VARCHAR NOT NULL,
    version BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    author VARCHAR NOT NULL DEFAULT '',
    what VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    settings JSON NOT NULL,
    columns JSON NOT NULL,
    data_version BIGINT NOT NULL,
    PRIMARY KEY (scenario_id, version)
)"""
_CREATE_LINKS = """
CREATE TABLE IF NOT EXISTS scenario_links (
    token VARCHAR PRIMARY KEY,
    scenario_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
)"""
_CREATE_PLANS = """
CREATE TABLE IF NOT EXISTS scenario_plans (
    scenario_id VARCHAR NOT NULL,
    version BIGINT NOT NULL,
    inputs VARCHAR NOT NULL,
    plan VARCHAR NOT NULL,
    made_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scenario_id, version, inputs)
)"""
_SCHEMA_SQL = (
    _CREATE_PLANS,
    _CREATE_META,
    _CREATE_SCENARIOS,
    _CREATE_HISTORY,
    _CREATE_LINKS,
    *(table.create_sql() for table in _TABLES.values()),
    *(table.create_sql(snapshots=True) for table in _TABLES.values()),
)
_SELECT_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
_INSERT_VERSION = "INSERT INTO meta VALUES ('schema_version', ?)"
# Steps that bring a file from version N to N + 1; later schema versions add theirs here.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 2: a deleted scenario goes to the bin (deleted_at set) until it is restored or purged.
    1: ("ALTER TABLE scenarios ADD COLUMN deleted_at TIMESTAMP",),
    # 3: versions; every existing scenario starts at version 1, its tables as data version 1.
    # Written to be harmless when part of it is already there.
    2: (
        "ALTER TABLE scenarios ADD COLUMN IF NOT EXISTS version BIGINT DEFAULT 1",
        "UPDATE scenarios SET version = 1 WHERE version IS NULL",
        """INSERT INTO scenario_history
        SELECT id, version, updated_at, '', 'versions started', name, settings, columns, version FROM scenarios AS s
        WHERE NOT EXISTS (SELECT 1 FROM scenario_history AS h WHERE h.scenario_id = s.id)""",
        *(
            f"""INSERT INTO {table.snapshots} BY NAME
            SELECT t.*, s.version AS data_version FROM {table.name} AS t JOIN scenarios AS s ON s.id = t.scenario_id
            WHERE NOT EXISTS (SELECT 1 FROM {table.snapshots} AS v WHERE v.scenario_id = t.scenario_id)"""
            for table in _TABLES.values()
        ),
    ),
    # 4: links (the table is created with the others); a scenario gets its tokens on first use.
    3: (),
}

# --- statements -----------------------------------------------------------------------------------

_INSERT_SCENARIO = """
INSERT INTO scenarios (id, name, settings, columns, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)"""
_SELECT_SCENARIO = """
SELECT name, settings, columns, created_at, updated_at, version FROM scenarios WHERE id = ? AND deleted_at IS NULL"""
# Every write to a scenario first sets its updated_at. DuckDB checks write conflicts per column, so
# this makes any two writes to one scenario conflict (one retries) instead of interleaving: a delete
# racing a replace_tables would otherwise leave orphan rows. The statements report their row count,
# which tells whether the scenario exists. No "RETURNING": measured on DuckDB 2.0, an
# UPDATE ... RETURNING skipped the conflict check and a concurrent committed update was lost.
# A scenario in the bin (deleted_at set) is out of reach of every statement but the bin's own.
_UPDATE_COLUMNS = "UPDATE scenarios SET columns = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
_UPDATE_SETTINGS = "UPDATE scenarios SET settings = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
_UPDATE_NAME = "UPDATE scenarios SET name = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
_TOUCH_SCENARIO = "UPDATE scenarios SET updated_at = ? WHERE id = ? AND deleted_at IS NULL"
_TO_BIN = "UPDATE scenarios SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
_FROM_BIN = "UPDATE scenarios SET deleted_at = NULL, updated_at = ? WHERE id = ? AND deleted_at IS NOT NULL"
_TOUCH_ANY_SCENARIO = "UPDATE scenarios SET updated_at = ? WHERE id = ?"
_DELETE_SCENARIO = "DELETE FROM scenarios WHERE id = ?"
_COPY_SCENARIO = """
INSERT INTO scenarios (id, name, settings, columns, created_at, updated_at)
SELECT ?, COALESCE(?, name || ' (copy)'), settings, columns, ?, ? FROM scenarios
WHERE id = ? AND deleted_at IS NULL"""
_LIST_SCENARIOS = f"""
SELECT s.id, s.name,
       (SELECT count(*) FROM {_TABLES[BACKLOG].name} AS b WHERE b.scenario_id = s.id) AS items,
       (SELECT count(*) FROM {_TABLES["people"].name} AS p WHERE p.scenario_id = s.id) AS people,
       s.created_at, s.updated_at, s.deleted_at, s.version
FROM scenarios AS s
WHERE (s.deleted_at IS NULL) = ?
ORDER BY s.deleted_at DESC, s.updated_at DESC, s.created_at DESC, s.id"""

# Names the staged frames are registered under, per cursor.
_STAGED_ROWS = "staged_rows"
_STAGED_EFFORTS = "staged_efforts"
_EFFORT_ROW_DTYPES = {"position": "int64", "ordinal": "int64", "skill": "string", "amount": "float64"}

# Efforts arrive as a long frame (position, ordinal, skill, amount) so the SQL never has to name
# a skill column: skills come from user files.
_INSERT_BACKLOG = f"""
INSERT INTO {_TABLES[BACKLOG].name} BY NAME
SELECT ? AS scenario_id, staged.*, COALESCE(efforts.effort_by_skill, MAP()) AS effort_by_skill
FROM {_STAGED_ROWS} AS staged
LEFT JOIN (
    SELECT position, map(list(skill ORDER BY ordinal), list(amount ORDER BY ordinal)) AS effort_by_skill
    FROM {_STAGED_EFFORTS}
    GROUP BY position
) AS efforts USING (position)"""


def _insert_sql(table: _Table) -> str:
    if table.efforts:
        return _INSERT_BACKLOG
    return f"INSERT INTO {table.name} BY NAME SELECT ? AS scenario_id, * FROM {_STAGED_ROWS}"


def _select_sql(table: _Table) -> str:
    return f"SELECT * EXCLUDE (scenario_id) FROM {table.name} WHERE scenario_id = ? ORDER BY position"


def _delete_sql(table: _Table) -> str:
    return f"DELETE FROM {table.name} WHERE scenario_id = ?"


def _snapshot_sql(table: _Table) -> str:
    """Copy a scenario's current rows of ``table`` in as data version ``?``."""
    return f"INSERT INTO {table.snapshots} BY NAME SELECT *, ? AS data_version FROM {table.name} WHERE scenario_id = ?"


def _unsnapshot_sql(table: _Table) -> str:
    """Write a data version's rows of ``table`` back as the scenario's current rows."""
    return (
        f"INSERT INTO {table.name} BY NAME SELECT * EXCLUDE (data_version) FROM {table.snapshots} "
        "WHERE scenario_id = ? AND data_version = ?"
    )


def _select_snapshot_sql(table: _Table) -> str:
    return (
        f"SELECT * EXCLUDE (scenario_id, data_version) FROM {table.snapshots} "
        "WHERE scenario_id = ? AND data_version = ? ORDER BY position"
    )


def _copy_sql(table: _Table) -> str:
    return (
        f"INSERT INTO {table.name} BY NAME SELECT * REPLACE (? AS scenario_id) FROM {table.name} WHERE scenario_id = ?"
    )


# --- public records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioSummary:
    """One line of the scenario list: enough to pick a scenario without loading its tables."""

    id: str
    name: str
    items: int
    people: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None  # set while the scenario is in the bin
    version: int = 1  # goes up by one with every change


@dataclass(frozen=True)
class VersionInfo:
    """One version of a scenario in its history: when, by whom and what changed."""

    version: int
    changed_at: datetime
    author: str
    what: str


@dataclass(frozen=True)
class ScenarioState:
    """A scenario's row without its tables: cheap to read, for polling whether it changed."""

    id: str
    name: str
    version: int
    settings: dict
    updated_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class ScenarioLinks:
    """A scenario's two link tokens: ``edit`` opens it for changes, ``view`` read-only."""

    edit: str
    view: str


def is_link_token(text: object) -> bool:
    """Whether ``text`` has the shape of a link token (checked before any query touches it)."""
    return isinstance(text, str) and _TOKEN_PATTERN.fullmatch(text) is not None


# eq=False: comparing DataFrames with == is elementwise, so a generated __eq__ would raise.
@dataclass(frozen=True, eq=False)
class Scenario:
    """A saved scenario with its tables, as ``planner.schema`` shapes them.

    ``backlog`` and the ``capacity`` sheets come back with the columns, order, dtypes and values
    they were saved with; treat them as read-only. Timestamps are timezone-aware UTC.
    """

    id: str
    name: str
    backlog: pd.DataFrame
    capacity: CapacityTables
    settings: dict
    created_at: datetime
    updated_at: datetime
    version: int = 1  # pass it as ``based_on`` when saving a change made to this copy


def default_database_path() -> Path:
    """The scenario database file: ``$PLANNER_DB`` if set, else ``data/planner.duckdb`` in the repo."""
    configured = os.environ.get(DATABASE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path(__file__).resolve().parent.parent / "data" / "planner.duckdb"


# --- preparing tables for a save ------------------------------------------------------------------


@dataclass(frozen=True)
class _Staged:
    """One table ready to insert: typed canonical rows, efforts in long form, header order."""

    rows: pd.DataFrame
    efforts: pd.DataFrame | None
    headers: list[str]


def _stage_all(backlog: pd.DataFrame, capacity: CapacityTables) -> dict[str, _Staged]:
    """Check and shape every table before the transaction starts, so it stays short."""
    if not isinstance(backlog, pd.DataFrame):
        raise StoreError(f"Cannot save the backlog: expected a pandas DataFrame, got {type(backlog).__name__}.")
    if not isinstance(capacity, CapacityTables):
        raise StoreError(
            f"Cannot save the capacity: expected planner.schema.CapacityTables, got {type(capacity).__name__}."
        )
    frames = {BACKLOG: backlog, **capacity.sheets()}
    return {name: _stage(name, frames[name]) for name in _TABLES}


def _stage(name: str, frame: pd.DataFrame) -> _Staged:
    table = _TABLES[name]
    typed = _typed(name, frame, table.columns)
    extras = [column for column in typed.columns if column not in table.columns]
    effort_columns = effort_skill_columns(extras) if table.efforts else []
    others = [column for column in extras if column not in effort_columns]

    rows = typed[list(table.columns)].copy()
    rows.insert(0, "position", pd.RangeIndex(len(typed), dtype="int64"))
    rows["extra"] = pd.Series(_extra_json(typed, others), dtype="string")
    efforts = _efforts_long(typed, effort_columns) if table.efforts else None
    return _Staged(rows=rows, efforts=efforts, headers=list(typed.columns))


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
    values = [[_json_value(value) for value in frame[column].tolist()] for column in columns]
    # ensure_ascii: the stored text stays plain ASCII whatever the file held; loads() undoes it.
    return [json.dumps(dict(zip(columns, row)), ensure_ascii=True) for row in zip(*values)]


def _json_value(value: Any) -> Any:
    """A cell as JSON: missing becomes null; JSON has no infinity, so it is kept as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return str(value)  # "inf" / "-inf": schema.coerce_table reads these back as numbers
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
    if not parts:  # still registered: the insert joins it, so it needs its columns and types
        return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in _EFFORT_ROW_DTYPES.items()})
    long = pd.concat(parts, ignore_index=True).astype(_EFFORT_ROW_DTYPES)
    return long[long["amount"].notna()].reset_index(drop=True)


def _columns_json(staged: Mapping[str, _Staged]) -> str:
    return json.dumps({name: table.headers for name, table in staged.items()}, ensure_ascii=True)


# --- rebuilding tables on load ----------------------------------------------------------------------


def _rebuild(name: str, rows: pd.DataFrame, headers: list[str]) -> pd.DataFrame:
    """The saved frame from its stored rows and header order."""
    table = _TABLES[name]
    extras = [header for header in headers if header not in table.columns]
    effort_columns = effort_skill_columns(extras) if table.efforts else []
    others = [header for header in extras if header not in effort_columns]

    parts = [rows[list(table.columns)].reset_index(drop=True)]
    if others:
        records = [json.loads(text) for text in rows["extra"].tolist()]
        parts.append(pd.DataFrame.from_records(records, columns=others))
    if effort_columns:
        maps = [mapping or {} for mapping in rows["effort_by_skill"].tolist()]
        skills = [column[len(EFFORT_PREFIX) :] for column in effort_columns]
        efforts = pd.DataFrame.from_records(maps, columns=skills)
        efforts.columns = effort_columns
        parts.append(efforts)
    frame = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return coerce_table(frame, table.columns)[headers]


def _utc(moment: datetime) -> datetime:
    # Stored as naive TIMESTAMP in UTC: TIMESTAMPTZ would depend on the session's time zone.
    return moment.replace(tzinfo=UTC)


def _clean_name(name: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned:
        raise StoreError("A scenario needs a name: type one (names may repeat).")
    return cleaned


def _settings_json(settings: Mapping[str, Any] | None) -> str:
    if settings is None:
        settings = {}
    if not isinstance(settings, Mapping):
        raise StoreError(f"Cannot save the settings: expected a dict, got {type(settings).__name__}.")
    try:
        return json.dumps(dict(settings), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"Cannot save the settings: they must be JSON data (dicts, lists, text, finite numbers, "
            f"true/false/null): {error}."
        ) from error


def _not_found(scenario_id: str) -> ScenarioNotFound:
    return ScenarioNotFound(
        f"No saved scenario has the id {scenario_id!r} (it may have been deleted). The app's "
        "scenario list, or Store.list(), shows the saved scenarios and their ids."
    )


def _is_conflict(error: duckdb.Error) -> bool:
    return isinstance(error, duckdb.TransactionException)


def _backoff(attempt: int) -> None:
    """Wait a little before retrying; jitter keeps two conflicting threads from retrying in step."""
    time.sleep(0.02 * attempt + random.uniform(0, 0.02))


# --- cursor helpers ---------------------------------------------------------------------------


def _require(cursor: _Cursor, scenario_id: str) -> None:
    """Raise ScenarioNotFound unless the statement just run changed a row."""
    # fetchall, not fetchone: DuckDB 2 refuses further work on a cursor with a half-read result.
    (changed,) = cursor.fetchall()[0]
    if not changed:
        raise _not_found(scenario_id)


def _write_tables(cursor: _Cursor, scenario_id: str, staged: Mapping[str, _Staged]) -> None:
    for name, table in staged.items():
        _insert_table(cursor, _TABLES[name], scenario_id, table)


def _insert_table(cursor: _Cursor, table: _Table, scenario_id: str, staged: _Staged) -> None:
    """Insert one staged table; the frames are registered explicitly and always unregistered."""
    registered = [(_STAGED_ROWS, staged.rows)]
    if staged.efforts is not None:
        registered.append((_STAGED_EFFORTS, staged.efforts))
    for view, frame in registered:
        cursor.register(view, frame)
    try:
        cursor.execute(_insert_sql(table), [scenario_id])
    finally:
        for view, _ in registered:
            _quietly(cursor.unregister, view)


def _read_rows(cursor: _Cursor, table: _Table, scenario_id: str) -> pd.DataFrame:
    return cursor.execute(_select_sql(table), [scenario_id]).df()


def _scenario(scenario_id: str, row: Sequence[Any], rows_of: Callable[[_Table], pd.DataFrame]) -> Scenario:
    """A scenario from its row (name, settings, columns, created, updated, version) and its tables' rows."""
    name, settings, columns, created_at, updated_at, version = row
    headers = json.loads(columns)
    frames = {
        table_name: _rebuild(table_name, rows_of(table), headers[table_name]) for table_name, table in _TABLES.items()
    }
    return Scenario(
        id=scenario_id,
        name=name,
        backlog=frames.pop(BACKLOG),
        capacity=CapacityTables(**frames),
        settings=json.loads(settings),
        created_at=_utc(created_at),
        updated_at=_utc(updated_at),
        version=int(version),
    )


def _rollback(cursor: _Cursor) -> None:
    # The transaction may already be gone (failed COMMIT); closing the cursor then ends it anyway.
    _quietly(cursor.execute, "ROLLBACK")


def _quietly(call: Callable[..., object], *args: object) -> None:
    try:
        call(*args)
    except duckdb.Error:
        pass


# --- versions -------------------------------------------------------------------------------------

_SELECT_STATE = "SELECT version, deleted_at IS NOT NULL FROM scenarios WHERE id = ?"
_BUMP_VERSION = "UPDATE scenarios SET version = version + 1 WHERE id = ?"
_SELECT_CURRENT = "SELECT version, name, settings, columns FROM scenarios WHERE id = ?"
_SELECT_DATA_VERSION = "SELECT data_version FROM scenario_history WHERE scenario_id = ? AND version = ?"
_INSERT_HISTORY = """
INSERT INTO scenario_history (scenario_id, version, changed_at, author, what, name, settings, columns, data_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_SELECT_HISTORY = """
SELECT version, changed_at, author, what FROM scenario_history WHERE scenario_id = ? ORDER BY version"""
_SELECT_CHANGES_SINCE = """
SELECT what, author FROM scenario_history WHERE scenario_id = ? AND version > ? ORDER BY version"""
_SELECT_VERSION_ROW = """
SELECT name, settings, columns, changed_at, data_version FROM scenario_history WHERE scenario_id = ? AND version = ?"""
_SELECT_CREATED = "SELECT created_at FROM scenarios WHERE id = ?"
_DELETE_HISTORY = "DELETE FROM scenario_history WHERE scenario_id = ?"
_SELECT_ROW_STATE = "SELECT name, version, settings, updated_at, deleted_at FROM scenarios WHERE id = ?"
_EXPIRED = "SELECT id FROM scenarios WHERE deleted_at IS NOT NULL AND deleted_at < ? ORDER BY deleted_at"

# --- links ----------------------------------------------------------------------------------------

_SELECT_LINKS = "SELECT kind, token FROM scenario_links WHERE scenario_id = ? AND revoked_at IS NULL"
_INSERT_LINK = "INSERT INTO scenario_links (token, scenario_id, kind, created_at) VALUES (?, ?, ?, ?)"
_REVOKE_LINKS = "UPDATE scenario_links SET revoked_at = ? WHERE scenario_id = ? AND revoked_at IS NULL"
_OPEN_LINK = """
SELECT l.scenario_id, l.kind FROM scenario_links AS l JOIN scenarios AS s ON s.id = l.scenario_id
WHERE l.token = ? AND l.revoked_at IS NULL AND s.deleted_at IS NULL"""
_DELETE_LINKS = "DELETE FROM scenario_links WHERE scenario_id = ?"

# --- plans kept with a version ---------------------------------------------------------------------

PLANS_KEPT = 400  # per scenario: the oldest beyond this are dropped (they are made again when asked for)
_SELECT_PLAN = "SELECT plan FROM scenario_plans WHERE scenario_id = ? AND version = ? AND inputs = ?"
_INSERT_PLAN = "INSERT OR IGNORE INTO scenario_plans VALUES (?, ?, ?, ?, ?)"
_TRIM_PLANS = """
DELETE FROM scenario_plans WHERE scenario_id = ? AND made_at < (
    SELECT made_at FROM scenario_plans WHERE scenario_id = ? ORDER BY made_at DESC LIMIT 1 OFFSET ?)"""
_DELETE_PLANS = "DELETE FROM scenario_plans WHERE scenario_id = ?"


def _clean_author(author: str) -> str:
    if not isinstance(author, str):
        raise StoreError(f"The author of a change must be text, got {type(author).__name__}.")
    return " ".join(author.split())[:80]


def _clean_label(what: str) -> str:
    if not isinstance(what, str) or not what.strip():
        raise StoreError(f"What a change did must be text, got {what!r}.")
    return " ".join(what.split())[:300]


_NOW = object()  # in a versioned write's parameters: the time of the write


# What a scoped write checks when its base is stale: the clashing parts, given the version rows
# (name, settings, columns, changed_at, data_version) it was based on and of now.
_Clashes = Callable[[tuple[Any, ...], tuple[Any, ...]], builtins.list[str]]


def _check(
    cursor: _Cursor, scenario_id: str, based_on: int | None, *, in_bin: bool = False, clashes: _Clashes | None = None
) -> int:
    """The scenario's current version; ScenarioNotFound if it is missing (or not where expected).

    A stale ``based_on`` raises VersionConflict; with ``clashes``, only when that finds a part both
    the write and the changes since touched (so a pin and an OOO edit both land). Read in the writing
    transaction: should another save commit after this read, the write that follows conflicts, the
    transaction is retried, and this read then sees the new version.
    """
    found = cursor.execute(_SELECT_STATE, [scenario_id]).fetchall()
    if not found or bool(found[0][1]) != in_bin:
        raise _not_found(scenario_id)
    current = int(found[0][0])
    if based_on is None or based_on == current:
        return current
    if clashes is not None and 0 < based_on < current:
        parts = clashes(_version_row(cursor, scenario_id, based_on), _version_row(cursor, scenario_id, current))
        if not parts:
            return current
    else:
        parts = []
    rows = cursor.execute(_SELECT_CHANGES_SINCE, [scenario_id, based_on]).fetchall()
    changes = [f"{what} (by {author})" if author else what for what, author in rows]
    since = "; ".join(changes) if changes else "nothing known"
    both = f" Both changed: {', '.join(parts)}." if parts else ""
    raise VersionConflict(
        f"The scenario was changed since version {based_on}: it is now at version {current} "
        f"(changes since: {since}).{both} Nothing was saved; reload it and make your change again.",
        current=current,
        based_on=based_on,
        changes=changes,
    )


def _data_clashes(base: tuple[Any, ...], now: tuple[Any, ...]) -> builtins.list[str]:
    """A table write clashes with a change of the tables since its base (settings changes do not)."""
    return [] if base[4] == now[4] else ["the backlog and capacity tables"]


def _name_clashes(new_name: str) -> _Clashes:
    """A rename clashes with another rename since its base, unless to the same name."""
    return lambda base, now: [] if now[0] in (base[0], new_name) else ["the name"]


def _record(
    cursor: _Cursor,
    scenario_id: str,
    now: datetime,
    author: str,
    what: str,
    *,
    bump: bool = True,
    snapshot: bool = False,
    data_version: int | None = None,
) -> int:
    """Add one to the scenario's version (unless new) and append its history row; return the version.

    ``snapshot``: the tables changed, copy them as the data of this version; else ``data_version``
    names the data, or the previous version's data stays.
    """
    if bump:
        cursor.execute(_BUMP_VERSION, [scenario_id]).fetchall()
    version, name, settings, columns = cursor.execute(_SELECT_CURRENT, [scenario_id]).fetchall()[0]
    if snapshot:
        data_version = version
        for table in _TABLES.values():
            cursor.execute(_snapshot_sql(table), [version, scenario_id])
    elif data_version is None:
        data_version = cursor.execute(_SELECT_DATA_VERSION, [scenario_id, version - 1]).fetchall()[0][0]
    row = [scenario_id, version, now, author, what, name, settings, columns, data_version]
    cursor.execute(_INSERT_HISTORY, row)
    return int(version)


def _merged_settings(cursor: _Cursor, scenario_id: str, based_on: int | None, mine: dict) -> dict:
    """``mine`` (the settings of ``based_on``, changed) merged into the scenario's current settings.

    VersionConflict when a setting both changed (:func:`planner.settings_merge.merge_settings`).
    """
    merged: dict = mine

    def clashes(base: tuple[Any, ...], now: tuple[Any, ...]) -> builtins.list[str]:
        nonlocal merged
        merged, parts = merge_settings(json.loads(base[1]), mine, json.loads(now[1]))
        return [f"the setting {part}" for part in parts]

    _check(cursor, scenario_id, based_on, clashes=clashes)
    return merged


def _version_row(cursor: _Cursor, scenario_id: str, version: int) -> tuple[Any, ...]:
    found = cursor.execute(_SELECT_VERSION_ROW, [scenario_id, version]).fetchall()
    if not found:
        if not cursor.execute(_SELECT_CREATED, [scenario_id]).fetchall():
            raise _not_found(scenario_id)
        raise StoreError(
            f"The scenario {scenario_id!r} has no version {version!r}; Store.history() lists its versions."
        )
    return tuple(found[0])


# --- the store ------------------------------------------------------------------------------------


def _owner_only(path: Path) -> None:
    """Make ``path`` readable and writable by its owner only (0600), when it exists.

    Scenarios hold backlogs and people's absences: other accounts on the server have no business
    reading them.
    """
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except FileNotFoundError:
        pass  # no write-ahead log at the moment: nothing to protect
    except OSError:
        pass  # a file we may use but not chmod (another owner): its owner decides


class Store:
    """The scenario database: create, load, list, change and delete scenarios.

    Open one per process and share it between threads (the app keeps it in ``st.cache_resource``).
    Every method raises :class:`StoreError` when the file cannot be read or written and
    :class:`ScenarioNotFound` for an unknown id; a failed write changes nothing.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        """Open the database file (creating it, its folder and its tables when missing).

        ``path`` wins over ``$PLANNER_DB``, which wins over ``data/planner.duckdb`` in the repo.
        """
        self._path = Path(path).expanduser() if path is not None else default_database_path()
        self._lock = threading.Lock()
        # Writes of this process go one at a time: DuckDB would let two threads' writes to one
        # scenario collide and refuse one ("try again"), which a meeting should never see.
        self._write_lock = threading.Lock()
        self._last_stamp = datetime.min
        self._connection: duckdb.DuckDBPyConnection | None = self._connect()
        try:
            self._transaction("prepare the scenario tables", self._ensure_schema)
        except BaseException:
            self.close()
            raise

    @property
    def path(self) -> Path:
        """The database file this store reads and writes."""
        return self._path

    # -- lifecycle --

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Cannot create the folder for the scenario database {self._path}: {error}. "
                f"Choose a writable location with {DATABASE_ENV}."
            ) from error
        with self._lock:
            try:
                connection = duckdb.connect(str(self._path))
                _owner_only(self._path)  # before any scenario is written into it
                return connection
            except duckdb.IOException as error:
                raise self._open_error(error) from error
            except duckdb.Error as error:
                raise StoreError(f"Cannot open the scenario database {self._path}: {error}") from error

    def _open_error(self, error: duckdb.IOException) -> StoreError:
        if "lock" in str(error).lower():
            return StoreError(
                f"The scenario database {self._path} is in use: another planner process (or another "
                f"DuckDB program) holds it open. Close that process, or set {DATABASE_ENV} to a "
                f"different file, and try again. (DuckDB: {error})"
            )
        return StoreError(
            f"Cannot open the scenario database {self._path}: {error}. If this file is not a planner "
            f"database, move it away or set {DATABASE_ENV} to a different file."
        )

    def _ensure_schema(self, cursor: _Cursor) -> None:
        for statement in _SCHEMA_SQL:
            cursor.execute(statement)
        found = cursor.execute(_SELECT_VERSION).fetchall()
        if not found:
            cursor.execute(_INSERT_VERSION, [str(SCHEMA_VERSION)])
            return
        version = int(found[0][0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The scenario database {self._path} was written by a newer planner (schema version "
                f"{version}, this one knows {SCHEMA_VERSION}). Upgrade the planner, or set "
                f"{DATABASE_ENV} to a different file."
            )
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                cursor.execute(statement)
        if version < SCHEMA_VERSION:
            cursor.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])

    def close(self) -> None:
        """Close the database file; the store cannot be used afterwards. Closing twice is fine."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing --

    def _cursor(self) -> _Cursor:
        # The connection itself is never queried: DuckDB refuses one connection used by two threads.
        with self._lock:
            if self._connection is None:
                raise StoreError(f"The scenario store for {self._path} is closed; open a new Store.")
            return self._connection.cursor()

    def _now(self) -> datetime:
        """Naive UTC now, strictly later than any stamp this store gave, so list order is stable."""
        with self._lock:
            now = datetime.now(UTC).replace(tzinfo=None)
            self._last_stamp = max(now, self._last_stamp + timedelta(microseconds=1))
            return self._last_stamp

    def _transaction(self, what: str, action: Callable[[_Cursor], _T], *, write: bool = True) -> _T:
        """Run ``action`` in one transaction on a fresh cursor, retrying write conflicts.

        Any failure rolls back explicitly: after a "Conflict on update!" DuckDB may accept a COMMIT
        and silently drop the writes, so COMMIT is only ever reached after ``action`` succeeded.
        Writes (``write``) take this store's write lock; reads run side by side with them.
        """
        if not write:
            return self._attempts(what, action)
        with self._write_lock:
            return self._attempts(what, action)

    def _attempts(self, what: str, action: Callable[[_Cursor], _T]) -> _T:
        for attempt in range(1, _ATTEMPTS + 1):
            cursor = self._cursor()
            try:
                cursor.execute("BEGIN TRANSACTION")
                result = action(cursor)
                cursor.execute("COMMIT")
                # DuckDB creates the write-ahead log with the process umask, whatever the file's mode.
                _owner_only(self._path.with_name(self._path.name + ".wal"))
                return result
            except duckdb.Error as error:
                _rollback(cursor)
                if _is_conflict(error) and attempt < _ATTEMPTS:
                    _backoff(attempt)
                    continue
                raise self._failure(what, error, attempt) from error
            except BaseException:
                _rollback(cursor)
                raise
            finally:
                cursor.close()
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _failure(self, what: str, error: duckdb.Error, attempts: int) -> StoreError:
        if _is_conflict(error):
            return StoreError(
                f"Could not {what}: the same scenario was being changed at the same time "
                f"({attempts} tries). Nothing was changed; try again."
            )
        return StoreError(f"Could not {what} in the scenario database {self._path}: {error}. Nothing was changed.")

    # -- scenarios --

    def create(
        self,
        name: str,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        settings: dict | None = None,
        *,
        author: str = "",
    ) -> str:
        """Save a new scenario (version 1) and return its id (random, 22 URL-safe characters).

        The tables are stored as ``planner.schema.coerce_table`` shapes them; a backlog with every
        canonical column keeps its own column order.
        """
        cleaned = _clean_name(name)
        who = _clean_author(author)
        staged = _stage_all(backlog, capacity)
        settings_text = _settings_json(settings)
        scenario_id = secrets.token_urlsafe(16)

        def write(cursor: _Cursor) -> None:
            now = self._now()
            row = [scenario_id, cleaned, settings_text, _columns_json(staged), now, now]
            cursor.execute(_INSERT_SCENARIO, row)
            _write_tables(cursor, scenario_id, staged)
            _record(cursor, scenario_id, now, who, "created", bump=False, snapshot=True)

        self._transaction(f"save the new scenario {cleaned!r}", write)
        return scenario_id

    def replace_tables(
        self,
        scenario_id: str,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        *,
        based_on: int | None = None,
        author: str = "",
        settings: dict | None = None,
        what: str = "data replaced",
    ) -> int:
        """Replace a scenario's backlog and capacity; its name stays. Returns the new version.

        ``settings``: the scenario's settings after the change (those of ``based_on``, changed), saved
        in the same version as in :meth:`save_settings`; None keeps them. ``what`` is for the history.

        With ``based_on`` (the version the change was made to), a scenario whose tables changed since
        raises :class:`VersionConflict` and nothing is written (settings or a name changed since do
        not clash); without it the last save wins.
        """
        staged = _stage_all(backlog, capacity)
        who = _clean_author(author)
        mine = None if settings is None else json.loads(_settings_json(settings))
        label = _clean_label(what)

        def write(cursor: _Cursor) -> int:
            _check(cursor, scenario_id, based_on, clashes=_data_clashes)
            now = self._now()
            if mine is not None:
                merged = _settings_json(_merged_settings(cursor, scenario_id, based_on, mine))
                cursor.execute(_UPDATE_SETTINGS, [merged, now, scenario_id])
            columns = _columns_json(staged)
            _require(cursor.execute(_UPDATE_COLUMNS, [columns, now, scenario_id]), scenario_id)
            for table in _TABLES.values():
                cursor.execute(_delete_sql(table), [scenario_id])
            _write_tables(cursor, scenario_id, staged)
            return _record(cursor, scenario_id, now, who, label, snapshot=True)

        return self._transaction("save the scenario's tables", write)

    def save_settings(
        self,
        scenario_id: str,
        settings: dict,
        *,
        based_on: int | None = None,
        author: str = "",
        what: str = "settings saved",
    ) -> int:
        """Replace a scenario's settings (any JSON data: tuples come back as lists); returns the new version.

        With ``based_on`` (the version whose settings were changed into ``settings``), changes saved
        since are kept: the two are merged setting by setting (:mod:`planner.settings_merge`), and
        only a setting both changed raises :class:`VersionConflict`. Without it the last save wins.
        ``what`` says what changed, in the history.
        """
        mine = json.loads(_settings_json(settings))
        who = _clean_author(author)
        label = _clean_label(what)

        def write(cursor: _Cursor) -> int:
            merged = _merged_settings(cursor, scenario_id, based_on, mine)
            now = self._now()
            _require(cursor.execute(_UPDATE_SETTINGS, [_settings_json(merged), now, scenario_id]), scenario_id)
            return _record(cursor, scenario_id, now, who, label)

        return self._transaction("save the scenario's settings", write)

    def rename(self, scenario_id: str, name: str, *, based_on: int | None = None, author: str = "") -> int:
        """Give a scenario a new name (surrounding spaces dropped; names may repeat); returns the new version.

        With ``based_on``, only a rename since clashes.
        """
        cleaned = _clean_name(name)
        who = _clean_author(author)

        return self._versioned(
            scenario_id,
            based_on,
            who,
            "rename the scenario",
            f"renamed to {cleaned}",
            _UPDATE_NAME,
            [cleaned, _NOW],
            clashes=_name_clashes(cleaned),
        )

    def delete(self, scenario_id: str, *, based_on: int | None = None, author: str = "") -> int:
        """Move a scenario to the bin: it leaves :meth:`list` and every use, whole, until :meth:`restore`.

        Anyone who can reach the server can delete, so a deletion is recoverable (:meth:`binned`);
        only :meth:`purge` removes a scenario for good. Binning is a new version, which is returned.
        """
        who = _clean_author(author)

        return self._versioned(
            scenario_id, based_on, who, "move the scenario to the bin", "binned", _TO_BIN, [_NOW, _NOW]
        )

    def restore(self, scenario_id: str, *, based_on: int | None = None, author: str = "") -> int:
        """Bring a scenario back from the bin, as it was when it was deleted; returns the new version."""
        who = _clean_author(author)

        return self._versioned(
            scenario_id, based_on, who, "restore the scenario", "restored", _FROM_BIN, [_NOW], in_bin=True
        )

    def _versioned(
        self,
        scenario_id: str,
        based_on: int | None,
        who: str,
        what: str,
        label: str,
        update: str,
        values: builtins.list[Any],
        *,
        in_bin: bool = False,
        clashes: _Clashes | None = None,
    ) -> int:
        """One versioned write of the scenario's row, in one transaction: check ``based_on``, run
        ``update``, record the new version as ``label`` by ``who``; returns the new version.

        ``update``'s parameters are ``values`` (the write's time wherever they hold :data:`_NOW`), then
        the scenario id. ``what`` names the write in a failure's message.
        """

        def write(cursor: _Cursor) -> int:
            _check(cursor, scenario_id, based_on, in_bin=in_bin, clashes=clashes)
            now = self._now()
            parameters = [now if value is _NOW else value for value in values]
            _require(cursor.execute(update, [*parameters, scenario_id]), scenario_id)
            return _record(cursor, scenario_id, now, who, label)

        return self._transaction(what, write)

    def purge(self, scenario_id: str) -> None:
        """Remove a scenario (in the bin or not), all its tables and its history for good."""

        def write(cursor: _Cursor) -> None:
            _require(cursor.execute(_TOUCH_ANY_SCENARIO, [self._now(), scenario_id]), scenario_id)
            for table in _TABLES.values():
                cursor.execute(_delete_sql(table), [scenario_id])
                cursor.execute(f"DELETE FROM {table.snapshots} WHERE scenario_id = ?", [scenario_id])
            cursor.execute(_DELETE_HISTORY, [scenario_id])
            cursor.execute(_DELETE_LINKS, [scenario_id])
            cursor.execute(_DELETE_PLANS, [scenario_id])
            cursor.execute(_DELETE_SCENARIO, [scenario_id])

        self._transaction("remove the scenario for good", write)

    def duplicate(
        self,
        scenario_id: str,
        name: str | None = None,
        settings: Mapping[str, Any] | None = None,
        *,
        author: str = "",
    ) -> str:
        """Copy a scenario with all its tables and settings; return the copy's id.

        The copy is named ``name``, or ``"<original name> (copy)"``; it holds ``settings`` when they
        are given, else the original's. It shares nothing with the original afterwards (its history
        starts at version 1). One write: there is never a copy without the settings it was made with.
        """
        cleaned = None if name is None else _clean_name(name)
        settings_text = None if settings is None else _settings_json(settings)
        who = _clean_author(author)
        copy_id = secrets.token_urlsafe(16)

        def write(cursor: _Cursor) -> None:
            now = self._now()
            _require(cursor.execute(_COPY_SCENARIO, [copy_id, cleaned, now, now, scenario_id]), scenario_id)
            if settings_text is not None:
                cursor.execute(_UPDATE_SETTINGS, [settings_text, now, copy_id])
            for table in _TABLES.values():
                cursor.execute(_copy_sql(table), [copy_id, scenario_id])
            _record(cursor, copy_id, now, who, "created as a copy", bump=False, snapshot=True)

        self._transaction("copy the scenario", write)
        return copy_id

    def history(self, scenario_id: str) -> builtins.list[VersionInfo]:
        """Every version of a scenario (in the bin or not), oldest first."""

        def read(cursor: _Cursor) -> builtins.list[VersionInfo]:
            rows = cursor.execute(_SELECT_HISTORY, [scenario_id]).fetchall()
            if not rows:
                raise _not_found(scenario_id)
            return [
                VersionInfo(version=int(version), changed_at=_utc(changed_at), author=author, what=what)
                for version, changed_at, author, what in rows
            ]

        return self._transaction("read the scenario's history", read, write=False)

    def load_version(self, scenario_id: str, version: int) -> Scenario:
        """The scenario as it was at ``version``: its name, settings and tables then (a read-only view).

        ``updated_at`` is when that version was made.
        """

        def read(cursor: _Cursor) -> Scenario:
            name, settings, columns, changed_at, data_version = _version_row(cursor, scenario_id, version)
            (created_at,) = cursor.execute(_SELECT_CREATED, [scenario_id]).fetchall()[0]
            return _scenario(
                scenario_id,
                (name, settings, columns, created_at, changed_at, version),
                lambda table: cursor.execute(_select_snapshot_sql(table), [scenario_id, data_version]).df(),
            )

        return self._transaction("load the scenario version", read, write=False)

    def restore_version(self, scenario_id: str, version: int, *, based_on: int | None = None, author: str = "") -> int:
        """Write the name, settings and tables of an old ``version`` back as a new version, and return it.

        Undo is restoring the version before the current one. With ``based_on``, any change since
        raises :class:`VersionConflict` (a restore replaces everything, so everything clashes).
        """
        who = _clean_author(author)

        def write(cursor: _Cursor) -> int:
            current = _check(cursor, scenario_id, based_on)
            name, settings, columns, _, data_version = _version_row(cursor, scenario_id, version)
            now = self._now()
            _require(cursor.execute(_UPDATE_COLUMNS, [columns, now, scenario_id]), scenario_id)
            cursor.execute(_UPDATE_SETTINGS, [settings, now, scenario_id])
            cursor.execute(_UPDATE_NAME, [name, now, scenario_id])
            if _version_row(cursor, scenario_id, current)[4] != data_version:  # else the tables are those already
                for table in _TABLES.values():
                    cursor.execute(_delete_sql(table), [scenario_id])
                    cursor.execute(_unsnapshot_sql(table), [scenario_id, data_version])
            # The old snapshot is the data of the new version too: nothing to copy.
            return _record(cursor, scenario_id, now, who, f"restored version {version}", data_version=data_version)

        return self._transaction("restore the scenario version", write)

    def state(self, scenario_id: str) -> ScenarioState:
        """The scenario's name, version and settings without its tables: one small read, for polling."""

        def read(cursor: _Cursor) -> ScenarioState:
            found = cursor.execute(_SELECT_ROW_STATE, [scenario_id]).fetchall()
            if not found:
                raise _not_found(scenario_id)
            name, version, settings, updated_at, deleted_at = found[0]
            return ScenarioState(
                id=scenario_id,
                name=name,
                version=int(version),
                settings=json.loads(settings),
                updated_at=_utc(updated_at),
                deleted_at=None if deleted_at is None else _utc(deleted_at),
            )

        return self._transaction("read the scenario", read, write=False)

    def changes_since(self, scenario_id: str, version: int) -> builtins.list[VersionInfo]:
        """The versions after ``version``, oldest first (what another session changed since)."""
        return [info for info in self.history(scenario_id) if info.version > version]

    def links(self, scenario_id: str) -> ScenarioLinks:
        """The scenario's edit and view link tokens, made on first use (a scenario in the bin has none)."""

        def read(cursor: _Cursor) -> dict[str, str]:
            _check(cursor, scenario_id, None)
            return dict(cursor.execute(_SELECT_LINKS, [scenario_id]).fetchall())

        found = self._transaction("read the scenario's links", read, write=False)
        if set(found) >= set(LINK_KINDS):
            return ScenarioLinks(edit=found["edit"], view=found["view"])
        return self._new_links(scenario_id, revoke=False)

    def rotate_links(self, scenario_id: str) -> ScenarioLinks:
        """Give the scenario new edit and view links; the old ones stop working at once."""
        return self._new_links(scenario_id, revoke=True)

    def _new_links(self, scenario_id: str, *, revoke: bool) -> ScenarioLinks:
        def write(cursor: _Cursor) -> ScenarioLinks:
            _check(cursor, scenario_id, None)
            now = self._now()
            found = dict(cursor.execute(_SELECT_LINKS, [scenario_id]).fetchall())
            if not revoke and set(found) >= set(LINK_KINDS):  # another thread made them meanwhile
                return ScenarioLinks(edit=found["edit"], view=found["view"])
            cursor.execute(_REVOKE_LINKS, [now, scenario_id])
            tokens = {kind: secrets.token_urlsafe(24) for kind in LINK_KINDS}
            for kind, token in tokens.items():
                cursor.execute(_INSERT_LINK, [token, scenario_id, kind, now])
            return ScenarioLinks(**tokens)

        return self._transaction("make the scenario's links", write)

    def open_link(self, token: str) -> tuple[str, str]:
        """The scenario id and link kind (``edit`` or ``view``) of a link token.

        A token of the wrong shape is refused before any query; a malformed, unknown or revoked token,
        or one of a scenario in the bin, raises the same :class:`ScenarioNotFound`.
        """
        if not is_link_token(token):
            raise ScenarioNotFound("No scenario at this link: it is mistyped, or it was revoked.")

        def read(cursor: _Cursor) -> tuple[str, str]:
            found = cursor.execute(_OPEN_LINK, [token]).fetchall()
            if not found:
                raise ScenarioNotFound("No scenario at this link: it is mistyped, or it was revoked.")
            return str(found[0][0]), str(found[0][1])

        return self._transaction("open the link", read, write=False)

    def kept_plan(self, scenario_id: str, version: int, inputs: str) -> str | None:
        """The plan text kept for this scenario version and inputs digest, or None."""

        def read(cursor: _Cursor) -> str | None:
            found = cursor.execute(_SELECT_PLAN, [scenario_id, version, inputs]).fetchall()
            return str(found[0][0]) if found else None

        return self._transaction("read a kept plan", read, write=False)

    def keep_plan(self, scenario_id: str, version: int, inputs: str, plan: str) -> str:
        """Keep ``plan`` (text) for the scenario version and ``inputs`` (a digest of everything else the
        plan depends on); returns the plan kept, which is the first one kept when two sessions race.

        Not a change to the scenario (no new version): a cache that outlives the process, so the same
        inputs show the same plan in every session and after a restart.
        """

        def write(cursor: _Cursor) -> str:
            cursor.execute(_INSERT_PLAN, [scenario_id, version, inputs, plan, self._now()])
            cursor.execute(_TRIM_PLANS, [scenario_id, scenario_id, PLANS_KEPT])
            return str(cursor.execute(_SELECT_PLAN, [scenario_id, version, inputs]).fetchall()[0][0])

        return self._transaction("keep the plan", write)

    def purge_expired(self, now: datetime | None = None) -> builtins.list[str]:
        """Remove for good the scenarios in the bin for more than :data:`BIN_DAYS` days; their ids.

        ``now`` (timezone-aware) is for tests; the app calls this when it starts and when it lists the bin.
        """
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        cutoff = moment - timedelta(days=BIN_DAYS)
        expired = self._transaction(
            "list the bin",
            lambda cursor: [row[0] for row in cursor.execute(_EXPIRED, [cutoff]).fetchall()],
            write=False,
        )
        for scenario_id in expired:
            try:
                self.purge(scenario_id)
            except ScenarioNotFound:
                pass  # purged meanwhile by another caller
        return expired

    def load(self, scenario_id: str) -> Scenario:
        """The scenario with this id, with its tables exactly as saved."""

        # A transaction, so all eight reads see the same saved state even while another thread saves.
        def read(cursor: _Cursor) -> Scenario:
            found = cursor.execute(_SELECT_SCENARIO, [scenario_id]).fetchall()
            if not found:
                raise _not_found(scenario_id)
            return _scenario(scenario_id, found[0], lambda table: _read_rows(cursor, table, scenario_id))

        return self._transaction("load the scenario", read, write=False)

    def list(self) -> list[ScenarioSummary]:
        """Every saved scenario (not those in the bin), most recently changed first."""
        return self._summaries(in_bin=False)

    def binned(self) -> builtins.list[ScenarioSummary]:
        """The scenarios in the bin, most recently deleted first."""
        return self._summaries(in_bin=True)

    def _summaries(self, in_bin: bool) -> builtins.list[ScenarioSummary]:
        def read(cursor: _Cursor) -> builtins.list[ScenarioSummary]:
            rows = cursor.execute(_LIST_SCENARIOS, [not in_bin]).fetchall()
            return [
                ScenarioSummary(
                    id=row_id,
                    name=name,
                    items=int(items),
                    people=int(people),
                    created_at=_utc(created_at),
                    updated_at=_utc(updated_at),
                    deleted_at=None if deleted_at is None else _utc(deleted_at),
                    version=int(version),
                )
                for row_id, name, items, people, created_at, updated_at, deleted_at, version in rows
            ]

        return self._transaction("list the bin" if in_bin else "list the scenarios", read, write=False)
