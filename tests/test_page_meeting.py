"""The planning meeting in AppTest: links, view-only sessions, the URL, conflicts and re-apply, undo, sign-in."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from conftest import REPO, keyed, open_tab
from streamlit.testing.v1 import AppTest
from test_page_scenarios import plain

from pages import _state
from planner.sample import SAMPLE_NAME
from planner.scenarios import WHAT_IF_DEFAULTS, with_what_if
from planner.store import Store

pytestmark = pytest.mark.usefixtures("database")

APP = str(REPO / "app.py")


def session(**query: str) -> AppTest:
    """A new browser session on the app, opened with ``query`` in its URL."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    return at.run()


def sample_links(database) -> tuple[str, str, str]:
    """The sample's id, edit token and view token (the sample is saved by the first session)."""
    session()
    with Store(database) as store:
        [summary] = store.list()
        links = store.links(summary.id)
    return summary.id, links.edit, links.view


def click(at: AppTest, label: str) -> None:
    [button] = [b for b in at.button if b.label == label]
    button.click().run()


@pytest.mark.parametrize("token", ["garbage", "' OR 1=1 --", "x" * 5000, "A" * 32])
@pytest.mark.parametrize("kind", ["scenario", "view"])
def test_a_link_that_names_no_scenario_gets_the_plain_not_found_page(database, kind, token):
    at = session(**{kind: token})
    assert not at.exception
    assert [title.value for title in at.title] == ["Scenario not found"]
    assert not at.button and not at.slider and not at.selectbox  # nothing else: no picker, no sliders


def test_an_edit_link_opens_its_scenario_and_the_url_follows_the_sliders(database):
    scenario_id, edit, _ = sample_links(database)
    at = session(scenario=edit, sprints="2", buffer="10")
    at.switch_page("pages/plan.py").run()
    assert not at.exception
    assert at.session_state["planner_scenario_id"] == scenario_id
    assert (at.session_state["planner_sprints"], at.session_state["planner_buffer_pct"]) == (2, 10)
    assert at.query_params["scenario"] == [edit] or at.query_params["scenario"] == edit
    at.slider(key="planner_capacity_pct_widget").set_value(90).run()
    query = {key: value if isinstance(value, str) else value[0] for key, value in at.query_params.items()}
    assert (query["capacity"], query["sprints"], query["buffer"]) == ("90", "2", "10")
    assert "view" not in query


def test_a_view_link_shows_results_and_saves_nothing(database):
    scenario_id, _, view = sample_links(database)
    at = session(view=view)
    assert at.session_state["planner_mode"] == "view"
    assert not [box for box in at.selectbox if box.key.startswith("planner_scenario_picker")]
    assert any("View only" in info.value for info in at.sidebar.info)
    at.switch_page("pages/plan.py").run()
    assert not at.exception
    assert any(metric.label == "Planned value" for metric in at.metric)
    labels = {button.label for button in at.button}
    assert "Accept this plan as the baseline" not in labels and "Replace both links" not in labels
    # A pin made in a view session plans here and is not saved.
    open_tab(at, "Pins and MoSCoW")
    at.session_state[_state.pin_editor_key({})] = {
        "edited_rows": {0: {"pin": "out"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert at.session_state["planner_overrides"]
    with Store(database) as store:
        assert store.state(scenario_id).version == 1
    for page in ("pages/data.py", "pages/capacity.py", "pages/scenarios.py", "pages/refinement.py", "pages/export.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        labels = {button.label for button in at.button}
        assert not labels & {"Save capacity changes", "Save as a new scenario", "Rename", "Delete…", "Restore"}, page
        assert not at.file_uploader, page


def test_a_clash_is_refused_said_and_can_be_re_applied(database):
    scenario_id, edit, _ = sample_links(database)
    first, second = session(scenario=edit), session(scenario=edit)
    for at in (first, second):
        at.switch_page("pages/scenarios.py").run()
        at.slider(key="planner_buffer_pct_widget").set_value(5 if at is first else 10).run()
    click(first, "Save into this scenario")
    click(second, "Save into this scenario")  # drawn on version 1; the first saved version 2 meanwhile
    assert any("Both changed: the setting what_if.buffer_pct" in plain(error.value) for error in second.error)
    with Store(database) as store:
        assert store.state(scenario_id).settings["what_if"]["buffer_pct"] == 5  # nothing overwritten
    click(second, "Re-apply my change")
    with Store(database) as store:
        state = store.state(scenario_id)
        history = store.history(scenario_id)
    assert state.settings["what_if"]["buffer_pct"] == 10
    assert [info.version for info in history] == [1, 2, 3]


def test_changes_to_different_things_both_land(database):
    scenario_id, edit, _ = sample_links(database)
    pins, names = session(scenario=edit), session(scenario=edit)
    pins.switch_page("pages/plan.py").run()
    names.switch_page("pages/scenarios.py").run()
    open_tab(pins, "Pins and MoSCoW")
    pins.session_state[_state.pin_editor_key({})] = {
        "edited_rows": {0: {"pin": "out"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    pins.run()
    keyed(names.text_input, f"planner_scenarios_rename_{scenario_id}").input("Q3 planning")
    click(names, "Rename")  # drawn before the pin was saved
    assert not names.error
    with Store(database) as store:
        state = store.state(scenario_id)
    assert state.name == "Q3 planning" and state.version == 3
    assert state.settings["what_if"]["overrides"]


def test_undo_restores_the_previous_version(database):
    scenario_id, edit, _ = sample_links(database)
    at = session(scenario=edit)
    at.switch_page("pages/plan.py").run()
    before = {metric.label: metric.value for metric in at.metric}
    open_tab(at, "Pins and MoSCoW")
    at.session_state[_state.pin_editor_key({})] = {
        "edited_rows": {0: {"pin": "out"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert {metric.label: metric.value for metric in at.metric} != before
    # The sidebar (drawn by app.py) shows in AppTest on a session's first run: undo from a new session.
    other = session(scenario=edit)
    click(other, "Undo the last change")
    assert not other.exception
    with Store(database) as store:
        state = store.state(scenario_id)
        last = store.history(scenario_id)[-1]
    assert (state.version, last.what) == (3, "restored version 1")
    assert "what_if" not in state.settings
    other.switch_page("pages/plan.py").run()
    assert other.session_state["planner_overrides"] == {}
    assert {metric.label: metric.value for metric in other.metric}["Planned value"] == before["Planned value"]
    at.run()  # the session that pinned takes the restored pins on its next run
    assert at.session_state["planner_overrides"] == {}


def test_with_sign_in_configured_nothing_shows_before_signing_in(database):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"}
    at.run()
    assert not at.exception
    assert [button.label for button in at.button] == ["Sign in"]
    assert not at.selectbox and not at.dataframe


def test_the_history_opens_an_old_version_beside_the_current_one_and_restores_it(database):
    scenario_id, edit, _ = sample_links(database)
    at = session(scenario=edit)
    at.switch_page("pages/scenarios.py").run()
    at.slider(key="planner_sprints_widget").set_value(2).run()
    click(at, "Save into this scenario")
    assert not at.exception
    history = next(frame.value for frame in at.dataframe if {"version", "who", "what"} <= set(frame.value.columns))
    assert list(history["version"]) == [2, 1]  # newest first
    assert history["what"].iloc[0] == "what-ifs saved: 2 sprints"
    assert keyed(at.selectbox, "planner_scenarios_history_version").value == 1
    values = {metric.label: metric.value for metric in at.metric}
    assert values["Planned value, version 1"] != values["Planned value, now (version 2)"]  # 1 sprint against 2
    click(at, "Restore version 1")
    assert not at.exception
    with Store(database) as store:
        state = store.state(scenario_id)
    assert state.version == 3 and "what_if" not in state.settings


@pytest.mark.parametrize("page", ["pages/plan.py", "pages/export.py", "pages/refinement.py"])
def test_another_sessions_change_is_said_with_its_author_and_stays_through_reruns(database, page):
    # A change's first run is soon followed by others (the full plan's): the note must outlive them.
    scenario_id, edit, _ = sample_links(database)
    watcher = session(scenario=edit)
    watcher.switch_page(page).run()
    assert not watcher.exception
    with Store(database) as store:
        store.rename(scenario_id, "Q3 planning", based_on=1, author="Ana")

    def notes(at: AppTest) -> list[str]:
        return [plain(info.value) for info in at.info if "Updated to version" in info.value]

    for _ in range(3):
        watcher.run()
        assert not watcher.exception
        assert len(notes(watcher)) == 1, notes(watcher)
        assert "version 2" in notes(watcher)[0] and "Ana" in notes(watcher)[0] and "Q3 planning" in notes(watcher)[0]
    shown_for, text, said_at = watcher.session_state[_state.CHANGE_NOTE_KEY]
    watcher.session_state[_state.CHANGE_NOTE_KEY] = (shown_for, text, said_at - _state.CHANGE_NOTE_SECONDS - 1)
    watcher.run()
    assert not notes(watcher)


def test_a_message_outlives_the_apps_own_reruns_and_goes_at_the_users_next_action(database):
    # The full plan's rerun follows an undo within a second or two: "version 1 is back" must stay
    # through it (under load it vanished before anyone could read it), and go when the user acts again.
    scenario_id, edit, _ = sample_links(database)
    with Store(database) as store:
        store.rename(scenario_id, "Q3 planning", based_on=1, author="Ana")
    at = session(scenario=edit)
    click(at, "Undo the last change")
    assert not at.exception

    def said(at: AppTest) -> list[str]:
        return [plain(success.value) for success in at.success if "Undone" in success.value]

    assert said(at) == ["Undone: version 1 is back (as version 3)."]
    for _ in range(2):
        at.session_state[_state.APP_RERUN_KEY] = True  # as rerun_for_the_page leaves it
        at.run()
        assert not at.exception
        assert said(at) == ["Undone: version 1 is back (as version 3)."]  # once, not once per run
    at.run()  # the user's next action
    assert said(at) == []


def test_re_applying_after_a_clash_keeps_what_the_other_person_changed(database):
    # A moves Capacity % and Buffer %, B (drawn before) Buffer % only: the clash is the buffer alone,
    # and B's re-apply puts B's buffer over A's save without taking back A's capacity.
    scenario_id, edit, _ = sample_links(database)
    first, second = session(scenario=edit), session(scenario=edit)
    for at in (first, second):
        at.switch_page("pages/scenarios.py").run()
    first.slider(key="planner_capacity_pct_widget").set_value(80).run()
    first.slider(key="planner_buffer_pct_widget").set_value(5).run()
    second.slider(key="planner_buffer_pct_widget").set_value(10).run()
    click(first, "Save into this scenario")
    click(second, "Save into this scenario")
    errors = [plain(error.value) for error in second.error]
    assert any("the setting what_if.buffer_pct" in error for error in errors), errors
    assert not any("capacity_pct" in error for error in errors), errors  # B never moved it
    # What changed, by whom, and the one way on (no "reload it and make your change again" beside it).
    [said] = [error for error in errors if error.startswith("Not saved")]
    assert "version 1" in said and "buffer 5" in said and "Re-apply your change" in said and "reload" not in said
    click(second, "Re-apply my change")
    with Store(database) as store:
        what_if = store.state(scenario_id).settings["what_if"]
    assert (what_if["capacity_pct"], what_if["buffer_pct"]) == (80, 10)


@pytest.mark.parametrize("change", ["rename", "undo"])
def test_a_rename_or_undo_refused_by_a_newer_change_says_so_and_can_be_re_applied(database, change):
    scenario_id, edit, _ = sample_links(database)
    with Store(database) as store:
        store.rename(scenario_id, "Q3", based_on=1, author="Ana")  # version 2: the sessions below see it
    late = session(scenario=edit)
    late.switch_page("pages/scenarios.py").run()
    with Store(database) as store:
        store.rename(scenario_id, "Q3 planning", based_on=2, author="Ben")  # version 3, after `late` was drawn
    if change == "rename":
        keyed(late.text_input, f"planner_scenarios_rename_{scenario_id}_2").input("Q4")
        click(late, "Rename")
    else:
        click(late, "Undo the last change")
    errors = [plain(error.value) for error in late.error]
    assert any("Ben" in error and "Q3 planning" in error for error in errors), errors  # what changed, and who
    with Store(database) as store:
        assert store.state(scenario_id).version == 3  # nothing written
    click(late, "Re-apply my change")
    assert not late.exception
    with Store(database) as store:
        state = store.state(scenario_id)
    assert state.version == 4
    assert state.name == ("Q4" if change == "rename" else SAMPLE_NAME)


def _query(at: AppTest) -> dict[str, str]:
    return {key: value if isinstance(value, str) else value[0] for key, value in at.query_params.items()}


def _on_screen(at: AppTest) -> dict:
    """What the plan on screen depends on, besides the scenario: the what-ifs, free re-plan, balance targets."""
    state = at.session_state
    keys = [*WHAT_IF_DEFAULTS, _state.FREE_REPLAN_KEY, _state.BALANCE_KEY]
    return {key: state[key] if key in state else None for key in keys if key not in ("planner_previous",)}


def test_the_address_bar_shares_exactly_what_is_on_screen(database):
    _, edit, _ = sample_links(database)
    at = session(scenario=edit)
    at.switch_page("pages/plan.py").run()
    team = sorted(k for k in at.session_state if k.startswith("planner_headcount_") and k.endswith("_widget"))[0]
    at.number_input(key=team).set_value(2).run()
    at.toggle(key="planner_free_replan_widget").set_value(True).run()
    at.slider(key="planner_buffer_pct_widget").set_value(15).run()
    at.session_state[_state.BALANCE_KEY] = {"Tech debt": 0.2}  # as the Refinement page holds it
    at.run()
    assert not at.exception
    query = _query(at)
    assert (query["buffer"], query["free"]) == ("15", "true")
    assert json.loads(query["headcount"]) == {team.removeprefix("planner_headcount_").removesuffix("_widget"): 2}
    assert json.loads(query["balance"]) == {"Tech debt": 0.2}

    copy = session(**query)  # someone opens the address bar's link
    copy.switch_page("pages/plan.py").run()
    assert not copy.exception
    assert _on_screen(copy) == _on_screen(at)


def test_picking_another_scenario_puts_its_what_ifs_in_the_address_bar_on_any_page(database):
    scenario_id, edit, _ = sample_links(database)
    with Store(database) as store:
        loaded = store.load(scenario_id)
        values = {**WHAT_IF_DEFAULTS, "planner_sprints": 2, "planner_buffer_pct": 10}
        other = store.duplicate(scenario_id, "Two sprints", settings=with_what_if(loaded.settings, values))
        other_edit = store.links(other).edit
    at = session(scenario=edit, sprints="3", buffer="20")
    at.switch_page("pages/data.py").run()
    assert (_query(at)["sprints"], _query(at)["buffer"]) == ("3", "20")
    keyed(at.selectbox, "planner_scenario_picker").set_value(other).run()
    assert not at.exception
    query = _query(at)
    assert (query["scenario"], query["sprints"], query["buffer"]) == (other_edit, "2", "10")
    assert "free" not in query and "headcount" not in query


def test_an_old_version_shows_its_data_and_what_changed_in_it_since(database):
    scenario_id, edit, _ = sample_links(database)
    with Store(database) as store:
        loaded = store.load(scenario_id)
        ooo = loaded.capacity.ooo
        person = loaded.capacity.people["name"].iloc[0]
        added = pd.concat(
            [
                ooo,
                pd.DataFrame(
                    [{"name": person, "start": pd.Timestamp("2026-03-02"), "end": pd.Timestamp("2026-03-03")}]
                ),
            ],
            ignore_index=True,
        )
        store.replace_tables(
            scenario_id,
            loaded.backlog,
            replace(loaded.capacity, ooo=added),
            based_on=1,
            author="Ana",
            what="OOO edited",
        )
    at = session(scenario=edit)
    at.switch_page("pages/scenarios.py").run()
    assert not at.exception
    [changed] = [e for e in at.expander if e.label.startswith("Data changed from version 1 to now")]
    assert changed.label.endswith("(1)")
    [frame] = [f.value for f in changed.dataframe]
    assert (frame["change"].iloc[0], frame["row"].iloc[0]) == ("added", f"{person} · 2026-03-02")
    [old] = [e for e in at.expander if e.label == "Version 1's data (read-only)"]
    shown = [f.value for f in old.dataframe]
    assert any(len(f) == len(loaded.backlog) and "id" in f.columns for f in shown)  # the backlog
    assert any(len(f) == len(ooo) and {"name", "start"} <= set(f.columns) for f in shown)  # version 1's OOO rows


def test_a_view_session_compares_the_scenario_as_saved_with_its_own_what_ifs(database):
    _, _, view = sample_links(database)
    at = session(view=view)
    at.switch_page("pages/scenarios.py").run()
    at.slider(key="planner_buffer_pct_widget").set_value(30).run()
    assert not at.exception
    values = {plain(metric.label): metric.value for metric in at.metric}
    assert {"as saved", "your what-ifs"} <= set(values)
    assert values["as saved"] != values["your what-ifs"]  # 30 % held back plans less


def test_replacing_the_links_closes_sessions_opened_by_the_old_edit_link_but_not_the_one_replacing_them(database):
    _, edit, _ = sample_links(database)
    watcher, rotator, owner = session(scenario=edit), session(scenario=edit), session()
    for at in (watcher, rotator, owner):
        at.switch_page("pages/plan.py").run()
    click(rotator, "Replace both links")
    assert not rotator.exception
    new_edit = _query(rotator)["scenario"]
    assert new_edit != edit  # the session that replaced them goes on, on the new link
    assert any(metric.label == "Planned value" for metric in rotator.metric)
    watcher.run()
    assert [title.value for title in watcher.title] == ["Scenario not found"]
    assert new_edit not in str(watcher.query_params)  # it never learns the new link
    owner.run()  # opened without a link: the whole app, on the new link
    assert any(metric.label == "Planned value" for metric in owner.metric)
    assert _query(owner)["scenario"] == new_edit
