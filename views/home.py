"""The home page: what the lab is for, and one card per page."""

import streamlit as st

from i18n import _
from ui.catalogue import PAGES


def page() -> None:
    st.title(_("⛰️ Error-surface lab"))
    st.markdown(
        _("Training a neural network is walking downhill on a loss surface. It fails in a few "
          "recognisable ways: it stalls at a **saddle point**, crawls along a **narrow valley**, "
          "**bounces** across a steep one, or sits on a **plateau** the loss function made. "
          "Each page below takes one part of Hung-yi Lee's lecture *when a neural network won't "
          "train* (ML 2021) and lets you see it on 2-D surfaces: drag the sliders, press Play, "
          "read the numbers. Every view is a link: copy the address bar to share exactly what "
          "you see.")
    )  # fmt: skip
    for entry in PAGES:
        with st.container(border=True):
            st.page_link(entry.path, label=f"**{_(entry.title)}**", icon=entry.icon)
            st.caption(_(entry.blurb))


if __name__ == "__main__":
    page()
