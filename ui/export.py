"""Downloads of an animated view: CSV of the runs, offline HTML of the figure, a GIF for slides.

Each file is made only when its button is pressed (a callable), and pressing one does not rerun
the page.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import streamlit as st

from i18n import _
from viz.export import GifPanel, RunLike, figure_html, trajectories_csv, trajectory_gif


def export_menu(
    name: str,
    figure: go.Figure,
    panels: Sequence[GifPanel],
    *,
    axis_labels: tuple[str, str] = ("x", "y"),
) -> None:
    """Three download buttons in a popover; ``name`` names the files (and keys the buttons)."""
    runs: list[tuple[str, RunLike]] = [run for panel in panels for run in panel.runs]
    with st.popover(_("⬇ Export"), width="content"):
        st.download_button(
            _("runs as CSV"), lambda: trajectories_csv(runs, axis_labels), f"{name}.csv",
            "text/csv", key=f"{name}_csv", on_click="ignore", width="stretch",
        )  # fmt: skip
        st.download_button(
            _("figure as HTML (plays offline)"), lambda: figure_html(figure, name),
            f"{name}.html", "text/html", key=f"{name}_html", on_click="ignore", width="stretch",
        )  # fmt: skip
        st.download_button(
            _("animation as GIF"), lambda: trajectory_gif(panels), f"{name}.gif", "image/gif",
            key=f"{name}_gif", on_click="ignore", width="stretch",
        )  # fmt: skip
