"""One look for every figure: base layout, run colours and line styles, readable log axes, ticks.

Figures build their layout from ``base_layout`` instead of repeating margins, legends and fonts,
so a change of style is one edit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Distinct on the dark theme and from the white stars that mark minima.
RUN_COLORS = (
    "#ff4b4b",
    "#00c0f2",
    "#ffbd45",
    "#7defa1",
    "#f7a8ff",
    "#8c9eff",
    "#ff8700",
    "#d4e157",
    "#bcaaa4",
)
# Runs that coincide stay visible: each run's curve has its own dash pattern.
RUN_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
LEGEND_POSITIONS = {
    "top": dict(orientation="h", yanchor="bottom", y=1.02, x=0, xanchor="left"),
    # Measured from the figure's bottom edge, under the x axis's title, whatever the height.
    "bottom": dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0, xanchor="left"),
}


def run_color(index: int) -> str:
    return RUN_COLORS[index % len(RUN_COLORS)]


def run_dash(index: int) -> str:
    return RUN_DASHES[index % len(RUN_DASHES)]


def base_layout(
    height: int,
    *,
    legend: str | None = "bottom",
    top: int = 40,
    bottom: int | None = None,
    title: str | None = None,
    **extra: Any,
) -> dict:
    """The layout every figure starts from: height, margins, legend placement, optional title."""
    layout: dict[str, Any] = dict(
        height=height,
        margin=dict(
            l=10, r=10, t=top, b=(45 if legend == "bottom" else 10) if bottom is None else bottom
        ),
        showlegend=legend is not None,
        font=dict(size=13),
    )
    if legend is not None:
        layout["legend"] = dict(LEGEND_POSITIONS[legend])
    if title is not None:
        layout["title"] = dict(text=title, x=0.01, xanchor="left", font=dict(size=15))
    return layout | extra


def log_axis(values: np.ndarray | list | None = None, most: int = 5) -> dict:
    """A log axis labelled at whole decades only (10⁻⁴, 10⁻³, …) when the data span a decade or
    more, so no minor labels ("2 5 10 2 5") crowd it, and every k decades so that at most
    ``most`` labels show (a distance falling to 10⁻¹⁶ would pile 20 onto a short panel); over a
    shorter span, at most three significant digits (never 1.06055×10⁶)."""
    axis: dict[str, Any] = dict(type="log", exponentformat="power")
    if values is not None:
        data = np.asarray(values, dtype=float)
        positive = data[np.isfinite(data) & (data > 0)]
        span = math.log10(positive.max() / positive.min()) if positive.size else 0.0
        if span >= 1:
            axis["dtick"] = max(1, math.ceil(span / most))
        else:
            axis["tickformat"] = ".3~g"
    return axis


def nice_ticks(low: float, high: float, count: int = 6) -> np.ndarray:
    """Round, distinct tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return np.array([low])
    raw = (high - low) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    ticks = np.arange(first, high + step * 1e-9, step)
    return np.round(ticks / step) * step


def tick_text(value: float, digits: int = 3) -> str:
    """A number as a label: ``digits`` significant digits, ×10ⁿ instead of e+n, − for minus."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10{_superscript(int(exponent))}"
    return text.replace("-", "−")


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
