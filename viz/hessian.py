"""Figures for the critical-point page: the map of critical points with the Hessian's eigenvectors,
the second-order model beside the true loss, and 1-D slices (true vs model) through a point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.background import grid
from viz.trajectory import SurfaceLike, trajectory_figure

# Marker symbol and colour per kind; valleys of minima are drawn as lines in the minimum colour.
KIND_STYLE = {
    "minimum": ("circle", "#7defa1"),
    "saddle": ("x-thin", "#ffbd45"),
    "maximum": ("triangle-up", "#ff4b4b"),
    "degenerate": ("square", "#f7a8ff"),
}
KINK_STYLE = ("star", "#ffffff")
PLURAL = {"minimum": "minima", "maximum": "maxima", "saddle": "saddles", "degenerate": "points"}
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


def critical_map_figure(
    surface: SurfaceLike,
    points: Sequence[CriticalLike],
    model: ModelLike,
    *,
    zero: np.ndarray | None = None,
    height: int = 560,
    colorscale: str = "Viridis",
) -> go.Figure:
    """Every critical point marked by kind over the surface, and the chosen point's eigenvectors.

    Trace 0 is the invisible pick grid (a click on it chooses a point). Arrows run both ways along
    each eigenvector, their length proportional to |λ|; red where the loss curves down (λ < 0),
    blue where it curves up. ``zero`` flags eigenvalues to treat as 0 (drawn short and dashed).
    """
    # The animated view without runs is the static map wanted here: background image, pick grid.
    # Rebuilt from its data and layout only: without frames, Play or scrubber.
    view = trajectory_figure(surface, [], height=height, colorscale=colorscale)
    fig = go.Figure(data=view.data, layout=view.layout)
    fig.layout.updatemenus, fig.layout.sliders = (), ()
    fig.data[0].name = "choose a point"
    for index, cp in enumerate(p for p in points if not p.isolated):
        fig.add_trace(
            go.Scatter(
                x=cp.curve[:, 0], y=cp.curve[:, 1], mode="lines", legendgroup="valley",
                name=f"valley of {PLURAL[cp.kind]}", showlegend=index == 0,
                line=dict(color=KIND_STYLE.get(cp.kind, KINK_STYLE)[1], width=4, dash="dot"),
                hovertemplate=f"valley of {PLURAL[cp.kind]}, loss {cp.value:.4g}<extra></extra>",
            )
        )  # fmt: skip
    groups: dict[str, list[CriticalLike]] = {}
    for cp in points:
        if cp.isolated:
            groups.setdefault(cp.kind if cp.smooth else "kink", []).append(cp)
    for kind, members in groups.items():
        symbol, color = KINK_STYLE if kind == "kink" else KIND_STYLE[kind]
        fig.add_trace(
            go.Scatter(
                x=[cp.x for cp in members], y=[cp.y for cp in members], mode="markers",
                name="kink (no gradient)" if kind == "kink" else kind,
                marker=dict(symbol=symbol, size=11, color=color,
                            line=dict(color="black", width=1.5)),
                customdata=[[cp.value, *cp.eigenvalues] for cp in members],
                hovertemplate=f"{kind} (%{{x:.4g}}, %{{y:.4g}})<br>loss %{{customdata[0]:.5g}}"
                "<br>λ = %{customdata[1]:.4g}, %{customdata[2]:.4g}<extra></extra>",
            )
        )  # fmt: skip
    for trace in _eigen_arrows(surface, model, zero):
        fig.add_trace(trace)
    cx, cy = model.center
    fig.add_trace(
        go.Scatter(
            x=[cx], y=[cy], mode="markers", name="chosen point",
            marker=dict(symbol="circle-open", size=22, color="white", line=dict(width=3)),
            hovertemplate="chosen (%{x:.4g}, %{y:.4g})<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        title=dict(text="Critical points (click anywhere to choose a point)", x=0.01),
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(yanchor="top", y=-0.12),
    )
    return fig


def _eigen_arrows(
    surface: SurfaceLike, model: ModelLike, zero: np.ndarray | None
) -> list[go.Scatter]:
    eigenvalues = np.asarray(model.eigenvalues, dtype=float)
    if not np.isfinite(eigenvalues).all():
        return []
    zero = np.zeros(2, bool) if zero is None else np.asarray(zero)
    (x0, x1), (y0, y1) = surface.domain
    span = np.array([x1 - x0, y1 - y0])
    biggest = float(np.max(np.abs(eigenvalues))) if not zero.all() else 1.0
    traces = []
    for index, (value, flat) in enumerate(zip(eigenvalues, zero, strict=True)):
        vector = model.eigenvectors[:, index]
        # Arrow length in plot fractions, whatever the axes' units: scale by the per-axis span.
        share = MIN_ARROW if flat else max(ARROW * abs(value) / biggest, MIN_ARROW)
        reach = share * vector / np.linalg.norm(vector / span)
        ends = [
            model.center,
            model.center + reach,
            [None, None],
            model.center,
            model.center - reach,
        ]
        x, y = zip(*ends, strict=True)
        shown = 0.0 if flat else value
        label = "flat" if flat else ("loss goes down" if value < 0 else "loss goes up")
        traces.append(
            go.Scatter(
                x=x, y=y, mode="lines+markers", name=f"λ{'₁₂'[index]} = {shown:.4g} ({label})",
                line=dict(color=NEGATIVE if shown < 0 else POSITIVE, width=4,
                          dash="dash" if flat else "solid"),
                marker=dict(symbol="arrow", angleref="previous", size=[0, 16, 0, 0, 16],
                            color=NEGATIVE if shown < 0 else POSITIVE),
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
    levels = dict(start=low, end=high, size=(high - low) / 16)
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.08,
        subplot_titles=["true loss L(θ)", "second-order model L(θ') + gᵀd + ½dᵀHd"],
    )  # fmt: skip
    for col, values in enumerate((true, quadratic), start=1):
        fig.add_trace(
            go.Contour(
                x=xs, y=ys, z=values, colorscale=colorscale, zmin=low, zmax=high,
                contours=levels, showscale=col == 2, line=dict(width=0.5),
                colorbar=dict(title=dict(text="loss", side="right"), thickness=12),
                hovertemplate="(%{x:.4g}, %{y:.4g})<br>loss %{z:.5g}<extra></extra>",
            ),
            row=1, col=col,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=[cx], y=[cy], mode="markers", showlegend=False, hoverinfo="skip",
                marker=dict(symbol="circle-open", size=14, color="white", line=dict(width=2)),
            ),
            row=1, col=col,
        )  # fmt: skip
        fig.update_xaxes(title_text=surface.axis_labels[0], row=1, col=col)
    fig.update_yaxes(title_text=surface.axis_labels[1], row=1, col=1)
    if not np.isfinite(quadratic).any():
        fig.add_annotation(
            text="no derivatives here,<br>so no quadratic model", showarrow=False,
            xref="x2 domain", yref="y2 domain", x=0.5, y=0.5, font=dict(size=16),
        )  # fmt: skip
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def profile_figure(
    profile: ProfileLike,
    *,
    title: str,
    xlabel: str = "t: distance from the point along the direction",
    mark: float | None = None,
    height: int = 320,
) -> go.Figure:
    """The true loss and the quadratic model along a line through the point.

    ``mark`` (a value of t) adds the model's and the true loss there, with the change from t = 0.
    The y range follows the true loss, so a model that runs off to ±∞ does not squash it.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=profile.t, y=profile.true, mode="lines", name="true loss",
                   line=dict(color="#ffffff", width=3))
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=profile.t, y=profile.model, mode="lines", name="second-order model",
                   line=dict(color="#ffbd45", width=2, dash="dash"))
    )  # fmt: skip
    if mark is not None:
        at = [float(np.interp(mark, profile.t, values)) for values in (profile.true, profile.model)]
        fig.add_trace(
            go.Scatter(
                x=[mark, mark], y=at, mode="markers", name="after the step",
                marker=dict(size=11, color=["#ffffff", "#ffbd45"],
                            line=dict(color="black", width=1)),
                hovertemplate="t = %{x:.4g}<br>loss %{y:.5g}<extra></extra>",
            )
        )  # fmt: skip
    finite = profile.true[np.isfinite(profile.true)]
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        pad = 0.15 * (high - low) or 0.5 * (abs(high) or 1.0)
        fig.update_yaxes(range=[low - pad, high + pad])
    fig.add_vline(x=0, line=dict(color="#888888", width=1, dash="dot"))
    fig.update_layout(
        title=dict(text=title, x=0.01),
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        xaxis_title=xlabel,
        yaxis_title="loss",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0.5),
        hovermode="x unified",
    )
    return fig


def critical_rows(points: Sequence[CriticalLike]) -> list[dict]:
    """One table row per critical point (a valley: its middle point) with value and eigenvalues."""
    rows = []
    for cp in points:
        kind = cp.kind if cp.isolated else f"valley of {PLURAL[cp.kind]} (middle point)"
        rows.append({
            "kind": kind if cp.smooth else "minimum at a kink (no Hessian)",
            "x": cp.x, "y": cp.y, "loss": cp.value,
            "λ₁": float(cp.eigenvalues[0]), "λ₂": float(cp.eigenvalues[1]),
        })  # fmt: skip
    return rows
