"""The meeting in real Chromium, the view side: a view link through every page, forged and revoked links.

Split from ``tests/test_browser_meeting.py`` (its helpers, the server and browser fixtures of
``tests/test_browser.py``) so that the two files run side by side on the test run's two workers; each
module has its own server with a fresh database holding the sample scenario.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (pytest fixtures, used by name)
    ARTIFACTS,
    _metric,
    _wait_until_settled,
    browser,
    server,
    sync_playwright,
)
from test_browser_meeting import (
    LIVE_SECONDS,
    PAGES,
    VIEW_NOTE,
    _download_name,
    _go_to,
    _new_page,
    _no_error_shown,
    _no_saving_control,
    _open_plan,
    _query,
    _share_links,
)

from planner.sample import SAMPLE_NAME

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_view_link_shows_the_plan_and_no_edit_control(server, browser):  # noqa: F811
    """C opens the view link and goes through every page by the sidebar: each shows its results, no
    error, and nothing that changes the saved scenario."""
    ARTIFACTS.mkdir(exist_ok=True)
    context_a, a = _new_page(browser)
    context_c, c = _new_page(browser)
    try:
        _open_plan(a, f"{server}/plan")
        _, view_link = _share_links(a)
        _open_plan(c, view_link)
        sidebar = c.get_by_test_id("stSidebar")
        main = c.get_by_test_id("stMain")

        def no_edit_control_anywhere() -> None:
            assert "view" in _query(c) and "scenario" not in _query(c), c.url
            assert _query(c)["view"] == view_link.rsplit("=", 1)[1], c.url  # the session kept its link
            sidebar.get_by_text(VIEW_NOTE).wait_for(timeout=10_000)
            for name in ("Accept this plan as the baseline", "Undo the last change", "Replace both links"):
                assert c.get_by_role("button", name=name).count() == 0, name
            assert c.get_by_role("textbox", name="Your name").count() == 0
            boxes = sidebar.get_by_test_id("stSelectbox")
            shown = [boxes.nth(i).locator("input").input_value() for i in range(boxes.count())]
            assert SAMPLE_NAME not in shown, "the view session has a scenario picker"
            assert boxes.filter(has_text="Scenario").count() == 0, "the view session has a scenario picker"
            assert sidebar.get_by_text(SAMPLE_NAME).count() >= 1  # the scenario's name, as text

        visited: list[str] = []

        def checked(where: str) -> None:
            """What every page of the view session must hold: no error, no saving control, view mode kept."""
            visited.append(where.split()[0])
            _no_error_shown(c, where)
            _no_saving_control(c, where)
            no_edit_control_anywhere()

        # Plan
        assert c.get_by_role("heading", name="Plan").count() >= 1
        assert _metric(c, "Planned value")
        expect(main.get_by_test_id("stDataFrame").first).to_be_visible()  # the plan's table
        checked("Plan")
        assert _share_links(c) == [view_link]  # the view link only
        c.screenshot(path=str(ARTIFACTS / "meeting-view-plan.png"), full_page=True)

        # Data: the scenario's metrics and backlog, no "Load files"
        _go_to(c, "Data")
        assert c.get_by_text("Load files").count() == 0
        expect(main.get_by_role("heading", name=SAMPLE_NAME, exact=True)).to_have_count(1)
        assert int(_metric(c, "Items")) > 0 and int(_metric(c, "People")) > 0
        expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
        checked("Data")
        c.screenshot(path=str(ARTIFACTS / "meeting-view-data.png"), full_page=True)

        # Refinement: the findings and the agenda
        _go_to(c, "Refinement")
        for label in ("Errors", "Warnings", "Info"):
            assert _metric(c, label).isdigit(), label
        findings = main.get_by_text(re.compile(r"^\d+ of \d+ findings, errors first\.$"))
        expect(findings.or_(main.get_by_text("No findings: the backlog is ready to plan."))).to_have_count(1)
        if findings.count():
            expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
        expect(c.get_by_role("button", name="Download the agenda (.md)")).to_be_enabled()
        checked("Refinement")
        c.screenshot(path=str(ARTIFACTS / "meeting-view-refinement.png"), full_page=True)

        # Capacity: the metrics, the teams-and-sprints table, the OOO and on-call tables, no save
        _go_to(c, "Capacity")
        assert _metric(c, "Gross days") and _metric(c, "Net days")
        c.get_by_role("tab", name="Teams and sprints").click()
        c.get_by_role("tabpanel", name="Teams and sprints").get_by_test_id("stDataFrame").first.wait_for(timeout=10_000)
        c.get_by_role("tab", name="Edit OOO and on-call").click()
        panel = c.get_by_role("tabpanel", name="Edit OOO and on-call")
        panel.get_by_test_id("stDataFrame").nth(1).wait_for(timeout=10_000)
        panel.get_by_text("View only: the saved OOO and on-call rows.").wait_for(timeout=10_000)
        assert c.get_by_role("button", name="Save capacity changes").count() == 0
        no_edit_control_anywhere()
        checked("Capacity")
        c.screenshot(path=str(ARTIFACTS / "meeting-view-capacity.png"), full_page=True)

        # Plan, by the sidebar this time: the same plan, still view only
        _go_to(c, "Plan")
        assert _metric(c, "Planned value")
        expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
        checked("Plan (again)")

        # Scenarios: the history only
        _go_to(c, "Scenarios")
        c.get_by_role("heading", name="History").first.wait_for(timeout=30_000)
        _wait_until_settled(c)
        main.get_by_text(re.compile(r"^View only: this scenario's history")).wait_for(timeout=10_000)
        expect(main.get_by_test_id("stDataFrame").first).to_be_visible()  # the versions
        for name in ("Save as a new scenario", "Save into this scenario", "Rename", "Duplicate", "Delete…"):
            assert c.get_by_role("button", name=name).count() == 0, name
        assert c.get_by_role("button", name=re.compile(r"^Restore")).count() == 0
        assert c.get_by_text("Manage the saved scenarios").count() == 0
        assert c.get_by_text("Compare scenarios").count() == 0
        no_edit_control_anywhere()
        checked("Scenarios")
        c.screenshot(path=str(ARTIFACTS / "meeting-view-scenarios.png"), full_page=True)

        # Export: the plan's summary and both downloads, enabled and serving files
        _go_to(c, "Export")
        main.get_by_text(re.compile(r"items? planned over \d+ sprints?, value")).wait_for(timeout=30_000)
        expect(main.locator("strong", has_text=SAMPLE_NAME)).to_have_count(1)
        stem = re.sub(r"[^\w.-]+", "-", SAMPLE_NAME).strip("-")
        assert _download_name(c, "Download the plan (.xlsx)") == f"{stem}-plan.xlsx"
        assert _download_name(c, "Download id, sprint, team (.csv)") == f"{stem}-sprints.csv"
        checked("Export")
        c.screenshot(path=str(ARTIFACTS / "meeting-view-export.png"), full_page=True)
        assert set(visited) == set(PAGES), f"pages not visited: {set(PAGES) - set(visited)}"
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
    # The plain page: its words and a way back, nothing of the app's (no page links, no picker, no what-ifs).
    page.get_by_text("This link does not open a scenario").wait_for(timeout=10_000)
    # The link comes after the words in the same run: on a busy machine it can be drawn a moment later.
    page.get_by_role("link", name="Open the planner").first.wait_for(timeout=10_000)
    assert page.get_by_role("link", name="Open the planner").count() == 1, url
    for name in PAGES:
        assert page.get_by_role("link", name=name, exact=True).count() == 0, (name, url)
    assert page.get_by_test_id("stSelectbox").count() == 0 and page.get_by_test_id("stSlider").count() == 0, url
    _no_error_shown(page, url[:120])


def test_forged_and_revoked_links_show_the_not_found_page(server, browser):  # noqa: F811
    context, page = _new_page(browser)
    try:
        # Garbage, SQL text, 5,000 characters, and a token of the right shape that opens nothing.
        forged = ["garbage", "' OR 1=1 --", "x'; DROP TABLE scenarios; --", "a" * 5000, "A" * 32]
        # Every one as an edit link; as a view link and on other pages a few (the AppTests try each on both).
        for token in forged:
            _assert_not_found(page, f"{server}/plan?scenario={quote(token, safe='')}")
        for token in forged[1], forged[3]:
            _assert_not_found(page, f"{server}/plan?view={quote(token, safe='')}")
        for path in ("/", "/export"):
            _assert_not_found(page, f"{server}{path}?scenario={quote(forged[1], safe='')}")
        _assert_not_found(page, f"{server}/plan?view={'b' * 5000}&scenario=garbage")
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
