"""Optimizers, torch.optim 2.x to the letter, as one generic update rule with coefficients.

Every optimizer is the same computation (``advance``), specialised by per-run coefficients; a
coefficient of 1 or 0 where an optimizer has no such term is exact in IEEE arithmetic, so each
optimizer stays its own formula. With g the gradient, θ the parameters and t the step (from 0):

    g ← g + λ θ                        L2 weight decay (SGD, Adagrad, RMSprop, Adam)
    v ← a_v v + (b_v g) g              second moment: sum, mean or moving average of g²
    ḡ ← a_c ḡ + b_c g                  centered RMSprop's average gradient (else a_c = b_c = 0)
    u ← v − ḡ²;  u ← max(u*, u) if amsgrad (u* its running maximum)
    σ ← √u / c + ε                     the denominator (σ = 1 for SGD: v = 0, c = 1, ε = 1)
    d ← g / σ if σ precedes the momentum (RMSprop with momentum), else g
    m ← a_m m + b_m d                  momentum buffer / first moment (m = d where none)
    n ← n_g g + n_m m                  Nesterov looks ahead (n_g = 1, n_m = μ); else n = m
    θ ← κ θ + (s n) / σ'               s = −η_t (/(1 − β₁ᵗ⁺¹) for Adam), κ = 1 − η_t λ for AdamW,
                                       σ' = σ, or 1 if σ was already applied to d.

The per-step coefficients (s, κ, a_m, b_m, a_v, b_v, c) are precomputed as arrays for all steps
(``Optimizer.rule``), which is how ``simulate_many`` advances different optimizers together.
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
    m: np.ndarray  # momentum buffer (SGD, RMSprop) or first moment (Adam); else the last g or g/σ
    v: np.ndarray  # Adagrad's sum (lecture: mean) of g², RMSprop/Adam moving average of g²
    vmax: np.ndarray  # AMSGrad's running maximum of v
    gavg: np.ndarray  # centered RMSprop's moving average of g


class Steps(NamedTuple):
    """Per-step coefficients, each an array over steps (then runs and coordinates)."""

    lr: np.ndarray  # η_t after the schedule and Adagrad's lr_decay, as reported in Trajectory.lrs
    s: np.ndarray
    kappa: np.ndarray
    a_m: np.ndarray
    b_m: np.ndarray
    a_v: np.ndarray
    b_v: np.ndarray
    c: np.ndarray


class Constants(NamedTuple):
    """Per-run constants of the generic rule (floats for one optimizer, arrays for a batch)."""

    l2: Any
    eps: Any
    a_c: Any
    b_c: Any
    n_g: Any
    n_m: Any
    v0: Any  # initial value of v (Adagrad's initial_accumulator_value)
    amsgrad: Any  # bool
    pre: Any  # bool: σ divides g before the momentum buffer (RMSprop with momentum)
    has_m: Any  # bool: the optimizer has a momentum / first-moment buffer to report


class Rule(NamedTuple):
    """Coefficients of one optimizer: ``steps(t)`` for an int array of step indices, and the
    constants."""

    steps: Callable[[np.ndarray], Steps]
    constants: Constants


class Terms(NamedTuple):
    """Which optional terms of the generic rule any run needs; the others are skipped."""

    l2: bool
    sigma: bool
    centered: bool
    amsgrad: bool
    pre: bool
    momentum: bool
    nesterov: bool
    bias: bool
    decay: bool

    @classmethod
    def of(cls, c: Constants, steps: Steps) -> Terms:
        return cls(
            l2=bool(np.any(c.l2 != 0)),
            sigma=not (np.all(steps.b_v == 0) and np.all(c.v0 == 0) and np.all(c.eps == 1)),
            centered=bool(np.any(c.b_c != 0)),
            amsgrad=bool(np.any(c.amsgrad)),
            pre=bool(np.any(c.pre)),
            momentum=bool(np.any(steps.a_m != 0) or np.any(steps.b_m != 1)),
            nesterov=bool(np.any(c.n_g != 0)),
            bias=bool(np.any(steps.c != 1)),
            decay=bool(np.any(steps.kappa != 1)),
        )


def advance(
    p: np.ndarray, g: np.ndarray, state: State, k: Steps, t: int, c: Constants, on: Terms
) -> tuple[np.ndarray, State, np.ndarray | float]:
    """One step of the generic rule at step index ``t`` of the coefficient arrays ``k``.

    Returns the new parameters, the new state and σ (the per-parameter denominator).
    """
    _, m, v, vmax, gavg = state
    if on.l2:
        g = g + c.l2 * p
    sigma = 1.0
    if on.sigma:
        v = k.a_v[t] * v + k.b_v[t] * g * g
        u = v
        if on.centered:
            gavg = c.a_c * gavg + c.b_c * g
            u = v - gavg * gavg
        if on.amsgrad:
            vmax = np.maximum(vmax, u)
            u = np.where(c.amsgrad, vmax, u)
        sigma = np.sqrt(u) / k.c[t] if on.bias else np.sqrt(u)
        sigma = sigma + c.eps
    post = sigma
    if on.pre:
        g_or_d = g / np.where(c.pre, sigma, 1.0)
        post = np.where(c.pre, 1.0, sigma)
    else:
        g_or_d = g
    m = k.a_m[t] * m + k.b_m[t] * g_or_d if on.momentum else g_or_d
    n = c.n_g * g + c.n_m * m if on.nesterov else m
    step = k.s[t] * n / post if on.sigma else k.s[t] * n
    p = k.kappa[t] * p + step if on.decay else p + step
    return p, State(state.count + 1, m, v, vmax, gavg), sigma


class Optimizer(NamedTuple):
    """An optimizer as a pair of pure functions (the optax model) plus its coefficients.

    ``init(params) -> State`` and ``update(grad, state, params) -> (new_params, new_state)``, for
    params of shape (..., 2); nothing is mutated. ``hyper`` holds every hyperparameter with its
    default resolved; ``rule`` is what ``simulate_many`` vectorizes over. ``help(opt.update)``
    gives the update rule as math and what differs from the lecture.
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

    def steps(t: np.ndarray) -> Steps:
        eta = _rates(lr, t)
        if convention == "lecture":
            return _steps(eta, s=1.0, a_m=momentum, b_m=-eta)
        first = t == 0
        return _steps(
            eta,
            s=-eta,
            a_m=np.where(first, 0.0, momentum),
            b_m=np.where(first | (momentum == 0), 1.0, 1.0 - dampening),
        )

    return Rule(
        steps,
        _constants(
            l2=weight_decay,
            eps=1.0,
            n_g=float(nesterov),
            n_m=momentum if nesterov else 1.0,
            has_m=momentum > 0,
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

    def steps(t: np.ndarray) -> Steps:
        eta = _rates(lr, t) / (1 + t * lr_decay)
        if convention == "lecture":
            return _steps(eta, s=-eta, a_v=t / (t + 1.0), b_v=1.0 / (t + 1.0))
        return _steps(eta, s=-eta, a_v=1.0, b_v=1.0)

    return Rule(steps, _constants(l2=weight_decay, eps=eps, v0=initial_accumulator_value))


def _rmsprop(lr, alpha, eps, weight_decay, momentum, centered, convention) -> Rule:
    """RMSprop (torch.optim.RMSprop):

        g ← g + λθ;  v_t = α v_{t−1} + (1 − α) g², v₋₁ = 0;  ḡ_t = α ḡ_{t−1} + (1 − α) g if
        centered;  σ = √(v_t − ḡ_t²) + ε;  with momentum μ: b_t = μ b_{t−1} + g/σ, θ ← θ − η_t b_t;
        without: θ ← θ − η_t g/σ.

    convention="lecture" (LECTURE.md part 3): σ⁰ = |g⁰|, i.e. v₀ = g₀², then the same average
    (torch starts the average at 0, so its first step is 1/√(1 − α) ≈ 10× larger with α = 0.99);
    ε is added to σ as in torch; centered is not part of the lecture's form.
    """

    def steps(t: np.ndarray) -> Steps:
        eta = _rates(lr, t)
        a_v, b_v = alpha, 1.0 - alpha
        if convention == "lecture":
            a_v, b_v = np.where(t == 0, 0.0, a_v), np.where(t == 0, 1.0, b_v)
        return _steps(eta, s=-eta, a_v=a_v, b_v=b_v, a_m=momentum if momentum > 0 else 0.0)

    return Rule(
        steps,
        _constants(
            l2=weight_decay,
            eps=eps,
            a_c=alpha if centered else 0.0,
            b_c=1.0 - alpha if centered else 0.0,
            pre=momentum > 0,
            has_m=momentum > 0,
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

    def steps(t: np.ndarray) -> Steps:
        eta = _rates(lr, t)
        n = t + 1.0
        return _steps(
            eta,
            s=-eta / (1 - beta1**n),
            kappa=1 - eta * weight_decay if decoupled else 1.0,
            a_m=beta1,
            b_m=1.0 - beta1,
            a_v=beta2,
            b_v=1.0 - beta2,
            c=(1 - beta2**n) ** 0.5,
        )

    return Rule(
        steps,
        _constants(l2=0.0 if decoupled else weight_decay, eps=eps, amsgrad=amsgrad, has_m=True),
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


def _steps(eta: np.ndarray, *, s, kappa=1.0, a_m=0.0, b_m=1.0, a_v=0.0, b_v=0.0, c=1.0) -> Steps:
    shape = eta.shape
    return Steps(
        *(
            np.broadcast_to(np.asarray(x, dtype=float), shape)
            for x in (eta, s, kappa, a_m, b_m, a_v, b_v, c)
        )
    )


def _constants(
    *, l2, eps, a_c=0.0, b_c=0.0, n_g=0.0, n_m=1.0, v0=0.0, amsgrad=False, pre=False, has_m=False
) -> Constants:
    return Constants(
        float(l2),
        float(eps),
        float(a_c),
        float(b_c),
        float(n_g),
        float(n_m),
        float(v0),
        bool(amsgrad),
        bool(pre),
        bool(has_m),
    )


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
        zeros = np.zeros(np.shape(params))
        return State(0, zeros, zeros + rule.constants.v0, zeros, zeros)

    def update(grad: np.ndarray, state: State, params: np.ndarray) -> tuple[np.ndarray, State]:
        k = rule.steps(np.array([state.count]))
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
