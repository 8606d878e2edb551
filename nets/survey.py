"""Where trained networks stop: critical points, the Hessian's spectrum and the minimum ratio
(LECTURE.md part 1 and "Notes on the real-network experiments"), by one of three procedures.

- ``"homework"`` (MLDS 2018 HW1-2): train many networks, then minimise ‖∇L‖² from where each
  stopped (``find_critical``'s Levenberg–Marquardt steps), then read the exact Hessian.
- ``"finder"``: ``find_critical`` straight from the untrained starts: Newton on ∇L = 0, the solve
  proven on a linear autoencoder's closed-form critical points (nets.critical).
- ``"minimum"``: train, then descend the loss itself by saddle-free Newton to a minimum.

Minimising ‖∇L‖² can end where ∇L ≠ 0 but H·∇L ≈ 0, in flat regions that are not critical points
(Frye et al., Neural Computation 2021): every point carries its ‖∇L‖, and only those at or below
the stated tolerance are critical points; the others are stalls.

The ratio here is the share of a spectrum's eigenvalues above ``RELATIVE_ZERO`` × its own largest
|λ| (``relative_minimum_ratio``): relative to each point's own spectrum, as a network's loss has no
common scale. It is not surfaces.hessian's minimum ratio, whose zero is relative to a 2-D
surface's typical curvature over its domain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

import optimizers
from nets.critical import find_critical
from nets.model import Network, check_seconds, is_integer
from optimizers.engine import check
from optimizers.rules import Optimizer

MAX_RUNS = 100
MAX_STEPS = 10_000  # training steps
MAX_REFINE_STEPS = 1_000  # Newton steps after training
BOUND = 1e6  # a run whose parameter leaves [−BOUND, BOUND] has diverged (optimizers.train)
GRAD_TOL = 1e-8  # ‖∇L‖ at or below this counts as a critical point
RELATIVE_ZERO = 1e-7  # eigenvalues within RELATIVE_ZERO × max|λ| of zero count as zero
# The relative zero cutoffs and Newton budgets at which a survey's ratios are also read, to show
# how much of a ratio is the cutoff's and the budget's (report.sensitivity).
CUTOFFS = (0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3)
BUDGETS = (0, 3, 10, 30, 100, 300, 1000)
PROCEDURES = ("homework", "finder", "minimum")


Progress = Callable[[int, int], None]


class Survey(NamedTuple):
    """One point per run, where the ``procedure`` stopped (``survey``).

    ``eigenvalues`` are the Hessian's at ``thetas``, ascending; ``minimum_ratios`` and
    ``zero_tols`` as ``relative_minimum_ratio`` gives them; ``critical`` is ``grad_norms ≤
    grad_tol`` (absolute): only those points are critical points, the others stalled short of one.
    Where the loss itself tends to 0 far out (cross-entropy on data the network separates),
    ‖∇L‖ falls below the tolerance with it, on the way to infinity: read ``losses`` beside it.
    ``trained_*`` are loss and ‖∇L‖ where training left each run (the starts, for "finder").
    ``budgets`` (B,) are Newton step counts and ``budget_grad_norms``, ``budget_eigenvalues``
    (B, runs) and (B, runs, P) the points' ‖∇L‖ and spectra after that many steps (the last is
    the end). A run whose training diverged or met an undefined gradient (``diverged_at``: that
    step, else None) is NaN throughout.
    """

    procedure: str
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
    budgets: np.ndarray
    budget_grad_norms: np.ndarray
    budget_eigenvalues: np.ndarray


def relative_minimum_ratio(
    eigenvalues: np.ndarray, zero_tol: float = RELATIVE_ZERO
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
    check(is_integer(runs) and 1 <= runs <= MAX_RUNS, f"runs must be in [1, {MAX_RUNS}]")
    check(is_integer(seed) and seed >= 0, "seed must be an integer >= 0")
    return np.stack([network.init(seed * MAX_RUNS + r) for r in range(runs)])


def default_optimizer() -> Optimizer:
    """Adam at η = 0.01, the homework's."""
    return optimizers.make_optimizer("adam", lr=1e-2)


def train_network(
    network: Network,
    starts: np.ndarray,
    optimizer: Optimizer | None = None,
    *,
    steps: int = 2000,
    keep_every: int = 1,
    progress: Progress | None = None,
) -> optimizers.Training:
    """``optimizers.train`` on the network's whole-dataset gradient: every row of ``starts``
    (runs, P) trained with ``optimizer`` (``optimizers.make_optimizer``'s, schedule included;
    default ``default_optimizer()``) for ``steps`` steps, all runs together, θ kept every
    ``keep_every`` steps. A run diverges when a parameter leaves [−BOUND, BOUND] or becomes
    non-finite."""
    starts = np.asarray(starts, dtype=float)
    runs = len(starts)
    check(starts.ndim == 2 and starts.shape[1] == network.n_params, "starts must be (runs, P)")
    check(1 <= runs <= MAX_RUNS, f"runs must be in [1, {MAX_RUNS}]")
    check(is_integer(steps) and 0 <= steps <= MAX_STEPS, f"steps must be in [0, {MAX_STEPS}]")
    check_seconds(network, runs, steps, 0)
    opt = default_optimizer() if optimizer is None else optimizer
    tick = _ticker(progress, steps)

    def grad_fn(theta: np.ndarray) -> np.ndarray:
        tick()
        return network.grad(theta)

    return optimizers.train(
        grad_fn, [opt] * runs, starts, steps, keep_every=keep_every, bound=BOUND
    )


def survey(
    network: Network,
    runs: int,
    *,
    seed: int = 0,
    optimizer: Optimizer | None = None,
    steps: int = 2000,
    procedure: str = "homework",
    refine_steps: int = 100,
    grad_tol: float = GRAD_TOL,
    zero_tol: float = RELATIVE_ZERO,
    progress: Progress | None = None,
) -> Survey:
    """Train ``runs`` networks (run r from ``network.init(seed·MAX_RUNS + r)``) for ``steps``
    steps of ``optimizer`` (default ``default_optimizer()``), then ``refine_steps`` Newton steps
    of the ``procedure`` (module docstring; "finder" trains nothing), stopping a run once
    ‖∇L‖ ≤ ``grad_tol``; read the exact Hessian's eigenvalues and minimum ratio where each
    stopped, and after each of BUDGETS Newton steps on the way. ``progress(done, total)`` is
    called as training and Newton steps complete.
    """
    check(procedure in PROCEDURES, f"procedure must be one of {PROCEDURES}, got {procedure!r}")
    check(0 <= zero_tol < 1, "zero_tol must lie in [0, 1)")
    check(
        is_integer(refine_steps) and 0 <= refine_steps <= MAX_REFINE_STEPS,
        f"refine steps must be an integer in [0, {MAX_REFINE_STEPS}]",
    )
    check(grad_tol >= 0, "grad_tol must be >= 0")
    begin = starts(network, runs, seed)
    steps = 0 if procedure == "finder" else steps
    check(is_integer(steps) and 0 <= steps <= MAX_STEPS, f"steps must be in [0, {MAX_STEPS}]")
    check_seconds(network, runs, steps, refine_steps)
    total = steps + refine_steps
    trained = train_network(network, begin, optimizer, steps=steps, keep_every=max(steps, 1),
                            progress=_offset(progress, 0, total))  # fmt: skip
    theta = np.array(trained.thetas[-1], dtype=float)
    diverged = [
        None if d is None and u is None else int(d if d is not None else u)
        for d, u in zip(trained.diverged_at, trained.undefined_at, strict=True)
    ]
    theta[np.array([d is not None for d in diverged])] = np.nan
    trained_losses, trained_norms = network.loss(theta), np.linalg.norm(network.grad(theta), axis=1)
    budgets = np.array([b for b in BUDGETS if b < refine_steps] + [refine_steps])
    method = "minimum" if procedure == "minimum" else "gradient"
    found, mu, done = None, None, 0
    norms, spectra = [], []
    for budget in budgets:
        found = find_critical(network, theta, tol=grad_tol, steps=int(budget - done),
                              method=method, damping=mu)  # fmt: skip
        theta, mu, done = found.thetas, found.damping, int(budget)
        norms.append(found.grad_norms)
        spectra.append(found.eigenvalues)
        if progress is not None:
            progress(steps + done, total)
    ratios, tols = relative_minimum_ratio(found.eigenvalues, zero_tol)
    return Survey(
        procedure=procedure,
        thetas=found.thetas,
        losses=found.losses,
        grad_norms=found.grad_norms,
        eigenvalues=found.eigenvalues,
        minimum_ratios=ratios,
        zero_tols=tols,
        critical=found.grad_norms <= grad_tol,
        grad_tol=float(grad_tol),
        trained_losses=trained_losses,
        trained_grad_norms=trained_norms,
        diverged_at=diverged,
        budgets=budgets,
        budget_grad_norms=np.array(norms),
        budget_eigenvalues=np.array(spectra),
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
