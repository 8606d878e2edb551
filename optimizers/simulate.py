"""The trajectory simulator on 2-D surfaces: every step of a few runs, kept for drawing.

``simulate_many`` is a client of the general stepping loop (``engine.Runs``), with θ = (x, y);
``simulate`` is ``simulate_many`` with one run. ``sweep`` (optimizers/sweep.py) shares the
surface evaluation below and keeps only a summary of each run.

Choices:
- Divergence: a point is bad when it is non-finite or farther than ``DIVERGENCE_FACTOR`` × the
  domain's span from the domain's centre (per coordinate). ``diverged_at`` is the index of the
  first bad point; the arrays stop just before it (``points[:diverged_at]``, and the per-step
  arrays one shorter). A run whose gradient is not finite at a good point (a kink, such as
  Ackley's minimum) stops there instead, with ``undefined_at`` that point's index: the arrays
  end with it (``points[:undefined_at + 1]``; its ``grads`` row is not finite).
- Minibatches: each epoch is a fresh permutation of the samples from
  ``np.random.default_rng(seed)``, cut into batches of ``batch_size`` without replacement; the
  last partial batch of an epoch is dropped (torch's DataLoader ``drop_last=True``) so every
  update averages the same number of samples. The sequence depends only on (seed, n_samples,
  batch_size, steps), so every run of a call sees the same batches.
- Bit-identity across batches: a run gives the same bits alone or among thousands. NumPy's
  transcendental functions (exp, sin, log, …) run SIMD loops chosen by memory layout, and a loop
  may treat a short tail, or an array of one element (which NumPy flags as contiguous), apart
  from full vectors. So ``on_lanes`` always gives the surface x and y as the columns of an
  (m, 2) array, m a multiple of ``LANES`` (one AVX-512 register of float64), padded with copies
  of the last point: every point meets the same code, alone or among thousands. It is free when
  the number of runs is a multiple of LANES, a copy of the points otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from optimizers.engine import MAX_STEPS, GradAt, Runs, check
from optimizers.rules import Optimizer

__all__ = ["MAX_STEPS", "Trajectory", "simulate", "simulate_many"]

MAX_RUNS = 16
DIVERGENCE_FACTOR = 1e6
LANES = 8


class Trajectory(NamedTuple):
    """One run. ``points``, ``losses`` and ``grads`` (the full-surface loss and gradient) are per
    point, start included; ``lrs`` (η_t after schedule and lr_decay), ``sigmas`` (the denominator
    each step divided by, 1 where none), ``momenta`` (the momentum / first-moment buffer after
    each step, 0 where none) and ``batches`` (sample indices, None for full batch) are per step.
    ``diverged_at`` / ``undefined_at``: see the module docstring (None if the run did not)."""

    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    lrs: np.ndarray
    diverged_at: int | None
    sigmas: np.ndarray
    momenta: np.ndarray
    batches: np.ndarray | None
    undefined_at: int | None = None


def simulate(
    surface: Any,
    optimizer: Optimizer,
    start: Sequence[float],
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
) -> Trajectory:
    """Run ``optimizer`` on ``surface`` from ``start`` for ``steps`` steps."""
    return simulate_many(surface, [optimizer], [start], steps, batch_size=batch_size, seed=seed)[0]


def simulate_many(
    surface: Any,
    optimizers: Sequence[Optimizer],
    starts: Sequence[Sequence[float]] | np.ndarray,
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
) -> list[Trajectory]:
    """Run ``optimizers[r]`` from ``starts[r]`` for every r, all together; one Trajectory each.

    At most MAX_RUNS runs and MAX_STEPS steps; a data-defined surface takes ``batch_size`` (None
    for the full batch). Same inputs and seed give bit-identical arrays.
    """
    starts = np.array(starts, dtype=float).reshape(-1, 2)
    check(
        1 <= len(optimizers) <= MAX_RUNS,
        f"runs must be between 1 and {MAX_RUNS}, got {len(optimizers)}",
    )
    runs = Runs(optimizers, starts, steps)
    centre, bound = check_starts(surface, starts)
    batches = minibatches(surface, batch_size, steps, seed)

    points = np.full((steps + 1, len(starts), 2), np.nan)
    points[0] = starts
    sigmas = np.ones((steps, len(starts), 2))
    momenta = np.zeros_like(sigmas)
    for b in runs.blocks(gradient(surface, batches), centre, bound, details=True):
        span = slice(b.first, b.first + len(b.points))
        points[span.start + 1 : span.stop + 1, b.alive] = b.points
        sigmas[span, b.alive] = b.sigmas
        momenta[span, b.alive] = b.momenta
    flat = points.reshape(-1, 2)
    with np.errstate(all="ignore"):
        losses = on_lanes(surface.f, flat).reshape(steps + 1, -1)
        grads = on_lanes(surface.grad, flat).reshape(points.shape)
    lrs, out = runs.lrs, []
    for r in range(len(starts)):
        n = kept_points(runs, r)
        out.append(
            Trajectory(
                points=points[:n, r].copy(),
                losses=losses[:n, r].copy(),
                grads=grads[:n, r].copy(),
                lrs=lrs[: n - 1, r].copy(),
                diverged_at=runs.diverged_at[r],
                sigmas=sigmas[: n - 1, r].copy(),
                momenta=momenta[: n - 1, r] * runs.has_momentum[r],
                batches=None if batches is None else batches[: n - 1].copy(),
                undefined_at=runs.undefined_at[r],
            )
        )
    return out


def kept_points(runs: Runs, r: int) -> int:
    """How many points run r keeps, start included."""
    if runs.diverged_at[r] is not None:
        return runs.diverged_at[r]
    if runs.undefined_at[r] is not None:
        return runs.undefined_at[r] + 1
    return runs.steps + 1


def on_lanes(fn: Callable[..., np.ndarray], points: np.ndarray, *args: Any) -> np.ndarray:
    """``fn(x, y, *args)`` at C-contiguous ``points`` (n, 2), x and y given as the columns of an
    (m, 2) array, m a multiple of LANES (padded with the last point; module docstring: why)."""
    n = len(points)
    if n % LANES:
        padded = np.empty((n + -n % LANES, 2))
        padded[:n] = points
        padded[n:] = points[-1]
        points = padded
    return fn(points[:, 0], points[:, 1], *args)[:n]


def gradient(surface: Any, batches: np.ndarray | None) -> GradAt:
    """The gradient the runs follow at step t: the full surface's, or that of batch t."""
    if batches is None:
        return lambda p, t: on_lanes(surface.grad, p)
    return lambda p, t: on_lanes(surface.batch_grad, p, batches[t])


def check_starts(surface: Any, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The divergence bound (centre, half-width per coordinate), with every start inside it."""
    (x0, x1), (y0, y1) = surface.domain
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    bound = DIVERGENCE_FACTOR * np.array([x1 - x0, y1 - y0], dtype=float)
    check(bool(np.all(np.abs(starts - centre) <= bound)), "start lies outside the divergence bound")
    return centre, bound


def minibatches(surface: Any, batch_size: int | None, steps: int, seed: int) -> np.ndarray | None:
    """(steps, batch_size) sample indices: epochs of fresh permutations, partial batches dropped."""
    if batch_size is None:
        return None
    n = getattr(surface, "n_samples", None)
    check(n is not None, "batch_size needs a data-defined surface; this one is analytic")
    check(
        isinstance(batch_size, int | np.integer) and 1 <= batch_size <= n,
        f"batch_size must be an integer between 1 and n_samples={n}, got {batch_size}",
    )
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    rng = np.random.default_rng(seed)
    order = [rng.permutation(n)[: per_epoch * batch_size] for _ in range(epochs)]
    flat = np.concatenate(order) if order else np.zeros(0, dtype=np.int64)
    return flat.reshape(-1, batch_size)[:steps]
