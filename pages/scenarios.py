"""Scenarios page: being built."""

import streamlit as st

st.title("Scenarios")
st.info("Coming in this release.")
