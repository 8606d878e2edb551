"""Figures of trained networks: where a survey's runs stopped (training loss against minimum
ratio, coloured by ‖∇L‖), one point's Hessian spectrum, and loss slices coloured on a log scale.
Data in, plotly figures out; the page words the titles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from i18n import _
from viz.background import ColorScale
from viz.theme import base_layout, log_axis, run_color, tick_text
from viz.trajectory import SurfaceLike, background_image

NEGATIVE, POSITIVE, ZERO = run_color(0), run_color(1), "#9e9e9e"
BINS_PER_DECADE = 4
ZERO_DECADES = 3  # decades drawn below the zero tolerance
MAX_LABELS = 8  # decade labels on an axis; more are thinned to every second or third


def decade_ticks(low: float, high: float) -> dict:
    """Tick values and 10ⁿ labels at whole decades from ``low`` to ``high`` (exponents), every
    second or third when there would be more than MAX_LABELS."""
    every = int(np.ceil((high - low + 1) / MAX_LABELS))
    exponents = np.arange(int(np.ceil(low)), int(np.floor(high)) + 1, every)
    return dict(tickvals=exponents, ticktext=[decade(int(e)) for e in exponents])


def decade(exponent: int) -> str:
    """10ⁿ as an axis label (HTML superscript, real minus sign)."""
    return f"10<sup>{str(exponent).replace('-', '−')}</sup>"


def decades_of(values: np.ndarray) -> list[float]:
    """A log axis's range (exponents) out to whole decades around positive ``values``, at least
    one decade wide."""
    positive = values[values > 0]
    if not positive.size:
        return [-1.0, 0.0]
    low, high = np.floor(np.log10(positive.min())), np.ceil(np.log10(positive.max()))
    return [float(low), float(max(high, low + 1))]


def survey_figure(
    ratios: np.ndarray,
    losses: np.ndarray,
    grad_norms: np.ndarray,
    grad_tol: float,
    picked: int | None,
    band: tuple[float, float],
    *,
    height: int = 420,
) -> go.Figure:
    """Training loss (log y) against minimum ratio (x ∈ [0, 1]) per run, coloured by log₁₀‖∇L‖
    (one colour axis, labelled at decades): runs at ‖∇L‖ ≤ grad_tol filled, the others hollow (not
    critical points). The lecture's ``band`` is shaded, ratio 1 (a local minimum) dashed, run
    ``picked`` ringed. Runs with NaN (diverged) are left out. ``customdata[0]`` of a point is its
    run index, for clicks; traces carry ``meta.role`` "critical", "stalled" or "picked"."""
    ratios, losses, norms = (np.asarray(a, dtype=float) for a in (ratios, losses, grad_norms))
    shown = np.isfinite(ratios) & np.isfinite(losses) & np.isfinite(norms)
    logs = np.log10(np.maximum(norms, 1e-300))
    low, high = (float(logs[shown].min()), float(logs[shown].max())) if shown.any() else (0, 1)
    low, high = np.floor(min(low, np.log10(grad_tol))), np.ceil(max(high, low + 1))
    tol_text = tick_text(grad_tol)
    traces = []
    for role, mask, symbol, name in (
        ("critical", shown & (norms <= grad_tol), "circle",
         _("‖∇L‖ ≤ {tol}: a critical point").format(tol=tol_text)),
        ("stalled", shown & (norms > grad_tol), "circle-open",
         _("‖∇L‖ > {tol}: stalled short of one").format(tol=tol_text)),
    ):  # fmt: skip
        index = np.flatnonzero(mask)
        traces.append(go.Scatter(
            x=ratios[index], y=losses[index], mode="markers", name=name, meta=dict(role=role),
            customdata=[[int(i), i + 1, tick_text(ratios[i], 3), tick_text(losses[i]),
                         tick_text(norms[i])] for i in index],
            hovertemplate=_("run {run}").format(run="%{customdata[1]}")
            + "<br>" + _("minimum ratio") + " %{customdata[2]}<br>" + _("training loss")
            + " %{customdata[3]}<br>‖∇L‖ %{customdata[4]}<extra></extra>",
            marker=dict(symbol=symbol, size=11, color=logs[index], coloraxis="coloraxis",
                        line=dict(width=2 if symbol == "circle-open" else 1,
                                  color=None if symbol == "circle-open" else "black")),
        ))  # fmt: skip
    if picked is not None and 0 <= picked < len(ratios) and shown[picked]:
        traces.append(go.Scatter(
            x=[ratios[picked]], y=[losses[picked]], mode="markers", meta=dict(role="picked"),
            name=_("run {run} (chosen)").format(run=picked + 1), hoverinfo="skip",
            marker=dict(symbol="circle-open", size=22, color="white", line=dict(width=2)),
        ))  # fmt: skip
    span = decades_of(losses[shown])  # whole decades: the axis is labelled at two at least
    layout = base_layout(
        height, legend="bottom", bottom=95, top=55,
        xaxis=dict(title=_("minimum ratio (positive eigenvalues / all)"), range=[-0.02, 1.04],
                   zeroline=False),
        yaxis=log_axis(10.0 ** np.array(span)) | dict(title=_("training loss"), range=span),
        coloraxis=dict(colorscale="Viridis", cmin=low, cmax=high, colorbar=dict(
            title=dict(text="‖∇L‖", side="right"), thickness=12, len=0.8)
            | decade_ticks(low, high)),
        shapes=[
            dict(type="rect", xref="x", yref="paper", x0=band[0], x1=band[1], y0=0, y1=1,
                 fillcolor="rgba(255, 189, 69, 0.15)", line=dict(width=0), layer="below"),
            dict(type="line", xref="x", yref="paper", x0=1, x1=1, y0=0, y1=1,
                 line=dict(color="#bbbbbb", dash="dash", width=1)),
        ],
        annotations=[
            dict(x=sum(band) / 2, y=1, xref="x", yref="paper", yanchor="bottom", showarrow=False,
                 text=_("lecture: {low}–{high}").format(low=band[0], high=band[1]),
                 font=dict(color="#ffbd45")),
            dict(x=1, y=1, xref="x", yref="paper", yanchor="bottom", xanchor="right",
                 showarrow=False, text=_("local minimum"), font=dict(color="#bbbbbb")),
        ],
        hovermode="closest",
    )  # fmt: skip
    return go.Figure(data=traces, layout=layout)


def spectrum_figure(
    eigenvalues: np.ndarray, zero_tol: float, *, title: str, height: int = 360
) -> go.Figure:
    """A histogram of |λ| on a log axis (BINS_PER_DECADE bins a decade), stacked by sign:
    negative eigenvalues red, positive blue, those within ±zero_tol (counted as zero) grey, left of
    the dashed tolerance line. Traces carry ``meta.role`` "negative", "zero" or "positive"."""
    lam = np.asarray(eigenvalues, dtype=float)
    size = np.abs(lam)
    nonzero = size[size > 0]
    floor = float(nonzero.min()) if nonzero.size else max(zero_tol, 1e-300)
    top = float(size.max()) if size.size and size.max() > 0 else 1.0
    first = np.floor(np.log10(min(floor, zero_tol) if zero_tol > 0 else floor))
    if zero_tol > 0:  # smaller ones (exact zeros' rounding noise) share the lowest bin
        first = max(first, np.floor(np.log10(zero_tol)) - ZERO_DECADES)
    last = max(np.ceil(np.log10(top)), first + 1)
    edges = np.arange(first, last + 1e-9, 1 / BINS_PER_DECADE)
    logs = np.clip(np.log10(np.maximum(size, 10.0**first)), first, last - 1e-9)
    centres = (edges[:-1] + edges[1:]) / 2
    traces = []
    for role, mask, colour, name in (
        ("negative", lam < -zero_tol, NEGATIVE, _("λ < 0: the loss curves down")),
        ("zero", size <= zero_tol, ZERO, _("|λ| ≤ tolerance: counted as 0")),
        ("positive", lam > zero_tol, POSITIVE, _("λ > 0: the loss curves up")),
    ):
        counts, _edges = np.histogram(logs[mask], bins=edges)
        traces.append(go.Bar(
            x=centres, y=counts, name=f"{name} ({int(mask.sum())})", marker_color=colour,
            meta=dict(role=role, count=int(mask.sum())), width=1 / BINS_PER_DECADE * 0.92,
            hovertemplate="|λ| ≈ %{customdata}: %{y}<extra></extra>",
            customdata=[tick_text(10.0**c, 2) for c in centres],
        ))  # fmt: skip
    tol_x = np.log10(zero_tol) if zero_tol > 0 else first
    layout = base_layout(
        height, legend="bottom", bottom=110, title=title, barmode="stack",
        xaxis=dict(title="|λ|", range=[first, last]) | decade_ticks(first, last),
        yaxis=dict(title=_("eigenvalues"), rangemode="tozero"),
        shapes=[dict(type="line", xref="x", yref="paper", x0=tol_x, x1=tol_x, y0=0, y1=1,
                     line=dict(color=ZERO, dash="dash", width=1.5))],
        annotations=[dict(x=tol_x, y=1, xref="x", yref="paper", yanchor="bottom",
                          xanchor="left" if tol_x < (first + last) / 2 else "right",
                          showarrow=False, text=_("zero tolerance"), font=dict(color=ZERO))],
    )  # fmt: skip
    return go.Figure(data=traces, layout=layout)


@dataclass(frozen=True)
class LogScale(ColorScale):
    """Colours evenly spaced in log₁₀ of the value between ``low`` and ``high`` (both > 0), for
    losses that span decades (a ColorScale's log1p is linear below 1, where network losses are)."""

    def __call__(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            span = np.log10(self.high / self.low) or 1.0
            scaled = np.log10(np.asarray(values, dtype=float) / self.low) / span
        return np.clip(np.nan_to_num(scaled, nan=1.0, posinf=1.0, neginf=0.0), 0.0, 1.0)

    def value_at(self, fractions: np.ndarray) -> np.ndarray:
        return self.low * (self.high / self.low) ** np.asarray(fractions, dtype=float)


@dataclass(frozen=True)
class _Log10:
    """A surface seen through log₁₀: drawn with linear colours, it is the surface on a log scale."""

    surface: SurfaceLike

    @property
    def domain(self):
        return self.surface.domain

    @property
    def axis_labels(self) -> tuple[str, str]:
        return self.surface.axis_labels

    def f(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(self.surface.f(x, y))


def log_background(surface: SurfaceLike, resolution: int) -> tuple[dict, LogScale]:
    """``background_image`` of a positive surface coloured by log₁₀ of its value, with the scale
    that maps values to the same colours (for the colour bar and hover)."""
    image, linear = background_image(_Log10(surface), resolution=resolution, log_color=False)
    return image, LogScale(10.0**linear.low, 10.0**linear.high, True)


@dataclass(frozen=True)
class Still:
    """A PathLike of one point (the chosen point on a slice), for the trajectory figure."""

    points: np.ndarray
    diverged_at: int | None = None
