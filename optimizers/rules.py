"""Optimizers, torch.optim 2.x to the letter, as one generic update rule with coefficients.

Every optimizer is the same computation (``advance``), specialised by per-run coefficients; a
coefficient of 1 or 0 where an optimizer has no such term is exact in IEEE arithmetic, so each
optimizer stays its own formula. With g the gradient, θ the parameters and t the step (from 0):

    g ← g + l2_decay·θ                                         L2 weight decay
    v ← square_keep_t·v + (square_gain_t·g)·g                  sum, mean or moving average of g²
    ḡ ← mean_keep·ḡ + mean_gain·g                              centered RMSprop's mean gradient
    u ← v − ḡ²;  u ← max(u*, u) with amsgrad (u* its running maximum)
    σ ← √u / root_correction_t + eps                           the denominator
    d ← g/σ if sigma_before_momentum, else g
    m ← momentum_keep_t·m + momentum_gain_t·d                  momentum buffer / first moment
    n ← lookahead_grad·g + lookahead_momentum·m                Nesterov's look-ahead
    θ ← param_keep_t·θ + (step_scale_t·n) / σ'                 σ' = 1 if σ already divided d

The terms an optimizer lacks are switched off by their neutral values (SGD: v = 0, eps = 1, so
σ = 1; no momentum: keep 0, gain 1, so m = d; no look-ahead: 0 and 1, so n = m), and ``Terms``
skips them for speed without changing a bit. Per-step coefficients (subscript t) are arrays over
steps, computed once for a whole run; the rest are constants. η_t is the scheduled rate.

| optimizer     | step_scale       | param_keep | momentum_keep, _gain   | square_keep, _gain     |
|---------------|------------------|------------|------------------------|------------------------|
| sgd, momentum | −η_t             | 1          | μ, 1 − τ (t = 0: 0, 1) | 0, 0                   |
| … lecture     | 1                | 1          | μ, −η_t                | 0, 0                   |
| nesterov      | −η_t             | 1          | μ, 1 (t = 0: 0, 1)     | 0, 0                   |
| adagrad       | −η_t/(1 + t·δ)   | 1          | 0, 1                   | 1, 1                   |
| … lecture     | −η_t/(1 + t·δ)   | 1          | 0, 1                   | t/(t + 1), 1/(t + 1)   |
| rmsprop       | −η_t             | 1          | μ, 1                   | α, 1 − α               |
| … lecture     | −η_t             | 1          | μ, 1                   | α, 1 − α (t = 0: 0, 1) |
| adam          | −η_t/(1 − β₁ᵗ⁺¹) | 1          | β₁, 1 − β₁             | β₂, 1 − β₂             |
| adamw         | −η_t/(1 − β₁ᵗ⁺¹) | 1 − η_t·λ  | β₁, 1 − β₁             | β₂, 1 − β₂             |

μ = momentum (gain 1 when μ = 0), τ = dampening, δ = lr_decay, α = alpha, β = betas,
λ = weight_decay. root_correction_t = √(1 − β₂ᵗ⁺¹) for Adam(W), else 1. Constants: l2_decay = λ
except for AdamW (its decay is param_keep); eps = 1 for SGD (no σ), else torch's; square_init =
Adagrad's initial_accumulator_value; mean_keep, mean_gain = α, 1 − α for centered RMSprop (else
0, 0); lookahead_grad, lookahead_momentum = 1, μ for Nesterov (else 0, 1);
sigma_before_momentum for RMSprop with μ > 0; amsgrad for Adam(W).

Adding an optimizer: write a builder ``_name(**hyper) -> Rule`` giving its per-step coefficients
(``_per_step``) and its ``Constants``, register it with torch's defaults in
``_SPECS`` and its name in ``OPTIMIZERS``, and give tests/test_optimizers.py its torch class and
configurations (a test fails until every name is covered). If it needs a term the generic rule
lacks, add that term to ``advance`` behind a ``Terms`` flag, so the other optimizers skip it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from optimizers.schedules import Schedule

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
CONVENTIONS = ("pytorch", "lecture")


class State(NamedTuple):
    """Optimizer state: the step count and the buffers of the generic rule (unused ones stay at
    their initial value)."""

    count: int
    momentum: np.ndarray  # m: momentum buffer or first moment; the last g (or g/σ) where none
    square: np.ndarray  # v: Adagrad's sum (lecture: mean) of g², RMSprop/Adam's average of g²
    square_max: np.ndarray  # AMSGrad's running maximum of v − ḡ²
    mean: np.ndarray  # ḡ: centered RMSprop's moving average of g

    @classmethod
    def initial(cls, params: np.ndarray, square_init: Any) -> State:
        """The state before the first step, for params of any shape (square_init broadcasts)."""
        zeros = np.zeros(np.shape(params))
        return cls(
            count=0, momentum=zeros, square=zeros + square_init, square_max=zeros, mean=zeros
        )


class Coefficients(NamedTuple):
    """Per-step coefficients, arrays over steps (then runs, for a batch); the defaults are
    neutral (the term is off)."""

    lr: Any  # η_t after the schedule and Adagrad's lr_decay, as reported in Trajectory.lrs
    step_scale: Any
    param_keep: Any = 1.0
    momentum_keep: Any = 0.0
    momentum_gain: Any = 1.0
    square_keep: Any = 0.0
    square_gain: Any = 0.0
    root_correction: Any = 1.0


class Constants(NamedTuple):
    """Per-run constants of the generic rule (numbers for one optimizer, arrays for a batch);
    the defaults are neutral (the term is off)."""

    l2_decay: Any
    eps: Any
    mean_keep: Any = 0.0
    mean_gain: Any = 0.0
    lookahead_grad: Any = 0.0
    lookahead_momentum: Any = 1.0
    square_init: Any = 0.0  # initial value of v (Adagrad's initial_accumulator_value)
    amsgrad: Any = False
    sigma_before_momentum: Any = False  # σ divides g before the momentum buffer (RMSprop)
    has_momentum: Any = False  # the optimizer has a momentum / first-moment buffer to report


class Rule(NamedTuple):
    """Coefficients of one optimizer: ``coefficients(t)`` for an int array of step indices, and
    the constants."""

    coefficients: Callable[[np.ndarray], Coefficients]
    constants: Constants


class Terms(NamedTuple):
    """Which optional terms of the generic rule any run needs; the others are skipped."""

    l2_decay: bool
    sigma: bool
    centered: bool
    amsgrad: bool
    sigma_before_momentum: bool
    momentum: bool
    nesterov: bool
    root_correction: bool
    param_decay: bool

    @classmethod
    def of(cls, c: Constants, k: Coefficients) -> Terms:
        return cls(
            l2_decay=bool(np.any(c.l2_decay != 0)),
            sigma=not (
                np.all(k.square_gain == 0) and np.all(c.square_init == 0) and np.all(c.eps == 1)
            ),
            centered=bool(np.any(c.mean_gain != 0)),
            amsgrad=bool(np.any(c.amsgrad)),
            sigma_before_momentum=bool(np.any(c.sigma_before_momentum)),
            momentum=bool(np.any(k.momentum_keep != 0) or np.any(k.momentum_gain != 1)),
            nesterov=bool(np.any(c.lookahead_grad != 0)),
            root_correction=bool(np.any(k.root_correction != 1)),
            param_decay=bool(np.any(k.param_keep != 1)),
        )


def advance(
    p: np.ndarray, g: np.ndarray, state: State, k: Coefficients, t: int, c: Constants, on: Terms
) -> tuple[np.ndarray, State, np.ndarray | float]:
    """One step of the generic rule (module docstring) at step index ``t`` of the coefficient
    arrays ``k``. Returns the new parameters, the new state and σ (1.0 where there is none)."""
    m, v, v_max, g_mean = state.momentum, state.square, state.square_max, state.mean
    if on.l2_decay:
        g = g + c.l2_decay * p
    sigma = 1.0
    if on.sigma:
        v = k.square_keep[t] * v + k.square_gain[t] * g * g
        u = v
        if on.centered:
            g_mean = c.mean_keep * g_mean + c.mean_gain * g
            u = v - g_mean * g_mean
        if on.amsgrad:
            v_max = np.maximum(v_max, u)
            u = np.where(c.amsgrad, v_max, u)
        sigma = np.sqrt(u) / k.root_correction[t] if on.root_correction else np.sqrt(u)
        sigma = sigma + c.eps
    after = sigma  # what divides the step: σ, or 1 where σ already divided g
    if on.sigma_before_momentum:
        d = g / np.where(c.sigma_before_momentum, sigma, 1.0)
        after = np.where(c.sigma_before_momentum, 1.0, sigma)
    else:
        d = g
    m = k.momentum_keep[t] * m + k.momentum_gain[t] * d if on.momentum else d
    n = c.lookahead_grad * g + c.lookahead_momentum * m if on.nesterov else m
    step = k.step_scale[t] * n / after if on.sigma else k.step_scale[t] * n
    p = k.param_keep[t] * p + step if on.param_decay else p + step
    return p, State(state.count + 1, m, v, v_max, g_mean), sigma


class Optimizer(NamedTuple):
    """An optimizer as a pair of pure functions (the optax model) plus its coefficients.

    ``init(params) -> State`` and ``update(grad, state, params) -> (new_params, new_state)``, for
    params of any shape; nothing is mutated. ``hyper`` holds every hyperparameter with its default
    resolved; ``rule`` is what the batch simulators vectorize over. ``help(opt.update)`` gives the
    update rule as math and what differs from the lecture.
    """

    name: str
    hyper: dict[str, Any]
    rule: Rule
    init: Callable[[np.ndarray], State]
    update: Callable[[np.ndarray, State, np.ndarray], tuple[np.ndarray, State]]


def _sgd(lr, momentum, dampening, weight_decay, nesterov, convention="pytorch") -> Rule:
    """SGD (torch.optim.SGD), with μ = momentum, τ = dampening:

        g ← g + λθ;  b₀ = g,  b_t = μ b_{t−1} + (1 − τ) g  (t ≥ 1);
        θ ← θ − η_t (g + μ b_t) with nesterov, θ ← θ − η_t b_t without (b = g when μ = 0).

    convention="lecture" (LECTURE.md part 2): m₀ = 0, m_{t+1} = μ m_t − η_t g, θ ← θ + m, so m
    is the movement itself, a weighted sum of all past steps −η_i g_i. At a constant η it is
    torch's path (m = −η b); under a schedule it differs: torch rescales the whole remembered
    direction by today's η_t, the lecture keeps each past gradient at the η it was taken with.
    """

    def coefficients(t: np.ndarray) -> Coefficients:
        eta = _rates(lr, t)
        if convention == "lecture":
            return _per_step(eta, step_scale=1.0, momentum_keep=momentum, momentum_gain=-eta)
        first = t == 0
        return _per_step(
            eta,
            step_scale=-eta,
            momentum_keep=np.where(first, 0.0, momentum),
            momentum_gain=np.where(first | (momentum == 0), 1.0, 1.0 - dampening),
        )

    return Rule(
        coefficients,
        Constants(
            l2_decay=weight_decay,
            eps=1.0,
            lookahead_grad=float(nesterov),
            lookahead_momentum=momentum if nesterov else 1.0,
            has_momentum=momentum > 0,
        ),
    )


def _adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps, convention) -> Rule:
    """Adagrad (torch.optim.Adagrad):

        g ← g + λθ;  η'_t = η_t / (1 + t·lr_decay);  v_t = v₀ + Σ_{i≤t} g_i²;
        θ ← θ − η'_t g / (√v_t + ε).

    convention="lecture": v_t = mean_{i≤t} g_i² (LECTURE.md part 3: σᵗ = √(mean of past g²)),
    kept as the running mean v_t = (t v_{t−1} + g_t²)/(t + 1), ε added to √v as in torch (it only
    guards 0/0). Torch's sum only grows; the lecture's mean can shrink after a stretch of small
    gradients, which makes the steps burst.
    """

    def coefficients(t: np.ndarray) -> Coefficients:
        eta = _rates(lr, t) / (1 + t * lr_decay)
        if convention == "lecture":
            keep, gain = t / (t + 1.0), 1.0 / (t + 1.0)
            return _per_step(eta, step_scale=-eta, square_keep=keep, square_gain=gain)
        return _per_step(eta, step_scale=-eta, square_keep=1.0, square_gain=1.0)

    return Rule(
        coefficients,
        Constants(l2_decay=weight_decay, eps=eps, square_init=initial_accumulator_value),
    )


def _rmsprop(lr, alpha, eps, weight_decay, momentum, centered, convention) -> Rule:
    """RMSprop (torch.optim.RMSprop):

        g ← g + λθ;  v_t = α v_{t−1} + (1 − α) g², v₋₁ = 0;  ḡ_t = α ḡ_{t−1} + (1 − α) g if
        centered;  σ = √(v_t − ḡ_t²) + ε;  with momentum μ: b_t = μ b_{t−1} + g/σ, θ ← θ − η_t b_t;
        without: θ ← θ − η_t g/σ.

    convention="lecture" (LECTURE.md part 3): σ⁰ = |g⁰|, i.e. v₀ = g₀², then the same average
    (torch starts the average at 0, so its first step is 1/√(1 − α) ≈ 10× larger with α = 0.99);
    ε is added to σ as in torch; centered is not part of the lecture's form.
    """

    def coefficients(t: np.ndarray) -> Coefficients:
        eta = _rates(lr, t)
        keep, gain = alpha, 1.0 - alpha
        if convention == "lecture":
            keep, gain = np.where(t == 0, 0.0, keep), np.where(t == 0, 1.0, gain)
        return _per_step(
            eta,
            step_scale=-eta,
            square_keep=keep,
            square_gain=gain,
            momentum_keep=momentum if momentum > 0 else 0.0,
        )

    return Rule(
        coefficients,
        Constants(
            l2_decay=weight_decay,
            eps=eps,
            mean_keep=alpha if centered else 0.0,
            mean_gain=1.0 - alpha if centered else 0.0,
            sigma_before_momentum=momentum > 0,
            has_momentum=momentum > 0,
        ),
    )


def _adam(lr, betas, eps, weight_decay, amsgrad, decoupled) -> Rule:
    """Adam (torch.optim.Adam; AdamW when weight decay is decoupled):

        Adam: g ← g + λθ;  AdamW: θ ← (1 − η_t λ) θ;
        m_t = β₁ m_{t−1} + (1 − β₁) g;  v_t = β₂ v_{t−1} + (1 − β₂) g²;
        (amsgrad: v_t ← max(v*, v_t), its running maximum)
        θ ← θ − η_t/(1 − β₁ᵗ⁺¹) · m_t / (√v_t / √(1 − β₂ᵗ⁺¹) + ε).

    ε sits outside the bias-corrected root, as in torch. The lecture's Adam is "RMSProp +
    momentum" and names torch's as the reference.
    """
    beta1, beta2 = betas

    def coefficients(t: np.ndarray) -> Coefficients:
        eta = _rates(lr, t)
        n = t + 1.0
        return _per_step(
            eta,
            step_scale=-eta / (1 - beta1**n),
            param_keep=1 - eta * weight_decay if decoupled else 1.0,
            momentum_keep=beta1,
            momentum_gain=1.0 - beta1,
            square_keep=beta2,
            square_gain=1.0 - beta2,
            root_correction=(1 - beta2**n) ** 0.5,
        )

    return Rule(
        coefficients,
        Constants(
            l2_decay=0.0 if decoupled else weight_decay, eps=eps, amsgrad=amsgrad, has_momentum=True
        ),
    )


def _rates(lr: float | Schedule, t: np.ndarray) -> np.ndarray:
    """η_t for step indices t, checked: a schedule must give finite lr ≥ 0."""
    eta = np.broadcast_to(np.asarray(lr(t) if callable(lr) else lr, dtype=float), t.shape)
    bad = ~(np.isfinite(eta) & (eta >= 0))
    if np.any(bad):
        step = int(t[bad][0]) if t.ndim else int(t)
        raise ValueError(
            f"lr must be finite and >= 0; the schedule gave {eta[bad][0]} at step {step}"
        )
    return eta


def _per_step(eta: np.ndarray, **coefficients: Any) -> Coefficients:
    """Coefficients by keyword, η_t and the others, each broadcast to the steps of ``eta``."""
    given = Coefficients(lr=eta, **coefficients)
    return Coefficients(*(np.broadcast_to(np.asarray(x, dtype=float), eta.shape) for x in given))


# name -> (rule builder, defaults); defaults follow torch.optim 2.x.
_SGD = {
    "lr": 1e-3,
    "momentum": 0.0,
    "dampening": 0.0,
    "weight_decay": 0.0,
    "nesterov": False,
    "convention": "pytorch",
}
_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
_SPECS: dict[str, tuple[Callable[..., Rule], dict[str, Any]]] = {
    "sgd": (_sgd, _SGD),
    "momentum": (_sgd, _SGD | {"momentum": 0.9}),
    # The lecture's momentum has no look-ahead, so Nesterov has no convention to choose.
    "nesterov": (
        _sgd,
        {k: v for k, v in _SGD.items() if k != "convention"} | {"momentum": 0.9, "nesterov": True},
    ),
    "adagrad": (
        _adagrad,
        {
            "lr": 1e-2,
            "lr_decay": 0.0,
            "weight_decay": 0.0,
            "initial_accumulator_value": 0.0,
            "eps": 1e-10,
            "convention": "pytorch",
        },
    ),
    "rmsprop": (
        _rmsprop,
        {
            "lr": 1e-2,
            "alpha": 0.99,
            "eps": 1e-8,
            "weight_decay": 0.0,
            "momentum": 0.0,
            "centered": False,
            "convention": "pytorch",
        },
    ),
    "adam": (functools.partial(_adam, decoupled=False), _ADAM),
    "adamw": (functools.partial(_adam, decoupled=True), _ADAM | {"weight_decay": 1e-2}),
}


def make_optimizer(name: str, **hyper: Any) -> Optimizer:
    """The optimizer ``name`` (one of OPTIMIZERS) with torch.optim's hyperparameter names and
    defaults; ``momentum`` is SGD with momentum 0.9, ``nesterov`` SGD with momentum 0.9 and
    nesterov=True. ``lr`` is a float or a schedule (step -> lr). Raises ValueError naming the
    offending hyperparameter.

    Stricter than torch: eps must be > 0, dampening and alpha in [0, 1]; torch accepts eps = 0.
    """
    if name not in _SPECS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}")
    build, defaults = _SPECS[name]
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ValueError(
            f"{name} has no hyperparameter {unknown[0]!r}; it takes {', '.join(defaults)}"
        )
    resolved = defaults | hyper
    _validate(name, resolved)
    rule = build(**resolved)

    def init(params: np.ndarray) -> State:
        return State.initial(params, rule.constants.square_init)

    def update(grad: np.ndarray, state: State, params: np.ndarray) -> tuple[np.ndarray, State]:
        k = rule.coefficients(np.array([state.count]))
        on = Terms.of(rule.constants, k)
        with np.errstate(all="ignore"):
            p, new, _ = advance(
                np.asarray(params, float), np.asarray(grad, float), state, k, 0, rule.constants, on
            )
        return p, new

    update.__doc__ = getattr(build, "func", build).__doc__
    return Optimizer(name, resolved, rule, init, update)


def _validate(name: str, h: dict[str, Any]) -> None:
    def bad(key: str, why: str) -> ValueError:
        return ValueError(f"{name}: {key}={h[key]!r} is invalid: {why}")

    lr = h["lr"]
    if not callable(lr) and not (_is_number(lr) and math.isfinite(lr) and lr >= 0):
        raise bad("lr", "the learning rate must be a finite number >= 0 or a schedule")
    for key in ("momentum", "weight_decay", "lr_decay", "initial_accumulator_value"):
        if key in h and not (_is_number(h[key]) and math.isfinite(h[key]) and h[key] >= 0):
            raise bad(key, "it must be a finite number >= 0")
    for key in ("dampening", "alpha"):
        if key in h and not (_is_number(h[key]) and 0 <= h[key] <= 1):
            raise bad(key, "it must lie in [0, 1]")
    if "eps" in h and not (_is_number(h["eps"]) and math.isfinite(h["eps"]) and h["eps"] > 0):
        raise bad("eps", "it must be > 0: it guards the division when σ is 0")
    for key in ("nesterov", "centered", "amsgrad"):
        if key in h and not isinstance(h[key], bool | np.bool_):
            raise bad(key, "it must be True or False")
    if "betas" in h:
        betas = h["betas"]
        if not (isinstance(betas, tuple | list) and len(betas) == 2):
            raise bad("betas", "it must be a pair (beta1, beta2)")
        for i, beta in enumerate(betas):
            if not (_is_number(beta) and 0 <= beta < 1):
                raise bad("betas", f"beta{i + 1} must lie in [0, 1)")
        h["betas"] = (float(betas[0]), float(betas[1]))
    if h.get("nesterov") and (h["momentum"] <= 0 or h["dampening"] != 0):
        raise bad("nesterov", "Nesterov momentum requires momentum > 0 and zero dampening")
    if "convention" in h:
        if h["convention"] not in CONVENTIONS:
            raise bad("convention", f"it must be one of {CONVENTIONS}")
        if h["convention"] == "lecture" and h.get("initial_accumulator_value", 0) != 0:
            raise bad("initial_accumulator_value", "the lecture's mean of g² has no initial value")
        if h["convention"] == "lecture" and h.get("centered"):
            raise bad("centered", "the lecture's RMSProp is not centered")
        if h["convention"] == "lecture" and (h.get("nesterov") or h.get("dampening", 0) != 0):
            key = "nesterov" if h.get("nesterov") else "dampening"
            raise bad(key, "the lecture's momentum has neither Nesterov look-ahead nor dampening")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
