"""The networks' JAX code: forward pass, losses and their exact derivatives, compiled once per
architecture.

Imported on first use by ``nets.model`` (never by ``import nets``): importing jax costs about 1.5 s
and 200 MB, which only the pages that train networks should pay. Float64 on the CPU throughout.
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
from nets.model import BN_EPS, Arch, layers, layout

jax.config.update("jax_enable_x64", True)  # before any array exists
jax.config.update("jax_platforms", "cpu")

ACTIVATIONS: dict[str, Callable] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,  # derivative 0 at 0, as torch's
    "sigmoid": jax.nn.sigmoid,
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
        if arch.task == "regression":
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
