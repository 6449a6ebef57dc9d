"""The embedded backend: one DuckDB file, one writing process, no server.

One connection per process; every transaction gets its own cursor (DuckDB refuses one connection used
by two threads). Writes of the process go one at a time (:attr:`DuckDBFile.serialise_writes`): two
threads' writes to one scenario would otherwise collide and one be refused. DuckDB allows one writing
process per file, so a second planner process on the same file gets a StoreError saying so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from planner.errors import StoreError
from planner.store.records import DATABASE_ENV
from planner.store.tables import TABLES, ColumnTypes, Staged, Table

__all__ = ["DuckDBFile"]

COLUMN_TYPES = ColumnTypes(
    kinds={
        "text": "VARCHAR",
        "number": "DOUBLE",
        # Nanoseconds, like the frames' datetime64[ns]: plain TIMESTAMP would drop sub-microseconds.
        "date": "TIMESTAMP_NS",
        "bool": "BOOLEAN NOT NULL",
        "int": "BIGINT NOT NULL",
    },
    efforts="MAP(VARCHAR, DOUBLE)",
)

# Names the staged frames are registered under, per cursor.
_STAGED_ROWS = "staged_rows"
_STAGED_EFFORTS = "staged_efforts"

# Efforts arrive as a long frame (position, ordinal, skill, amount) so the SQL never has to name
# a skill column: skills come from user files.
_INSERT_BACKLOG = f"""
INSERT INTO {TABLES["backlog"].name} BY NAME
SELECT ? AS scenario_id, staged.*, COALESCE(efforts.effort_by_skill, MAP()) AS effort_by_skill
FROM {_STAGED_ROWS} AS staged
LEFT JOIN (
    SELECT position, map(list(skill ORDER BY ordinal), list(amount ORDER BY ordinal)) AS effort_by_skill
    FROM {_STAGED_EFFORTS}
    GROUP BY position
) AS efforts USING (position)"""

# Steps that bring a file from schema version N to N + 1; later schema versions add theirs here.
MIGRATIONS: dict[int, tuple[str, ...]] = {
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
            for table in TABLES.values()
        ),
    ),
    # 4: links (the table is created with the others); a scenario gets its tokens on first use.
    3: (),
    # 5: claims on plans being made (the table is created with the others).
    4: (),
    # 6: a version's own plan is kept for as long as the scenario (trimming passes it by).
    5: ("ALTER TABLE scenario_plans ADD COLUMN IF NOT EXISTS lasting BOOLEAN DEFAULT FALSE",),
}


def owner_only(path: Path) -> None:
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


def _quietly(call: Any, *args: object) -> None:
    try:
        call(*args)
    except duckdb.Error:
        pass


class _DuckDBSession:
    """One transaction on its own cursor."""

    lock = ""  # the process writes one transaction at a time: nothing to queue for

    def __init__(self, cursor: duckdb.DuckDBPyConnection, *, write: bool) -> None:
        self._cursor = cursor
        self.write = write
        self.committed = False

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._cursor.execute(sql, list(parameters)).fetchall()

    def run(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self._cursor.execute(sql, list(parameters))

    def changed(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        # fetchall, not fetchone: DuckDB 2 refuses further work on a cursor with a half-read result.
        # No "RETURNING": measured on DuckDB 2.0, an UPDATE ... RETURNING skipped the conflict check
        # and a concurrent committed update was lost.
        return int(self._cursor.execute(sql, list(parameters)).fetchall()[0][0])

    def frame(self, sql: str, parameters: Sequence[Any] = ()) -> pd.DataFrame:
        return self._cursor.execute(sql, list(parameters)).df()

    def insert_staged(self, table: Table, scenario_id: str, staged: Staged) -> None:
        """Insert one staged table; the frames are registered explicitly and always unregistered."""
        registered = [(_STAGED_ROWS, staged.rows)]
        if staged.efforts is not None:
            registered.append((_STAGED_EFFORTS, staged.efforts))
        for view, frame in registered:
            self._cursor.register(view, frame)
        try:
            if table.efforts:
                self._cursor.execute(_INSERT_BACKLOG, [scenario_id])
            else:
                self._cursor.execute(
                    f"INSERT INTO {table.name} BY NAME SELECT ? AS scenario_id, * FROM {_STAGED_ROWS}", [scenario_id]
                )
        finally:
            for view, _ in registered:
                _quietly(self._cursor.unregister, view)

    def serialise(self, key: str) -> None:
        """Nothing to wait for: one process writes the file, one transaction at a time."""

    def commit(self) -> None:
        self._cursor.execute("COMMIT")
        self.committed = True


class DuckDBFile:
    """A DuckDB file, created with its folder when missing, readable by its owner only."""

    attempts = 3  # conflicts are rare here (writes of one process go one at a time) and clear up on a retry
    serialise_writes = True
    column_types = COLUMN_TYPES
    migrations: Mapping[int, tuple[str, ...]] = MIGRATIONS

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = str(path)
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Cannot create the folder for the scenario database {self.path}: {error}. "
                f"Choose a writable location with {DATABASE_ENV}."
            ) from error
        try:
            connection = duckdb.connect(str(self.path))
            owner_only(self.path)  # before any scenario is written into it
            return connection
        except duckdb.IOException as error:
            raise self._open_error(error) from error
        except duckdb.Error as error:
            raise StoreError(f"Cannot open the scenario database {self.path}: {error}") from error

    def _open_error(self, error: duckdb.IOException) -> StoreError:
        if "lock" in str(error).lower():
            return StoreError(
                f"The scenario database {self.path} is in use: another planner process (or another "
                f"DuckDB program) holds it open. Close that process, or set {DATABASE_ENV} to a "
                f"different file, and try again. (DuckDB: {error})"
            )
        return StoreError(
            f"Cannot open the scenario database {self.path}: {error}. If this file is not a planner "
            f"database, move it away or set {DATABASE_ENV} to a different file."
        )

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        # The connection itself is never queried: DuckDB refuses one connection used by two threads.
        with self._lock:
            if self._connection is None:
                raise StoreError(f"The scenario store for {self.path} is closed; open a new Store.")
            return self._connection.cursor()

    @contextmanager
    def session(self, *, write: bool) -> Iterator[_DuckDBSession]:
        """A transaction on a fresh cursor; any way out but a commit rolls back explicitly.

        After a "Conflict on update!" DuckDB may accept a COMMIT and silently drop the writes, so the
        store only commits after the whole transaction succeeded.
        """
        cursor = self._cursor()
        session = _DuckDBSession(cursor, write=write)
        try:
            cursor.execute("BEGIN TRANSACTION")
            yield session
        finally:
            if not session.committed:
                # The transaction may already be gone (failed COMMIT); closing the cursor ends it anyway.
                _quietly(cursor.execute, "ROLLBACK")
            cursor.close()
            if session.committed and write:
                # DuckDB creates the write-ahead log with the process umask, whatever the file's mode.
                owner_only(self.path.with_name(self.path.name + ".wal"))

    def errors(self) -> tuple[type[BaseException], ...]:
        return (duckdb.Error,)

    def is_conflict(self, error: BaseException) -> bool:
        return isinstance(error, duckdb.TransactionException)

    def failure(self, what: str, error: BaseException) -> StoreError:
        return StoreError(f"Could not {what} in the scenario database {self.path}: {error}. Nothing was changed.")

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
