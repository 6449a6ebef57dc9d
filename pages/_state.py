"""What the pages share: the database, the chosen scenario and cached loads.

Session state keys start with ``planner_`` and are set once in :func:`init_session`.
"""

from __future__ import annotations

import streamlit as st

from planner.errors import PlannerError
from planner.sample import ensure_sample
from planner.store import Scenario, ScenarioSummary, Store

SCENARIO_KEY = "planner_scenario_id"


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The one database connection of this server process, with the sample saved on first start."""
    database = Store()
    ensure_sample(database)
    return database


def init_session() -> None:
    """Set this session's keys once."""
    st.session_state.setdefault(SCENARIO_KEY, None)


def scenarios() -> list[ScenarioSummary]:
    """Saved scenarios, newest first."""
    return store().list()


@st.cache_data(max_entries=16, show_spinner=False)
def _load(scenario_id: str, updated_at: str) -> Scenario:
    # updated_at is part of the cache key, so a saved change is never served stale.
    return store().load(scenario_id)


def current_scenario() -> Scenario | None:
    """The scenario picked in the sidebar, or None when there is none."""
    scenario_id = st.session_state.get(SCENARIO_KEY)
    summary = next((s for s in scenarios() if s.id == scenario_id), None)
    if summary is None:
        return None
    try:
        return _load(summary.id, summary.updated_at.isoformat())
    except PlannerError as error:
        st.error(str(error))
        return None


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
        if st.session_state.get(SCENARIO_KEY) not in ids:
            st.session_state[SCENARIO_KEY] = ids[0]
        st.selectbox(
            "Scenario", ids, key=SCENARIO_KEY, format_func=lambda scenario_id: names[scenario_id],
            label_visibility="collapsed",
        )
        chosen = next(s for s in available if s.id == st.session_state[SCENARIO_KEY])
        st.caption(f"{chosen.items} items, {chosen.people} people")

