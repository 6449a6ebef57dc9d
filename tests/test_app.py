"""The app, run headless with Streamlit's AppTest on a fresh database in a temp folder."""

from __future__ import annotations

import re
from urllib.parse import unquote

from conftest import REPO, open_page
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from pages import _state
from planner.markdown_escape import markdown_inert
from planner.sample import SAMPLE_NAME
from planner.store import Store


def start() -> AppTest:
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()


def test_first_start_shows_the_sample_scenario(database):
    at = start()
    assert not at.exception
    assert at.selectbox[0].options == [SAMPLE_NAME]
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Items"] == "111"
    assert metrics["People"] == "16"
    assert metrics["Sprints"] == "3"
    assert any("WSJF" in caption.value for caption in at.caption)
    assert len(at.dataframe) >= 2  # backlog and capacity tables


def test_picker_switches_scenario(database):
    first = start().session_state["planner_scenario_id"]
    # Another scenario saved by someone else while the app runs (the store is shared).
    store = Store(database)
    scenario = store.load(first)
    other = store.create("Five items", scenario.backlog.head(5), scenario.capacity, {"value_rule": "wsjf"})
    store.close()
    # A new session lists both. Streamlit 1.67's AppTest drops the entry script's sidebar widgets on
    # a second run of an st.navigation app, so the choice is made as the picker stores it.
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["planner_scenario_id"] = other
    at.run()
    assert not at.exception
    assert set(at.selectbox[0].options) == {SAMPLE_NAME, "Five items"}
    assert at.selectbox[0].value == other
    assert {m.label: m.value for m in at.metric}["Items"] == "5"


def test_user_text_is_not_rendered_as_markdown():
    assert markdown_inert("[click](http://evil.example) ![x](y) <b>") == (
        "\\[click\\]\\(http\\://evil\\.example\\) \\!\\[x\\]\\(y\\) \\<b\\>"
    )


def test_a_pages_rerun_goes_through_the_router(database):
    # As on the server: every run draws the router's sidebar (picker, your name) before the page.
    at = open_page("pages/plan.py")
    at.run()
    assert not at.exception
    assert [box for box in at.sidebar.selectbox if box.key.startswith(_state.PICKER_KEY)]
    assert [box for box in at.sidebar.text_input if box.key == _state.AUTHOR_KEY]


def test_the_scenario_list_is_read_once_a_run_and_again_after_a_write(database, monkeypatch):
    at = open_page("pages/plan.py")
    reads = []
    listed = Store.list
    monkeypatch.setattr(Store, "list", lambda self: reads.append(1) or listed(self))
    at.run()
    assert not at.exception
    assert len(reads) == 1  # the picker, the sidebar and the page share one read
    scenario_id = at.session_state[_state.SCENARIO_KEY]
    runs = at.session_state[_state.RUN_KEY]
    _state.store().rename(scenario_id, "Renamed meanwhile")  # the live check reruns the app at once
    at.run()
    assert not at.exception
    assert len(reads) == 1 + at.session_state[_state.RUN_KEY] - runs  # still one read a run
    assert any("Renamed meanwhile" in option for box in at.sidebar.selectbox for option in box.options)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_typed_name_reaches_the_cookie_script_only_percent_encoded(name):
    # The app's one st.html: whatever the name, the script is the fixed text around an encoded value.
    script = _state.author_cookie_script(name)
    found = re.fullmatch(
        r"<script>document\.cookie = 'planner_author=([A-Za-z0-9%._~-]*); path=/; max-age=31536000; "
        r"SameSite=Lax';</script>",
        script,
    )
    assert found is not None, script
    assert unquote(found.group(1)) == name
