"""Figures for the critical-point page: the map of critical points with the Hessian's eigenvectors,
the second-order model beside the true loss, and 1-D slices (true vs model) through a point.

Traces that tests and pages look for carry ``meta=dict(role=...)``: on the map "pick" (the
invisible grid a click lands on), "valley", "critical" (with ``kind``), "eigen" (with ``index``)
and "chosen"; in a slice "true", "model" and "mark".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from i18n import N_, _
from viz.background import grid
from viz.theme import base_layout, tick_text
from viz.trajectory import SurfaceLike, trajectory_figure

# Marker symbol and colour per kind; valleys of minima are drawn as lines in the minimum colour.
KIND_STYLE = {
    "minimum": ("circle", "#7defa1"),
    "saddle": ("x-thin", "#ffbd45"),
    "maximum": ("triangle-up", "#ff4b4b"),
    "degenerate": ("square", "#f7a8ff"),
}
KINK_STYLE = ("star", "#ffffff")
KIND_NAMES = {
    "minimum": N_("minimum"),
    "saddle": N_("saddle"),
    "maximum": N_("maximum"),
    "degenerate": N_("degenerate"),
}
VALLEY_NAMES = {
    "minimum": N_("valley of minima"),
    "saddle": N_("valley of saddles"),
    "maximum": N_("valley of maxima"),
    "degenerate": N_("flat region"),
}
KINK_NAME = N_("kink minimum")
NEGATIVE, POSITIVE = "#ff4b4b", "#00c0f2"  # eigen-directions that lead down / up
ARROW = 0.2  # longest eigen-arrow, as a fraction of the plot's width
MIN_ARROW = 0.1  # a flat direction still gets a short (dashed) arrow, so its direction shows


class CriticalLike(Protocol):
    x: float
    y: float
    value: float
    eigenvalues: np.ndarray
    kind: str
    isolated: bool
    curve: np.ndarray | None
    smooth: bool


class ModelLike(Protocol):
    center: np.ndarray
    value: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    def __call__(self, x, y) -> np.ndarray: ...


class ProfileLike(Protocol):
    t: np.ndarray
    true: np.ndarray
    model: np.ndarray


def kind_name(cp: CriticalLike) -> str:
    """What a critical point is, in words: "saddle", "valley of minima", "kink minimum"."""
    if not cp.smooth:
        return _(KINK_NAME)
    return _(KIND_NAMES[cp.kind] if cp.isolated else VALLEY_NAMES[cp.kind])


def critical_map_figure(
    surface: SurfaceLike,
    points: Sequence[CriticalLike],
    model: ModelLike,
    *,
    zero: np.ndarray | None = None,
    background: tuple[dict, object] | None = None,
    title: str = "",
    height: int = 560,
) -> go.Figure:
    """Every critical point marked by kind over the surface, and the chosen point's eigenvectors.

    The background and the invisible pick grid are the animated view's (``background`` as there),
    without Play or scrubber. Arrows run both ways along each eigenvector, their length
    proportional to |λ|; red where the loss curves down (λ < 0), blue where it curves up. ``zero``
    flags eigenvalues that count as 0 (drawn short and dashed).
    """
    view = trajectory_figure(surface, [], height=height, background=background)
    fig = go.Figure(data=view.data, layout=view.layout)  # no runs: no Play, no scrubber
    fig.data[0].name = _("choose a point")
    valleys = [cp for cp in points if not cp.isolated]
    for index, cp in enumerate(valleys):
        fig.add_trace(_valley(cp, legend=cp.kind not in {v.kind for v in valleys[:index]}))
    groups: dict[str, list[CriticalLike]] = {}
    for cp in points:
        if cp.isolated:
            groups.setdefault(cp.kind if cp.smooth else "kink", []).append(cp)
    for kind, members in groups.items():
        symbol, color = KINK_STYLE if kind == "kink" else KIND_STYLE[kind]
        name = kind_name(members[0])
        fig.add_trace(
            go.Scatter(
                x=[cp.x for cp in members], y=[cp.y for cp in members], mode="markers",
                name=name, meta=dict(role="critical", kind=kind),
                marker=dict(symbol=symbol, size=11, color=color,
                            line=dict(color=color if kind == "saddle" else "black", width=2)),
                customdata=[[cp.value, *cp.eigenvalues] for cp in members],
                hovertemplate=f"{name} (%{{x:.4g}}, %{{y:.4g}})<br>{_('loss')} "
                "%{customdata[0]:.5g}<br>λ = %{customdata[1]:.4g}, %{customdata[2]:.4g}"
                "<extra></extra>",
            )
        )  # fmt: skip
    for trace in _eigen_arrows(surface, model, zero):
        fig.add_trace(trace)
    cx, cy = model.center
    fig.add_trace(
        go.Scatter(
            x=[cx], y=[cy], mode="markers", name=_("chosen point"), meta=dict(role="chosen"),
            marker=dict(symbol="circle-open", size=22, color="white", line=dict(width=3)),
            hovertemplate=_("chosen") + " (%{x:.4g}, %{y:.4g})<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(base_layout(height, legend="bottom", bottom=75, title=title))
    return fig


def _valley(cp: CriticalLike, legend: bool) -> go.Scatter:
    """A valley as a dotted line along its curve; a flat region (unordered samples) as dots.
    Only the first of each kind is in the legend (the toy network's valley has two branches)."""
    name = kind_name(cp)
    color = KIND_STYLE[cp.kind][1]
    traced = cp.kind != "degenerate"
    return go.Scatter(
        x=cp.curve[:, 0], y=cp.curve[:, 1], mode="lines" if traced else "markers",
        name=name, legendgroup=name, showlegend=legend, meta=dict(role="valley", kind=cp.kind),
        line=dict(color=color, width=4, dash="dot"), marker=dict(color=color, size=4),
        hovertemplate=f"{name}, {_('loss')} {tick_text(cp.value, 4)}<extra></extra>",
    )  # fmt: skip


def _eigen_arrows(
    surface: SurfaceLike, model: ModelLike, zero: np.ndarray | None
) -> list[go.Scatter]:
    eigenvalues = np.asarray(model.eigenvalues, dtype=float)
    if not np.isfinite(eigenvalues).all():
        return []
    zero = np.zeros(eigenvalues.size, bool) if zero is None else np.asarray(zero)
    (x0, x1), (y0, y1) = surface.domain
    span = np.array([x1 - x0, y1 - y0])
    biggest = float(np.max(np.abs(eigenvalues[~zero]))) if not zero.all() else 1.0
    traces = []
    for index, (value, flat) in enumerate(zip(eigenvalues, zero, strict=True)):
        vector = model.eigenvectors[:, index]
        # Arrow length in plot fractions, whatever the axes' units: scale by the per-axis span.
        share = MIN_ARROW if flat else max(ARROW * abs(value) / biggest, MIN_ARROW)
        reach = share * vector / np.linalg.norm(vector / span)
        ends = [model.center, model.center + reach, [None, None], model.center,
                model.center - reach]  # fmt: skip
        x, y = zip(*ends, strict=True)
        meaning = _("flat") if flat else _("loss goes down") if value < 0 else _("loss goes up")
        color = NEGATIVE if value < 0 and not flat else POSITIVE
        traces.append(
            go.Scatter(
                x=x, y=y, mode="lines+markers", meta=dict(role="eigen", index=index),
                name=f"λ{'₁₂'[index]} = {'0' if flat else tick_text(value, 4)} ({meaning})",
                line=dict(color=color, width=4, dash="dash" if flat else "solid"),
                marker=dict(symbol="arrow", angleref="previous", size=[0, 16, 0, 0, 16],
                            color=color),
                hoverinfo="skip",
            )
        )  # fmt: skip
    return traces


def taylor_figure(
    surface: SurfaceLike,
    model: ModelLike,
    half_widths: tuple[float, float],
    *,
    resolution: int = 60,
    height: int = 420,
    colorscale: str = "Viridis",
) -> go.Figure:
    """The true loss and the second-order model on a window of ``half_widths`` around the chosen
    point, side by side with the same contour levels: where they part, the quadratic picture stops
    holding."""
    cx, cy = model.center
    rx, ry = (abs(float(h)) or 1.0 for h in half_widths)
    xs, ys = grid(((cx - rx, cx + rx), (cy - ry, cy + ry)), resolution)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        true = np.asarray(surface.f(gx, gy), dtype=float)
        quadratic = np.asarray(model(gx, gy), dtype=float)
    finite = true[np.isfinite(true)]
    low, high = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    if not high > low:
        high = low + 1.0
    shown, colorbar = _LinearScale(), {}
    if finite.size and skewed(finite):  # Beale: 0 to 4×10⁴, most of the window near 0
        shown = SymLog(center=float(surface.f(cx, cy)), width=_spread(finite))
        ticks = log_ticks(low, high, shown)
        colorbar = dict(tickvals=shown(ticks).tolist(), ticktext=[tick_text(t) for t in ticks])
        true, quadratic = shown(true), shown(quadratic)
        low, high = float(shown(low)), float(shown(high))
    levels = dict(start=low, end=high, size=(high - low) / 16)
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.08,
        subplot_titles=[_("true loss L(θ)"), _("second-order model L(θ') + gᵀd + ½dᵀHd")],
    )  # fmt: skip
    modelled = bool(np.isfinite(quadratic).any())
    for col, values in enumerate((true, quadratic), start=1):
        fig.add_trace(
            go.Contour(
                x=xs, y=ys, z=values, colorscale=colorscale, zmin=low, zmax=high,
                contours=levels, showscale=col == 2, line=dict(width=0.5),
                colorbar=dict(title=dict(text=_("loss"), side="right"), thickness=12) | colorbar,
                customdata=shown.inverse(values),
                hovertemplate="(%{x:.4g}, %{y:.4g})<br>" + _("loss")
                + " %{customdata:.5g}<extra></extra>",
            ),
            row=1, col=col,
        )  # fmt: skip
        if col == 1 or modelled:
            fig.add_trace(
                go.Scatter(
                    x=[cx], y=[cy], mode="markers", showlegend=False, hoverinfo="skip",
                    marker=dict(symbol="circle-open", size=14, color="white",
                                line=dict(width=2)),
                ),
                row=1, col=col,
            )  # fmt: skip
        fig.update_xaxes(title_text=_(surface.axis_labels[0]), range=[cx - rx, cx + rx], row=1,
                         col=col)  # fmt: skip
        fig.update_yaxes(range=[cy - ry, cy + ry], row=1, col=col)
    fig.update_yaxes(title_text=_(surface.axis_labels[1]), row=1, col=1)
    if not modelled:
        fig.add_annotation(
            text=_("no derivatives here,<br>so no quadratic model"), showarrow=False,
            xref="x2 domain", yref="y2 domain", x=0.5, y=0.5, font=dict(size=16),
        )  # fmt: skip
    fig.update_layout(base_layout(height, legend=None, top=40))
    return fig


SKEW = 8.0  # the 1–99 % range over the interquartile range beyond which levels go logarithmic


def skewed(values: np.ndarray) -> bool:
    """Whether evenly spaced contour levels would paint most of the window in one colour: the
    1–99 % range is many times the middle half's."""
    low, q1, q3, high = np.percentile(values, [1, 25, 75, 99])
    return bool(high - low > SKEW * max(q3 - q1, np.finfo(float).tiny))


def _spread(values: np.ndarray) -> float:
    """The symmetric log's linear width: the middle half's range over 10 (never 0)."""
    q1, q3 = np.percentile(values, [25, 75])
    return float(max((q3 - q1) / 10, np.finfo(float).eps * max(1.0, abs(q3))))


def log_ticks(low: float, high: float, scale: SymLog, most: int = 8) -> np.ndarray:
    """Round values (1, 2, 5 × 10ᵏ, and 0) in [low, high], at least 1/``most`` of the scaled
    range apart on the scale: evenly spread on the colour bar, not piled at one end."""
    candidates = sorted({sign * m * 10.0**k for k in range(-15, 16) for m in (1, 2, 5)
                         for sign in (1, -1)} | {0.0})  # fmt: skip
    inside = [v for v in candidates if low <= v <= high]
    gap = (scale(high) - scale(low)) / most
    kept: list[float] = []
    for value in inside:
        if not kept or scale(value) - scale(kept[-1]) >= gap:
            kept.append(value)
    return np.array(kept)


class _LinearScale:
    def __call__(self, values):
        return np.asarray(values, dtype=float)

    def inverse(self, values):
        return np.asarray(values, dtype=float)


class SymLog(NamedTuple):
    """v ↦ sign(v − c)·log₁₀(1 + |v − c|/w): logarithmic far from the point's own loss c, linear
    within w of it, defined for every real v (a quadratic model may go below every true value)."""

    center: float
    width: float

    def __call__(self, values):
        offset = np.asarray(values, dtype=float) - self.center
        return np.sign(offset) * np.log10(1 + np.abs(offset) / self.width)

    def inverse(self, values):
        scaled = np.asarray(values, dtype=float)
        return self.center + np.sign(scaled) * self.width * (10 ** np.abs(scaled) - 1)


def profile_figure(
    profile: ProfileLike,
    *,
    title: str,
    xlabel: str,
    mark: float | None = None,
    height: int = 340,
) -> go.Figure:
    """The true loss and the quadratic model along a line through the point.

    ``mark`` (a value of t) adds the model's and the true loss there. The y range follows the true
    loss, so a model that runs off to ±∞ does not squash it.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=profile.t, y=profile.true, mode="lines", name=_("true loss"),
                   meta=dict(role="true"), line=dict(color="#ffffff", width=3))
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=profile.t, y=profile.model, mode="lines", name=_("second-order model"),
                   meta=dict(role="model"), line=dict(color="#ffbd45", width=2, dash="dash"))
    )  # fmt: skip
    if mark is not None:
        at = [float(np.interp(mark, profile.t, values)) for values in (profile.true, profile.model)]
        fig.add_trace(
            go.Scatter(
                x=[mark, mark], y=at, mode="markers", name=_("after the step"),
                meta=dict(role="mark"),
                marker=dict(size=11, color=["#ffffff", "#ffbd45"],
                            line=dict(color="black", width=1)),
                hovertemplate="t = %{x:.4g}<br>" + _("loss") + " %{y:.5g}<extra></extra>",
            )
        )  # fmt: skip
    finite = profile.true[np.isfinite(profile.true)]
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        pad = 0.15 * (high - low) or 0.5 * (abs(high) or 1.0)
        fig.update_yaxes(range=[low - pad, high + pad])
    fig.add_vline(x=0, line=dict(color="#888888", width=1, dash="dot"))
    fig.update_layout(
        base_layout(height, legend="bottom", bottom=80, title=title, hovermode="x unified"),
        xaxis_title=xlabel,
        yaxis_title=_("loss"),
    )
    return fig
