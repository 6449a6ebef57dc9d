"""Export page: being built."""

import streamlit as st

st.title("Export")
st.info("Coming in this release.")
