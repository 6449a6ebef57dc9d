"""Saved scenarios: each scenario's backlog, capacity and settings, with versions, links and a bin.

The public face of the store. ``Store()`` opens ``$PLANNER_DB``: a DuckDB file (the default,
``data/planner.duckdb``, no server) or a PostgreSQL database (``postgresql://user@host/db``, needs
``pip install -e '.[postgres]'``), where several app processes can share the scenarios.
"""

from planner.store.records import (
    BIN_DAYS,
    DATABASE_ENV,
    LINK_KINDS,
    PLANS_KEPT,
    SCHEMA_VERSION,
    Scenario,
    ScenarioLinks,
    ScenarioState,
    ScenarioSummary,
    VersionInfo,
    database_target,
    default_database_path,
    is_link_token,
    is_server_url,
)
from planner.store.scenario_store import Store

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
    "database_target",
    "default_database_path",
    "is_link_token",
    "is_server_url",
]
