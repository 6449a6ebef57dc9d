"""Shared test helpers: write small real xlsx and CSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def open_page(page: str, timeout: float = 120):
    """The app run through its router (app.py), switched to ``page`` (e.g. "pages/plan.py"); no exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def write_xlsx(
    path: Path, sheets: dict[str, Sequence[Sequence[object]]], merges: dict[str, list[str]] | None = None
) -> Path:
    """Write ``{sheet: rows}`` to a real xlsx file; strings are stored as text, never formulas."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row_index, row in enumerate(rows, start=1):
            for col_index, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(row=row_index, column=col_index, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
        for cell_range in (merges or {}).get(name, []):
            sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    """Rows as CSV bytes in the given encoding (``utf-8-sig`` adds a BOM)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.fixture(autouse=True)
def apptest_reruns_go_through_the_router(monkeypatch):
    """Every AppTest run executes app.py (router, picker, sidebar, live check) before the page, as the server does.

    AppTest resets ``PagesManager.uses_pages_directory`` before each run; with ``pages/`` beside app.py
    Streamlit then takes the app for an old-style multipage app and reruns the open page's file alone,
    so after the first run a test would never see the router or the sidebar. The server sets the flag
    to False once ``st.navigation`` has run, and keeps it: so does this fixture.
    """
    from streamlit.runtime.pages_manager import PagesManager

    created = PagesManager.__init__

    def create(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        created(self, *args, **kwargs)

    monkeypatch.setattr(PagesManager, "__init__", create)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def database(tmp_path, monkeypatch) -> Path:
    """A fresh scenario database for the app (PLANNER_DB), with Streamlit's caches empty around the test.

    The app keeps one Store per process (st.cache_resource): each test gets its own database.
    """
    import streamlit as st

    path = tmp_path / "planner.duckdb"
    monkeypatch.setenv("PLANNER_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


def keyed(elements, base: str):
    """The one widget of ``elements`` (``at.selectbox``...) keyed ``base`` or ``base`` plus a label digest.

    The scenario pickers' keys change with the scenarios' names (``pages._state.labelled_key``).
    """
    [found] = [element for element in elements if element.key == base or element.key.startswith(base + "_")]
    return found


QUICK_PLAN_NOTE = "the figures change when the full search is done"


def waiting_for_full_plan(at) -> bool:
    """The Plan page shows a quick plan and says its full search is running (``pages._state.await_full_plan``)."""
    return any(QUICK_PLAN_NOTE in caption.value for caption in at.caption)


def settle(at, timeout: float = 60.0):
    """Rerun ``at`` until the Plan page shows the full plan, not the quick one shown while it is made.

    A slider move shows the plan of a quick search at once and the full plan when the background
    search is done (in the browser a fragment redraws the page; AppTest does not run fragments on a
    timer, so this reruns). Fails after ``timeout`` seconds still waiting.
    """
    import time

    deadline = time.monotonic() + timeout
    while waiting_for_full_plan(at):
        assert time.monotonic() < deadline, f"the full plan did not arrive within {timeout:.0f} s"
        time.sleep(0.2)
        at.run()
    assert not at.exception
    return at


PLAN_TABS = ("Plan", "Pins and MoSCoW", "Left out", "Charts")


def open_tab(at, name: str):
    """Open the Plan page's tab ``name`` and rerun, as a click on it does (only the open tab is drawn)."""
    from pages import _state

    assert name in PLAN_TABS, name
    at.session_state[_state.PLAN_TABS_KEY] = name
    at.run()
    assert not at.exception
    return at


# --- scenario store backends --------------------------------------------------------------------------
#
# Store tests run on both backends: a DuckDB file in the test's temp folder, and a fresh schema on the
# local PostgreSQL server (PLANNER_TEST_POSTGRES, default postgresql://postgres@127.0.0.1:5432/test),
# dropped after the test. Without a server the PostgreSQL runs are skipped with the reason, unless
# PLANNER_REQUIRE_POSTGRES=1 (.ci/run sets it), where they fail.

POSTGRES_ENV = "PLANNER_TEST_POSTGRES"
REQUIRE_POSTGRES_ENV = "PLANNER_REQUIRE_POSTGRES"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a PostgreSQL server that answers, or a skip (a failure where it is required)."""
    import os

    url = os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES)
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # no driver, no server, no access: all mean "cannot test here"
        reason = f"no PostgreSQL server for the store tests at {url} ({type(error).__name__}: {error})"
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(reason + f"; {REQUIRE_POSTGRES_ENV}=1 requires one")
        pytest.skip(reason)
    return url


def with_search_path(url: str, schema: str) -> str:
    """``url`` with every connection's search_path set to ``schema`` (libpq ``options``)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_url(postgres_server: str):
    """A PostgreSQL URL whose tables live in a schema of their own, made for this test and dropped after."""
    import secrets

    import psycopg

    schema = f"planner_test_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    yield with_search_path(postgres_server, schema)
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute("SET lock_timeout = '10s'")
        connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["duckdb", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's Store keeps its scenarios: a DuckDB file, then a PostgreSQL schema."""
    if request.param == "duckdb":
        return tmp_path / "planner.duckdb"
    return request.getfixturevalue("postgres_url")


def sql_rows(target: str | Path, query: str, parameters: Sequence[object] = ()) -> list[tuple]:
    """Run ``query`` (``?`` placeholders) straight on a store's database, beside the store: its rows."""
    if isinstance(target, Path):
        import duckdb

        with duckdb.connect(str(target)) as connection:
            cursor = connection.execute(query, list(parameters))
            return cursor.fetchall() if cursor.description else []
    import psycopg

    with psycopg.connect(target, autocommit=True) as connection:
        cursor = connection.execute(query.replace("?", "%s"), list(parameters))
        return cursor.fetchall() if cursor.description else []


_TIMED_FILES = ("test_browser", "test_solve_workers", "test_page_meeting")  # wait on wall-clock deadlines


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests that wait on the wall clock in a browser or a worker get the cores first.

    The suite runs on two workers (pyproject's addopts): while one drives Chromium against a live
    server with deadlines of a few seconds, the other's solver runs are niced, as a shared server's
    background work would be. Where the niceness cannot be lowered again (not root), it is left as is.
    """
    import os

    timed = item.path.name.startswith(_TIMED_FILES)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 0 if timed else 10)
    except OSError:
        pass
