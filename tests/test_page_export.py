"""The Export page in AppTest: both downloads are offered and the workbook is a real plan."""

from __future__ import annotations

import io

import openpyxl
import pytest
from conftest import REPO, open_page
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from planner.overrides import Override

pytestmark = pytest.mark.usefixtures("database")


def test_export_page_offers_the_workbook_and_the_tracker_csv():
    at = open_page("pages/export.py")
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Download the plan (.xlsx)", "Download id, sprint, team (.csv)"]
    assert any("items planned" in markdown.value for markdown in at.markdown)


# --- two sessions on one scenario: each downloads its own plan (issue 11) ------------------------------


@pytest.fixture
def media(monkeypatch) -> list[MemoryMediaFileStorage]:
    """AppTest's in-memory media stores (one per run), kept so a test can read what a download serves.

    AppTest builds a MemoryMediaFileStorage for each run and drops it afterwards; this subclass stores
    exactly as it does and only remembers itself.
    """
    stores: list[MemoryMediaFileStorage] = []

    class Kept(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Kept)
    return stores


def downloaded(at: AppTest, media: list[MemoryMediaFileStorage], key: str) -> bytes:
    """The bytes the download button ``key`` serves in the last run of ``at``."""
    [button] = [b for b in at.get("download_button") if b.proto.id.endswith(key)]
    name = button.proto.url.rsplit("/", 1)[-1]  # the file's id is a hash of its bytes: found in its run's store
    for store in reversed(media):
        try:
            return store.get_file(name).content
        except MediaFileStorageError:
            continue
    raise AssertionError(f"no stored file {name}")


def workbook_ids(data: bytes) -> set[str]:
    """The item ids on the Plan sheet of a plan workbook."""
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Plan"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    column = header.index("id")
    return {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}


def planned_ids(at: AppTest) -> set[str]:
    """The items of this session's plan, as its Plan page shows them."""
    at.switch_page("pages/plan.py").run()
    assert not at.exception
    for frame in at.dataframe:
        if {"sprint", "team", "id"} <= set(frame.value.columns):
            return set(frame.value["id"])
    raise AssertionError("no plan table")


def default_plan() -> set[str]:
    """The items of the sample's plan with no what-ifs."""
    return planned_ids(open_page("pages/plan.py"))


def export_session(state: dict[str, object]) -> AppTest:
    """A new session on the sample with ``state`` set (what the Refinement and Plan pages would set), on Export."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()  # picks the sample
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page("pages/export.py").run()
    assert not at.exception
    return at


def pins(*items: str) -> dict[str, dict[str, Override]]:
    """Session state pinning ``items`` out, as the Plan page's pin editor sets it."""
    return {"planner_overrides": {item: Override(pin="out") for item in items}}


@pytest.mark.parametrize("case", ["balance target", "pins that read the same"])
def test_each_session_downloads_its_own_plan(case: str, media: list[MemoryMediaFileStorage]):
    if case == "balance target":
        # User E holds tech debt at 20 %; user F has no targets (both: "1 sprint", no pins).
        states = [{"planner_balance": {"tech debt": 0.2}}, {}]
    else:
        # One pin each ("1 pin" in both summaries), on different items.
        first, second = sorted(default_plan())[:2]
        states = [pins(first), pins(second)]
    sessions = [export_session(state) for state in states]  # E exports first and fills the cache
    workbooks = [downloaded(at, media, "planner_export_xlsx") for at in sessions]
    plans = [planned_ids(at) for at in sessions]
    assert plans[0] != plans[1]  # the two sessions really plan differently
    for workbook, plan in zip(workbooks, plans, strict=True):
        assert workbook_ids(workbook) == plan


# --- the page's workbook is the library's export_workbook (what `planner plan --out` writes) ----------


def test_page_download_is_the_library_export_workbook(database, media: list[MemoryMediaFileStorage]):
    from planner.capacity import compute_capacity
    from planner.outputs import export_workbook
    from planner.planning_backlog import planning_backlog
    from planner.scenarios import WHAT_IF_DEFAULTS, plan_arguments
    from planner.solve import SolveOptions, capacity_sprint_names, make_plan
    from planner.sprint_values import SprintTreatment
    from planner.store import Store

    app_solve = SolveOptions(time_limit=3.0, gap=0.005, exact_thresholds=False)  # pages/_state.APP_SOLVE

    at = export_session({})
    page = openpyxl.load_workbook(io.BytesIO(downloaded(at, media, "planner_export_xlsx")))

    store = Store(database)
    try:
        scenario = store.load(store.list()[0].id)
    finally:
        store.close()
    settings, rule, overrides, _ = plan_arguments(WHAT_IF_DEFAULTS, scenario.settings)
    # As the page: the sprint names treated as the scenario says (defaults: the sample's Sprint 26 item is carry-over).
    treatment = SprintTreatment(capacity_sprint_names(scenario.capacity))
    backlog = planning_backlog(scenario.backlog, rule, overrides, sprints=treatment)
    capacity = compute_capacity(scenario.capacity, settings)
    result = make_plan(backlog, capacity, options=app_solve)
    library = openpyxl.load_workbook(
        io.BytesIO(export_workbook(result, backlog, capacity, scenario_name=scenario.name))
    )

    assert page.sheetnames == library.sheetnames
    assert page.sheetnames[:5] == ["Plan", "Summary", "Not planned", "Capacity", "Refinement"]
    ids = [{row[2] for row in book["Plan"].iter_rows(min_row=2, values_only=True)} for book in (page, library)]
    assert ids[0] == ids[1] == {a.id for a in result.selected}
    refinement = [list(book["Refinement"].iter_rows(values_only=True)) for book in (page, library)]
    assert refinement[0] == refinement[1] and len(refinement[0]) > 1
