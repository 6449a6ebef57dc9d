"""What the pages share: the database, the chosen scenario, cached loads and plans, the what-if
sidebar, messages left by callbacks, and the handling of deep links.

Session state keys start with ``planner_`` and are set once in :func:`init_session`. The rules
(what the plan takes, what-ifs, overrides) are the library's: this module only keeps session state
and caches around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal, NamedTuple
from urllib.parse import urlparse

import pandas as pd
import streamlit as st

from planner import scenarios as scenario_what_ifs
from planner.capacity import CapacityResult, CapacitySettings, compute_capacity
from planner.errors import PlannerError
from planner.markdown_escape import markdown_inert
from planner.outputs import positions
from planner.overrides import Override
from planner.planning_backlog import planning_backlog as assemble_planning_backlog
from planner.sample import ensure_sample
from planner.scenarios import WHAT_IF_DEFAULTS
from planner.solve import Changes, PlanResult, SolveOptions, capacity_sprint_names, check_plan_inputs, make_plan
from planner.sprint_values import SprintTreatment
from planner.store import Scenario, ScenarioSummary, Store
from planner.value import VALUE_RULES

SCENARIO_KEY = "planner_scenario_id"
PICKER_KEY = "planner_scenario_picker"
# What-if state that belongs to one scenario: dropped when another scenario is chosen.
_SCENARIO_STATE = (
    "planner_value_rule",
    "planner_headcount",
    "planner_overrides",
    "planner_previous",
    "planner_shown",
    "planner_changes",
    "planner_accepted",
)
FREE_REPLAN_KEY = "planner_free_replan"  # True: plan with no regard for the accepted plan (stable mode off)
ACCEPTED_KEY = "planner_accepted"  # (plan key, result): the plan shown when it was accepted as the baseline
# A slider move must feel instant: a short limit and a 0.5 % gap, reported honestly on the page; the
# "what would make it fit" values are the price estimates, said to be estimates (no re-solve per item).
APP_SOLVE = SolveOptions(time_limit=3.0, gap=0.005, exact_thresholds=False)


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The one database connection of this server process, with the sample saved on first start."""
    database = Store()
    ensure_sample(database)
    return database


def init_session() -> None:
    """Set this session's keys once."""
    st.session_state.setdefault(SCENARIO_KEY, None)
    st.session_state.setdefault(FREE_REPLAN_KEY, False)


# --- deep links ----------------------------------------------------------------------------------------
#
# Why this exists: the product's pages live in a folder named ``pages/``, so Streamlit's own multipage
# fallback is active. On a fresh server, a link straight to a page (``/plan``) runs ``pages/plan.py``
# on its own, without ``app.py``, until ``st.navigation`` has run once: no sidebar, no session keys.
# The two halves below are the whole fix, and nothing else handles deep links:
#
# 1. a page run without the router (:func:`send_to_router_if_alone`, called by :func:`current_scenario`,
#    which every page calls first) notes the page the link asked for and switches to ``app.py``;
# 2. the router, once it has built the navigation, opens that page (:func:`open_requested_page`).
#
# ``tests/test_browser.py`` has the test (a link to a page on a fresh server opens that page).

OPEN_PAGE_KEY = "planner_open_page"  # the page a link asked for before the router first ran


def send_to_router_if_alone() -> None:
    """When this page runs without ``app.py`` (a deep link on a fresh server), run the router first.

    ``init_session`` (called by ``app.py``) sets :data:`SCENARIO_KEY`: without it the router has not run.
    """
    if SCENARIO_KEY not in st.session_state:
        st.session_state[OPEN_PAGE_KEY] = urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
        st.switch_page("app.py")


def open_requested_page(pages: list[Any]) -> None:
    """Open the page a deep link asked for before the router first ran; else nothing."""
    wanted = st.session_state.pop(OPEN_PAGE_KEY, None)
    target = next((page for page in pages if wanted and page.url_path == wanted), None)
    if target is not None:
        st.switch_page(target)


# --- messages a callback leaves for the next run -----------------------------------------------------

FLASH_KEY = "planner_flash"  # [(kind, text)] said once on the next run (after a save, rename ...)


def flash(kind: Literal["success", "error"], text: str) -> None:
    """Leave a message for the page to say on its next run.

    A button callback runs before the page is drawn, and whatever it shows there is lost: it leaves
    the message, and the page says it with :func:`say_flash`.
    """
    st.session_state[FLASH_KEY] = [*st.session_state.get(FLASH_KEY, []), (kind, text)]


def say_flash(*, toast: bool = False) -> None:
    """Say the messages left by :func:`flash`, once: successes (also as a toast with ``toast``), then errors.

    The text is the user's as much as the page's (scenario and file names, error messages): it is
    shown inert, error messages with their line breaks.
    """
    for kind, text in st.session_state.get(FLASH_KEY, []):
        if kind == "success":
            if toast:
                st.toast(markdown_inert(text), icon=":material/check_circle:")
            st.success(markdown_inert(text))
        else:
            st.error(markdown_inert(text, lines=True))
    st.session_state[FLASH_KEY] = []


def scenarios() -> list[ScenarioSummary]:
    """Saved scenarios, newest first."""
    return store().list()


@st.cache_data(max_entries=16, show_spinner=False)
def load_by_id(scenario_id: str, updated_at: str) -> Scenario:
    """A saved scenario, cached; ``updated_at`` is part of the key, so a saved change is never stale."""
    return store().load(scenario_id)


def current_scenario() -> Scenario | None:
    """The scenario picked in the sidebar, or None when there is none."""
    send_to_router_if_alone()
    scenario_id = st.session_state.get(SCENARIO_KEY)
    summary = next((s for s in scenarios() if s.id == scenario_id), None)
    if summary is None:
        return None
    try:
        return load_by_id(summary.id, summary.updated_at.isoformat())
    except PlannerError as error:
        st.error(markdown_inert(error))
        return None


def page_scenario() -> Scenario:
    """The scenario a planning page works on, with the what-if controls drawn; stops the page without one."""
    scenario = current_scenario()
    if scenario is None:
        st.info("No scenario yet: load one on the Data page.")
        st.stop()
    what_if_controls(scenario)
    return scenario


def select_scenario(scenario_id: str) -> None:
    """Make ``scenario_id`` the scenario every page shows, with its saved what-ifs when it has some.

    Call it from a callback: the sidebar picker and sliders are drawn before any page.
    """
    if st.session_state.get(SCENARIO_KEY) != scenario_id:
        _forget_scenario_state()
        summary = next((s for s in scenarios() if s.id == scenario_id), None)
        if summary is not None:
            try:
                restore_what_ifs(scenario_what_ifs.apply_what_if(load(summary).settings))
            except PlannerError as error:
                st.toast(markdown_inert(f"Its saved what-ifs were not used: {error}"))
    st.session_state[SCENARIO_KEY] = scenario_id
    st.session_state[PICKER_KEY] = scenario_id


def restore_what_ifs(values: Mapping[str, Any]) -> None:
    """Put what-if values in place and make the sidebar widgets start from them."""
    state = st.session_state
    state.update(values)
    for key in list(state.keys()):
        if key.startswith("planner_") and key.endswith("_widget"):
            del state[key]


def _forget_scenario_state() -> None:
    for key in _SCENARIO_STATE:
        st.session_state.pop(key, None)


def load(summary: ScenarioSummary) -> Scenario:
    """A saved scenario, from the cache while it is unchanged."""
    return load_by_id(summary.id, summary.updated_at.isoformat())


def _picked() -> None:
    select_scenario(st.session_state[PICKER_KEY])


def scenario_picker() -> None:
    """Sidebar: choose the scenario every page shows."""
    available = scenarios()
    with st.sidebar:
        st.subheader("Scenario")
        if not available:
            st.info("No scenario saved yet.")
            st.session_state[SCENARIO_KEY] = None
            return
        ids = [s.id for s in available]
        names = {s.id: s.name for s in available}
        current = st.session_state.get(SCENARIO_KEY)
        # The widget has its own key: the choice lives in SCENARIO_KEY, which outlasts any rerun
        # in which the widget's state is dropped.
        if current not in ids:  # a new session, or its scenario was deleted: open the newest
            select_scenario(ids[0])
            current = ids[0]
        if st.session_state.get(PICKER_KEY) not in ids:
            st.session_state[PICKER_KEY] = current
        picked = st.selectbox(
            "Scenario",
            ids,
            key=PICKER_KEY,
            on_change=_picked,
            format_func=lambda scenario_id: names[scenario_id],
            label_visibility="collapsed",
        )
        st.session_state[SCENARIO_KEY] = picked
        chosen = next(s for s in available if s.id == st.session_state[SCENARIO_KEY])
        st.caption(f"{chosen.items} items, {chosen.people} people")


# --- planning: what-if settings, cached capacity and plans ------------------------------------------

PLAN_KEYS = WHAT_IF_DEFAULTS


def init_plan_state() -> None:
    """Set the what-if keys once per session (SPEC defaults)."""
    for key, default in PLAN_KEYS.items():
        st.session_state.setdefault(key, default.copy() if isinstance(default, dict) else default)


def _remembered(widget, label: str, key: str, **kwargs):
    """A widget whose value lives in ``key``, which outlasts pages that do not show the widget.

    Streamlit drops a widget's own state on a page without it; the value is copied to a plain key
    and handed back as the widget's starting value.
    """
    value = widget(label, value=st.session_state[key], key=f"{key}_widget", **kwargs)
    st.session_state[key] = value
    return value


def what_if_controls(scenario: Scenario) -> None:
    """Sidebar: the what-if sliders shared by the Capacity and Plan pages."""
    init_plan_state()
    state = st.session_state
    sprints = int(scenario.capacity.sprints["sprint"].notna().sum())
    if state["planner_value_rule"] is None:
        state["planner_value_rule"] = scenario.settings.get("value_rule", "one")
    with st.sidebar:
        st.subheader("What if")
        _remembered(
            st.slider,
            "Sprints to plan",
            "planner_sprints",
            min_value=1,
            max_value=max(sprints, 1) if sprints > 1 else 6,
        )
        has_velocity = bool(scenario.capacity.teams["velocity"].notna().any())
        if has_velocity:
            units = ["days", "points"]
            state["planner_unit"] = st.radio(
                "Effort unit",
                units,
                index=units.index(state["planner_unit"]),
                horizontal=True,
                key="planner_unit_widget",
                help="Points use each team's velocity, scaled by availability",
            )
        else:
            state["planner_unit"] = "days"
        _remembered(
            st.slider,
            "Capacity %",
            "planner_capacity_pct",
            min_value=50,
            max_value=150,
            step=5,
            help="Everyone's net capacity, scaled",
        )
        # Velocity is observed output, already net of focus: in points the focus factor does not apply.
        in_points = state["planner_unit"] == "points"
        focus_help = "Days only: velocity is already net of focus" if in_points else None
        use_team = _remembered(
            st.toggle, "Each team's own focus factor", "planner_use_team_focus", disabled=in_points, help=focus_help
        )
        _remembered(
            st.slider,
            "Focus factor",
            "planner_focus",
            min_value=0.5,
            max_value=1.0,
            step=0.05,
            disabled=use_team or in_points,
            help=focus_help,
        )
        _remembered(
            st.slider,
            "Buffer %",
            "planner_buffer_pct",
            min_value=0,
            max_value=50,
            step=5,
            help="Held back for the unplanned",
        )
        _remembered(
            st.slider,
            "On-call load",
            "planner_oncall_load",
            min_value=0.0,
            max_value=1.0,
            step=0.1,
            help="Share of an on-call day lost to on-call, where the rotation gives no load",
        )
        rules = list(VALUE_RULES)
        rule = st.selectbox(
            "Value of an item",
            rules,
            index=rules.index(state["planner_value_rule"]),
            key="planner_value_rule_widget",
            format_func=lambda r: VALUE_RULES[r],
        )
        state["planner_value_rule"] = rule
        with st.expander("Headcount"):
            for team in sorted(scenario.capacity.people["team"].dropna().unique()):
                # A label is Markdown: a team named like a link or an image must show as written.
                delta = st.number_input(
                    markdown_inert(team),
                    -10,
                    10,
                    value=state["planner_headcount"].get(team, 0),
                    step=1,
                    key=f"planner_headcount_{team}_widget",
                )
                state["planner_headcount"][team] = int(delta)


def session_what_ifs() -> dict[str, Any]:
    """The what-ifs this session holds (the keys of WHAT_IF_DEFAULTS it has set), as saved or summarised."""
    return {key: st.session_state[key] for key in WHAT_IF_DEFAULTS if key in st.session_state}


def capacity_settings() -> CapacitySettings:
    """The capacity what-ifs as the sliders have them."""
    return scenario_what_ifs.capacity_settings(st.session_state)


@st.cache_data(max_entries=64, show_spinner=False)
def capacity_for(scenario_id: str, updated_at: str, settings: CapacitySettings) -> CapacityResult:
    """Net capacity of a saved scenario under the what-ifs (cached: a slider move recomputes once)."""
    scenario = load_by_id(scenario_id, updated_at)
    return compute_capacity(scenario.capacity, settings)


class PlanKey(NamedTuple):
    """Everything a plan depends on, in :func:`plan_for`'s order: the key of its cached plan."""

    scenario_id: str
    updated_at: str
    settings: CapacitySettings
    value_rule: str
    overrides: tuple[tuple[str, Override], ...]
    previous: tuple[tuple[str, tuple[str, str]], ...]
    balance: tuple[tuple[str, float], ...]


@st.cache_data(max_entries=64, show_spinner=False)
def plan_for(
    scenario_id: str,
    updated_at: str,
    settings: CapacitySettings,
    value_rule: str,
    overrides: tuple[tuple[str, Override], ...],
    previous: tuple[tuple[str, tuple[str, str]], ...],
    balance: tuple[tuple[str, float], ...] = (),
) -> PlanResult:
    """The plan under the what-ifs, pins, value rule and balance targets (cached by all of them).

    Raises :class:`~planner.errors.InputError` for a backlog no plan can be made from (a Must item
    pinned to a sprint the capacity file does not have), as the command line does.
    """
    scenario = load_by_id(scenario_id, updated_at)
    backlog = planning_backlog_of(scenario, value_rule, overrides)
    files = scenario.settings.get("files") or {}
    check_plan_inputs(backlog, capacity_sprint_names(scenario.capacity), file=files.get("backlog") or "backlog")
    net = capacity_for(scenario_id, updated_at, settings)
    options = replace(APP_SOLVE, previous=dict(previous) or None, balance=dict(balance) or None)
    return make_plan(backlog, net, options=options)


def planning_backlog_of(
    scenario: Scenario, value_rule: str, overrides: tuple[tuple[str, Override], ...]
) -> pd.DataFrame:
    """The scenario's backlog as the plan takes it: the value rule, its treatment of sprint names, the overrides."""
    return assemble_planning_backlog(scenario.backlog, value_rule, overrides, sprints=sprint_treatment(scenario))


def sprint_treatment(scenario: Scenario) -> SprintTreatment:
    """The scenario's treatment of sprint names as chosen on the Data page (the defaults when none or unusable)."""
    names = capacity_sprint_names(scenario.capacity)
    try:
        return SprintTreatment.from_settings(names, scenario.settings)
    except PlannerError:
        return SprintTreatment(names)


def planning_backlog(scenario: Scenario) -> pd.DataFrame:
    """The scenario's planning backlog under this session's value rule and overrides, as the plan sees it."""
    arguments = scenario_what_ifs.plan_arguments(st.session_state, scenario.settings)
    return planning_backlog_of(scenario, arguments.value_rule, arguments.overrides)


BALANCE_KEY = "planner_balance"  # item type -> least share of planned effort, set on the Refinement page


def plan_key(scenario: Scenario) -> PlanKey:
    """This session's inputs to the plan of ``scenario``: what-ifs, value rule, pins, baseline, balance targets.

    Read from session state here, outside any cached function: a cached result is keyed by all of them.
    The baseline (the accepted plan, ``planner_previous``) is part of the key in stable mode; with
    "Free re-plan" on it is left out, and the plan is made with no regard for it.
    """
    arguments = scenario_what_ifs.plan_arguments(st.session_state, scenario.settings)
    if st.session_state.get(FREE_REPLAN_KEY):
        arguments = arguments._replace(previous=())
    balance = tuple(sorted(st.session_state.get(BALANCE_KEY, {}).items()))
    return PlanKey(scenario.id, scenario.updated_at.isoformat(), *arguments, balance)


def plan_for_key(key: PlanKey) -> PlanResult:
    """The plan of ``key``: the plan shown when it was accepted as the baseline, else :func:`plan_for`.

    Accepting the plan on screen makes it the baseline, which changes the key; with the other inputs
    unchanged, the plan is the one accepted, with no change, rather than a new solve.
    """
    accepted = st.session_state.get(ACCEPTED_KEY)
    if accepted is not None and accepted[0] == key:
        return accepted[1]
    return plan_for(*key)


def accept_plan(key: PlanKey, result: PlanResult, updated_at: str | None = None) -> None:
    """Make ``result`` (the plan of ``key``, on screen) the baseline that stable re-plans keep.

    ``updated_at``: the scenario's, when accepting saved the plan with it (which changes it).
    """
    plan = positions(result)
    st.session_state["planner_previous"] = dict(plan)
    accepted_key = key._replace(
        updated_at=updated_at or key.updated_at,
        previous=tuple(sorted((item, tuple(where)) for item, where in plan.items())),
    )
    unchanged = Changes()
    kept = replace(
        result,
        changes=unchanged,
        free_objective=result.free_objective if result.free_objective is not None else result.objective,
        free_changes=unchanged if result.changes is None else None,
    )
    st.session_state[ACCEPTED_KEY] = (accepted_key, kept)


def save_accepted_plan(scenario: Scenario, key: PlanKey, result: PlanResult) -> None:
    """Button callback: accept the plan on screen as the baseline and keep it with the scenario.

    The plan is saved in the scenario's settings (:func:`planner.scenarios.with_accepted_plan`); when
    that fails the plan is still the baseline for this session, and the message says so.
    """
    plan = positions(result)
    try:
        store().save_settings(scenario.id, scenario_what_ifs.with_accepted_plan(scenario.settings, plan))
    except PlannerError as error:
        accept_plan(key, result)
        flash("error", f"The plan is the baseline for this session, but it was not saved: {error}")
        return
    summary = next((s for s in scenarios() if s.id == scenario.id), None)
    accept_plan(key, result, summary.updated_at.isoformat() if summary is not None else None)
    flash("success", f"This plan ({len(plan)} items) is the baseline: re-plans keep it where they can.")


def current_plan(scenario: Scenario) -> PlanResult:
    """Solve (or reuse) the plan for the current scenario, what-ifs and balance targets."""
    return plan_for_key(plan_key(scenario))
