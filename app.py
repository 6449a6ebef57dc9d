"""Sprint planner: the router and the shared sidebar (which scenario everyone is looking at)."""

import streamlit as st

from pages import _state

st.set_page_config(page_title="Sprint planner", page_icon=":material/event_available:", layout="wide")

pages = [
    st.Page("pages/data.py", title="Data", icon=":material/table_view:", default=True),
    st.Page("pages/refinement.py", title="Refinement", icon=":material/checklist:"),
    st.Page("pages/capacity.py", title="Capacity", icon=":material/groups:"),
    st.Page("pages/plan.py", title="Plan", icon=":material/event_available:"),
    st.Page("pages/scenarios.py", title="Scenarios", icon=":material/compare:"),
    st.Page("pages/export.py", title="Export", icon=":material/download:"),
]
_state.init_session()
_state.require_sign_in()  # only when .streamlit/secrets.toml configures [auth] (README: Deployment)
if not _state.open_link():  # ?scenario= or ?view= names no scenario: one plain page, nothing else
    st.navigation([st.Page(_state.not_found_page, title="Not found")], position="hidden").run()
    st.stop()
navigation = st.navigation(pages)
_state.open_requested_page(pages)  # a deep link (/plan) on a fresh server: see "deep links" in pages/_state.py
_state.scenario_picker()
_state.sidebar_session_controls()
navigation.run()
