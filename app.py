"""Error-surface lab: why neural-network training fails, and what fixes it."""

import os

# One BLAS thread per process, set before NumPy loads: many users share the server's cores, and
# on a busy 2-core machine OpenBLAS's own threads made a 75×75 eigenvalue problem 20–50× slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import streamlit as st

from i18n import _
from ui import language, memory, url
from ui.cache import warm_sandbox
from ui.catalogue import PAGES

memory.limit_heaps()
warm_sandbox()
url.begin_run()
language.choose()
st.set_page_config(page_title=_("Error-surface lab"), page_icon="⛰️", layout="wide")
home = st.Page("views/home.py", title=_("Home"), icon="🏠", default=True)
lab = [st.Page(entry.path, title=_(entry.title), icon=entry.icon) for entry in PAGES]
page = st.navigation({"": [home], _("Lecture, part by part"): lab})

# Less empty space above each page's title, so its first chart fits the first screen.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")
with st.sidebar:
    language.switch()
    st.caption(
        _("Following Hung-yi Lee, ML 2021: *when a neural network won't train*. "
          "The address bar always holds a link to exactly what you see.")
    )  # fmt: skip
page.run()
url.end_run()
memory.trim()
