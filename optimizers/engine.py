"""The one stepping loop: many runs (optimizers × starts) of any number of parameters, advanced
together through ``rules.advance``, the code every ``Optimizer.update`` runs.

``simulate_many`` (2-D surfaces, every step kept), ``sweep`` (thousands of runs, a summary of
each) and ``train`` (networks, θ every few steps) are its clients: each reads the ``Block``s that
``Runs.blocks`` yields and keeps what it needs.

- Parameters are ``(runs, P)``. Per-step coefficients are computed once per distinct optimizer
  object, over every step, and stacked to ``(steps, optimizers, 1)`` (constants to
  ``(optimizers, 1)``); each block copies out its rows for the running runs, repeated over the
  P parameters. Runs sharing one optimizer share one column: a grid of 3,600 starts costs one
  optimizer's coefficients.
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
    """steps must be an integer in [0, MAX_STEPS]."""
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

    Coefficients and constants are stacked once per distinct optimizer object (``column`` maps
    each run to its own); ``has_momentum`` says per run whether its optimizer has a momentum
    buffer to report. ``diverged_at`` and ``undefined_at`` (int or None per run) are filled in
    as ``blocks`` runs.
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
        index = {id(o): i for i, o in enumerate(distinct)}
        self.column = np.array([index[id(o)] for o in optimizers])  # each run's optimizer
        t = np.arange(steps)
        per_optimizer = [o.rule.coefficients(t) for o in distinct]
        self.coefficients = Coefficients(*(_stack(f) for f in zip(*per_optimizer, strict=True)))
        self.constants = Constants(
            *(np.array(f)[:, None] for f in zip(*(o.rule.constants for o in distinct), strict=True))
        )
        self.has_momentum = self.constants.has_momentum[self.column, 0]
        self.diverged_at: list[int | None] = [None] * runs
        self.undefined_at: list[int | None] = [None] * runs

    @property
    def lrs(self) -> np.ndarray:
        """η_t per step and run, (steps, runs)."""
        return self.coefficients.lr[:, self.column, 0]

    def blocks(
        self, grad_at: GradAt, centre: np.ndarray, bound: np.ndarray, *, details: bool = False
    ) -> Iterator[Block]:
        """Advance every run, yielding each block of steps once checked. A point is good when
        |θ − centre| ≤ bound in every coordinate (so finite). ``details`` records σ and m."""
        params = self.starts.shape[1]
        on = Terms.of(self.constants, self.coefficients)
        alive = np.arange(len(self.starts))
        consts = _expand(self.constants, self.column[alive], params)
        p = self.starts
        state = State.initial(p, consts.square_init)
        first = 0
        with np.errstate(all="ignore"):
            while first < self.steps and len(alive):
                n = min(_block_steps(len(alive), params), self.steps - first)
                k = _expand(self.coefficients, self.column[alive], params, np.s_[first : first + n])
                points = np.empty((n, len(alive), params))
                grads = np.empty_like(points)
                sigmas = np.ones_like(points) if details else None
                momenta = np.empty_like(points) if details else None
                for i in range(n):
                    g = grads[i] = grad_at(p, first + i)
                    p, state, sigma = advance(p, g, state, k, i, consts, on)
                    points[i] = p
                    if details:
                        sigmas[i] = sigma
                        momenta[i] = state.momentum
                undefined = ~np.all(np.isfinite(grads), axis=-1)
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
                    consts = _expand(self.constants, self.column[alive], params)


def _expand(stacked: Any, columns: np.ndarray, params: int, steps: Any = ()) -> Any:
    """Rows ``steps`` of the given ``columns`` (one per running run) of stacked arrays (a
    NamedTuple of them), repeated over the ``params`` parameters: NumPy is several times slower
    with an operand broadcast along a short last axis than with a full one, and this copy is
    made once per block, not once per step. One optimizer shared by every run stays one column
    (cheap to broadcast, like a number)."""
    if stacked[0].shape[-2] == 1:
        return type(stacked)(*(a[steps] for a in stacked))
    return type(stacked)(
        *(np.repeat(np.take(a[steps], columns, axis=-2), params, axis=-1) for a in stacked)
    )


def _stack(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One per-step array per optimizer as a (steps, optimizers, 1) view of an (optimizers, steps)
    array: each optimizer's steps lie together, written row by row (a constant coefficient is a
    broadcast view, read at no cost)."""
    out = np.empty((len(columns), len(columns[0])))
    for row, column in zip(out, columns, strict=True):
        row[:] = column
    return out.T[:, :, None]


def _block_steps(runs: int, params: int) -> int:
    return max(1, min(_BLOCK_STEPS, _BLOCK_FLOATS // (runs * params)))
