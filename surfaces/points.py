"""Critical points as a person reads and chooses them: tidy coordinates, which listed point (or
valley) a chosen point is, which points a short list holds, and what counts as rounding noise.

Pure (no Streamlit), so the critical-points page and its tests share one reading.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from surfaces.base import CriticalPoint, Point, Surface
from surfaces.hessian import scales

NOISE = 1e-12  # relative size below which a computed number is rounding noise, shown as 0
SOLVER_NOISE = 1e-7  # share of the domain below which a found coordinate means 0


class Floors(NamedTuple):
    """Magnitudes below which a loss, a gradient component or a curvature is rounding noise
    (7.9e−31 where the loss is 0): ``NOISE`` times the surface's typical size of each."""

    loss: float
    gradient: float
    curvature: float


def spans(surface: Surface) -> tuple[float, float]:
    """The width of the domain along each axis."""
    (x0, x1), (y0, y1) = surface.domain
    return x1 - x0, y1 - y0


def floors(surface: Surface) -> Floors:
    """Noise floors from the typical gradient g and curvature c over a domain of width w.

    A typical loss change is g·w; a typical gradient is g, or c·w where that is larger: the
    gradient at a point whose coordinates were rounded to ``NOISE``·w is off by about that.
    """
    scale, width = scales(surface), max(spans(surface))
    return Floors(
        loss=NOISE * scale.gradient * width,
        gradient=NOISE * max(scale.gradient, scale.curvature * width),
        curvature=NOISE * scale.curvature,
    )


def tidy(value: float, span: float, digits: int = 12) -> float:
    """A coordinate rounded to ``digits`` decimals at the domain's scale; solver noise below
    ``SOLVER_NOISE`` of the span becomes 0 (the monkey saddle is found at about −2e−8)."""
    if abs(value) < SOLVER_NOISE * span:
        return 0.0
    return round(float(value), digits - math.floor(math.log10(span)))


def place(cp: CriticalPoint, surface: Surface) -> Point:
    """A critical point's tidy coordinates: where choosing it puts the chosen point."""
    width, height = spans(surface)
    return tidy(cp.x, width), tidy(cp.y, height)


def home_point(points: Sequence[CriticalPoint], surface: Surface) -> Point:
    """The point shown first: a saddle if there is one (the lesson), else the first listed, else
    the surface's default start."""
    first = next((cp for cp in points if cp.kind == "saddle"), points[0] if points else None)
    return surface.default_start if first is None else place(first, surface)


def distance(cp: CriticalPoint, point: Point) -> float:
    """How far ``point`` is from a critical point, or from a valley (its sampled curve, taken as
    a polyline, so a point between two samples is on it)."""
    p = np.asarray(point, dtype=float)
    if cp.isolated or cp.curve is None:
        return math.dist((cp.x, cp.y), point)
    curve = np.asarray(cp.curve, dtype=float)
    if len(curve) == 1:
        return float(np.linalg.norm(curve[0] - p))
    start, step = curve[:-1], np.diff(curve, axis=0)
    lengths = np.maximum(np.einsum("ij,ij->i", step, step), 1e-300)
    t = np.clip(np.einsum("ij,ij->i", p - start, step) / lengths, 0.0, 1.0)
    return float(np.min(np.linalg.norm(start + t[:, None] * step - p, axis=1)))


def which(points: Sequence[CriticalPoint], point: Point, near: float) -> int | None:
    """The index of the listed point, or valley, within ``near`` of ``point`` (the closest), else
    None. Whether ``point`` is critical at all is the gradient's to say, not this distance's."""
    if not points:
        return None
    gaps = [distance(cp, point) for cp in points]
    best = int(np.argmin(gaps))
    return best if gaps[best] <= near else None


def nearest(points: Sequence[CriticalPoint], point: Point, n: int) -> list[int]:
    """The indices of the ``n`` points nearest to ``point``, in list order (all of them when
    there are no more than ``n``): a list short enough to read, around where one is."""
    order = np.argsort([distance(cp, point) for cp in points], kind="stable")
    return sorted(int(i) for i in order[:n])


def snap(cp: CriticalPoint, point: Point, surface: Surface) -> Point:
    """Where a click near ``cp`` lands: the point itself, or a valley's nearest sample (a solver
    root, so the chosen point is critical)."""
    if cp.isolated or cp.curve is None:
        return place(cp, surface)
    curve = np.asarray(cp.curve, dtype=float)
    x, y = curve[int(np.argmin(np.linalg.norm(curve - np.asarray(point, dtype=float), axis=1)))]
    width, height = spans(surface)
    return tidy(x, width), tidy(y, height)
