"""Export: the proposed plan as an Excel workbook for the leads, and a CSV for the tracker's Sprint field."""

import json
import re
import shlex
from collections.abc import Mapping
from typing import Any

import streamlit as st

from pages import _state
from planner.errors import PlannerError
from planner.markdown_escape import markdown_code, markdown_format, markdown_inert
from planner.number_text import format_number
from planner.outputs import export_workbook, tracker_csv
from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY
from planner.scenarios import (
    ACCEPTED_PLAN_KEY,
    WHAT_IF_KEY,
    apply_what_if,
    plan_arguments,
    what_if_json,
    what_if_summary,
)
from planner.solve import PlanResult, SolveOptions
from planner.sprint_values import SPRINT_SETTINGS_KEY
from planner.store import Scenario

CLI_KEY = "planner_export_cli"  # the command line expander: its content is drawn only while it is open
WHAT_IFS_FILE = "what-ifs.json"


@st.cache_data(max_entries=8, show_spinner="Writing the workbook ...")
def workbook_bytes(key: _state.PlanKey, what_ifs: str) -> bytes:
    """The workbook of the plan ``key`` names, with ``what_ifs`` on its Summary (cached by both).

    Everything the workbook holds comes from the arguments, never from session state: a session with
    other pins or balance targets asks with another key and gets its own workbook. The workbook is
    the library's :func:`export_workbook`, the one ``planner plan --out`` writes (Refinement sheet:
    the agenda of the default readiness checks).
    """
    saved = _state.load_by_id(key.scenario_id, key.version)
    planned = _state.plan_for(*key)
    capacity = _state.capacity_for(key.scenario_id, key.version, key.settings)
    backlog = _state.planning_backlog_of(saved, key.value_rule, key.overrides)
    return export_workbook(
        planned,
        backlog,
        capacity,
        scenario_name=saved.name,
        settings={"what-ifs": what_ifs, "value rule": key.value_rule, "balance targets": balance_text(key.balance)},
    )


def balance_text(balance: tuple[tuple[str, float], ...]) -> str:
    """The balance targets the plan is held to, in a few words."""
    return ", ".join(f"{kind} at least {share:.0%}" for kind, share in balance) or "none"


def what_ifs_data(scenario: Scenario, key: _state.PlanKey) -> dict[str, Any]:
    """What ``planner plan --what-ifs`` takes to make the plan of ``key``: this session's what-ifs as
    :func:`~planner.scenarios.what_if_json` makes them, with the value rule, the pins and the plan kept
    stable as the plan used them (none with "Free re-plan" on), and the scenario's treatment of sprint names.

    A scenario's settings in shape (``what_if``, ``value_rule``, ``accepted_plan``, ``sprint_values``):
    the command line reads it back with the library's :func:`~planner.scenarios.apply_what_if`, as the
    app reads saved what-ifs. Raises :class:`PlannerError` for a what-if that cannot be saved.
    """
    values = {
        **_state.session_what_ifs(),
        "planner_value_rule": key.value_rule,
        "planner_overrides": dict(key.overrides),
        "planner_previous": dict(key.previous),
    }
    what_ifs = what_if_json(values)
    data: dict[str, Any] = {WHAT_IF_KEY: what_ifs, "value_rule": key.value_rule}
    if what_ifs["previous"]:
        data[ACCEPTED_PLAN_KEY] = what_ifs["previous"]
    data[SPRINT_SETTINGS_KEY] = _state.sprint_treatment(scenario).settings()
    return data


def gives_the_plan(data: Mapping[str, Any], key: _state.PlanKey) -> bool:
    """True when ``data``, read back as the command line reads it, gives the plan inputs of ``key``."""
    values = apply_what_if(data)
    return tuple(plan_arguments(values, data)) == (key.settings, key.value_rule, key.overrides, key.previous)


def command_line(scenario: Scenario) -> str:
    """The command that plans ``scenario``'s files at the downloaded what-ifs (names quoted for a shell)."""
    files = scenario.settings.get("files") or {}
    sample = bool(scenario.settings.get("sample"))
    backlog = files.get("backlog") or (f"data/{SAMPLE_BACKLOG.name}" if sample else "BACKLOG_FILE")
    capacity = files.get("capacity") or ([f"data/{SAMPLE_CAPACITY.name}"] if sample else ["CAPACITY_FILE"])
    if isinstance(capacity, str):
        capacity = [capacity]
    words = ["planner", "plan", "--backlog", str(backlog)]
    for name in capacity:
        words += ["--capacity", str(name)]
    return shlex.join([*words, "--what-ifs", WHAT_IFS_FILE, "--json"])


def command_line_section(scenario: Scenario, key: _state.PlanKey, result: PlanResult) -> None:
    """The what-ifs to download and the command that gives this plan from the files (SPEC section 3)."""
    cli = SolveOptions()
    st.caption(
        "Download this session's what-ifs (sliders, headcount, value rule, pins and MoSCoW changes, the plan "
        "kept stable) and run the command where the backlog and capacity files are: it makes this plan, "
        f"solved as the command line solves ({cli.time_limit:g} s limit, {cli.gap:.2%} gap)."
    )
    if result.gap is not None and result.gap > cli.gap:
        st.caption(
            f"The plan on this page stopped within {result.gap:.2%} of the best possible (a what-if moved from the "
            "saved ones is solved quickly): the command line searches on, and may find a better plan."
        )
    try:
        data = what_ifs_data(scenario, key)
    except PlannerError as error:
        st.error(markdown_inert(f"These what-ifs cannot be written for the command line: {error}"))
        return
    if not gives_the_plan(data, key):
        st.warning("The command line would read these what-ifs differently from this plan: its plan may differ.")
    if key.balance:
        st.info(
            "Balance targets are not what-ifs the command line takes: it plans without them, so its plan "
            "may differ from this one."
        )
    st.download_button(
        f"Download the what-ifs ({WHAT_IFS_FILE})",
        json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False),
        file_name=WHAT_IFS_FILE,
        mime="application/json",
        icon=":material/data_object:",
        on_click="ignore",
        key="planner_export_what_ifs",
    )
    st.code(command_line(scenario), language="bash", wrap_lines=True)  # file names as written, never Markdown


# --- the page ----------------------------------------------------------------------------------------

st.title("Export")
scenario = _state.page_scenario()
_state.say_flash()
key = _state.plan_key(scenario)

try:
    result = _state.plan_for_key(key)
except PlannerError as error:
    st.error(markdown_inert(error))
    st.stop()
if result.status not in ("optimal", "feasible"):
    st.error(markdown_code(result.message) or "There is no plan to export: see the Plan page.")
    st.stop()

what_ifs = what_if_summary(_state.session_what_ifs(), scenario.settings.get("value_rule"))
stem = re.sub(r"[^\w.-]+", "-", scenario.name).strip("-") or "plan"

st.markdown(
    markdown_format(
        "**{}**: {} planned over {}, value {} ({}).",
        scenario.name,
        format_number(len(result.selected), "items"),
        format_number(len(result.sprints), "sprints"),
        format_number(result.objective),
        result.status,
    )
)
st.caption(markdown_format("What-ifs: {}. Balance targets: {}.", what_ifs, balance_text(key.balance)))

workbook_column, csv_column = st.columns(2)
with workbook_column:
    st.subheader("Plan workbook")
    st.caption(
        "Plan (uploads back as a backlog with the sprints pinned), Summary, Not planned, Capacity, "
        "Refinement (the meeting agenda), and one sheet per team for each lead to print."
    )
    st.download_button(
        "Download the plan (.xlsx)",
        workbook_bytes(key, what_ifs),
        file_name=f"{stem}-plan.xlsx",
        type="primary",
        icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="planner_export_xlsx",
    )
with csv_column:
    st.subheader("Tracker update")
    st.caption("id, sprint, team: for a bulk update of the Sprint field in Jira, Linear or Azure DevOps.")
    st.download_button(
        "Download id, sprint, team (.csv)",
        tracker_csv(result),
        file_name=f"{stem}-sprints.csv",
        mime="text/csv",
        icon=":material/table:",
        key="planner_export_csv",
    )

section = st.expander("The same plan from the command line", key=CLI_KEY, on_change="rerun", icon=":material/terminal:")
if section.open:  # drawn only while open: the page's downloads stay the two above until it is
    with section:
        command_line_section(scenario, key, result)
