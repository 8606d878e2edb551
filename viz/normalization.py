"""Figures of the normalization page: gradient arrows, loss by direction, BN histograms and
statistics, test loss by test-batch size. Data in, plotly figures out.

Traces that tests read carry ``meta=dict(role=..., run=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

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
        layout[f"xaxis{suffix}"] = dict(domain=[left, min(left + width, 1.0)], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}")
        layout["annotations"].append(
            dict(text=title, x=left + width / 2, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=14))
        )  # fmt: skip
    return layout


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


# ---- On a real network: without and with batch norm, over seeds ---------------------------------

NET_DASHES = ("solid", "dash")  # without, with batch norm
NET_COLORS = ("#ffbd45", "#00c0f2")


class SpreadPanel(NamedTuple):
    """One panel of ``spread_figure``: its title, the role its traces carry, one array per
    network of shape (points, seeds), and optionally a horizontal line (value, label)."""

    title: str
    role: str
    values: Sequence[np.ndarray]
    limit: tuple[float, str] | None = None


def spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, least and largest over the last axis (seeds), ignoring NaN (a diverged seed);
    NaN where every seed is NaN."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    some = finite.any(axis=-1)
    safe = np.where(finite, values, np.nan)
    with np.errstate(all="ignore"):
        out = [np.where(some, f(np.where(some[..., None], safe, 0.0), axis=-1), np.nan)
               for f in (np.nanmedian, np.nanmin, np.nanmax)]  # fmt: skip
    return out[0], out[1], out[2]


def spread_figure(
    x: np.ndarray,
    panels: Sequence[SpreadPanel],
    names: Sequence[str],
    *,
    shared_y: bool = True,
    x_title: str,
    y_title: str | None = None,
    y_values: np.ndarray | None = None,
    height: int = 340,
) -> go.Figure:
    """Side-by-side panels, each with one median line per network over the seeds and the band
    from the least to the largest seed (``spread``), on log axes (one for every panel when
    ``shared_y``, spanning ``y_values`` when given). A seed that diverged leaves the band where
    it did. Traces carry
    ``meta=dict(role=panel.role, net=n, run=panel index)`` (the band's edges ``role + '_low'``
    and ``role + '_high'``)."""
    layout = panels_layout([panel.title for panel in panels], gap=0.05 if shared_y else 0.09)
    every = [v for panel in panels for values in panel.values for v in np.ravel(values)]
    every += [panel.limit[0] for panel in panels if panel.limit]
    if y_values is not None and np.any(np.isfinite(y_values) & (np.asarray(y_values) > 0)):
        every = list(np.ravel(y_values))
    data = []
    for i, panel in enumerate(panels):
        suffix = "" if i == 0 else str(i + 1)
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        mine = [v for values in panel.values for v in np.ravel(values)]
        for n, values in enumerate(panel.values):
            middle, low, high = spread(values)
            color, meta = NET_COLORS[n], dict(net=n, run=i)
            data += [
                go.Scatter(x=x, y=low, mode="lines", line=dict(color=color, width=0),
                           showlegend=False, hoverinfo="skip", legendgroup=str(n),
                           meta=meta | dict(role=f"{panel.role}_low"), **axes),
                go.Scatter(x=x, y=high, mode="lines", line=dict(color=color, width=0),
                           fill="tonexty", fillcolor=_faint(color, 0.25), showlegend=False,
                           hoverinfo="skip", legendgroup=str(n),
                           meta=meta | dict(role=f"{panel.role}_high"), **axes),
                go.Scatter(x=x, y=middle, mode="lines+markers" if len(x) < 20 else "lines",
                           name=names[n], legendgroup=str(n), showlegend=i == 0,
                           line=dict(color=color, dash=NET_DASHES[n], width=2),
                           meta=meta | dict(role=panel.role), **axes),
            ]  # fmt: skip
        if panel.limit is not None:
            value, label = panel.limit
            data.append(
                go.Scatter(x=[x[0], x[-1]], y=[value, value], mode="lines", name=label,
                           legendgroup="limit", showlegend=not any(
                               p.limit for p in panels[:i]),
                           hoverinfo="y", line=dict(color="#e0e0e0", dash="dot", width=1.5),
                           meta=dict(role="limit", run=i), **axes)
            )  # fmt: skip
            mine.append(value)
        layout[f"xaxis{suffix}"]["title"] = x_title
        values = every if shared_y else mine
        layout[f"yaxis{suffix}"] |= log_axis(values) | dict(range=_log_range(np.array(values)))
        if shared_y and i:
            layout[f"yaxis{suffix}"]["showticklabels"] = False
    base = base_layout(height, top=30, bottom=80)
    if y_title:
        layout["yaxis"]["title"] = y_title
        base["margin"] = base["margin"] | dict(l=70)  # room for the title beside the ticks
    return go.Figure(data=data, layout=layout | base)


def _faint(color: str, alpha: float = 0.3) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _log_range(values: np.ndarray) -> list[float]:
    """A log axis's range over the positive finite values, a little margin either side."""
    positive = values[np.isfinite(values) & (values > 0)]
    if not positive.size:
        return [-1.0, 1.0]
    low, high = np.log10(positive.min()), np.log10(positive.max())
    pad = 0.05 * max(high - low, 0.5)
    return [float(low - pad), float(high + pad)]
