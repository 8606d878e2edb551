"""What a survey of trained networks says, in the numbers a page prints: how many runs reached a
critical point, how many are local minima, the spread of minimum ratios (``read``); the signs of
one point's spectrum (``signs``); how much of a leftover gradient lies along curved directions
(``curved_share``); a window onto the escape direction (``escape_plane``); and a run's training
path re-traced from its start (``training_path``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np

from nets.curvature import curvature
from nets.landscape import Slice, hessian_plane
from nets.model import Network
from nets.survey import Survey, starts, train

BAND = (0.5, 0.6)  # the lecture's minimum ratios of networks trained to convergence
PATH_POINTS = 200  # θs kept along a re-traced training path (plus the start and the end)
SCAN = np.geomspace(1e-4, 1.0, 32)  # × max(‖θ‖, 1) along u(λmin); 32 θs, a shape compiled already


class Reading(NamedTuple):
    """A survey in counts: ``finished`` runs neither diverged nor met an undefined gradient;
    ``critical`` of them end at ‖∇L‖ ≤ ``grad_tol``; ``minima`` have minimum ratio 1 (every
    eigenvalue above the zero tolerance); ``no_negative`` have no eigenvalue below minus it (a
    minimum, or flat to second order); ``in_band`` have a ratio within BAND. Medians and the
    ratios' range are over finished runs (NaN when none finished)."""

    runs: int
    finished: int
    critical: int
    minima: int
    no_negative: int
    in_band: int
    median_ratio: float
    lowest_ratio: float
    highest_ratio: float
    median_trained_grad_norm: float
    median_grad_norm: float
    grad_tol: float


def read(survey: Survey, grad_tol: float | None = None) -> Reading:
    """The survey's reading with ``grad_tol`` (default: the survey's own) as the tolerance for
    ‖∇L‖ = 0. A looser tolerance than the survey's only re-labels its points (refinement went on
    to the survey's)."""
    tol = survey.grad_tol if grad_tol is None else float(grad_tol)
    done = np.isfinite(survey.minimum_ratios)
    ratios = survey.minimum_ratios[done]
    negative = (survey.eigenvalues[done] < -survey.zero_tols[done, None]).sum(axis=1)

    def median(values: np.ndarray) -> float:
        return float(np.median(values)) if values.size else float("nan")

    return Reading(
        runs=len(survey.minimum_ratios),
        finished=int(done.sum()),
        critical=int(np.sum(survey.grad_norms[done] <= tol)),
        minima=int(np.sum(ratios == 1)),
        no_negative=int(np.sum(negative == 0)),
        in_band=int(np.sum((ratios >= BAND[0]) & (ratios <= BAND[1]))),
        median_ratio=median(ratios),
        lowest_ratio=float(ratios.min()) if ratios.size else float("nan"),
        highest_ratio=float(ratios.max()) if ratios.size else float("nan"),
        median_trained_grad_norm=median(survey.trained_grad_norms[done]),
        median_grad_norm=median(survey.grad_norms[done]),
        grad_tol=tol,
    )


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
    """One survey point in numbers (``point``): loss, ‖∇L‖, minimum ratio, λmin and λmax, κ of
    the positive part (nets.curvature), ``curved_share``, the eigenvalues' sign counts and the
    absolute zero tolerance they were counted with."""

    loss: float
    grad_norm: float
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
        float(survey.losses[run]), float(survey.grad_norms[run]),
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
    network: Network, run: int, *, runs: int, seed: int, steps: int, optimizer: str, **hyper: Any
) -> Path:
    """Run ``run`` of a survey (``nets.survey(network, runs, seed=seed, steps=steps,
    optimizer=optimizer, **hyper)``) traced again from its start: every run is trained again
    together, as the survey trains them, so the θs are the survey's to the last bit (one run
    alone is computed in differently sized batches, and its path drifts). About PATH_POINTS θs
    are kept, the start first and the trained θ (before refinement) last; a run that diverged
    stays at its last good θ."""
    begin = starts(network, runs, seed)
    keep = max(1, steps // PATH_POINTS)
    trained = train(network, begin, optimizer=optimizer, steps=steps, keep_every=keep, **hyper)
    return Path(np.asarray(trained.kept_steps), np.asarray(trained.thetas[:, run, :], dtype=float))
