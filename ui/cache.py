"""Cached bridges from plain, hashable specs to the core: surfaces, optimizers, simulations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from optimizers import Optimizer, Trajectory, make_optimizer, schedules, simulate_many
from surfaces import Surface, critical_points, get_surface, parse_expression
from viz import background_image

if TYPE_CHECKING:
    from ui.controls import RunSpec, SurfaceSpec


@st.cache_resource(max_entries=64, show_spinner=False)
def formula_surface(text: str) -> Surface:
    """A user formula as a Surface (raises ExpressionError, which is not cached)."""
    return parse_expression(text)


def surface_from_spec(spec: SurfaceSpec) -> Surface:
    if spec.key == "custom":
        return formula_surface(spec.formula)
    return get_surface(spec.key, **dict(spec.params))


def optimizer_from_spec(spec: RunSpec) -> Optimizer:
    """The run's optimizer, its learning rate turned into the chosen schedule."""
    params: dict[str, Any] = dict(spec.schedule_params)
    if spec.schedule == "noam":
        # Scale the Transformer schedule so that its peak, at the end of warm-up, is η.
        params["factor"] = spec.lr * (params["d_model"] * params["warmup_steps"]) ** 0.5
    elif spec.schedule == "one_cycle":
        params["max_lr"] = spec.lr
    else:
        params["lr"] = spec.lr
    schedule = schedules.make_schedule(spec.schedule, **params)
    lr = spec.lr if spec.schedule == "constant" else schedule
    return make_optimizer(spec.optimizer, lr=lr, **dict(spec.hyper))


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
    optimizers = [optimizer_from_spec(run) for run in runs]
    return simulate_many(
        surface_from_spec(surface), optimizers, starts, steps, batch_size=batch_size, seed=seed
    )


@st.cache_data(max_entries=64, show_spinner="Finding every critical point…")
def cached_critical_points(surface: SurfaceSpec) -> list:
    return critical_points(surface_from_spec(surface))
