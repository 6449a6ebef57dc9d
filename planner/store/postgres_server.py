"""The server backend: one PostgreSQL database shared by any number of app processes.

Needs the optional extra (``pip install -e '.[postgres]'``: psycopg 3 and its pool). Statements
always bind their parameters; table and column names come from :mod:`planner.store.tables`, never
from user data. How writers of one process and of several processes stay out of each other's way:

- A write runs at READ COMMITTED and starts by locking its scenario's row (``SELECT ... FOR UPDATE``
  in the store's version check), so two writers of one scenario queue instead of failing, and the
  second reads the version the first committed: compare-and-set without refusals.
- A read runs at REPEATABLE READ, READ ONLY: its several statements see one committed state.
- A serialization failure or deadlock is retried as a whole transaction.
- Creating or migrating the schema takes a transaction-scoped advisory lock, so replicas starting
  together do not race.

Dates are PostgreSQL ``timestamp``s, exact to the microsecond (DuckDB keeps nanoseconds); the rest
of a scenario comes back exactly as saved. PostgreSQL text cannot hold the NUL character: a table
holding one is refused naming its row and column.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql as pg_sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool, PoolTimeout

from planner.errors import StoreError
from planner.store.records import DATABASE_ENV
from planner.store.tables import ColumnTypes, Staged, Table, json_value

__all__ = ["PostgresServer"]

COLUMN_TYPES = ColumnTypes(
    kinds={
        "text": "TEXT",
        "number": "DOUBLE PRECISION",
        "date": "TIMESTAMP",
        "bool": "BOOLEAN NOT NULL",
        "int": "BIGINT NOT NULL",
    },
    # JSON text, not JSONB: skill names are kept as written (JSONB refuses "\u0000").
    efforts="JSON",
)

# The schema starts at the current version on a server; later versions add their steps here.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 5: claims on plans being made (the table is created with the others).
    4: (),
    # 6: a version's own plan is kept for as long as the scenario (trimming passes it by).
    5: ("ALTER TABLE scenario_plans ADD COLUMN IF NOT EXISTS lasting BOOLEAN DEFAULT FALSE",),
}

_CONNECT_SECONDS = 10.0
_POOL_SIZE = 8  # connections per process; a transaction holds one for milliseconds
_BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"
_BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


@functools.lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """The statement with psycopg's ``%s`` placeholders for the store's ``?``."""
    if "%" in sql:
        raise AssertionError(f"a store statement holds '%', which psycopg would read as a placeholder: {sql}")
    return sql.replace("?", "%s")


def _nul_cell(table: Table, rows: pd.DataFrame) -> str | None:
    """Where a text cell of ``rows`` holds NUL, as "row R, column C", or None."""
    for column, kind in table.columns.items():
        if kind != "text":
            continue
        holds = rows[column].str.contains("\x00", regex=False, na=False)
        if holds.any():
            return f"row {int(holds.to_numpy().argmax()) + 1}, column {column!r}"
    return None


def _records(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """A frame's rows as plain Python values, missing cells (NaN, NA, NaT) as None."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            series = series.dt.floor("us")  # a timestamp holds microseconds: say so, instead of a warning
        columns.append(series.astype(object).where(series.notna(), None).tolist())
    return zip(*columns)


def _effort_texts(staged: Staged) -> list[str]:
    """Each row's efforts by skill as JSON text (infinity kept as "inf"); "{}" for a row without."""
    texts = ["{}"] * len(staged.rows)
    if staged.efforts is None or staged.efforts.empty:
        return texts
    by_position: dict[int, dict[str, Any]] = {}
    for position, skill, amount in staged.efforts[["position", "skill", "amount"]].itertuples(index=False):
        by_position.setdefault(int(position), {})[str(skill)] = json_value(float(amount))
    for position, efforts in by_position.items():
        texts[position] = json.dumps(efforts, ensure_ascii=True)
    return texts


class _PostgresSession:
    """One transaction on one pooled connection."""

    def __init__(self, connection: psycopg.Connection, *, write: bool) -> None:
        self._connection = connection
        self.write = write
        self.committed = False

    @property
    def lock(self) -> str:
        return " FOR UPDATE" if self.write else ""

    def _execute(self, sql: str, parameters: Sequence[Any]) -> psycopg.Cursor:
        return self._connection.execute(_placeholders(sql), list(parameters))

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._execute(sql, parameters).fetchall()

    def run(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self._execute(sql, parameters)

    def changed(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        return self._execute(sql, parameters).rowcount

    def frame(self, sql: str, parameters: Sequence[Any] = ()) -> pd.DataFrame:
        cursor = self._execute(sql, parameters)
        names = [column.name for column in cursor.description or ()]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=names)

    def insert_staged(self, table: Table, scenario_id: str, staged: Staged) -> None:
        """COPY one staged table in: one round trip, whatever its size."""
        where = _nul_cell(table, staged.rows)
        if where is not None:
            raise StoreError(
                f"Cannot save the {table.name} table: PostgreSQL cannot store the NUL character, found at "
                f"{where}. Remove it from the file and upload it again."
            )
        rows = staged.rows
        if table.efforts:
            rows = rows.assign(effort_by_skill=_effort_texts(staged))[
                ["position", *table.columns, "effort_by_skill", "extra"]
            ]
        columns = ", ".join(["scenario_id", *table.stored_columns])
        with self._connection.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for record in _records(rows):
                copy.write_row((scenario_id, *record))

    def serialise(self, key: str) -> None:
        """A transaction-scoped advisory lock on ``key``: replicas doing the same check-then-insert queue."""
        self._execute("SELECT pg_advisory_xact_lock(hashtext(?))", [key])

    def commit(self) -> None:
        self._connection.execute("COMMIT")
        self.committed = True


def _configure(connection: psycopg.Connection) -> None:
    """JSON columns come back as their text, as DuckDB gives them (the store parses what it needs)."""
    connection.adapters.register_loader("json", TextLoader)


def search_path_schemas(search_path: str) -> list[str]:
    """The schema names of a ``search_path`` setting, in order (quoted names as written, others lower-cased)."""
    names = []
    for part in search_path.split(","):
        name = part.strip()
        if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
            names.append(name[1:-1].replace('""', '"'))
        elif name:
            names.append(name.lower())
    return names


def describe(url: str) -> str:
    """The server and database of ``url`` without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the PostgreSQL server named by " + DATABASE_ENV
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', 'localhost')}{port}/{parts.get('dbname', '')}"


class PostgresServer:
    """A PostgreSQL database reached through a pool of connections."""

    attempts = 8  # serialization failures clear up on a retry; writers of one scenario queue on its row
    serialise_writes = False  # row locks order the writers, across threads and processes alike
    column_types = COLUMN_TYPES
    migrations: Mapping[int, tuple[str, ...]] = MIGRATIONS

    def __init__(self, url: str) -> None:
        self.description = describe(url)
        try:
            conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            raise StoreError(f"{DATABASE_ENV} does not hold a usable PostgreSQL URL: {error}") from error
        try:  # one plain connection first: a refused or unknown server answers at once, with its reason
            with psycopg.connect(url, connect_timeout=int(_CONNECT_SECONDS), autocommit=True) as connection:
                self._create_named_schema(connection)
        except StoreError:
            raise
        except psycopg.Error as error:
            raise StoreError(
                f"Cannot open the scenario database at {self.description}: {error}. Is the server running, "
                f"and does it accept this user and database? Check {DATABASE_ENV}, or unset it to use the "
                "embedded DuckDB file."
            ) from error
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=_POOL_SIZE,
            kwargs={"autocommit": True},  # transactions are begun and ended explicitly
            configure=_configure,
            check=ConnectionPool.check_connection,
            open=False,
            name="planner-store",
        )
        try:
            self._pool.open(wait=True, timeout=_CONNECT_SECONDS)
        except PoolTimeout as error:
            self._pool.close()
            raise StoreError(
                f"Cannot reach the scenario database at {self.description} within {_CONNECT_SECONDS:.0f} s: "
                f"is the server running and does it accept this user? Check {DATABASE_ENV}, or unset it to "
                "use the embedded DuckDB file."
            ) from error

    def _create_named_schema(self, connection: psycopg.Connection) -> None:
        """Create the schema the URL's ``search_path`` names first when it does not exist yet.

        A schema per installation (``?options=-csearch_path%3Dplanner``) is then made on first use, like
        the tables in it; without it PostgreSQL would say only "no schema has been selected".
        """
        row = connection.execute("SELECT current_schema()").fetchone()
        if row is not None and row[0] is not None:
            return
        path = connection.execute("SELECT current_setting('search_path')").fetchone()
        named = [name for name in search_path_schemas(path[0] if path else "") if name != "$user"]
        if not named:
            raise StoreError(
                f"The scenario database at {self.description} has no schema to keep the scenarios in: name one "
                f"in {DATABASE_ENV}, for example ...?options=-csearch_path%3Dplanner (it is created on first use)."
            )
        try:
            connection.execute(pg_sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pg_sql.Identifier(named[0])))
        except (pg_errors.UniqueViolation, pg_errors.DuplicateSchema):
            pass  # another replica starting at the same moment made it
        except pg_errors.InsufficientPrivilege as error:
            raise StoreError(
                f"The schema {named[0]!r} named in {DATABASE_ENV} does not exist in {self.description}, and this "
                f"user may not create it ({error}). Ask the database's owner for CREATE SCHEMA {named[0]}, or "
                "name a schema that exists."
            ) from error

    @contextmanager
    def session(self, *, write: bool) -> Iterator[_PostgresSession]:
        """A transaction on a pooled connection; any way out but a commit rolls back."""
        try:
            connection = self._pool.getconn(timeout=30.0)
        except PoolTimeout as error:
            raise StoreError(
                f"The scenario database at {self.description} is busy or unreachable: no connection within 30 s. "
                "Try again."
            ) from error
        session = _PostgresSession(connection, write=write)
        try:
            connection.execute(_BEGIN_WRITE if write else _BEGIN_READ)
            yield session
        finally:
            if not session.committed:
                try:
                    connection.execute("ROLLBACK")
                except psycopg.Error:
                    pass  # the connection is broken: the pool checks it before lending it again
            self._pool.putconn(connection)

    def errors(self) -> tuple[type[BaseException], ...]:
        return (psycopg.Error,)

    def is_conflict(self, error: BaseException) -> bool:
        return isinstance(error, pg_errors.SerializationFailure | pg_errors.DeadlockDetected)

    def failure(self, what: str, error: BaseException) -> StoreError:
        return StoreError(
            f"Could not {what} in the scenario database at {self.description}: {error}. Nothing was changed."
        )

    def close(self) -> None:
        self._pool.close()
