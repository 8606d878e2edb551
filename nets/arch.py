"""A network's shape, apart from its data and derivatives: the layer widths, activation, batch
norm and task (``Arch``), its Linear layers and where each one's parameters sit in θ (``layers``),
and the torch names and shapes of its parameter tensors (``layout``).

Its own module so that ``nets.model`` (which builds networks) and ``nets.kernels`` (which compiles
their derivatives) both read it without importing each other.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

BN_EPS = 1e-5  # torch.nn.BatchNorm1d's defaults
BN_MOMENTUM = 0.1


class Arch(NamedTuple):
    widths: tuple[int, ...]
    activation: str
    batch_norm: bool
    task: str


class Layer(NamedTuple):
    """One Linear (and its BatchNorm1d); its parameters are θ[start:stop]: weight, bias, γ, β."""

    n_in: int
    n_out: int
    start: int
    hidden: bool
    bn: bool

    @property
    def stop(self) -> int:
        return self.start + self.n_out * (self.n_in + 1 + 2 * self.bn)


@functools.lru_cache(maxsize=256)
def layers(arch: Arch) -> tuple[Layer, ...]:
    out, start = [], 0
    for i, (n_in, n_out) in enumerate(zip(arch.widths[:-1], arch.widths[1:], strict=True)):
        hidden = i < len(arch.widths) - 2
        out.append(Layer(n_in, n_out, start, hidden, hidden and arch.batch_norm))
        start = out[-1].stop
    return tuple(out)


@functools.lru_cache(maxsize=256)
def layout(arch: Arch) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """(name, shape) of every parameter tensor, as torch's ``named_parameters()``."""
    out, index = [], 0
    for layer in layers(arch):
        out += [(f"{index}.weight", (layer.n_out, layer.n_in)), (f"{index}.bias", (layer.n_out,))]
        if layer.bn:
            index += 1
            out += [(f"{index}.weight", (layer.n_out,)), (f"{index}.bias", (layer.n_out,))]
        index += 2  # the Linear (or BatchNorm1d) and the activation after it
    return tuple(out)
