"""The curvature of a network's loss at given θs: the exact Hessian's top eigenvalue and κ of its
positive part (e.g. at checkpoints of a training path)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nets.model import Network, check_work
from nets.survey import ZERO_TOL, minimum_ratio
from optimizers.engine import check

MAX_POINTS = 1_000  # θs per curvature call


class Curvature(NamedTuple):
    """Per θ: the top Hessian eigenvalue λmax, κ = λmax / λ₊ with λ₊ the smallest eigenvalue above
    the zero tolerance (NaN when none is), and that tolerance."""

    top: np.ndarray
    kappa: np.ndarray
    zero_tols: np.ndarray


def curvature(network: Network, thetas: np.ndarray, *, zero_tol: float = ZERO_TOL) -> Curvature:
    """The exact Hessian's top eigenvalue and κ of its positive part at each θ of ``thetas``
    ((n, P), e.g. checkpoints of a training path, or (P,) for one point: then scalars)."""
    thetas = np.asarray(thetas, dtype=float)
    flat = thetas.reshape(-1, network.n_params)
    check(len(flat) <= MAX_POINTS, f"at most {MAX_POINTS} points per call")
    check_work(network, len(flat) * 3 * network.n_params)
    lam = network.spectrum(flat)[0]
    _, tols = minimum_ratio(lam, zero_tol)
    smallest = np.min(np.where(lam > tols[:, None], lam, np.inf), axis=1)
    top = lam[:, -1]
    kappa = np.where(np.isfinite(smallest), top / smallest, np.nan)
    shape = thetas.shape[:-1]
    return Curvature(top.reshape(shape), kappa.reshape(shape), tols.reshape(shape))
