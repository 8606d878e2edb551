"""Where trained networks stop: critical points, the Hessian's spectrum, the minimum ratio, and the
curvature along a training path (LECTURE.md part 1 and "Notes on the real-network experiments").

The homework's recipe (MLDS 2018 HW1-2): train many networks, then drive each to a critical point
by minimising ‖∇L‖², then read the exact Hessian's eigenvalues. Gradient-norm minimisation can end
where ∇L ≠ 0 but H·∇L = 0, in flat regions that are not critical points (Frye et al., Neural
Computation 2021), so every point carries its ‖∇L‖ and whether it is below the tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import optimizers
from nets.model import Network, check_work, is_integer

MAX_RUNS = 100
MAX_STEPS = 10_000  # training steps
MAX_REFINE_STEPS = 500
BOUND = 1e6  # a run whose parameter leaves [−BOUND, BOUND] has diverged (optimizers.train)
GRAD_TOL = 1e-8  # ‖∇L‖ at or below this counts as a critical point
ZERO_TOL = 1e-7  # eigenvalues within ZERO_TOL × max|λ| of zero count as zero

Progress = Callable[[int, int], None]


class Survey(NamedTuple):
    """One point per run, where refinement stopped (``survey``).

    ``eigenvalues`` are the Hessian's at ``thetas``, ascending; ``minimum_ratios`` and
    ``zero_tols`` as ``minimum_ratio`` gives them; ``critical`` is ``grad_norms ≤ grad_tol``
    (absolute): only those points are critical points, the others stalled short of one. Where
    the loss itself tends to 0 far out (cross-entropy on data the network separates), ‖∇L‖
    falls below the tolerance with it, on the way to infinity: read ``losses`` beside it.
    ``trained_*`` are loss and ‖∇L‖ where training left each run. A run whose training
    diverged or met an undefined gradient (``diverged_at``: that step, else None) is NaN
    throughout.
    """

    thetas: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    eigenvalues: np.ndarray
    minimum_ratios: np.ndarray
    zero_tols: np.ndarray
    critical: np.ndarray
    grad_tol: float
    trained_losses: np.ndarray
    trained_grad_norms: np.ndarray
    diverged_at: list[int | None]


def minimum_ratio(
    eigenvalues: np.ndarray, zero_tol: float = ZERO_TOL
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum ratio #positive / #all per spectrum (last axis), and the absolute tolerance used.

    An eigenvalue λ counts as zero when |λ| ≤ zero_tol · max_j |λ_j| (relative to its own
    spectrum, so it does not depend on the loss's scale), and zeros do NOT count as positive: a
    flat direction is not evidence of a minimum. So the ratio is #(λ > tol) / P; NaN spectra give
    NaN.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    tol = zero_tol * np.max(np.abs(lam), axis=-1)
    ratio = np.mean(lam > tol[..., None], axis=-1)
    return np.where(np.isfinite(tol), ratio, np.nan), tol


def starts(network: Network, runs: int, seed: int = 0) -> np.ndarray:
    """(runs, P) initial θs: run r is ``network.init(seed·MAX_RUNS + r)``, so different seeds
    never share a run."""
    _check(is_integer(runs) and 1 <= runs <= MAX_RUNS, f"runs must be in [1, {MAX_RUNS}]")
    _check(is_integer(seed) and seed >= 0, "seed must be an integer >= 0")
    return np.stack([network.init(seed * MAX_RUNS + r) for r in range(runs)])


def train(
    network: Network,
    starts: np.ndarray,
    *,
    optimizer: str = "adam",
    steps: int = 2000,
    keep_every: int = 1,
    progress: Progress | None = None,
    **hyper: Any,
) -> Any:
    """Train every row of ``starts`` (runs, P) on the whole dataset for ``steps`` steps with
    ``optimizers.make_optimizer(optimizer, **hyper)`` (torch's update rules, e.g. lr=0.01), all
    runs together; returns ``optimizers.train``'s Training (θ every ``keep_every`` steps). A run
    diverges when a parameter leaves [−BOUND, BOUND] or becomes non-finite."""
    starts = np.asarray(starts, dtype=float)
    runs = len(starts)
    _check(starts.ndim == 2 and starts.shape[1] == network.n_params, "starts must be (runs, P)")
    _check(1 <= runs <= MAX_RUNS, f"runs must be in [1, {MAX_RUNS}]")
    _check(is_integer(steps) and 0 <= steps <= MAX_STEPS, f"steps must be in [0, {MAX_STEPS}]")
    check_work(network, runs * steps * 3)
    opt = optimizers.make_optimizer(optimizer, **hyper)
    tick = _ticker(progress, steps)

    def grad_fn(theta: np.ndarray) -> np.ndarray:
        tick()
        return network.grad(theta)

    return optimizers.train(
        grad_fn, [opt] * runs, starts, steps, keep_every=keep_every, bound=BOUND
    )


class Refined(NamedTuple):
    """Per run: θ where refinement stopped, ‖∇L‖ there, and the Hessian's eigenvalues there
    (ascending)."""

    thetas: np.ndarray
    grad_norms: np.ndarray
    eigenvalues: np.ndarray


def refine(
    network: Network,
    thetas: np.ndarray,
    *,
    steps: int = 100,
    grad_tol: float = GRAD_TOL,
    progress: Progress | None = None,
) -> Refined:
    """Drive each row of ``thetas`` (runs, P) towards a critical point: Levenberg–Marquardt on
    ½‖g‖² (g = ∇L(θ), whose Jacobian is H = ∇²L(θ) = Q diag(λ) Qᵀ), per run,

        δ = −(H² + μI)⁻¹ H g = −Q diag(λᵢ / (λᵢ² + μ)) Qᵀ g,

    a step accepted when it lowers ‖g‖ (then μ ← μ/3, else μ ← 4μ; μ₀ = 1e-6 · max λᵢ²), for
    at most ``steps`` steps or until ‖g‖ ≤ grad_tol. Small μ gives Newton's step to the nearest
    critical point of any kind, saddles included; large μ, gradient descent on ½‖g‖². It can
    stall where H·g ≈ 0 but g ≠ 0 (Frye et al. 2021): read ``grad_norms``. Non-finite rows stay
    as they are. ``progress(done, steps)`` is called as steps complete.
    """
    theta = np.array(thetas, dtype=float)
    _check(theta.ndim == 2 and theta.shape[1] == network.n_params, "thetas must be (runs, P)")
    _check(1 <= len(theta) <= MAX_RUNS, f"runs must be in [1, {MAX_RUNS}]")
    _check_refine(steps, grad_tol)
    check_work(network, len(theta) * (steps + 1) * (3 + 3 * network.n_params))
    tick = _ticker(progress, steps)
    g = network.grad(theta)
    lam, q = network.spectrum(theta)
    norm = np.linalg.norm(g, axis=1)
    mu = 1e-6 * np.max(lam**2, axis=1)
    for _ in range(steps):
        active = norm > grad_tol  # False for NaN
        if not active.any():
            break
        tick()
        coeff = lam / (lam**2 + mu[:, None]) * np.einsum("rpi,rp->ri", q, g)
        trial = theta - np.einsum("rpi,ri->rp", q, coeff)
        g_trial = network.grad(trial)
        better = active & (np.linalg.norm(g_trial, axis=1) < norm)
        mu = np.where(better, mu / 3, mu * 4)
        if better.any():
            theta[better], g[better] = trial[better], g_trial[better]
            norm[better] = np.linalg.norm(g[better], axis=1)
            lam[better], q[better] = network.spectrum(theta[better])
    return Refined(theta, norm, lam)


def survey(
    network: Network,
    runs: int,
    *,
    seed: int = 0,
    optimizer: str = "adam",
    lr: float = 1e-2,
    steps: int = 2000,
    refine_steps: int = 100,
    grad_tol: float = GRAD_TOL,
    zero_tol: float = ZERO_TOL,
    progress: Progress | None = None,
    **hyper: Any,
) -> Survey:
    """The homework's experiment: train ``runs`` networks (run r from
    ``network.init(seed·MAX_RUNS + r)``) for ``steps`` steps of ``optimizer`` (``lr`` and other
    keywords go to ``optimizers.make_optimizer``), ``refine`` each for ``refine_steps`` steps,
    and read the exact Hessian's eigenvalues and minimum ratio where each stopped.
    ``progress(done, total)`` is called as training and refinement steps complete.
    """
    _check(0 <= zero_tol < 1, "zero_tol must lie in [0, 1)")
    _check_refine(refine_steps, grad_tol)
    begin = starts(network, runs, seed)
    check_work(network, runs * (steps * 3 + (refine_steps + 1) * (3 + 3 * network.n_params)))
    total = steps + refine_steps
    trained = train(
        network, begin, optimizer=optimizer, lr=lr, steps=steps, keep_every=max(steps, 1),
        progress=_offset(progress, 0, total), **hyper,
    )  # fmt: skip
    theta = np.array(trained.thetas[-1], dtype=float)
    diverged = [
        None if d is None and u is None else int(d if d is not None else u)
        for d, u in zip(trained.diverged_at, trained.undefined_at, strict=True)
    ]
    theta[np.array([d is not None for d in diverged])] = np.nan
    trained_losses, trained_norms = network.loss(theta), np.linalg.norm(network.grad(theta), axis=1)
    done = refine(
        network, theta, steps=refine_steps, grad_tol=grad_tol,
        progress=_offset(progress, steps, total),
    )  # fmt: skip
    ratios, tols = minimum_ratio(done.eigenvalues, zero_tol)
    if progress is not None:
        progress(total, total)
    return Survey(
        thetas=done.thetas,
        losses=network.loss(done.thetas),
        grad_norms=done.grad_norms,
        eigenvalues=done.eigenvalues,
        minimum_ratios=ratios,
        zero_tols=tols,
        critical=done.grad_norms <= grad_tol,
        grad_tol=float(grad_tol),
        trained_losses=trained_losses,
        trained_grad_norms=trained_norms,
        diverged_at=diverged,
    )


def _ticker(progress: Progress | None, total: int) -> Callable[[], None]:
    """A callable counting completed units, reporting (done, total) about 100 times."""
    count = [0]
    every = max(1, total // 100)

    def tick() -> None:
        count[0] += 1
        if progress is not None and count[0] % every == 0 and count[0] <= total:
            progress(count[0], total)

    return tick


def _offset(progress: Progress | None, done: int, total: int) -> Progress | None:
    return None if progress is None else (lambda d, _t: progress(done + d, total))


def _check_refine(steps: int, grad_tol: float) -> None:
    _check(
        is_integer(steps) and 0 <= steps <= MAX_REFINE_STEPS,
        f"refine steps must be an integer in [0, {MAX_REFINE_STEPS}]",
    )
    _check(grad_tol >= 0, "grad_tol must be >= 0")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)
