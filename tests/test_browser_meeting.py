"""The meeting in real Chromium: edit and view links, live refresh between sessions, undo, rename.

Each session of the meeting is its own browser context (its own cookies, so its own Streamlit
session), on one server with a fresh database holding the sample scenario. Uses the server and
browser fixtures of ``tests/test_browser.py``; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (pytest fixtures, used by name)
    ARTIFACTS,
    _metric,
    _streamlit,
    _wait_until_settled,
    browser,
    server,
    sync_playwright,
)

from planner.sample import SAMPLE_NAME

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1400, "height": 900}
LIVE_SECONDS = 10  # another session's saved change shows within this, without a reload
VIEW_NOTE = "View only: the what-ifs and pins you change here stay in this browser."
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


# --- helpers ----------------------------------------------------------------------------------------


def _new_page(browser):  # noqa: F811
    """A page in a context of its own: a separate meeting member (own cookies, own session)."""
    context = browser.new_context(viewport=VIEWPORT)
    return context, context.new_page()


def _open_plan(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Planned value").first.wait_for(timeout=60_000)
    _wait_until_settled(page)


def _query(page) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlparse(page.url).query).items()}


def _share_links(page) -> list[str]:
    """The links the Plan page's Share popover shows (edit link first, in an edit session)."""
    body = page.get_by_test_id("stPopoverBody")
    if not body.is_visible():  # (it stays open through a rerun its own button started)
        page.get_by_role("button", name="Share").click()
    codes = body.get_by_test_id("stCode")
    codes.first.wait_for(timeout=10_000)
    links = [text.strip() for text in codes.all_inner_texts()]
    page.keyboard.press("Escape")
    return links


def _plan_numbers(page) -> tuple[str, str]:
    return _metric(page, "Planned value"), _metric(page, "Items planned")


def _wait_for_numbers_to_change(page, before: tuple[str, str], timeout: float) -> tuple[str, str]:
    """Poll (no reload) until the plan's metrics differ from ``before``; the new ones, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            now = _plan_numbers(page)
        except Exception:  # (a rerun can redraw the metric while it is read)
            now = before
        if now != before:
            return now
        page.wait_for_timeout(250)
    pytest.fail(f"the plan's metrics did not change within {timeout:.0f} s: still {before}")


APP_IDLE = """() => document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state') === 'notRunning'"""


def _pins_grid(page):
    """Open the Pins tab (a rerun draws it: only the open tab is drawn) and wait for its grid and the rerun's end."""
    page.get_by_role("tab", name="Pins and MoSCoW").click()
    grid = page.get_by_role("tabpanel", name="Pins and MoSCoW").get_by_test_id("stDataFrame")
    grid.wait_for(timeout=10_000)
    grid.locator("#glide-cell-0-0").wait_for(state="attached", timeout=10_000)
    page.wait_for_function(APP_IDLE, timeout=30_000)
    return grid


# The pins grid's columns, in the order the Plan page draws them (its canvas header has no DOM text).
PINS_COLUMNS = ("id", "title", "team", "effort", "moscow", "value", "pin", "planned")


def _pins_columns(grid) -> dict[str, int]:
    """Column name -> index in the pins grid; checks the order against the first row's cells."""
    assert re.fullmatch(r"[A-Z]+-\d+", _cell(grid, 0, 0)), "the pins grid's first column is not the item id"
    assert _cell(grid, PINS_COLUMNS.index("moscow"), 0) in ("", "Must", "Should", "Could", "Won't")
    return {name: index for index, name in enumerate(PINS_COLUMNS)}


def _cell(grid, column: int, row: int) -> str:
    return grid.locator(f"#glide-cell-{column}-{row}").inner_text().strip()


def _a_planned_item(grid) -> tuple[int, str]:
    """The first rendered row of the pins grid planned in a sprint, not a Must and not pinned: (row, id)."""
    columns = _pins_columns(grid)
    for row in range(10):
        if grid.locator(f"#glide-cell-0-{row}").count() == 0:
            break
        planned, moscow, pin = (_cell(grid, columns[name], row) for name in ("planned", "moscow", "pin"))
        if planned and moscow != "Must" and not pin:
            return row, _cell(grid, columns["id"], row)
    pytest.fail("no planned, unpinned item that is not a Must in the first rows of the pins grid")


# Streamlit's data grids draw rows (and the header) 35 px high.
ROW_PX = 35


def _select_cell(page, grid, column: int, row: int) -> None:
    """Select the grid's cell (column, row): click the row's first cell, then walk right with the keyboard.

    The grid is a canvas: its cells have no boxes of their own, but its rows are ROW_PX high, so the
    row's first cell is clicked by position (a keyboard walk down from the top lost its way when a
    rerun redrew the grid between the keys). A redraw can still land between the click and the keys:
    then the whole gesture is made again, a few times, before the test gives up.
    """
    target = grid.locator(f"#glide-cell-{column}-{row}")
    for _ in range(4):
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box is not None, "the pins grid is not on screen"
        page.mouse.click(box["x"] + 20, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
        page.wait_for_timeout(150)
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        try:
            expect(target).to_have_attribute("aria-selected", "true", timeout=2_000)
            return
        except AssertionError:
            page.wait_for_timeout(300)
    expect(target).to_have_attribute("aria-selected", "true", timeout=2_000)


def _pin(page, grid, row: int, pin: str) -> None:
    """Set the pin of ``row``: select its pin cell with the keyboard, open its select, pick ``pin``."""
    _select_cell(page, grid, _pins_columns(grid)["pin"], row)
    page.keyboard.press("Enter")  # opens the cell's select
    page.get_by_role("combobox").last.wait_for(timeout=5_000)
    page.keyboard.type(pin)
    page.keyboard.press("Enter")


def _pin_and_wait_for_the_save(page, grid, row: int, item: str) -> None:
    """Pin ``item`` (in ``row`` of ``grid``) out and wait for the page to say it saved the pin.

    Walking the canvas grid with the keyboard is a gesture a redraw can swallow (the cell is not
    reached, or the typing lands on a grid being replaced): when it fails, or no save is said within
    10 s while the item is still unpinned, the gesture is made again, at most three times in all.
    """
    for attempt in range(3):
        try:
            _pin(page, grid, row, "out")
            page.get_by_text(f"Saved: pins: {item} pinned out").first.wait_for(timeout=10_000)
            return
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"meeting-pin-attempt-{attempt}.png"), full_page=True)
            if attempt == 2 or _cell(grid, PINS_COLUMNS.index("pin"), row) == "out":
                raise  # the last try, or the pin is in and no save was said: the app's fault
            _wait_until_settled(page)
            grid = _pins_grid(page)


def _sidebar_scenario_name(page) -> str:
    """The name the sidebar's scenario picker (its first select box) shows."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.locator("input").input_value()


# --- the tests ----------------------------------------------------------------------------------------


def test_an_edit_link_opens_the_newest_scenario_with_its_what_ifs_in_the_url(server, browser):  # noqa: F811
    context, page = _new_page(browser)
    try:
        _open_plan(page, f"{server}/plan")
        query = _query(page)
        assert TOKEN.match(query.get("scenario", "")), page.url
        assert "view" not in query
        for name in ("sprints", "unit", "capacity", "team_focus", "focus", "buffer", "oncall", "rule"):
            assert name in query, f"{name} missing from {page.url}"
        assert _sidebar_scenario_name(page) == SAMPLE_NAME
        edit, view = _share_links(page)
        assert edit == f"{server}/plan?scenario={query['scenario']}"
        assert view.startswith(f"{server}/plan?view=") and TOKEN.match(view.rsplit("=", 1)[1])
    finally:
        context.close()


def test_a_pin_shows_in_another_session_without_a_reload(server, browser):  # noqa: F811
    """A pins a planned item out; B, on the same edit link, sees the new plan within 10 s."""
    ARTIFACTS.mkdir(exist_ok=True)
    context_a, a = _new_page(browser)
    context_b, b = _new_page(browser)
    try:
        _open_plan(a, f"{server}/plan")
        edit_link = f"{server}/plan?scenario={_query(a)['scenario']}"
        _open_plan(b, edit_link)
        assert _query(b)["scenario"] == _query(a)["scenario"]
        b_before = _plan_numbers(b)
        b_grid = _pins_grid(b)  # B looks at the pins grid: the pin must show there

        grid = _pins_grid(a)
        row, item = _a_planned_item(grid)
        _pin_and_wait_for_the_save(a, grid, row, item)
        started = time.monotonic()

        b_after = _wait_for_numbers_to_change(b, b_before, LIVE_SECONDS)
        seen_in = time.monotonic() - started
        b.screenshot(path=str(ARTIFACTS / "meeting-live-refresh-b.png"), full_page=True)
        assert int(b_after[1].split()[0]) == int(b_before[1].split()[0]) - 1 or b_after[0] != b_before[0]
        b.get_by_text(re.compile(r"Updated to version \d+: pins: .*pinned out")).first.wait_for(timeout=5_000)
        b_grid = _pins_grid(b)
        columns = _pins_columns(b_grid)
        assert _cell(b_grid, columns["id"], row) == item
        assert _cell(b_grid, columns["pin"], row) == "out"
        assert _cell(b_grid, columns["planned"], row) == ""
        assert seen_in <= LIVE_SECONDS
    finally:
        context_a.close()
        context_b.close()


def test_a_pin_is_saved_and_undo_brings_the_plan_back(tmp_path, sync_playwright, browser):  # noqa: F811
    # A server of its own: the sample as saved, not as the other tests left it.
    ARTIFACTS.mkdir(exist_ok=True)
    with _streamlit(tmp_path) as (url, _):
        _pin_and_undo(url, browser)


def _pin_and_undo(url: str, browser) -> None:  # noqa: F811
    context, page = _new_page(browser)
    try:
        _open_plan(page, f"{url}/plan")
        before = _plan_numbers(page)
        grid = _pins_grid(page)
        row, item = _a_planned_item(grid)
        _pin_and_wait_for_the_save(page, grid, row, item)
        pinned = _wait_for_numbers_to_change(page, before, 15)
        _wait_until_settled(page)
        page.screenshot(path=str(ARTIFACTS / "meeting-pinned.png"), full_page=True)
        assert pinned != before  # another plan (pinning a planned item out may refill its place)

        page.get_by_test_id("stSidebar").get_by_role("button", name="Undo the last change").click()
        _wait_for_numbers_to_change(page, pinned, 15)
        _wait_until_settled(page)
        page.screenshot(path=str(ARTIFACTS / "meeting-undone.png"), full_page=True)
        assert _plan_numbers(page) == before
        page.get_by_text(re.compile(r"Undone: version \d+ is back")).first.wait_for(timeout=5_000)
        assert _cell(_pins_grid(page), _pins_columns(grid)["pin"], row) == ""
    finally:
        context.close()


def test_a_view_link_shows_the_plan_and_no_edit_control(server, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    context_a, a = _new_page(browser)
    context_c, c = _new_page(browser)
    try:
        _open_plan(a, f"{server}/plan")
        _, view_link = _share_links(a)
        _open_plan(c, view_link)
        sidebar = c.get_by_test_id("stSidebar")

        def no_edit_control_anywhere() -> None:
            assert "view" in _query(c) and "scenario" not in _query(c), c.url
            sidebar.get_by_text(VIEW_NOTE).wait_for(timeout=10_000)
            for name in ("Accept this plan as the baseline", "Undo the last change", "Replace both links"):
                assert c.get_by_role("button", name=name).count() == 0, name
            assert c.get_by_role("textbox", name="Your name").count() == 0
            boxes = sidebar.get_by_test_id("stSelectbox")
            shown = [boxes.nth(i).locator("input").input_value() for i in range(boxes.count())]
            assert SAMPLE_NAME not in shown, "the view session has a scenario picker"
            assert boxes.filter(has_text="Scenario").count() == 0, "the view session has a scenario picker"
            assert sidebar.get_by_text(SAMPLE_NAME).count() >= 1  # the scenario's name, as text

        # Plan
        assert c.get_by_role("heading", name="Plan").count() >= 1
        assert _metric(c, "Planned value")
        no_edit_control_anywhere()
        assert _share_links(c) == [view_link]  # the view link only
        c.screenshot(path=str(ARTIFACTS / "meeting-view-plan.png"), full_page=True)

        # Data: no "Load files"
        sidebar.get_by_role("link", name="Data").click()
        c.get_by_role("heading", name="Data").first.wait_for(timeout=30_000)
        _wait_until_settled(c)
        assert c.get_by_text("Load files").count() == 0
        no_edit_control_anywhere()

        # Capacity: the OOO and on-call tables, no save
        sidebar.get_by_role("link", name="Capacity").click()
        c.get_by_role("heading", name="Capacity").first.wait_for(timeout=30_000)
        _wait_until_settled(c)
        c.get_by_role("tab", name="Edit OOO and on-call").click()
        panel = c.get_by_role("tabpanel", name="Edit OOO and on-call")
        panel.get_by_test_id("stDataFrame").nth(1).wait_for(timeout=10_000)
        assert c.get_by_role("button", name="Save capacity changes").count() == 0
        no_edit_control_anywhere()
        c.screenshot(path=str(ARTIFACTS / "meeting-view-capacity.png"), full_page=True)

        # Scenarios: the history only
        sidebar.get_by_role("link", name="Scenarios").click()
        c.get_by_role("heading", name="History").first.wait_for(timeout=30_000)
        _wait_until_settled(c)
        for name in ("Save as a new scenario", "Save into this scenario", "Rename", "Duplicate", "Delete…"):
            assert c.get_by_role("button", name=name).count() == 0, name
        assert c.get_by_role("button", name=re.compile(r"^Restore")).count() == 0
        assert c.get_by_text("Manage the saved scenarios").count() == 0
        no_edit_control_anywhere()
        c.screenshot(path=str(ARTIFACTS / "meeting-view-scenarios.png"), full_page=True)
    finally:
        context_a.close()
        context_c.close()


def _assert_not_found(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name="Scenario not found").wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # anything else the run would draw
    content = page.content()
    assert "Traceback" not in content, url
    assert page.get_by_test_id("stException").count() == 0, url
    assert page.get_by_text("Planned value").count() == 0, url
    assert page.get_by_test_id("stSidebar").count() == 0 or "Scenario" not in page.get_by_test_id(
        "stSidebar"
    ).inner_text().split("\n"), url


def test_forged_and_revoked_links_show_the_not_found_page(server, browser):  # noqa: F811
    context, page = _new_page(browser)
    try:
        forged = ["garbage", "' OR 1=1 --", "a" * 5000, "A" * 32]
        for token in forged:
            for param in ("scenario", "view"):
                _assert_not_found(page, f"{server}/plan?{param}={quote(token, safe='')}")
        page.screenshot(path=str(ARTIFACTS / "meeting-not-found.png"), full_page=True)
    finally:
        context.close()

    context_a, a = _new_page(browser)
    context_c, c = _new_page(browser)
    try:
        _open_plan(a, f"{server}/plan")
        old_edit, old_view = _share_links(a)
        _open_plan(c, old_view)  # a viewer on the old link, before the links are replaced
        a.get_by_role("button", name="Share").click()
        a.get_by_role("button", name="Replace both links").click()
        a.get_by_text("New links made").first.wait_for(timeout=15_000)
        _wait_until_settled(a)
        new_edit, new_view = _share_links(a)
        assert {new_edit, new_view}.isdisjoint({old_edit, old_view})
        # The open view session on the old link closes by itself (its live check), without a reload.
        c.get_by_role("heading", name="Scenario not found").wait_for(timeout=LIVE_SECONDS * 1000)
        # The plan's elements go at the end of that rerun, which the heading comes before.
        expect(c.get_by_text("Planned value")).to_have_count(0, timeout=10_000)
        assert new_view.rsplit("=", 1)[1] not in c.url
    finally:
        context_a.close()
        context_c.close()

    context, page = _new_page(browser)
    try:
        _assert_not_found(page, old_edit)
        _assert_not_found(page, old_view)
    finally:
        context.close()
    context, page = _new_page(browser)
    try:
        _open_plan(page, new_edit)
        assert _query(page)["scenario"] == new_edit.rsplit("=", 1)[1]
    finally:
        context.close()


def test_a_rename_shows_at_once_and_in_another_session(server, browser):  # noqa: F811
    context_a, a = _new_page(browser)
    context_b, b = _new_page(browser)
    new_name = f"Meeting rename {int(time.time())}"
    try:
        _open_plan(a, f"{server}/plan")
        _open_plan(b, f"{server}/plan?scenario={_query(a)['scenario']}")
        old_name = _sidebar_scenario_name(b)

        a.get_by_test_id("stSidebar").get_by_role("link", name="Scenarios").click()
        a.get_by_text("Manage the saved scenarios").first.wait_for(timeout=30_000)
        _wait_until_settled(a)
        name_box = a.get_by_role("textbox", name="New name")
        name_box.fill(new_name)
        name_box.press("Tab")
        a.get_by_role("button", name="Rename").click()
        # The run the click starts shows the new name in both places: the sidebar is drawn before the
        # page, so once "Scenario to change" shows it, the sidebar's picker must show it too.
        change = a.get_by_test_id("stSelectbox").filter(has_text="Scenario to change")
        a.wait_for_function(
            """name => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stSelectbox"]')]
                .some(box => box.textContent.includes('Scenario to change')
                    && (box.querySelector('input') || {}).value === name)""",
            arg=new_name,
            timeout=15_000,
        )
        _wait_until_settled(a)  # the old box, drawn under the old names, leaves once the run ends
        assert change.locator("input").input_value() == new_name
        assert _sidebar_scenario_name(a) == new_name

        started = time.monotonic()
        b.wait_for_function(
            """name => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stSelectbox"]')]
                .some(box => (box.querySelector('input') || {}).value === name)""",
            arg=new_name,
            timeout=LIVE_SECONDS * 1000,
        )
        assert time.monotonic() - started <= LIVE_SECONDS
        assert old_name != _sidebar_scenario_name(b)
    finally:
        context_a.close()
        context_b.close()
