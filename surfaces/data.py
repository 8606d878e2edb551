"""Data-defined surfaces: a tiny model over a small dataset, with minibatch losses and gradients.

Declare one with a ``DataModel(...)`` appended to ``DECLARATIONS``:

- ``loss``: the PER-SAMPLE loss, SymPy syntax in the two model parameters (named by
  ``parameters``, e.g. ``("b", "w")``) and the per-sample data symbols (the keys of ``data``);
- ``data``: the dataset, one equal-length 1-D array per data symbol (features and target);
- plus the usual ``Declaration`` fields (domain, start, LaTeX, known critical points, ...).

The surface is the MEAN of the per-sample loss over the samples. SymPy differentiates the
per-sample loss once; the lambdified value, gradient and Hessian are evaluated with the parameter
arrays given a trailing sample axis, then averaged over it, so a 200×200 grid costs one vectorized
pass. ``batch_loss``/``batch_grad`` do the same over the samples ``idx`` only.

``time_batch_gradients`` measures what one update costs per batch size on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy as sp

from surfaces.base import Declaration, Param, Surface, X, Y
from surfaces.registry import register


class DataSurface(Surface):
    """A Surface that is the mean over ``n_samples`` samples of a per-sample loss."""

    def __init__(self, *, data: dict[sp.Symbol, np.ndarray], **fields) -> None:
        self._symbols = tuple(data)
        self._data = tuple(np.asarray(a, dtype=np.float64) for a in data.values())
        self.n_samples = len(self._data[0])
        super().__init__(**fields)

    def _compile(self, exprs: list[sp.Expr]) -> Callable:
        return sp.lambdify((X, Y, *self._symbols), exprs, modules="numpy", cse=True)

    def _parts(self, fn: Callable, x: np.ndarray, y: np.ndarray, idx: np.ndarray | None) -> list:
        data = self._data if idx is None else tuple(a[idx] for a in self._data)
        parts = fn(x[..., None], y[..., None], *data)
        # Every non-scalar part ends in the sample axis (size 1 or len(idx)); scalars are constant.
        return [p if np.ndim(p) == 0 else np.mean(p, axis=-1) for p in parts]

    def batch_loss(self, x, y, idx) -> np.ndarray:
        """Mean loss over the samples ``idx`` (1-D integer array shared by every point)."""
        return self._evaluate(self._f, x, y, _indices(idx, self.n_samples))[..., 0]

    def batch_grad(self, x, y, idx) -> np.ndarray:
        """Gradient of ``batch_loss``, shape (..., 2)."""
        return self._evaluate(self._g, x, y, _indices(idx, self.n_samples))


def _indices(idx, n: int) -> np.ndarray:
    idx = np.asarray(idx)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError("idx must be a non-empty 1-D integer array of sample indices")
    if idx.min() < -n or idx.max() >= n:
        raise ValueError(f"sample indices must lie in [0, {n})")
    return idx


class BatchTiming(NamedTuple):
    """What one update costs with batches of ``batch_size`` samples, measured."""

    batch_size: int
    updates_per_epoch: int  # n // B: the last partial batch is dropped, as in the simulator
    seconds_per_update: float  # one minibatch gradient, best of the repeats

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds_per_update * self.updates_per_epoch


MAX_REPEATS, MAX_SIZES = 1000, 16  # so no call holds a server for long


def time_batch_gradients(
    surface: DataSurface,
    sizes: Sequence[int],
    *,
    repeats: int = 200,
    clock: Callable[[], float] = time.perf_counter,
) -> list[BatchTiming]:
    """Time one minibatch gradient per batch size B at the surface's start, best of ``repeats``.

    An epoch of batches of B takes n // B updates, so its time is
    ``seconds_per_update · (n // B)``. The best of many calls is the figure least disturbed by
    other work on a shared machine; NumPy evaluates a batch's samples together, so the cost of
    an update grows far more slowly than B (as on parallel hardware, not as on one core).
    """
    n = surface.n_samples
    if not 1 <= repeats <= MAX_REPEATS:
        raise ValueError(f"repeats must be between 1 and {MAX_REPEATS}, got {repeats}")
    if not 1 <= len(sizes) <= MAX_SIZES or any(not 1 <= int(b) <= n for b in sizes):
        raise ValueError(
            f"1 to {MAX_SIZES} batch sizes between 1 and n_samples={n}, got {list(sizes)[:20]}"
        )
    x, y = surface.default_start
    rows = []
    for size in sizes:
        idx = np.arange(int(size))
        best = np.inf
        for _repeat in range(repeats):
            begin = clock()
            surface.batch_grad(x, y, idx)
            best = min(best, clock() - begin)
        rows.append(BatchTiming(int(size), n // int(size), float(best)))
    return rows


@dataclass(frozen=True, kw_only=True)
class DataModel(Declaration):
    loss: str
    parameters: tuple[str, str]
    data: dict[str, tuple[float, ...]]
    minima: tuple[tuple[float, float], ...] | None = None

    def build(self, params: dict[str, Param]) -> DataSurface:
        names = {self.parameters[0]: X, self.parameters[1]: Y}
        samples = {name: sp.Symbol(name, real=True) for name in self.data}
        expr = sp.sympify(self.loss, locals=names | samples)
        return DataSurface(
            expr=expr,
            data={samples[name]: np.array(v) for name, v in self.data.items()},
            minima=self.minima,
            **self.surface_fields(params),
        )


# LECTURE.md part 3: ŷ = b + w·x on ten points (the course's Pokémon CP demo).
_CP_BEFORE = (338.0, 333.0, 328.0, 207.0, 226.0, 25.0, 179.0, 60.0, 208.0, 606.0)
_CP_AFTER = (640.0, 633.0, 619.0, 393.0, 428.0, 27.0, 193.0, 66.0, 226.0, 1591.0)
# The least-squares optimum (b, w): the surface's only critical point.
_LSQ = tuple(
    np.linalg.lstsq(np.column_stack([np.ones(10), _CP_BEFORE]), np.array(_CP_AFTER), rcond=None)[0]
)

DECLARATIONS = (
    DataModel(
        key="regression",
        title="Linear regression ŷ = b + w·x (ten points)",
        loss="(t - (b + w*u))**2",
        parameters=("b", "w"),
        data={"u": _CP_BEFORE, "t": _CP_AFTER},
        domain=((-200.0, -100.0), (-5.0, 5.0)),
        start=(-120.0, -4.0),
        latex=r"L(b, w) = \frac{1}{10}\sum_{n=1}^{10}\left(\hat y^n - (b + w\,x^n)\right)^2",
        critical=(("minimum", *_LSQ),),
        complete=True,
        axis_labels=("b", "w"),
    ),
)

for _declaration in DECLARATIONS:
    register(_declaration)
