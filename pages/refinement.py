"""Refinement page: being built."""

import streamlit as st

st.title("Refinement")
st.info("Coming in this release.")
