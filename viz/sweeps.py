"""Figures of whole ranges of runs: a learning-rate sweep (one curve per optimizer against η on a
log axis) and basin maps (a grid of starts coloured by where each run ended).

Traces carry ``meta=dict(role=..., run=...)`` so that tests and callbacks find them by role:
"sweep", "diverged", "missing", "best", "limit", "chosen" in the sweep; "map", "pick",
"category", "critical" in the basin maps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from i18n import _
from viz.theme import base_layout, log_axis

STRIP = (0.87, 1.0)  # the top strip of the sweep chart, where runs without a value are marked
MAIN = (0.0, 0.8)
CRITICAL_SYMBOLS = {"minimum": "star", "saddle": "x", "maximum": "triangle-up"}


class RateCurve(NamedTuple):
    """One optimizer across the sweep's rates: ``values`` is the measure per rate (NaN where
    there is none), ``diverged`` and ``missing`` (stable, but nothing to show: the target was
    never reached) are marked in the top strip; ``best`` is the index of the best rate."""

    name: str
    color: str
    rates: np.ndarray
    values: np.ndarray
    diverged: np.ndarray
    missing: np.ndarray
    best: int | None


def rate_sweep_figure(
    curves: Sequence[RateCurve],
    *,
    y_title: str,
    log_y: bool,
    limits: Sequence[tuple[str, float]] = (),
    chosen: tuple[int, int] | None = None,
    height: int = 430,
) -> go.Figure:
    """The measure against η for every optimizer, best rates starred, runs that diverged (✕) or
    never reached the target (○) in a strip along the top, stability limits as vertical lines.

    ``chosen`` = (curve, rate index) is ringed. Every point carries customdata (name, η), so a
    click names the run.
    """
    traces: list[go.Scatter] = []
    for i, curve in enumerate(curves):
        data = [[curve.name, float(rate)] for rate in curve.rates]
        values = np.where(np.isfinite(curve.values), curve.values, np.nan)
        traces.append(go.Scatter(
            x=curve.rates, y=values, mode="lines+markers", name=curve.name, customdata=data,
            legendgroup=curve.name, meta=dict(role="sweep", run=i),
            line=dict(color=curve.color, width=2), marker=dict(color=curve.color, size=7),
            hovertemplate=f"{curve.name}<br>η = %{{x:.3g}}<br>{y_title}: %{{y:.4g}}<extra></extra>",
        ))  # fmt: skip
        for role, mask, symbol, text in (
            ("diverged", curve.diverged, "x", _("diverged")),
            ("missing", curve.missing, "circle-open", _("target not reached")),
        ):
            index = np.flatnonzero(mask)
            traces.append(go.Scatter(
                x=curve.rates[index], y=np.full(len(index), i), yaxis="y2", mode="markers",
                name=curve.name, legendgroup=curve.name, showlegend=False,
                customdata=[data[k] for k in index], meta=dict(role=role, run=i),
                marker=dict(color=curve.color, size=9, symbol=symbol, line=dict(width=2)),
                hovertemplate=f"{curve.name}<br>η = %{{x:.3g}}<br>{text}<extra></extra>",
            ))  # fmt: skip
        if curve.best is not None:
            traces.append(go.Scatter(
                x=[curve.rates[curve.best]], y=[values[curve.best]], mode="markers",
                name=curve.name, legendgroup=curve.name, showlegend=False,
                customdata=[data[curve.best]], meta=dict(role="best", run=i),
                marker=dict(symbol="star", size=18, color=curve.color,
                            line=dict(color="white", width=1.5)),
                hovertemplate=_("{name}: best η = %{{x:.3g}}").format(name=curve.name)
                + "<extra></extra>",
            ))  # fmt: skip
    for j, (label, value) in enumerate(limits):
        traces.append(go.Scatter(
            x=[value, value], y=[0, 1], yaxis="y3", mode="lines", name=label,
            meta=dict(role="limit", run=j), hoverinfo="name",
            line=dict(color="white", width=1.5, dash="dash" if j == 0 else "dot"),
        ))  # fmt: skip
    if chosen is not None:
        traces.append(_chosen_ring(curves, *chosen))
    rates = np.concatenate([c.rates for c in curves]) if curves else np.ones(1)
    shown = np.concatenate([c.values for c in curves]) if curves else np.ones(1)
    y_axis = dict(domain=MAIN, title=y_title) | (log_axis(shown) if log_y else {})
    strip = dict(domain=STRIP, range=[-0.6, max(len(curves), 1) - 0.4], showticklabels=False,
                 showgrid=False, zeroline=False, fixedrange=True)  # fmt: skip
    overlay = dict(overlaying="y", range=[0, 1], visible=False, fixedrange=True)
    layout = base_layout(
        height, legend="bottom", top=20, bottom=70,
        xaxis=log_axis(rates) | dict(title=_("learning rate η")),
        yaxis=y_axis, yaxis2=strip, yaxis3=overlay, hovermode="closest", clickmode="event+select",
        annotations=[dict(
            text=_("✕ diverged   ○ target not reached"), xref="paper", yref="paper", x=0,
            y=STRIP[1], xanchor="left", yanchor="bottom", showarrow=False,
            font=dict(size=11, color="#aaaaaa"),
        )],
    )  # fmt: skip
    return go.Figure(data=traces, layout=layout)


def _chosen_ring(curves: Sequence[RateCurve], curve: int, index: int) -> go.Scatter:
    """A ring around the run on show, in the strip if it has no value."""
    c = curves[curve]
    value = c.values[index]
    in_strip = not np.isfinite(value)
    return go.Scatter(
        x=[c.rates[index]], y=[curve if in_strip else value], yaxis="y2" if in_strip else "y",
        mode="markers", name=_("run on show"), showlegend=False, hoverinfo="skip",
        meta=dict(role="chosen", run=curve),
        marker=dict(symbol="circle-open", size=20, color="white", line=dict(width=2.5)),
    )  # fmt: skip


class Category(NamedTuple):
    """One colour of a basin map: a basin code (``optimizers.ranges.basin_codes``), its label
    in the legend and its short name over a cell."""

    code: int
    label: str
    color: str
    short: str


class BasinPanel(NamedTuple):
    """One map: its title and the code of every cell, shape (n, n) indexed [y, x]."""

    title: str
    codes: np.ndarray


def basin_map_figure(
    panels: Sequence[BasinPanel],
    *,
    xs: np.ndarray,
    ys: np.ndarray,
    categories: Sequence[Category],
    critical: Sequence[tuple[str, float, float]] = (),
    axis_labels: tuple[str, str] = ("x", "y"),
    height: int = 470,
    gap: float = 0.08,
) -> go.Figure:
    """Maps side by side, each cell coloured by its category, critical points on top (minima
    numbered as in the legend). Each map has an invisible point per cell (role "pick") at the
    cell's start, so a click names the run."""
    k = max(len(categories), 1)
    colorscale = [
        [edge, category.color]
        for i, category in enumerate(categories)
        for edge in (i / k, (i + 1) / k)
    ] or [[0, "#000"], [1, "#000"]]  # fmt: skip
    position = {category.code: i for i, category in enumerate(categories)}
    labels = {category.code: category.short for category in categories}
    width = (1 - gap * (len(panels) - 1)) / len(panels)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    traces: list = []
    layout: dict = {"annotations": []}
    for p, panel in enumerate(panels):
        suffix = "" if p == 0 else str(p + 1)
        left = p * (width + gap)
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        z = np.vectorize(position.get)(panel.codes).astype(float)
        traces.append(go.Heatmap(
            x=xs, y=ys, z=z, zmin=-0.5, zmax=k - 0.5, colorscale=colorscale, showscale=False,
            hoverinfo="skip", meta=dict(role="map", run=p), **axes,
        ))  # fmt: skip
        traces.append(go.Scatter(
            x=gx, y=gy, mode="markers", text=[labels[c] for c in panel.codes.ravel()],
            marker=dict(size=8, opacity=0), showlegend=False, meta=dict(role="pick", run=p),
            name=panel.title, selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            hovertemplate=_("start") + " (%{x:.4g}, %{y:.4g})<br>%{text}<extra></extra>", **axes,
        ))  # fmt: skip
        traces += _critical_traces(critical, first=p == 0, **axes)
        layout[f"xaxis{suffix}"] = dict(
            domain=[left, left + width], range=[xs[0] - (xs[1] - xs[0]) / 2,
            xs[-1] + (xs[1] - xs[0]) / 2], title=axis_labels[0], anchor=f"y{suffix}",
            showgrid=False, zeroline=False,
        )  # fmt: skip
        layout[f"yaxis{suffix}"] = dict(
            range=[ys[0] - (ys[1] - ys[0]) / 2, ys[-1] + (ys[1] - ys[0]) / 2],
            title=axis_labels[1] if p == 0 else None, anchor=f"x{suffix}", showgrid=False,
            zeroline=False,
        )  # fmt: skip
        layout["annotations"].append(dict(
            text=f"<b>{panel.title}</b>", x=left + width / 2, y=1.0, xref="paper",
            yref="paper", xanchor="center", yanchor="bottom", showarrow=False,
            font=dict(size=14),
        ))  # fmt: skip
    for category in categories:  # legend swatches (a heatmap has no legend of its own)
        traces.append(go.Scatter(
            x=[None], y=[None], mode="markers", name=category.label,
            marker=dict(symbol="square", size=13, color=category.color),
            meta=dict(role="category", run=category.code),
        ))  # fmt: skip
    layout |= base_layout(height, legend="bottom", top=30, bottom=90, hovermode="closest",
                          hoverdistance=-1, dragmode=False, clickmode="event+select")  # fmt: skip
    return go.Figure(data=traces, layout=layout)


def _critical_traces(
    critical: Sequence[tuple[str, float, float]], *, first: bool, xaxis: str, yaxis: str
) -> list[go.Scatter]:
    """Minima (numbered, as in the legend), saddles and maxima, white on the map."""
    traces = []
    for kind, symbol in CRITICAL_SYMBOLS.items():
        points = [(x, y) for k, x, y in critical if k == kind]
        if not points:
            continue
        x, y = np.array(points).T
        numbered = kind == "minimum"
        traces.append(go.Scatter(
            x=x, y=y, mode="markers+text" if numbered else "markers",
            text=[str(i + 1) for i in range(len(points))] if numbered else None,
            textposition="top right", textfont=dict(color="white", size=13),
            name=_(kind), showlegend=False, hoverinfo="skip", xaxis=xaxis, yaxis=yaxis,
            meta=dict(role="critical", kind=kind),  # not dimmed when a cell is clicked
            unselected=dict(marker=dict(opacity=1), textfont=dict(color="white")),
            marker=dict(symbol=symbol, size=13 if numbered else 10, color="white",
                        line=dict(color="black", width=1)),
        ))  # fmt: skip
    return traces
