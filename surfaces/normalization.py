"""Normalization changes the landscape (LECTURE.md part 5): feature scaling and batch norm.

Feature scaling: ŷ = b + w₁x₁ + w₂x₂ with x₁ ~ U[1, 2] and x₂ ~ U[s, 2s]. The (w₁, w₂) surfaces,
raw and standardized, are data-defined surfaces (``surfaces.data.DataModel``) with b held at its
least-squares optimum b*: the picture is the slice of the (b, w₁, w₂) bowl through its minimum,
whose curvature is 2XᵀX/N with the raw, uncentered features - the matrix whose condition number
the lecture quotes (≈ 1.4×10⁵ at s = 100). Minimizing b out instead would centre the features and
hide the part of the stretch that comes from their offset from zero (κ ≈ 55 even at s = 1).
They are not registered: their data and domain follow the scale slider and seed, which a registry
declaration (one fixed domain) cannot express, and hundreds of samples would make the
playground's full-resolution background grid needlessly heavy.

Batch normalization: one unit z = w·x, normalized over the batch and scaled by γ, shifted by β,
with squared error. Pure NumPy forward and backward; running statistics as torch.nn.BatchNorm1d.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from surfaces.data import DataModel, DataSurface

MAX_SAMPLES = 1000
SCALE_RANGE = (1.0, 1000.0)
HALF_WIDTH = 3.0  # both feature-scaling domains are the optimum ± this, in their own weights
START_OFFSET = (-2.4, 1.8)
EPS = 1e-5  # torch.nn.BatchNorm1d's default
BN_MOMENTUM = 0.1  # torch.nn.BatchNorm1d's default


# ---- Feature scaling -----------------------------------------------------------------------------


class FeatureData(NamedTuple):
    x: np.ndarray  # (n, 2): x₁ ~ U[1, 2], x₂ ~ U[s, 2s]
    t: np.ndarray  # (n,)


def feature_data(scale: float, n: int = 1000, seed: int = 0) -> FeatureData:
    """Targets t = 3 + 2x₁ − x₂/s + noise, so the standardized optimum does not move with s."""
    scale = float(np.clip(scale, *SCALE_RANGE))
    n = int(np.clip(n, 3, MAX_SAMPLES))
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 2.0, size=(n, 2)) * np.array([1.0, scale])
    t = 3.0 + 2.0 * x[:, 0] - x[:, 1] / scale + 0.1 * rng.standard_normal(n)
    return FeatureData(x, t)


def standardize(x: np.ndarray) -> np.ndarray:
    """Each feature to mean 0 and (population) standard deviation 1, as sklearn's StandardScaler."""
    return (x - x.mean(axis=0)) / x.std(axis=0)


def least_squares(x: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """The optimum (b*, w*) of the mean squared error with a bias."""
    design = np.column_stack([np.ones(len(x)), x])
    coef = np.linalg.lstsq(design, t, rcond=None)[0]
    return float(coef[0]), coef[1:]


def curvature(x: np.ndarray) -> np.ndarray:
    """Hessian of (1/N)Σ(t − b − w·x)² in w with b fixed: 2XᵀX/N."""
    return 2.0 * x.T @ x / len(x)


class Conditioning(NamedTuple):
    eigenvalues: np.ndarray  # ascending
    kappa: float
    gd_rate: float  # (κ−1)/(κ+1): gradient descent with its best learning rate
    momentum_rate: float  # (√κ−1)/(√κ+1): heavy-ball momentum, tuned
    lr_max: float  # 2/λmax: gradient descent diverges above it


def conditioning(hessian: np.ndarray) -> Conditioning:
    eigenvalues = np.linalg.eigvalsh(hessian)
    kappa = float(eigenvalues[-1] / eigenvalues[0])
    root = np.sqrt(kappa)
    return Conditioning(
        eigenvalues, kappa, (kappa - 1) / (kappa + 1), (root - 1) / (root + 1),
        2.0 / float(eigenvalues[-1]),
    )  # fmt: skip


def tuned_momentum(eigenvalues: np.ndarray) -> tuple[float, float]:
    """Heavy-ball (lr, momentum) that reach (√κ−1)/(√κ+1) on a quadratic (Polyak 1964)."""
    low, high = np.sqrt(eigenvalues[0]), np.sqrt(eigenvalues[-1])
    return float(4.0 / (low + high) ** 2), float(((high - low) / (high + low)) ** 2)


def gd_rate_at(lr: float, eigenvalues: np.ndarray) -> float:
    """Gradient descent's rate on a quadratic at learning rate lr: max |1 − lr·λ|."""
    return float(np.max(np.abs(1.0 - lr * np.asarray(eigenvalues))))


def measured_rate(points: np.ndarray, optimum: np.ndarray, floor: float = 1e-10) -> float:
    """Per-step contraction of ‖w − w*‖ over the second half of a run (NaN if too short).

    The run is cut where the distance falls below ``floor`` × the initial one (rounding noise).
    Over the second half the slowest mode dominates, which is what the bounds describe.
    """
    d = np.linalg.norm(np.asarray(points, dtype=float) - optimum, axis=1)
    if len(d) < 3 or not d[0] > 0:
        return float("nan")
    small = np.flatnonzero(~(d > floor * d[0]))
    end = (small[0] if small.size else len(d)) - 1
    half = end // 2
    if end - half < 1 or not d[half] > 0:
        return float("nan")
    return float((d[end] / d[half]) ** (1.0 / (end - half)))


class ScalingProblem(NamedTuple):
    """One side of the comparison: the surface, its optimum and its conditioning."""

    surface: DataSurface
    optimum: np.ndarray
    start: tuple[float, float]
    conditioning: Conditioning


@functools.lru_cache(maxsize=16)
def scaling_problems(
    scale: float, n: int = 100, seed: int = 0
) -> tuple[ScalingProblem, ScalingProblem]:
    """The raw and the standardized (w₁, w₂) surfaces for the same data."""
    data = feature_data(scale, n, seed)
    return (
        _problem("raw", "raw features", data.x, data.t, ("w₁", "w₂")),
        _problem("standardized", "standardized features", standardize(data.x), data.t,
                 ("w̃₁", "w̃₂")),
    )  # fmt: skip


def _problem(key: str, title: str, x: np.ndarray, t: np.ndarray, labels) -> ScalingProblem:
    bias, w = least_squares(x, t)
    start = tuple(float(a) for a in w + START_OFFSET)
    model = DataModel(
        key=f"feature_scaling_{key}",
        title=f"ŷ = b* + w₁x₁ + w₂x₂, {title}",
        # b is fixed at b*, so it is folded into the target: r = t − b*.
        loss="(r - w1*u1 - w2*u2)**2",
        parameters=("w1", "w2"),
        data={"u1": tuple(x[:, 0]), "u2": tuple(x[:, 1]), "r": tuple(t - bias)},
        domain=tuple((float(c - HALF_WIDTH), float(c + HALF_WIDTH)) for c in w),
        start=start,
        latex=r"L(w_1, w_2) = \frac{1}{N}\sum_n \left(t^n - b^* - w_1 x_1^n - w_2 x_2^n\right)^2",
        critical=(("minimum", *w),),
        complete=True,
        axis_labels=labels,
        minima=(tuple(w),),
    )
    return ScalingProblem(model.build({}), w, start, conditioning(curvature(x)))


# ---- Batch normalization -------------------------------------------------------------------------


def batch_norm(
    z: np.ndarray, gamma: float = 1.0, beta: float = 0.0, eps: float = EPS
) -> np.ndarray:
    """γ·(z − μ_B)/√(σ²_B + ε) + β along the last axis (the batch), biased σ² as in PyTorch."""
    z = np.asarray(z, dtype=float)
    mean = z.mean(axis=-1, keepdims=True)
    var = z.var(axis=-1, keepdims=True)
    return gamma * (z - mean) / np.sqrt(var + eps) + beta


class RunningStats(NamedTuple):
    """A BN layer's running averages; PyTorch starts them at mean 0, variance 1."""

    mean: float = 0.0
    var: float = 1.0


def update_running(
    stats: RunningStats, batch: np.ndarray, momentum: float = BN_MOMENTUM
) -> RunningStats:
    """torch.nn.BatchNorm1d's update: new = (1 − m)·old + m·batch, with the UNBIASED variance."""
    batch = np.asarray(batch, dtype=float)
    if batch.size < 2:
        raise ValueError("a training batch needs at least two values for its variance")
    return RunningStats(
        (1 - momentum) * stats.mean + momentum * float(batch.mean()),
        (1 - momentum) * stats.var + momentum * float(batch.var(ddof=1)),
    )


def normalize_with(
    z: np.ndarray, stats: RunningStats, gamma: float, beta: float, eps: float = EPS
) -> np.ndarray:
    """Test-time BN: fixed running statistics, so each sample's output ignores its batch."""
    return gamma * (np.asarray(z, dtype=float) - stats.mean) / np.sqrt(stats.var + eps) + beta


class BNGrad(NamedTuple):
    loss: np.ndarray  # (...)
    w: np.ndarray  # (..., 2)
    gamma: np.ndarray  # (...)
    beta: np.ndarray  # (...)


def bn_loss_and_grad(
    w: np.ndarray, x: np.ndarray, t: np.ndarray, gamma: float, beta: float, eps: float = EPS
) -> BNGrad:
    """Mean of (γ·BN(w·x) + β − t)² over the batch and its exact gradient, for any stack of w.

    Backward through BN: with g = ∂L/∂ẑ, ∂L/∂z = (g − mean g − ẑ·mean(g ẑ)) / √(σ² + ε).
    """
    w = np.asarray(w, dtype=float)
    x = np.asarray(x, dtype=float)
    # Explicit sums, not matmul: BLAS may round differently with the array's layout, and the
    # same URL must give bit-identical figures.
    z = w[..., :1] * x[:, 0] + w[..., 1:] * x[:, 1]  # (..., B)
    centred = z - z.mean(axis=-1, keepdims=True)
    root = np.sqrt(np.mean(centred**2, axis=-1, keepdims=True) + eps)
    zhat = centred / root
    residual = gamma * zhat + beta - t
    g = 2.0 * gamma * residual / z.shape[-1]
    dz = g - g.mean(axis=-1, keepdims=True) - zhat * np.mean(g * zhat, axis=-1, keepdims=True)
    return BNGrad(
        np.mean(residual**2, axis=-1),
        np.stack([np.sum(dz / root * x[:, i], axis=-1) for i in (0, 1)], axis=-1),
        np.mean(2.0 * residual * zhat, axis=-1),
        np.mean(2.0 * residual, axis=-1),
    )


@dataclass(frozen=True, eq=False)
class BatchNormSurface:
    """The BN unit's loss over its two input weights, for one batch (a SurfaceLike for simulate).

    Constant along rays from the origin (up to ε): BN(a·w·x) = BN(w·x) for a > 0.
    """

    x: np.ndarray
    t: np.ndarray
    gamma: float = 1.0
    beta: float = 0.0
    domain: tuple = ((-3.0, 3.0), (-3.0, 3.0))
    axis_labels: tuple[str, str] = ("w₁", "w₂")

    def _at(self, w1, w2) -> BNGrad:
        w = np.stack(np.broadcast_arrays(np.asarray(w1, float), np.asarray(w2, float)), axis=-1)
        with np.errstate(all="ignore"):
            return bn_loss_and_grad(w, self.x, self.t, self.gamma, self.beta)

    def f(self, w1, w2) -> np.ndarray:
        return self._at(w1, w2).loss

    def grad(self, w1, w2) -> np.ndarray:
        return self._at(w1, w2).w


class BNData(NamedTuple):
    x: np.ndarray  # (n, 2)
    t: np.ndarray  # (n,)


def bn_data(n: int = 256, seed: int = 0) -> BNData:
    """Two correlated, off-centre inputs; the target is mostly along x₁ − x₂/2, plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2)) @ np.array([[1.0, 0.3], [0.0, 0.8]]) + np.array([2.0, -1.0])
    t = 1.0 + (x[:, 0] - 0.5 * x[:, 1]) + 0.7 * rng.standard_normal(n)
    return BNData(x, t)


def batches(n: int, batch_size: int, seed: int = 0) -> np.ndarray:
    """One epoch's batches of sample indices (a seeded permutation, partial batch dropped)."""
    batch_size = int(np.clip(batch_size, 1, n))
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // batch_size * batch_size].reshape(-1, batch_size)


def loss_by_angle(surface: BatchNormSurface, angles: np.ndarray) -> np.ndarray:
    """The loss along the unit circle: by scale invariance, this IS the whole surface."""
    return surface.f(np.cos(angles), np.sin(angles))


class BNTraining(NamedTuple):
    """Minibatch SGD of (w, γ, β) with running statistics collected on the way, per step."""

    w: np.ndarray  # (steps+1, 2)
    gamma: np.ndarray  # (steps+1,)
    beta: np.ndarray  # (steps+1,)
    batch_mean: np.ndarray  # (steps,) of z over each training batch
    batch_var: np.ndarray  # (steps,) unbiased
    running: RunningStats  # arrays (steps+1,) of the running mean and variance


def train_batch_norm(
    data: BNData, w0: tuple[float, float], *, batch_size: int, steps: int, lr: float, seed: int = 0
) -> BNTraining:
    """Plain SGD on (w, γ, β) from γ = 1, β = 0, updating running statistics as PyTorch does."""
    n = len(data.t)
    batch_size = int(np.clip(batch_size, 2, n))
    steps = int(np.clip(steps, 0, 5000))
    per_epoch = n // batch_size
    order = np.concatenate(
        [batches(n, batch_size, seed + epoch) for epoch in range(-(-steps // per_epoch))]
        or [np.zeros((0, batch_size), dtype=int)]
    )
    w, gamma, beta, stats = np.array(w0, dtype=float), 1.0, 0.0, RunningStats()
    ws, gammas, betas, stat_list = [w], [gamma], [beta], [stats]
    means, variances = np.empty(steps), np.empty(steps)
    for step in range(steps):
        idx = order[step]
        z = data.x[idx] @ w
        means[step], variances[step] = z.mean(), z.var(ddof=1)
        stats = update_running(stats, z)
        grad = bn_loss_and_grad(w, data.x[idx], data.t[idx], gamma, beta)
        w, gamma, beta = (
            w - lr * grad.w,
            gamma - lr * float(grad.gamma),
            beta - lr * float(grad.beta),
        )
        ws.append(w)
        gammas.append(gamma)
        betas.append(beta)
        stat_list.append(stats)
    return BNTraining(
        np.array(ws), np.array(gammas), np.array(betas), means, variances,
        RunningStats(*(np.array(a) for a in zip(*stat_list, strict=True))),
    )  # fmt: skip


def evaluation_losses(
    data: BNData, w: np.ndarray, gamma: float, beta: float, stats: RunningStats,
    sizes: tuple[int, ...], seed: int = 0,
) -> tuple[np.ndarray, float]:  # fmt: skip
    """Test MSE when each test batch of size k uses its own statistics (per k), and with the
    running statistics (the same for every k: each sample is normalized on its own)."""
    z = data.x @ np.asarray(w, dtype=float)
    own = []
    for size in sizes:
        idx = batches(len(z), size, seed)
        own.append(float(np.mean((batch_norm(z[idx], gamma, beta) - data.t[idx]) ** 2)))
    running = float(np.mean((normalize_with(z, stats, gamma, beta) - data.t) ** 2))
    return np.array(own), running
