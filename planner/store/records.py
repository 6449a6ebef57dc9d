"""What the store hands out: scenarios, their summaries, versions, state and links; where the database is."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from planner.schema import CapacityTables

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
    "VersionInfo",
    "database_target",
    "default_database_path",
    "is_link_token",
    "is_server_url",
]

DATABASE_ENV = "PLANNER_DB"
SCHEMA_VERSION = 6
BIN_DAYS = 30  # a scenario stays this long in the bin before purge_expired removes it
LINK_KINDS = ("edit", "view")
PLANS_KEPT = 400  # per scenario: the oldest beyond this are dropped (made again when asked for), lasting ones never
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)
_SERVER_SCHEMES = ("postgresql://", "postgres://")


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


def is_server_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL server (``postgresql://...``) rather than a DuckDB file."""
    return isinstance(target, str) and target.strip().lower().startswith(_SERVER_SCHEMES)


def default_database_path() -> Path:
    """The DuckDB file used when ``$PLANNER_DB`` names no server: ``$PLANNER_DB``, else ``data/planner.duckdb``."""
    configured = os.environ.get(DATABASE_ENV, "").strip()
    if configured and not is_server_url(configured):
        return Path(configured).expanduser()
    return Path(__file__).resolve().parents[2] / "data" / "planner.duckdb"


def database_target() -> str | Path:
    """Where the scenarios live: ``$PLANNER_DB`` (a DuckDB file or a ``postgresql://`` URL), else the default file."""
    configured = os.environ.get(DATABASE_ENV, "").strip()
    return configured if is_server_url(configured) else default_database_path()
