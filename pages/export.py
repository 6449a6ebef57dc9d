"""Export: the proposed plan as an Excel workbook for the leads, and a CSV for the tracker's Sprint field."""

import re

import streamlit as st

from pages import _state
from planner import scenarios as scenario_what_ifs
from planner.agenda import agenda_table, build_agenda
from planner.checks import CheckSettings, run_checks
from planner.errors import PlannerError
from planner.export import plan_workbook, tracker_csv
from planner.safe_text import markdown_inert

st.title("Export")
scenario = _state.page_scenario()

try:
    result = _state.current_plan(scenario)
except PlannerError as error:
    st.error(markdown_inert(error))
    st.stop()
if result.status not in ("optimal", "feasible"):
    st.error(markdown_inert(result.message or "There is no plan to export: see the Plan page."))
    st.stop()


@st.cache_data(max_entries=8, show_spinner="Writing the workbook ...")
def workbook_bytes(scenario_id: str, updated_at: str, what_ifs: str) -> bytes:
    """The workbook for this scenario and these what-ifs (cached: a download does not rebuild it)."""
    summary = next(s for s in _state.scenarios() if s.id == scenario_id)
    saved = _state.load(summary)
    arguments = scenario_what_ifs.plan_arguments(st.session_state, saved.settings)
    planned = _state.current_plan(saved)
    capacity = _state.capacity_for(scenario_id, updated_at, arguments.settings)
    backlog = _state.planning_backlog(saved)
    # The Refinement sheet: the meeting agenda of the default readiness checks.
    refinement = agenda_table(build_agenda(backlog, run_checks(backlog, capacity, CheckSettings()), capacity))
    return plan_workbook(planned, backlog, capacity, scenario_name=saved.name,
                         settings={"what-ifs": what_ifs, "value rule": arguments.value_rule},
                         extra_sheets={"Refinement": refinement})


what_ifs = scenario_what_ifs.what_if_summary(
    {key: st.session_state[key] for key in scenario_what_ifs.WHAT_IF_DEFAULTS if key in st.session_state},
    scenario.settings.get("value_rule"),
)
stem = re.sub(r"[^\w.-]+", "-", scenario.name).strip("-") or "plan"

st.markdown(
    f"**{markdown_inert(scenario.name)}**: {len(result.selected)} items planned over {len(result.sprints)} "
    f"sprint(s), value {result.objective:,.0f} ({result.status})."
)
st.caption(f"What-ifs: {markdown_inert(what_ifs)}")

workbook_column, csv_column = st.columns(2)
with workbook_column:
    st.subheader("Plan workbook")
    st.caption("Plan (uploads back as a backlog with the sprints pinned), Summary, Not planned, Capacity, "
               "Refinement (the meeting agenda), and one sheet per team for each lead to print.")
    st.download_button(
        "Download the plan (.xlsx)", workbook_bytes(scenario.id, scenario.updated_at.isoformat(), what_ifs),
        file_name=f"{stem}-plan.xlsx", type="primary", icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="planner_export_xlsx",
    )
with csv_column:
    st.subheader("Tracker update")
    st.caption("id, sprint, team: for a bulk update of the Sprint field in Jira, Linear or Azure DevOps.")
    st.download_button("Download id, sprint, team (.csv)", tracker_csv(result), file_name=f"{stem}-sprints.csv",
                       mime="text/csv", icon=":material/table:", key="planner_export_csv")
