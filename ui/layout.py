"""What every page repeats: its charts' configuration and the share box."""

from __future__ import annotations

from typing import Any

import streamlit as st

from i18n import _
from ui import url

CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}


def chart(figure: Any, *, where: Any = None, **kwargs: Any) -> Any:
    """A Plotly chart with the app's configuration (no logo, no scroll-zoom), in ``where``
    (a container or slot) or in place."""
    return (where or st).plotly_chart(figure, config=CHART_CONFIG, **kwargs)


def share_box() -> None:
    """The view as a link, in an expander at the end of the page."""
    with st.expander(_("🔗 Share this view")):
        st.caption(
            _("The address bar always holds this link: whoever opens it sees exactly this view, "
              "seed included.")
        )  # fmt: skip
        url.share_link()
