"""Cached bridges from plain, hashable specs (``ui.specs``) to the core.

What is the same for every student who opens the same link is computed once per server process:
surfaces, their background images, simulations, critical points.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from optimizers import Trajectory, simulate_many
from surfaces import Surface, critical_points, parse_expression
from ui.specs import RunSpec, SurfaceSpec
from viz import background_image


@st.cache_resource(max_entries=64, show_spinner=False)
def formula_surface(text: str) -> Surface:
    """A user formula as a Surface (raises ExpressionError, which is not cached)."""
    return parse_expression(text)


def surface_from_spec(spec: SurfaceSpec) -> Surface:
    return formula_surface(spec.formula) if spec.key == "custom" else spec.build()


@st.cache_resource(max_entries=32, show_spinner=False)
def surface_background(
    spec: SurfaceSpec, log_color: bool = True, colorscale: str = "Viridis"
) -> tuple[dict, Any]:
    """The surface's background image and colour scale, drawn once per surface: a slider move
    that changes only the runs no longer repaints 100,000 pixels. Shared, so read-only."""
    return background_image(surface_from_spec(spec), log_color=log_color, colorscale=colorscale)


@st.cache_data(max_entries=128, show_spinner=False)
def run_simulations(
    surface: SurfaceSpec,
    runs: tuple[RunSpec, ...],
    starts: tuple[tuple[float, float], ...],
    steps: int,
    batch_size: int | None = None,
    seed: int = 0,
) -> list[Trajectory]:
    """Every run advanced together (one vectorized call), cached on its plain inputs."""
    optimizers = [run.build() for run in runs]
    return simulate_many(
        surface_from_spec(surface), optimizers, starts, steps, batch_size=batch_size, seed=seed
    )


@st.cache_data(max_entries=64, show_spinner="Finding every critical point…")
def cached_critical_points(surface: SurfaceSpec) -> list:
    return critical_points(surface_from_spec(surface))
