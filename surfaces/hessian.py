"""The one reading of a Hessian: when an eigenvalue is zero, the verdict, the minimum ratio.

Every verdict in the app comes from here (the critical-point search, the Taylor model, the pages),
so a point cannot be a minimum in one place and degenerate in another.

Zero is relative. An eigenvalue λ counts as zero when

    |λ| ≤ ZERO_TOL · c,   c = median over a 24×24 grid of the domain of ‖H(x, y)‖_F,

the surface's typical curvature, in the surface's own (raw) coordinates. Raw, because these are
the eigenvalues a user reads: a number shown as 5e−7 beside a curvature of 2 gets the same verdict
on every page. Relative, so the verdict does not change with the units of the loss or a common
unit of x and y. The signs themselves need no scale: by Sylvester's law of inertia they are the
same in any linear coordinates. ZERO_TOL = 1e−6 sits far above the rounding of exact float64
derivatives (~1e−15 ‖H‖) and of a solver's root (a root off by δ moves λ by about δ·|∇³L|).

The verdict: eigenvalues of both signs, "saddle" (whatever else is zero: there is a way down and
a way up); otherwise any zero, "degenerate" (the second-order test is inconclusive, higher-order
terms decide); otherwise all positive "minimum", all negative "maximum". Without a Hessian (NaN,
as at Ackley's kink), "undefined". Along a valley of critical points its own zero eigenvalue is
expected, so ``valley=True`` decides by the others.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from surfaces.base import Surface

ZERO_TOL = 1e-6
SCALE_GRID = 24
LEAD_TOL = 1e-12  # an eigenvector component below this (of a unit vector) is not "clearly nonzero"


class Scales(NamedTuple):
    """Typical gradient norm and Hessian norm over the domain: what "zero" is measured against."""

    gradient: float
    curvature: float


@functools.lru_cache(maxsize=64)
def scales(surface: Surface) -> Scales:
    """Median gradient and Hessian (Frobenius) norms over the centres of a 24×24 grid."""
    (x0, x1), (y0, y1) = surface.domain
    xs = x0 + (np.arange(SCALE_GRID) + 0.5) * (x1 - x0) / SCALE_GRID
    ys = y0 + (np.arange(SCALE_GRID) + 0.5) * (y1 - y0) / SCALE_GRID
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        g = np.linalg.norm(surface.grad(gx, gy), axis=-1)
        h = np.linalg.norm(surface.hessian(gx, gy), axis=(-2, -1))
    return Scales(positive_median(g), positive_median(h))


def positive_median(values: np.ndarray) -> float:
    """The median of the finite positive values (1 if there are none): a typical size."""
    good = values[np.isfinite(values) & (values > 0)]
    return float(np.median(good)) if good.size else 1.0


def eigen(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices (..., n, n).

    Signs are made deterministic: each eigenvector's first clearly nonzero component (above
    ``LEAD_TOL``) is positive. NaN in, NaN out.
    """
    hessian = np.asarray(hessian, dtype=float)
    finite = np.isfinite(hessian).all(axis=(-2, -1))
    w, v = np.linalg.eigh(np.where(finite[..., None, None], hessian, 0.0))
    clear = np.abs(v) > LEAD_TOL
    first = np.argmax(clear, axis=-2)[..., None, :]
    lead = np.take_along_axis(v, first, axis=-2)
    v = v * np.where(lead < 0, -1.0, 1.0)
    return np.where(finite[..., None], w, np.nan), np.where(finite[..., None, None], v, np.nan)


def zero_eigenvalues(eigenvalues: np.ndarray, scale: Scales) -> np.ndarray:
    """Which eigenvalues are zero relative to the surface's typical curvature."""
    return np.abs(np.asarray(eigenvalues, dtype=float)) <= ZERO_TOL * scale.curvature


def classify(eigenvalues: np.ndarray, scale: Scales, *, valley: bool = False) -> str:
    """``"minimum"``, ``"maximum"``, ``"saddle"``, ``"degenerate"`` or ``"undefined"``; see the
    module docstring."""
    return str(verdicts(np.asarray(eigenvalues, dtype=float)[None], scale, valley=valley)[0])


def verdicts(eigenvalues: np.ndarray, scale: Scales, *, valley: bool = False) -> np.ndarray:
    """``classify`` of every row of eigenvalues (..., n) at once: an array of verdicts (...)."""
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    zero = zero_eigenvalues(eigenvalues, scale)
    positive = ((eigenvalues > 0) & ~zero).any(axis=-1)
    negative = ((eigenvalues < 0) & ~zero).any(axis=-1)
    degenerate = zero.all(axis=-1) | (zero.any(axis=-1) & (not valley))
    return np.select(
        [~np.isfinite(eigenvalues).all(axis=-1), positive & negative, degenerate, positive],
        ["undefined", "saddle", "degenerate", "minimum"],
        "maximum",
    )


def minimum_ratio(eigenvalues: np.ndarray, scale: Scales) -> float:
    """The lecture's minimum ratio: the share of eigenvalues that are (clearly) positive.

    NaN where there is no Hessian.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    if not np.isfinite(eigenvalues).all():
        return float("nan")
    positive = (eigenvalues > 0) & ~zero_eigenvalues(eigenvalues, scale)
    return float(positive.sum() / eigenvalues.size)
