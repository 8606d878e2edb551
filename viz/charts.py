"""Static companions of the animated view: the 3-D surface and per-step curves of every run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.background import grid
from viz.trajectory import PathLike, SurfaceLike, run_color


def surface_3d_figure(
    surface: SurfaceLike,
    runs: Sequence[tuple[str, PathLike]] = (),
    *,
    resolution: int = 70,
    height: int = 520,
    colorscale: str = "Viridis",
) -> go.Figure:
    """The loss as a 3-D surface with each run's path lying on it.

    Heights are clipped at the 98th percentile so one steep corner does not flatten the valley.
    """
    xs, ys = grid(surface.domain, resolution)
    with np.errstate(all="ignore"):
        z = np.asarray(surface.f(*np.meshgrid(xs, ys)), dtype=float)
    finite = z[np.isfinite(z)]
    ceiling = float(np.percentile(finite, 98)) if finite.size else 1.0
    z = np.where(np.isfinite(z), np.minimum(z, ceiling), ceiling)
    fig = go.Figure(
        go.Surface(
            x=xs, y=ys, z=z, colorscale=colorscale, showscale=False, opacity=0.92,
            contours=dict(z=dict(show=True, usecolormap=True, project_z=True)),
            hovertemplate="(%{x:.4g}, %{y:.4g})<br>loss %{z:.5g}<extra></extra>",
        )
    )  # fmt: skip
    lift = 0.01 * (ceiling - float(finite.min())) if finite.size else 0.0
    for index, (name, run) in enumerate(runs):
        points = np.asarray(run.points, dtype=float)
        with np.errstate(all="ignore"):
            heights = np.minimum(np.asarray(surface.f(points[:, 0], points[:, 1])), ceiling)
        fig.add_trace(
            go.Scatter3d(
                x=points[:, 0], y=points[:, 1], z=heights + lift, mode="lines", name=name,
                line=dict(color=run_color(index), width=6),
            )
        )  # fmt: skip
    (x0, x1), (y0, y1) = surface.domain
    fig.update_layout(
        height=height,
        margin=dict(l=0, r=0, t=10, b=0),
        legend=dict(orientation="h", y=1.0),
        scene=dict(
            xaxis=dict(title=surface.axis_labels[0], range=[x0, x1]),
            yaxis=dict(title=surface.axis_labels[1], range=[y0, y1]),
            zaxis=dict(title="loss"),
            aspectmode="manual",
            aspectratio=dict(x=1, y=1, z=0.6),
        ),
    )
    return fig


def step_curves_figure(
    curves: Sequence[tuple[str, Sequence[tuple[str, np.ndarray]]]],
    *,
    log_y: Sequence[bool] | None = None,
    height: int = 300,
) -> go.Figure:
    """Side-by-side panels of per-step curves, one colour per run across every panel.

    ``curves`` is ``[(panel title, [(run name, values per step), ...]), ...]``.
    """
    fig = make_subplots(rows=1, cols=len(curves), subplot_titles=[title for title, _ in curves])
    log_y = log_y or [False] * len(curves)
    for col, (_, series) in enumerate(curves, start=1):
        for index, (name, values) in enumerate(series):
            values = np.asarray(values, dtype=float)
            if log_y[col - 1]:
                values = np.where(values > 0, values, np.nan)  # log axes cannot show 0
            fig.add_trace(
                go.Scatter(
                    x=np.arange(len(values)), y=values, mode="lines", name=name,
                    legendgroup=name, showlegend=col == 1, line=dict(color=run_color(index)),
                ),
                row=1, col=col,
            )  # fmt: skip
        fig.update_xaxes(title_text="step", row=1, col=col)
        if log_y[col - 1]:
            fig.update_yaxes(type="log", exponentformat="power", row=1, col=col)
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.25),
        hovermode="x unified",
    )
    return fig
