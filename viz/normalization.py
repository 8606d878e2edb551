"""Figures of the normalization page: gradient arrows, loss by direction, BN histograms and
statistics, test loss by test-batch size. Data in, plotly figures out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.theme import run_color


def add_gradient_arrows(
    fig: go.Figure, points: np.ndarray, vectors: np.ndarray, *, length: float
) -> go.Figure:
    """Arrows from each point along its vector (−gradient), the longest ``length`` long.

    One static trace added after the animated ones, so frames (which name their traces) ignore it.
    """
    points = np.asarray(points, dtype=float)
    vectors = np.asarray(vectors, dtype=float)
    norms = np.linalg.norm(vectors, axis=1)
    ends = points + vectors * (length / (np.nanmax(norms) or 1.0))
    xs = np.column_stack([points[:, 0], ends[:, 0], np.full(len(points), np.nan)]).ravel()
    ys = np.column_stack([points[:, 1], ends[:, 1], np.full(len(points), np.nan)]).ravel()
    size = np.column_stack([np.zeros(len(points)), np.full(len(points), 9), np.zeros(len(points))])
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="lines+markers", name="−gradient", hoverinfo="skip",
            line=dict(color="rgba(255,255,255,0.8)", width=1.5),
            marker=dict(symbol="arrow", angleref="previous", size=size.ravel(), color="white"),
        )
    )  # fmt: skip
    return fig


def angle_loss_figure(
    angles: np.ndarray,
    curves: Sequence[tuple[str, np.ndarray]],
    *,
    highlight: int,
    reference: tuple[str, np.ndarray] | None = None,
    height: int = 340,
) -> go.Figure:
    """Loss along the unit circle of weights, one curve per batch, the chosen one highlighted."""
    degrees = np.degrees(angles)
    fig = go.Figure()
    for index, (name, loss) in enumerate(curves):
        chosen = index == highlight
        fig.add_trace(
            go.Scatter(
                x=degrees, y=loss, mode="lines", name=name, showlegend=chosen,
                line=dict(color=run_color(0) if chosen else "rgba(160,160,160,0.35)",
                          width=3 if chosen else 1),
            )
        )  # fmt: skip
        if chosen:
            best = int(np.argmin(loss))
            fig.add_trace(
                go.Scatter(
                    x=[degrees[best]], y=[loss[best]], mode="markers", name="its best direction",
                    marker=dict(symbol="star", size=13, color=run_color(0)),
                )
            )  # fmt: skip
    if reference is not None:
        fig.add_trace(
            go.Scatter(
                x=degrees, y=reference[1], mode="lines", name=reference[0],
                line=dict(color=run_color(1), width=2, dash="dash"),
            )
        )  # fmt: skip
    fig.update_layout(
        title="Loss by direction of w (the surface is constant along rays)",
        xaxis=dict(title="direction of w, degrees", range=[-180, 180], dtick=45),
        yaxis=dict(title="loss on the batch"),
        height=height, margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", y=-0.25),
    )  # fmt: skip
    return fig


def histograms_figure(panels: Sequence[tuple[str, np.ndarray]], *, height: int = 280) -> go.Figure:
    """Side-by-side histograms (z, ẑ, γẑ + β for one batch), each titled with its mean and sd."""
    titles = [f"{name}<br>mean {np.mean(v):.3g}, sd {np.std(v):.3g}" for name, v in panels]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=titles)
    for col, (name, values) in enumerate(panels, start=1):
        fig.add_trace(
            go.Histogram(x=values, name=name, nbinsx=20, marker_color=run_color(col - 1),
                         showlegend=False),
            row=1, col=col,
        )  # fmt: skip
        fig.update_xaxes(title_text="value", row=1, col=col)
    fig.update_yaxes(title_text="samples", row=1, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=60, b=10), bargap=0.05)
    return fig


def running_stats_figure(
    batch: tuple[np.ndarray, np.ndarray],
    running: tuple[np.ndarray, np.ndarray],
    population: tuple[float, float],
    *,
    height: int = 320,
) -> go.Figure:
    """Per-step batch mean and variance of z (dots), the running averages (line), the truth."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["mean of z", "variance of z"])
    for col in (1, 2):
        values, average, truth = batch[col - 1], running[col - 1], population[col - 1]
        first = col == 1
        fig.add_trace(
            go.Scatter(x=np.arange(1, len(values) + 1), y=values, mode="markers", name="this batch",
                       marker=dict(size=4, color="rgba(200,200,200,0.5)"), showlegend=first),
            row=1, col=col,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=np.arange(len(average)), y=average, mode="lines", name="running average",
                       line=dict(color=run_color(0), width=2.5), showlegend=first),
            row=1, col=col,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=[0, len(average) - 1], y=[truth, truth], mode="lines",
                       name="whole training set (final w)", showlegend=first,
                       line=dict(color=run_color(1), dash="dash")),
            row=1, col=col,
        )  # fmt: skip
        fig.update_xaxes(title_text="training step", row=1, col=col)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.3))  # fmt: skip
    return fig


def eval_batch_figure(
    sizes: Sequence[int], own: np.ndarray, running: float, *, height: int = 320
) -> go.Figure:
    """Test loss against the test batch size: own statistics vs running ones."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=list(sizes), y=own, mode="lines+markers", name="test batch's own statistics",
                   line=dict(color=run_color(0)))
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=[min(sizes), max(sizes)], y=[running, running], mode="lines",
                   name="running statistics (eval mode)",
                   line=dict(color=run_color(1), dash="dash"))
    )  # fmt: skip
    fig.update_layout(
        title="Test loss by test batch size",
        xaxis=dict(title="test batch size", type="log"),
        yaxis=dict(title="test MSE", type="log"),
        height=height, margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", y=-0.3),
    )  # fmt: skip
    return fig
