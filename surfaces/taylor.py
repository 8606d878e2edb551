"""The second-order Taylor model at a point, and what it predicts (LECTURE.md part 1).

Near θ', L(θ) ≈ L(θ') + (θ−θ')ᵀg + ½(θ−θ')ᵀH(θ−θ'). At a critical point g = 0 and the Hessian
decides: its eigenvalues' signs are the second-order test, the share of positive ones is the
lecture's "minimum ratio", and a step u along an eigenvector of a negative eigenvalue λ changes the
loss by about ½λ‖u‖² (the way out of a saddle).

Zero is relative, and decided in one place for the whole app, ``surfaces.hessian``: its tolerance,
its scaling, the verdict and the minimum ratio (re-exported here). A gradient counts as zero below
the same ``ZERO_TOL`` times the surface's typical gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from surfaces.base import Surface
from surfaces.hessian import ZERO_TOL, Scales, eigen, minimum_ratio, scales, zero_eigenvalues
from surfaces.hessian import classify as second_order_test

__all__ = [
    "Escape",
    "Profile",
    "Scales",
    "TaylorModel",
    "direction_at",
    "escape",
    "is_stationary",
    "left_at",
    "minimum_ratio",
    "predicted_stall",
    "profile",
    "scales",
    "second_order_test",
    "taylor_model",
    "zero_eigenvalues",
]

MAX_PROFILE_POINTS = 2001


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


def taylor_model(surface: Surface, point: tuple[float, float]) -> TaylorModel:
    """The second-order model of ``surface`` around ``point``."""
    x, y = float(point[0]), float(point[1])
    gradient = np.asarray(surface.grad(x, y), dtype=float)
    hessian = np.asarray(surface.hessian(x, y), dtype=float)
    eigenvalues, eigenvectors = eigen(hessian)  # NaN where there is no Hessian (a kink)
    return TaylorModel(
        np.array([x, y]), float(surface.f(x, y)), gradient, hessian, eigenvalues, eigenvectors
    )


def is_stationary(model: TaylorModel, scale: Scales) -> bool:
    """Is the gradient zero (relative to the surface's typical gradient)?"""
    return bool(np.linalg.norm(model.gradient) <= ZERO_TOL * scale.gradient)


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
