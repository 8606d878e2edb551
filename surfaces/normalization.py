"""Normalization changes the landscape (LECTURE.md part 5): feature scaling and batch norm.

Feature scaling: ŷ = b + w₁x₁ + w₂x₂ with x₁ ~ U[1, 2] and x₂ ~ U[s, 2s]. The (w₁, w₂) surfaces,
raw and standardized, hold b at its least-squares optimum b*: the picture is the slice of the
(b, w₁, w₂) bowl through its minimum, whose curvature is 2XᵀX/N with the raw, uncentered features,
the matrix whose condition number the lecture quotes (≈ 1.4×10⁵ at s = 100, N = 1000). Minimizing
b out instead would centre the features and hide the part of the stretch that comes from their
offset from zero (κ ≈ 55 even at s = 1). With b fixed the mean squared error is exactly quadratic
in w, L(w) = L(w*) + (w − w*)ᵀ(XᵀX/N)(w − w*), so each surface is declared as that quadratic: its
cost does not grow with the number of samples (a 320² background over 1,000 samples took 2 s as a
mean over the samples). They are not registered: their data and domain follow the scale and seed.

Batch normalization: one unit z = w·x, normalized over the batch and scaled by γ, shifted by β,
with squared error. Its loss and gradient follow from five moments of the batch, so a surface over
a whole grid costs one pass over the grid; running statistics as torch.nn.BatchNorm1d.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy as sp

from surfaces.base import Surface, X, Y

MAX_SAMPLES = 1000
SAMPLES = 1000  # the lecture's κ ≈ 1.4×10⁵ (raw) and ≈ 1.05 (standardized) are typical at this N
SCALE_RANGE = (1.0, 1000.0)
HALF_WIDTH = 3.0  # both feature-scaling domains are the optimum ± this, in their own weights
START_OFFSET = (-2.4, 1.8)
EPS = 1e-5  # torch.nn.BatchNorm1d's default
BN_MOMENTUM = 0.1  # torch.nn.BatchNorm1d's default


# ---- Feature scaling -----------------------------------------------------------------------------


class FeatureData(NamedTuple):
    x: np.ndarray  # (n, 2): x₁ ~ U[1, 2], x₂ ~ U[s, 2s]
    t: np.ndarray  # (n,)


def feature_data(scale: float, n: int = SAMPLES, seed: int = 0) -> FeatureData:
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


def population_curvature(scale: float) -> np.ndarray:
    """2·E[xxᵀ], the curvature 2XᵀX/N tends to as N grows: E[x²] = (a² + ab + b²)/3 for
    x ~ U[a, b], so E[x₁²] = 7/3, E[x₂²] = 7s²/3, and E[x₁x₂] = 1.5 · 1.5s (independent)."""
    s = float(np.clip(scale, *SCALE_RANGE))
    return 2.0 * np.array([[7 / 3, 2.25 * s], [2.25 * s, 7 * s**2 / 3]])


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

    surface: Surface
    optimum: np.ndarray
    start: tuple[float, float]
    conditioning: Conditioning


@functools.lru_cache(maxsize=16)
def scaling_problems(
    scale: float, n: int = SAMPLES, seed: int = 0
) -> tuple[ScalingProblem, ScalingProblem]:
    """The raw and the standardized (w₁, w₂) surfaces for the same data."""
    data = feature_data(scale, n, seed)
    return (
        _problem("raw", "raw features", data.x, data.t, ("w₁", "w₂")),
        _problem("standardized", "standardized features", standardize(data.x), data.t,
                 ("w̃₁", "w̃₂")),
    )  # fmt: skip


# L(w) = c + (w − m)ᵀA(w − m), with the coefficients as symbols: one form for every data set.
_COEFFICIENTS = sp.symbols("c m1 m2 a11 a12 a22", real=True)
_C, _M1, _M2, _A11, _A12, _A22 = _COEFFICIENTS
_QUADRATIC = _C + _A11 * (X - _M1) ** 2 + 2 * _A12 * (X - _M1) * (Y - _M2) + _A22 * (Y - _M2) ** 2


@functools.cache
def _compiled(exprs: tuple[sp.Expr, ...]):
    return sp.lambdify((X, Y, *_COEFFICIENTS), list(exprs), modules="numpy", cse=True)


class QuadraticSurface(Surface):
    """c + (w − m)ᵀA(w − m), its derivatives derived once from the symbolic form and compiled
    once per process; each data set only brings its numbers (compiling them in cost SymPy
    ~0.1 s per data set, and printed floats lose their last digits)."""

    def __init__(self, *, floor: float, centre: np.ndarray, half_hessian: np.ndarray, **fields):
        a = half_hessian
        self._coefficients = tuple(map(float, (floor, *centre, a[0, 0], a[0, 1], a[1, 1])))
        super().__init__(expr=_QUADRATIC, **fields)

    def _compile(self, exprs: list[sp.Expr]):
        function = _compiled(tuple(exprs))
        return lambda x, y: function(x, y, *self._coefficients)


def _problem(key: str, title: str, x: np.ndarray, t: np.ndarray, labels) -> ScalingProblem:
    bias, w = least_squares(x, t)
    start = tuple(float(a) for a in w + START_OFFSET)
    surface = QuadraticSurface(
        floor=np.mean((t - bias - x @ w) ** 2),
        centre=w,
        half_hessian=curvature(x) / 2,
        key=f"feature_scaling_{key}",
        title=f"ŷ = b* + w₁x₁ + w₂x₂, {title}",
        domain=tuple((float(c - HALF_WIDTH), float(c + HALF_WIDTH)) for c in w),
        default_start=start,
        latex=r"L(w_1, w_2) = \frac{1}{N}\sum_n \left(t^n - b^* - w_1 x_1^n - w_2 x_2^n\right)^2",
        critical=(("minimum", *w),),
        complete=True,
        axis_labels=labels,
        minima=(tuple(w),),
    )
    return ScalingProblem(surface, w, start, conditioning(curvature(x)))


class Spread(NamedTuple):
    """κ of the raw and the standardized curvature, one per data set (seeds 0, 1, …)."""

    raw: np.ndarray
    standardized: np.ndarray


@functools.lru_cache(maxsize=16)
def kappa_spread(scale: float, n: int = SAMPLES, seeds: int = 100) -> Spread:
    """How much the condition numbers owe to the sample: κ over ``seeds`` data sets of size n.

    Standardized, 2XᵀX/N is twice the features' correlation matrix, κ = (1 + |r|)/(1 − |r|), and
    the sample correlation r of independent features is of order 1/√N: κ → 1 as N grows.
    """
    kappas = []
    for seed in range(seeds):
        x = feature_data(scale, n, seed).x
        kappas.append([conditioning(curvature(v)).kappa for v in (x, standardize(x))])
    raw, standardized = np.array(kappas).T
    return Spread(raw, standardized)


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


class Moments(NamedTuple):
    """What the BN unit's loss needs of a batch (x, t): all of it, for any w, γ, β."""

    cov: np.ndarray  # (2, 2): C = mean((x − x̄)(x − x̄)ᵀ), biased as in BN
    cross: np.ndarray  # (2,): c = mean((x − x̄)·t)
    t_mean: float
    t_var: float  # biased


def moments(x: np.ndarray, t: np.ndarray) -> Moments:
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    centred = x - x.mean(axis=0)
    cov = np.array([[np.mean(centred[:, i] * centred[:, j]) for j in (0, 1)] for i in (0, 1)])
    cross = np.array([np.mean(centred[:, i] * t) for i in (0, 1)])
    return Moments(cov, cross, float(t.mean()), float(np.mean((t - t.mean()) ** 2)))


def bn_loss_and_grad(
    w: np.ndarray, x: np.ndarray, t: np.ndarray, gamma: float, beta: float, eps: float = EPS
) -> BNGrad:
    """Mean of (γ·BN(w·x) + β − t)² over the batch and its exact gradient, for any stack of w.

    With q = wᵀCw (the batch variance of z = w·x), s = √(q + ε) and u = w·c, the normalized
    ẑ = (z − z̄)/s has mean 0, mean(ẑ²) = q/s² and mean(ẑt) = u/s, so

        L = γ²q/s² − 2γu/s + (β − t̄)² + var(t),
        ∂L/∂w = 2γ²ε·Cw/s⁴ − 2γ(c/s − u·Cw/s³),  ∂L/∂γ = 2γq/s² − 2u/s,  ∂L/∂β = 2(β − t̄).

    A whole grid of w costs one pass over the grid, whatever the batch size. Written out with
    explicit products, not matmul: BLAS may round differently with an array's layout, and the
    same URL must give bit-identical figures.
    """
    m = moments(x, t)
    w = np.asarray(w, dtype=float)
    w1, w2 = w[..., 0], w[..., 1]
    cw = np.stack([m.cov[0, 0] * w1 + m.cov[0, 1] * w2, m.cov[1, 0] * w1 + m.cov[1, 1] * w2], -1)
    q = w1 * cw[..., 0] + w2 * cw[..., 1]
    u = w1 * m.cross[0] + w2 * m.cross[1]
    s = np.sqrt(q + eps)
    explained = q / s**2
    grad_w = (2 * gamma**2 * eps / s**4)[..., None] * cw - 2 * gamma * (
        m.cross / s[..., None] - (u / s**3)[..., None] * cw
    )
    return BNGrad(
        gamma**2 * explained - 2 * gamma * u / s + (beta - m.t_mean) ** 2 + m.t_var,
        grad_w,
        2 * gamma * explained - 2 * u / s,
        np.full(np.shape(q), 2.0 * (beta - m.t_mean)),
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


def losses_by_direction(
    data: BNData, epoch: np.ndarray, gamma: float, beta: float, angles: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The loss along the unit circle of w on each batch of ``epoch`` (one row each) and on all
    the data: by scale invariance, the circle IS the whole surface."""
    circle = (np.cos(angles), np.sin(angles))
    surfaces = [BatchNormSurface(data.x[idx], data.t[idx], gamma, beta) for idx in epoch]
    whole = BatchNormSurface(data.x, data.t, gamma, beta)
    return np.array([surface.f(*circle) for surface in surfaces]), whole.f(*circle)


class Invariance(NamedTuple):
    """How far BN(a·w·x) = BN(w·x) holds at one w (only ε keeps it from holding exactly)."""

    output_gap: float  # max over the samples of |BN(a·w·x) − BN(w·x)|
    loss_gap: float  # |L(a·w) − L(w)|
    cosine: float  # cos of the angle between w and ∇L(w): 0 when the gradient is orthogonal to w


def scale_invariance(
    data: BNData, w: np.ndarray, a: float, gamma: float = 1.0, beta: float = 0.0
) -> Invariance:
    w = np.asarray(w, dtype=float)
    outputs = [batch_norm(data.x @ (k * w), gamma, beta) for k in (1.0, a)]
    at = [bn_loss_and_grad(k * w, data.x, data.t, gamma, beta) for k in (1.0, a)]
    grad = at[0].w
    return Invariance(
        float(np.max(np.abs(outputs[1] - outputs[0]))),
        float(abs(at[1].loss - at[0].loss)),
        float(w @ grad / (np.linalg.norm(w) * np.linalg.norm(grad))),
    )


class NormGrowth(NamedTuple):
    """How a gradient-descent run under BN moves, step by step."""

    norms: np.ndarray  # ‖w_t‖
    turns: np.ndarray  # the angle between w_t and w_{t+1}, degrees (one fewer)
    effective: np.ndarray  # η/‖w_t‖²: the step in angle that η makes at this norm


def norm_growth(points: np.ndarray, lr: float) -> NormGrowth:
    """Each step is (almost) orthogonal to w, so ‖w_{t+1}‖² = ‖w_t‖² + η²‖∇L‖²: the norm only
    grows, and the turn, the only thing that changes the loss, shrinks like η/‖w‖²."""
    w = np.asarray(points, dtype=float)
    norms = np.linalg.norm(w, axis=1)
    cosine = np.sum(w[1:] * w[:-1], axis=1) / (norms[1:] * norms[:-1])
    return NormGrowth(norms, np.degrees(np.arccos(np.clip(cosine, -1, 1))), lr / norms**2)


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


class Evaluation(NamedTuple):
    """A trained BN unit at test time: its running statistics and the test losses."""

    running: RunningStats  # the running averages at the end of training
    whole: RunningStats  # mean and unbiased variance of z over the whole training set, final w
    own: np.ndarray  # test MSE per test batch size, each batch normalized by its own statistics
    with_running: float  # test MSE with the running statistics (the same for every batch size)


def evaluate(
    trained: BNTraining, train: BNData, test: BNData, sizes: tuple[int, ...], seed: int = 0
) -> Evaluation:
    """Test MSE when each test batch of size k uses its own statistics (per k), and with the
    running statistics (each sample is normalized on its own, whatever its batch)."""
    w, gamma, beta = trained.w[-1], float(trained.gamma[-1]), float(trained.beta[-1])
    running = RunningStats(float(trained.running.mean[-1]), float(trained.running.var[-1]))
    z_train = train.x @ w
    z = test.x @ w
    own = []
    for size in sizes:
        idx = batches(len(z), size, seed)
        own.append(float(np.mean((batch_norm(z[idx], gamma, beta) - test.t[idx]) ** 2)))
    return Evaluation(
        running,
        RunningStats(float(z_train.mean()), float(z_train.var(ddof=1))),
        np.array(own),
        float(np.mean((normalize_with(z, running, gamma, beta) - test.t) ** 2)),
    )
