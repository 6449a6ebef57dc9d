"""The bundled sample: a product org's backlog and capacity workbooks in ``data/``."""

from __future__ import annotations

from pathlib import Path

from planner.errors import PlannerError
from planner.ingest import import_settings, read_backlog, read_capacity
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
    backlog = read_backlog(SAMPLE_BACKLOG)
    capacity = read_capacity(SAMPLE_CAPACITY)
    if backlog.has_errors or capacity.has_errors:
        raise PlannerError("the bundled sample has errors: regenerate it with data/generate_sample.py")
    settings = {**import_settings(backlog, capacity), "sample": True}
    return store.create(SAMPLE_NAME, backlog.table, capacity.tables, settings, author=author)


def ensure_sample(store: Store) -> str | None:
    """Save the sample as a scenario when the store has none; return its id (None if not created)."""
    return None if store.list() else create_sample(store)
