"""Figures for LECTURE.md part 2: a momentum step taken apart, the weights momentum gives past
gradients, the surface of one minibatch, batch sizes compared, and a 1-D cut of a surface.

Pure: data in, plotly figures (or arrays) out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.background import Domain, grid
from viz.theme import run_color
from viz.trajectory import PathLike, SurfaceLike, background_image

GRADIENT_COLOR = "#ff4b4b"
CARRIED_COLOR = "#00c0f2"
TOTAL_COLOR = "#ffffff"
MAX_BARS = 60
BELOW = dict(orientation="h", yanchor="top", y=-0.3, x=0)  # a legend under the x-axis title


class StepParts(NamedTuple):
    """One update θ_{t+1} = θ_t + carried + gradient, each part a 2-vector."""

    origin: np.ndarray  # θ_t
    gradient: np.ndarray  # −η_t g_t
    carried: np.ndarray  # λ m_t: the previous movement kept (torch form: μ η_t/η_{t−1} m_t)
    total: np.ndarray  # θ_{t+1} − θ_t


class BatchedPath(PathLike, Protocol):
    batches: np.ndarray | None


class _View(NamedTuple):
    """A surface-like window: any loss function over a domain, for ``background_image``."""

    domain: Domain
    axis_labels: tuple[str, str]
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]


def step_parts(points: np.ndarray, grads: np.ndarray, lrs: np.ndarray, step: int) -> StepParts:
    """Split update ``step`` into the gradient part −η_t g_t and what momentum carried over.

    ``grads`` are the gradients the optimizer used (the full surface's for a full batch). The
    carried part is the rest of the movement, so the parts add up exactly in either convention.
    """
    t = int(np.clip(step, 0, len(points) - 2))
    origin = np.asarray(points[t], dtype=float)
    total = np.asarray(points[t + 1], dtype=float) - origin
    gradient = -float(lrs[t]) * np.asarray(grads[t], dtype=float)
    return StepParts(origin, gradient, total - gradient, total)


def past_gradient_weights(
    lrs: np.ndarray, momentum: float, step: int, convention: str
) -> np.ndarray:
    """Weight of g_{t−k} (k = 0 … t) in the movement θ_{t+1} − θ_t = −Σ_k w_k g_{t−k}.

    Lecture form (m ← λm − ηg): w_k = λᵏ η_{t−k}, each gradient keeps the rate of its own step.
    PyTorch form (b ← μb + g, θ ← θ − ηb): w_k = μᵏ η_t, the whole sum takes today's rate.
    Equal at a constant η.
    """
    t = int(np.clip(step, 0, len(lrs) - 1))
    powers = momentum ** np.arange(t + 1, dtype=float)
    if convention == "lecture":
        return powers * np.asarray(lrs, dtype=float)[t::-1]
    return powers * float(lrs[t])


def path_gap(a: PathLike, b: PathLike) -> float:
    """Largest distance between two paths over the steps both have."""
    n = min(len(a.points), len(b.points))
    diff = np.asarray(a.points[:n], dtype=float) - np.asarray(b.points[:n], dtype=float)
    return float(np.max(np.hypot(diff[:, 0], diff[:, 1])))


def _arrow(fig: go.Figure, tail: np.ndarray, vector: np.ndarray, color: str, name: str) -> None:
    head = tail + vector
    fig.add_trace(
        go.Scatter(
            x=[tail[0], head[0]], y=[tail[1], head[1]], mode="lines", name=name,
            line=dict(color=color, width=3), hoverinfo="skip",
        )
    )  # fmt: skip
    fig.add_annotation(
        x=head[0], y=head[1], ax=tail[0], ay=tail[1], xref="x", yref="y", axref="x", ayref="y",
        showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=3, arrowcolor=color, text="",
    )  # fmt: skip


def _window(centre: np.ndarray, reach: float, domain: Domain) -> Domain:
    """A window of half-width ``reach`` around ``centre``, shifted to stay inside the domain."""
    (x0, x1), (y0, y1) = domain
    rx, ry = min(reach, (x1 - x0) / 2), min(reach, (y1 - y0) / 2)
    cx = float(np.clip(centre[0], x0 + rx, x1 - rx))
    cy = float(np.clip(centre[1], y0 + ry, y1 - ry))
    return ((cx - rx, cx + rx), (cy - ry, cy + ry))


def _image_layout(fig: go.Figure, view: _View, title: str, height: int) -> None:
    image, _ = background_image(view, resolution=200)
    (x0, x1), (y0, y1) = view.domain
    fig.update_layout(
        images=[image],
        title=dict(text=title, x=0, font=dict(size=14)),
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(range=[x0, x1], title=view.axis_labels[0], showgrid=False, zeroline=False),
        yaxis=dict(range=[y0, y1], title=view.axis_labels[1], showgrid=False, zeroline=False),
        legend=BELOW,
    )


def momentum_step_figure(
    surface: SurfaceLike, run: PathLike, parts: StepParts, step: int, *, height: int = 420
) -> go.Figure:
    """The scrubbed step's parts drawn tip to tail on a close-up of the surface: λm from θ_t,
    then −ηg from its tip; their sum ends at θ_{t+1}."""
    reach = 2.5 * max(
        float(np.linalg.norm(v)) for v in (parts.gradient, parts.carried, parts.total)
    )
    (x0, x1), _ = surface.domain
    reach = float(np.clip(reach, 0.02 * (x1 - x0), 0.5 * (x1 - x0)))
    view = _View(_window(parts.origin, reach, surface.domain), surface.axis_labels, surface.f)
    fig = go.Figure()
    points = np.asarray(run.points, dtype=float)
    fig.add_trace(
        go.Scatter(
            x=points[:, 0], y=points[:, 1], mode="lines+markers", name="path",
            line=dict(color="rgba(255,255,255,0.5)", width=1), marker=dict(size=4),
            hovertemplate="(%{x:.4g}, %{y:.4g})<extra></extra>",
        )
    )  # fmt: skip
    _arrow(fig, parts.origin, parts.carried, CARRIED_COLOR, "λ·m (previous movement kept)")
    _arrow(fig, parts.origin + parts.carried, parts.gradient, GRADIENT_COLOR, "−η·g (gradient)")
    _arrow(fig, parts.origin, parts.total, TOTAL_COLOR, "sum: the step taken")
    fig.add_trace(
        go.Scatter(
            x=[parts.origin[0]], y=[parts.origin[1]], mode="markers", name=f"θ at step {step}",
            marker=dict(size=11, color="#ffbd45", line=dict(color="black", width=1.5)),
        )
    )  # fmt: skip
    _image_layout(fig, view, f"Step {step} taken apart (close-up)", height)
    return fig


def weights_figure(lrs: np.ndarray, momentum: float, step: int, *, height: int = 300) -> go.Figure:
    """Bars: the weight of each past gradient in the scrubbed step, lecture vs PyTorch form."""
    fig = go.Figure()
    for convention, color in (("lecture", CARRIED_COLOR), ("pytorch", "#ffbd45")):
        weights = past_gradient_weights(lrs, momentum, step, convention)[:MAX_BARS]
        fig.add_trace(
            go.Bar(
                x=np.arange(len(weights)), y=weights, name=f"{convention} form",
                marker_color=color, opacity=0.8,
                hovertemplate="g from %{x} steps back: weight %{y:.4g}<extra></extra>",
            )
        )  # fmt: skip
    memory = 1 / (1 - momentum) if momentum < 1 else float("inf")
    fig.update_layout(
        barmode="group",
        height=height,
        title=dict(
            text=f"Weight of each past gradient in step {step} (λ = {momentum:g}; "
            f"memory 1/(1−λ) ≈ {memory:.3g} steps)",
            x=0,
            font=dict(size=14),
        ),
        xaxis_title="k: gradient from k steps back",
        yaxis_title="weight (λᵏ·η)",
        margin=dict(l=10, r=10, t=50, b=10),
        legend=BELOW,
    )
    return fig


def minibatch_figure(
    surface: SurfaceLike,
    batch_loss: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    run: BatchedPath,
    step: int,
    *,
    minima: Sequence[tuple[float, float]] = (),
    height: int = 560,
) -> go.Figure:
    """The loss of the minibatch used at ``step`` (full batch when the run has none), with the
    iterate θ_t and the step it took on that surface."""
    points = np.asarray(run.points, dtype=float)
    t = int(np.clip(step, 0, len(points) - 2))
    if run.batches is None:
        f, title = surface.f, f"Full-batch surface at step {t}"
    else:
        idx = np.asarray(run.batches[t])
        f = lambda x, y: batch_loss(x, y, idx)  # noqa: E731
        title = f"Minibatch surface at step {t}: samples {_short(idx)}"
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=points[: t + 1, 0], y=points[: t + 1, 1], mode="lines", name="path so far",
            line=dict(color="rgba(255,255,255,0.45)", width=1.5), hoverinfo="skip",
        )
    )  # fmt: skip
    if minima:
        mx, my = np.asarray(minima, dtype=float).reshape(-1, 2).T
        fig.add_trace(
            go.Scatter(
                x=mx, y=my, mode="markers", name="full-batch minima",
                marker=dict(symbol="star", size=11, color="white",
                            line=dict(color="black", width=1)),
            )
        )  # fmt: skip
    _arrow(fig, points[t], points[t + 1] - points[t], GRADIENT_COLOR, "this step")
    fig.add_trace(
        go.Scatter(
            x=[points[t, 0]], y=[points[t, 1]], mode="markers", name=f"θ at step {t}",
            marker=dict(size=12, color="#ffbd45", line=dict(color="black", width=1.5)),
        )
    )  # fmt: skip
    _image_layout(fig, _View(surface.domain, surface.axis_labels, f), title, height)
    return fig


def _short(idx: np.ndarray, most: int = 8) -> str:
    shown = ", ".join(str(int(i)) for i in idx[:most])
    return f"[{shown}{', …' if len(idx) > most else ''}]"


def batch_comparison_figure(
    runs: Sequence[tuple[str, np.ndarray, int]], *, height: int = 340
) -> go.Figure:
    """Loss against updates and against epochs, one line per batch size.

    ``runs`` holds (label, full-surface loss per point, updates per epoch).
    """
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=["loss vs updates", "loss vs epochs (same data seen)"]
    )
    for index, (label, losses, per_epoch) in enumerate(runs):
        losses = np.asarray(losses, dtype=float)
        updates = np.arange(len(losses))
        for col, x in ((1, updates), (2, updates / per_epoch)):
            fig.add_trace(
                go.Scatter(
                    x=x, y=losses, mode="lines", name=label, legendgroup=label,
                    showlegend=col == 1, line=dict(color=run_color(index)),
                ),
                row=1, col=col,
            )  # fmt: skip
    fig.update_xaxes(title_text="updates (log scale)", type="log", row=1, col=1)
    fig.update_xaxes(title_text="epochs", row=1, col=2)
    fig.update_yaxes(title_text="full-batch loss", row=1, col=1)
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.25),
        hovermode="x unified",
    )
    return fig


def epoch_marks(run: PathLike, per_epoch: int) -> go.Scatter:
    """Markers at the end of every epoch of a run, to add to its trajectory view."""
    points = np.asarray(run.points, dtype=float)[per_epoch::per_epoch]
    return go.Scatter(
        x=points[:, 0], y=points[:, 1], mode="markers", name="end of an epoch",
        marker=dict(symbol="diamond-open", size=9, color="white"),
        hovertemplate="end of epoch %{customdata}<extra></extra>",
        customdata=np.arange(1, len(points) + 1),
    )  # fmt: skip


def cut_figure(
    surface: SurfaceLike, runs: Sequence[tuple[str, PathLike]], y: float, *, height: int = 300
) -> go.Figure:
    """The loss along the line y = const, with where each run ended on it."""
    xs, _ = grid(surface.domain, 400)
    fig = go.Figure(
        go.Scatter(
            x=xs, y=surface.f(xs, np.full_like(xs, y)), mode="lines", name=f"L(x, {y:g})",
            line=dict(color="#bbbbbb", width=2),
        )
    )  # fmt: skip
    for index, (name, run) in enumerate(runs):
        end = np.asarray(run.points, dtype=float)[-1]
        fig.add_trace(
            go.Scatter(
                x=[end[0]], y=surface.f(end[:1], np.array([y])), mode="markers",
                name=f"{name}: ends at x = {end[0]:.3g}",
                marker=dict(size=13, color=run_color(index), line=dict(color="black", width=1.5)),
            )
        )  # fmt: skip
    fig.update_layout(
        height=height,
        title=dict(text=f"1-D cut along {surface.axis_labels[1]} = {y:g}", x=0, font=dict(size=14)),
        xaxis_title=surface.axis_labels[0],
        yaxis_title="loss",
        margin=dict(l=10, r=10, t=50, b=10),
        legend=BELOW,
    )
    return fig
