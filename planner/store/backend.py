"""What the store needs from a database: transactions, statements, bulk inserts, and what a conflict is.

Two backends implement it: :mod:`planner.store.duckdb_file` (the embedded default) and
:mod:`planner.store.postgres_server` (several app processes on one server). Statements are written
once with ``?`` placeholders and named columns; a backend runs them as its driver wants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import pandas as pd

from planner.errors import StoreError
from planner.store.tables import ColumnTypes, Staged, Table

__all__ = ["Backend", "Session"]


class Session(Protocol):
    """One open transaction: statements run in it until the store commits it or it closes unfinished."""

    write: bool  # a write transaction: rows it reads with ``lock`` stay its own until it ends

    @property
    def lock(self) -> str:
        """The clause a write's first read of the scenario row ends with so that writers of one scenario
        queue for it (``FOR UPDATE`` on a server; empty where one process writes at a time)."""
        ...

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run ``sql`` and return every row it gives."""
        ...

    def run(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        """Run ``sql`` for its effect."""
        ...

    def changed(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run an INSERT, UPDATE or DELETE and return how many rows it changed."""
        ...

    def frame(self, sql: str, parameters: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a SELECT and return its rows as a frame with the selected column names."""
        ...

    def insert_staged(self, table: Table, scenario_id: str, staged: Staged) -> None:
        """Insert one prepared table's rows for ``scenario_id``."""
        ...

    def serialise(self, key: str) -> None:
        """Wait until no other transaction holding ``key`` is open, and hold it until this one ends
        (for a check-then-insert no row lock covers: the schema, the first scenario)."""
        ...

    def commit(self) -> None:
        """Commit; a session closed without it rolls back."""
        ...


class Backend(Protocol):
    """A scenario database: where it is, how to open a transaction, what its errors mean."""

    description: str  # for messages: the file, or the server without its password
    attempts: int  # how often a transaction that met a conflict is run again
    serialise_writes: bool  # whether this process must write one transaction at a time
    column_types: ColumnTypes
    migrations: Mapping[int, tuple[str, ...]]  # statements bringing schema version N to N + 1

    def session(self, *, write: bool) -> AbstractContextManager[Session]:
        """A new transaction, rolled back and released when the block ends without a commit."""
        ...

    def errors(self) -> tuple[type[BaseException], ...]:
        """The driver's errors: a transaction failing with one is rolled back and reported."""
        ...

    def is_conflict(self, error: BaseException) -> bool:
        """Whether ``error`` means another transaction got there first (run the whole one again)."""
        ...

    def failure(self, what: str, error: BaseException) -> StoreError:
        """The message for a failed ``what`` that was no conflict."""
        ...

    def close(self) -> None: ...
