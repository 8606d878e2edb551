"""Figures of trained networks: where a survey's runs stopped (training loss against minimum
ratio, coloured by ‖∇L‖), each point's eigenvalue signs, how the ratios move with the zero cutoff
and the Newton budget, one point's Hessian spectrum, a linear autoencoder's critical points beside
their closed-form levels, and loss slices coloured on a log scale. Data in, plotly figures out;
the page words the titles."""

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
    signs: np.ndarray | None = None,
    *,
    height: int = 420,
) -> go.Figure:
    """Training loss (log y) against minimum ratio (x ∈ [0, 1]) per run, coloured by log₁₀‖∇L‖
    (one colour axis, labelled at decades): runs at ‖∇L‖ ≤ grad_tol filled, the others hollow (not
    critical points). The lecture's ``band`` is shaded, ratio 1 (a local minimum) dashed, run
    ``picked`` ringed. Runs with NaN (diverged) are left out. ``customdata[0]`` of a point is its
    run index, for clicks; traces carry ``meta.role`` "critical", "stalled" or "picked".
    ``signs`` (runs, 3): each point's numbers of negative, zero and positive eigenvalues, shown
    on hover."""
    ratios, losses, norms = (np.asarray(a, dtype=float) for a in (ratios, losses, grad_norms))
    counts = np.zeros((len(ratios), 3), dtype=int) if signs is None else np.asarray(signs)
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
                         tick_text(norms[i]), *map(int, counts[i])] for i in index],
            hovertemplate=_("run {run}").format(run="%{customdata[1]}")
            + "<br>" + _("minimum ratio") + " %{customdata[2]}<br>" + _("training loss")
            + " %{customdata[3]}<br>‖∇L‖ %{customdata[4]}<br>"
            + _("λ: {neg} negative, {zero} zero, {pos} positive").format(
                neg="%{customdata[5]}", zero="%{customdata[6]}", pos="%{customdata[7]}")
            + "<extra></extra>",
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


def signs_figure(
    signs: np.ndarray, critical: np.ndarray, picked: int | None, *, height: int = 300
) -> go.Figure:
    """Each finished run's numbers of negative, zero and positive eigenvalues (``signs`` (runs,
    3); rows of NaN runs are all −1 and left out), stacked bars, true critical points (``critical``)
    first and stalls after, split by a dotted line; run ``picked`` marked. Traces carry
    ``meta.role`` "negative", "zero", "positive" and ``meta.runs`` (run index per bar)."""
    signs, critical = np.asarray(signs), np.asarray(critical, dtype=bool)
    shown = np.flatnonzero(signs[:, 0] >= 0)
    order = np.concatenate([shown[critical[shown]], shown[~critical[shown]]])
    labels = [f"{i + 1}" + ("*" if i == picked else "") for i in order]
    traces = []
    for column, (role, colour, name) in enumerate((
        ("negative", NEGATIVE, _("λ < 0")), ("zero", ZERO, _("λ ≈ 0")),
        ("positive", POSITIVE, _("λ > 0")),
    )):  # fmt: skip
        traces.append(go.Bar(
            x=labels, y=signs[order, column], name=name, marker_color=colour,
            meta=dict(role=role, runs=[int(i) for i in order]),
            hovertemplate=_("run {run}").format(run="%{x}") + ": %{y}<extra>" + name
            + "</extra>",
        ))  # fmt: skip
    n_critical = int(critical[shown].sum())
    shapes, annotations = [], []
    for x, text, count in (
        (-0.5, _("critical points ({n})"), n_critical),
        (n_critical - 0.5, _("stalls ({n})"), len(order) - n_critical),
    ):
        if count:
            annotations.append(
                dict(
                    x=x,
                    y=1,
                    xref="x",
                    yref="paper",
                    xanchor="left",
                    yanchor="bottom",
                    showarrow=False,
                    text=text.format(n=count),
                )
            )
    if 0 < n_critical < len(order):
        shapes.append(dict(type="line", xref="x", yref="paper", x0=n_critical - 0.5,
                           x1=n_critical - 0.5, y0=0, y1=1,
                           line=dict(color="#bbbbbb", dash="dot", width=1.5)))  # fmt: skip
    layout = base_layout(
        height, legend="bottom", bottom=80, top=40, barmode="stack", bargap=0.15,
        xaxis=dict(title=_("run (* chosen)"), type="category"),
        yaxis=dict(title=_("eigenvalues"), rangemode="tozero"),
        shapes=shapes, annotations=annotations,
    )  # fmt: skip
    return go.Figure(data=traces, layout=layout)


def sensitivity_figure(
    cutoffs: np.ndarray,
    by_cutoff: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    budgets: np.ndarray,
    by_budget: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    chosen_cutoff: float,
    band: tuple[float, float],
    *,
    height: int = 340,
) -> go.Figure:
    """Two panels side by side: the median minimum ratio (line) and its range over runs (band)
    against the relative zero cutoff (left, log x; cutoff 0 drawn at the axis's left end) and
    against the Newton budget (right, steps), for true critical points and stalls
    (``by_*[group] = (median, low, high)``, groups "critical" and "stalled"). Traces carry
    ``meta.role`` "<group>-cutoff" / "<group>-budget" (the medians) and "…-range"."""
    cutoffs = np.asarray(cutoffs, dtype=float)
    positive = cutoffs[cutoffs > 0]
    floor = float(positive.min()) / 10 if positive.size else 1e-10
    xc = np.log10(np.where(cutoffs > 0, cutoffs, floor))
    xb = np.asarray(budgets, dtype=float)
    traces = []
    styles = {"critical": (POSITIVE, _("true critical points")),
              "stalled": (NEGATIVE, _("stalls"))}  # fmt: skip
    for panel, x, data, axis in (("cutoff", xc, by_cutoff, ""), ("budget", xb, by_budget, "2")):
        for group, (colour, name) in styles.items():
            median, low, high = (np.asarray(a, dtype=float) for a in data[group])
            if not np.isfinite(median).any():
                continue
            keep = np.isfinite(median)
            traces.append(go.Scatter(
                x=np.r_[x[keep], x[keep][::-1]], y=np.r_[high[keep], low[keep][::-1]],
                mode="lines", fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0),
                hoverinfo="skip", showlegend=False, xaxis=f"x{axis}", yaxis=f"y{axis}",
                meta=dict(role=f"{group}-range"),
            ))  # fmt: skip
            traces.append(go.Scatter(
                x=x[keep], y=median[keep], mode="lines+markers", name=name,
                line=dict(color=colour), legendgroup=group, showlegend=panel == "cutoff",
                xaxis=f"x{axis}", yaxis=f"y{axis}", meta=dict(role=f"{group}-{panel}"),
                hovertemplate="%{y:.2f}<extra>" + name + "</extra>",
            ))  # fmt: skip
    shown_ticks = positive[::2] if len(positive) > 4 else positive  # every other decade
    ticks = [floor, *shown_ticks]
    band_rect = dict(type="rect", yref="y", y0=band[0], y1=band[1], line=dict(width=0),
                     fillcolor="rgba(255, 189, 69, 0.15)", layer="below")  # fmt: skip
    layout = base_layout(
        height, legend="bottom", bottom=95, top=30,
        xaxis=dict(domain=[0, 0.46], title=_("zero cutoff (× max|λ| at each point)"),
                   tickvals=np.log10(ticks).tolist(),
                   ticktext=["0"] + [decade(int(np.round(np.log10(c)))) for c in shown_ticks]),
        yaxis=dict(title=_("minimum ratio"), range=[-0.02, 1.04]),
        xaxis2=dict(domain=[0.54, 1], title=_("Newton steps"), anchor="y2"),
        yaxis2=dict(range=[-0.02, 1.04], anchor="x2"),
        shapes=[band_rect | dict(xref="x domain", x0=0, x1=1, yref="y"),
                band_rect | dict(xref="x2 domain", x0=0, x1=1, yref="y2"),
                dict(type="line", xref="x", yref="y domain", x0=np.log10(chosen_cutoff),
                     x1=np.log10(chosen_cutoff), y0=0, y1=1,
                     line=dict(color=ZERO, dash="dash", width=1))],
        hovermode="closest",
    )  # fmt: skip
    return go.Figure(data=traces, layout=layout)


def _rgba(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def levels_figure(
    levels: np.ndarray,
    losses: np.ndarray,
    index: np.ndarray,
    converged: np.ndarray,
    *,
    height: int = 380,
) -> go.Figure:
    """A linear autoencoder's critical points: loss (y) against index (x, the number of negative
    Hessian eigenvalues) at every point found, beside the closed-form ``levels`` (dotted
    horizontal lines, each labelled on the right). Points with ``converged`` False are left out.
    Traces carry ``meta.role`` "found" (customdata: the point's index in ``losses``)."""
    losses, index = np.asarray(losses, dtype=float), np.asarray(index)
    keep = np.flatnonzero(np.asarray(converged, dtype=bool))
    lowest = float(np.min(levels))
    colours = [POSITIVE if abs(losses[i] - lowest) <= 1e-9 * lowest else NEGATIVE for i in keep]
    jitter = (np.arange(len(keep)) % 5 - 2) * 0.06  # points on one level and index side by side
    traces = [go.Scatter(
        x=index[keep] + jitter, y=losses[keep], mode="markers", meta=dict(role="found"),
        name=_("critical points found"), customdata=[[int(i), int(index[i])] for i in keep],
        marker=dict(size=10, color=colours, line=dict(width=1, color="black")),
        hovertemplate=_("index {index}").format(index="%{customdata[1]}")
        + "<br>L = %{y:.6g}<extra></extra>",
    )]  # fmt: skip
    top = int(max(index[keep].max() if keep.size else 1, 1))
    shapes = [dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=v, y1=v, layer="below",
                   line=dict(color="#bbbbbb", dash="dot", width=1)) for v in levels]  # fmt: skip
    layout = base_layout(
        height, legend=None, top=30, bottom=60,
        xaxis=dict(title=_("index (negative Hessian eigenvalues)"), range=[-0.6, top + 0.6],
                   dtick=1),
        yaxis=dict(title=_("loss (dotted: the closed-form levels)")),
        shapes=shapes, hovermode="closest",
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
