"""Optimizers, torch.optim 2.x to the letter (and Lion, from its paper), as one generic update
rule with coefficients, and the declarations that name them.

Every optimizer is the same computation (``advance``), specialised by per-run coefficients; a
coefficient of 1 or 0 where an optimizer has no such term is exact in IEEE arithmetic, so each
optimizer stays its own formula. With g the gradient, θ the parameters and t the step (from 0):

    g ← g + l2_decay·θ                                         L2 weight decay
    v ← square_keep_t·v + (square_gain_t·g)·g                  sum, mean or moving average of g²
    ḡ ← mean_keep·ḡ + mean_gain·g                              centered RMSprop's mean gradient
    u ← v − ḡ²;  u ← max(u*, u) with amsgrad (u* its running maximum)
    σ ← √(u + eps_in_root) / root_correction_t + eps           the denominator
    d ← g/σ if sigma_before_momentum, else g
    d ← √(a + update_eps)/σ · g,  a ← update_keep·a + (update_gain·d)·d   with rms_update
    c ← sign(sign_keep·m + sign_gain·d)                        with sign_update, m before it moves
    m ← momentum_keep_t·m + momentum_gain_t·d                  momentum buffer / first moment
    n ← lookahead_grad·g + lookahead_momentum·m                Nesterov's look-ahead; n ← c (sign)
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
| adadelta      | −η_t             | 1          | 0, 1                   | ρ, 1 − ρ               |
| lion          | −η_t             | 1 − η_t·λ  | β₂, 1 − β₂             | 0, 0                   |

μ = momentum (gain 1 when μ = 0), τ = dampening, δ = lr_decay, α = alpha, β = betas, ρ = rho,
λ = weight_decay. root_correction_t = √(1 − β₂ᵗ⁺¹) for Adam(W), else 1. Constants: l2_decay = λ
except for AdamW and Lion (their decay is param_keep); eps = 1 for SGD and Lion (no σ), 0 for
Adadelta (its ε is eps_in_root and update_eps), else torch's; square_init = Adagrad's
initial_accumulator_value; mean_keep, mean_gain = α, 1 − α for centered RMSprop (else 0, 0);
lookahead_grad, lookahead_momentum = 1, μ for Nesterov (else 0, 1); sigma_before_momentum for
RMSprop with μ > 0; amsgrad for Adam(W); rms_update with update_keep, update_gain = ρ, 1 − ρ for
Adadelta; sign_update with sign_keep, sign_gain = β₁, 1 − β₁ for Lion.

Adding an optimizer is one ``declare(name, builder, defaults, **controls)`` call: the builder
(``_name(**hyper) -> Rule``, its update rule as math in its docstring) gives the per-step
coefficients (``_per_step``) and the ``Constants``; the defaults are torch's; a hyperparameter
``CONTROLS`` does not describe, or describes wrongly for this optimizer, gets its ``Control``
(label, values) there. Then tests/test_optimizers.py gets its torch class and configurations (a
test fails until every name is covered). If it needs a term the generic rule lacks, add that
term to ``advance`` behind a ``Terms`` flag, so the other optimizers skip it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:  # schedules checks its input with engine.check, and engine imports this module
    from optimizers.schedules import Schedule

CONVENTIONS = ("pytorch", "lecture")


class State(NamedTuple):
    """Optimizer state: the step count and the buffers of the generic rule (unused ones stay at
    their initial value)."""

    count: int
    momentum: np.ndarray  # m: momentum buffer or first moment; the last g (or g/σ) where none
    square: np.ndarray  # v: Adagrad's sum (lecture: mean) of g², RMSprop/Adam's average of g²
    square_max: np.ndarray  # AMSGrad's running maximum of v − ḡ²
    mean: np.ndarray  # ḡ: centered RMSprop's moving average of g
    update_square: np.ndarray  # a: Adadelta's moving average of its squared steps

    @classmethod
    def initial(cls, params: np.ndarray, square_init: Any) -> State:
        """The state before the first step, for params of any shape (square_init broadcasts)."""
        zeros = np.zeros(np.shape(params))
        return cls(
            count=0,
            momentum=zeros,
            square=zeros + square_init,
            square_max=zeros,
            mean=zeros,
            update_square=zeros,
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
    eps_in_root: Any = 0.0  # ε added under σ's root (Adadelta)
    rms_update: Any = False  # the step is g·√(a + update_eps)/σ (Adadelta)
    update_keep: Any = 0.0
    update_gain: Any = 0.0
    update_eps: Any = 0.0
    sign_update: Any = False  # the step is sign(sign_keep·m + sign_gain·g) (Lion)
    sign_keep: Any = 0.0
    sign_gain: Any = 0.0


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
    eps_in_root: bool
    rms_update: bool
    sign_update: bool

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
            eps_in_root=bool(np.any(c.eps_in_root != 0)),
            rms_update=bool(np.any(c.rms_update)),
            sign_update=bool(np.any(c.sign_update)),
        )


def advance(
    p: np.ndarray, g: np.ndarray, state: State, k: Coefficients, t: int, c: Constants, on: Terms
) -> tuple[np.ndarray, State, np.ndarray | float]:
    """One step of the generic rule (module docstring) at step index ``t`` of the coefficient
    arrays ``k``. Returns the new parameters, the new state and σ (1.0 where there is none)."""
    m, v, v_max, g_mean = state.momentum, state.square, state.square_max, state.mean
    a = state.update_square
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
        if on.eps_in_root:
            u = u + c.eps_in_root
        sigma = np.sqrt(u) / k.root_correction[t] if on.root_correction else np.sqrt(u)
        sigma = sigma + c.eps
    after = sigma  # what divides the step: σ, or 1 where σ already divided g
    if on.sigma_before_momentum:
        d = g / np.where(c.sigma_before_momentum, sigma, 1.0)
        after = np.where(c.sigma_before_momentum, 1.0, sigma)
    else:
        d = g
    if on.rms_update:  # Adadelta: the step's own RMS over σ, times g
        delta = np.sqrt(a + c.update_eps) / sigma * g
        a = c.update_keep * a + c.update_gain * delta * delta
        d = np.where(c.rms_update, delta, d)
        after = np.where(c.rms_update, 1.0, after)
    if on.sign_update:  # Lion: the sign of a mix of m and g, before m moves
        direction = np.sign(c.sign_keep * m + c.sign_gain * d)
    m = k.momentum_keep[t] * m + k.momentum_gain[t] * d if on.momentum else d
    n = c.lookahead_grad * g + c.lookahead_momentum * m if on.nesterov else m
    if on.sign_update:
        n = np.where(c.sign_update, direction, n)
    step = k.step_scale[t] * n / after if on.sigma else k.step_scale[t] * n
    p = k.param_keep[t] * p + step if on.param_decay else p + step
    return p, State(state.count + 1, m, v, v_max, g_mean, a), sigma


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


def _adadelta(lr, rho, eps, weight_decay) -> Rule:
    """Adadelta (torch.optim.Adadelta; Zeiler 2012, with torch's lr, 1.0 in the paper):

        g ← g + λθ;  v_t = ρ v_{t−1} + (1 − ρ) g²;
        Δ_t = √(a_{t−1} + ε) / √(v_t + ε) · g;  a_t = ρ a_{t−1} + (1 − ρ) Δ_t²;
        θ ← θ − η_t Δ_t,  v₋₁ = a₋₁ = 0.

    Each step is scaled by the RMS of the steps before it, so a step has θ's units; ε sits
    inside both roots and sets the size of the first steps (√ε / √((1 − ρ) g²) per unit g).
    """

    def coefficients(t: np.ndarray) -> Coefficients:
        eta = _rates(lr, t)
        return _per_step(eta, step_scale=-eta, square_keep=rho, square_gain=1.0 - rho)

    return Rule(
        coefficients,
        Constants(
            l2_decay=weight_decay,
            eps=0.0,
            eps_in_root=eps,
            rms_update=True,
            update_keep=rho,
            update_gain=1.0 - rho,
            update_eps=eps,
        ),
    )


def _lion(lr, betas, weight_decay) -> Rule:
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2;
    torch has no Lion class):

        c_t = β₁ m_{t−1} + (1 − β₁) g;
        θ ← θ − η_t (sign(c_t) + λθ);
        m_t = β₂ m_{t−1} + (1 − β₂) g,  m₋₁ = 0.

    Every coordinate moves by exactly η_t (sign(0) = 0), whatever the gradient's size; the
    weight decay is decoupled, as in AdamW.
    """
    beta1, beta2 = betas

    def coefficients(t: np.ndarray) -> Coefficients:
        eta = _rates(lr, t)
        return _per_step(
            eta,
            step_scale=-eta,
            param_keep=1 - eta * weight_decay,
            momentum_keep=beta2,
            momentum_gain=1.0 - beta2,
        )

    return Rule(
        coefficients,
        Constants(
            l2_decay=0.0,
            eps=1.0,
            sign_update=True,
            sign_keep=beta1,
            sign_gain=1.0 - beta1,
            has_momentum=True,
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
    # np.full is three times quicker than broadcasting a number (a live grid builds hundreds).
    return Coefficients(*(
        np.broadcast_to(np.asarray(x, dtype=float), eta.shape) if isinstance(x, np.ndarray)
        else np.full(eta.shape, float(x)) for x in given
    ))  # fmt: skip


# ---- Declarations ----------------------------------------------------------------------------


class Control(NamedTuple):
    """How a UI offers one hyperparameter: a plain English ``label`` (the app translates it; no
    other wording lives here) and its values: ``choices`` (numbers on a slider of those values,
    or strings as options), else a range ``low``–``high`` in steps of ``step``; a bool is a
    checkbox and needs neither. A pair (Adam's betas) has one Control per part in ``parts``.
    ``primary`` ones are on show, the rest one click away."""

    label: str
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    parts: tuple[Control, ...] = ()
    primary: bool = False


# The controls of hyperparameters several optimizers share; a declaration can override one.
CONTROLS: dict[str, Control] = {
    "momentum": Control("momentum λ", low=0.0, high=0.99, step=0.01, primary=True),
    "dampening": Control("dampening τ", low=0.0, high=1.0, step=0.05),
    "weight_decay": Control("weight decay (L2) λ", choices=(0.0, 1e-4, 1e-3, 1e-2, 0.1)),
    "nesterov": Control("Nesterov look-ahead"),
    "lr_decay": Control("learning-rate decay", choices=(0.0, 1e-4, 1e-3, 1e-2, 0.1)),
    "initial_accumulator_value": Control("initial Σg²", choices=(0.0, 0.1, 1.0)),
    "eps": Control("ε (guards 1/σ)", choices=(1e-10, 1e-8, 1e-6, 1e-4, 1e-2)),
    "alpha": Control("α (average of g²)", choices=(0.5, 0.8, 0.9, 0.95, 0.99, 0.999)),
    "centered": Control("centered"),
    "amsgrad": Control("AMSGrad"),
    "convention": Control("σ convention", choices=CONVENTIONS),
    "betas": Control(
        "betas",
        parts=(
            Control("β₁ (average of g)", choices=(0.0, 0.5, 0.8, 0.9, 0.95, 0.99)),
            Control("β₂ (average of g²)", choices=(0.9, 0.99, 0.995, 0.999, 0.9999)),
        ),
    ),
}
DECOUPLED = Control("weight decay λ (decoupled)", choices=(0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0))


class Declaration(NamedTuple):
    """A declared optimizer: its rule builder, torch's defaults, a Control per hyperparameter."""

    build: Callable[..., Rule]
    defaults: dict[str, Any]
    controls: dict[str, Control]


_DECLARED: dict[str, Declaration] = {}


def declare(
    name: str, build: Callable[..., Rule], defaults: dict[str, Any], **controls: Control
) -> None:
    """Declare optimizer ``name``: ``build(**hyperparameters) -> Rule``, its defaults (lr
    included; torch's), and a Control for each hyperparameter ``CONTROLS`` lacks or that reads
    differently here. A hyperparameter with neither gets a bare Control named after it (a UI
    shows a plain number box); tests/test_optimizers.py holds every declaration to having its
    own."""
    unknown = sorted(set(controls) - set(defaults))
    if unknown:
        raise ValueError(f"{name}: a control for {unknown[0]!r}, which it does not take")
    own = {key: controls.get(key) or CONTROLS.get(key) or Control(key)
           for key in defaults if key != "lr"}  # fmt: skip
    _DECLARED[name] = Declaration(build, dict(defaults), own)


def hyper_controls(name: str) -> dict[str, Control]:
    """How a UI offers each hyperparameter of optimizer ``name`` but lr, in declaration order."""
    _check_name(name)
    return dict(_DECLARED[name].controls)


def _check_name(name: str) -> None:
    if name not in _DECLARED:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(_DECLARED)}")


_SGD = {
    "lr": 1e-3,
    "momentum": 0.0,
    "dampening": 0.0,
    "weight_decay": 0.0,
    "nesterov": False,
    "convention": "pytorch",
}
_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}

declare("sgd", _sgd, _SGD)
declare("momentum", _sgd, _SGD | {"momentum": 0.9})
# The lecture's momentum has no look-ahead, so Nesterov has no convention to choose.
declare(
    "nesterov",
    _sgd,
    {k: v for k, v in _SGD.items() if k != "convention"} | {"momentum": 0.9, "nesterov": True},
)
declare(
    "adagrad",
    _adagrad,
    {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
        "convention": "pytorch",
    },
)
declare(
    "rmsprop",
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
)
declare("adam", functools.partial(_adam, decoupled=False), _ADAM)
declare(
    "adamw",
    functools.partial(_adam, decoupled=True),
    _ADAM | {"weight_decay": 1e-2},
    weight_decay=DECOUPLED,
)
declare(
    "adadelta",
    _adadelta,
    {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
    rho=Control("ρ (average of g² and of the steps²)", choices=(0.5, 0.8, 0.9, 0.95, 0.99)),
    eps=Control("ε (inside both roots)", choices=(1e-8, 1e-6, 1e-4, 1e-2)),
)
declare(
    "lion",
    _lion,
    {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0},
    betas=Control(
        "betas",
        parts=(
            Control("β₁ (mix of m and g in the sign)", choices=(0.0, 0.5, 0.8, 0.9, 0.95, 0.99)),
            Control("β₂ (average of g)", choices=(0.9, 0.95, 0.98, 0.99, 0.995, 0.999)),
        ),
    ),
    weight_decay=DECOUPLED,
)

OPTIMIZERS: tuple[str, ...] = tuple(_DECLARED)


def make_optimizer(name: str, **hyper: Any) -> Optimizer:
    """The optimizer ``name`` (one of OPTIMIZERS) with torch.optim's hyperparameter names and
    defaults; ``momentum`` is SGD with momentum 0.9, ``nesterov`` SGD with momentum 0.9 and
    nesterov=True; ``lion`` (no torch class) takes lr, betas and weight_decay. ``lr`` is a float
    or a schedule (step -> lr). Raises ValueError naming the offending hyperparameter.

    Stricter than torch: eps must be > 0, dampening, alpha and rho in [0, 1]; torch accepts
    eps = 0.
    """
    _check_name(name)
    build, defaults, _controls = _DECLARED[name]
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
    for key in ("dampening", "alpha", "rho"):
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
