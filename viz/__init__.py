"""Figure builders: data in, plotly figures out. No Streamlit here."""

from viz.background import ColorScale, color_scale_for, encode_png, grid, surface_png
from viz.charts import step_curves_figure, surface_3d_figure
from viz.trajectory import (
    RUN_COLORS,
    Panel,
    background_image,
    frame_steps,
    panels_figure,
    run_color,
    trajectory_figure,
)

__all__ = [
    "RUN_COLORS",
    "ColorScale",
    "Panel",
    "background_image",
    "color_scale_for",
    "encode_png",
    "frame_steps",
    "grid",
    "panels_figure",
    "run_color",
    "step_curves_figure",
    "surface_3d_figure",
    "surface_png",
    "trajectory_figure",
]
