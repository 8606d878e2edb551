"""Baseline page for the app benchmarks: the playground's default contour and a learning-rate
slider, nothing else. The title echoes the slider so a redraw can be seen."""

import streamlit as st

from surfaces import get_surface
from ui.controls import log_slider
from viz import trajectory_figure

lr = log_slider("learning rate η", "lr", low=1e-5, high=10.0, default=0.001)
figure = trajectory_figure(get_surface("rosenbrock"), [])
figure.update_layout(title=f"η = {lr:g}")
st.plotly_chart(figure)
