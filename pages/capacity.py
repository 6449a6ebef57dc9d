"""Capacity: net days per team and sprint, step by step from gross, contention, and OOO / on-call edits."""

from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from pages import _state
from planner.capacity import (
    LEDGER_STEPS,
    capacity_table,
    compute_capacity,
    contention,
    range_problems,
    waterfall_rows,
)
from planner.cells import is_blank
from planner.errors import InputError, PlannerError
from planner.markdown_escape import markdown_inert
from planner.number_text import TABLE_FORMAT, format_number, format_percent
from planner.schema import CAPACITY_SHEETS, CapacityTables, coerce_table
from planner.store import Scenario

FLAGS = {"over": "🔴 over", "tight": "🟠 tight", "ok": "🟢 ok"}
EFFECT_COLORS = {"total": "#4c78a8", "deduction": "#d62728", "addition": "#2ca02c", "no change": "#9e9e9e"}
RANGE_SHEETS = {"ooo": "OOO", "oncall": "On-call"}


def show_error(error: PlannerError) -> None:
    """The error's message, and the problems it lists as a table; never a traceback."""
    head = str(error.args[0]) if error.args else str(error)
    st.error(markdown_inert(head))
    problems = getattr(error, "problems", ())
    if problems:
        st.dataframe(pd.DataFrame([problem.as_dict() for problem in problems]), hide_index=True)


def waterfall_chart(ledger: pd.DataFrame, team: str, sprints: list[str]) -> alt.FacetChart:
    """The team's ledger as one waterfall per sprint (small multiples, three to a row)."""
    frames = []
    for sprint in sprints:
        bars = waterfall_rows(ledger, team, sprint)
        bars.insert(0, "sprint", sprint)
        frames.append(bars)
    data = pd.concat(frames, ignore_index=True)
    data["step"] = data["step"].astype(str)
    data["sprint"] = data["sprint"].astype(str)
    data["effect"] = "total"
    data.loc[(data["kind"] == "change") & (data["change"] < -1e-9), "effect"] = "deduction"
    data.loc[(data["kind"] == "change") & (data["change"] > 1e-9), "effect"] = "addition"
    data.loc[(data["kind"] == "change") & (data["change"].abs() <= 1e-9), "effect"] = "no change"
    data["label"] = [
        format_number(change, decimals=1)
        if effect == "total"
        else "0"
        if effect == "no change"
        else ("+" if change > 0 else "") + format_number(change, decimals=1)
        for change, effect in zip(data["change"], data["effect"])
    ]
    data["top"] = data[["start", "end"]].max(axis=1)
    data = data.drop(columns="kind")

    x = alt.X("step:N", sort=list(LEDGER_STEPS), title=None, axis=alt.Axis(labelAngle=-40, labelOverlap=False))
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("start:Q", title="days"),
            y2="end:Q",
            color=alt.Color(
                "effect:N", title=None, scale=alt.Scale(domain=list(EFFECT_COLORS), range=list(EFFECT_COLORS.values()))
            ),
            tooltip=[
                alt.Tooltip("step:N"),
                alt.Tooltip("change:Q", format="+.2f", title="days"),
                alt.Tooltip("start:Q", format=".2f"),
                alt.Tooltip("end:Q", format=".2f"),
            ],
        )
    )
    labels = alt.Chart().mark_text(dy=-6, fontSize=11).encode(x=x, y="top:Q", text="label:N")
    return (
        alt.layer(bars, labels, data=data)
        .properties(width=300, height=260)
        .facet(
            facet=alt.Facet("sprint:N", sort=sprints, title=None),
            columns=3,
        )
    )


def checked_ranges(edited: pd.DataFrame, sheet: str, people: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The edited ``ooo`` or ``oncall`` table as its sheet's shape, and a message per problem of a row.

    Rows left entirely blank are dropped; the others are checked by the capacity engine's own rules
    (:func:`range_problems`), with rows numbered as the editor shows them (from 1).
    """
    frame = edited.reset_index(drop=True)
    fields = [column for column in ("name", "start", "end", "load") if column in frame.columns]
    keep = [
        position
        for position, values in enumerate(frame[fields].itertuples(index=False, name=None))
        if not all(is_blank(value) for value in values)
    ]
    table = coerce_table(frame.loc[keep], CAPACITY_SHEETS[sheet])
    if "name" in table.columns:
        table["name"] = table["name"].str.strip()
    numbered = table.assign(source_row=[position + 1 for position in keep])
    messages = [
        f"{RANGE_SHEETS[sheet]} row {problem.row}: {problem.message}"
        for problem in range_problems(numbered, sheet, people)
    ]
    return table, messages


def range_editor(scenario: Scenario, sheet: str, people: list[str]) -> pd.DataFrame:
    """A dynamic editor over the scenario's ``ooo`` or ``oncall`` table; the edited table."""
    table = getattr(scenario.capacity, sheet)
    shown = ["name", "start", "end"] + (["load"] if sheet == "oncall" else [])
    config = {
        "name": st.column_config.SelectboxColumn("name", options=people, required=True),
        "start": st.column_config.DateColumn("start", format="YYYY-MM-DD", required=True),
        "end": st.column_config.DateColumn("end", format="YYYY-MM-DD", required=True),
    }
    if sheet == "oncall":
        config["load"] = st.column_config.NumberColumn(
            "load",
            min_value=0.0,
            max_value=1.0,
            step=0.05,
            format="%.2f",
            help="Share of an on-call day lost to on-call; blank = the On-call load slider",
        )
    # The key names the saved version the edits are made on: after a save the editor starts afresh.
    return st.data_editor(
        table,
        num_rows="dynamic",
        hide_index=True,
        column_order=shown,
        column_config=config,
        key=f"planner_capacity_{sheet}_{scenario.id}_{scenario.version}",
    )


def _same(before: pd.DataFrame, after: pd.DataFrame, sheet: str) -> bool:
    columns = list(CAPACITY_SHEETS[sheet])
    return coerce_table(before, CAPACITY_SHEETS[sheet])[columns].equals(after[columns])


def save_ranges(scenario: Scenario, edited: dict[str, pd.DataFrame], people: list[str]) -> None:
    """Check the edited OOO and on-call tables, then save them and rerun; on a problem, save nothing."""
    checked, messages = {}, []
    for sheet, frame in edited.items():
        checked[sheet], found = checked_ranges(frame, sheet, people)
        messages += found
    if messages:
        st.error("Nothing was saved. Fix these rows first:")
        for message in messages:
            st.error(markdown_inert(message))
        return
    if all(_same(getattr(scenario.capacity, sheet), table, sheet) for sheet, table in checked.items()):
        st.info("No changes to save.")
        return
    tables: CapacityTables = replace(scenario.capacity, **checked)
    try:
        compute_capacity(tables, _state.capacity_settings())  # the engine must be able to use what is saved
    except InputError as error:
        # Problems in other sheets (people, sprints...) were there before: they do not block these rows.
        if not error.problems or any(problem.sheet in RANGE_SHEETS for problem in error.problems):
            st.error("Nothing was saved: the capacity could not be computed with these rows.")
            show_error(error)
            return

    what = f"OOO and on-call edited ({len(tables.ooo)} OOO, {len(tables.oncall)} on-call rows)"

    def apply(scenario_id: str, settings: dict, version: int) -> int:
        # On the version named: the rows edited here, the other tables as they are in that version
        # (a re-apply after a conflict puts these rows over the newest version's).
        now = scenario if version == scenario.version else _state.load_by_id(scenario_id, version)
        changed: CapacityTables = replace(now.capacity, **checked)
        return _state.store().replace_tables(
            scenario_id, now.backlog, changed, based_on=version, author=_state.author(), what=what
        )

    if _state.save_change(scenario, what, apply) is not None:
        _state.flash(
            "success", f"Saved {len(tables.ooo)} OOO and {len(tables.oncall)} on-call rows; capacity recomputed."
        )
    st.rerun()


# --- the page ----------------------------------------------------------------------------------------

st.title("Capacity")
scenario = _state.page_scenario()

_state.say_flash()

result = None
try:
    result = _state.capacity_for(scenario.id, scenario.version, _state.capacity_settings())
except PlannerError as error:
    show_error(error)
    st.caption(
        "Fix the rows named above (OOO and on-call can be edited below), or load corrected files on the Data page."
    )

if result is not None:
    teams = list(dict.fromkeys(result.team_sprint["team"].astype(str)))
    sprints = list(result.sprints["sprint"].astype(str))
    table = capacity_table(result.team_sprint, result.ledger, result.unit)

    gross_total, net_total = float(table["gross"].sum()), float(table["net"].sum())
    points = result.unit == "points"
    gross_metric, net_metric, kept_metric, horizon_metric, *points_metric = st.columns(5 if points else 4)
    gross_metric.metric("Gross days", format_number(gross_total, decimals=1))
    net_metric.metric("Net days", format_number(net_total, decimals=1))
    kept_metric.metric(
        "Kept",
        format_percent(net_total / gross_total) if gross_total else "-",
        help="Net as a share of gross, after holidays, OOO, on-call, focus, buffer and capacity %"
        + (" (in points the focus factor is 1: velocity is already net of focus)" if points else ""),
    )
    horizon_metric.metric("Sprints", len(sprints), help="Set with 'Sprints to plan' in the sidebar")
    if points_metric:
        points_metric[0].metric(
            "Net points",
            format_number(float(table["net points"].sum()), decimals=1),
            help="Each team's velocity x its net days / its days at full availability",
        )

    if result.problems:
        with st.expander(f"Capacity warnings ({len(result.problems)})", expanded=len(result.problems) <= 3):
            for problem in result.problems:
                st.warning(markdown_inert(f"{problem.location}: {problem.message}"))

    flags = None
    try:
        flags = contention(_state.planning_backlog(scenario), result)
    except PlannerError as error:
        show_error(error)
    if flags is not None:
        for message in flags.loc[flags["flag"].isin(["over", "tight"]), "message"]:
            st.warning(markdown_inert(message), icon=":material/warning:")

waterfall_tab, table_tab, contention_tab, edit_tab = st.tabs(
    ["Waterfall", "Teams and sprints", "Contention", "Edit OOO and on-call"]
)

if result is None:
    for tab in (waterfall_tab, table_tab, contention_tab):
        tab.info("No capacity to show until the problems above are fixed.")
else:
    with waterfall_tab:
        if not teams:
            st.info("No team has people in the capacity file.")
        else:
            team = (
                st.segmented_control(
                    "Team", teams, default=teams[0], key="planner_capacity_team", format_func=markdown_inert
                )
                or teams[0]
            )
            st.caption(
                "From gross days (working days x allocation) to net, one bar per step: red takes days away, "
                "green adds them. Holidays, OOO and on-call come from the capacity file; focus, buffer and "
                "capacity % from the sidebar."
                + (
                    " Net points scale net days by the team's velocity. Velocity is observed output, "
                    "already net of focus, so in points the focus factor does not apply (its bar is 0)."
                    if result.unit == "points"
                    else ""
                )
            )
            st.altair_chart(waterfall_chart(result.ledger, team, sprints))

    with table_tab:
        number = st.column_config.NumberColumn
        columns = {step: number(step, format=TABLE_FORMAT) for step in LEDGER_STEPS}
        columns.update(
            {
                "gross": number("gross days", format=TABLE_FORMAT),
                "net": number("net days", format=TABLE_FORMAT),
                "net points": number("net points", format=TABLE_FORMAT),
            }
        )
        st.caption("Days per team and sprint; each step between gross and net is the days it takes away (negative).")
        st.dataframe(table, hide_index=True, column_config=columns)
        with st.expander("Per skill: max and dedicated days"):
            st.caption(
                "Max: everyone with the skill (a two-skill person counts in both). "
                "Dedicated: people whose only skill it is."
            )
            skills = result.team_skill_sprint.rename(
                columns={"max_days": "max days", "dedicated_days": "dedicated days"}
            )
            skill_columns = ["team", "skill", "sprint", "people", "max days", "dedicated days"] + (
                ["max", "dedicated"] if result.unit == "points" else []
            )
            st.dataframe(
                skills[skill_columns],
                hide_index=True,
                column_config={
                    name: number(name, format=TABLE_FORMAT)
                    for name in ("max days", "dedicated days", "max", "dedicated")
                },
            )

    with contention_tab:
        if flags is not None:
            st.caption(
                f"Open Must + Should effort of each team against its net capacity over "
                f"{format_number(len(sprints), 'sprints')}, with the Plan page's pins and MoSCoW changes."
            )
            flagged = flags.assign(flag=flags["flag"].map(FLAGS).fillna(flags["flag"]))
            st.dataframe(
                flagged[["team", "flag", "must_should_demand", "net_capacity", "ratio", "message"]],
                hide_index=True,
                column_config={
                    "must_should_demand": st.column_config.NumberColumn(
                        f"Must+Should ({result.unit})", format=TABLE_FORMAT
                    ),
                    "net_capacity": st.column_config.NumberColumn(f"net capacity ({result.unit})", format=TABLE_FORMAT),
                    "ratio": st.column_config.NumberColumn("demand / capacity", format="percent"),
                },
            )

with edit_tab:
    people = sorted(dict.fromkeys(scenario.capacity.people["name"].dropna().astype(str).str.strip()))
    if not _state.can_edit():
        st.caption("View only: the saved OOO and on-call rows.")
        st.dataframe(scenario.capacity.ooo, hide_index=True)
        st.dataframe(scenario.capacity.oncall, hide_index=True)
        st.stop()
    st.caption("Add, change or delete rows, then save: the capacity and the plan are recomputed from the saved rows.")
    st.markdown("**Out of office**")
    ooo = range_editor(scenario, "ooo", people)
    st.markdown("**On-call**")
    oncall = range_editor(scenario, "oncall", people)
    if st.button("Save capacity changes", key="planner_capacity_save", type="primary"):
        save_ranges(scenario, {"ooo": ooo, "oncall": oncall}, people)
