"""Adaptive learning rates (LECTURE.md part 3): the page's demonstrations, the burst measure and
its figures (σ and η/σ per parameter, loss with gradient norm, the two conventions' first steps).

Pure: data in, plotly figures or numbers out; no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.background import Domain
from viz.theme import run_color

Runs = Sequence[tuple[str, Any]]  # (label, Trajectory)

# On the valley floor of the regression surface (∂L/∂w = 0 at b = −150): every gradient there is
# small, so Adam's first step, ±η in each coordinate whatever |g| is, throws w up the steep wall.
VALLEY_START = (-150.0, 2.56)


class Demo(NamedTuple):
    """A preset: the adaptive runs shown on the regression surface and how they are set."""

    title: str
    note: str
    optimizer: str
    lr: float
    steps: int
    start: tuple[float, float] = (-120.0, -4.0)
    convention: str | None = None  # Adagrad / RMSProp only
    schedule: str = "constant"
    # The schedule picker's defaults for this many steps (a value new on screen that differs
    # from its default would not reach the share link).
    schedule_params: tuple[tuple[str, Any], ...] = ()
    compare: bool = False  # also show the same run at constant η


BURST = Demo(
    "Adagrad bursts (lecture's σ)",
    "Adagrad with the lecture's σ (the mean of past g²) walks down the valley and gets within 1% "
    "of the optimum; then σ_w, a mean over a long stretch of tiny gradients, has shrunk so far "
    "that η/σ_w passes the dashed stability line and the run is thrown sideways. "
    "Watch the η/σ panel and the burst report below.",
    "adagrad", 2.0, 5000, convention="lecture",
)  # fmt: skip
DECAY = BURST._replace(
    title="… fixed by learning-rate decay",
    note="The same Adagrad with η decaying from 2 to 0 along a cosine: the decay keeps ηᵗ/σ_w "
    "below the stability line while σ_w shrinks, so the run settles at the optimum without a "
    "burst. The constant-η run is kept for comparison.",
    schedule="cosine_annealing",
    schedule_params=(("t_max", 5000), ("eta_min", 0.0)),
    compare=True,
)
WARMUP = Demo(
    "Adam needs warm-up",
    "Started on the valley floor, every gradient is small, but Adam's first step is ±η in each "
    "coordinate whatever |g| is (m̂/√v̂ = g/|g|): w is thrown up the steep wall and the loss "
    "jumps ×30 in one step. Warm-up starts at η/W and grows, so the estimate of σ settles first.",
    "adam", 2.0, 600, start=VALLEY_START, schedule="warmup_cosine",
    schedule_params=(("warmup_steps", 60), ("total_steps", 600), ("eta_min", 0.0)), compare=True,
)  # fmt: skip
DEMOS = (BURST, DECAY, WARMUP)


class Burst(NamedTuple):
    """A run that got near the optimum and was then thrown away from it (distances are the largest
    coordinate offset as a fraction of the domain's side)."""

    near_step: int
    peak_step: int
    peak: float


def burst(
    points: np.ndarray, optimum: Sequence[float], domain: Domain, near: float = 0.01
) -> Burst | None:
    """Where the run first came within ``near`` of the optimum and how far it was thrown after.

    None when it never came near. A run that stays near has ``peak <= near``.
    """
    spans = np.array([hi - lo for lo, hi in domain], dtype=float)
    distance = np.max(np.abs(np.asarray(points, float) - np.asarray(optimum, float)) / spans, 1)
    hits = np.flatnonzero(distance < near)
    if not hits.size:
        return None
    first = int(hits[0])
    peak = first + int(np.argmax(distance[first:]))
    return Burst(first, peak, float(distance[peak]))


def sigma_figure(
    runs: Runs,
    labels: tuple[str, str] = ("x", "y"),
    limits: Sequence[float] | None = None,
    height: int = 520,
) -> go.Figure:
    """σᵢᵗ (top) and the effective step ηᵗ/σᵢᵗ (bottom) per parameter i against the step.

    ``limits`` draws 2/Hᵢᵢ on the η/σ panels: above it a step along parameter i alone overshoots
    by more than it corrects (gradient descent on that coordinate is unstable).
    """
    titles = [f"σ for {p}" for p in labels] + [f"effective step η/σ for {p}" for p in labels]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, shared_xaxes=True)
    for index, (name, run) in enumerate(runs):
        sigmas = np.asarray(run.sigmas, float)
        effective = np.asarray(run.lrs, float)[:, None] / sigmas
        for row, values in ((1, sigmas), (2, effective)):
            for col in (1, 2):
                fig.add_trace(
                    go.Scatter(
                        x=np.arange(len(values)), y=values[:, col - 1], mode="lines", name=name,
                        legendgroup=name, showlegend=row == 1 and col == 1,
                        line=dict(color=run_color(index)),
                    ),
                    row=row, col=col,
                )  # fmt: skip
    steps = max((len(run.lrs) for _, run in runs), default=1)
    for col, limit in enumerate(() if limits is None else limits, start=1):
        # A trace, not a shape: shapes on log axes take log10 coordinates.
        fig.add_trace(
            go.Scatter(
                x=[0, steps], y=[limit, limit], mode="lines", name="2/H: stability limit",
                legendgroup="limit", showlegend=col == 1, hoverinfo="skip",
                line=dict(color="#bbbbbb", dash="dash", width=1),
            ),
            row=2, col=col,
        )  # fmt: skip
    fig.update_yaxes(type="log", exponentformat="power", minorloglabels="none")
    fig.update_xaxes(title_text="step", row=2)
    return _layout(fig, height)


def loss_grad_figure(runs: Runs, height: int = 360) -> go.Figure:
    """Loss (solid, left axis) and gradient norm ‖g‖ (dotted, right axis) of each run, together:
    a flat loss beside a large gradient means the run is bouncing across a valley, not stuck."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for index, (name, run) in enumerate(runs):
        steps = np.arange(len(run.losses))
        style = dict(color=run_color(index))
        fig.add_trace(
            go.Scatter(x=steps, y=run.losses, name=f"{name}: loss", line=style, legendgroup=name),
            secondary_y=False,
        )
        fig.add_trace(
            go.Scatter(
                x=steps, y=np.hypot(*np.asarray(run.grads, float).T), name=f"{name}: ‖g‖",
                line=style | dict(dash="dot"), legendgroup=name,
            ),
            secondary_y=True,
        )  # fmt: skip
    fig.update_yaxes(
        title_text="loss (solid)", type="log", exponentformat="power", secondary_y=False
    )
    fig.update_yaxes(
        title_text="gradient norm ‖g‖ (dotted)", type="log", exponentformat="power",
        minorloglabels="none", secondary_y=True, showgrid=False,
    )  # fmt: skip
    fig.update_xaxes(title_text="step")
    fig.update_layout(title=dict(text="Loss and gradient norm", x=0.01))
    return _layout(fig, height)


def step_lengths(points: np.ndarray, count: int) -> np.ndarray:
    """|Δθᵢ| of the first ``count`` steps, shape (≤count, 2)."""
    return np.abs(np.diff(np.asarray(points, float)[: count + 1], axis=0))


def first_steps_figure(
    runs: Runs, count: int = 30, labels: tuple[str, str] = ("x", "y"), height: int = 360
) -> go.Figure:
    """Step length per parameter over the first steps; pass each optimizer under both
    conventions (lecture dotted, PyTorch solid) to see where they differ."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=[f"|Δ{p}| per step" for p in labels])
    for index, (name, run) in enumerate(runs):
        lengths = step_lengths(run.points, count)
        dash = "dot" if "lecture" in name else "solid"
        for col in (1, 2):
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, len(lengths) + 1), y=lengths[:, col - 1], name=name,
                    mode="lines+markers", legendgroup=name, showlegend=col == 1,
                    line=dict(color=run_color(index), dash=dash), marker=dict(size=4),
                ),
                row=1, col=col,
            )  # fmt: skip
    fig.update_yaxes(type="log", exponentformat="power", minorloglabels="none")
    fig.update_xaxes(title_text="step")
    return _layout(fig, height)


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", y=-0.2),
        hovermode="x unified",
    )
    return fig
