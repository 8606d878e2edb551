"""How a run went, as a code decided from its own numbers; the pages word it (ui/verdicts.py).

- ``UNDEFINED``: the gradient was undefined at a point (a kink); the run stopped there.
- ``DIVERGED``: the run left every finite value (``Trajectory.diverged_at``).
- ``OSCILLATING``: over the run's last quarter, each step reverses the one before, the steps do
  not shrink and the loss no longer falls: gradient descent at the edge of stability (η = 2/λmax
  on a bowl), bouncing across a valley without going down it.
- ``STUCK``: the loss never changed (to ``STILL`` of its size): a start at a critical point, or
  on a plateau whose gradient is ~10⁻⁸.
- ``CONVERGING``: none of these: a stable run.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

UNDEFINED, DIVERGED, OSCILLATING, STUCK, CONVERGING = (
    "undefined", "diverged", "oscillating", "stuck", "converging"
)  # fmt: skip
CODES = (UNDEFINED, DIVERGED, OSCILLATING, STUCK, CONVERGING)

STILL = 1e-9  # a loss that moved less than this fraction of itself did not move
REVERSING = -0.5  # median cosine between consecutive steps: each one goes back on the last
KEEPS_LENGTH = 0.5  # the window's last step is at least half its first: not dying out
FALLING = 1e-3  # the loss fell by at least this fraction over the window


class Verdict(NamedTuple):
    """A run's outcome: one of ``CODES``, and the step it happened at (undefined, diverged)."""

    code: str
    step: int | None = None


def verdict(run) -> Verdict:
    """The outcome of ``run`` (an ``optimizers.Trajectory``), from its points and losses."""
    if run.undefined_at is not None:
        return Verdict(UNDEFINED, int(run.undefined_at))
    if run.diverged_at is not None:
        return Verdict(DIVERGED, int(run.diverged_at))
    points = np.asarray(run.points, dtype=float)
    losses = np.asarray(run.losses, dtype=float)
    if _oscillating(points, losses):
        return Verdict(OSCILLATING)
    scale = max(abs(losses[0]), np.finfo(float).tiny)
    if np.max(np.abs(losses - losses[0])) <= STILL * scale:
        return Verdict(STUCK)
    return Verdict(CONVERGING)


def _oscillating(points: np.ndarray, losses: np.ndarray) -> bool:
    """Steps that reverse, do not shrink, and no longer lower the loss, over the last quarter."""
    steps = np.diff(points, axis=0)
    window = min(len(steps), max(4, len(steps) // 4))
    if window < 3:
        return False
    recent = steps[-window:]
    lengths = np.hypot(*recent.T)
    if lengths[0] == 0 or not np.all(lengths > 0):
        return False
    cosines = np.sum(recent[1:] * recent[:-1], axis=1) / (lengths[1:] * lengths[:-1])
    before, after = losses[-window - 1], losses[-1]
    return bool(
        np.median(cosines) < REVERSING
        and lengths[-1] >= KEEPS_LENGTH * lengths[0]
        and after > before - FALLING * abs(before)
    )
