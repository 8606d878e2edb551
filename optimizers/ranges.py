"""Whole ranges instead of single runs: the rates of a learning-rate sweep, the grid of starts of
a basin map, gradient descent's stability limit on a quadratic, each optimizer's best rate, and a
sweep done in parts (so a page can report progress between them).

Pure NumPy, no Streamlit: the Sweeps page calls these, and so can a notebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from optimizers.simulate import Trajectory
from optimizers.sweep import Sweep

Domain = tuple[tuple[float, float], tuple[float, float]]


def learning_rates(low: float, high: float, count: int) -> np.ndarray:
    """``count`` rates evenly spaced on a log scale from ``low`` to ``high``, each rounded to
    three significant digits (a rate reads short in a link: 0.0123), duplicates dropped."""
    if not (0 < low <= high and count >= 1):
        raise ValueError(f"need 0 < low <= high and count >= 1, got {low}, {high}, {count}")
    rates = np.geomspace(low, high, count)
    return np.unique([float(f"{rate:.3g}") for rate in rates])


def cell_centres(domain: Domain, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres of an n×n grid of equal cells over ``domain``, per axis, rounded to ten
    significant digits (so a centre written in a link is short and reads back exactly)."""
    return tuple(
        np.array([float(f"{low + (i + 0.5) * (high - low) / n:.10g}") for i in range(n)])
        for low, high in domain
    )


def grid_starts(domain: Domain, n: int) -> np.ndarray:
    """Every cell centre as a start, shape (n², 2), row after row: start ``j·n + i`` is
    ``(xs[i], ys[j])``, so a result per start reshaped to (n, n) is indexed [y, x], as a
    heatmap's z."""
    xs, ys = cell_centres(domain, n)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def constant_hessian(surface: Any, samples: int = 7) -> np.ndarray | None:
    """The Hessian if it is the same at every one of ``samples``² points spread irregularly over
    the domain (a quadratic: a bowl, a saddle, a linear regression's MSE), else None."""
    (x0, x1), (y0, y1) = surface.domain
    u = (np.arange(samples) + 0.5) / samples + 0.013 * np.sin(np.arange(samples) * 7.1)
    gx, gy = np.meshgrid(x0 + u * (x1 - x0), y0 + u[::-1] * (y1 - y0))
    with np.errstate(all="ignore"):
        hessians = np.asarray(surface.hessian(gx.ravel(), gy.ravel()), dtype=float)
    first = hessians[0]
    if not np.all(np.isfinite(hessians)):
        return None
    scale = max(float(np.abs(first).max()), np.finfo(float).tiny)
    return first if np.abs(hessians - first).max() <= 1e-9 * scale else None


def stability_limit(surface: Any, momentum: float = 0.0) -> float | None:
    """The largest stable learning rate of gradient descent with heavy-ball momentum β
    (0: plain) on a convex quadratic: η < 2(1 + β)/λmax.

    Along each eigenvector of H, gradient descent multiplies the distance to the minimum by
    1 − ηλ, so it converges iff |1 − ηλ| < 1 for every λ: η < 2/λmax. Heavy ball,
    θᵗ⁺¹ = θᵗ − η∇L + β(θᵗ − θᵗ⁻¹) (torch's momentum at a constant η), has the characteristic
    roots of r² − (1 + β − ηλ)r + β, inside the unit circle iff 0 < ηλ < 2(1 + β).
    None unless the Hessian is constant (``constant_hessian``) with every eigenvalue ≥ 0 and
    λmax > 0: elsewhere there is no single limit.
    """
    hessian = constant_hessian(surface)
    if hessian is None:
        return None
    eigenvalues = np.linalg.eigvalsh(hessian)
    if eigenvalues[0] < -1e-12 * abs(eigenvalues[-1]) or eigenvalues[-1] <= 0:
        return None
    return float(2 * (1 + momentum) / eigenvalues[-1])


def best_index(values: np.ndarray, tiebreak: np.ndarray | None = None) -> int | None:
    """Index of the smallest finite value (a failed run is given as inf or NaN); among equal
    values the smallest ``tiebreak``, then the first. None if no value is finite."""
    values = np.asarray(values, dtype=float)
    finite = np.flatnonzero(np.isfinite(values))
    if not finite.size:
        return None
    second = np.zeros(len(values)) if tiebreak is None else np.asarray(tiebreak, dtype=float)
    order = np.lexsort((finite, np.nan_to_num(second[finite], nan=np.inf), values[finite]))
    return int(finite[order[0]])


def best_run(result: Sweep, by: str = "final") -> int | None:
    """The best run of a sweep: the lowest final loss (ties: the first to reach the target),
    or with ``by="steps"`` the first to reach the target (ties: the lower final loss). A run
    that diverged never counts; None if no run qualifies."""
    diverged = np.array([d is not None for d in result.diverged_at], dtype=bool)
    final = np.where(diverged, np.inf, result.losses)
    reached = np.array([np.inf if r is None else r for r in result.reached_at], dtype=float)
    reached[diverged] = np.inf
    if by == "steps":
        return best_index(reached, final)
    if by != "final":
        raise ValueError(f"by must be 'final' or 'steps', got {by!r}")
    return best_index(final, reached)


def join(parts: Sequence[Sweep]) -> Sweep:
    """One Sweep from the sweeps of consecutive groups of runs, in run order (a sweep done in
    parts is the same sweep: each run's summary does not depend on the others)."""
    return Sweep(*(
        np.concatenate(fields) if isinstance(fields[0], np.ndarray)
        else [item for field in fields for item in field]
        for fields in zip(*parts, strict=True)
    ))  # fmt: skip


def basin_codes(
    result: Sweep, minima: Sequence[np.ndarray], radius: float, domain: Domain
) -> np.ndarray:
    """Per run, the index k of the minimum it ended within ``radius`` of, distances measured in
    units of the domain's width and height (so both axes count alike, whatever their scales),
    else a ``Sweep.basins`` code (DIVERGED, UNDEFINED, NOT_CONVERGED). ``minima[k]`` is an
    (m, 2) array of points of minimum k: the point, or samples along a valley of minima."""
    (x0, x1), (y0, y1) = domain
    low, span = np.array([x0, y0]), np.array([x1 - x0, y1 - y0])
    groups = [np.reshape(points, (-1, 2)) for points in minima]
    points = np.vstack([*groups, np.zeros((0, 2))])
    owner = np.concatenate([np.full(len(g), k) for k, g in enumerate(groups)] + [[0]])
    unit = result._replace(points=(result.points - low) / span)
    codes = unit.basins((points - low) / span, radius)
    return np.where(codes >= 0, owner[np.maximum(codes, 0)], codes)


def summarize(run: Trajectory, target: float | None = None) -> Sweep:
    """One trajectory as a one-run Sweep (what ``sweep`` keeps of the same run)."""
    hits = np.flatnonzero(run.losses <= (-np.inf if target is None else target))
    return Sweep(
        points=run.points[-1:].copy(),
        losses=run.losses[-1:].copy(),
        grad_norms=np.hypot(*run.grads[-1:].T),
        best_losses=np.array([run.losses.min()]),
        best_steps=np.array([int(run.losses.argmin())]),
        reached_at=[int(hits[0]) if hits.size else None],
        diverged_at=[run.diverged_at],
        undefined_at=[run.undefined_at],
    )
