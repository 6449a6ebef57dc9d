"""Sprint planner: the router and the shared sidebar (which scenario everyone is looking at)."""

import streamlit as st

from pages import _state

st.set_page_config(page_title="Sprint planner", page_icon=":material/event_available:", layout="wide")

navigation = st.navigation([
    st.Page("pages/data.py", title="Data", icon=":material/table_view:", default=True),
    st.Page("pages/plan.py", title="Plan", icon=":material/event_available:"),
])
_state.init_session()
_state.scenario_picker()
navigation.run()
