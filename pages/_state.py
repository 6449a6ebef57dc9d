"""What the pages share: the database, the chosen scenario, cached loads and plans, the what-if
sidebar, messages left by callbacks, and the handling of deep links.

Session state keys start with ``planner_`` and are set once in :func:`init_session`. The rules
(what the plan takes, what-ifs, overrides) are the library's: this module only keeps session state
and caches around them.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, NamedTuple, NoReturn
from urllib.parse import quote, unquote, urlparse

import pandas as pd
import streamlit as st

import planner
from planner import scenarios as scenario_what_ifs
from planner.capacity import CapacityResult, CapacitySettings, compute_capacity
from planner.errors import PlannerError, SolveWithdrawn, VersionConflict
from planner.markdown_escape import markdown_inert
from planner.outputs import positions
from planner.overrides import Override
from planner.planning_backlog import planning_backlog as assemble_planning_backlog
from planner.sample import ensure_sample
from planner.scenarios import WHAT_IF_DEFAULTS
from planner.schema import CapacityTables
from planner.settings_merge import merge_settings
from planner.solve import (
    BackgroundSolves,
    Changes,
    PlanResult,
    SolveOptions,
    SolveWorkers,
    capacity_sprint_names,
    check_plan_inputs,
    make_plan,
    plan_from_json,
    plan_to_json,
    planned_json,
)
from planner.sprint_values import SprintTreatment
from planner.store import Scenario, ScenarioSummary, Store
from planner.value import VALUE_RULES

RUN_KEY = "planner_run"  # the number of this session's full runs (app.py), to read some things once a run
APP_RERUN_KEY = "planner_app_rerun"  # set by rerun_for_the_page: the next full run is the app's, not the user's
APP_RUN_KEY = "planner_app_run"  # whether this full run is the app's own (a plan or a change arrived)
SCENARIO_LIST_KEY = "planner_scenario_list"  # ((run, store writes), scenarios) read in that run
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
PLAN_TABS_KEY = "planner_plan_tabs"  # the Plan page's open tab (only the open tab is drawn)
FREE_REPLAN_KEY = "planner_free_replan"  # True: plan with no regard for the accepted plan (stable mode off)
ACCEPTED_KEY = "planner_accepted"  # (plan key, result): the plan shown when it was accepted as the baseline
# A slider move must feel instant: a short limit and a 0.5 % gap, reported honestly on the page; the
# "what would make it fit" values are the price estimates, said to be estimates (no re-solve per item).
# A plan stopped by the limit is kept with the scenario version (plan_for): still one plan per input.
APP_SOLVE = SolveOptions(time_limit=3.0, gap=0.005, exact_thresholds=False)
# The plan of a scenario at its saved what-ifs (what Plan shows on opening it, Compare and Export) is
# "the scenario's plan": solved as the command line solves it (its time limit and gap), so the number
# is the command line's whenever it proves the plan, whatever the machine's load.
SCENARIO_SOLVE = replace(APP_SOLVE, time_limit=SolveOptions().time_limit, gap=SolveOptions().gap)
# The plan first, the proof after: a slider move shows the plan of a short HiGHS solve at once (on
# the sample over 3 sprints, 98-99.9 % of the best plan in 0.3 s), kept with its inputs, while the
# APP_SOLVE plan is made in the background; when it is kept, every page shows it instead.
QUICK_SOLVE = replace(APP_SOLVE, time_limit=0.3, solver="highs")
BACKGROUND_KEY = "planner_background"  # the name of the full plan this session last asked the queue for
AHEAD_KEY = "planner_planned_ahead"  # the plan keys whose neighbouring slider positions this session had planned
AHEAD_LAST_KEY = "planner_planned_ahead_last"  # the plan key last planned around: which way the room moves
AHEAD_NAMES_KEY = "planner_planned_ahead_names"  # the queue's names of the plans asked for around it
CAPACITY_PCT_RANGE = (50, 150)  # the Capacity % slider: its range ...
CAPACITY_PCT_STEP = 5  # ... and its step (a key press)
# Full plans made ahead this many Capacity % steps the way the room moves (plan_ahead), one step the
# other way: up to this many plus one solves of APP_SOLVE's time limit, on CPU nothing else wants, per
# position the room visits. Not both ways: a full plan two steps behind a room moving on held the
# worker for seconds while the step it moved to waited (moves 0.8 s apart: p95 3.6 s against 2.9 s).
AHEAD_STEPS = 4


@st.cache_resource(show_spinner=False)
def planner_code() -> str:
    """A digest of the planner's own code: a plan kept by another release of it is not reused."""
    digest = hashlib.sha256()
    for path in sorted(Path(planner.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


SOLVER_NICENESS = 5  # a third of the CPU share of a thread at niceness 0 when both want a core
AHEAD_NICENESS = 19  # plans nobody asked for yet: only the CPU nothing else wants


# Released (a cleared cache): queued and kept-for-idle work is withdrawn, a solve running is waited for.
@st.cache_resource(show_spinner=False, on_release=lambda queue: queue.shutdown())
def background_solves() -> BackgroundSolves[PlanResult | None]:
    """The server's queue of full solves behind the quick plans (one at a time: the machine has 2 cores)."""
    return BackgroundSolves(workers=1)


@st.cache_resource(show_spinner=False, on_release=lambda workers: workers.shutdown())
def solve_workers() -> SolveWorkers:
    """The server's solver processes for full plans: two (one for the background queue, one for a page
    waiting on the scenario's own plan), each solve stopped past its time limit and a margin, so no
    solve can hold the server; started now, so the first full plan does not wait for them. Niced: on a
    busy machine, sessions' reruns (quick plans included) get the cores before a search runs on."""
    workers = SolveWorkers(workers=2, niceness=SOLVER_NICENESS)
    workers.warm()
    return workers


@st.cache_resource(show_spinner=False, on_release=lambda workers: workers.shutdown())
def ahead_workers() -> SolveWorkers:
    """The server's process for full plans made before anyone asks for them (:func:`plan_ahead`).

    Apart from :func:`solve_workers`, at the lowest priority (niceness 19 and Linux's idle class):
    it runs on the CPU the sessions, their searches and everything else on the machine leave (with
    plans made several steps ahead it is busy while the room moves: measured at niceness 19 alone,
    a move's rerun took 0.04-0.06 s longer), and stopping it (for a plan someone asks for) leaves
    the solvers' workers warm.
    """
    workers = SolveWorkers(workers=1, niceness=AHEAD_NICENESS, idle_only=True)
    workers.warm()  # loaded while the quick plans ahead are made: the first full plan ahead does not wait for it
    return workers


@st.cache_resource(show_spinner=False, on_release=lambda workers: workers.shutdown())
def reading_workers() -> SolveWorkers:
    """The server's process for reading large uploads (:func:`read_isolated`), apart from the solvers'."""
    return SolveWorkers(workers=1)


IN_PROCESS_READ_BYTES = 1_000_000  # uploads up to this size are read in the session's own thread
READ_SECONDS = 60.0  # a large upload's reading is stopped this long (and the workers' margin) after it starts


def read_isolated(read: Callable[[Any], Any], data: Any, size: int) -> Any:
    """``read(data)``: here for a small upload, in a reading worker for one over ``IN_PROCESS_READ_BYTES``.

    Parsing holds Python's lock: a 15 MB CSV (200,000 rows, 3.2 s to read) made another session's
    rerun take up to 1.0 s instead of 0.05 s. In a worker process it holds nothing of the server's,
    and past its time limit it is stopped. Small files (tens of milliseconds) are not worth the trip.
    ``read`` and ``data`` must pickle (a module-level function, or a ``functools.partial`` of one).
    """
    if size <= IN_PROCESS_READ_BYTES:
        return read(data)
    return reading_workers().run(read, (data,), time_limit=READ_SECONDS)


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The one database connection of this server process, with the sample saved on first start and the
    bin emptied of scenarios deleted more than 30 days ago."""
    database = Store()
    ensure_sample(database)
    database.purge_expired()  # scenarios in the bin for more than 30 days
    return database


def init_session() -> None:
    """Set this session's keys once, and count the session's runs (:func:`scenarios` reads once per run)."""
    st.session_state[RUN_KEY] = st.session_state.get(RUN_KEY, 0) + 1
    st.session_state[APP_RUN_KEY] = st.session_state.pop(APP_RERUN_KEY, False)
    st.session_state.setdefault(SCENARIO_KEY, None)
    st.session_state.setdefault(FREE_REPLAN_KEY, False)
    st.session_state.setdefault(MODE_KEY, "edit")
    st.session_state.setdefault(AHEAD_KEY, set())
    st.session_state.setdefault(AHEAD_LAST_KEY, None)
    st.session_state.setdefault(AHEAD_NAMES_KEY, frozenset())
    if AUTHOR_KEY not in st.session_state:
        st.session_state[AUTHOR_KEY] = _remembered_author()


# --- links, view-only mode and the URL ----------------------------------------------------------------
#
# ``?scenario=<token>`` opens a scenario to change it, ``?view=<token>`` to look at it (Store.links).
# The link is read once, when the session starts; from then on the URL follows the session: the
# token of the scenario on screen and the what-ifs of the sliders, so the address bar always shares
# what is on screen. A view session cannot change the saved scenario: its what-ifs stay its own.

MODE_KEY = "planner_mode"  # "edit", or "view" for a session opened by a view link
AUTHOR_KEY = "planner_author"  # the display name this browser's changes are saved under
AUTHOR_COOKIE = "planner_author"  # the name typed in this browser, kept a year: typed once per browser
AUTHOR_COOKIE_DUE_KEY = "planner_author_cookie_due"  # the name was just typed: keep it in the browser
LINK_READ_KEY = "planner_link_read"  # the session has read the link it was opened with
VIEW_TOKEN_KEY = "planner_view_token"  # the view link a view session was opened with: it must stay valid
EDIT_TOKEN_KEY = "planner_edit_token"  # the edit link an edit session was opened with: it must stay valid
LINK_PARAMS_KEY = "planner_link_params"  # the query of a deep link, kept while the router takes over
KNOWN_VERSION_KEY = "planner_known_version"  # (scenario id, version) this session last drew
SEEN_VERSION_KEY = "planner_seen_version"  # (scenario id, version) not to announce: made here, or a redraw is due
CHANGE_NOTE_KEY = "planner_change_note"  # (scenario id, text, monotonic time) of the last change others saved
EDIT_PARAM, VIEW_PARAM = "scenario", "view"
# What-if session key -> query parameter: the scalar what-ifs a link carries.
WHAT_IF_PARAMS = {
    "planner_sprints": "sprints",
    "planner_unit": "unit",
    "planner_capacity_pct": "capacity",
    "planner_use_team_focus": "team_focus",
    "planner_focus": "focus",
    "planner_buffer_pct": "buffer",
    "planner_oncall_load": "oncall",
    "planner_value_rule": "rule",
}
BALANCE_KEY = "planner_balance"  # item type -> least share of planned effort, set on the Refinement page
# Session key -> query parameter of the what-ifs a link carries as a JSON object (left out when empty).
TABLE_PARAMS = {"planner_headcount": "headcount", BALANCE_KEY: "balance"}
FREE_PARAM = "free"  # "true": the Plan page's "Free re-plan" is on
TABLE_PARAM_CHARS = 4_000  # a longer table in a link is not read (nor parsed)


def sign_in_required() -> bool:
    """Whether ``.streamlit/secrets.toml`` configures an OIDC provider (``[auth]``): then everyone signs in."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file: sign-in is off, the default
        return False


def require_sign_in() -> None:
    """With sign-in configured, stop every run of a session that has not signed in, offering to sign in.

    The signed-in name is the name this session's changes are saved under.
    """
    if not sign_in_required():
        return
    if not st.user.get("is_logged_in"):
        st.title("Sprint planner")
        st.button("Sign in", icon=":material/login:", on_click=st.login)
        st.stop()
    st.session_state[AUTHOR_KEY] = str(st.user.get("name") or st.user.get("email") or "")


def can_edit() -> bool:
    """Whether this session may change saved scenarios (false for a session opened by a view link)."""
    return st.session_state.get(MODE_KEY) != "view"


def author() -> str:
    """The name this session's changes are saved under (blank until the user types one)."""
    return str(st.session_state.get(AUTHOR_KEY) or "")


def _query() -> dict[str, str]:
    kept = st.session_state.pop(LINK_PARAMS_KEY, None)
    return dict(kept) if kept is not None else {key: st.query_params[key] for key in st.query_params}


def open_link() -> bool:
    """Read the link this session was opened with, once; False when it names no scenario.

    A token is checked by its shape before any query; malformed, unknown and revoked tokens are all
    "not found". The link's what-ifs (``?sprints=3&capacity=90``) are put over the scenario's saved ones.
    """
    state = st.session_state
    if state.get(LINK_READ_KEY):
        return _link_still_open()
    query = _query()
    token = query.get(VIEW_PARAM) or query.get(EDIT_PARAM)
    if token is None:
        state[LINK_READ_KEY] = True
        return True
    try:
        scenario_id, kind = store().open_link(token)
    except PlannerError:
        return False
    # A view token never edits; an edit token behind ?view= opens read-only, as the link says.
    state[MODE_KEY] = "view" if kind == "view" or VIEW_PARAM in query else "edit"
    state[VIEW_TOKEN_KEY if state[MODE_KEY] == "view" else EDIT_TOKEN_KEY] = token
    select_scenario(scenario_id)
    restore_what_ifs(_link_what_ifs(query))
    state[LINK_READ_KEY] = True
    return True


def _link_still_open() -> bool:
    """A session opened by a link lasts as long as its link: replacing the links closes it (on its next run).

    A view session stays on its link's scenario; an edit session may pick others, but not outlast
    its link (nor learn the new one). A session opened without a link has the whole app anyway.
    """
    state = st.session_state
    token = state.get(VIEW_TOKEN_KEY) if not can_edit() else state.get(EDIT_TOKEN_KEY)
    if token is None:
        return can_edit()
    try:
        scenario_id, _ = store().open_link(str(token))
    except PlannerError:
        return False
    return can_edit() or scenario_id == state.get(SCENARIO_KEY)


def _link_what_ifs(query: Mapping[str, str]) -> dict[str, Any]:
    """The what-ifs a link carries, each checked; one that cannot be used is left out."""
    values: dict[str, Any] = {}
    headcount = _json_object(query.get(TABLE_PARAMS["planner_headcount"]))
    if headcount is not None:
        try:
            values["planner_headcount"] = scenario_what_ifs.what_if_values({"headcount": headcount})[
                "planner_headcount"
            ]
        except PlannerError:
            pass
    balance = _json_object(query.get(TABLE_PARAMS[BALANCE_KEY]))
    if balance is not None and len(balance) <= 100 and all(_is_share(share) for share in balance.values()):
        values[BALANCE_KEY] = {str(kind)[:200]: float(share) for kind, share in balance.items()}
    if query.get(FREE_PARAM, "").lower() == "true":
        values[FREE_REPLAN_KEY] = True
    for key, name in WHAT_IF_PARAMS.items():
        if name not in query:
            continue
        text = query[name][:40]
        raw: Any = text
        if key == "planner_use_team_focus":
            raw = {"true": True, "false": False}.get(text.lower(), text)
        elif key == "planner_value_rule":
            raw = text or None
        elif key != "planner_unit":
            try:
                raw = float(text)
            except ValueError:
                pass
        try:
            values[key] = scenario_what_ifs.what_if_values({key.removeprefix("planner_"): raw})[key]
        except PlannerError:
            continue
    return values


def _json_object(text: str | None) -> dict | None:
    """A JSON object a link carries (a table of what-ifs), or None when absent, too long or not one."""
    if text is None or len(text) > TABLE_PARAM_CHARS:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _is_share(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1


def not_found_page() -> None:
    """The one page a link that opens no scenario gets: plain words, nothing about why."""
    st.title("Scenario not found")
    st.write(
        "This link does not open a scenario: it may be mistyped or cut short, or it was replaced by a "
        "new link. Ask whoever shared it for the current link."
    )
    st.link_button("Open the planner", "/")


def _set_query(values: Mapping[str, str | None]) -> None:
    """Make the URL's query hold ``values`` (None: leave the parameter out), touching only what differs."""
    for name, value in values.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


def _show_link_in_url(scenario_id: str) -> None:
    """Put the link of the scenario on screen in the URL (edit or view, as this session may)."""
    try:
        links = store().links(scenario_id)
    except PlannerError:
        return
    if can_edit():
        _set_query({EDIT_PARAM: links.edit, VIEW_PARAM: None})
    else:  # the link it was opened with: a view session never learns a newer one
        _set_query({VIEW_PARAM: st.session_state.get(VIEW_TOKEN_KEY) or links.view, EDIT_PARAM: None})


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _table_text(table: Mapping[str, Any] | None) -> str | None:
    shown = {str(key): value for key, value in sorted((table or {}).items()) if value}
    return json.dumps(shown, separators=(",", ":"), ensure_ascii=False) if shown else None


def show_what_ifs_in_url() -> None:
    """Put the session's what-ifs in the URL, so the address bar shares exactly what is on screen.

    On every page, sliders drawn or not: after picking another scenario on the Data page the URL
    holds that scenario's what-ifs, not the last ones a slider showed.
    """
    state = st.session_state
    query: dict[str, str | None] = {name: _param_text(state.get(key)) for key, name in WHAT_IF_PARAMS.items()}
    query.update({name: _table_text(state.get(key)) for key, name in TABLE_PARAMS.items()})
    query[FREE_PARAM] = "true" if state.get(FREE_REPLAN_KEY) else None
    _set_query(query)


def _rotate_links(scenario_id: str) -> None:
    try:
        old = store().links(scenario_id).edit
        new = store().rotate_links(scenario_id).edit
    except PlannerError as error:
        flash("error", f"The links were not replaced: {error}")
        return
    if st.session_state.get(EDIT_TOKEN_KEY) == old:  # opened by the old edit link: this session goes on, on the new one
        st.session_state[EDIT_TOKEN_KEY] = new
    flash("success", "New links made: the old edit and view links no longer open this scenario.")


def share_control(scenario: Scenario) -> None:
    """A "Share" popover with the scenario's links to copy (the view link only, in a view session)."""
    try:
        links = store().links(scenario.id)
    except PlannerError as error:
        st.error(markdown_inert(error))
        return
    parts = urlparse(st.context.url or "")
    base = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    with st.popover("Share", icon=":material/share:"):
        if can_edit():
            st.markdown("**Edit link**: opens this scenario to change it (pins, OOO, what-ifs saved)")
            st.code(f"{base}/plan?{EDIT_PARAM}={links.edit}", language=None)
        st.markdown("**View link**: shows every page's results; nothing it does changes the scenario")
        st.code(f"{base}/plan?{VIEW_PARAM}={links.view}", language=None)
        st.caption("The address bar adds the sliders' what-ifs, to share exactly what is on screen.")
        if can_edit():
            st.button(
                "Replace both links",
                icon=":material/key:",
                on_click=_rotate_links,
                args=(scenario.id,),
                help="For a link that went too far: the old edit and view links stop working at once",
                key="planner_rotate_links",
            )


# --- live refresh: another session's saved change shows here ----------------------------------------

POLL_SECONDS = 2.0
# How long the note of another session's change stays on screen. Said once, it vanished at the very
# next rerun, and a change's first run is followed within a second or two by the full plan's rerun.
CHANGE_NOTE_SECONDS = 30.0


def _follow_saved_changes(scenario: Scenario) -> None:
    """When the scenario on screen has a newer version than this session last drew, take its pins.

    Pins and MoSCoW changes (and the accepted plan) belong to the scenario: in a meeting everyone sees
    the ones saved. The sliders stay this session's own.
    """
    state = st.session_state
    known = state.get(KNOWN_VERSION_KEY)
    state[KNOWN_VERSION_KEY] = (scenario.id, scenario.version)
    if known is None or known[0] != scenario.id or known[1] == scenario.version:
        return
    # A change saved after this run's live check but before the page read the scenario is drawn
    # now, without the check's rerun: said here, or the session would show it without a word.
    _announce_changes(scenario.id, known[1], scenario.version)
    try:
        saved = scenario_what_ifs.apply_what_if(scenario.settings)
    except PlannerError:
        return
    state["planner_overrides"] = saved.get("planner_overrides", {})
    if saved.get("planner_previous"):
        state["planner_previous"] = saved["planner_previous"]


@st.fragment(run_every=POLL_SECONDS)
def watch_for_changes() -> None:
    """Every few seconds, look for a newer version of the scenario on screen; rerun with a note when there is one."""
    state = st.session_state
    known = state.get(KNOWN_VERSION_KEY)
    if known is None:
        return
    scenario_id, version = known
    if not _link_still_open():
        rerun_for_the_page()  # its links were replaced: the full run shows the not-found page
    try:
        now = store().state(scenario_id)
    except PlannerError:
        return  # deleted meanwhile: the next full run says so
    # Also runs at the top of every full run, before the page draws the new version: a version this
    # session saved, or already redrew for, is not announced again (else every run would rerun).
    if _announce_changes(scenario_id, version, now.version):
        rerun_for_the_page()


def _announce_changes(scenario_id: str, since: int, now: int) -> bool:
    """Leave a note of what changed after version ``since`` up to ``now`` and who changed it; whether it did.

    Not for a version this session made (:func:`saved_here`) or has announced already.
    """
    if now == since or st.session_state.get(SEEN_VERSION_KEY) == (scenario_id, now):
        return False
    try:
        changes = store().changes_since(scenario_id, since)
    except PlannerError:
        return False
    words = "; ".join(f"{change.what} ({change.author or 'someone'})" for change in changes[-5:])
    st.session_state[CHANGE_NOTE_KEY] = (scenario_id, f"Updated to version {now}: {words}.", time.monotonic())
    st.session_state[SEEN_VERSION_KEY] = (scenario_id, now)
    return True


def say_others_changes() -> None:
    """Say what another session changed in the scenario on screen, on every run for a little while."""
    note = st.session_state.get(CHANGE_NOTE_KEY)
    if note is None:
        return
    scenario_id, text, said_at = note
    if scenario_id != st.session_state.get(SCENARIO_KEY) or time.monotonic() - said_at > CHANGE_NOTE_SECONDS:
        del st.session_state[CHANGE_NOTE_KEY]
        return
    st.info(markdown_inert(text), icon=":material/sync:")


def saved_here(scenario_id: str, version: int) -> None:
    """Note that this session made ``version``: the live refresh does not announce it as someone else's."""
    st.session_state[SEEN_VERSION_KEY] = (scenario_id, version)


# --- saving a change: the version it was based on, conflicts, re-apply, undo -----------------------

PENDING_KEY = "planner_pending_change"  # (scenario id, what, reapply) of a change refused by a conflict


def save_settings_change(scenario: Scenario, change: Callable[[dict], dict], what: str) -> int | None:
    """Save ``change`` (settings -> changed settings) of the scenario on screen; the new version, or None.

    The save names the version on screen: changes saved since by others are kept when they touch
    other settings; a clash is refused, said, and kept to re-apply on the newest version.
    """

    def apply(scenario_id: str, settings: dict, version: int) -> int:
        return store().save_settings(scenario_id, change(settings), based_on=version, author=author(), what=what)

    def reapply() -> int:
        # My change, as made on the version I saw, over the newest one: where it clashes, mine (the
        # person was told what changed and chose to re-apply); everywhere else, the newest settings.
        now = store().state(scenario.id)
        merged, _ = merge_settings(scenario.settings, change(scenario.settings), now.settings)
        return store().save_settings(scenario.id, merged, based_on=now.version, author=author(), what=what)

    return save_change(scenario, what, apply, reapply)


def save_change(
    scenario: Scenario,
    what: str,
    apply: Callable[[str, dict, int], int],
    reapply: Callable[[], int] | None = None,
) -> int | None:
    """Run ``apply(scenario id, settings, version)`` on the scenario on screen; the new version, or None.

    A :class:`~planner.errors.VersionConflict` leaves the change pending: the page offers to re-apply
    it (:func:`say_flash`) with ``reapply``, by default ``apply`` on the newest version.
    """

    def on_the_newest() -> int:
        now = store().state(scenario.id)
        return apply(scenario.id, now.settings, now.version)

    return save_write(
        scenario.id, what, lambda: apply(scenario.id, scenario.settings, scenario.version), reapply or on_the_newest
    )


def save_write(scenario_id: str, what: str, write: Callable[[], int], reapply: Callable[[], int]) -> int | None:
    """Run ``write`` (a versioned write of the scenario); the new version, or None when it was refused.

    A conflict is said with what changed since, and ``reapply`` (the same change on the newest
    version) is kept for the "Re-apply my change" button. A view session writes nothing.
    """
    if not can_edit():
        flash("error", "This is a view-only link: nothing was saved.")
        return None
    try:
        version = write()
        saved_here(scenario_id, version)
        return version
    except VersionConflict as error:
        st.session_state[PENDING_KEY] = (scenario_id, what, reapply)
        flash("error", conflict_text(error, what))
    except PlannerError as error:
        flash("error", f"Nothing was saved: {error}")
    return None


def on_the_newest(scenario_id: str, write: Callable[[int], int]) -> Callable[[], int]:
    """``write(based_on)`` on the scenario's newest version: a change re-applied after a conflict."""
    return lambda: write(store().state(scenario_id).version)


def conflict_text(conflict: VersionConflict, what: str) -> str:
    """What to tell the person whose change a newer one refused: what changed, by whom, and what they can do."""
    since = "; ".join(conflict.changes) or "a change"
    clash = f" Both changed: {', '.join(conflict.clashes)}." if conflict.clashes else ""
    return (
        f"Not saved: since version {conflict.based_on}, which this page showed, the scenario changed "
        f"(now version {conflict.current}: {since}).{clash} Nothing was written. Re-apply your change "
        f"({what}) over the newest version, or drop it."
    )


def _reapply() -> None:
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is None:
        return
    scenario_id, what, reapply = pending
    try:
        saved_here(scenario_id, reapply())
    except VersionConflict as error:
        st.session_state[PENDING_KEY] = pending
        flash("error", conflict_text(error, what))  # yet another change came in meanwhile
        return
    except PlannerError as error:
        flash("error", f"Nothing was saved: {error}")
        return
    flash("success", f"Re-applied your change ({what}) on the newest version.")


def _discard() -> None:
    st.session_state.pop(PENDING_KEY, None)


def _offer_reapply() -> None:
    pending = st.session_state.get(PENDING_KEY)
    if pending is None:
        return
    with st.container(horizontal=True):
        st.button("Re-apply my change", icon=":material/replay:", on_click=_reapply, key="planner_reapply")
        st.button("Drop it", on_click=_discard, key="planner_drop_pending")


def _undo(scenario_id: str, version: int) -> None:
    """Button callback: restore the version before ``version`` (itself a new version).

    When someone changed the scenario since, nothing is undone: the note says what they changed, and
    re-applying brings back version ``version - 1`` over their change too (the button says so).
    """

    def restore(based_on: int) -> int:
        return store().restore_version(scenario_id, version - 1, based_on=based_on, author=author())

    what = f"undo: bring back version {version - 1}, over the changes since"
    new = save_write(scenario_id, what, lambda: restore(version), on_the_newest(scenario_id, restore))
    if new is not None:
        flash("success", f"Undone: version {version - 1} is back (as version {new}).")


def sidebar_session_controls() -> None:
    """Sidebar: your name, undo, and whether this session is view-only; watches for others' changes."""
    scenario = next((s for s in scenarios() if s.id == st.session_state.get(SCENARIO_KEY)), None)
    with st.sidebar:
        watch_for_changes()
        if not can_edit():
            st.info(
                "View only: the what-ifs and pins you change here stay in this browser.", icon=":material/visibility:"
            )
            return
        st.text_input(
            "Your name",
            key=AUTHOR_KEY,
            placeholder="shown in the history with your changes",
            max_chars=80,
            disabled=sign_in_required(),  # signed in: the name is the account's
            on_change=_author_typed,
        )
        if st.session_state.pop(AUTHOR_COOKIE_DUE_KEY, False):
            _keep_author_in_browser(author())
        if scenario is not None and scenario.version > 1:
            st.button(
                "Undo the last change",
                icon=":material/undo:",
                on_click=_undo,
                args=(scenario.id, scenario.version),
                help=f"Restore version {scenario.version - 1} of this scenario; the history keeps both",
                key="planner_undo",
            )


def _author_typed() -> None:
    st.session_state[AUTHOR_COOKIE_DUE_KEY] = True


def _remembered_author() -> str:
    """The name this browser typed before (its cookie, sent when the session opened), or blank."""
    kept = st.context.cookies.get(AUTHOR_COOKIE)
    return unquote(kept).strip()[:80] if isinstance(kept, str) else ""


def author_cookie_script(name: str) -> str:
    """The one-line script that keeps ``name`` in this browser's cookie.

    The name is percent-encoded first: only letters, digits and ``%._~-`` reach the script, so what
    the user typed is never code or markup (tests/test_app.py checks it for any text).
    """
    value = quote(name, safe="")
    return f"<script>document.cookie = '{AUTHOR_COOKIE}={value}; path=/; max-age=31536000; SameSite=Lax';</script>"


def _keep_author_in_browser(name: str) -> None:
    """Keep ``name`` in a cookie of this browser, so its next sessions start with it (the app's only st.html)."""
    st.html(author_cookie_script(name), unsafe_allow_javascript=True)


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
        st.session_state[LINK_PARAMS_KEY] = {key: st.query_params[key] for key in st.query_params}
        st.switch_page("app.py")


def open_requested_page(pages: list[Any]) -> None:
    """Open the page a deep link asked for before the router first ran; else nothing."""
    wanted = st.session_state.pop(OPEN_PAGE_KEY, None)
    target = next((page for page in pages if wanted and page.url_path == wanted), None)
    if target is not None:
        st.switch_page(target)


# --- messages a callback leaves for the next run -----------------------------------------------------

FLASH_KEY = "planner_flash"  # [(kind, text)] to say on the next run (after a save, rename ...)
SAID_FLASH_KEY = "planner_flash_said"  # [(kind, text)] said on the last user's run: said again on the app's runs


def rerun_for_the_page() -> NoReturn:
    """Run the whole page again for the app's own reason (a plan or another session's change arrived).

    Unlike the user's runs, such a run keeps the messages the last one said (:func:`say_flash`):
    an undo's "version 3 is back" must not vanish when the full plan arrives a second later.
    """
    st.session_state[APP_RERUN_KEY] = True
    st.rerun(scope="app")


def flash(kind: Literal["success", "info", "error"], text: str) -> None:
    """Leave a message for the page to say on its next run.

    A button callback runs before the page is drawn, and whatever it shows there is lost: it leaves
    the message, and the page says it with :func:`say_flash`.
    """
    st.session_state[FLASH_KEY] = [*st.session_state.get(FLASH_KEY, []), (kind, text)]


def say_flash(*, toast: bool = False) -> None:
    """Say the messages left by :func:`flash` (successes also as a toast with ``toast``), and offer
    to re-apply a change a conflict refused.

    Said on the next run and on the app's own runs after it (:func:`rerun_for_the_page`), until the
    user's next action.

    The text is the user's as much as the page's (scenario and file names, error messages): it is
    shown inert, error messages with their line breaks. Another session's change is said here too.
    """
    state = st.session_state
    say_others_changes()
    said_before = state.get(SAID_FLASH_KEY, []) if state.get(APP_RUN_KEY) else []
    new = state.get(FLASH_KEY, [])
    for kind, text in said_before + new:
        if kind == "success":
            st.success(markdown_inert(text))
        elif kind == "info":
            st.info(markdown_inert(text), icon=":material/sync:")
        else:
            st.error(markdown_inert(text, lines=True))
    if toast:  # a toast floats over the page for a few seconds by itself: once
        for text in (text for kind, text in new if kind == "success"):
            st.toast(markdown_inert(text), icon=":material/check_circle:")
    state[SAID_FLASH_KEY] = said_before + new
    state[FLASH_KEY] = []
    _offer_reapply()


def scenarios() -> list[ScenarioSummary]:
    """Saved scenarios, newest first: read once per run (the picker, the sidebar and the page all ask).

    Read again within a run when this process wrote meanwhile (a save, a rename); another process's
    change shows at the next run, as any read would.
    """
    state = st.session_state
    database = store()
    stamp = (state.get(RUN_KEY), database.scenario_writes)
    kept = state.get(SCENARIO_LIST_KEY)
    if kept is not None and kept[0] == stamp:
        return list(kept[1])
    listed = database.list()
    state[SCENARIO_LIST_KEY] = (stamp, listed)
    return list(listed)


@st.cache_data(max_entries=16, show_spinner=False)
def load_by_id(scenario_id: str, version: int) -> Scenario:
    """A scenario as saved at ``version`` (every change makes a new one, so a cached copy is never stale)."""
    return store().load_version(scenario_id, version)


def current_scenario() -> Scenario | None:
    """The scenario picked in the sidebar, or None when there is none."""
    send_to_router_if_alone()
    scenario_id = st.session_state.get(SCENARIO_KEY)
    summary = next((s for s in scenarios() if s.id == scenario_id), None)
    if summary is None:
        return None
    try:
        scenario = load_by_id(summary.id, summary.version)
    except PlannerError as error:
        st.error(markdown_inert(error))
        return None
    _follow_saved_changes(scenario)
    _show_link_in_url(scenario.id)
    show_what_ifs_in_url()
    return scenario


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
        # Its saved what-ifs, else the defaults: never the sliders of the scenario seen before.
        restore_what_ifs(scenario_what_ifs.what_if_values({}))  # every what-if at its default
        if summary is not None:
            try:
                restore_what_ifs(scenario_what_ifs.apply_what_if(load(summary).settings))
            except PlannerError as error:
                st.toast(markdown_inert(f"Its saved what-ifs were not used: {error}"))
            st.session_state[KNOWN_VERSION_KEY] = (scenario_id, summary.version)
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
    return load_by_id(summary.id, summary.version)


def labelled_key(base: str, labels: Mapping[str, str]) -> str:
    """A widget key that changes when the labels of its options do (a rename).

    The browser keeps showing a keyed select box's old option labels when only their wording
    changes; a new key draws it afresh, with the new names, in the same run.
    """
    digest = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:12]
    return f"{base}_{digest}"


def _picked(widget_key: str) -> None:
    select_scenario(st.session_state[widget_key])


def scenario_picker() -> None:
    """Sidebar: choose the scenario every page shows."""
    available = scenarios()
    with st.sidebar:
        st.subheader("Scenario")
        if not can_edit():  # a view link shows its one scenario, and no others
            shown = next((s for s in available if s.id == st.session_state.get(SCENARIO_KEY)), None)
            st.markdown(markdown_inert(shown.name) if shown else "(deleted)")
            return
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
        widget_key = labelled_key(PICKER_KEY, names)
        st.session_state[widget_key] = current  # a pick made in the widget is current already (_picked)
        picked = st.selectbox(
            "Scenario",
            ids,
            key=widget_key,
            on_change=_picked,
            args=(widget_key,),
            format_func=lambda scenario_id: names[scenario_id],
            label_visibility="collapsed",
        )
        st.session_state[SCENARIO_KEY] = picked
        st.session_state[PICKER_KEY] = picked
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
            min_value=CAPACITY_PCT_RANGE[0],
            max_value=CAPACITY_PCT_RANGE[1],
            step=CAPACITY_PCT_STEP,
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
    show_what_ifs_in_url()


def session_what_ifs() -> dict[str, Any]:
    """The what-ifs this session holds (the keys of WHAT_IF_DEFAULTS it has set), as saved or summarised."""
    return {key: st.session_state[key] for key in WHAT_IF_DEFAULTS if key in st.session_state}


def capacity_settings() -> CapacitySettings:
    """The capacity what-ifs as the sliders have them."""
    return scenario_what_ifs.capacity_settings(st.session_state)


@st.cache_data(max_entries=64, show_spinner=False)
def capacity_for(scenario_id: str, version: int, settings: CapacitySettings) -> CapacityResult:
    """Net capacity of a saved scenario version under the what-ifs (cached: a slider move recomputes once)."""
    scenario = load_by_id(scenario_id, version)
    return compute_capacity(scenario.capacity, settings)


class PlanKey(NamedTuple):
    """Everything a plan depends on, in :func:`plan_for`'s order: the key of its cached plan."""

    scenario_id: str
    version: int
    settings: CapacitySettings
    value_rule: str
    overrides: tuple[tuple[str, Override], ...]
    previous: tuple[tuple[str, tuple[str, str]], ...]
    balance: tuple[tuple[str, float], ...]


@st.cache_data(max_entries=64, show_spinner=False)
def plan_for(
    scenario_id: str,
    version: int,
    settings: CapacitySettings,
    value_rule: str,
    overrides: tuple[tuple[str, Override], ...],
    previous: tuple[tuple[str, tuple[str, str]], ...],
    balance: tuple[tuple[str, float], ...] = (),
) -> PlanResult:
    """The plan under the what-ifs, pins, value rule and balance targets (cached by all of them).

    One plan per input: the first plan made for a scenario version and these inputs is kept in the
    database (:meth:`~planner.store.Store.keep_plan`) and is the plan every session, page and restart
    shows, even one a time limit stopped (a re-solve under other machine load could differ).
    Raises :class:`~planner.errors.InputError` for a backlog no plan can be made from (a Must item
    pinned to a sprint the capacity file does not have), as the command line does.
    """
    plan = PlanJob.of(PlanKey(scenario_id, version, settings, value_rule, overrides, previous, balance))
    kept = plan.kept()
    if kept is not None:
        return kept
    running = background_solves().pending(plan.name)
    if running is not None and not running.done():
        try:  # the same plan is being made for a quick plan's page, or ahead of anyone: share that solve
            shared = running.result()
        except Exception:  # it failed or was stopped there: make it here, where the error is shown
            shared = None
        if shared is not None:  # (None: made ahead of anyone, it found another session making it)
            return shared
    return plan.solve()


class PlanJob:
    """One plan of a scenario version to make or find: its inputs, its solve options and the digest it is kept under."""

    def __init__(
        self,
        key: PlanKey,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        saved: scenario_what_ifs.PlanArguments | None,
        options: SolveOptions,
    ) -> None:
        self.key, self.backlog, self.options = key, backlog, options
        self.capacity = capacity  # the scenario's capacity tables: plans made ahead compute their net capacity
        self.saved = saved  # the plan's inputs at the scenario's saved what-ifs (None: unusable)
        self.at_saved_what_ifs = PlanJob._at_saved(key, saved)
        inputs = (planner_code(), key.settings, key.value_rule, key.overrides, key.previous, key.balance, options)
        self.digest = hashlib.sha256(repr(inputs).encode()).hexdigest()
        # The digest holds the inputs, not the scenario version they apply to (the database keeps
        # plans by both): the background queue's name of this plan holds all three.
        self.name = f"{key.scenario_id}/{key.version}/{self.digest}"

    @classmethod
    def of(cls, key: PlanKey) -> PlanJob:
        """The plan of ``key`` as every page shows it: the scenario's own plan at its saved what-ifs
        (solved as the command line solves it), else a slider's plan (APP_SOLVE).

        Raises :class:`~planner.errors.InputError` for a backlog no plan can be made from (a Must item
        pinned to a sprint the capacity file does not have), as the command line does.
        """
        scenario = load_by_id(key.scenario_id, key.version)
        backlog = planning_backlog_of(scenario, key.value_rule, key.overrides)
        files = scenario.settings.get("files") or {}
        check_plan_inputs(backlog, capacity_sprint_names(scenario.capacity), file=files.get("backlog") or "backlog")
        return cls._with_options(key, backlog, scenario.capacity, saved_arguments(scenario))

    @classmethod
    def _with_options(
        cls,
        key: PlanKey,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        saved: scenario_what_ifs.PlanArguments | None,
    ) -> PlanJob:
        """The job of ``key`` with the solve options :meth:`of` describes, its backlog already checked."""
        options = replace(
            SCENARIO_SOLVE if PlanJob._at_saved(key, saved) else APP_SOLVE,
            previous=dict(key.previous) or None,
            balance=dict(key.balance) or None,
        )
        return cls(key, backlog, capacity, saved, options)

    @staticmethod
    def _at_saved(key: PlanKey, saved: scenario_what_ifs.PlanArguments | None) -> bool:
        """``key`` is the scenario's own plan: its saved what-ifs, no balance targets."""
        return not key.balance and (key.settings, key.value_rule, key.overrides, key.previous) == saved

    def at(self, settings: CapacitySettings) -> PlanJob:
        """The plan of the same scenario, backlog and pins under other capacity what-ifs: :meth:`of` its
        key with ``settings``, without loading and checking the backlog again (the plans ahead ask for many)."""
        return PlanJob._with_options(self.key._replace(settings=settings), self.backlog, self.capacity, self.saved)

    def net_capacity(self) -> CapacityResult:
        """The net capacity under this plan's what-ifs, computed here (no Streamlit cache: for the queue's thread)."""
        return compute_capacity(self.capacity, self.key.settings)

    def quick(self) -> PlanJob:
        """The same plan made with the quick solve (kept under its own digest)."""
        options = replace(self.options, time_limit=QUICK_SOLVE.time_limit, solver=QUICK_SOLVE.solver)
        return PlanJob(self.key, self.backlog, self.capacity, self.saved, options)

    def kept(self) -> PlanResult | None:
        """The plan kept in the database for these inputs, if any (one plan per input, whatever the load)."""
        kept = store().kept_plan(self.key.scenario_id, self.key.version, self.digest)
        if kept is None:
            return None
        try:
            return plan_from_json(kept)
        except PlannerError:
            return None  # written by another planner release: plan again

    def keep(self, result: PlanResult) -> PlanResult:
        """Keep ``result`` for these inputs; the plan kept first when another session was quicker."""
        try:
            return plan_from_json(
                store().keep_plan(
                    self.key.scenario_id,
                    self.key.version,
                    self.digest,
                    plan_to_json(result),
                    lasting=self.at_saved_what_ifs,  # the version's own plan: never trimmed, never made twice
                )
            )
        except PlannerError:
            return result  # not kept (the database refused it): this session still has its plan

    def solve(self) -> PlanResult:
        """Make the plan and keep it: a quick plan here, a full plan in a solver worker (:func:`solve_workers`)."""
        net = capacity_for(self.key.scenario_id, self.key.version, self.key.settings)
        if self.options.time_limit <= QUICK_SOLVE.time_limit:  # bounded by HiGHS's own limit: no process needed
            quick = make_plan(self.backlog, net, options=self.options)
            return self.keep(quick) if found_a_plan(quick) else quick
        workers, backlog, options = solve_workers(), self.backlog, self.options
        return plan_from_json(
            self.made_once(store(), workers, lambda: self.made_in_worker(workers, backlog, net, options))
        )

    def made_once(self, database: Store, workers: SolveWorkers, make: Callable[[], str]) -> str:
        """The plan kept for these inputs, made by ``make`` unless a session of any app process on this
        database is making it already (then its plan, waited for up to that solve's hard deadline)."""
        seconds = self.options.time_limit + workers.margin_seconds
        return database.plan_once(
            self.key.scenario_id, self.key.version, self.digest, make, seconds, lasting=self.at_saved_what_ifs
        )

    @staticmethod
    def made_in_worker(
        workers: SolveWorkers,
        backlog: pd.DataFrame,
        net: CapacityResult,
        options: SolveOptions,
        stop: threading.Event | None = None,
    ) -> str:
        """The plan, as kept, made in a solver worker: stopped past its time limit and a margin, or when
        ``stop`` is set (no Streamlit call)."""
        return str(workers.run(planned_json, (backlog, net, options), time_limit=options.time_limit, stop=stop))

    def solve_in_background(self) -> None:
        """Ask the server's queue for this plan (joined when already asked), withdrawing this session's last ask."""
        net = capacity_for(self.key.scenario_id, self.key.version, self.key.settings)
        database, backlog, options, workers = store(), self.backlog, self.options, solve_workers()

        def solve() -> PlanResult:  # runs in the queue's thread: no Streamlit call in here
            make = lambda: PlanJob.made_in_worker(workers, backlog, net, options)  # noqa: E731
            return plan_from_json(self.made_once(database, workers, make))

        background_solves().submit(self.name, solve, replaces=st.session_state.get(BACKGROUND_KEY))
        st.session_state[BACKGROUND_KEY] = self.name

    @property
    def ahead_name(self) -> str:
        """The queue's name of this plan made before anyone asked for it (:func:`plan_ahead`)."""
        return f"ahead/{self.name}"

    def ahead(self, full: PlanJob) -> Callable[[], PlanResult]:
        """This quick plan's solve for the queue, before anyone asks for it (no Streamlit call inside).

        Kept like any quick plan, and as ``full``'s plan too when proven (or proven infeasible), as
        :func:`plan_first` would keep it; nothing is solved when either is kept already.
        """
        database = store()
        quick_where = (self.key.scenario_id, self.key.version, self.digest)
        full_where = (full.key.scenario_id, full.key.version, full.digest)

        def solve() -> PlanResult:  # runs in the queue's thread
            kept = database.kept_plan(*full_where) or database.kept_plan(*quick_where)
            if kept is None:
                result = make_plan(self.backlog, self.net_capacity(), options=self.options)
                if not found_a_plan(result):
                    return result
                kept = database.keep_plan(*quick_where, plan_to_json(result))
            plan = plan_from_json(kept)
            if settled_at_once(plan):
                database.keep_plan(*full_where, kept)
            return plan

        return solve

    def full_ahead(self, stop: threading.Event) -> Callable[[], PlanResult | None]:
        """This full plan's solve for the queue, before anyone asks for it (no Streamlit call inside).

        After its quick plan (:meth:`ahead`, queued first): nothing when a plan is kept for these
        inputs already or another session is making it; else made in the lowest-priority worker
        (:func:`ahead_workers`) and kept, unless ``stop`` is set first (a plan somebody is waiting
        for needs the queue).
        """
        database, workers, where = store(), ahead_workers(), (self.key.scenario_id, self.key.version, self.digest)

        def solve() -> PlanResult | None:  # runs in the queue's thread
            made = database.plan_unless_claimed(
                *where,
                lambda: PlanJob.made_in_worker(workers, self.backlog, self.net_capacity(), self.options, stop),
                self.options.time_limit + workers.margin_seconds,
            )
            return None if made is None else plan_from_json(made)

        return solve


def settled_at_once(quick: PlanResult) -> bool:
    """A quick plan proven within the gap (or proven infeasible) is the full plan too: no search needed."""
    return quick.status in ("optimal", "infeasible")


def found_a_plan(quick: PlanResult) -> bool:
    """The quick search came to a plan, or proved there is none: worth keeping and showing.

    Stopped with nothing (no time left on a busy machine, and rank-and-fill could not keep the Must
    items or the balance targets) says nothing about the inputs: it is neither kept, which would
    make every session show it, nor shown; the full plan is made instead.
    """
    return quick.status in ("optimal", "feasible", "infeasible")


def neighbour_keys(key: PlanKey, towards: int = 1, steps: int = 1) -> list[PlanKey]:
    """The plan keys around ``key`` within the Capacity % slider's range: one step ``towards`` (+1 up,
    -1 down), one step the other way, then the steps further ``towards``, up to ``steps`` steps."""
    percent = round(key.settings.capacity_pct * 100)
    low, high = CAPACITY_PCT_RANGE
    offsets = [towards, -towards, *(towards * distance for distance in range(2, steps + 1))]
    return [
        # As the session would make them: the slider's whole percent over 100, the same float.
        key._replace(settings=replace(key.settings, capacity_pct=(percent + offset * CAPACITY_PCT_STEP) / 100))
        for offset in offsets
        if low <= percent + offset * CAPACITY_PCT_STEP <= high
    ]


def ahead_direction(last: PlanKey | None, key: PlanKey) -> int:
    """Which way the room is likely to move Capacity % next from ``key``: -1 (down) when it came down to
    it from ``last`` (the key planned ahead before), else +1 (up: more capacity, the first question asked)."""
    return -1 if last is not None and last.settings.capacity_pct > key.settings.capacity_pct else 1


def plan_ahead(key: PlanKey) -> None:
    """Plan the Capacity % positions around ``key`` in the background, when the queue is idle.

    A meeting moves a slider a step at a time and talks between moves: a position planned before
    anyone moves there shows at once, from the database, like any plan kept. The quick plans one
    step either way first (a second or less in all: a move there soon shows a plan), then the full
    plans one step either way and on up to ``AHEAD_STEPS`` steps the way the room moved last
    (:func:`ahead_direction`), nearest first (a solver worker's few seconds each; every session's
    quick plans ahead before any full one). A room that talked through the first plan finds the
    plans of its next few moves kept, however fast it then moves; a move that comes sooner shows the
    quick plan, and its full search joins the one running ahead. Asked once
    per key and session; run one at a time when the server's queue has nothing someone asked for
    (:meth:`~planner.solve.BackgroundSolves.submit_when_idle`), and a full plan made ahead is stopped
    for any plan someone asks for, so it never delays one someone is waiting for.
    """
    asked: set[PlanKey] = st.session_state[AHEAD_KEY]
    if key in asked:
        return
    towards = ahead_direction(st.session_state[AHEAD_LAST_KEY], key)
    here = PlanJob.of(key)  # the backlog loaded and checked once: every position ahead shares it
    # The scenario's own plan is solved as the command line does, when asked for.
    full_ahead = [
        full
        for full in (here.at(around.settings) for around in neighbour_keys(key, towards, AHEAD_STEPS))
        if not full.at_saved_what_ifs
    ]
    one_step = set(neighbour_keys(key, towards))
    quick_ahead = [(full, full.quick()) for full in full_ahead if full.key in one_step]
    queue = background_solves()
    names = frozenset([quick.ahead_name for _full, quick in quick_ahead] + [full.name for full in full_ahead])
    # The room moved on: what this session planned around where it was gives way, unless somebody
    # waits for it now or it is still around where the room is (a full plan far the other way would
    # hold the queue for seconds). The queue does not know who planned it: another session planning
    # the very same position ahead loses it too, and plans it again when its own room moves.
    queue.withdraw_unasked(st.session_state[AHEAD_NAMES_KEY] - names)
    # The queue starts the newest ask of a rank first: asked in reverse, the nearest step ``towards`` goes first.
    for full, quick in reversed(quick_ahead):
        queue.submit_when_idle(quick.ahead_name, quick.ahead(full), rank=0)
    for full in reversed(full_ahead):  # each stopped for any plan somebody asks for
        stop = threading.Event()
        queue.submit_when_idle(full.name, full.full_ahead(stop), stop=stop.set, rank=1)
    asked.add(key)
    st.session_state[AHEAD_LAST_KEY] = key
    st.session_state[AHEAD_NAMES_KEY] = names


@st.cache_data(max_entries=64, show_spinner=False)
def quick_plan_for(key: PlanKey) -> PlanResult:
    """The quick plan of ``key`` (kept in the database with its inputs, like every plan the app shows)."""
    quick = PlanJob.of(key).quick()
    # Planned ahead of this move (plan_ahead) but not started: it may be queued behind other
    # sessions' work (up to MAX_DEFERRED quick solves; waiting made a move take 24 s with 5
    # sessions), so it is withdrawn and solved here. Already running: waited for, not solved twice.
    ahead = background_solves().withdraw(quick.ahead_name)
    if ahead is not None:
        try:
            ahead.result()
        except Exception:  # failed there: solved here, where the error is shown
            pass
    return quick.kept() or quick.solve()


def plan_first(key: PlanKey) -> tuple[PlanResult, PlanJob | None]:
    """The plan to show for ``key`` now, and the full plan still to make (None: the plan shown is the full plan).

    The full plan when it is kept (or at the scenario's saved what-ifs, where the page waits for it,
    as the command line would); else the quick plan, and the :class:`PlanJob` of the full plan for
    :func:`await_full_plan`, unless the quick plan is already proven within the gap (or proven
    infeasible), when it is kept as the full plan too, or came to nothing, when the full plan is
    made here.
    """
    accepted = st.session_state.get(ACCEPTED_KEY)
    if accepted is not None and accepted[0] == key:
        return accepted[1], None
    plan = PlanJob.of(key)
    if plan.at_saved_what_ifs:
        return plan_for(*key), None
    full = plan.kept()
    if full is not None:
        return full, None
    quick = quick_plan_for(key)
    if not found_a_plan(quick):
        return plan_for(*key), None  # the quick search came to nothing (a busy machine): the full plan, here
    if settled_at_once(quick):
        return plan.keep(quick), None
    return quick, plan


def quick_plan_note(plan: PlanJob) -> None:
    """Say that the plan shown is the quick one and the full search runs (drawn by the page, near the figures).

    An alert with a spinner, not ``st.status``: a status sleeps 50 ms when it opens and again when
    it closes (a fifth of a quick plan's rerun), and closing it marks it complete while the search runs.
    """
    st.info("Searching for a better plan and its proof", icon="spinner")
    st.caption(
        "This is the plan of a quick search; the figures change when the full search is done "
        f"(a search of at most {plan.options.time_limit:.0f} s, after those other sessions asked for first)."
    )


@st.fragment(run_every=0.5)
def await_full_plan(plan: PlanJob) -> None:
    """Ask for the full plan of ``plan`` and redraw the page once it is kept.

    Called at the end of the page: the search starts once the page is drawn, so its model building
    does not slow the drawing of the quick plan. A search withdrawn (this or another session moved
    on before it started) is asked for again; a failed one is reported.
    """
    if plan.kept() is not None:
        rerun_for_the_page()
    running = background_solves().pending(plan.name)
    failed = running.exception() if running is not None and running.done() else None
    if running is None or isinstance(failed, SolveWithdrawn) or (running.done() and failed is None):
        plan.solve_in_background()  # (withdrawn, or made ahead but not kept: another session was making it)
    elif failed is not None:
        st.warning(markdown_inert(f"The full search failed ({failed}): the plan shown is the quick one."))


def planning_backlog_of(
    scenario: Scenario, value_rule: str, overrides: tuple[tuple[str, Override], ...]
) -> pd.DataFrame:
    """The scenario's backlog as the plan takes it: the value rule, its treatment of sprint names, the overrides."""
    return _planning_backlog(scenario.id, scenario.version, value_rule, overrides)


@st.cache_data(max_entries=32, show_spinner=False)
def _planning_backlog(
    scenario_id: str, version: int, value_rule: str, overrides: tuple[tuple[str, Override], ...]
) -> pd.DataFrame:
    """Cached: a rerun asks for it several times (the plan's inputs, its tables, the checks)."""
    scenario = load_by_id(scenario_id, version)
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
    return PlanKey(scenario.id, scenario.version, *arguments, balance)


def plan_for_key(key: PlanKey) -> PlanResult:
    """The plan of ``key``: the plan shown when it was accepted as the baseline, else :func:`plan_for`.

    Accepting the plan on screen makes it the baseline, which changes the key; with the other inputs
    unchanged, the plan is the one accepted, with no change, rather than a new solve.
    """
    accepted = st.session_state.get(ACCEPTED_KEY)
    if accepted is not None and accepted[0] == key:
        return accepted[1]
    return plan_for(*key)


def accept_plan(key: PlanKey, result: PlanResult, version: int | None = None) -> None:
    """Make ``result`` (the plan of ``key``, on screen) the baseline that stable re-plans keep.

    ``version``: the scenario's new version, when accepting saved the plan with it.
    """
    plan = positions(result)
    st.session_state["planner_previous"] = dict(plan)
    accepted_key = key._replace(
        version=version or key.version,
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
    version = save_settings_change(
        scenario,
        lambda settings: scenario_what_ifs.with_accepted_plan(settings, plan),
        f"accepted a plan of {len(plan)} items as the baseline",
    )
    if version is None:
        accept_plan(key, result)
        flash("error", "The plan is the baseline for this session only: it was not saved with the scenario.")
        return
    accept_plan(key, result, version)
    flash("success", f"This plan ({len(plan)} items) is the baseline: re-plans keep it where they can.")


def pin_editor_key(overrides: Mapping[str, Override]) -> str:
    """The Plan page's pin editor key for these pins: when they change (in this session, or saved by
    someone else) the editor starts afresh, instead of replaying its old edits over the new pins."""
    digest = hashlib.sha256(repr(sorted(overrides.items())).encode()).hexdigest()[:16]
    return f"planner_pin_editor_{digest}"


def _saved_what_ifs(scenario: Scenario) -> tuple[dict[str, Any], scenario_what_ifs.PlanArguments]:
    """The saved what-ifs (the defaults when none) and the plan's inputs at them; PlannerError if unusable."""
    values = scenario_what_ifs.apply_what_if(scenario.settings) or dict(WHAT_IF_DEFAULTS)
    return values, scenario_what_ifs.plan_arguments(values, scenario.settings)


def saved_arguments(scenario: Scenario) -> scenario_what_ifs.PlanArguments | None:
    """The plan's inputs at the scenario's saved what-ifs (the defaults when none); None when unusable."""
    try:
        return _saved_what_ifs(scenario)[1]
    except PlannerError:
        return None


def saved_what_if_plan(scenario: Scenario) -> tuple[dict[str, Any], scenario_what_ifs.PlanArguments, PlanResult]:
    """The plan of a scenario version at its saved what-ifs (the defaults when it has none), as Compare shows it.

    Raises :class:`~planner.errors.PlannerError` when the saved what-ifs cannot be used.
    """
    values, arguments = _saved_what_ifs(scenario)
    return values, arguments, plan_for(scenario.id, scenario.version, *arguments)


def current_plan(scenario: Scenario) -> PlanResult:
    """Solve (or reuse) the plan for the current scenario, what-ifs and balance targets."""
    return plan_for_key(plan_key(scenario))
