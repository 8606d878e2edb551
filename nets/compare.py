"""Batch norm against none on one architecture (issue 15): the same data, start and optimizer at
several learning rates, and what each network's surface looks like along the way.

Both networks start from the same Linear weights (``Network.init`` draws only those; batch norm
adds γ = 1, β = 0), so the only difference is the BatchNorm1d after every hidden Linear. At
checkpoints of every run: the exact Hessian's top eigenvalue and κ of its positive part
(``nets.curvature``), and Santurkar et al.'s measures along the gradient (``nets.smoothness``)
over step sizes η' from η/2 to 4η around the run's own η.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

import optimizers
from nets.curvature import curvature
from nets.landscape import Slice, random_plane, smoothness
from nets.model import Network, check_work, is_integer, mlp
from nets.survey import BOUND, MAX_STEPS, ZERO_TOL

MAX_RATES = 6
MAX_CHECKPOINTS = 10
BAND = (0.5, 4.0)  # smoothness step sizes η' from BAND[0]·η to BAND[1]·η ...
BAND_POINTS = 8  # ... on a log grid of this many

Progress = Callable[[int, int], None]


class Run(NamedTuple):
    """One network trained from one start at each of ``rates`` (R of them).

    ``losses`` (steps + 1, R) per step, NaN from ``diverged_at`` on (the step whose θ left
    [−BOUND, BOUND], was not finite or had no finite gradient; None for a run that kept going).
    At the ``checkpoints`` (C,) steps, each (C, R) and NaN once a run has diverged: ``top`` the
    Hessian's λmax, ``kappa`` λmax/λ₊ (``nets.curvature``), ``loss_band`` and ``grad_band``
    (C, R, 2) the least and largest L(θ − η'∇L) and ‖∇L(θ − η'∇L) − ∇L(θ)‖ over the band's η',
    ``beta`` Santurkar's effective β-smoothness. ``ends`` (R, P): θ where each run stopped."""

    network: Network
    rates: np.ndarray
    losses: np.ndarray
    diverged_at: tuple[int | None, ...]
    checkpoints: np.ndarray
    top: np.ndarray
    kappa: np.ndarray
    loss_band: np.ndarray
    grad_band: np.ndarray
    beta: np.ndarray
    ends: np.ndarray


class Comparison(NamedTuple):
    plain: Run
    normalized: Run


def checkpoint_steps(steps: int, count: int) -> np.ndarray:
    """``count`` steps evenly spread over [0, steps], both ends included (fewer when steps is
    small)."""
    return np.unique(np.rint(np.linspace(0, steps, count)).astype(int))


def band_etas(rate: float) -> np.ndarray:
    """The step sizes of the smoothness band around a run's η."""
    return rate * np.geomspace(*BAND, BAND_POINTS)


def compare(
    widths: Sequence[int],
    *,
    activation: str = "relu",
    rates: Sequence[float] = (0.01, 0.1, 1.0),
    steps: int = 200,
    optimizer: str = "sgd",
    checkpoints: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
    **hyper: Any,
) -> Comparison:
    """The network ``widths`` without and with batch norm (``nets.mlp``, regression on sinc),
    each trained by ``optimizer`` (``optimizers.make_optimizer`` with ``hyper``) at every rate
    in ``rates`` from ``init(seed)``, for ``steps`` full-batch steps, measured at ``checkpoints``
    steps. ``progress(done, total)`` is called as training steps and measurements complete.

    Raises ValueError naming the limit: MAX_RATES positive rates, MAX_STEPS steps, 2 to
    MAX_CHECKPOINTS checkpoints, the networks' own limits and MAX_WORK.
    """
    rates = np.asarray(rates, dtype=float).ravel()
    _check(1 <= len(rates) <= MAX_RATES, f"give 1 to {MAX_RATES} learning rates")
    _check(bool(np.all(np.isfinite(rates) & (rates > 0))), "learning rates must be positive")
    _check(is_integer(steps) and 1 <= steps <= MAX_STEPS, f"steps must be in [1, {MAX_STEPS}]")
    _check(is_integer(checkpoints) and 2 <= checkpoints <= MAX_CHECKPOINTS,
           f"checkpoints must be in [2, {MAX_CHECKPOINTS}]")  # fmt: skip
    pair = [mlp(widths, activation=activation, batch_norm=bn) for bn in (False, True)]
    marks = checkpoint_steps(steps, checkpoints)
    spectra = len(rates) * (len(marks) - 1) + 1
    for network in pair:
        check_work(network, len(rates) * steps * 3 + spectra * 3 * network.n_params
                   + len(rates) * len(marks) * (BAND_POINTS * 4 + 3))  # fmt: skip
    total = 2 * (steps + spectra + len(rates) * len(marks))
    done = [0]

    def tick(units: int = 1) -> None:
        done[0] += units
        if progress is not None:
            progress(min(done[0], total), total)

    runs = [_run(network, network.init(seed), rates, steps, marks, optimizer, hyper, tick)
            for network in pair]  # fmt: skip
    return Comparison(*runs)


def _run(
    network: Network,
    start: np.ndarray,
    rates: np.ndarray,
    steps: int,
    marks: np.ndarray,
    optimizer: str,
    hyper: dict[str, Any],
    tick: Callable[..., None],
) -> Run:
    opts = [optimizers.make_optimizer(optimizer, lr=float(lr), **hyper) for lr in rates]

    def grad(theta: np.ndarray) -> np.ndarray:
        tick()
        return network.grad(theta)

    trained = optimizers.train(grad, opts, np.tile(start, (len(rates), 1)), steps, bound=BOUND)
    pairs = zip(trained.diverged_at, trained.undefined_at, strict=True)
    stops = tuple(d if d is not None else u for d, u in pairs)
    gone = np.array([[s is not None and t >= s for s in stops] for t in range(steps + 1)])
    thetas = np.array(trained.thetas)  # (steps + 1, R, P)
    thetas[gone] = np.nan
    losses = network.loss(thetas.reshape(-1, network.n_params)).reshape(gone.shape)
    at = thetas[marks]  # (C, R, P)
    top, kappa = _curvature(network, at, tick)
    loss_band, grad_band = np.full((*at.shape[:2], 2), np.nan), np.full((*at.shape[:2], 2), np.nan)
    beta = np.full(at.shape[:2], np.nan)
    for c, r in np.ndindex(*at.shape[:2]):
        tick()
        if np.all(np.isfinite(at[c, r])):
            found = smoothness(network, at[c, r], band_etas(rates[r]))
            loss_band[c, r] = np.min(found.losses), np.max(found.losses)
            grad_band[c, r] = np.min(found.grad_changes), np.max(found.grad_changes)
            beta[c, r] = found.beta
    ends = np.array(trained.thetas[-1])
    return Run(network, rates, losses, stops, marks, top, kappa, loss_band, grad_band, beta, ends)


def _curvature(
    network: Network, thetas: np.ndarray, tick: Callable[..., None]
) -> tuple[np.ndarray, np.ndarray]:
    """λmax and κ at each finite θ of ``thetas`` (C, R, P), each distinct θ once (every run
    starts at the same θ), NaN elsewhere."""
    flat = thetas.reshape(-1, network.n_params)
    finite = np.all(np.isfinite(flat), axis=1)
    unique, inverse = np.unique(flat[finite], axis=0, return_inverse=True)
    found = curvature(network, unique, zero_tol=ZERO_TOL)
    tick(len(unique))
    top, kappa = np.full(len(flat), np.nan), np.full(len(flat), np.nan)
    top[finite], kappa[finite] = found.top[inverse.ravel()], found.kappa[inverse.ravel()]
    return top.reshape(thetas.shape[:2]), kappa.reshape(thetas.shape[:2])


def end_slices(
    comparison: Comparison, rate: int, *, seed: int = 0, span: float = 1.0
) -> tuple[Slice, Slice]:
    """Li et al.'s random planes (``nets.random_plane``, filter-normalised) through each
    network's end point at rate number ``rate``, the same seed for both."""
    return tuple(random_plane(run.network, run.ends[rate], seed=seed, span=span)
                 for run in comparison)  # type: ignore[return-value]  # fmt: skip


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


class Outcome(NamedTuple):
    """How one run ended: the loss at its last step (NaN if it diverged), the step it diverged
    at (or None), and whether it trained: no divergence and a last loss below the first."""

    loss: float
    diverged_at: int | None
    trained: bool


def outcomes(run: Run) -> list[Outcome]:
    """One Outcome per rate."""
    first, last = run.losses[0], run.losses[-1]
    return [Outcome(float(f), d, bool(d is None and f < s))
            for f, s, d in zip(last, first, run.diverged_at, strict=True)]  # fmt: skip
