"""Scenarios: save the what-ifs as a scenario, manage the saved ones, compare their plans side by side.

- **Save the what-ifs**: the sidebar's what-ifs (the same as on the Capacity and Plan pages, with the
  Plan page's pins and MoSCoW changes) are saved with a copy of the current scenario, under
  ``settings["what_if"]`` (see :mod:`planner.scenarios`), and the copy becomes the current scenario.
  A scenario with saved what-ifs can put them back into the sliders.
- **Manage**: every saved scenario in a table; rename, duplicate or delete one (delete asks first, and
  moves the scenario to the bin).
- **Bin**: deleted scenarios, each restorable by anyone, as it was.
- **Compare**: two or more scenarios, each planned with its own saved what-ifs (the defaults when it
  has none): how the plans did, how full each team is, the items that differ from the first scenario
  and the value planned per initiative.

Changes happen in button callbacks: they run before the next script run, the only moment the sidebar
picker (drawn by ``app.py`` before this page) can still be pointed at another scenario. User text
reaches Markdown only through :mod:`planner.markdown_escape`; tables are ``st.dataframe``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from pages import _state
from planner.cells import is_blank
from planner.errors import PlannerError
from planner.markdown_escape import markdown_code, markdown_format, markdown_inert
from planner.scenarios import (
    apply_what_if,
    initiative_values,
    metrics_table,
    plan_differences,
    saved_what_if,
    scenario_labels,
    scenario_table,
    utilisation_table,
    what_if_json,
    what_if_summary,
    with_what_if,
)
from planner.schema import CAPACITY_SHEETS
from planner.solve import PlanResult
from planner.store import BIN_DAYS, Scenario, ScenarioSummary
from planner.table_changes import scenario_table_changes

SAVE_NAME = "planner_scenarios_save_name"
MANAGE = "planner_scenarios_manage"
MANAGE_FOR = "planner_scenarios_manage_for"  # the current scenario when MANAGE was last set to it
CONFIRM_DELETE = "planner_scenarios_confirm_delete"
RESTORE = "planner_scenarios_restore"  # the scenario chosen in the bin
COMPARE = "planner_scenarios_compare"  # the scenarios compared: outlasts pages without the widget
COMPARE_FOR = "planner_scenarios_compare_for"  # the current scenario when COMPARE was last chosen
COMPARE_WIDGET = "planner_scenarios_compare_widget"
HISTORY_VERSION = "planner_scenarios_history_version"  # the old version opened read-only
# The sidebar widgets showing the what-ifs (pages/_state.what_if_controls): dropped when the what-ifs
# are restored, so they start again from the restored values.


# --- callbacks -------------------------------------------------------------------------------------


def _summary(values: Mapping[str, Any], scenario: Scenario) -> str:
    """The what-ifs in a few words; the value rule only when it is not the scenario's own."""
    return what_if_summary(values, scenario.settings.get("value_rule"))


def _save_what_ifs(scenario: Scenario, suggested: str) -> None:
    """Button callback: copy the current scenario with the session's what-ifs, and show the copy."""
    name = str(st.session_state.get(SAVE_NAME) or "").strip() or suggested
    values = _state.session_what_ifs()
    try:
        # The what-ifs are checked before anything is written; the copy is made with them, in one write.
        copy_id = _state.store().duplicate(
            scenario.id, name, settings=with_what_if(scenario.settings, values), author=_state.author()
        )
    except PlannerError as error:
        _state.flash("error", f"Nothing was saved: {error}")
        return
    st.session_state[SAVE_NAME] = ""
    _state.select_scenario(copy_id)
    _state.flash("success", f"Saved the scenario {name} with these what-ifs: {_summary(values, scenario)}.")


def _save_into(scenario: Scenario) -> None:
    """Button callback: keep the session's what-ifs in the current scenario itself."""
    values = _state.session_what_ifs()
    try:
        what_if_json(values)  # checked before anything is written
    except PlannerError as error:
        _state.flash("error", f"Nothing was saved: {error}")
        return
    summary = _summary(values, scenario)
    if (
        _state.save_settings_change(
            scenario, lambda settings: with_what_if(settings, values), f"what-ifs saved: {summary}"
        )
        is None
    ):
        return
    _state.flash("success", f"Saved these what-ifs into {scenario.name}: {_summary(values, scenario)}.")


def _use_saved(scenario: Scenario) -> None:
    """Button callback: put the scenario's saved what-ifs back into the sliders and pins."""
    try:
        values = apply_what_if(scenario.settings)
    except PlannerError as error:
        _state.flash("error", str(error))
        return
    _state.restore_what_ifs(values)
    _state.flash("success", f"Using the what-ifs saved with {scenario.name}: {_summary(values, scenario)}.")


def _rename(scenario_id: str, old_name: str, name_key: str, version: int) -> None:
    name = str(st.session_state.get(name_key) or "").strip()
    store = _state.store()

    def rename(based_on: int) -> int:
        return store.rename(scenario_id, name, based_on=based_on, author=_state.author())

    if _state.save_write(
        scenario_id, f"renamed to {name}", lambda: rename(version), _state.on_the_newest(scenario_id, rename)
    ):
        _state.flash("success", f"Renamed {old_name} to {name}.")


def _duplicate(scenario_id: str, name_key: str) -> None:
    name = str(st.session_state.get(name_key) or "").strip()
    try:
        _state.store().duplicate(scenario_id, name, author=_state.author())
    except PlannerError as error:
        _state.flash("error", f"Not duplicated: {error}")
        return
    _state.flash("success", f"Saved the copy {name}; pick it in the sidebar to work on it.")


def _ask_delete(scenario_id: str) -> None:
    st.session_state[CONFIRM_DELETE] = scenario_id


def _cancel_delete() -> None:
    st.session_state.pop(CONFIRM_DELETE, None)


def _delete(scenario_id: str, name: str, version: int) -> None:
    """Button callback (after the confirmation): move a scenario to the bin; if it was current, show the newest left.

    Refused, saying what changed, when someone changed the scenario since the page showed it.
    """
    state = st.session_state
    state.pop(CONFIRM_DELETE, None)
    store = _state.store()

    def delete(based_on: int) -> int:
        return store.delete(scenario_id, based_on=based_on, author=_state.author())

    if not _state.save_write(
        scenario_id, f"delete {name}", lambda: delete(version), _state.on_the_newest(scenario_id, delete)
    ):
        return
    try:
        left = store.list()
    except PlannerError as error:
        _state.flash("error", f"Deleted, but the scenario list could not be read: {error}")
        return
    state.pop(MANAGE, None)
    state[RESTORE] = scenario_id
    if state.get(_state.SCENARIO_KEY) == scenario_id:
        if left:
            _state.select_scenario(left[0].id)
        else:
            state[_state.SCENARIO_KEY] = None
            state.pop(_state.PICKER_KEY, None)
    _state.flash("success", f"Moved the scenario {name} to the bin: restore it from the bin below.")


def _restore(scenario_id: str, name: str, version: int) -> None:
    """Button callback: bring a scenario back from the bin and make it the current one."""
    store = _state.store()

    def restore(based_on: int) -> int:
        return store.restore(scenario_id, based_on=based_on, author=_state.author())

    if not _state.save_write(
        scenario_id,
        f"restore {name} from the bin",
        lambda: restore(version),
        _state.on_the_newest(scenario_id, restore),
    ):
        return
    st.session_state.pop(RESTORE, None)
    _state.select_scenario(scenario_id)
    _state.flash("success", f"Restored the scenario {name}; it is the current scenario.")


# --- the sections ------------------------------------------------------------------------------------


def save_section(scenario: Scenario) -> None:
    st.subheader("Save the current what-ifs as a scenario")
    values = _state.session_what_ifs()
    summary = _summary(values, scenario)
    st.caption(
        markdown_inert(
            f"The what-ifs in the sidebar and the Plan page's pins and MoSCoW changes: {summary}. "
            f"A new scenario is a copy of {scenario.name} holding them, and becomes the current scenario."
        )
    )
    suggested = f"{scenario.name}: {summary}"
    st.text_input(
        "Name of the new scenario", key=SAVE_NAME, placeholder=suggested, help="Left blank: the suggested name shown"
    )
    with st.container(horizontal=True):
        st.button(
            "Save as a new scenario",
            type="primary",
            icon=":material/save:",
            on_click=_save_what_ifs,
            args=(scenario, suggested),
        )
        st.button(
            "Save into this scenario",
            icon=":material/save_as:",
            on_click=_save_into,
            args=(scenario,),
            help="Keep these what-ifs with the current scenario instead of a copy",
        )

    saved = saved_what_if(scenario.settings)
    if saved is None:
        return
    try:
        restored = apply_what_if(scenario.settings)
    except PlannerError as error:
        st.warning(markdown_inert(f"This scenario's saved what-ifs cannot be used: {error}"))
        return
    try:
        same = what_if_json(values) == what_if_json(restored)
    except PlannerError:
        same = False
    st.info(
        markdown_inert(
            f"{scenario.name} has saved what-ifs: {_summary(restored, scenario)}."
            + (" The sidebar shows them." if same else " The sidebar differs.")
        ),
        icon=":material/bookmark:",
    )
    st.button(
        "Use this scenario's saved what-ifs",
        icon=":material/restore:",
        on_click=_use_saved,
        args=(scenario,),
        disabled=same,
    )


def manage_section(available: list[ScenarioSummary], labels: dict[str, str], current: str) -> None:
    st.subheader("Manage the saved scenarios")
    st.dataframe(
        scenario_table(available, current),
        hide_index=True,
        column_config={
            "updated": st.column_config.DatetimeColumn("updated (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "created": st.column_config.DatetimeColumn("created (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "current": st.column_config.CheckboxColumn("current"),
        },
    )
    ids = [s.id for s in available]
    state = st.session_state
    # The current scenario, unless another was chosen since it became current (or the one chosen is gone).
    widget_key = _state.labelled_key(MANAGE, labels)
    if state.get(MANAGE) not in ids or state.get(MANAGE_FOR) != current:
        state[MANAGE] = current
        state[MANAGE_FOR] = current
        state[widget_key] = current
    elif widget_key not in state:  # the names changed: the new widget starts from the choice kept
        state[widget_key] = state[MANAGE]
    chosen_id = st.selectbox("Scenario to change", ids, key=widget_key, format_func=lambda i: labels[i])
    state[MANAGE] = chosen_id
    chosen = next(s for s in available if s.id == chosen_id)

    rename_column, copy_column, delete_column = st.columns(3, vertical_alignment="bottom")
    with rename_column:
        # Per version: after any change (a rename here or elsewhere, an undo) the box shows the name as it is.
        rename_key = f"planner_scenarios_rename_{chosen.id}_{chosen.version}"
        st.text_input("New name", value=chosen.name, key=rename_key)
        st.button(
            "Rename",
            icon=":material/edit:",
            on_click=_rename,
            args=(chosen.id, chosen.name, rename_key, chosen.version),
        )
    with copy_column:
        copy_key = f"planner_scenarios_copy_{chosen.id}_{chosen.version}"  # follows a rename, as the name box does
        st.text_input("Name of the copy", value=f"{chosen.name} (copy)", key=copy_key)
        st.button("Duplicate", icon=":material/content_copy:", on_click=_duplicate, args=(chosen.id, copy_key))
    with delete_column:
        if state.get(CONFIRM_DELETE) != chosen.id:
            st.button("Delete…", icon=":material/delete:", on_click=_ask_delete, args=(chosen.id,))
    if state.get(CONFIRM_DELETE) == chosen.id:
        st.warning(
            markdown_inert(
                f"Delete {chosen.name} with its backlog, capacity and saved what-ifs? It goes "
                f"to the bin, where anyone can restore it for {BIN_DAYS} days."
            ),
            icon=":material/warning:",
        )
        yes, no = st.columns(2)
        yes.button(
            "Move to the bin",
            type="primary",
            icon=":material/delete:",
            on_click=_delete,
            args=(chosen.id, chosen.name, chosen.version),
        )
        no.button("Cancel", on_click=_cancel_delete)


def compare_section(available: list[ScenarioSummary], labels: dict[str, str], current: str) -> None:
    st.subheader("Compare scenarios")
    st.caption(
        "Each scenario is planned with its own saved what-ifs, or the default ones when it has none; "
        "slider moves not saved are not used. The first one chosen is the one the others are compared with."
    )
    ids = [s.id for s in available]
    state = st.session_state
    # The widget's value when it is on screen, else the choice kept from an earlier visit.
    widget_key = _state.labelled_key(COMPARE_WIDGET, labels)
    kept = state[widget_key] if widget_key in state else state.get(COMPARE)
    chosen = [i for i in kept or [] if i in ids]
    # The current scenario and the newest other, unless a choice was made that still holds the current one.
    if kept is None or (state.get(COMPARE_FOR) != current and current not in chosen):
        chosen = [current, *[i for i in ids if i != current][:1]]
    state[COMPARE_FOR] = current
    state[widget_key] = chosen
    chosen = st.multiselect("Scenarios", ids, key=widget_key, format_func=lambda i: labels[i])
    state[COMPARE] = chosen
    if len(chosen) < 2:
        st.info("Choose two or more scenarios to compare.")
        return

    by_id = {s.id: s for s in available}
    results, backlogs, what_ifs, rules = {}, {}, {}, {}
    with st.spinner("Planning each scenario…"):
        for scenario_id in chosen:
            label = labels[scenario_id]
            summary = by_id[scenario_id]
            try:
                scenario = _state.load(summary)
                values, arguments, result = _state.saved_what_if_plan(scenario)
            except PlannerError as error:
                st.error(markdown_inert(f"{label}: {error}"))
                continue
            if result.status in ("infeasible", "error"):
                st.warning(markdown_format("{}: ", label) + (markdown_code(result.message) or "no plan could be made."))
            results[label], backlogs[label] = result, scenario.backlog
            what_ifs[label], rules[label] = values, arguments.value_rule
    if len(results) < 2:
        st.info("Fewer than two of them could be planned: nothing to compare.")
        return
    show_comparison(results, backlogs, what_ifs, rules)


def view_compare_section(scenario: Scenario) -> None:
    """A view session's comparison: the scenario as saved beside this browser's own what-ifs and pins."""
    st.subheader("Compare")
    st.caption("The scenario at its saved what-ifs beside the what-ifs and pins you set here (kept in this browser).")
    try:
        saved_values, saved_arguments, saved_plan = _state.saved_what_if_plan(scenario)
        mine = _state.current_plan(scenario)
    except PlannerError as error:
        st.error(markdown_inert(error))
        return
    saved_label, mine_label = "as saved", "your what-ifs"
    show_comparison(
        {saved_label: saved_plan, mine_label: mine},
        {saved_label: scenario.backlog, mine_label: scenario.backlog},
        {saved_label: saved_values, mine_label: _state.session_what_ifs()},
        {saved_label: saved_arguments.value_rule, mine_label: _state.plan_key(scenario).value_rule},
    )


def show_comparison(
    results: dict[str, PlanResult],
    backlogs: dict[str, pd.DataFrame],
    what_ifs: dict[str, Mapping[str, Any]],
    rules: dict[str, str],
) -> None:
    """Plans side by side (by label, the first the one the others are compared with): values, fill, differences."""
    first = next(iter(results))
    metrics = metrics_table(results, what_ifs, rules)
    columns = st.columns(min(len(results), 4))
    base = metrics["planned value"].iloc[0]
    for position, (label, planned) in enumerate(zip(metrics["scenario"], metrics["planned value"])):
        compared = position > 0 and not is_blank(planned) and not is_blank(base)
        columns[position % len(columns)].metric(
            markdown_inert(label),
            "-" if is_blank(planned) else f"{planned:,.0f}",
            delta=f"{planned - base:+,.0f}" if compared else None,
            help=markdown_inert(f"Planned value; the change is against {first}"),
        )
    if len(set(rules.values())) > 1:
        st.warning("The scenarios value items by different rules: their planned values do not compare.")
    number = st.column_config.NumberColumn
    st.dataframe(
        metrics,
        hide_index=True,
        column_config={
            "planned value": number(format="%.0f"),
            "rank-and-fill": number(format="%.0f"),
            "gain": number(format="%+.0f"),
            "gap": number(format="percent"),
            "seconds": number(format="%.2f"),
        },
    )

    st.markdown("**How full each team is** (planned load / net capacity over the sprints planned)")
    utilisation = utilisation_table(results)
    st.dataframe(utilisation, column_config={label: number(label, format="percent") for label in utilisation.columns})

    st.markdown(markdown_format("**Items that differ from {}**", first))
    for label in list(results)[1:]:
        differences = plan_differences(results[first], results[label], backlogs[label], first, label)
        title = f"{first} vs {label}: {len(differences)} item{'s' if len(differences) != 1 else ''}"
        with st.expander(markdown_inert(title), expanded=len(results) == 2):
            if differences.empty:
                st.caption("The same items, in the same teams and sprints.")
            else:
                st.dataframe(
                    differences,
                    hide_index=True,
                    column_config={
                        "first": st.column_config.TextColumn(first),
                        "other": st.column_config.TextColumn(label),
                    },
                )

    st.markdown("**Value planned per initiative**")
    values = initiative_values(results, backlogs)
    order = list(results)
    st.altair_chart(
        alt.Chart(values)
        .mark_bar()
        .encode(
            y=alt.Y("initiative:N", title=None),
            yOffset=alt.YOffset("scenario:N", sort=order),
            x=alt.X("value:Q", title="planned value"),
            color=alt.Color("scenario:N", sort=order, title="scenario", legend=alt.Legend(orient="bottom")),
            tooltip=["scenario", "initiative", alt.Tooltip("value:Q", format=",.0f")],
        )
    )


def bin_section() -> None:
    """Deleted scenarios, newest first, each restorable as it was (not for a view session: it changes nothing)."""
    if not _state.can_edit():
        return
    store = _state.store()
    store.purge_expired()
    binned = store.binned()
    with st.expander(
        f"Bin ({len(binned)} deleted scenario{'s' if len(binned) != 1 else ''})", icon=":material/delete:"
    ):
        if not binned:
            st.caption(
                f"Nothing deleted. A deleted scenario comes here, and anyone can restore it for {BIN_DAYS} days."
            )
            return
        st.dataframe(
            pd.DataFrame(
                [{"name": s.name, "items": s.items, "people": s.people, "deleted": s.deleted_at} for s in binned]
            ),
            hide_index=True,
            column_config={
                "deleted": st.column_config.DatetimeColumn("deleted (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            },
        )
        names = {s.id: s.name for s in binned}
        versions = {s.id: s.version for s in binned}
        if st.session_state.get(RESTORE) not in names:
            st.session_state[RESTORE] = binned[0].id
        chosen = st.selectbox("Scenario to restore", list(names), key=RESTORE, format_func=names.__getitem__)
        st.button(
            "Restore",
            icon=":material/restore_from_trash:",
            on_click=_restore,
            args=(chosen, names[chosen], versions[chosen]),
        )


def _restore_version(scenario: Scenario, version: int) -> None:
    """Button callback: make an old version the current one again (itself a new version)."""
    store = _state.store()

    def restore(based_on: int) -> int:
        return store.restore_version(scenario.id, version, based_on=based_on, author=_state.author())

    restored = _state.save_write(
        scenario.id,
        f"bring back version {version}",
        lambda: restore(scenario.version),
        _state.on_the_newest(scenario.id, restore),
    )
    if restored is None:
        return
    st.session_state.pop(HISTORY_VERSION, None)
    _state.flash("success", f"Version {version} of {scenario.name} is back, as a new version.")


def history_section(scenario: Scenario) -> None:
    """Every version of the current scenario; one opened read-only beside the current one, and restorable."""
    st.subheader("History")
    try:
        versions = _state.store().history(scenario.id)
    except PlannerError as error:
        st.error(markdown_inert(error))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {"version": v.version, "when": v.changed_at, "who": v.author or "-", "what": v.what}
                for v in reversed(versions)
            ]
        ),
        hide_index=True,
        height=min(36 * (len(versions) + 1) + 2, 280),
        column_config={"when": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm:ss")},
    )
    older = [v for v in reversed(versions) if v.version != scenario.version]
    if not older:
        st.caption("One version so far: every change makes a new one.")
        return
    whats = {v.version: v.what for v in versions}
    if st.session_state.get(HISTORY_VERSION) not in whats or st.session_state.get(HISTORY_VERSION) == scenario.version:
        st.session_state[HISTORY_VERSION] = older[0].version
    chosen = st.selectbox(
        "Open a version (read-only)",
        [v.version for v in older],
        key=HISTORY_VERSION,
        format_func=lambda version: f"version {version}: {whats[version]}",
    )
    try:
        then = _state.load_by_id(scenario.id, chosen)
        then_values, _, then_plan = _state.saved_what_if_plan(then)
        now_values, _, now_plan = _state.saved_what_if_plan(scenario)
    except PlannerError as error:
        st.error(markdown_inert(error))
        return
    then_label, now_label = f"version {chosen}", f"now (version {scenario.version})"
    left, right = st.columns(2)
    for column, label, shown, values, plan in (
        (left, then_label, then, then_values, then_plan),
        (right, now_label, scenario, now_values, now_plan),
    ):
        column.metric(
            f"Planned value, {label}",
            f"{plan.objective:,.0f}" if plan.status in ("optimal", "feasible") else "-",
            help="At the what-ifs saved with that version",
        )
        column.caption(
            markdown_inert(
                f"{shown.name}: {len(shown.backlog)} items, {len(shown.capacity.people)} people; "
                f"what-ifs: {_summary(values, shown)}."
            )
        )
    differences = plan_differences(now_plan, then_plan, then.backlog, now_label, then_label)
    with st.expander(f"Items planned differently ({len(differences)})", expanded=False):
        st.dataframe(differences, hide_index=True)
    data_changes = _data_changes(scenario.id, chosen, scenario.version)
    count = sum(len(frame) for frame in data_changes.values())
    with st.expander(f"Data changed from version {chosen} to now ({count})", expanded=False):
        if not data_changes:
            st.caption("The backlog and the capacity sheets are the same in both versions.")
        for table, frame in data_changes.items():
            st.markdown(f"**{TABLE_TITLES.get(table, table)}**: {len(frame)} change{'s' if len(frame) != 1 else ''}")
            st.dataframe(frame, hide_index=True)
    with st.expander(f"Version {chosen}'s data (read-only)", expanded=False):
        tables = {
            "Backlog": then.backlog,
            **{TABLE_TITLES[name]: getattr(then.capacity, name) for name in CAPACITY_SHEETS},
        }
        for tab, frame in zip(st.tabs(list(tables)), tables.values()):
            tab.dataframe(frame, hide_index=True)
    if _state.can_edit():
        st.button(
            f"Restore version {chosen}",
            icon=":material/history:",
            on_click=_restore_version,
            args=(scenario, chosen),
            help="Its data and settings become the current ones, as a new version; nothing is lost",
        )


TABLE_TITLES = {
    "backlog": "Backlog",
    "people": "People",
    "sprints": "Sprints",
    "ooo": "OOO",
    "oncall": "On-call",
    "holidays": "Holidays",
    "teams": "Teams",
}


@st.cache_data(max_entries=32, show_spinner=False)
def _data_changes(scenario_id: str, then_version: int, now_version: int) -> dict[str, pd.DataFrame]:
    """What differs between two versions' tables (cached: versions never change)."""
    return scenario_table_changes(
        _state.load_by_id(scenario_id, then_version), _state.load_by_id(scenario_id, now_version)
    )


# --- the page ----------------------------------------------------------------------------------------

scenario = _state.current_scenario()
st.title("Scenarios")
_state.say_flash()
if scenario is None:
    st.info("No scenario yet: load one on the Data page.")
    bin_section()
    st.stop()
_state.what_if_controls(scenario)
if not _state.can_edit():  # a view link: this scenario's history, nothing that changes it, no other scenario
    st.caption("View only: this scenario's history and versions; saving and other scenarios need the edit link.")
    history_section(scenario)
    st.divider()
    view_compare_section(scenario)
    st.stop()
available = _state.scenarios()
labels = scenario_labels(available)

save_section(scenario)
st.divider()
history_section(scenario)
st.divider()
manage_section(available, labels, scenario.id)
st.divider()
compare_section(available, labels, scenario.id)
st.divider()
bin_section()
