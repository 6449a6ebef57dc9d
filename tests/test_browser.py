"""The real app in real Chromium: ``streamlit run app.py`` on a fresh database, driven by Playwright.

Needs Debian's ``chromium`` (``apt-get install -y chromium``). Skipped with the reason when it is
missing, except where PLANNER_REQUIRE_BROWSER is set (CI), where a missing browser fails.
Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from conftest import REPO

from planner.sample import SAMPLE_NAME, create_sample
from planner.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
# As the machine's notes say: without the background-networking flags Chromium keeps calling out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("PLANNER_REQUIRE_BROWSER"):
        pytest.fail(f"browser test required here but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sync_playwright():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    return start


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _streamlit(folder: Path, database: str | None = None):
    """A Streamlit server of the app on a free port, with its own database in ``folder`` (or on the
    server ``database`` names, shared with other replicas); yields its URL and process."""
    port = _free_port()
    log = (folder / f"streamlit-{port}.log").open("w")
    env = {**os.environ, "PLANNER_DB": database or str(folder / "planner.duckdb")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.terminate()
        pytest.fail(f"streamlit did not start in 60 s: {(folder / f'streamlit-{port}.log').read_text()[-2000:]}")
    try:
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, sync_playwright):
    with _streamlit(tmp_path_factory.mktemp("server")) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser(sync_playwright):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_data_page_shows_the_sample(server, browser, width, height):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        started = time.monotonic()
        page.goto(server)
        page.get_by_test_id("stMetricValue").first.wait_for(timeout=30_000)
        first_paint = time.monotonic() - started
        # The metrics arrive one by one as the script runs: read them once all five are drawn.
        page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length >= 5", timeout=30_000
        )
        values = page.get_by_test_id("stMetricValue").all_inner_texts()
        assert values[:3] == ["111", "108", "16"]
        page.screenshot(path=str(ARTIFACTS / f"data-backlog-{width}x{height}.png"))
        sidebar = page.get_by_test_id("stSidebar")
        assert sidebar.get_by_text("111 items, 16 people").count() == 1
        assert SAMPLE_NAME in sidebar.get_by_test_id("stSelectbox").inner_html()
        assert page.get_by_role("heading", name="Data").count() == 1
        page.get_by_role("tab", name="Capacity").click()
        page.get_by_text("people (16 rows)").wait_for(timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / f"data-capacity-{width}x{height}.png"))
        assert first_paint < 30
    finally:
        page.close()


def _metric(page, label: str) -> str:
    block = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True)).first
    return block.get_by_test_id("stMetricValue").inner_text()


def _wait_until_settled(page, timeout: float = 60) -> None:
    """Wait until the app has stopped running, shows the full plan (not a quick plan whose full search
    runs) and the plan's metrics hold still for a second."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        running = (
            page.get_by_test_id("stStatusWidget").count() > 0
            or page.get_by_text("Searching for a better plan").count() > 0
        )
        now = page.get_by_test_id("stMetricValue").all_inner_texts()
        if not running and now == last:
            return
        last = now
        page.wait_for_timeout(1000)
    pytest.fail("the app did not settle")


def test_upload_save_plan_and_move_a_slider(server, browser):
    """A PM's path: upload the Jira export and the capacity workbook, save, plan, move a slider."""
    from planner.sample import SAMPLE_CAPACITY, SAMPLE_JIRA_CSV

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(server)
        page.get_by_test_id("stMetricValue").first.wait_for(timeout=30_000)
        page.get_by_text("Load files").click()
        uploaders = page.get_by_test_id("stFileUploader")
        uploaders.nth(0).locator("input[type=file]").set_input_files(str(SAMPLE_JIRA_CSV))
        page.get_by_text("sample_backlog_jira.csv: CSV, utf-8-sig").first.wait_for(timeout=30_000)
        uploaders.nth(1).locator("input[type=file]").set_input_files(str(SAMPLE_CAPACITY))
        save = page.locator("button:not([disabled])", has_text="Save as new scenario").first
        page.wait_for_function(
            "() => [...document.querySelectorAll('button')]"
            ".some(b => b.innerText.includes('Save as new scenario') && !b.disabled)",
            timeout=30_000,
        )
        page.screenshot(path=str(ARTIFACTS / "data-upload.png"), full_page=True)
        save.click()
        page.get_by_text("Saved the new scenario").first.wait_for(timeout=30_000)

        page.get_by_role("link", name="Plan").click()
        page.get_by_text("Planned value").first.wait_for(timeout=60_000)
        before = _metric(page, "Planned value")
        assert _metric(page, "Items planned").endswith("of 111")
        page.screenshot(path=str(ARTIFACTS / "plan-1280x800.png"), full_page=True)
        slider = page.get_by_test_id("stSlider").filter(has_text="Capacity %").get_by_role("slider")
        slider.focus()
        for _ in range(4):  # 100 % -> 120 %
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            """before => {
                const blocks = [...document.querySelectorAll('[data-testid="stMetric"]')];
                const block = blocks.find(b => b.innerText.startsWith('Planned value'));
                return block && !block.innerText.includes(before);
            }""",
            arg=before,
            timeout=60_000,
        )
        # Each key press reruns the app: read the plan once the last rerun (120 %) has finished.
        _wait_until_settled(page)
        after = _metric(page, "Planned value")
        assert float(after.replace(",", "")) > float(before.replace(",", ""))
        _metric_after_upload = _metric(page, "Items planned").split()[0]
        page.get_by_text("What changed since the last plan").first.wait_for(timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "plan-after-slider.png"), full_page=True)
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.screenshot(path=str(ARTIFACTS / "plan-1920x1080.png"), full_page=True)

        page.get_by_role("link", name="Capacity").click()
        page.get_by_text("Net days").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "capacity-1920x1080.png"), full_page=True)

        page.get_by_role("link", name="Scenarios").click()
        page.get_by_role("heading", name="Scenarios").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "scenarios-1920x1080.png"), full_page=True)

        # The download: browsers cannot save files here, so the file the button serves is fetched
        # from the server the way the browser would, and opened.
        served: list[str] = []
        page.on(
            "request",
            lambda request: (
                served.append(request.url) if "/media/" in request.url and request.url.endswith(".xlsx") else None
            ),
        )
        page.get_by_role("link", name="Export").click()
        button = page.get_by_role("button", name="Download the plan (.xlsx)")
        button.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "export-1920x1080.png"), full_page=True)
        button.click()
        page.wait_for_timeout(500)
        assert served, "the download button serves no workbook"
        response = page.request.get(served[-1])
        assert response.ok
        workbook = openpyxl.load_workbook(io.BytesIO(response.body()))
        assert workbook.sheetnames[:4] == ["Plan", "Summary", "Not planned", "Capacity"]
        planned = [row for row in workbook["Plan"].iter_rows(min_row=2, values_only=True) if row[2]]
        assert len(planned) == int(_metric_after_upload)
    finally:
        page.close()


def test_a_link_to_a_page_opens_that_page_on_a_fresh_server(tmp_path, sync_playwright, browser):
    # Until the router has run once, Streamlit serves pages/plan.py on its own; the page hands over
    # to the router, which must then open the Plan page the link asked for, not the default page.
    with _streamlit(tmp_path) as (url, _):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(f"{url}/plan")
            page.get_by_role("heading", name="Plan").first.wait_for(timeout=30_000)
            page.get_by_test_id("stMetricValue").first.wait_for(timeout=30_000)
            assert urlparse(page.url).path.rstrip("/").endswith("/plan")
            assert page.get_by_test_id("stSlider").count() >= 1
            assert page.get_by_role("heading", name="Data").count() == 0
        finally:
            page.close()


def test_a_view_link_to_a_page_opens_read_only_on_a_fresh_server(tmp_path, sync_playwright, browser):
    # The link's query must survive the hand-over to the router: a view link never opens for editing.
    with Store(tmp_path / "planner.duckdb") as store:
        scenario_id = create_sample(store)
        view = store.links(scenario_id).view
    with _streamlit(tmp_path) as (url, _):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(f"{url}/capacity?view={view}&sprints=2")
            page.get_by_role("heading", name="Capacity").first.wait_for(timeout=30_000)
            page.get_by_text("View only").first.wait_for(timeout=30_000)
            # The page rewrites its query as it runs (the what-ifs it shows): read it once that is done.
            page.wait_for_function("() => new URLSearchParams(location.search).has('sprints')", timeout=10_000)
            assert parse_qs(urlparse(page.url).query)["view"] == [view]
            assert parse_qs(urlparse(page.url).query)["sprints"] == ["2"]
            assert page.get_by_role("button", name="Undo the last change").count() == 0
        finally:
            page.close()


def _wait_until_idle(page, timeout: float = 30) -> None:
    """Wait until the app is not running (its status widget gone)."""
    deadline = time.monotonic() + timeout
    while page.get_by_test_id("stStatusWidget").count() > 0:
        if time.monotonic() > deadline:
            pytest.fail("the app kept running")
        page.wait_for_timeout(100)


def _peak_memory_mb(process: subprocess.Popen) -> float:
    """The server process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")


def test_hostile_workbooks_are_refused_and_the_server_stays_up(tmp_path, sync_playwright, browser):
    """Issue 11: a 1.6 KB workbook with a cell at XFD1048576 used to take the whole server down."""
    from hostile_files import DIMENSION_BOMB_CELLS, HEADER_ROW, cell, lying_zip_bomb, sheet_xml, write_workbook

    # (file name, file, what its message says): the message, not the file's name, shows it was read.
    hostile = [
        (
            f"bomb-{far}.xlsx",
            write_workbook(tmp_path / f"bomb-{far}.xlsx", sheet_xml(HEADER_ROW + cell(far))),
            f"has a cell at {far}",
        )
        for far in DIMENSION_BOMB_CELLS
    ]
    hostile.append(("lying-zip.xlsx", lying_zip_bomb(tmp_path / "lying-zip.xlsx", 1024), "unpacks to more than"))
    ARTIFACTS.mkdir(exist_ok=True)
    with _streamlit(tmp_path) as (url, process):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(url)
            page.get_by_test_id("stMetricValue").first.wait_for(timeout=30_000)
            page.get_by_text("Load files").click()
            before = _peak_memory_mb(process)
            uploader = page.get_by_test_id("stFileUploader").nth(0).locator("input[type=file]")
            for name, path, shown in hostile:
                started = time.monotonic()
                uploader.set_input_files(str(path))
                page.get_by_text(name).first.wait_for(timeout=30_000)
                page.get_by_text(shown).first.wait_for(state="attached", timeout=30_000)  # in the problems table
                _wait_until_idle(page)  # a file chosen while the app still runs can be dropped
                refused_in = time.monotonic() - started
                assert process.poll() is None, f"the server died on {name}"
                assert refused_in < 30, f"{name} took {refused_in:.1f} s to refuse"
            page.screenshot(path=str(ARTIFACTS / "data-hostile-upload.png"), full_page=True)
            assert _peak_memory_mb(process) - before < 300
        finally:
            page.close()
        # Another member of the meeting opens the app after the uploads: it is still there.
        second = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            second.goto(url)
            metrics = second.get_by_test_id("stMetricValue")
            metrics.nth(2).wait_for(timeout=30_000)  # the page draws its metrics one by one: read all three
            _wait_until_idle(second)
            assert metrics.all_inner_texts()[:3] == ["111", "108", "16"]
        finally:
            second.close()
