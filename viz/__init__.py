"""Figure builders: data in, plotly figures out. No Streamlit here."""

from viz.background import ColorScale, color_scale_for, encode_png, grid, surface_png
from viz.charts import step_curves_figure, surface_3d_figure
from viz.theme import RUN_COLORS, base_layout, log_axis, run_color, run_dash
from viz.trajectory import Panel, background_image, frame_steps, panels_figure, trajectory_figure

__all__ = [
    "RUN_COLORS",
    "ColorScale",
    "Panel",
    "background_image",
    "base_layout",
    "color_scale_for",
    "encode_png",
    "frame_steps",
    "grid",
    "log_axis",
    "panels_figure",
    "run_color",
    "run_dash",
    "step_curves_figure",
    "surface_3d_figure",
    "surface_png",
    "trajectory_figure",
]
