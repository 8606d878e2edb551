"""The second-order Taylor model at a point, and what it predicts (LECTURE.md part 1).

Near θ', L(θ) ≈ L(θ') + (θ−θ')ᵀg + ½(θ−θ')ᵀH(θ−θ'). At a critical point g = 0 and the Hessian
decides: its eigenvalues' signs are the second-order test, the share of positive ones is the
lecture's "minimum ratio", and a step u along an eigenvector of a negative eigenvalue λ changes the
loss by about ½λ‖u‖² (the way out of a saddle).

Zero is relative: an eigenvalue counts as zero below ``ZERO_TOL`` times the surface's typical
curvature, and a gradient as zero below ``ZERO_TOL`` times its typical gradient (medians over a grid
of the domain), so the verdicts mean the same on every surface whatever its units.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from surfaces.base import Surface

ZERO_TOL = 1e-6
SCALE_GRID = 24
MAX_PROFILE_POINTS = 2001


class Scales(NamedTuple):
    """Typical gradient norm and Hessian norm over the domain: what "zero" is measured against."""

    gradient: float
    curvature: float


class TaylorModel(NamedTuple):
    """L(center + d) ≈ value + gᵀd + ½dᵀHd. Eigenvalues ascending, eigenvectors as columns.

    Where the surface has no derivatives (Ackley's kink) gradient and Hessian are NaN and so is the
    model: there is no second-order picture there.
    """

    center: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def smooth(self) -> bool:
        return bool(np.isfinite(self.gradient).all() and np.isfinite(self.hessian).all())

    def __call__(self, x, y) -> np.ndarray:
        """The quadratic model at (x, y), broadcasting like ``Surface.f``."""
        d = np.stack(np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float)), axis=-1)
        d = d - self.center
        quadratic = np.einsum("...i,ij,...j->...", d, self.hessian, d)
        return self.value + d @ self.gradient + 0.5 * quadratic


class Escape(NamedTuple):
    """A step of length ``distance`` along ``direction``, the eigenvector of ``eigenvalue``.

    ``predicted`` is the Taylor model's change gᵀu + ½λ‖u‖² (just ½λ‖u‖² at a critical point),
    ``actual`` the true L(θ' + u) − L(θ').
    """

    direction: np.ndarray
    eigenvalue: float
    distance: float
    predicted: float
    actual: float


class Profile(NamedTuple):
    """The loss along the line center + t·direction, t in [−radius, radius]: true and modelled.

    ``curvature`` = dᵀHd, the second derivative of the slice at t = 0.
    """

    t: np.ndarray
    direction: np.ndarray
    true: np.ndarray
    model: np.ndarray
    curvature: float


@functools.lru_cache(maxsize=64)
def scales(surface: Surface) -> Scales:
    """Median gradient and Hessian (Frobenius) norms over a grid of the domain."""
    (x0, x1), (y0, y1) = surface.domain
    xs = x0 + (np.arange(SCALE_GRID) + 0.5) * (x1 - x0) / SCALE_GRID
    ys = y0 + (np.arange(SCALE_GRID) + 0.5) * (y1 - y0) / SCALE_GRID
    gx, gy = np.meshgrid(xs, ys)
    g = np.linalg.norm(surface.grad(gx, gy), axis=-1)
    h = np.linalg.norm(surface.hessian(gx, gy), axis=(-2, -1))
    return Scales(_positive_median(g), _positive_median(h))


def _positive_median(values: np.ndarray) -> float:
    good = values[np.isfinite(values) & (values > 0)]
    return float(np.median(good)) if good.size else 1.0


def taylor_model(surface: Surface, point: tuple[float, float]) -> TaylorModel:
    """The second-order model of ``surface`` around ``point``."""
    x, y = float(point[0]), float(point[1])
    gradient = np.asarray(surface.grad(x, y), dtype=float)
    hessian = np.asarray(surface.hessian(x, y), dtype=float)
    if np.isfinite(hessian).all():
        eigenvalues, eigenvectors = np.linalg.eigh(hessian)
        # Same sign convention as critical_points: each column's first clear component positive.
        lead = np.where(np.abs(eigenvectors[0]) > 1e-12, eigenvectors[0], eigenvectors[1])
        eigenvectors = eigenvectors * np.where(lead < 0, -1.0, 1.0)
    else:
        eigenvalues, eigenvectors = np.full(2, np.nan), np.full((2, 2), np.nan)
    return TaylorModel(
        np.array([x, y]), float(surface.f(x, y)), gradient, hessian, eigenvalues, eigenvectors
    )


def zero_eigenvalues(eigenvalues: np.ndarray, scale: Scales) -> np.ndarray:
    """Which eigenvalues are zero relative to the surface's typical curvature."""
    return np.abs(np.asarray(eigenvalues)) <= ZERO_TOL * scale.curvature


def is_stationary(model: TaylorModel, scale: Scales) -> bool:
    """Is the gradient zero (relative to the surface's typical gradient)?"""
    return bool(np.linalg.norm(model.gradient) <= ZERO_TOL * scale.gradient)


def second_order_test(eigenvalues: np.ndarray, scale: Scales) -> str:
    """What the Hessian says about a critical point: ``"minimum"``, ``"maximum"``, ``"saddle"``,
    ``"inconclusive"`` (a zero eigenvalue: higher-order terms decide) or ``"undefined"`` (no
    Hessian, as at a kink)."""
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    if not np.isfinite(eigenvalues).all():
        return "undefined"
    zero = zero_eigenvalues(eigenvalues, scale)
    signs = np.where(zero, 0.0, np.sign(eigenvalues))
    if (signs > 0).any() and (signs < 0).any():
        return "saddle"
    if zero.any():
        return "inconclusive"
    return "minimum" if (signs > 0).all() else "maximum"


def minimum_ratio(eigenvalues: np.ndarray, scale: Scales) -> float:
    """The lecture's minimum ratio: the share of eigenvalues that are (clearly) positive.

    NaN where there is no Hessian.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    if not np.isfinite(eigenvalues).all():
        return float("nan")
    positive = (eigenvalues > 0) & ~zero_eigenvalues(eigenvalues, scale)
    return float(positive.sum() / eigenvalues.size)


def escape(surface: Surface, model: TaylorModel, distance: float) -> Escape:
    """Step ``distance`` along the eigenvector of the smallest eigenvalue.

    The eigenvector's sign is free at a critical point (both ways lead down a saddle); elsewhere
    the downhill one (gᵀu ≤ 0) is taken.
    """
    direction = model.eigenvectors[:, 0]
    if model.gradient @ direction > 0:
        direction = -direction
    u = float(distance) * direction
    moved = model.center + u
    return Escape(
        direction=direction,
        eigenvalue=float(model.eigenvalues[0]),
        distance=float(distance),
        predicted=float(model(*moved) - model.value),
        actual=float(surface.f(*moved) - model.value),
    )


def direction_at(angle: float) -> np.ndarray:
    """Unit vector at ``angle`` degrees from the first axis, counter-clockwise."""
    radians = np.deg2rad(float(angle))
    return np.array([np.cos(radians), np.sin(radians)])


def profile(
    surface: Surface,
    model: TaylorModel,
    direction: np.ndarray,
    radius: float,
    n: int = 201,
) -> Profile:
    """The 1-D slice of the true loss and of the model through the model's center."""
    direction = np.asarray(direction, dtype=float)
    direction = direction / np.linalg.norm(direction)
    t = np.linspace(-abs(float(radius)), abs(float(radius)), int(np.clip(n, 3, MAX_PROFILE_POINTS)))
    points = model.center + t[:, None] * direction
    true = np.asarray(surface.f(points[:, 0], points[:, 1]), dtype=float)
    return Profile(
        t=t,
        direction=direction,
        true=np.broadcast_to(true, t.shape).copy(),
        model=model(points[:, 0], points[:, 1]),
        curvature=float(direction @ model.hessian @ direction),
    )


def left_at(points: np.ndarray, center: np.ndarray, radius: float) -> int | None:
    """The first step of a path farther than ``radius`` from ``center``; None if it never is."""
    distance = np.linalg.norm(np.asarray(points, dtype=float) - center, axis=-1)
    outside = np.flatnonzero(distance > radius)
    return int(outside[0]) if outside.size else None


def predicted_stall(eigenvalue: float, lr: float, offset: float, radius: float) -> float | None:
    """Steps gradient descent needs to carry an ``offset`` along the escape direction out to
    ``radius``, in the quadratic model: the offset grows by (1 − ηλ) per step (λ < 0).

    None where it never grows (λ ≥ 0, or no offset).
    """
    growth = 1.0 - lr * eigenvalue
    if not (eigenvalue < 0 and offset > 0 and growth > 1):
        return None
    return float(max(0.0, np.log(radius / offset) / np.log(growth)))
