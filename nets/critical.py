"""Critical points of a network's loss, found by Newton-type solves with the exact Hessian, and a
network whose critical points are known in closed form to prove them on.

``find_critical`` solves ∇L(θ) = 0 from each start by Levenberg–Marquardt on ½‖∇L‖²: with
H = Q diag(λ) Qᵀ (∇L's Jacobian),

    δ = −(H² + μI)⁻¹ H ∇L = −Q diag(λᵢ / (λᵢ² + μ)) Qᵀ ∇L,

accepted when it lowers ‖∇L‖ (then μ ← μ/3, else μ ← 4μ; μ₀ = 1e-6·λmax²). As μ → 0 this is the
least-squares Newton step (Newton-MR's, Roosta et al. 2018): it converges to the nearest critical
point of any kind, minima and saddles alike, quadratically where H's non-zero part is regular.
``method="minimum"`` instead descends the loss itself by saddle-free Newton (δ = −Q diag(1 /
(|λᵢ| + μ)) Qᵀ ∇L, accepted when L falls; Dauphin et al. 2014), which leaves saddles and ends at a
minimum. Each start's whole loop runs in one compiled JAX call.

``autoencoder_levels`` gives the closed form of a linear autoencoder's critical losses (Baldi &
Hornik 1989; Frye et al. 2019 used it to test such finders): with S the inputs' centred, biased
covariance (eigenvalues s₁ > … > s_d) and a bottleneck of k units, every critical point's loss
(nn.MSELoss(), a mean over the n·d outputs) is (tr S − Σ_{i∈A} sᵢ)/d for a subset A of at most k
of the eigenvalues, and only the lowest level, A = {1, …, k}, holds minima.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from nets.model import Network, check_seconds, is_integer
from optimizers.engine import check

METHODS = ("gradient", "minimum")
MAX_STARTS = 100
MAX_SOLVE_STEPS = 2_000
CRITICAL_TOL = 1e-10  # find_critical's default: ‖∇L‖ at or below this is a critical point


class Critical(NamedTuple):
    """Per start: θ where the solve ended, L and ‖∇L‖ there, the Hessian's eigenvalues there
    (ascending), ``converged`` (‖∇L‖ ≤ ``tol`` at that θ), the Newton steps tried, and μ at the
    end (to continue a solve). Non-finite starts stay NaN and never converge."""

    thetas: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    eigenvalues: np.ndarray
    converged: np.ndarray
    steps: np.ndarray
    damping: np.ndarray
    tol: float


def find_critical(
    network: Network,
    thetas: np.ndarray,
    *,
    tol: float = CRITICAL_TOL,
    steps: int = 200,
    method: str = "gradient",
    damping: np.ndarray | None = None,
) -> Critical:
    """Solve ∇L = 0 from every row of ``thetas`` ((m, P), or (P,) for one start) for at most
    ``steps`` Newton steps each, stopping a start once ‖∇L‖ ≤ ``tol``; see the module docstring
    for ``method``. ``damping`` (m,) continues solves from a previous call's μ."""
    check(method in METHODS, f"method must be one of {METHODS}, got {method!r}")
    check(tol >= 0, "tol must be >= 0")
    check(
        is_integer(steps) and 0 <= steps <= MAX_SOLVE_STEPS,
        f"steps must be an integer in [0, {MAX_SOLVE_STEPS}]",
    )
    starts = np.array(thetas, dtype=float)
    single = starts.ndim == 1
    starts = np.atleast_2d(starts)
    check(
        starts.ndim == 2 and starts.shape[1] == network.n_params,
        f"thetas must have shape (P,) or (starts, P) with P = {network.n_params}",
    )
    check(1 <= len(starts) <= MAX_STARTS, f"give 1 to {MAX_STARTS} starts")
    check_seconds(network, len(starts), 0, steps)
    mu = np.full(len(starts), np.nan) if damping is None else np.array(damping, dtype=float)
    check(mu.shape == (len(starts),), "damping must have one value per start")
    from nets.kernels import solver

    finite = np.all(np.isfinite(starts), axis=1)
    out, taken = starts.copy(), np.zeros(len(starts), dtype=int)
    solve = solver(network.arch, network.n_samples, method == "minimum")
    for i in np.flatnonzero(finite):
        theta, m, k = solve(starts[i], mu[i], network.inputs, network.targets, steps, float(tol))
        out[i], mu[i], taken[i] = np.asarray(theta), float(m), int(k)
    losses, norms = network.loss(out), np.linalg.norm(network.grad(out), axis=1)
    lam = np.full_like(out, np.nan)
    if finite.any():
        lam[finite] = network.spectrum(out[finite])[0]
    found = Critical(out, losses, norms, lam, norms <= tol, taken, mu, float(tol))
    if single:
        return Critical(*(f[0] if isinstance(f, np.ndarray) else f for f in found))
    return found


class Levels(NamedTuple):
    """A linear autoencoder's critical losses: ``losses`` ascending, one per subset A of at most
    k of S's eigenvalues (``subsets``, indices into ``eigenvalues``, descending); ``index`` the
    Hessian's number of negative eigenvalues at that level's critical points."""

    eigenvalues: np.ndarray
    losses: np.ndarray
    subsets: tuple[tuple[int, ...], ...]


def autoencoder_levels(network: Network) -> Levels:
    """The closed-form critical losses of ``network``, a linear (d, k, d) autoencoder (module
    docstring); levels that coincide (equal sums) appear once per subset."""
    d, k = network.widths[0], min(network.widths[1:-1], default=network.widths[0])
    check(
        network.task == "autoencoder" and network.activation == "linear",
        "autoencoder_levels needs a linear autoencoder",
    )
    x = network.inputs - network.inputs.mean(axis=0)
    s = np.linalg.eigvalsh(x.T @ x / len(x))[::-1]
    subsets = [c for r in range(k + 1) for c in itertools.combinations(range(d), r)]
    losses = np.array([(s.sum() - s[list(c)].sum()) / d for c in subsets])
    order = np.argsort(losses, kind="stable")
    return Levels(s, losses[order], tuple(subsets[i] for i in order))


def nearest_level(levels: Levels, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each loss, the index of the closest closed-form level and the distance to it."""
    losses = np.asarray(losses, dtype=float)
    gaps = np.abs(losses[..., None] - levels.losses)
    nearest = np.argmin(np.where(np.isnan(gaps), np.inf, gaps), axis=-1)
    return nearest, np.take_along_axis(gaps, nearest[..., None], axis=-1)[..., 0]
