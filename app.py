"""Error-surface lab: why neural-network training fails, and what fixes it."""

import streamlit as st

from ui.catalogue import PAGES
from ui.url import checked_url_params

st.set_page_config(page_title="Error-surface lab", page_icon="⛰️", layout="wide")

home = st.Page("views/home.py", title="Home", icon="🏠", default=True)
lab = [st.Page(entry.path, title=entry.title, icon=entry.icon) for entry in PAGES]
page = st.navigation({"": [home], "Lecture, part by part": lab})

st.sidebar.caption(
    "Following Hung-yi Lee, ML 2021: *when a neural network won't train*. "
    "The address bar always holds a link to exactly what you see."
)
with checked_url_params(page.url_path):
    page.run()
