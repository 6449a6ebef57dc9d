"""Plan: what-if sliders, the plan they give, pins, what was left out and why, and what changed.

Stable mode (on unless "Free re-plan" is): the first plan shown in a session, or the plan accepted as
the baseline (kept with the scenario), is the baseline; later plans make the fewest changes to it
within 0.5 % of the best value, and the page shows both the stable and the free re-plan's numbers.

The plan first, the proof after: a move away from the saved what-ifs shows a quick plan at once, says
the full search runs, and redraws with the full plan when the background queue has made it. Only the
open tab (plan, pins, left out, charts) is drawn.
"""

import altair as alt
import pandas as pd
import streamlit as st

from pages import _state
from planner.errors import PlannerError
from planner.markdown_escape import markdown_code, markdown_format, markdown_inert
from planner.outputs import (
    excluded_table,
    load_by_type,
    plan_changes,
    plan_table,
    positions,
    prices_table,
    value_by_initiative,
)
from planner.overrides import PIN_IN, PIN_OUT, overrides_from_table, pin_table
from planner.scenarios import overrides_change, with_overrides
from planner.solve import PlanResult

title, share = st.columns([4, 1], vertical_alignment="bottom")
title.title("Plan")
scenario = _state.page_scenario()
state = st.session_state
with share:
    _state.share_control(scenario)
_state.say_flash()
sprint_names = list(scenario.capacity.sprints["sprint"].dropna()) or ["(generated)"]

# Drawn before the plan is made: the toggle is one of its inputs (the baseline is left out when on).
free_replan = st.toggle(
    "Free re-plan",
    value=bool(state[_state.FREE_REPLAN_KEY]),
    key="planner_free_replan_widget",
    help="Off (stable mode): re-plans keep the accepted plan where they can, within 0.5 % of the best value. "
    "On: the best plan with no regard for it.",
)
state[_state.FREE_REPLAN_KEY] = free_replan
_state.show_what_ifs_in_url()

key = _state.plan_key(scenario)  # everything the plan depends on, the baseline included in stable mode
try:
    # The plan first, the proof after: after a slider move, a quick plan now and the full one when ready.
    result, pending = _state.plan_first(key)
except PlannerError as error:
    st.error(markdown_inert(error))
    st.stop()
backlog = _state.planning_backlog(scenario)
planned_ok = result.status in ("optimal", "feasible")
if planned_ok and pending is None and not state["planner_previous"] and not free_replan:
    # The first full plan shown in this session is the baseline later plans keep (for this session only).
    _state.accept_plan(key, result)

# What changed since the last plan shown in this session: the meeting sees what a slider did. Compared
# by the plan's key, so a change of any input (balance targets on the Refinement page too) counts; when
# the full plan replaces the quick one, the box compares it with the plan before the move.
now = positions(result)
shown = state.get("planner_shown")  # (key, plan shown, the plan shown before this key's)
if shown is None or shown[:2] != (key, now):
    before = None if shown is None else shown[1] if shown[0] != key else shown[2]
    state["planner_shown"] = (key, now, before)
    state["planner_changes"] = plan_changes(before, now) if before is not None else pd.DataFrame()

# The planner's message names Must and pinned items, teams and sprints (user text): a code span shows
# it exactly as written, ids searchable as typed, and none of it as Markdown.
if result.status == "infeasible":
    st.error(markdown_code(result.message))
elif result.status == "error":
    st.error(markdown_code(result.message) or "The plan could not be made.")
else:
    value, baseline, gain, items, quality = st.columns(5)
    value.metric("Planned value", f"{result.objective:,.0f}")
    baseline.metric(
        "Rank-and-fill",
        f"{result.baseline_objective:,.0f}",
        help="Filling sprints in value-per-effort order, as Jira's scheduler or a spreadsheet would"
        + ("" if result.baseline_complete else ". It could not place every Must and pinned item.")
        + ("" if result.baseline_keeps_balance else ". It could not keep the balance targets."),
    )
    gain.metric("Gain", f"{result.gain_over_baseline:+,.0f}")
    items.metric("Items planned", f"{len(result.selected)} of {len(result.selected) + len(result.excluded)}")
    proven = (
        "proven optimal"
        if result.status == "optimal" and (result.gap or 0) < 1e-6
        else (f"within {100 * (result.gap or 0):.2f} % of the best possible")
    )
    quality.metric("Quality", result.status, help=f"{proven}; solved in {result.seconds:.2f} s")
    st.caption(f"{proven.capitalize()}; solved in {result.seconds:.2f} s. Unit: {result.unit}.")
    if result.message:  # a search cut short by the time limit, or steps skipped for lack of it: say so
        st.caption(markdown_inert(result.message[:1].upper() + result.message[1:] + "."))
if pending is not None:
    _state.quick_plan_note(pending)


def _changes_text(count: int | None) -> str:
    return "" if count is None else f", {count} change{'s' if count != 1 else ''}"


def _stability_line(result: PlanResult, baseline: dict[str, tuple[str, str]], free: bool) -> str:
    """Both numbers: the stable plan's value and changes, and the free re-plan's."""
    if free:
        count = len(plan_changes(baseline, positions(result)))
        return (
            f"Free re-plan: value {result.objective:,.0f}{_changes_text(count)} against the accepted plan. "
            "Turn off Free re-plan to see the stable plan."
        )
    changes = result.changes
    free_changes = result.free_changes
    stable = f"Stable plan: value {result.objective:,.0f}{_changes_text(changes.count if changes else None)}."
    if result.free_objective is None:
        return stable
    return (
        f"{stable} Free re-plan: value {result.free_objective:,.0f}"
        f"{_changes_text(free_changes.count if free_changes else None)}."
    )


baseline_plan = state["planner_previous"]
if planned_ok and baseline_plan:
    st.info(_stability_line(result, baseline_plan, free_replan))

changes = state.get("planner_changes")
if changes is not None and not changes.empty:
    with st.expander(f"What changed since the last plan ({len(changes)} items)", expanded=True):
        st.dataframe(changes, hide_index=True)

# Only the open tab is drawn: a slider move redraws the plan table, not three charts, the pins grid
# and the left-out tables the browser would draw hidden. Choosing a tab is a rerun that draws it
# (before anything in it can be edited); keyed, so a redraw (another session's saved pin, a new
# "what changed" box above) keeps the tab open.
plan_tab, pins_tab, out_tab, charts_tab = st.tabs(
    ["Plan", "Pins and MoSCoW", "Left out", "Charts"], key=_state.PLAN_TABS_KEY, on_change="rerun"
)

if plan_tab.open:
    with plan_tab:
        st.dataframe(
            plan_table(result, backlog),
            hide_index=True,
            column_config={
                "deadline": st.column_config.DateColumn("deadline", format="YYYY-MM-DD"),
            },
        )
        if planned_ok and _state.can_edit():
            st.button(
                "Accept this plan as the baseline",
                help="Saved with the scenario: later re-plans make the fewest changes to this plan",
                on_click=_state.save_accepted_plan,
                args=(scenario, key, result),
            )

if pins_tab.open:
    with pins_tab:
        st.caption("Pin an item in (Must), out (Won't), or to a sprint; or change its MoSCoW class.")
        planned = positions(result)
        overrides = state["planner_overrides"]
        editable = pin_table(scenario.backlog, overrides)
        editable.insert(
            list(editable.columns).index("pin"),
            "value",
            backlog.set_index("id").loc[editable["id"], "value"].to_numpy(),
        )
        editable["planned"] = [" / ".join(planned[i]) if i in planned else "" for i in editable["id"]]
        if not _state.can_edit():
            st.caption("View only: pins you change here plan in this browser only, and are not saved.")
        edited = st.data_editor(
            editable,
            hide_index=True,
            key=_state.pin_editor_key(overrides),
            disabled=["id", "title", "team", "effort", "value", "planned"],
            column_config={
                "pin": st.column_config.SelectboxColumn("pin", options=["", PIN_IN, PIN_OUT, *sprint_names]),
                "moscow": st.column_config.SelectboxColumn("moscow", options=["", "Must", "Should", "Could", "Won't"]),
            },
        )
        new_overrides = overrides_from_table(edited, scenario.backlog)
        if new_overrides != overrides:
            if _state.can_edit():  # pins belong to the scenario: everyone in the meeting sees them
                what = overrides_change(overrides, new_overrides)
                if _state.save_settings_change(scenario, lambda s: with_overrides(s, new_overrides), what) is not None:
                    _state.flash("success", f"Saved: {what}.")
            state["planner_overrides"] = new_overrides
            st.rerun()

if out_tab.open:
    with out_tab:
        out = excluded_table(result, backlog)
        counts = out["reason"].str.split(" ").str[0].value_counts()
        st.caption(" · ".join(markdown_format("{}: {}", reason, count) for reason, count in counts.items()))
        st.dataframe(out, hide_index=True)
        if not result.prices.empty:
            st.markdown("**What one more day is worth** (value per day of each skill, per team and sprint)")
            st.dataframe(
                prices_table(result),
                hide_index=True,
                column_config={"value_per_day": st.column_config.NumberColumn("value per day", format="%.1f")},
            )

if charts_tab.open:
    with charts_tab:
        load = load_by_type(result, backlog)
        base = alt.Chart().encode(x=alt.X("sprint:N", title=None, sort=sprint_names))
        bars = base.mark_bar().encode(
            y=alt.Y("sum(effort):Q", title=result.unit), color=alt.Color("type:N", title="type")
        )
        limits = base.mark_tick(color="black", thickness=2).encode(y="max(capacity):Q")
        st.markdown("**Load against capacity** (the black tick is net capacity)")
        panel_width = max(140, 70 * int(state["planner_sprints"]))
        st.altair_chart(
            alt.layer(bars, limits, data=load)
            .properties(width=panel_width)
            .facet(
                column=alt.Column("team:N", title=None, header=alt.Header(labelFontWeight="bold")),
            )
        )
        scatter_data = backlog[~backlog["done"] & backlog["effort"].notna()][["id", "title", "effort", "value"]].copy()
        scatter_data["planned"] = scatter_data["id"].isin(positions(result))
        st.markdown("**Value against effort** (planned items highlighted)")
        st.altair_chart(
            alt.Chart(scatter_data)
            .mark_circle(size=70)
            .encode(
                x=alt.X("effort:Q", title=f"effort ({result.unit})"),
                y="value:Q",
                color=alt.Color("planned:N", scale=alt.Scale(domain=[True, False], range=["#1f77b4", "#cccccc"])),
                tooltip=["id", "title", "effort", "value"],
            )
        )
        st.markdown("**Value per initiative**")
        st.altair_chart(
            alt.Chart(value_by_initiative(result, backlog))
            .mark_bar()
            .encode(
                y=alt.Y("initiative:N", title=None),
                x=alt.X("value:Q", stack=True),
                color="part:N",
            )
        )

if pending is not None:  # last: the full search starts once the page is drawn, and redraws it when done
    _state.await_full_plan(pending)
elif planned_ok:  # the full plan is shown: the next Capacity % step either way is planned while the room talks
    _state.plan_ahead(_state.plan_key(scenario))  # read again: accepting the plan above made it the baseline
