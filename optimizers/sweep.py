"""Sweeps: thousands of runs on a 2-D surface advanced together, each kept as a summary.

``sweep`` is ``simulate_many``'s sibling for the Sweeps page: a learning-rate sweep (final loss
against η per optimizer, divergence marked, each optimizer's best η starred) and a basin map (a
grid of starts coloured by the minimum each run ends in, or "diverged" / "not converged"). It
goes through the same stepping loop and the same surface evaluation as ``simulate``, so each run
ends bit for bit where its own ``simulate`` ends; but it keeps no trajectories: memory grows
with the number of runs, not with runs × steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from optimizers.engine import Runs, check, check_work
from optimizers.rules import Optimizer
from optimizers.simulate import check_starts, gradient, minibatches, on_lanes

MAX_RUNS = 10_000
WORK_BUDGET = 1_200_000  # runs × steps per call: a 60×60 grid for 300 steps; see bench_sweep
DIVERGED, UNDEFINED, NOT_CONVERGED = -1, -2, -3  # basins() codes for runs in no basin


class Sweep(NamedTuple):
    """Per run, as arrays over runs: ``points`` (runs, 2) the final point, ``losses`` its loss,
    ``grad_norms`` its ‖∇L‖ = hypot(∂L/∂x, ∂L/∂y) (so, bit for bit, ``simulate(...)``'s
    ``points[-1]``, ``losses[-1]`` and the hypot of ``grads[-1]``); ``best_losses`` the lowest
    loss over the run's points, first reached at point ``best_steps``; ``reached_at`` the first
    point whose loss is ≤ the target (None if never, or without a target); ``diverged_at`` and
    ``undefined_at`` as in ``Trajectory``. For a stopped run, "final" is its last good point."""

    points: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    best_losses: np.ndarray
    best_steps: np.ndarray
    reached_at: list[int | None]
    diverged_at: list[int | None]
    undefined_at: list[int | None]

    def basins(self, minima: Sequence[Sequence[float]], radius: float) -> np.ndarray:
        """Per run: the index of the minimum its final point lies within ``radius`` of (the
        nearest), else DIVERGED, UNDEFINED (stopped where it had no gradient, away from every
        minimum) or NOT_CONVERGED. A run stopped at a kink that is a minimum (Ackley's origin)
        is in that minimum's basin."""
        minima = np.asarray(minima, dtype=float).reshape(-1, 2)
        distance = np.linalg.norm(self.points[:, None] - minima[None], axis=-1)
        nearest = distance.argmin(axis=1) if len(minima) else np.zeros(len(self.points), int)
        inside = distance.min(axis=1, initial=np.inf) <= radius
        undefined = np.array([u is not None for u in self.undefined_at], dtype=bool)
        diverged = np.array([d is not None for d in self.diverged_at], dtype=bool)
        codes = np.where(inside, nearest, np.where(undefined, UNDEFINED, NOT_CONVERGED))
        return np.where(diverged, DIVERGED, codes)


def sweep(
    surface: Any,
    optimizers: Sequence[Optimizer],
    starts: Sequence[Sequence[float]] | np.ndarray,
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
    target: float | None = None,
) -> Sweep:
    """Run ``optimizers[r]`` from ``starts[r]`` for every r, all together; one summary each.

    At most MAX_RUNS runs and WORK_BUDGET runs × steps; ``batch_size`` and ``seed`` as in
    ``simulate`` (every run sees the same batches). Same inputs and seed give the same bits.
    """
    starts = np.array(starts, dtype=float).reshape(-1, 2)
    runs = len(optimizers)
    check(1 <= runs <= MAX_RUNS, f"runs must be between 1 and {MAX_RUNS}, got {runs}")
    check(target is None or not np.isnan(target), "target must be a number or None")
    batch = Runs(optimizers, starts, steps)
    check_work("sweep", WORK_BUDGET, runs=runs, steps=steps)
    centre, bound = check_starts(surface, starts)
    batches = minibatches(surface, batch_size, steps, seed)

    final = starts.copy()
    with np.errstate(all="ignore"):
        best_losses = on_lanes(surface.f, starts)
    best_steps = np.zeros(runs, dtype=int)
    reached = np.where(best_losses <= _target(target), 0, -1)
    for b in batch.blocks(gradient(surface, batches), centre, bound):
        n = len(b.points)
        with np.errstate(all="ignore"):
            losses = on_lanes(surface.f, b.points.reshape(-1, 2)).reshape(n, -1)
        valid = (np.arange(n)[:, None] < b.kept) & ~np.isnan(losses)
        losses = np.where(valid, losses, np.inf)
        low = losses.argmin(axis=0)
        better = losses[low, np.arange(len(low))] < best_losses[b.alive]
        best_losses[b.alive[better]] = losses[low[better], better.nonzero()[0]]
        best_steps[b.alive[better]] = b.first + 1 + low[better]
        hit = losses <= _target(target)
        first_hit = (reached[b.alive] < 0) & hit.any(axis=0)
        reached[b.alive[first_hit]] = b.first + 1 + hit.argmax(axis=0)[first_hit]
        ended = b.kept > 0
        final[b.alive[ended]] = b.points[b.kept[ended] - 1, ended.nonzero()[0]]
    with np.errstate(all="ignore"):
        losses = on_lanes(surface.f, final)
        grads = on_lanes(surface.grad, final)
    return Sweep(
        points=final,
        losses=losses,
        grad_norms=np.hypot(grads[:, 0], grads[:, 1]),
        best_losses=best_losses,
        best_steps=best_steps,
        reached_at=[None if r < 0 else int(r) for r in reached],
        diverged_at=batch.diverged_at,
        undefined_at=batch.undefined_at,
    )


def _target(target: float | None) -> float:
    """The loss to reach; −∞ (never reached) without one."""
    return -np.inf if target is None else float(target)
