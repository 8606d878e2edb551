"""What every page repeats: its charts' configuration and the share box."""

from __future__ import annotations

from typing import Any

import streamlit as st

from i18n import _
from ui import url

CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}

# The app's own CSS, once per run (app.py). Less empty space above each page's title, so its
# first chart fits the first screen. A metric's label and value are never cut to "1.166…" (a
# projector at 1280×720 and 150 % zoom leaves a metric ~120 px): labels wrap, and a value
# shrinks with its box's width (a container query), then wraps as a last resort. A control's
# label wraps instead of ending in "…". A chosen option's chip has dark text on the primary
# colour: white on #ff6b4b is 2.8:1, below WCAG's 4.5:1 for text. A multiselect's chips wrap
# onto more rows (Streamlit keeps them on one row that scrolls sideways, hiding the last ones).
STYLE = """<style>
[data-testid='stMainBlockContainer'] { padding-top: 2.5rem }
[data-testid='stMetric'] { container-type: inline-size }
[data-testid='stMetric'] .stMarkdownEllipsis, [data-testid='stMetric'] .stMarkdownEllipsis * {
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere }
[data-testid='stMetricValue'] { font-size: clamp(1rem, 17cqi, 2.25rem); line-height: 1.25 }
[data-testid='stWidgetLabel'] .stMarkdownEllipsis,
[data-testid='stWidgetLabel'] .stMarkdownEllipsis * {
  white-space: normal; overflow: visible; text-overflow: clip }
[data-testid='stMultiSelect'] [role='group'] > span,
[data-testid='stMultiSelect'] [role='group'] > span * { color: #0e1117 }
[data-testid='stMultiSelect'] [data-testid='stMultiSelectTagsContainer'] {
  flex-wrap: wrap; height: auto; overflow: visible }
[data-testid='stMultiSelect'] div:has([data-testid='stMultiSelectTagsContainer']) {
  height: auto; max-height: none; min-height: 40px }
</style>"""


def global_style() -> None:
    """The app's CSS (``STYLE``), for every page."""
    st.html(STYLE)


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
