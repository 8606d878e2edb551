"""Figures of the normalization page: gradient arrows, loss by direction, BN histograms and
statistics, test loss by test-batch size. Data in, plotly figures out.

Traces that tests read carry ``meta=dict(role=..., run=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from i18n import _
from viz.theme import base_layout, log_axis, run_color

BATCH_GREY = "rgba(160,160,160,0.35)"


def panels_layout(titles: Sequence[str], *, gap: float = 0.08) -> dict:
    """Axes for side-by-side panels (x, x2, …) with a title centred above each."""
    width = (1 - gap * (len(titles) - 1)) / len(titles)
    layout: dict = {"annotations": []}
    for index, title in enumerate(titles):
        suffix = "" if index == 0 else str(index + 1)
        left = index * (width + gap)
        layout[f"xaxis{suffix}"] = dict(domain=[left, left + width], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}")
        layout["annotations"].append(
            dict(text=title, x=left + width / 2, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=14))
        )  # fmt: skip
    return layout


def thin_decades(figure: go.Figure, most: int = 5) -> go.Figure:
    """Label each log y axis every k decades, so that at most ``most`` labels show.

    ``viz.theme.log_axis`` labels every decade, which piles 20 labels onto a short panel when a
    distance falls to rounding noise (10⁻¹⁶); a local stand-in until it can space them itself.
    """
    for axis in figure.select_yaxes():
        if axis.type != "log" or axis.dtick != 1:  # under a decade: log_axis labels it itself
            continue
        name = axis.plotly_name.replace("axis", "")  # "yaxis2" -> "y2"
        values = [np.asarray(t.y, dtype=float) for t in figure.data if (t.yaxis or "y") == name]
        data = np.concatenate(values) if values else np.zeros(0)
        positive = data[np.isfinite(data) & (data > 0)]
        if positive.size:
            span = np.log10(positive.max()) - np.log10(positive.min())
            axis.dtick = max(1, int(np.ceil(span / most)))
    return figure


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
    gaps = np.full(len(points), np.nan)
    xs = np.column_stack([points[:, 0], ends[:, 0], gaps]).ravel()
    ys = np.column_stack([points[:, 1], ends[:, 1], gaps]).ravel()
    size = np.column_stack([np.zeros(len(points)), np.full(len(points), 9), np.zeros(len(points))])
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="lines+markers", name=_("−gradient"), hoverinfo="skip",
            meta=dict(role="arrows"), line=dict(color="rgba(255,255,255,0.8)", width=1.5),
            marker=dict(symbol="arrow", angleref="previous", size=size.ravel(), color="white"),
        )
    )  # fmt: skip
    return fig


def angle_loss_figure(
    angles: np.ndarray,
    curves: Sequence[tuple[int, np.ndarray]],
    whole: np.ndarray,
    *,
    highlight: int,
    height: int = 360,
) -> go.Figure:
    """Loss along the unit circle of weights, over evenly spaced ``angles``: one grey curve per
    batch given as (batch index, losses), batch ``highlight`` in colour with its best direction
    starred, the whole training set dashed. The angles travel as a start and a step, not as an
    array per curve (a third of the bytes)."""
    degrees = np.degrees(angles)
    along = dict(x0=float(degrees[0]), dx=float(degrees[1] - degrees[0]), mode="lines")
    data = []
    for index, loss in curves:
        index = int(index)
        chosen = index == highlight
        data.append(
            go.Scatter(
                y=np.asarray(loss, dtype=np.float32), showlegend=chosen,
                name=_("batch {n}").format(n=index + 1), meta=dict(role="batch", run=index),
                line=dict(color=run_color(0) if chosen else BATCH_GREY, width=3 if chosen else 1),
                **along,
            )
        )  # fmt: skip
        if chosen:
            best = int(np.argmin(loss))
            star = go.Scatter(
                x=[degrees[best]], y=[loss[best]], mode="markers", name=_("its best direction"),
                meta=dict(role="best"), marker=dict(symbol="star", size=13, color=run_color(0)),
            )  # fmt: skip
    data.append(star)
    data.append(
        go.Scatter(
            y=np.asarray(whole, dtype=np.float32), name=_("whole training set"),
            meta=dict(role="whole"), line=dict(color=run_color(1), width=2, dash="dash"), **along,
        )
    )  # fmt: skip
    layout = base_layout(
        height,
        title=_("Loss by direction of w (the surface is constant along rays)"),
        top=50,
        bottom=95,
        xaxis=dict(title=_("direction of w, degrees"), range=[-180, 180], dtick=45),
        yaxis=dict(title=_("loss on the batch")),
    )
    return go.Figure(data=data, layout=layout)


def histograms_figure(
    panels: Sequence[tuple[str, np.ndarray, str]], *, height: int = 300
) -> go.Figure:
    """Side-by-side histograms (z, ẑ, γẑ + β for one batch), as (title, values, note): each
    title above its panel, its note (mean and sd) under it, clear of the neighbouring title."""
    layout = panels_layout([title for title, _values, _note in panels], gap=0.1)
    data = []
    for index, (_title, values, note) in enumerate(panels):
        suffix = "" if index == 0 else str(index + 1)
        data.append(
            go.Histogram(
                x=values, nbinsx=20, marker_color=run_color(index), showlegend=False,
                meta=dict(role="histogram", run=index), xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            )
        )  # fmt: skip
        layout[f"xaxis{suffix}"]["title"] = dict(text=note, font=dict(size=13))
    layout["yaxis"]["title"] = _("samples")
    return go.Figure(data=data, layout=layout | base_layout(height, legend=None, top=30,
                                                            bottom=10, bargap=0.05))  # fmt: skip


def running_stats_figure(
    batch: tuple[np.ndarray, np.ndarray],
    running: tuple[np.ndarray, np.ndarray],
    whole: tuple[float, float],
    *,
    height: int = 340,
) -> go.Figure:
    """Per-step batch mean and variance of z (dots), the running averages (line), the whole
    training set's (dashed)."""
    layout = panels_layout([_("mean of z"), _("variance of z")])
    data = []
    for col, (values, average, truth) in enumerate(zip(batch, running, whole, strict=True)):
        suffix = "" if col == 0 else str(col + 1)
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}", showlegend=col == 0)
        steps = np.arange(len(average))
        data += [
            go.Scatter(
                x=steps[1:], y=values, mode="markers", name=_("this batch"),
                meta=dict(role="batch", run=col),
                marker=dict(size=4, color="rgba(200,200,200,0.5)"), **axes,
            ),
            go.Scatter(
                x=steps, y=average, mode="lines", name=_("running average"),
                meta=dict(role="running", run=col), line=dict(color=run_color(0), width=2.5),
                **axes,
            ),
            go.Scatter(
                x=[0, steps[-1]], y=[truth, truth], mode="lines",
                name=_("whole training set (final w)"), meta=dict(role="whole", run=col),
                line=dict(color=run_color(1), dash="dash"), **axes,
            ),
        ]  # fmt: skip
        layout[f"xaxis{suffix}"]["title"] = _("training step")
    return go.Figure(data=data, layout=layout | base_layout(height, top=30, bottom=70))


def eval_batch_figure(
    sizes: Sequence[int], own: np.ndarray, running: float, *, height: int = 340
) -> go.Figure:
    """Test loss against the test batch size: own statistics vs running ones."""
    data = [
        go.Scatter(
            x=list(sizes), y=own, mode="lines+markers", name=_("test batch's own statistics"),
            meta=dict(role="own"), line=dict(color=run_color(0)),
        ),
        go.Scatter(
            x=[min(sizes), max(sizes)], y=[running, running], mode="lines",
            name=_("running statistics (eval mode)"), meta=dict(role="running"),
            line=dict(color=run_color(1), dash="dash"),
        ),
    ]  # fmt: skip
    layout = base_layout(
        height,
        title=_("Test loss by test batch size"),
        top=50,
        bottom=70,
        xaxis=dict(title=_("test batch size"), type="log", tickvals=list(sizes),
                   ticktext=[str(s) for s in sizes]),
        yaxis=dict(title=_("test MSE")) | log_axis(np.append(own, running)),
    )  # fmt: skip
    return go.Figure(data=data, layout=layout)
