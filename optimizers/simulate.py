"""The trajectory simulator: many runs (optimizers × starts) advanced together, vectorized.

``simulate_many`` stacks each run's coefficients (``Optimizer.rule``) into arrays of shape
(steps, runs, 2) and advances every run through ``rules.advance``, the same code each
``Optimizer.update`` uses; ``simulate`` is ``simulate_many`` with one run.

Choices:
- Divergence: a point is bad when it is non-finite or farther than ``DIVERGENCE_FACTOR`` × the
  domain's span from the domain's centre (per coordinate). ``diverged_at`` is the index of the
  first bad point; the arrays stop just before it (``points[:diverged_at]``, and the per-step
  arrays one shorter). A diverged run is dropped from the batch (frozen); the others go on. Runs
  are checked every ``_CHUNK`` steps, and a bad run's steps after its first bad point are
  discarded, so the result is the same as checking every step.
- Minibatches: each epoch is a fresh permutation of the samples from
  ``np.random.default_rng(seed)``, cut into batches of ``batch_size`` without replacement; the
  last partial batch of an epoch is dropped (torch's DataLoader ``drop_last=True``) so every
  update averages the same number of samples. The sequence depends only on (seed, n_samples,
  batch_size, steps), so every run of a call sees the same batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from optimizers.rules import Constants, Optimizer, State, Steps, Terms, advance

MAX_STEPS = 10_000
MAX_RUNS = 16
DIVERGENCE_FACTOR = 1e6
_CHUNK = 64


class Trajectory(NamedTuple):
    """One run. ``points``, ``losses`` and ``grads`` (the full-surface loss and gradient) are per
    point, start included; ``lrs`` (η_t after schedule and lr_decay), ``sigmas`` (the denominator
    each step divided by, 1 where none), ``momenta`` (the momentum / first-moment buffer after
    each step, 0 where none) and ``batches`` (sample indices, None for full batch) are per step."""

    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    lrs: np.ndarray
    diverged_at: int | None
    sigmas: np.ndarray
    momenta: np.ndarray
    batches: np.ndarray | None


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
    runs = len(optimizers)
    _check(runs == len(starts), f"{runs} optimizers but {len(starts)} starts")
    _check(1 <= runs <= MAX_RUNS, f"runs must be between 1 and {MAX_RUNS}, got {runs}")
    _check(
        isinstance(steps, int | np.integer) and 0 <= steps <= MAX_STEPS,
        f"steps must be an integer between 0 and {MAX_STEPS}, got {steps}",
    )
    centre, bound = _bounds(surface)
    _check(np.all(np.isfinite(starts)), "start must be finite")
    _check(np.all(np.abs(starts - centre) <= bound), "start lies outside the divergence bound")
    batches = _batches(surface, batch_size, steps, seed)

    t = np.arange(steps)
    per_run = [o.rule.steps(t) for o in optimizers]
    k = Steps(
        *(np.repeat(np.stack(f, axis=1)[:, :, None], 2, axis=2) for f in zip(*per_run, strict=True))
    )
    consts = Constants(
        *(
            np.repeat(np.array(f)[:, None], 2, axis=1)
            for f in zip(*(o.rule.constants for o in optimizers), strict=True)
        )
    )
    on = Terms.of(consts, k)

    points = np.full((steps + 1, runs, 2), np.nan)
    points[0] = starts
    sigmas = np.ones((steps, runs, 2))
    momenta = np.zeros((steps, runs, 2))
    diverged: list[int | None] = [None] * runs
    alive = np.arange(runs)
    zeros = np.zeros((runs, 2))
    state = State(0, zeros, zeros + consts.v0, zeros, zeros)
    p = starts
    with np.errstate(all="ignore"):
        for t0 in range(0, steps, _CHUNK):
            t1 = min(t0 + _CHUNK, steps)
            block = np.empty((t1 - t0, len(alive), 2))
            s_block, m_block = np.ones_like(block), np.zeros_like(block)
            for i, step in enumerate(range(t0, t1)):
                x, y = p[:, 0], p[:, 1]
                if batches is None:
                    g = surface.grad(x, y)
                else:
                    g = surface.batch_grad(x, y, batches[step])
                p, state, sigma = advance(p, g, state, k, step, consts, on)
                block[i] = p
                if on.sigma:
                    s_block[i] = sigma
                m_block[i] = state.m
            points[t0 + 1 : t1 + 1, alive] = block
            sigmas[t0:t1, alive] = s_block
            momenta[t0:t1, alive] = m_block
            ok = np.all(np.abs(block - centre) <= bound, axis=-1)
            failed = ~ok.all(axis=0)
            if failed.any():
                for run, first in zip(alive[failed], ok[:, failed].argmin(axis=0), strict=True):
                    diverged[run] = t0 + 1 + int(first)
                keep = ~failed
                alive = alive[keep]
                if not len(alive):
                    break
                p = p[keep]
                state = State(state.count, *(a[keep] for a in state[1:]))
                k = Steps(*(a[:, keep] for a in k))
                consts = Constants(*(a[keep] for a in consts))
        flat = points.reshape(-1, 2)
        losses = np.asarray(surface.f(flat[:, 0], flat[:, 1]), dtype=float)
        losses = np.broadcast_to(losses, flat[:, 0].shape).reshape(steps + 1, runs)
        grads = np.asarray(surface.grad(flat[:, 0], flat[:, 1]), dtype=float).reshape(points.shape)
    lrs = np.stack([f.lr for f in per_run], axis=1)
    has_m = np.array([o.rule.constants.has_m for o in optimizers])
    out = []
    for r in range(runs):
        n = steps + 1 if diverged[r] is None else diverged[r]
        out.append(
            Trajectory(
                points=points[:n, r].copy(),
                losses=losses[:n, r].copy(),
                grads=grads[:n, r].copy(),
                lrs=lrs[: n - 1, r].copy(),
                diverged_at=diverged[r],
                sigmas=sigmas[: n - 1, r].copy(),
                momenta=momenta[: n - 1, r] * has_m[r],
                batches=None if batches is None else batches[: n - 1].copy(),
            )
        )
    return out


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _bounds(surface: Any) -> tuple[np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = surface.domain
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    return centre, DIVERGENCE_FACTOR * np.array([x1 - x0, y1 - y0], dtype=float)


def _batches(surface: Any, batch_size: int | None, steps: int, seed: int) -> np.ndarray | None:
    """(steps, batch_size) sample indices: epochs of fresh permutations, partial batches dropped."""
    if batch_size is None:
        return None
    n = getattr(surface, "n_samples", None)
    _check(n is not None, "batch_size needs a data-defined surface; this one is analytic")
    _check(
        isinstance(batch_size, int | np.integer) and 1 <= batch_size <= n,
        f"batch_size must be an integer between 1 and n_samples={n}, got {batch_size}",
    )
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    rng = np.random.default_rng(seed)
    order = [rng.permutation(n)[: per_epoch * batch_size] for _ in range(epochs)]
    flat = np.concatenate(order) if order else np.zeros(0, dtype=np.int64)
    return flat.reshape(-1, batch_size)[:steps]
