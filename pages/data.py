"""Data: the scenario's backlog and capacity tables, how the files were read, and what they hold."""

import pandas as pd
import streamlit as st

from pages import _state
from planner.safe_text import markdown_inert
from planner.schema import CAPACITY_SHEETS, split_list
from planner.value import VALUE_RULES

scenario = _state.current_scenario()

st.title("Data")
if scenario is None:
    st.info("No scenario yet. Restart the app to load the bundled sample.")
    st.stop()

st.subheader(markdown_inert(scenario.name))
backlog = scenario.backlog
capacity = scenario.capacity
imported = scenario.settings.get("import", {})
problems = imported.get("backlog", {}).get("problems", []) + imported.get("capacity", {}).get("problems", [])

items, open_items, people, teams, sprints = st.columns(5)
items.metric("Items", len(backlog))
open_items.metric("Not done", int((~backlog["done"]).sum()))
people.metric("People", len(capacity.people))
teams.metric("Teams", capacity.people["team"].nunique())
sprints.metric("Sprints", len(capacity.sprints))

rule = scenario.settings.get("value_rule", "one")
st.caption(f"Value of an item: {VALUE_RULES.get(rule, rule)}.")

backlog_tab, capacity_tab, problems_tab, mapping_tab = st.tabs(
    ["Backlog", "Capacity", f"Problems ({len(problems)})", "Column mapping"]
)

with backlog_tab:
    shown = ["id", "title", "type", "team", "effort", "value", "moscow", "depends_on", "deadline", "status", "sprint",
             "initiative", "milestone"]
    st.dataframe(
        backlog[[c for c in shown if c in backlog.columns]],
        hide_index=True,
        column_config={
            "deadline": st.column_config.DateColumn("deadline", format="YYYY-MM-DD"),
            "effort": st.column_config.NumberColumn("effort (days)", format="%.1f"),
        },
    )
    skills = sorted({skill for text in capacity.people["skills"] for skill in split_list(text)})
    st.caption(f"Skills in the team: {', '.join(skills) or 'none listed'}.")

with capacity_tab:
    for sheet, table in capacity.sheets().items():
        st.markdown(f"**{sheet}** ({len(table)} rows)")
        if len(table):
            dates = {
                column: st.column_config.DateColumn(column, format="YYYY-MM-DD")
                for column, kind in CAPACITY_SHEETS[sheet].items() if kind == "date"
            }
            st.dataframe(table.drop(columns=["source_row"]), hide_index=True, column_config=dates)

with problems_tab:
    if problems:
        st.dataframe(pd.DataFrame(problems), hide_index=True)
    else:
        st.success("The files were read without a problem.")

with mapping_tab:
    mapping = imported.get("backlog", {}).get("mapping", [])
    source = imported.get("backlog", {}).get("source")
    if source:
        st.caption(source)
    if mapping:
        st.dataframe(pd.DataFrame(mapping), hide_index=True)

with st.expander("What comes next"):
    st.markdown(
        "- **Capacity**: net days per team, skill and sprint after holidays, OOO and on-call, as a waterfall.\n"
        "- **Plan**: the highest-value plan that fits, with what-if sliders, pins and the reason for every item left out.\n"
        "- **Scenarios**: save and compare plans side by side.\n"
        "- **Export**: the proposed plan as an Excel workbook for each team lead."
    )
