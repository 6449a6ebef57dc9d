"""Two app replicas on one PostgreSQL database, in real Chromium.

Two ``streamlit run app.py`` processes on different ports share a fresh PostgreSQL schema: a pin
saved through one shows in a session of the other without a reload, and a replica killed with
SIGKILL right after a save leaves only whole versions, with the other replica serving on.
"""

from __future__ import annotations

import signal
import time

import pytest
from test_browser import _streamlit, browser, sync_playwright  # noqa: F401  (pytest fixtures, used by name)
from test_browser_meeting import (
    ARTIFACTS,
    LIVE_SECONDS,
    PINS_COLUMNS,
    _a_planned_item,
    _cell,
    _new_page,
    _open_plan,
    _pin,
    _pin_and_wait_for_the_save,
    _pins_grid,
    _plan_numbers,
    _query,
    _wait_for_numbers_to_change,
)

from planner.sample import SAMPLE_NAME
from planner.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_pin_on_one_replica_shows_on_the_other_and_a_killed_replica_leaves_whole_versions(
    tmp_path,
    postgres_url,
    sync_playwright,  # noqa: F811
    browser,  # noqa: F811
):
    ARTIFACTS.mkdir(exist_ok=True)
    with _streamlit(tmp_path, postgres_url) as (first_url, first):
        context_a, a = _new_page(browser)
        try:
            _open_plan(a, f"{first_url}/plan")  # the first session saves the sample
            token = _query(a)["scenario"]
            with _streamlit(tmp_path, postgres_url) as (second_url, _):
                context_b, b = _new_page(browser)
                try:
                    _open_plan(b, f"{second_url}/plan?scenario={token}")
                    assert _query(b)["scenario"] == token
                    b_before = _plan_numbers(b)

                    grid = _pins_grid(a)
                    row, item = _a_planned_item(grid)
                    _pin_and_wait_for_the_save(a, grid, row, item)
                    started = time.monotonic()
                    _wait_for_numbers_to_change(b, b_before, LIVE_SECONDS)
                    seen_in = time.monotonic() - started
                    b.get_by_text(f"pins: {item} pinned out").first.wait_for(timeout=5_000)
                    b_grid = _pins_grid(b)
                    assert _cell(b_grid, PINS_COLUMNS.index("id"), row) == item
                    assert _cell(b_grid, PINS_COLUMNS.index("pin"), row) == "out"
                    b.screenshot(path=str(ARTIFACTS / "replicas-b-sees-a.png"), full_page=True)
                    assert seen_in <= LIVE_SECONDS

                    # Replica 1 killed as its next save goes out: the database keeps whole versions only.
                    grid = _pins_grid(a)
                    other_row, _ = _a_planned_item(grid)
                    _pin(a, grid, other_row, "out")
                    time.sleep(0.15)
                    first.send_signal(signal.SIGKILL)
                    first.wait(timeout=10)
                    with Store(postgres_url) as store:
                        (summary,) = store.list()
                        assert summary.name == SAMPLE_NAME
                        history = store.history(summary.id)
                        versions = [info.version for info in history]
                        assert versions == list(range(1, len(versions) + 1))
                        assert store.state(summary.id).version == versions[-1] >= 2
                        newest = store.load_version(summary.id, versions[-1])
                        assert not newest.backlog.empty and newest.settings == store.state(summary.id).settings

                    # Replica 2 serves on: a new session opens the same link there.
                    context_c, c = _new_page(browser)
                    try:
                        _open_plan(c, f"{second_url}/plan?scenario={token}")
                        assert _plan_numbers(c)[0]
                    finally:
                        context_c.close()
                finally:
                    context_b.close()
        finally:
            context_a.close()
