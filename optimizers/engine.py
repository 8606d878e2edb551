"""The one stepping loop: many runs (optimizers × starts) of any number of parameters, advanced
together through ``rules.advance``, the code every ``Optimizer.update`` runs.

``simulate_many`` (2-D surfaces, every step kept), ``sweep`` (thousands of runs, a summary of
each) and ``train`` (networks, θ every few steps) are its clients: each reads the ``Block``s that
``Runs.blocks`` yields and keeps what it needs.

- Parameters are ``(runs, P)``. Per-step coefficients are stacked to ``(steps, runs, 1)`` and
  constants to ``(runs, 1)``, broadcasting over the P parameters; runs that share one optimizer
  object share one column, so a grid of 3,600 starts costs one optimizer's coefficients.
- A run stops at the first step whose gradient is not finite (``undefined_at``: the index of the
  point where it was evaluated, the last one kept) or whose new point is outside the bound
  (``diverged_at``: the index of that first bad point; the point before it is the last one
  kept). A stopped run is dropped from the batch; the others go on. Runs are checked once per
  block of steps and a stopped run's later steps are discarded, the same as checking every step.
- Limits are checked here, whoever calls: ``MAX_STEPS`` steps, at most ``MAX_PARAMS`` parameters,
  and each client's own budget of work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from optimizers.rules import Coefficients, Constants, Optimizer, State, Terms, advance

MAX_STEPS = 10_000
MAX_PARAMS = 100_000
_BLOCK_STEPS = 1024  # at most this many steps between checks for stopped runs
_BLOCK_FLOATS = 1 << 18  # and at most this many floats per array of a block (2 MB)

GradAt = Callable[[np.ndarray, int], np.ndarray]  # (θ of the running runs (n, P), step) -> ∇L


class Block(NamedTuple):
    """Steps ``first`` … ``first + len(points) − 1`` of the runs still going when it began."""

    first: int  # index of the block's first step; its points are θ_{first+1}, θ_{first+2}, …
    alive: np.ndarray  # (a,) indices of the runs advanced in this block
    points: np.ndarray  # (n, a, P): θ after each step
    kept: np.ndarray  # (a,) how many of those points each run keeps: n, or fewer if it stopped
    sigmas: np.ndarray | None  # (n, a, P) σ of each step (1 where none), when asked for
    momenta: np.ndarray | None  # (n, a, P) momentum buffer after each step, when asked for


def check(ok: bool, message: str) -> None:
    """Raise ValueError(message) unless ok: how every limit of the core is enforced."""
    if not ok:
        raise ValueError(message)


def check_steps(steps: int) -> None:
    check(
        isinstance(steps, int | np.integer) and 0 <= steps <= MAX_STEPS,
        f"steps must be an integer between 0 and {MAX_STEPS}, got {steps}",
    )


def check_work(what: str, budget: int, **sizes: int) -> None:
    """The product of ``sizes`` (runs, steps, …) must not exceed ``budget``; ``what`` names it."""
    work = int(np.prod(list(sizes.values())))
    check(
        work <= budget,
        f"{what}: "
        + " × ".join(f"{n:,} {name}" for name, n in sizes.items())
        + f" = {work:,}, over the limit of {budget:,}; ask for fewer runs or steps",
    )


class Runs:
    """Runs of ``optimizers[r]`` from ``starts[r]`` for ``steps`` steps, advanced together.

    ``lrs`` is η_t per step and run ``(steps, runs)``; ``has_momentum`` says per run whether its
    optimizer has a momentum buffer to report. ``diverged_at`` and ``undefined_at`` (int or None
    per run) are filled in as ``blocks`` runs.
    """

    def __init__(self, optimizers: Sequence[Optimizer], starts: np.ndarray, steps: int) -> None:
        check_steps(steps)
        runs, params = starts.shape
        check(len(optimizers) == runs, f"{len(optimizers)} optimizers but {runs} starts")
        check(runs >= 1, "there must be at least one run")
        check(1 <= params <= MAX_PARAMS, f"parameters must number 1 to {MAX_PARAMS}, got {params}")
        check(bool(np.all(np.isfinite(starts))), "start must be finite")
        self.starts, self.steps = starts, steps
        distinct = list({id(o): o for o in optimizers}.values())
        t = np.arange(steps)
        per_optimizer = [o.rule.coefficients(t) for o in distinct]
        if len(distinct) == 1:
            columns = [per_optimizer[0]]
            self._constants = [distinct[0].rule.constants]
        else:
            index = {id(o): i for i, o in enumerate(distinct)}
            columns = [per_optimizer[index[id(o)]] for o in optimizers]
            self._constants = [o.rule.constants for o in optimizers]
        self.coefficients = Coefficients(
            *(np.stack(f, axis=1)[:, :, None] for f in zip(*columns, strict=True))
        )
        self.constants = Constants(
            *(np.array(f)[:, None] for f in zip(*self._constants, strict=True))
        )
        self.lrs = np.broadcast_to(self.coefficients.lr[:, :, 0], (steps, runs))
        self.has_momentum = np.broadcast_to(self.constants.has_momentum[:, 0], (runs,))
        self.diverged_at: list[int | None] = [None] * runs
        self.undefined_at: list[int | None] = [None] * runs

    def blocks(
        self, grad_at: GradAt, centre: np.ndarray, bound: np.ndarray, *, details: bool = False
    ) -> Iterator[Block]:
        """Advance every run, yielding each block of steps once checked. A point is good when
        |θ − centre| ≤ bound in every coordinate (so finite). ``details`` records σ and m."""
        params = self.starts.shape[1]
        on = Terms.of(self.constants, self.coefficients)
        alive = np.arange(len(self.starts))
        consts = _expand(self.constants, alive, (len(alive), params))
        p = self.starts
        state = State.initial(p, consts.square_init)
        first = 0
        with np.errstate(all="ignore"):
            while first < self.steps and len(alive):
                n = min(_block_steps(len(alive), params), self.steps - first)
                k = _expand(
                    self.coefficients, alive, (n, len(alive), params), np.s_[first : first + n]
                )
                points = np.empty((n, len(alive), params))
                grads = []
                sigmas = np.ones_like(points) if details else None
                momenta = np.zeros_like(points) if details else None
                for i in range(n):
                    g = grad_at(p, first + i)
                    grads.append(g)
                    p, state, sigma = advance(p, g, state, k, i, consts, on)
                    points[i] = p
                    if details:
                        sigmas[i] = sigma
                        momenta[i] = state.momentum
                undefined = ~np.all(np.isfinite(np.stack(grads)), axis=-1)
                bad = undefined | ~np.all(np.abs(points - centre) <= bound, axis=-1)
                stopped = bad.any(axis=0)
                kept = np.where(stopped, bad.argmax(axis=0), n)
                for j in np.flatnonzero(stopped):
                    if undefined[kept[j], j]:
                        self.undefined_at[alive[j]] = first + int(kept[j])
                    else:
                        self.diverged_at[alive[j]] = first + int(kept[j]) + 1
                yield Block(first, alive, points, kept, sigmas, momenta)
                first += n
                if stopped.any():
                    keep = ~stopped
                    alive, p = alive[keep], p[keep]
                    state = State(state.count, *(a[keep] for a in state[1:]))
                    consts = _expand(self.constants, alive, p.shape)


def _expand(stacked: Any, alive: np.ndarray, shape: tuple[int, ...], steps: Any = ()) -> Any:
    """Rows ``steps`` of the running runs' columns of stacked arrays (a NamedTuple of them), each
    copied out to the full ``shape``: NumPy is several times slower with an operand broadcast
    along a short last axis, and this copy is made once per block, not once per step."""
    return type(stacked)(
        *(np.broadcast_to(_columns(a[steps], alive), shape).copy() for a in stacked)
    )


def _columns(a: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """The running runs' columns (axis −2) of a stacked array; a shared column serves them all."""
    return a if a.shape[-2] in (1, len(alive)) else a[..., alive, :]


def _block_steps(runs: int, params: int) -> int:
    return max(1, min(_BLOCK_STEPS, _BLOCK_FLOATS // (runs * params)))
