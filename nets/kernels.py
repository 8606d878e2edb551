"""The networks' JAX code: forward pass, losses and their exact derivatives, compiled once per
architecture.

Imported on first use by ``nets.model`` and ``nets.critical`` (never by ``import nets``):
importing jax costs about 1.5 s and 200 MB, which only the pages that train networks should pay.
Float64 on the CPU throughout.
``kernels(arch, n_samples)`` is cached, so a second Network of the same shape reuses the compiled
functions (jit caches each by its argument shapes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import nets.jaxcache  # noqa: F401  (the persistent compilation cache, before any compiling)
from nets.arch import BN_EPS, Arch, layers, layout

jax.config.update("jax_enable_x64", True)  # before any array exists
jax.config.update("jax_platforms", "cpu")

ACTIVATIONS: dict[str, Callable] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,  # derivative 0 at 0, as torch's
    "sigmoid": jax.nn.sigmoid,
    "linear": lambda h: h,  # nn.Identity
}
# Bytes the Hessian's forward-mode pass may hold at once: it pushes ``batch`` basis vectors
# through the network together, each carrying every sample's activations.
HESSIAN_BYTES = 64 * 2**20


def forward(arch: Arch, theta, x, running=None):
    """Outputs for inputs x, and each batch-norm layer's (batch mean, biased batch variance).

    Batch norm as torch.nn.BatchNorm1d: ẑ = (z − μ)/√(σ² + ε)·γ + β with the batch's μ and biased
    σ² (training mode), or with ``running`` (one (mean, var) pair per BN layer; eval mode).
    """
    h, stats = x, []
    act = ACTIVATIONS[arch.activation]
    shapes = [shape for _, shape in layout(arch)]
    # One split (its derivative is one concatenation) rather than a slice per tensor.
    parts = iter(jnp.split(theta, np.cumsum([np.prod(s, dtype=int) for s in shapes])[:-1]))
    for layer in layers(arch):
        weight = next(parts).reshape(layer.n_out, layer.n_in)
        h = h @ weight.T + next(parts)
        if not layer.hidden:
            break
        if layer.bn:
            gamma, beta = next(parts), next(parts)
            batch = running is None
            mean, var = (jnp.mean(h, 0), jnp.var(h, 0)) if batch else running[len(stats)]
            stats.append((mean, var))
            h = (h - mean) / jnp.sqrt(var + BN_EPS) * gamma + beta
        h = act(h)
    return h, stats


def loss_fn(arch: Arch) -> Callable:
    """θ, x, y -> nn.MSELoss() (mean over every output) or nn.CrossEntropyLoss() (mean over
    samples of logsumexp(z) − z_y)."""

    def loss(theta, x, y):
        out, _ = forward(arch, theta, x)
        if arch.task != "classification":  # regression and autoencoder: nn.MSELoss()
            return jnp.mean((out - y) ** 2)
        picked = jnp.take_along_axis(out, y[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(out, axis=1) - picked)

    return loss


class Kernels(NamedTuple):
    """Compiled functions of (θ, x, y): loss, gradient and batch statistics over θs of shape
    (m, P) (one compilation serves single θs and batches); Hessian and spectrum of one θ: XLA's
    batched small matrix products are slower here than one θ at a time, and each compiled form
    of the Hessian costs seconds."""

    loss: Callable  # (θs, x, y) -> (m,)
    grad: Callable  # (θs, x, y) -> (m, P)
    hessian: Callable  # (θ, x, y) -> (P, P)
    spectrum: Callable  # (θ, x, y) -> eigenvalues (ascending), eigenvectors (columns) of H
    outputs: Callable  # (θ, x, running) -> outputs
    batch_stats: Callable  # (θs, x, y) -> (m, means and biased variances of every BN layer)


# Each architecture's compiled functions hold 20–90 MB of XLA code: a hosted app keeps the few
# in use (Streamlit Community Cloud's smallest tier has 690 MB for everything).
MAX_COMPILED = 6


@functools.lru_cache(maxsize=MAX_COMPILED)
def kernels(arch: Arch, n_samples: int) -> Kernels:
    loss = loss_fn(arch)
    grad = jax.grad(loss)
    n_params = layers(arch)[-1].stop
    per_vector = 8 * 3 * n_samples * sum(arch.widths)  # value, tangent and cotangent activations
    batch = int(min(n_params, max(1, HESSIAN_BYTES // per_vector)))

    def hessian(theta, x, y):
        """Forward over reverse (columns H e_i as JVPs of ∇L), ``batch`` columns at a time."""
        if batch == n_params:
            h = jax.jacfwd(grad)(theta, x, y)
        else:
            column = lambda v: jax.jvp(lambda t: grad(t, x, y), (theta,), (v,))[1]  # noqa: E731
            h = jax.lax.map(column, jnp.eye(n_params, dtype=theta.dtype), batch_size=batch)
        return (h + h.T) / 2

    def batch_stats(theta, x, y):
        stats = forward(arch, theta, x)[1]
        return jnp.concatenate([m for m, _ in stats] + [v for _, v in stats])

    hessian = jax.jit(hessian)
    many = functools.partial(jax.vmap, in_axes=(0, None, None))
    return Kernels(
        loss=jax.jit(many(loss)),
        grad=jax.jit(many(grad)),
        hessian=hessian,
        spectrum=lambda theta, x, y: _eigh(hessian(theta, x, y)),
        outputs=jax.jit(lambda theta, x, running: forward(arch, theta, x, running)[0]),
        batch_stats=jax.jit(many(batch_stats)),
    )


_eigh = jax.jit(jnp.linalg.eigh)  # one compilation per matrix size, shared by architectures


# ---- Newton-type solves of ∇L = 0 (nets.critical) -----------------------------------------------

MU_FLOOR = 1e-30  # μ's floor, × λmax² (on ½‖∇L‖²) or × λmax (on L): keeps 0/0 out of the step
MU_CEILING = 1e30  # and its ceiling, past which a step is 0 whatever μ does


@functools.lru_cache(maxsize=MAX_COMPILED)
def solver(arch: Arch, n_samples: int, minimise: bool) -> Callable:
    """(θ, μ, x, y, steps, tol) -> (θ, μ, steps taken): one start's damped Newton iteration
    (nets.critical), its whole loop compiled. A NaN μ starts from the default. One start per
    call, not a vmapped batch: XLA's batched eigh took twice as long per matrix on this CPU."""
    loss = loss_fn(arch)
    grad = jax.grad(loss)

    def spectrum(theta, x, y):
        h = jax.jacfwd(grad)(theta, x, y)
        return jnp.linalg.eigh((h + h.T) / 2)

    def one(theta, mu, x, y, steps, tol):
        value, g = loss(theta, x, y), grad(theta, x, y)
        lam, q = spectrum(theta, x, y)
        top = jnp.max(jnp.abs(lam))
        scale = jnp.maximum(top if minimise else top**2, jnp.finfo(theta.dtype).tiny)
        start = (1e-3 if minimise else 1e-6) * scale
        mu = jnp.where(jnp.isnan(mu), start, mu)

        def going(carry):
            _theta, _mu, k, _value, g, _lam, _q = carry
            norm = jnp.linalg.norm(g)
            return (k < steps) & (norm > tol) & jnp.isfinite(norm)

        def step(carry):
            theta, mu, k, value, g, lam, q = carry
            along = q.T @ g
            # Saddle-free Newton on L (Dauphin et al. 2014), a descent direction; or
            # Levenberg–Marquardt on ½‖∇L‖², whose Jacobian is H.
            coeff = along / (jnp.abs(lam) + mu) if minimise else lam * along / (lam**2 + mu)
            trial = theta - q @ coeff
            value2, g2 = loss(trial, x, y), grad(trial, x, y)
            norm, norm2 = jnp.linalg.norm(g), jnp.linalg.norm(g2)
            if minimise:  # lower, or level within rounding with a smaller gradient
                level = value2 <= value + 8 * jnp.finfo(value.dtype).eps * jnp.abs(value)
                better = (value2 < value) | (level & (norm2 < norm))
            else:
                better = norm2 < norm
            better = better & jnp.isfinite(norm2) & jnp.isfinite(value2)
            mu = jnp.clip(jnp.where(better, mu / 3, mu * 4), MU_FLOOR * scale, MU_CEILING * scale)
            # The Hessian and its eigendecomposition only where the step is taken.
            return jax.lax.cond(
                better,
                lambda: (trial, mu, k + 1, value2, g2, *spectrum(trial, x, y)),
                lambda: (theta, mu, k + 1, value, g, lam, q),
            )

        carry = jax.lax.while_loop(going, step, (theta, mu, 0, value, g, lam, q))
        return carry[0], carry[1], carry[2]

    return jax.jit(one)
