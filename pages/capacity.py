"""Capacity page: being built."""

import streamlit as st

st.title("Capacity")
st.info("Coming in this release.")
