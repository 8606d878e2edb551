"""Static companions of the animated view: the 3-D surface and per-step curves of every run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from i18n import _
from viz.background import grid
from viz.theme import base_layout, log_axis, run_color, run_dash, tick_text
from viz.trajectory import PathLike, SurfaceLike


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
            hovertemplate="(%{x:.4g}, %{y:.4g})<br>" + _("loss") + " %{z:.5g}<extra></extra>",
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
        **base_layout(height, legend="top", top=10, bottom=0),
        scene=dict(
            xaxis=dict(title=surface.axis_labels[0], range=[x0, x1]),
            yaxis=dict(title=surface.axis_labels[1], range=[y0, y1]),
            zaxis=dict(title=_("loss")),
            aspectmode="manual",
            aspectratio=dict(x=1, y=1, z=0.6),
            # a little farther than plotly's (1.25, 1.25, 1.25): the z title stays in the frame
            camera=dict(eye=dict(x=1.45, y=1.45, z=1.2)),
        ),
    )
    return fig


def step_curves_figure(
    curves: Sequence[tuple[str, Sequence[tuple[str, np.ndarray]]]],
    *,
    log_y: Sequence[bool] | None = None,
    height: int = 300,
    gap: float = 0.06,
    stacked: bool = False,
) -> go.Figure:
    """Panels of per-step curves, side by side (or ``stacked`` in a column, sharing the step
    axis), one colour per run across every panel.

    ``curves`` is ``[(panel title, [(run name, values per step), ...]), ...]``. The panels are
    laid out by hand: ``make_subplots`` costs more than the rest of a page rerun.
    """
    panels = len(curves)
    log_y = log_y or [False] * panels
    gap = 2 * gap if stacked else gap  # room for each stacked panel's title
    size = (1 - gap * (panels - 1)) / panels
    traces, layout = [], {}
    for col, (title, series) in enumerate(curves):
        suffix = "" if col == 0 else str(col + 1)
        start = col * (size + gap)
        x_axis = dict(
            anchor=f"y{suffix}", title=_("step") if not stacked or col == panels - 1 else None
        )
        y_axis = dict(anchor=f"x{suffix}")
        if stacked:  # top to bottom, one step axis
            top = 1 - start
            y_axis["domain"] = [max(0.0, top - size), top]  # rounding can dip below 0
            x_axis |= dict(matches="x" if col else None, showticklabels=col == panels - 1)
            title_at = dict(x=0.5, y=top)
        else:
            x_axis["domain"] = [start, start + size]
            title_at = dict(x=start + size / 2, y=1.0)
        if log_y[col]:
            y_axis |= log_axis(np.concatenate([np.ravel(v) for _, v in series] or [[]]))
        layout[f"xaxis{suffix}"], layout[f"yaxis{suffix}"] = x_axis, y_axis
        layout.setdefault("annotations", []).append(
            dict(text=title, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                 showarrow=False, font=dict(size=15), **title_at)
        )  # fmt: skip
        for index, (name, values) in enumerate(series):
            values = np.asarray(values, dtype=float)
            if log_y[col]:
                values = np.where(values > 0, values, np.nan)  # log axes cannot show 0
            traces.append(
                go.Scatter(
                    y=values, mode="lines", name=name,  # x defaults to the step index
                    legendgroup=name, showlegend=col == 0,
                    line=dict(color=run_color(index), dash=run_dash(index)),
                    xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                )
            )  # fmt: skip
    return go.Figure(
        data=traces,
        layout=layout | base_layout(height, top=30 if stacked else 40, hovermode="x unified"),
    )


def loss_series(
    runs: Sequence[tuple[str, np.ndarray]], floor: float | None
) -> tuple[str, list[tuple[str, np.ndarray]], bool]:
    """The loss panel of a run comparison: (title, series, log axis).

    A log axis shows the approach to a minimum best, but cannot show a loss ≤ 0. So: L − L* on a
    log axis where the lowest minimum L* is known and no run goes below it; the loss itself on a
    log axis where it stays positive; else the loss on a linear axis.
    """
    losses = [np.asarray(values, dtype=float) for _, values in runs]
    finite = np.concatenate([v[np.isfinite(v)] for v in losses] or [np.zeros(0)])
    if floor is not None and finite.size and finite.min() >= floor - 1e-9 * max(1.0, abs(floor)):
        gaps = [(name, v - floor) for (name, _values), v in zip(runs, losses, strict=True)]
        gap = _("loss − L* (L* = {floor})").format(floor=tick_text(floor, 4))
        title = _("loss") if floor == 0 else gap
        return title, gaps, True
    if finite.size and finite.min() > 0:
        return _("loss"), list(runs), True
    return _("loss"), list(runs), False
