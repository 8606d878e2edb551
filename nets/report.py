"""What a survey of trained networks says, in the numbers a page prints: how many runs reached a
true critical point and of which kind, the minimum ratios at true critical points and at stalls
apart, and whether the lecture's band is found there (``read``); how the ratios move with the zero
cutoff and the Newton budget (``by_cutoff``, ``by_budget``); the signs of one point's spectrum
(``signs``); how much of a leftover gradient lies along curved directions
(``curved_share``); a window onto the escape direction (``escape_plane``); and a run's training
path re-traced from its start (``training_path``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from nets.curvature import curvature
from nets.landscape import Slice, hessian_plane
from nets.model import Network
from nets.survey import (
    CUTOFFS,
    Survey,
    relative_minimum_ratio,
    starts,
    train_network,
)
from optimizers.rules import Optimizer

BAND = (0.5, 0.6)  # the lecture's minimum ratios of networks trained to convergence
PATH_POINTS = 200  # θs kept along a re-traced training path (plus the start and the end)
SCAN = np.geomspace(1e-4, 1.0, 32)  # × max(‖θ‖, 1) along u(λmin); 32 θs, a shape compiled already


BAND_CHECK = 10.0  # the band must hold with the zero cutoff this many times smaller and larger
VERDICTS = ("reproduced", "no_critical", "few_critical", "outside", "cutoff")


class Reading(NamedTuple):
    """A survey in counts. ``finished`` runs neither diverged nor met an undefined gradient;
    ``critical`` of them end at ‖∇L‖ ≤ ``grad_tol`` (true critical points), the other ``stalled``.
    Of the critical points: ``minima`` have every eigenvalue above the zero tolerance, ``flat``
    none below minus it but some within it (a minimum or flat to second order: the test cannot
    tell), ``saddles`` some below. ``median_critical`` and ``median_stalled`` are the median
    minimum ratios of each group (NaN when empty), ``in_band`` the critical points whose ratio lies
    in BAND. ``median_ratio``, ``lowest_ratio`` and ``highest_ratio`` are over finished runs.
    ``verdict`` (one of VERDICTS) says whether the lecture's band is found at true critical points:
    "reproduced" only when at least half the finished runs are critical points and their median
    ratio lies in BAND at the survey's zero cutoff and at BAND_CHECK times smaller and larger;
    otherwise why not: no critical point, fewer than half, a median outside the band, or one in it
    that leaves it when the cutoff moves."""

    runs: int
    finished: int
    critical: int
    stalled: int
    minima: int
    flat: int
    saddles: int
    in_band: int
    median_critical: float
    median_stalled: float
    median_ratio: float
    lowest_ratio: float
    highest_ratio: float
    median_trained_grad_norm: float
    median_grad_norm: float
    grad_tol: float
    verdict: str


def _median(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    return float(np.median(values)) if values.size else float("nan")


def read(survey: Survey, grad_tol: float | None = None, zero_tol: float | None = None) -> Reading:
    """The survey's reading with ``grad_tol`` (default: the survey's own) as the tolerance for
    ‖∇L‖ = 0, and ``zero_tol`` (default: the survey's, relative to each point's max|λ|) for
    λ = 0. A looser tolerance than the survey's only re-labels its points (the solve went on to
    the survey's)."""
    tol = survey.grad_tol if grad_tol is None else float(grad_tol)
    lam = survey.eigenvalues
    if zero_tol is None:
        ratios, tols = survey.minimum_ratios, survey.zero_tols
        relative = float(np.nanmedian(survey.zero_tols / np.max(np.abs(lam), axis=1)))
        relative = relative if np.isfinite(relative) else 1e-7
    else:
        ratios, tols = relative_minimum_ratio(lam, zero_tol)
        relative = float(zero_tol)
    done = np.isfinite(ratios)
    critical = done & (survey.grad_norms <= tol)
    negative = np.sum(lam < -tols[:, None], axis=1)
    zero = np.sum(np.abs(lam) <= tols[:, None], axis=1)
    at = ratios[critical]
    in_band = (at >= BAND[0]) & (at <= BAND[1])
    verdict = "reproduced"
    if not critical.any():
        verdict = "no_critical"
    elif 2 * critical.sum() < done.sum():
        verdict = "few_critical"
    elif not BAND[0] <= _median(at) <= BAND[1]:
        verdict = "outside"
    else:
        for factor in (1 / BAND_CHECK, BAND_CHECK):
            moved = relative_minimum_ratio(lam[critical], relative * factor)[0]
            if not BAND[0] <= _median(moved) <= BAND[1]:
                verdict = "cutoff"
    return Reading(
        runs=len(ratios),
        finished=int(done.sum()),
        critical=int(critical.sum()),
        stalled=int((done & ~critical).sum()),
        minima=int(np.sum(critical & (negative == 0) & (zero == 0))),
        flat=int(np.sum(critical & (negative == 0) & (zero > 0))),
        saddles=int(np.sum(critical & (negative > 0))),
        in_band=int(in_band.sum()),
        median_critical=_median(at),
        median_stalled=_median(ratios[done & ~critical]),
        median_ratio=_median(ratios[done]),
        lowest_ratio=float(ratios[done].min()) if done.any() else float("nan"),
        highest_ratio=float(ratios[done].max()) if done.any() else float("nan"),
        median_trained_grad_norm=_median(survey.trained_grad_norms[done]),
        median_grad_norm=_median(survey.grad_norms[done]),
        grad_tol=tol,
        verdict=verdict,
    )


class Spread(NamedTuple):
    """Minimum ratios against a setting (``at``, C values): per group ("critical", "stalled"),
    the median (C,), least and largest (C,) over its runs (NaN where the group is empty) and its
    size (C,)."""

    at: np.ndarray
    median: dict[str, np.ndarray]
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    count: dict[str, np.ndarray]


def _spread(at: np.ndarray, ratios: np.ndarray, groups: dict[str, np.ndarray]) -> Spread:
    """``ratios`` (C, runs), ``groups`` name -> (C, runs) masks."""
    median, low, high, count = {}, {}, {}, {}
    for name, mask in groups.items():
        rows = [r[m] for r, m in zip(ratios, mask, strict=True)]
        median[name] = np.array([_median(r) for r in rows])
        low[name] = np.array([r.min() if r.size else np.nan for r in rows])
        high[name] = np.array([r.max() if r.size else np.nan for r in rows])
        count[name] = np.array([r.size for r in rows])
    return Spread(np.asarray(at, dtype=float), median, low, high, count)


def by_cutoff(survey: Survey, grad_tol: float | None = None) -> Spread:
    """The final points' minimum ratios at every relative zero cutoff of CUTOFFS, true critical
    points and stalls apart (from the eigenvalues already computed)."""
    tol = survey.grad_tol if grad_tol is None else float(grad_tol)
    ratios = np.array([relative_minimum_ratio(survey.eigenvalues, c)[0] for c in CUTOFFS])
    done = np.isfinite(ratios[0])
    critical = done & (survey.grad_norms <= tol)
    tile = lambda m: np.tile(m, (len(CUTOFFS), 1))  # noqa: E731
    return _spread(np.array(CUTOFFS), ratios, {"critical": tile(critical),
                                               "stalled": tile(done & ~critical)})  # fmt: skip


def by_budget(survey: Survey, zero_tol: float, grad_tol: float | None = None) -> Spread:
    """Minimum ratios (relative zero cutoff ``zero_tol``) after each of the survey's Newton
    budgets, for the points that are critical and those that are not after that many steps."""
    tol = survey.grad_tol if grad_tol is None else float(grad_tol)
    ratios = relative_minimum_ratio(survey.budget_eigenvalues, zero_tol)[0]
    done = np.isfinite(ratios)
    critical = done & (survey.budget_grad_norms <= tol)
    return _spread(survey.budgets, ratios, {"critical": critical, "stalled": done & ~critical})


def signs(eigenvalues: np.ndarray, zero_tol: float) -> tuple[int, int, int]:
    """How many eigenvalues are below −zero_tol, within ±zero_tol, above it (the absolute
    tolerance ``Survey.zero_tols`` holds for each point)."""
    lam = np.asarray(eigenvalues, dtype=float)
    return int(np.sum(lam < -zero_tol)), int(np.sum(np.abs(lam) <= zero_tol)), int(
        np.sum(lam > zero_tol))  # fmt: skip


def curved_share(network: Network, theta: np.ndarray) -> float:
    """‖H∇L‖ / (max|λ| · ‖∇L‖) at θ, in [0, 1]: 1 when the gradient points along the most curved
    direction, near 0 when it lies in almost flat ones, where minimising ‖∇L‖² stalls (Frye et
    al. 2021: H∇L = 0 with ∇L ≠ 0). NaN where ∇L = 0."""
    g = network.grad(theta)
    lam, q = network.spectrum(theta)
    norm, top = float(np.linalg.norm(g)), float(np.max(np.abs(lam)))
    if norm == 0 or top == 0:
        return float("nan")
    return float(np.linalg.norm(q @ (lam * (q.T @ g))) / (top * norm))


class Point(NamedTuple):
    """One survey point in numbers (``point``): loss, ‖∇L‖, whether it is a true critical point,
    minimum ratio, λmin and λmax, κ of
    the positive part (nets.curvature), ``curved_share``, the eigenvalues' sign counts and the
    absolute zero tolerance they were counted with."""

    loss: float
    grad_norm: float
    critical: bool
    ratio: float
    lowest: float
    highest: float
    kappa: float
    curved: float
    negative: int
    zero: int
    positive: int
    zero_tol: float


def point(network: Network, survey: Survey, run: int) -> Point:
    """Run ``run``'s point of ``survey`` (made on ``network``) in numbers."""
    theta, lam, tol = survey.thetas[run], survey.eigenvalues[run], float(survey.zero_tols[run])
    return Point(
        float(survey.losses[run]), float(survey.grad_norms[run]), bool(survey.critical[run]),
        float(survey.minimum_ratios[run]), float(lam[0]), float(lam[-1]),
        float(curvature(network, theta).kappa), curved_share(network, theta), *signs(lam, tol),
        tol,
    )  # fmt: skip


class Escape(NamedTuple):
    """The Hessian plane at θ on a window sized to the loss (``escape_plane``): along u(λmin)
    the loss is lowest at ``distance`` from θ, ``fall`` below L(θ) (both 0 if it never falls)."""

    slice: Slice
    distance: float
    fall: float


def escape_plane(network: Network, theta: np.ndarray) -> Escape:
    """``hessian_plane`` (x along the unit eigenvector of λmin, y along λmax's) on a window that
    shows what each direction does. The loss is scanned outwards along +u(λmin) and −u(λmin), to
    max(‖θ‖, 1) at most, as far as it keeps falling: the deeper of the two dips is the way down
    (a lower point beyond a rise is another basin, not this point's escape). x spans twice the
    dip's distance (the way down, then the rise beyond it), or, if the loss rises at once on both
    sides, out to where it has risen by a tenth; y spans the distance at which the quadratic model
    ½λmax y² rises as much as the loss does at the x edge. At a saddle of a network the way down
    can be a tiny share of the loss, invisible on a square window."""
    theta = np.asarray(theta, dtype=float)
    plane = hessian_plane(network, theta)
    u = plane.directions[0]
    base = float(network.loss(theta))
    t = SCAN * max(float(np.linalg.norm(theta)), 1.0)
    distance, fall, span = 0.0, 0.0, float(t[-1])
    for side in (-1, 1):
        along = np.concatenate([[base], network.loss(theta + side * t[:, None] * u)])
        rising = np.flatnonzero(np.diff(along) > 0)
        stop = int(rising[0]) if rising.size else len(t)  # along[stop]: the dip's bottom
        if base - along[stop] > fall:
            distance, fall = float(t[stop - 1]), base - float(along[stop])
        risen = t[along[1:] >= base + 0.1 * abs(base)]
        span = min(span, float(risen.min())) if risen.size else span
    if fall > 0:
        span = 2 * distance
    edges = network.loss(theta + np.array([-span, span])[:, None] * u)
    rise = max(float(np.max(edges)) - base, np.finfo(float).tiny)
    top = float(network.spectrum(theta)[0][-1])
    height = float(np.sqrt(2 * rise / top)) if top > 0 else span
    domain = ((-span, span), (-height, height))
    return Escape(dataclasses.replace(plane, domain=domain), distance, fall)


class Path(NamedTuple):
    """θs along a training path, ``thetas`` (n, P), kept at the training ``steps`` (n,)."""

    steps: np.ndarray
    thetas: np.ndarray


def training_path(
    network: Network, run: int, *, runs: int, seed: int, steps: int, optimizer: Optimizer | None
) -> Path:
    """Run ``run`` of a survey (``nets.survey(network, runs, seed=seed, steps=steps,
    optimizer=optimizer)``) traced again from its start: every run is trained again together, as
    the survey trains them, so the θs are the survey's to the last bit (one run alone is computed
    in differently sized batches, and its path drifts). About PATH_POINTS θs are kept, the start
    first and the trained θ (before the Newton steps) last; a run that diverged stays at its last
    good θ."""
    begin = starts(network, runs, seed)
    keep = max(1, steps // PATH_POINTS)
    trained = train_network(network, begin, optimizer, steps=steps, keep_every=keep)
    return Path(np.asarray(trained.kept_steps), np.asarray(trained.thetas[:, run, :], dtype=float))
