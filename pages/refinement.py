"""Refinement: what to fix or discuss before planning, and the refinement meeting's agenda."""

from __future__ import annotations

import streamlit as st

from pages import _state
from planner import scenarios as scenario_what_ifs
from planner.capacity import CapacityResult, CapacitySettings
from planner.cells import is_blank
from planner.errors import PlannerError, SettingsError
from planner.input_problems import Problem
from planner.markdown_escape import markdown_format, markdown_inert
from planner.overrides import Override
from planner.refine import (
    CHECKS,
    DEFAULT_MILESTONE_TYPES,
    CheckSettings,
    Finding,
    agenda_markdown,
    build_agenda,
    findings_frame,
    run_checks,
)
from planner.sprint_values import classify_sprint_values, sprint_findings

PREFIX = "planner_refinement_"
SEVERITY_ICONS = {"error": "🔴 error", "warning": "🟠 warning", "info": "🔵 info"}


def _item_types(scenario) -> list[str]:
    """The backlog's item types, as written, in first-seen order (blank types left out)."""
    if "type" not in scenario.backlog.columns:
        return []
    return list(dict.fromkeys(str(t).strip() for t in scenario.backlog["type"] if not is_blank(t)))


def settings_controls(scenario) -> CheckSettings:
    """The settings expander; the check settings it gives (SettingsError when they are unusable)."""
    defaults = CheckSettings()
    with st.expander("Check settings"):
        left, middle, right = st.columns(3)
        split = left.number_input(
            "Split threshold (days)",
            min_value=0.0,
            max_value=1000.0,
            value=float(defaults.split_threshold or 0),
            step=1.0,
            key=f"{PREFIX}split_threshold",
            help="Items estimated above this should be split; 0 turns it off",
        )
        stale = middle.number_input(
            "Stale after (days)",
            min_value=0,
            max_value=3650,
            value=defaults.stale_days,
            step=1,
            key=f"{PREFIX}stale_days",
            help="Open items not updated for longer are stale",
        )
        similarity = right.slider(
            "Duplicate similarity",
            min_value=0.5,
            max_value=1.0,
            value=defaults.duplicate_similarity,
            step=0.01,
            key=f"{PREFIX}duplicate_similarity",
            help="How alike two titles must be to flag a likely duplicate",
        )
        typed = st.text_input(
            "Milestone types (comma-separated)",
            value=", ".join(DEFAULT_MILESTONE_TYPES),
            key=f"{PREFIX}milestone_types",
            help="Milestones must read 'Initiative | Milestone type | optional description' with one of these types",
        )
        milestone_types = tuple(dict.fromkeys(part.strip() for part in typed.split(",") if part.strip()))
        if not milestone_types:
            raise SettingsError("Name at least one milestone type.")
        targets: dict[str, float] = {}
        types = _item_types(scenario)
        if types:
            st.markdown("**Balance targets** (minimum share of Must + Should effort per item type; 0 = none)")
            columns = st.columns(min(len(types), 4))
            for position, kind in enumerate(types):
                held = round(100 * st.session_state.get(_state.BALANCE_KEY, {}).get(kind, 0))
                share = columns[position % len(columns)].number_input(
                    markdown_format("{} (%)", kind),
                    min_value=0,
                    max_value=100,
                    value=held,
                    step=5,
                    key=f"{PREFIX}balance_{kind}",
                )
                if share > 0:
                    targets[kind] = share / 100
            hold = st.toggle(
                "Hold the plan to these targets",
                value=bool(st.session_state.get(_state.BALANCE_KEY)),
                key=f"{PREFIX}hold_balance",
                help="The optimiser then plans at least these shares of effort per type",
            )
            # A plain key, so the Plan and Export pages keep the targets after this page is left.
            st.session_state[_state.BALANCE_KEY] = dict(targets) if hold else {}
            _state.show_what_ifs_in_url()
    return CheckSettings(
        split_threshold=float(split) if split > 0 else None,
        stale_days=int(stale),
        duplicate_similarity=float(similarity),
        milestone_types=milestone_types,
        balance_targets=targets,
    )


@st.cache_data(max_entries=16, show_spinner=False)
def findings_for(
    scenario_id: str,
    version: int,
    settings: CheckSettings,
    capacity_settings: CapacitySettings,
    value_rule: str,
    overrides: tuple[tuple[str, Override], ...],
    with_capacity: bool,
) -> tuple[list[Finding], str]:
    """The findings on the planning backlog, and the agenda as Markdown (cached by all the inputs)."""
    scenario = _state.load_by_id(scenario_id, version)
    backlog = _state.planning_backlog_of(scenario, value_rule, overrides)
    capacity: CapacityResult | None = (
        _state.capacity_for(scenario_id, version, capacity_settings) if with_capacity else None
    )
    findings = run_checks(backlog, capacity, settings)
    agenda = build_agenda(backlog, findings, capacity, unit=capacity.unit if capacity is not None else "days")
    return findings, agenda_markdown(agenda, title=f"Refinement agenda: {scenario.name}")


def sprint_problems(scenario) -> list[Problem]:
    """The Data page's finding: one warning per sprint value that is none of the capacity file's sprints."""
    treatment = _state.sprint_treatment(scenario)
    files = scenario.settings.get("files") or {}
    return sprint_findings(
        classify_sprint_values(scenario.backlog, treatment.capacity_sprints),
        dict(treatment.treatments),
        backlog=scenario.backlog,
        file=files.get("backlog") or "backlog",
    )


# --- the page ----------------------------------------------------------------------------------------

st.title("Refinement")
scenario = _state.page_scenario()
_state.say_flash()
st.caption(
    "Checks on the backlog as the Plan page sees it (with its value rule, pins and MoSCoW changes): "
    "what to fix or discuss before planning."
)

try:
    settings = settings_controls(scenario)
except PlannerError as error:
    st.error(markdown_inert(error))
    st.stop()

arguments = scenario_what_ifs.plan_arguments(st.session_state, scenario.settings)
with_capacity = True
try:
    _state.capacity_for(scenario.id, scenario.version, arguments.settings)
except PlannerError as error:
    with_capacity = False
    st.warning(markdown_inert(f"The capacity could not be computed, so the checks that need it are skipped: {error}"))

try:
    findings, agenda_text = findings_for(
        scenario.id,
        scenario.version,
        settings,
        arguments.settings,
        arguments.value_rule,
        arguments.overrides,
        with_capacity,
    )
except PlannerError as error:
    st.error(markdown_inert(error))
    st.stop()

sprint_warnings = sprint_problems(scenario)
errors, warnings, infos = st.columns(3)
errors.metric("Errors", sum(f.severity == "error" for f in findings), help="Fix before planning")
warnings.metric("Warnings", sum(f.severity == "warning" for f in findings), help="Fix or discuss")
infos.metric("Info", sum(f.severity == "info" for f in findings), help="Worth a look")

if sprint_warnings:
    st.markdown("##### Sprint names that are none of your sprints")
    for problem in sprint_warnings:
        st.warning(markdown_inert(f"{problem.location}: {problem.message}"), icon=":material/event_busy:")
    st.caption("Change how each is treated on the Data page.")

chosen = st.multiselect("Checks", list(CHECKS), key=f"{PREFIX}checks", placeholder="All checks")
shown = [f for f in findings if not chosen or f.check in chosen]
if not findings:
    st.success("No findings: the backlog is ready to plan.")
else:
    table = findings_frame(shown)
    table["severity"] = table["severity"].map(SEVERITY_ICONS).fillna(table["severity"])
    st.caption(f"{len(shown)} of {len(findings)} findings, errors first.")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "items": st.column_config.TextColumn("items", width="small"),
            "message": st.column_config.TextColumn("message", width="large"),
        },
    )

with st.expander("Meeting agenda"):
    st.caption(
        "The flagged items grouped for the refinement meeting, each in the template Description / "
        "Technical notes / Acceptance criteria / Points or days / Deadline."
    )
    st.code(agenda_text, language="markdown", wrap_lines=True)
st.download_button(
    "Download the agenda (.md)",
    data=agenda_text,
    file_name="refinement-agenda.md",
    mime="text/markdown",
    key=f"{PREFIX}agenda_download",
)
