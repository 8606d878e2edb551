"""Optimizer playground: up to six optimizers racing over one surface, animated and shareable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from optimizers import Trajectory
from surfaces import Surface
from ui.cache import run_simulations, surface_background
from ui.controls import URL, RunSpec, SurfaceSpec, optimizer_picker, start_inputs, surface_picker
from ui.presets import preset_links, preset_note
from ui.url import share_link
from viz import run_color, step_curves_figure, surface_3d_figure, trajectory_figure

MAX_RUNS = 6
# Run i starts as DEFAULT_RUNS[i]: together they show momentum and adaptivity on first load.
DEFAULT_RUNS = (
    ("sgd", 0.001), ("momentum", 0.001), ("adam", 0.05),
    ("rmsprop", 0.01), ("adagrad", 0.5), ("nesterov", 0.001),
)  # fmt: skip
CHART = "playground_chart"
VIEWS = ("🗺️ 2-D view, animated", "🏔️ 3-D surface")

PRESETS: dict[str, tuple[str, dict]] = {
    "Adam vs SGD on Rosenbrock": (
        "In the long curved valley plain gradient descent crawls; Adam's per-parameter step "
        "size walks along the valley floor.",
        {"surface": "rosenbrock", "start_x": -1.2, "start_y": 1.0, "steps": 1000, "runs": 2,
         "r0_opt": "sgd", "r0_lr": 0.001, "r1_opt": "adam", "r1_lr": 0.05},
    ),
    "Momentum rolls through a local minimum": (
        "The surface has a shallow minimum on the right and a deeper one on the left. Gradient "
        "descent stops in the first; momentum keeps its speed and rolls over the ridge.",
        {"surface": "custom", "surface_formula": "(x**2 - 1)**2 + 0.3*x + y**2",
         "start_x": 2.0, "start_y": 1.0, "steps": 300, "runs": 2,
         "r0_opt": "sgd", "r0_lr": 0.02, "r1_opt": "momentum", "r1_lr": 0.02, "r1_momentum": 0.9},
    ),
    "Stalling at a saddle": (
        "The lecture's toy network (1 − w₁w₂)² has a saddle at the origin. Started near its "
        "stable direction, gradient descent slides in and stalls for a long time before it "
        "escapes; momentum and Adam leave much sooner.",
        {"surface": "toy_network", "start_x": 1.0, "start_y": -0.98, "steps": 400, "runs": 3,
         "r0_opt": "sgd", "r0_lr": 0.02, "r1_opt": "momentum", "r1_lr": 0.02,
         "r2_opt": "adam", "r2_lr": 0.02},
    ),
    "Too large a step diverges": (
        "On a bowl with condition number 100 the largest stable step of gradient descent is "
        "2/λmax = 0.02. Just above it, gradient descent oscillates ever wider and diverges.",
        {"surface": "quadratic", "surface_condition": 100.0, "surface_angle": 30.0,
         "start_x": -1.6, "start_y": 1.2, "steps": 200, "runs": 3,
         "r0_opt": "sgd", "r0_lr": 0.015, "r1_opt": "sgd", "r1_lr": 0.02,
         "r2_opt": "sgd", "r2_lr": 0.03},
    ),
}  # fmt: skip


def pick_start() -> None:
    """A click on the chart (the invisible pick grid is trace 0) becomes the start point."""
    points = st.session_state[CHART].selection.points
    if points and points[0].get("curve_number") == 0:
        st.session_state["start_x"] = float(f"{points[0]['x']:.4g}")
        st.session_state["start_y"] = float(f"{points[0]['y']:.4g}")


def summary(surface: Surface, specs: list[RunSpec], runs: list[Trajectory], tol: float):
    """One column per run (colours as in the charts): where it ended, how close to a minimum,
    when it got there."""
    minima = np.asarray(surface.minima, dtype=float).reshape(-1, 2)
    floor = float(np.min(surface.f(minima[:, 0], minima[:, 1]))) if len(minima) else None
    columns = {}
    for index, (spec, run) in enumerate(zip(specs, runs, strict=True)):
        reached = "—"
        if floor is not None:
            below = np.flatnonzero(run.losses <= floor + tol)
            reached = str(below[0]) if below.size else "not yet"
        distance = np.min(np.hypot(*(minima - run.points[-1]).T)) if len(minima) else np.nan
        columns[f"run {index + 1}"] = {
            "optimizer": spec.label,
            "final loss": f"{run.losses[-1]:.4g}",
            "to nearest minimum": f"{distance:.4g}",
            f"loss ≤ min + {tol:g} at step": reached,
            "status": "stable" if run.diverged_at is None
            else f"diverged at step {run.diverged_at}",
        }  # fmt: skip
    return pd.DataFrame(columns)


@st.fragment
def race(
    surface: Surface,
    surface_spec: SurfaceSpec,
    start: tuple[float, float],
    n_runs: int,
    steps: int,
    batch_size: int | None,
    seed: int,
) -> None:
    """The run cards and everything they drive: charts, table, share link.

    A fragment, so that moving a run's slider reruns and redraws only this part of the page,
    not the sidebar and the navigation (in Chromium ~0.2× of the slider-to-chart time).
    """
    if start != (st.session_state["start_x"], st.session_state["start_y"]):
        st.rerun()  # a click on the chart moved the start, whose inputs live outside the fragment
    specs = []
    for index, column in enumerate(st.columns(n_runs)):
        with column, st.container(border=True):
            dot = f"<span style='color:{run_color(index)};font-size:1.3em'>●</span>"
            st.markdown(f"{dot} **run {index + 1}**", unsafe_allow_html=True)
            name, lr = DEFAULT_RUNS[index]
            specs.append(optimizer_picker(f"r{index}", default=name, lr=lr, steps=steps))

    runs = run_simulations(surface_spec, tuple(specs), (start,) * n_runs, steps, batch_size, seed)
    labelled = [
        (f"{i + 1}: {spec.label}", run)
        for i, (spec, run) in enumerate(zip(specs, runs, strict=True))
    ]

    # A segmented control, not st.tabs: only the chosen view is built, and re-rendering tabs on
    # every change cost the browser ~90 ms here.
    view = st.segmented_control(
        "view", VIEWS, default=VIEWS[0], key="view", bind=URL, required=True,
        label_visibility="collapsed",
    )  # fmt: skip
    curves = [
        ("loss", [(name, run.losses) for name, run in labelled]),
        ("gradient norm ‖g‖", [(name, np.hypot(*run.grads.T)) for name, run in labelled]),
        ("learning rate η", [(name, run.lrs) for name, run in labelled]),
    ]
    if view == VIEWS[0]:
        chart, side = st.columns([3, 2])
        with chart:
            st.plotly_chart(
                trajectory_figure(surface, labelled, minima=surface.minima,
                                  background=surface_background(surface_spec)),
                key=CHART, on_select=pick_start, selection_mode="points",
                config={"scrollZoom": False, "displaylogo": False},
            )  # fmt: skip
            st.caption("▶ Play animates every run; drag the scrubber to any step. "
                       "Click anywhere on the surface to start there.")  # fmt: skip
        curves_slot, curves_style = side.empty(), {"height": 600, "stacked": True}
    else:
        st.plotly_chart(surface_3d_figure(surface, labelled, height=620),
                        config={"displaylogo": False})  # fmt: skip
        curves_slot, curves_style = st.empty(), {}

    tolerance = st.select_slider(
        "tolerance for \"reached the minimum\"", [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1],
        value=1e-4, key="tolerance", bind=URL, format_func=lambda v: f"{v:g}",
    )  # fmt: skip
    st.table(summary(surface, specs, runs, tolerance))

    with st.expander("🔗 Share this view"):
        st.caption(
            "The address bar always holds this link: whoever opens it sees exactly this view."
        )
        share_link()

    # Filled last, so the browser draws the main chart before the curves even arrive
    # (in Chromium ~0.2× of the slider-to-chart time).
    curves_slot.plotly_chart(
        step_curves_figure(curves, log_y=[True, True, False], **curves_style),
        config={"displaylogo": False},
    )


st.title("🎢 Optimizer playground")
preset_note(PRESETS)

with st.sidebar:
    st.subheader("Surface")
    surface, surface_spec = surface_picker("surface", default="rosenbrock")
    start = start_inputs("start", surface)
    n_runs = st.slider("number of runs", 1, MAX_RUNS, 3, key="runs", bind=URL)
    steps = st.slider("steps", 10, 3000, 500, 10, key="steps", bind=URL)
    batch_size, seed = None, 0
    if hasattr(surface, "n_samples"):
        batch_size = st.slider("batch size", 1, surface.n_samples, surface.n_samples,
                               key="batch", bind=URL)  # fmt: skip
        seed = st.number_input("seed", 0, 10_000, 0, key="seed", bind=URL)
        batch_size = None if batch_size == surface.n_samples else batch_size
    st.subheader("Presets")
    preset_links(PRESETS)

st.latex(surface.latex)
race(surface, surface_spec, start, n_runs, steps, batch_size, int(seed))
