"""Batch norm against none on one architecture (issue 15): the same data, starts and optimizer at
several learning rates and seeds, and what each network's surface looks like along the way.

Both networks start from the same Linear weights (``Network.init`` draws only those; batch norm
adds γ = 1, β = 0), so the only difference is the BatchNorm1d after every hidden Linear. At
checkpoints of every run: the exact Hessian's λmax as it is (what gradient descent's step meets:
η·λmax against 2, the edge of stability of Cohen et al. 2021) and at the same function with its
scale fixed (``nets.curvature``'s ``effective_top``), Santurkar et al.'s measures along the
gradient (``nets.smoothness``) over step sizes η' from η/2 to 4η around the run's own η, and the
ReLU units that are dead. Every figure is measured over several seeds: one seed's numbers can go
either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

import optimizers
from nets.arch import BN_EPS
from nets.curvature import curvature
from nets.landscape import Slice, random_plane, smoothness
from nets.model import Network, check_work, is_integer, mlp
from nets.survey import BOUND, MAX_STEPS
from optimizers import Optimizer
from optimizers.engine import check

MAX_RATES = 6
MAX_SEEDS = 8
MAX_CHECKPOINTS = 10
BAND = (0.5, 4.0)  # smoothness step sizes η' from BAND[0]·η to BAND[1]·η ...
BAND_POINTS = 8  # ... on a log grid of this many

Progress = Callable[[int, int], None]


class Run(NamedTuple):
    """One network trained from each seed's start (S of them) at each of ``rates`` (R).

    ``losses`` (steps + 1, S, R) per step, NaN from ``diverged_at[s][r]`` on (the step whose θ
    left [−BOUND, BOUND], was not finite or had no finite gradient; None for a run that kept
    going). At the ``checkpoints`` (C,) steps, each (C, S, R) and NaN once a run has diverged:
    ``top`` the Hessian's λmax, ``effective_top`` λmax with the rows feeding a batch norm at unit
    norm (``nets.curvature``), ``loss_band`` and ``grad_band`` (C, S, R, 2) the least and largest
    L(θ − η'∇L) and ‖∇L(θ − η'∇L) − ∇L(θ)‖ over the band's η', ``beta`` Santurkar's effective
    β-smoothness, ``dead`` the number of dead ReLU units (``dead_units``; NaN for other
    activations). ``ends`` (S, R, P): θ where each run stopped."""

    network: Network
    rates: np.ndarray
    seeds: np.ndarray
    losses: np.ndarray
    diverged_at: tuple[tuple[int | None, ...], ...]
    checkpoints: np.ndarray
    top: np.ndarray
    effective_top: np.ndarray
    loss_band: np.ndarray
    grad_band: np.ndarray
    beta: np.ndarray
    dead: np.ndarray
    ends: np.ndarray

    def loss_range(self, *, relative: bool = False) -> np.ndarray:
        """(C, S, R): how much the loss varies along −∇L over the band's step sizes, largest
        minus least, divided by the loss at the checkpoint when ``relative``."""
        spread = self.loss_band[..., 1] - self.loss_band[..., 0]
        return spread / self.losses[self.checkpoints] if relative else spread


class Comparison(NamedTuple):
    plain: Run
    normalized: Run


def checkpoint_steps(steps: int, count: int) -> np.ndarray:
    """``count`` steps evenly spread over [0, steps], both ends included (fewer when steps is
    small)."""
    return np.unique(np.rint(np.linspace(0, steps, count)).astype(int))


def band_etas(rate: float | np.ndarray) -> np.ndarray:
    """The step sizes of the smoothness band around a run's η, (BAND_POINTS,) (or one row per
    rate of an array of rates)."""
    return np.multiply.outer(rate, np.geomspace(*BAND, BAND_POINTS))


def at_rate(optimizer: Optimizer, rate: float) -> Optimizer:
    """``optimizer`` with its learning rate set to ``rate``, every other hyperparameter kept."""
    return optimizers.make_optimizer(optimizer.name, **(optimizer.hyper | {"lr": float(rate)}))


def compare(
    widths: Sequence[int],
    optimizer: Optimizer,
    *,
    activation: str = "relu",
    rates: Sequence[float] = (0.01, 0.1, 1.0),
    steps: int = 200,
    checkpoints: int = 5,
    seeds: Sequence[int] = (0,),
    progress: Progress | None = None,
) -> Comparison:
    """The network ``widths`` without and with batch norm (``nets.mlp``, regression on sinc),
    each trained by ``optimizer`` (an ``optimizers.make_optimizer``; its learning rate replaced
    by each of ``rates`` in turn) from ``init(seed)`` for every seed of ``seeds``, for ``steps``
    full-batch steps, measured at ``checkpoints`` steps. ``progress(done, total)`` is called as
    training steps and measurements complete.

    Raises ValueError naming the limit: MAX_RATES positive rates, 1 to MAX_SEEDS distinct seeds,
    MAX_STEPS steps, 2 to MAX_CHECKPOINTS checkpoints, the networks' own limits and MAX_WORK.
    """
    rates = np.asarray(rates, dtype=float).ravel()
    check(1 <= len(rates) <= MAX_RATES, f"give 1 to {MAX_RATES} learning rates")
    check(bool(np.all(np.isfinite(rates) & (rates > 0))), "learning rates must be positive")
    seeds = tuple(seeds)
    check(1 <= len(seeds) <= MAX_SEEDS and len(set(seeds)) == len(seeds)
          and all(is_integer(s) and s >= 0 for s in seeds),
          f"give 1 to {MAX_SEEDS} distinct seeds, integers >= 0")  # fmt: skip
    check(is_integer(steps) and 1 <= steps <= MAX_STEPS, f"steps must be in [1, {MAX_STEPS}]")
    check(is_integer(checkpoints) and 2 <= checkpoints <= MAX_CHECKPOINTS,
          f"checkpoints must be in [2, {MAX_CHECKPOINTS}]")  # fmt: skip
    pair = [mlp(widths, activation=activation, batch_norm=bn) for bn in (False, True)]
    marks = checkpoint_steps(steps, checkpoints)
    runs = len(seeds) * len(rates)
    points = runs * len(marks)
    spectra = len(seeds) * (1 + len(rates) * (len(marks) - 1))
    for network in pair:
        check_work(network, runs * steps * 3 + spectra * 6 * network.n_params
                   + points * (BAND_POINTS * 4 + 3))  # fmt: skip
    total = 2 * (steps + spectra + points)
    done = [0]

    def tick(units: int = 1) -> None:
        done[0] += units
        if progress is not None:
            progress(min(done[0], total), total)

    opts = [at_rate(optimizer, rate) for _ in seeds for rate in rates]
    return Comparison(*(_run(network, seeds, rates, steps, marks, opts, tick)
                        for network in pair))  # fmt: skip


def _run(
    network: Network,
    seeds: tuple[int, ...],
    rates: np.ndarray,
    steps: int,
    marks: np.ndarray,
    opts: list[Optimizer],
    tick: Callable[..., None],
) -> Run:
    shape = (len(seeds), len(rates))
    starts = np.repeat(np.stack([network.init(s) for s in seeds]), len(rates), axis=0)

    def grad(theta: np.ndarray) -> np.ndarray:
        tick()
        return network.grad(theta)

    trained = optimizers.train(grad, opts, starts, steps, bound=BOUND)  # all runs together
    pairs = zip(trained.diverged_at, trained.undefined_at, strict=True)
    stops = [d if d is not None else u for d, u in pairs]
    gone = np.array([[s is not None and t >= s for s in stops] for t in range(steps + 1)])
    thetas = np.array(trained.thetas)  # (steps + 1, S·R, P)
    thetas[gone] = np.nan
    losses = network.loss(thetas.reshape(-1, network.n_params)).reshape(gone.shape)
    at = thetas[marks]  # (C, S·R, P)
    top, effective = _curvature(network, at, tick)
    bands = np.full((2, *at.shape[:2], 2), np.nan)
    beta = np.full(at.shape[:2], np.nan)
    finite = np.all(np.isfinite(at), axis=-1)  # (C, S·R)
    tick(int(finite.size))
    if finite.any():  # every checkpoint of every run in one batch: three calls of the network
        index = np.nonzero(finite)
        found = smoothness(network, at[finite], band_etas(rates[index[1] % len(rates)]))
        bands[0][finite] = np.stack([found.losses.min(axis=1), found.losses.max(axis=1)], axis=1)
        bands[1][finite] = np.stack([found.grad_changes.min(axis=1),
                                     found.grad_changes.max(axis=1)], axis=1)  # fmt: skip
        beta[finite] = found.beta
    if network.activation == "relu":
        dead = np.where(np.isfinite(at).all(axis=-1), dead_units(network, np.nan_to_num(at)),
                        np.nan)  # fmt: skip
    else:
        dead = np.full(at.shape[:2], np.nan)
    c = len(marks)
    return Run(
        network=network, rates=rates, seeds=np.array(seeds),
        losses=losses.reshape(steps + 1, *shape),
        diverged_at=tuple(tuple(stops[s * len(rates) : (s + 1) * len(rates)])
                          for s in range(len(seeds))),
        checkpoints=marks,
        top=top.reshape(c, *shape), effective_top=effective.reshape(c, *shape),
        loss_band=bands[0].reshape(c, *shape, 2), grad_band=bands[1].reshape(c, *shape, 2),
        beta=beta.reshape(c, *shape), dead=dead.reshape(c, *shape),
        ends=np.array(trained.thetas[-1]).reshape(*shape, network.n_params),
    )  # fmt: skip


def _curvature(
    network: Network, thetas: np.ndarray, tick: Callable[..., None]
) -> tuple[np.ndarray, np.ndarray]:
    """λmax and its scale-free counterpart at each finite θ of ``thetas`` (C, runs, P), each
    distinct θ once (the runs of a seed start at the same θ), NaN elsewhere."""
    flat = thetas.reshape(-1, network.n_params)
    finite = np.all(np.isfinite(flat), axis=1)
    unique, inverse = np.unique(flat[finite], axis=0, return_inverse=True)
    found = curvature(network, unique, kappa=False)
    tick(len(unique))
    top, effective = np.full(len(flat), np.nan), np.full(len(flat), np.nan)
    top[finite] = found.top[inverse.ravel()]
    effective[finite] = found.effective_top[inverse.ravel()]
    return top.reshape(thetas.shape[:2]), effective.reshape(thetas.shape[:2])


def dead_units(network: Network, thetas: np.ndarray) -> np.ndarray:
    """How many hidden ReLU units are dead at each θ of ``thetas`` (..., P): their input to the
    ReLU (after batch norm, where there is one) is ≤ 0 on every sample of the dataset, so they
    output 0 for every x and pass no gradient back."""
    check(network.activation == "relu", "dead units are counted for ReLU networks only")
    thetas = np.asarray(thetas, dtype=float)
    check(thetas.ndim >= 1 and thetas.shape[-1] == network.n_params,
          f"thetas must have shape (..., {network.n_params})")  # fmt: skip
    flat = thetas.reshape(-1, network.n_params)
    counts = np.zeros(len(flat), dtype=int)
    h = np.broadcast_to(network.inputs, (len(flat), *network.inputs.shape))
    for layer in network.layers:
        if not layer.hidden:
            break
        at = layer.start + layer.n_out * layer.n_in
        weight = flat[:, layer.start : at].reshape(-1, layer.n_out, layer.n_in)
        z = h @ weight.transpose(0, 2, 1) + flat[:, None, at : at + layer.n_out]
        if layer.bn:
            gamma = flat[:, None, at + layer.n_out : at + 2 * layer.n_out]
            beta = flat[:, None, at + 2 * layer.n_out : layer.stop]
            z = (z - z.mean(axis=1, keepdims=True)) / np.sqrt(z.var(axis=1, keepdims=True)
                                                              + BN_EPS) * gamma + beta  # fmt: skip
        counts += np.all(z <= 0, axis=1).sum(axis=1)
        h = np.maximum(z, 0.0)
    return counts.reshape(thetas.shape[:-1])


def end_slices(
    comparison: Comparison, rate: int, *, seed: int = 0, span: float = 1.0
) -> tuple[Slice, Slice]:
    """Li et al.'s random planes (``nets.random_plane``, filter-normalised) through each
    network's end point at rate number ``rate`` from the first seed's start, the same plane seed
    ``seed`` for both."""
    return tuple(random_plane(run.network, run.ends[0, rate], seed=seed, span=span)
                 for run in comparison)  # type: ignore[return-value]  # fmt: skip


class Outcome(NamedTuple):
    """How one run ended: the loss at its last step (NaN if it diverged), the step it diverged
    at (or None), and whether it trained: no divergence and a last loss below the first."""

    loss: float
    diverged_at: int | None
    trained: bool


def outcomes(run: Run) -> list[list[Outcome]]:
    """One Outcome per seed (outer) and rate (inner)."""
    first, last = run.losses[0], run.losses[-1]
    return [[Outcome(float(f), d, bool(d is None and f < s))
             for f, s, d in zip(last[i], first[i], stops, strict=True)]
            for i, stops in enumerate(run.diverged_at)]  # fmt: skip
