"""The curvature of a network's loss at given θs (e.g. checkpoints of a training path): the exact
Hessian's top eigenvalue λmax as it is, and at the same function with its scale fixed.

Batch norm makes the loss blind to the norm of every weight row that feeds it: BN(a·w·x + b)
equals BN(w·x) for any a > 0 and any b (up to the ε under its square root), so a network whose
rows happen to be longer computes the same function on a flatter surface (H scales as 1/a² along
those rows). Raw λmax therefore says as much about how the weights happen to be scaled as about
the function. ``effective_top`` reads it at one representative of each class of equal functions:
every row feeding a batch norm at unit norm. ReLU has a rescaling symmetry of its own that this
does not fix (a unit's incoming weights and bias × a > 0, its outgoing weights × 1/a; Dinh et al.
2017), so a plain ReLU net's λmax keeps depending on it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.linalg import eigh_tridiagonal

from nets.model import Network, check_work
from nets.survey import RELATIVE_ZERO
from optimizers.engine import check

MAX_POINTS = 1_000  # θs per curvature call
LANCZOS_TOL = 1e-11  # a Ritz value is final when its residual is below this × its size


class Curvature(NamedTuple):
    """Per θ: ``top`` the Hessian's largest eigenvalue λmax at θ; ``effective_top`` λmax at
    ``unit_rows(θ)`` (the same function; equal to ``top`` without batch norm); ``kappa`` =
    λmax / λ₊ of the Hessian with its exactly flat coordinates (``flat_coordinates``) removed, λ₊
    its smallest eigenvalue above ``zero_tols`` (NaN when none is); ``zero_tols`` that cutoff,
    absolute: RELATIVE_ZERO (or the ``zero_tol`` given) × the largest |λ|. Without κ
    (``curvature(..., kappa=False)``) those two are NaN."""

    top: np.ndarray
    effective_top: np.ndarray
    kappa: np.ndarray
    zero_tols: np.ndarray


def flat_coordinates(network: Network) -> np.ndarray:
    """A mask (P,) of the coordinates the loss does not depend on at all: the biases of the
    Linears that feed a batch norm, which subtracts them again with the batch mean. Their rows
    and columns of the Hessian are zero."""
    mask = np.zeros(network.n_params, dtype=bool)
    for layer in network.layers:
        if layer.bn:
            bias = layer.start + layer.n_out * layer.n_in
            mask[bias : bias + layer.n_out] = True
    return mask


def unit_rows(network: Network, thetas: np.ndarray) -> np.ndarray:
    """``thetas`` (..., P) with every weight row that feeds a batch norm (one unit's incoming
    weights) divided by its norm; a zero row stays zero, every other parameter as it was. The
    network computes the same function there, up to batch norm's ε."""
    out = np.array(thetas, dtype=float)
    for layer in network.layers:
        if layer.bn:
            cut = slice(layer.start, layer.start + layer.n_out * layer.n_in)
            rows = out[..., cut].reshape(*out.shape[:-1], layer.n_out, layer.n_in)
            norms = np.linalg.norm(rows, axis=-1, keepdims=True)
            rows = rows / np.where(norms > 0, norms, 1.0)
            out[..., cut] = rows.reshape(*out.shape[:-1], -1)
    return out


def curvature(
    network: Network, thetas: np.ndarray, *, zero_tol: float = RELATIVE_ZERO, kappa: bool = True
) -> Curvature:
    """λmax, its scale-free counterpart and κ at each θ of ``thetas`` ((n, P), or (P,) for one
    point: then scalars); see Curvature. Non-finite θs give NaN. With ``kappa=False`` only the
    top eigenvalues are computed (``top_eigenvalue``), several times faster: no Hessian is
    formed."""
    thetas = np.asarray(thetas, dtype=float)
    check(thetas.ndim >= 1 and thetas.shape[-1] == network.n_params,
          f"thetas must have shape (..., {network.n_params})")  # fmt: skip
    check(0 <= zero_tol < 1, "zero_tol must lie in [0, 1)")
    flat = thetas.reshape(-1, network.n_params)
    check(len(flat) <= MAX_POINTS, f"at most {MAX_POINTS} points per call")
    check_work(network, len(flat) * 3 * network.n_params * (1 + network.batch_norm))
    finite = np.all(np.isfinite(flat), axis=1)
    top, effective, kappas, tols = (np.full(len(flat), np.nan) for _ in range(4))
    here = flat[finite]
    if not len(here):
        pass
    elif kappa:
        kept = ~flat_coordinates(network)
        lam = _eigenvalues(network, here, kept)
        tols[finite] = zero_tol * np.max(np.abs(lam), axis=1)
        smallest = np.min(np.where(lam > tols[finite, None], lam, np.inf), axis=1)
        top[finite] = lam[:, -1]
        kappas[finite] = np.where(np.isfinite(smallest), lam[:, -1] / smallest, np.nan)
        effective[finite] = (
            _eigenvalues(network, unit_rows(network, here), kept)[:, -1]
            if network.batch_norm
            else lam[:, -1]
        )
    elif network.batch_norm:
        both = top_eigenvalue(network, np.concatenate([here, unit_rows(network, here)]))
        top[finite], effective[finite] = np.split(both, 2)
    else:
        top[finite] = effective[finite] = top_eigenvalue(network, here)
    shape = thetas.shape[:-1]
    return Curvature(*(a.reshape(shape) for a in (top, effective, kappas, tols)))


def top_eigenvalue(network: Network, thetas: np.ndarray) -> np.ndarray:
    """The Hessian's largest eigenvalue at each θ of ``thetas`` (n, P), finite, by Lanczos
    iteration on exact Hessian-vector products (forward over reverse), all θs in lockstep, with
    full reorthogonalisation, from one fixed random start vector. A θ's value is final when the
    Ritz value's residual ‖Hv − λv‖ (which bounds its error) is below LANCZOS_TOL × its size,
    or after P steps (then it is exact)."""
    thetas = np.asarray(thetas, dtype=float)
    m, p = thetas.shape
    hvp = _hvp(network)
    basis = np.zeros((m, p + 1, p))
    start = np.random.default_rng(0).standard_normal(p)
    basis[:, 0] = start / np.linalg.norm(start)
    alpha, beta = np.zeros((m, p)), np.zeros((m, p))
    top, done = np.full(m, np.nan), np.zeros(m, dtype=bool)
    for j in range(p):
        w = np.array(hvp(thetas, basis[:, j]))
        alpha[:, j] = np.einsum("mp,mp->m", w, basis[:, j])
        for _ in range(2):  # twice is enough (Parlett's "twice is enough")
            w -= np.einsum("mk,mkp->mp", np.einsum("mkp,mp->mk", basis[:, : j + 1], w),
                           basis[:, : j + 1])  # fmt: skip
        beta[:, j] = np.linalg.norm(w, axis=1)
        basis[:, j + 1] = w / np.where(beta[:, j] > 0, beta[:, j], 1.0)[:, None]
        if j % 4 == 3 or j == p - 1 or np.any(beta[:, j] == 0):
            # The top Ritz pair of each tridiagonal T_j, one small LAPACK call per θ (a batched
            # dense eigh is 20× slower here while jax's threads are about).
            for i in np.flatnonzero(~done):
                ritz, vector = eigh_tridiagonal(alpha[i, : j + 1], beta[i, :j], select="i",
                                                select_range=(j, j))  # fmt: skip
                residual = beta[i, j] * abs(vector[-1, 0])
                if residual <= LANCZOS_TOL * abs(ritz[0]) or j == p - 1 or beta[i, j] == 0:
                    top[i], done[i] = ritz[0], True
            if done.all():
                break
    return top


@functools.lru_cache(maxsize=16)
def _hvp_of(arch: object, n_samples: int) -> Callable:
    """(θs, vs, x, y) -> H(θ)·v per row, compiled per architecture (jax imported here, on first
    use, as nets.kernels)."""
    import jax

    from nets.kernels import loss_fn

    grad = jax.grad(loss_fn(arch))

    def hvp(theta, v, x, y):
        return jax.jvp(lambda t: grad(t, x, y), (theta,), (v,))[1]

    return jax.jit(jax.vmap(hvp, in_axes=(0, 0, None, None)))


def _hvp(network: Network) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """H·v for rows of θs and vs (m, P), padded to a power of two rows (few compilations)."""
    compiled = _hvp_of(network.arch, network.n_samples)

    def hvp(thetas: np.ndarray, vs: np.ndarray) -> np.ndarray:
        m = len(thetas)
        size = max(8, 1 << max(m - 1, 0).bit_length())
        pad = np.zeros((size - m, thetas.shape[1]))
        out = compiled(np.concatenate([thetas, pad + thetas[:1]]), np.concatenate([vs, pad]),
                       network.inputs, network.targets)  # fmt: skip
        return np.asarray(out)[:m]

    return hvp


def _eigenvalues(network: Network, thetas: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The Hessian's eigenvalues (ascending) on the ``kept`` coordinates, per θ of (n, P)."""
    hessians = network.hessian(thetas)[:, kept][:, :, kept]
    return np.linalg.eigvalsh(hessians)
