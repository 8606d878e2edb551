"""Training with the same torch-exact rules over any number of parameters (the network pages).

``train`` is a client of the general stepping loop (``engine.Runs``), as ``simulate_many`` is
for 2-D surfaces: the same optimizers, schedules and per-step code, θ of shape (runs, P).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from optimizers.engine import Runs, check, check_work
from optimizers.rules import Optimizer

MAX_RUNS = 1_000
WORK_BUDGET = 50_000_000  # runs × steps × parameters per call
RUN_STEPS = 1_000_000  # runs × steps: each run's per-step coefficients are kept (8 floats a step)
KEEP_BUDGET = 5_000_000  # floats kept: kept steps × runs × parameters (40 MB)


class Training(NamedTuple):
    """``thetas`` (n_kept, runs, P): θ at the steps ``kept_steps`` (n_kept,), the start (0) and
    the last step always among them; ``lrs`` (steps, runs): η_t of every step. A run stops at
    ``diverged_at`` (the first step whose θ is non-finite or, with a bound, has |θᵢ| > bound) or
    ``undefined_at`` (the first step whose gradient is not finite at a finite θ), int or None per
    run; from there its θ stays at the last good value. Without a bound, a gradient that
    overflows before θ does counts as undefined: give a bound to call such runs diverged."""

    thetas: np.ndarray
    kept_steps: np.ndarray
    diverged_at: list[int | None]
    lrs: np.ndarray
    undefined_at: list[int | None]


def train(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    optimizers: Sequence[Optimizer],
    starts: np.ndarray,
    steps: int,
    *,
    keep_every: int = 1,
    bound: float | None = None,
) -> Training:
    """Run ``optimizers[r]`` from ``starts[r]`` (shape (runs, P)) for ``steps`` steps, together.

    ``grad_fn(θ) -> ∇L`` takes the θ of the runs still going, shape (n, P) with n ≤ runs, rows
    in run order (a stopped run drops out), read-only, and returns an array of the same shape.
    Different optimizers, hyperparameters and schedules may be mixed. Limits: MAX_RUNS runs,
    MAX_STEPS steps, MAX_PARAMS parameters, WORK_BUDGET, RUN_STEPS and KEEP_BUDGET.
    """
    starts = np.array(starts, dtype=float)
    check(starts.ndim == 2, f"starts must have shape (runs, P), got {starts.shape}")
    runs, params = starts.shape
    check(1 <= runs <= MAX_RUNS, f"runs must be between 1 and {MAX_RUNS}, got {runs}")
    check(
        isinstance(keep_every, int | np.integer) and keep_every >= 1,
        f"keep_every must be an integer >= 1, got {keep_every}",
    )
    check(bound is None or bound > 0, f"bound must be > 0 or None, got {bound}")
    batch = Runs(optimizers, starts, steps)
    check_work("train: work", WORK_BUDGET, runs=runs, steps=steps, parameters=params)
    check_work("train: run-steps", RUN_STEPS, runs=runs, steps=steps)
    kept_steps = np.unique(np.r_[np.arange(0, steps + 1, keep_every), steps])
    check_work(
        "train: kept θ", KEEP_BUDGET, kept_steps=len(kept_steps), runs=runs, parameters=params
    )
    limit = np.finfo(float).max if bound is None else float(bound)  # |θ| ≤ max: finite
    check(bool(np.all(np.abs(starts) <= limit)), "starts lie outside the bound")

    def grad_at(theta: np.ndarray, t: int) -> np.ndarray:
        view = theta.view()
        view.flags.writeable = False
        g = np.array(grad_fn(view), dtype=float)
        check(g.shape == theta.shape, f"grad_fn gave shape {g.shape} for θ of shape {theta.shape}")
        return g

    thetas = np.empty((len(kept_steps), runs, params))
    last = starts.copy()  # each run's latest good θ
    row = 0  # next row of thetas to fill
    for b in batch.blocks(grad_at, np.zeros(params), np.full(params, limit)):
        latest = last[b.alive]
        ended = b.kept > 0
        latest[ended] = b.points[b.kept[ended] - 1, np.flatnonzero(ended)]
        while row < len(kept_steps) and kept_steps[row] <= b.first + len(b.points):
            i = kept_steps[row] - b.first - 1  # the block's index of that step (−1: its start)
            thetas[row] = last
            if i >= 0:
                thetas[row, b.alive] = np.where((i < b.kept)[:, None], b.points[i], latest)
            row += 1
        last[b.alive] = latest
    thetas[row:] = last
    return Training(thetas, kept_steps, batch.diverged_at, batch.lrs, batch.undefined_at)
