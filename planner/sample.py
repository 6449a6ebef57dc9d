"""The bundled sample: a product org's backlog and capacity workbooks in ``data/``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.errors import PlannerError
from planner.ingest import import_settings, read_backlog, read_capacity
from planner.schema import CapacityTables
from planner.store import Store

__all__ = [
    "SAMPLE_BACKLOG",
    "SAMPLE_CAPACITY",
    "SAMPLE_JIRA_CSV",
    "SAMPLE_NAME",
    "create_sample",
    "ensure_sample",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SAMPLE_BACKLOG = DATA_DIR / "sample_backlog.xlsx"
SAMPLE_CAPACITY = DATA_DIR / "sample_capacity.xlsx"
SAMPLE_JIRA_CSV = DATA_DIR / "sample_backlog_jira.csv"
SAMPLE_NAME = "Sample: care pods, sprints 27-29"


def create_sample(store: Store, *, author: str = "") -> str:
    """Read the bundled sample files and save them as a new scenario (by ``author``); return its id."""
    backlog, capacity, settings = _sample_tables()
    return store.create(SAMPLE_NAME, backlog, capacity, settings, author=author)


def _sample_tables() -> tuple[pd.DataFrame, CapacityTables, dict]:
    """The bundled sample's backlog, capacity and settings, read from its files."""
    backlog = read_backlog(SAMPLE_BACKLOG)
    capacity = read_capacity(SAMPLE_CAPACITY)
    if backlog.has_errors or capacity.has_errors:
        raise PlannerError("the bundled sample has errors: regenerate it with data/generate_sample.py")
    return backlog.table, capacity.tables, {**import_settings(backlog, capacity), "sample": True}


def ensure_sample(store: Store) -> str | None:
    """Save the sample as a scenario when the store has none; return its id (None if not created).

    App processes starting together on one server database save it once (:meth:`Store.create_first`).
    """
    if store.list():
        return None  # the usual case: no need to read the sample files
    backlog, capacity, settings = _sample_tables()
    return store.create_first(SAMPLE_NAME, backlog, capacity, settings)
