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


# ---- On a real network: without and with batch norm ----------------------------------------------

NET_DASHES = ("solid", "dash")  # without, with batch norm (colours are the learning rates)
NET_COLORS = ("#ffbd45", "#00c0f2")  # the two networks where one rate is shown


def curvature_figure(
    steps: np.ndarray,
    rates: Sequence[float],
    nets: Sequence[tuple[str, np.ndarray, np.ndarray]],
    *,
    limits: bool = False,
    height: int = 380,
) -> go.Figure:
    """λmax and κ of the Hessian's positive part at the checkpoint ``steps``, one line per
    network (``nets``: (name, top, kappa), each (C, R)) and rate (its colour); with ``limits``,
    gradient descent's 2/η beside λmax (a quadratic with λmax above it diverges)."""
    layout = panels_layout([_("top eigenvalue λmax"), _("κ = λmax / λ₊ (positive part)")], gap=0.1)
    data = []
    for col, role in enumerate(("top", "kappa")):
        suffix = "" if col == 0 else str(col + 1)
        values = [v for _name, *pair in nets for v in np.ravel(pair[col])]
        for n, (name, *pair) in enumerate(nets):
            for r, rate in enumerate(rates):
                data.append(
                    go.Scatter(
                        x=steps, y=pair[col][:, r], mode="lines+markers",
                        name=_("η = {rate}, {net}").format(rate=f"{rate:g}", net=name),
                        meta=dict(role=role, run=r, net=n), legendgroup=f"{n}-{r}",
                        showlegend=col == 0, xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                        line=dict(color=run_color(r), dash=NET_DASHES[n]),
                    )
                )  # fmt: skip
        if limits and col == 0:
            for r, rate in enumerate(rates):
                data.append(
                    go.Scatter(
                        x=[steps[0], steps[-1]], y=[2 / rate] * 2, mode="lines",
                        name=_("2/η: gradient descent's limit on a quadratic"),
                        meta=dict(role="limit", run=r), legendgroup="limit", showlegend=r == 0,
                        hoverinfo="y", line=dict(color=run_color(r), dash="dot", width=1),
                    )
                )  # fmt: skip
                values.append(2 / rate)
        layout[f"xaxis{suffix}"]["title"] = _("training step")
        layout[f"yaxis{suffix}"] |= log_axis(values)
    return go.Figure(data=data, layout=layout | base_layout(height, top=30, bottom=110))


def bands_figure(
    steps: np.ndarray,
    nets: Sequence[tuple[str, np.ndarray, np.ndarray]],
    *,
    height: int = 360,
) -> go.Figure:
    """Santurkar et al.'s bands at the checkpoint ``steps``: the range (least to largest over
    the step sizes) of the loss along −∇L and of the gradient's change there, a shaded band per
    network (``nets``: (name, loss band, gradient band), each (C, 2))."""
    layout = panels_layout(
        [_("loss L(θ − η′∇L) over the step sizes η′"), _("gradient change ‖∇L(θ − η′∇L) − ∇L(θ)‖")],
        gap=0.1,
    )
    data = []
    for col, role in enumerate(("loss_band", "grad_band")):
        suffix = "" if col == 0 else str(col + 1)
        values = []
        for n, (name, *bands) in enumerate(nets):
            band = np.asarray(bands[col], dtype=float)
            values += list(band.ravel())
            axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}", legendgroup=str(n))
            color = NET_COLORS[n]
            data += [
                go.Scatter(x=steps, y=band[:, 0], mode="lines", line=dict(color=color, width=1),
                           showlegend=False, hoverinfo="skip", meta=dict(role=f"{role}_low",
                                                                         net=n), **axes),
                go.Scatter(x=steps, y=band[:, 1], mode="lines", line=dict(color=color, width=1),
                           fill="tonexty", fillcolor=_faint(color), name=name,
                           showlegend=col == 0, meta=dict(role=role, net=n), **axes),
            ]  # fmt: skip
        layout[f"xaxis{suffix}"]["title"] = _("training step")
        layout[f"yaxis{suffix}"] |= log_axis(values)
    return go.Figure(data=data, layout=layout | base_layout(height, top=30, bottom=80))


def _faint(color: str, alpha: float = 0.3) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def loss_curves_figure(
    rates: Sequence[float], nets: Sequence[tuple[str, np.ndarray]], *, height: int = 340
) -> go.Figure:
    """The loss at every step, one panel per rate, both networks in it (``nets``: (name, losses
    (steps + 1, R))), on one log axis for all panels. A run that diverged (NaN from there on)
    ends where it did, off the top: the axis spans the runs that did not (a blow-up to 10¹² would
    flatten every other curve), unless none did."""
    layout = panels_layout([_("η = {rate}").format(rate=f"{rate:g}") for rate in rates], gap=0.04)
    values = np.concatenate([np.ravel(losses) for _name, losses in nets])
    kept = [losses[:, ~np.isnan(losses).any(axis=0)] for _name, losses in nets]
    spanned = np.concatenate([np.ravel(losses) for losses in kept])
    spanned = spanned if spanned.size else values
    axis = log_axis(spanned) | dict(range=_log_range(spanned))
    data = []
    for r in range(len(rates)):
        suffix = "" if r == 0 else str(r + 1)
        for n, (name, losses) in enumerate(nets):
            data.append(
                go.Scatter(
                    y=losses[:, r], mode="lines", name=name, legendgroup=str(n),
                    showlegend=r == 0, meta=dict(role="loss", run=r, net=n),
                    xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                    line=dict(color=NET_COLORS[n], dash=NET_DASHES[n], width=2),
                )
            )  # fmt: skip
        layout[f"xaxis{suffix}"]["title"] = _("step")
        layout[f"yaxis{suffix}"] |= axis | dict(showticklabels=r == 0)
    layout["yaxis"]["title"] = _("loss (MSE)")
    return go.Figure(data=data, layout=layout | base_layout(height, top=30, bottom=80))


def _log_range(values: np.ndarray) -> list[float]:
    """A log axis's range over the positive finite values, a little margin either side."""
    positive = values[np.isfinite(values) & (values > 0)]
    if not positive.size:
        return [-1.0, 1.0]
    low, high = np.log10(positive.min()), np.log10(positive.max())
    pad = 0.05 * max(high - low, 0.5)
    return [float(low - pad), float(high + pad)]
