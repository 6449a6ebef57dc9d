"""Export: the proposed plan as an Excel workbook for the leads, and a CSV for the tracker's Sprint field."""

import re

import streamlit as st

from pages import _state
from planner.errors import PlannerError
from planner.markdown_escape import markdown_code, markdown_format, markdown_inert
from planner.number_text import format_number
from planner.outputs import export_workbook, tracker_csv
from planner.scenarios import what_if_summary


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
