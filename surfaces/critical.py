"""critical_points(surface): every critical point in the domain, classified by its Hessian.

Method, with the solver in unit coordinates (the domain mapped to [0, 1]², so its tolerances mean
the same on every surface):

1. Multistart: Levenberg–Marquardt on ∇f = 0 (which also converges to saddles and maxima),
   vectorized over an n×n grid of starts, n = 24, 48, 96, 192, stopping as soon as a finer grid
   finds nothing new.
2. Converged points inside the domain are merged and polished by minimum-norm Newton steps
   (pseudo-inverse of the Hessian), to about 1e-10 or better for nondegenerate points.
3. Kind from the eigenvalues of the Hessian at the point, read by ``surfaces.hessian.classify``
   (the app's one tolerance and scaling for "zero", shared with the Taylor model and the pages):
   mixed signs, saddle; otherwise a zero eigenvalue, degenerate; otherwise minimum or maximum.
4. A degenerate point is tested for isolation: if a point a small step along its null direction
   also converges (orthogonally) to a critical point nearby instead of back, it lies on a curve of
   critical points. The curve is traced by predictor–corrector continuation and reported once per
   connected branch (``isolated=False``, ``curve`` sampled along it), with the kind given by the
   nonzero eigenvalue (the toy network's hyperbola of minima).

5. A flat region (more than ``MAX_DEGENERATE`` roots where gradient and whole Hessian vanish
   numerically, such as MSE after a saturated softmax) is reported once, as a degenerate,
   non-isolated set whose ``curve`` holds sample points of it (unordered): there is nothing to
   trace, and testing thousands of points one by one would take a minute.

Time: a user's formula (``FormulaSurface``) is searched in a worker process that is killed after
``time_budget`` seconds (``CRITICAL_BUDGET`` by default; see ``surfaces.sandbox``). The search
reports what it has after each grid's isolated points and after each valley it traces, so at the
deadline those points come back, with ``complete=False`` and the reason (``stopped``). One
evaluation of such a surface is bounded by the size checks of ``parse_expression``. Built-in
surfaces are searched in this process, to the end unless a ``time_budget`` is given (checked at
the same moments).

Kinks: a surface's declared non-differentiable minima (``surface.kinks``, Ackley's origin) have no
gradient, so Newton never lands there; they are appended as minima with ``smooth=False`` and NaN
eigenvalues and eigenvectors. Results are ordered minima, saddles, maxima, degenerate, each by
value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from surfaces import sandbox
from surfaces.base import KINDS, CriticalPoint, Surface
from surfaces.expression import FormulaSurface
from surfaces.hessian import (
    ZERO_TOL,
    classify,
    eigen,
    positive_median,
    scales,
    verdicts,
    zero_eigenvalues,
)

GRIDS = (24, 48, 96, 192)
CRITICAL_BUDGET = 5.0  # seconds a user formula's search may take (wall clock)
LM_ITERATIONS = 80
POLISH_ITERATIONS = 6
GRAD_TOL = 1e-8
MERGE_TOL = 1e-7
CURVE_STEP = 0.005
MAX_CURVE_POINTS = 2000
MAX_BRANCHES = 16
MAX_DEGENERATE = 64


class _Unit:
    """The surface in unit coordinates u = (p − lo) / span."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        (x0, x1), (y0, y1) = surface.domain
        self.lo = np.array([x0, y0])
        self.span = np.array([x1 - x0, y1 - y0])

    def point(self, u: np.ndarray) -> np.ndarray:
        return self.lo + u * self.span

    def grad(self, u: np.ndarray) -> np.ndarray:
        p = self.point(u)
        return self.surface.grad(p[..., 0], p[..., 1]) * self.span

    def hessian(self, u: np.ndarray) -> np.ndarray:
        p = self.point(u)
        return self.surface.hessian(p[..., 0], p[..., 1]) * np.outer(self.span, self.span)


def _grid(n: int) -> np.ndarray:
    centers = (np.arange(n) + 0.5) / n
    gx, gy = np.meshgrid(centers, centers)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _solve2(a: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Batched 2×2 solve that yields 0 instead of raising on a singular matrix."""
    det = a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0]
    safe = np.where(det != 0, det, 1.0)
    out = np.stack(
        [
            a[:, 1, 1] * rhs[:, 0] - a[:, 0, 1] * rhs[:, 1],
            a[:, 0, 0] * rhs[:, 1] - a[:, 1, 0] * rhs[:, 0],
        ],
        axis=-1,
    )
    return np.where((det != 0)[:, None], out / safe[:, None], 0.0)


def _levenberg_marquardt(unit: _Unit, starts: np.ndarray, done: float) -> np.ndarray:
    """Minimize ‖∇f‖² from every start at once, until ‖∇f‖ ≤ done; returns the final points."""
    u = starts.copy()
    with np.errstate(all="ignore"):
        g = unit.grad(u)
        h = unit.hessian(u)
        norm = np.linalg.norm(g, axis=-1)
        mu = 1e-2 * np.einsum("nij,nij->n", h, h)
        active = np.isfinite(norm) & np.isfinite(mu) & (norm > done)
        for _ in range(LM_ITERATIONS):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            hi, gi = h[idx], g[idx]
            a = hi @ hi + mu[idx, None, None] * np.eye(2)
            step = -_solve2(a, np.einsum("nij,nj->ni", hi, gi))
            # A trust region of a quarter of the domain keeps wild steps from flying off.
            length = np.linalg.norm(step, axis=-1)
            step *= np.minimum(1.0, 0.25 / np.maximum(length, 1e-300))[:, None]
            trial = u[idx] + step
            g_trial = unit.grad(trial)
            n_trial = np.linalg.norm(g_trial, axis=-1)
            better = np.isfinite(n_trial) & (n_trial < norm[idx])
            good = idx[better]
            u[good], g[good], norm[good] = trial[better], g_trial[better], n_trial[better]
            h[good] = unit.hessian(u[good])
            mu[idx] = np.where(better, mu[idx] / 3.0, mu[idx] * 4.0)
            # Done: converged to machine precision, or stuck (step rejected at huge damping).
            active[idx] = (length > 1e-15) & (norm[idx] > done) & (mu[idx] < 1e300)
    return u


def _polish(unit: _Unit, u: np.ndarray, cutoff: float, iterations: int) -> np.ndarray:
    """Minimum-norm Newton steps: quadratic at simple roots, orthogonal to a curve of roots."""
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            g, h = unit.grad(u), unit.hessian(u)
            finite = np.isfinite(g).all(-1) & np.isfinite(h).all((-2, -1))
            w, v = np.linalg.eigh(np.where(finite[:, None, None], h, 0.0))
            coef = np.einsum("nij,ni->nj", v, np.where(finite[:, None], g, 0.0))
            inverse = np.where(np.abs(w) > cutoff, 1.0 / np.where(w == 0, 1.0, w), 0.0)
            u = u - np.einsum("nij,nj->ni", v, inverse * coef)
    return u


def _merge(points: np.ndarray) -> np.ndarray:
    """One representative per cluster of points closer than MERGE_TOL.

    Points sharing a cell of side MERGE_TOL/√2 are within MERGE_TOL of each other, so each cell
    keeps its first point before the pairs are listed: thousands of starts that converge to one
    root would otherwise make millions of pairs.
    """
    cells = np.floor(points * (np.sqrt(2) / MERGE_TOL))
    _, first = np.unique(cells, axis=0, return_index=True)
    points = points[np.sort(first)]
    if len(points) < 2:
        return points
    pairs = cKDTree(points).query_pairs(MERGE_TOL, output_type="ndarray")
    n = len(points)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    return points[np.sort(first)]


# Why a search can stop early: the codes of ``CriticalPoints.stopped`` (a page words them).
STOPPED = ("busy", "time", "crashed", "failed")


class CriticalPoints(list):
    """What ``critical_points`` found: a list of CriticalPoint, with ``complete`` (the search ran
    to its end) and, when it did not, why (``stopped``, one of ``STOPPED``), at which grid of
    starts (``grid``, 0 before the first), the time limit (``budget``, s) and the error's name
    (``error``): the page says it in words (ui/critical_notes.py)."""

    def __init__(
        self,
        points: Iterable[CriticalPoint] = (),
        *,
        stopped: str = "",
        grid: int = 0,
        budget: float = 0.0,
        error: str = "",
    ) -> None:
        super().__init__(points)
        if stopped and stopped not in STOPPED:
            raise ValueError(f"unknown reason {stopped!r}; one of {STOPPED}")
        self.complete = not stopped
        self.stopped, self.grid, self.budget, self.error = stopped, grid, budget, error


class _Finder:
    def __init__(self, surface: Surface) -> None:
        self.unit = _Unit(surface)
        self.scale = scales(surface)
        sample = _grid(GRIDS[0])
        with np.errstate(all="ignore"):
            g_norm = np.linalg.norm(self.unit.grad(sample), axis=-1)
            h_norm = np.sqrt(np.einsum("nij,nij->n", *[self.unit.hessian(sample)] * 2))
        self.g_scale = positive_median(g_norm)
        self.h_scale = positive_median(h_norm)
        # Along a valley, Newton steps ignore curvature the classifier calls zero.
        self.flat = ZERO_TOL * self.h_scale

    def converged(self, u: np.ndarray) -> np.ndarray:
        """Inside the domain, gradient ~0, and a finite Hessian to classify it by."""
        with np.errstate(all="ignore"):
            norm = np.linalg.norm(self.unit.grad(u), axis=-1)
            finite = np.isfinite(self.unit.hessian(u)).all(axis=(-2, -1))
        inside = np.all((u >= -1e-9) & (u <= 1 + 1e-9), axis=-1)
        return inside & finite & (norm <= GRAD_TOL * self.g_scale)

    def roots(self, starts: np.ndarray) -> np.ndarray:
        # LM stops a little short of the acceptance threshold; the Newton polish finishes.
        u = _levenberg_marquardt(self.unit, starts, 1e-3 * GRAD_TOL * self.g_scale)
        u = _polish(self.unit, u, 1e-9 * self.h_scale, POLISH_ITERATIONS)
        return u[self.converged(u)]

    def eigen(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """In unit coordinates: the directions to probe and trace valleys along."""
        return np.linalg.eigh(self.unit.hessian(u))

    def eigenvalues(self, u: np.ndarray) -> np.ndarray:
        """Of the raw Hessian, as shown and classified, at the points u."""
        p = self.unit.point(u)
        return eigen(self.unit.surface.hessian(p[..., 0], p[..., 1]))[0]

    def on_curve(self, u: np.ndarray, null: np.ndarray) -> bool:
        """Does a point a small step along the null direction converge to a different root?"""
        probe = _polish(self.unit, (u + 10 * CURVE_STEP * null)[None], self.flat, 30)
        moved = np.linalg.norm(probe[0] - u) > 5 * CURVE_STEP
        return bool(moved and self.converged(probe)[0])

    def trace(self, u0: np.ndarray, null: np.ndarray) -> np.ndarray:
        """Samples along the curve of critical points through u0, in order, ends on the edge."""
        halves = []
        for direction in (1.0, -1.0):
            u, v, half, step = u0, direction * null, [], CURVE_STEP
            while len(half) < MAX_CURVE_POINTS and step > CURVE_STEP * 1e-6:
                q = _polish(self.unit, (u + step * v)[None], self.flat, 8)
                if not self.converged(q)[0] or np.linalg.norm(q[0] - u) < step / 2:
                    step /= 2  # near the domain's edge or the curve's end: shorter steps end it
                    continue
                q = q[0]
                if len(half) > 2 and np.linalg.norm(q - u0) < CURVE_STEP / 2:
                    return np.array([u0, *half, u0])  # a closed loop
                w, vectors = self.eigen(q[None])
                v_new = vectors[0][:, np.argmin(np.abs(w[0]))]
                v = v_new if v_new @ v >= 0 else -v_new
                half.append(q)
                u = q
            halves.append(half)
        return np.array([*halves[1][::-1], u0, *halves[0]])

    def middle(self, curve: np.ndarray) -> np.ndarray:
        """The point halfway along the curve by arc length, put back onto it."""
        length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])
        guess = np.array([np.interp(length[-1] / 2, length, c) for c in curve.T])
        return _polish(self.unit, guess[None], self.flat, 8)[0]


def _make(surface: Surface, p: np.ndarray, kind: str, curve: np.ndarray | None = None):
    x, y = float(p[0]), float(p[1])
    w, v = eigen(surface.hessian(x, y))
    return CriticalPoint(
        x=x,
        y=y,
        value=float(surface.f(x, y)),
        eigenvalues=w,
        eigenvectors=v,
        kind=kind,
        isolated=curve is None,
        curve=curve,
    )


def _assemble(finder: _Finder, roots: np.ndarray) -> Iterator[list[CriticalPoint]]:
    """The critical points at ``roots``, as they are found: first the isolated ones (cheap), then
    again after each valley traced (slow); the last list yielded is all of them."""
    surface, unit = finder.unit.surface, finder.unit
    if len(roots) == 0:
        yield []
        return
    raw = finder.eigenvalues(roots)
    kinds = verdicts(raw, finder.scale)
    points = [
        _make(surface, unit.point(u), str(kind))
        for u, kind in zip(roots, kinds, strict=True)
        if kind != "degenerate"
    ]
    pending = np.flatnonzero(kinds == "degenerate")
    flat = np.flatnonzero(zero_eigenvalues(raw, finder.scale).all(axis=-1))
    w, vectors = finder.eigen(roots)
    if len(flat) > MAX_DEGENERATE:
        region = roots[flat]
        middle = region[np.argmin(np.linalg.norm(region - np.median(region, axis=0), axis=1))]
        sample = region[:: max(1, len(region) // 500)]
        points.append(_make(surface, unit.point(middle), "degenerate", unit.point(sample)))
        pending = np.setdiff1d(pending, flat)
    yield list(points)
    absorbed = np.zeros(len(roots), dtype=bool)
    branches = 0
    for i in pending:
        if absorbed[i]:
            continue
        null = vectors[i][:, np.argmin(np.abs(w[i]))]
        if not finder.on_curve(roots[i], null):
            points.append(_make(surface, unit.point(roots[i]), "degenerate"))
            continue
        if branches == MAX_BRANCHES:
            break
        branches += 1
        curve = finder.trace(roots[i], null)
        near, _ = cKDTree(curve).query(roots[pending], distance_upper_bound=2 * CURVE_STEP)
        absorbed[pending[np.isfinite(near)]] = True
        mid = finder.middle(curve)
        kind = classify(finder.eigenvalues(mid[None])[0], finder.scale, valley=True)
        points.append(_make(surface, unit.point(mid), kind, curve=unit.point(curve)))
        yield list(points)
    yield points


def critical_points(surface: Surface, *, time_budget: float | None = None) -> CriticalPoints:
    """Every critical point of ``surface`` in its domain; see the module docstring for the method
    and for what ``time_budget`` (seconds) does."""
    if isinstance(surface, FormulaSurface):
        return _sandboxed(surface, CRITICAL_BUDGET if time_budget is None else time_budget)
    deadline = None if time_budget is None else time.monotonic() + time_budget
    levels = _levels(surface)
    n, points, done = next(levels)
    while not done and (deadline is None or time.monotonic() < deadline):
        n, points, done = next(levels)
    if done:
        return CriticalPoints(points)
    return _partial((n, points), "time", budget=time_budget)


def _levels(surface: Surface) -> Iterator[tuple[int, list[CriticalPoint], bool]]:
    """(n, the points found so far with an n×n grid of starts, done), as the search goes: several
    times per grid, the last of a grid complete for it; done once a grid found nothing new."""
    finder = _Finder(surface)
    roots = np.empty((0, 2))
    signature = None
    for n in GRIDS:
        roots = _merge(np.vstack([roots, finder.roots(_grid(n))]))
        for result in _assemble(finder, roots):
            yield n, _ordered(surface, result), False
        new = (len(result), sorted(cp.kind for cp in result))
        if new == signature or n == GRIDS[-1]:
            yield n, _ordered(surface, result), True
            return
        signature = new


def _ordered(surface: Surface, points: list[CriticalPoint]) -> list[CriticalPoint]:
    """With the declared kinks; minima, saddles, maxima, degenerate, each by value."""
    points = points + [_kink(surface, k) for k in surface.kinks]
    return sorted(points, key=lambda cp: (KINDS.index(cp.kind), cp.value, cp.x, cp.y))


def _search(report: Callable, surface: Surface) -> list[CriticalPoint]:
    """The worker's job: the search, reporting (n, points) as it goes."""
    for n, points, done in _levels(surface):
        if not done:
            report((n, points))
    return points


def _sandboxed(surface: FormulaSurface, budget: float) -> CriticalPoints:
    try:
        outcome = sandbox.run(_search, surface, budget=budget)
    except sandbox.Busy:
        return CriticalPoints(stopped="busy")
    except sandbox.Crashed as crash:
        return _partial(crash.partial, "crashed")
    except Exception as error:  # whatever a user's formula makes NumPy raise, the page goes on
        return _partial(None, "failed", error=type(error).__name__)
    if outcome.complete:
        return CriticalPoints(outcome.value)
    return _partial(outcome.value, "time", budget=budget)


def _partial(
    found: tuple[int, list[CriticalPoint]] | None, stopped: str, **why: Any
) -> CriticalPoints:
    n, points = found or (0, [])
    return CriticalPoints(points, stopped=stopped, grid=n, **why)


def _kink(surface: Surface, point: tuple[float, float]) -> CriticalPoint:
    x, y = point
    nan = np.full(2, np.nan)
    return CriticalPoint(
        x=x,
        y=y,
        value=float(surface.f(x, y)),
        eigenvalues=nan,
        eigenvectors=np.full((2, 2), np.nan),
        kind="minimum",
        smooth=False,
    )
