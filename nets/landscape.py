"""Pictures of a network's loss around a θ: 2-D slices, the training path in the plane of its
principal components (Li et al., NeurIPS 2018, "Visualizing the loss landscape of neural nets"),
and the smoothness measures along the gradient of Santurkar et al. (2018).

A slice is the loss restricted to a plane through θ: f(x, y) = L(θ + x·d₁ + y·d₂). Its critical
points are not the network's: a slice's minimum can be a saddle of L in the directions the plane
leaves out, and a critical point of L off the plane does not show at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nets.model import CHUNK, MAX_WORK, Network, check_work

MAX_SLICE_POINTS = 512 * 512  # loss evaluations per call of Slice.f or Slice.grad
MAX_ETAS = 1_000
MAX_PATH = 10_001  # θs of a path to project
PATH_MARGIN = 0.25  # the projected path's slice extends this share of its span on every side

Domain = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, eq=False)
class Slice:
    """f(x, y) = L(origin + x·d₁ + y·d₂) with (d₁, d₂) = ``directions`` (2, P): a SurfaceLike
    (viz.trajectory) whose ``f`` and ``grad`` broadcast over NumPy arrays. Its critical points are
    not the network's (module docstring)."""

    network: Network
    origin: np.ndarray
    directions: np.ndarray
    domain: Domain
    axis_labels: tuple[str, str]

    def thetas(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The θs of the plane at (x, y), shape (..., P)."""
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return self.origin + x[..., None] * self.directions[0] + y[..., None] * self.directions[1]

    @property
    def max_points(self) -> int:
        """The most points one call of ``f`` may ask for (``grad`` a third of them):
        MAX_SLICE_POINTS, or fewer where the network's size would exceed MAX_WORK. A background
        image of resolution r needs r² of them."""
        return int(
            min(MAX_SLICE_POINTS, MAX_WORK // (self.network.n_samples * self.network.n_params))
        )

    def f(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """L at (x, y), shape broadcast(x, y)."""
        return self._map(self.network.loss, x, y, cost=1)

    def grad(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(∂f/∂x, ∂f/∂y) = (∇L·d₁, ∇L·d₂), shape (..., 2)."""
        return self._map(lambda t: self.network.grad(t) @ self.directions.T, x, y, cost=3)

    def _map(self, fn, x: np.ndarray, y: np.ndarray, cost: int) -> np.ndarray:
        """fn over the plane's θs at the points (x, y), CHUNK θs at a time (bounded memory);
        ``cost`` loss evaluations a point, for the work limit."""
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        if x.size > MAX_SLICE_POINTS:
            raise ValueError(f"at most {MAX_SLICE_POINTS} points per call, got {x.size}")
        check_work(self.network, cost * x.size)
        xs, ys = x.ravel(), y.ravel()
        parts = [fn(self.thetas(xs[i : i + CHUNK], ys[i : i + CHUNK]))
                 for i in range(0, max(xs.size, 1), CHUNK)]  # fmt: skip
        out = np.concatenate(parts)
        return out.reshape(x.shape + out.shape[1:])


def filter_normalize(network: Network, theta: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Li et al.'s filter normalisation for an MLP: each row of each weight matrix of
    ``direction`` (one output neuron's incoming weights) rescaled to the norm of that row in θ;
    biases and batch-norm γ, β set to 0 (their ``ignore='biasbn'``). A zero row stays zero."""
    out = np.zeros(network.n_params)
    for layer in network.layers:
        rows = slice(layer.start, layer.start + layer.n_out * layer.n_in)
        d = np.asarray(direction, dtype=float)[rows].reshape(layer.n_out, layer.n_in)
        w = np.asarray(theta, dtype=float)[rows].reshape(layer.n_out, layer.n_in)
        d_norm = np.linalg.norm(d, axis=1, keepdims=True)
        scale = np.divide(np.linalg.norm(w, axis=1, keepdims=True), d_norm, where=d_norm > 0,
                          out=np.zeros_like(d_norm))  # fmt: skip
        out[rows] = (d * scale).ravel()
    return out


def plane(
    network: Network,
    theta: np.ndarray,
    directions: np.ndarray,
    *,
    span: float = 1.0,
    axis_labels: tuple[str, str] = ("d₁", "d₂"),
) -> Slice:
    """The slice through θ along ``directions`` (2, P) on [−span, span]²."""
    theta = np.asarray(theta, dtype=float)
    directions = np.asarray(directions, dtype=float)
    if theta.shape != (network.n_params,) or directions.shape != (2, network.n_params):
        raise ValueError(f"θ must be (P,) and directions (2, P) with P = {network.n_params}")
    if not (np.isfinite(span) and span > 0):
        raise ValueError(f"span must be a positive number, got {span}")
    box = (-float(span), float(span))
    return Slice(network, theta, directions, (box, box), axis_labels)


def hessian_plane(network: Network, theta: np.ndarray, *, span: float = 1.0) -> Slice:
    """The slice along the unit eigenvectors of the most negative (x) and the most positive (y)
    Hessian eigenvalue at θ: at a saddle, x is the escape direction (L falls as ½λx²)."""
    lam, q = network.spectrum(np.asarray(theta, dtype=float))
    labels = (f"u(λmin = {lam[0]:.3g})", f"u(λmax = {lam[-1]:.3g})")
    return plane(network, theta, q[:, [0, -1]].T, span=span, axis_labels=labels)


def random_plane(network: Network, theta: np.ndarray, *, seed: int = 0, span: float = 1.0) -> Slice:
    """Li et al.'s slice: two Gaussian directions from ``default_rng(seed)``, each
    filter-normalised (``filter_normalize``), on [−span, span]² (they plot [−1, 1]²)."""
    rng = np.random.default_rng(seed)
    directions = [filter_normalize(network, theta, rng.standard_normal(network.n_params))
                  for _ in range(2)]  # fmt: skip
    return plane(network, theta, np.stack(directions), span=span,
                 axis_labels=("random direction 1", "random direction 2"))  # fmt: skip


class Projection(NamedTuple):
    """A training path in the plane of its first two principal components: ``points`` (n, 2)
    and ``diverged_at`` (a PathLike), ``explained`` the share of the variance of θ_t − θ_final
    along each component, and ``slice`` the plane through θ_final along them (a SurfaceLike)."""

    points: np.ndarray
    diverged_at: int | None
    explained: np.ndarray
    slice: Slice


def project_path(
    network: Network, thetas: np.ndarray, diverged_at: int | None = None
) -> Projection:
    """Li et al.'s trajectory plot: PCA of the rows θ_t − θ_final of a path ``thetas`` (n, P)
    (centred, as their sklearn PCA), each θ_t drawn at ((θ_t − θ_final)·u₁, (θ_t − θ_final)·u₂)
    for the unit components u₁, u₂. The path ends before its first non-finite row (a diverged
    run); ``diverged_at`` (the step it diverged at, for the label) is passed through.

    The slice's loss at a drawn point is L at θ_t's projection onto the plane, not at θ_t: the
    path leaves the plane by the share of the variance the two components miss.
    """
    thetas = np.asarray(thetas, dtype=float)
    if thetas.ndim != 2 or thetas.shape[1] != network.n_params or not 2 <= len(thetas) <= MAX_PATH:
        raise ValueError(f"thetas must be (n, {network.n_params}) with 2 <= n <= {MAX_PATH}")
    finite = np.all(np.isfinite(thetas), axis=1)
    kept = thetas if finite.all() else thetas[: np.argmin(finite)]
    if len(kept) < 2:
        raise ValueError("the path has fewer than two finite points")
    offsets = kept - kept[-1]
    _, sigma, vt = np.linalg.svd(offsets - offsets.mean(axis=0), full_matrices=False)
    total = np.sum(sigma**2)
    explained = sigma[:2] ** 2 / total if total > 0 else np.zeros(2)
    points = offsets @ vt[:2].T
    low, high = points.min(axis=0), points.max(axis=0)
    pad = PATH_MARGIN * np.maximum(high - low, 1e-12)
    domain = tuple((float(a), float(b)) for a, b in zip(low - pad, high + pad, strict=True))
    labels = tuple(f"PC{i + 1} ({100 * e:.1f}% of variance)" for i, e in enumerate(explained))
    return Projection(points, diverged_at, explained, Slice(network, kept[-1], vt[:2], domain,
                                                            labels))  # fmt: skip


class Smoothness(NamedTuple):
    """Santurkar et al.'s measures along −∇L(θ), per η: ``losses``, ``grad_changes``, and
    ``beta`` (see ``smoothness``), with ``loss`` L(θ) itself, which ``relative_range`` divides
    by. For many θs, each field has their axis first."""

    etas: np.ndarray
    losses: np.ndarray
    grad_changes: np.ndarray
    beta: float | np.ndarray
    loss: float | np.ndarray

    @property
    def loss_range(self) -> float | np.ndarray:
        """How much the loss varies over the step sizes: largest minus least."""
        return np.ptp(self.losses, axis=-1)

    @property
    def relative_range(self) -> float | np.ndarray:
        """``loss_range`` divided by L(θ): a smaller loss varies less in absolute terms alone."""
        return self.loss_range / self.loss


def smoothness(network: Network, theta: np.ndarray, etas: Sequence[float]) -> Smoothness:
    """The three measures of Santurkar et al. 2018 (arXiv 1805.11604, section 3.1, figure 4) at
    θ, along the gradient step θᵢ = θ − ηᵢ∇L(θ):

        losses[i]       = L(θᵢ)                            "loss landscape" (its variation)
        grad_changes[i] = ‖∇L(θᵢ) − ∇L(θ)‖                 "gradient predictiveness"
        beta            = maxᵢ ‖∇L(θᵢ) − ∇L(θ)‖ / ‖θᵢ − θ‖  "effective β-smoothness"

    with ‖θᵢ − θ‖ = ηᵢ‖∇L(θ)‖ (ηᵢ = 0 left out of the maximum). The paper plots the range of the
    first two over η at each training step, and the third along training. θ may be many, (n, P),
    each with its own step sizes (``etas`` (n, k)) or the same ones (k,): then every field has
    the θs' axis first, and the whole batch costs three calls of the network.
    """
    theta = np.asarray(theta, dtype=float)
    many = theta.ndim == 2
    thetas = np.atleast_2d(theta)
    etas = np.asarray(etas, dtype=float)
    if thetas.ndim != 2 or thetas.shape[1] != network.n_params or not 1 <= len(thetas) <= MAX_ETAS:
        raise ValueError(f"θ must have shape ({network.n_params},) or (n, {network.n_params})")
    etas = np.broadcast_to(etas, (len(thetas), etas.shape[-1])) if etas.ndim in (1, 2) and (
        etas.ndim == 1 or len(etas) == len(thetas)) else np.empty((0, 0))  # fmt: skip
    if not (1 <= etas.shape[1] <= MAX_ETAS and np.all(np.isfinite(etas)) and np.all(etas >= 0)):
        raise ValueError(f"etas must be 1 to {MAX_ETAS} finite numbers >= 0 (per θ)")
    check_work(network, len(thetas) * (etas.shape[1] + 1) * 4)
    g = network.grad(thetas)
    steps = thetas[:, None] - etas[..., None] * g[:, None]  # (n, k, P)
    flat = steps.reshape(-1, network.n_params)
    changes = np.linalg.norm(network.grad(flat).reshape(steps.shape) - g[:, None], axis=-1)
    moved = etas * np.linalg.norm(g, axis=-1, keepdims=True)
    ratios = np.divide(changes, moved, where=moved > 0, out=np.full_like(changes, np.nan))
    some = np.any(moved > 0, axis=-1)
    beta = np.where(some, np.nanmax(np.where(some[:, None], ratios, 0.0), axis=-1), np.nan)
    losses = network.loss(np.concatenate([flat, thetas]))
    found = Smoothness(etas, losses[: flat.shape[0]].reshape(etas.shape), changes, beta,
                       losses[flat.shape[0] :])  # fmt: skip
    return found if many else Smoothness(found.etas[0], found.losses[0], found.grad_changes[0],
                                         float(found.beta[0]), float(found.loss[0]))  # fmt: skip
