"""Learning-rate schedules: plain callables ``step -> lr``, step counted from 0.

Every schedule accepts an int or a NumPy int array of steps and is vectorized over it. Each one
equals the lr sequence of its ``torch.optim.lr_scheduler`` counterpart (named in its docstring):
the lr used by the optimizer's step number ``t`` is the scheduler's lr after ``t`` calls of
``scheduler.step()``.

``SCHEDULES`` maps a name to its function, ``schedule_params(name)`` lists its parameters with a
default and a range a UI can build controls from, ``make_schedule(name, **params)`` builds one
by name, and ``from_rate(name, lr, **params)`` builds the one whose base rate (its peak, for the
warm-up schedules noam and one_cycle) is a run's η. Invalid parameters raise ``ValueError``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from optimizers.engine import check

Schedule = Callable[[int | np.ndarray], float | np.ndarray]


class Param(NamedTuple):
    """One schedule parameter as a UI control: ``low``/``high`` bound a number, ``choices`` a
    string; ``integer`` says whether it counts steps."""

    name: str
    default: float | str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    choices: tuple[str, ...] | None = None


SCHEDULES: dict[str, Callable[..., Schedule]] = {}
_PARAMS: dict[str, tuple[Param, ...]] = {}


def _register(**controls: tuple) -> Callable:
    """Register a schedule factory with ``name=(low, high[, default if the signature has none])``
    for numbers or ``name=(choices,)`` for strings; defaults otherwise come from the signature."""

    def wrap(factory: Callable[..., Schedule]) -> Callable[..., Schedule]:
        params = []
        for name, p in inspect.signature(factory).parameters.items():
            spec = controls[name]
            default = spec[-1] if p.default is inspect.Parameter.empty else p.default
            if isinstance(spec[0], tuple):
                params.append(Param(name, default, choices=spec[0]))
            else:
                params.append(Param(name, default, spec[0], spec[1], p.annotation == "int"))
        SCHEDULES[factory.__name__] = factory
        _PARAMS[factory.__name__] = tuple(params)
        return factory

    return wrap


def schedule_params(name: str) -> tuple[Param, ...]:
    """The parameters of schedule ``name``, in signature order."""
    _check_name(name)
    return _PARAMS[name]


def make_schedule(name: str, **params: float | str) -> Schedule:
    """Build schedule ``name`` from keyword parameters (missing ones take their defaults)."""
    _check_name(name)
    known = {p.name for p in _PARAMS[name]}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"schedule {name!r} has no parameter {unknown[0]!r}; it takes {sorted(known)}"
        )
    defaults = {p.name: p.default for p in _PARAMS[name]}
    return SCHEDULES[name](**(defaults | params))


def rate_param(name: str) -> str:
    """The parameter ``from_rate`` derives from η: ``lr``, one_cycle's ``max_lr``, noam's
    ``factor``."""
    _check_name(name)
    return {"noam": "factor", "one_cycle": "max_lr"}.get(name, "lr")


def shape_params(name: str) -> tuple[Param, ...]:
    """The parameters that still shape schedule ``name`` once ``from_rate`` has set its rate:
    all but ``rate_param``, and for noam not ``d_model`` either (its d^−0.5 cancels against the
    factor from_rate derives), so a control for it would change nothing."""
    moot = {rate_param(name)} | ({"d_model"} if name == "noam" else set())
    return tuple(param for param in schedule_params(name) if param.name not in moot)


def from_rate(name: str, lr: float, **params: float | str) -> Schedule:
    """Schedule ``name`` whose base rate is ``lr``: η at step 0 for constant and the decays,
    η after warm-up for linear_warmup and warmup_cosine, the peak for one_cycle (max_lr = lr,
    at step pct_start·total_steps − 1) and for noam.

    noam peaks where its two branches meet, s^−0.5 = s·W^−1.5, i.e. s = t + 1 = W: at step
    t = W − 1, with η = factor·(d·W)^−0.5. So factor = lr·√(d_model·warmup_steps).
    """
    key = rate_param(name)
    check(key not in params, f"from_rate sets {key!r} from lr; do not pass it")
    if name == "noam":
        defaults = {p.name: p.default for p in _PARAMS[name]}
        d_model = params.get("d_model", defaults["d_model"])
        warmup_steps = params.get("warmup_steps", defaults["warmup_steps"])
        return make_schedule(name, **params, factor=lr * (d_model * warmup_steps) ** 0.5)
    return make_schedule(name, **params, **{key: lr})


def _check_name(name: str) -> None:
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {sorted(SCHEDULES)}")


def _vectorized(lr_at: Callable[[np.ndarray], np.ndarray]) -> Schedule:
    """A schedule from ``lr_at`` (1-D int array -> lr array): an int step goes through the same
    array code, so ``schedule(t) == schedule(steps)[t]`` bit for bit."""

    def schedule(step: int | np.ndarray) -> float | np.ndarray:
        t = np.asarray(step)
        check(np.issubdtype(t.dtype, np.integer), f"steps must be integers, got {t.dtype}")
        check(bool(np.all(t >= 0)), "steps count from 0; got a negative step")
        return np.asarray(lr_at(t.reshape(-1)), dtype=float).reshape(t.shape)[()]

    return schedule


def _lr(lr: float, name: str = "lr") -> float:
    check(math.isfinite(lr) and lr >= 0, f"{name} must be a finite number >= 0, got {lr}")
    return float(lr)


def _count(n: int, name: str, low: int = 1) -> int:
    check(
        isinstance(n, int | np.integer) and n >= low, f"{name} must be an integer >= {low}, got {n}"
    )
    return int(n)


def _factor(x: float, name: str) -> float:
    check(0 < x <= 1, f"{name} must be in (0, 1], got {x}")
    return float(x)


def _cosine(lr: float, eta_min: float, t: np.ndarray, t_max: int) -> np.ndarray:
    """CosineAnnealingLR's closed form; periodic beyond t_max, like torch's."""
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / t_max)) / 2


@_register(lr=(0.0, 10.0, 0.01))
def constant(lr: float) -> Schedule:
    """η_t = η (torch: ConstantLR with factor 1, i.e. no scheduler)."""
    lr = _lr(lr)
    return _vectorized(lambda t: np.full(t.shape, lr))


@_register(lr=(0.0, 10.0, 0.01), step_size=(1, 10_000, 100), gamma=(0.0, 1.0))
def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """η_t = η·γ^⌊t / step_size⌋ (torch: StepLR)."""
    lr, step_size, gamma = _lr(lr), _count(step_size, "step_size"), _factor(gamma, "gamma")
    return _vectorized(lambda t: lr * gamma ** (t // step_size))


@_register(lr=(0.0, 10.0, 0.01), gamma=(0.9, 1.0, 0.999))
def exponential_decay(lr: float, gamma: float) -> Schedule:
    """η_t = η·γ^t (torch: ExponentialLR)."""
    lr, gamma = _lr(lr), _factor(gamma, "gamma")
    return _vectorized(lambda t: lr * gamma**t)


@_register(lr=(0.0, 10.0, 0.01), t_max=(1, 10_000, 1000), eta_min=(0.0, 10.0))
def cosine_annealing(lr: float, t_max: int, eta_min: float = 0.0) -> Schedule:
    """η_t = η_min + (η − η_min)(1 + cos(πt/T_max))/2 (torch: CosineAnnealingLR's closed form).

    Like torch's it is periodic past T_max (it rises again); use ``warmup_cosine`` to stay at
    η_min.
    """
    lr, t_max, eta_min = _lr(lr), _count(t_max, "t_max"), _lr(eta_min, "eta_min")
    check(eta_min <= lr, f"eta_min ({eta_min}) must not exceed lr ({lr})")
    return _vectorized(lambda t: _cosine(lr, eta_min, t, t_max))


@_register(lr=(0.0, 10.0, 0.01), warmup_steps=(1, 10_000, 100), start_factor=(0.0, 1.0))
def linear_warmup(lr: float, warmup_steps: int, start_factor: float = 1 / 3) -> Schedule:
    """η_t = η·(s + (1 − s)·min(t, W)/W), from s·η up to η at step W, then η
    (torch: LinearLR with end_factor=1, total_iters=W; s defaults to torch's 1/3)."""
    lr, warmup_steps = _lr(lr), _count(warmup_steps, "warmup_steps")
    start_factor = _factor(start_factor, "start_factor")
    rise = 1 - start_factor
    return _vectorized(
        lambda t: lr * (start_factor + rise * np.minimum(t, warmup_steps) / warmup_steps)
    )


@_register(
    lr=(0.0, 10.0, 0.01),
    warmup_steps=(1, 10_000, 100),
    total_steps=(2, 10_000, 1000),
    eta_min=(0.0, 10.0),
)
def warmup_cosine(lr: float, warmup_steps: int, total_steps: int, eta_min: float = 0.0) -> Schedule:
    """Linear warm-up from η/W to η over W steps, then cosine down to η_min at ``total_steps``,
    then η_min (torch: SequentialLR of LinearLR(start_factor=1/W, total_iters=W) and
    CosineAnnealingLR(T_max=total_steps − W, eta_min), milestone W; torch's cosine would rise
    again after total_steps, this one stays at η_min)."""
    warm = linear_warmup(lr, warmup_steps, 1 / _count(warmup_steps, "warmup_steps"))
    total_steps, eta_min = _count(total_steps, "total_steps", 2), _lr(eta_min, "eta_min")
    check(warmup_steps < total_steps, f"warmup_steps ({warmup_steps}) must be < total_steps")
    check(eta_min <= lr, f"eta_min ({eta_min}) must not exceed lr ({lr})")

    def lr_at(t: np.ndarray) -> np.ndarray:
        decay = _cosine(lr, eta_min, np.clip(t - warmup_steps, 0, None), total_steps - warmup_steps)
        decay = np.where(t >= total_steps, eta_min, decay)
        return np.where(t < warmup_steps, warm(t), decay)

    return _vectorized(lr_at)


@_register(d_model=(1, 4096, 512), warmup_steps=(1, 10_000, 400), factor=(0.0, 100.0))
def noam(d_model: int, warmup_steps: int, factor: float = 1.0) -> Schedule:
    """The Transformer's warm-up (Vaswani et al. 2017, eq. 3; LECTURE.md part 3):

        lr = d^−0.5·min(t^−0.5, t·w^−1.5),  t counted from 1, w = warmup_steps,

    here η_t = factor·d^−0.5·min(s^−0.5, s·W^−1.5) with s = t + 1 for the step t counted from 0
    (torch: LambdaLR with that lambda and base lr 1). It rises linearly to its peak
    factor·(d·W)^−0.5 at t = W − 1, then falls as 1/√s; ``from_rate`` picks the factor that
    puts the peak at a given η."""
    d_model, warmup_steps = _count(d_model, "d_model"), _count(warmup_steps, "warmup_steps")
    check(math.isfinite(factor) and factor > 0, f"factor must be > 0, got {factor}")
    scale = factor * d_model**-0.5

    def lr_at(t: np.ndarray) -> np.ndarray:
        s = t + 1.0
        return scale * np.minimum(s**-0.5, s * warmup_steps**-1.5)

    return _vectorized(lr_at)


@_register(
    max_lr=(0.0, 10.0, 0.1),
    total_steps=(2, 10_000, 1000),
    pct_start=(0.0, 1.0),
    div_factor=(1.0, 1e4),
    final_div_factor=(1.0, 1e6),
    anneal_strategy=(("cos", "linear"),),
)
def one_cycle(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal_strategy: str = "cos",
) -> Schedule:
    """1cycle (torch: OneCycleLR, two phases, its lr only: momentum cycling is not modelled).

    Up from η₀ = max_lr/div_factor to max_lr over the first pct_start·total_steps − 1 steps, then
    down to η₀/final_div_factor at step total_steps − 1, cosine or linear; it stays there after
    (torch raises instead).
    """
    max_lr, total_steps = _lr(max_lr, "max_lr"), _count(total_steps, "total_steps", 2)
    check(div_factor > 0 and final_div_factor > 0, "div_factor and final_div_factor must be > 0")
    peak = float(pct_start * total_steps) - 1
    check(
        0 < peak < total_steps - 1,
        f"pct_start·total_steps − 1 = {peak} must lie strictly between 0 and total_steps − 1",
    )
    check(anneal_strategy in ("cos", "linear"), "anneal_strategy must be 'cos' or 'linear'")
    initial = max_lr / div_factor
    final = initial / final_div_factor

    def anneal(start: float, end: float, pct: np.ndarray) -> np.ndarray:
        if anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
        return (end - start) * pct + start

    def lr_at(t: np.ndarray) -> np.ndarray:
        t = np.minimum(t, total_steps - 1)
        up = anneal(initial, max_lr, t / peak)
        down = anneal(max_lr, final, (t - peak) / (total_steps - 1 - peak))
        return np.where(t <= peak, up, down)

    return _vectorized(lr_at)
