"""Three-class classification through softmax: the same logits under two losses (LECTURE.md part 4).

The model's logits are (y₁, y₂, y₃) with y₁, y₂ the surface's coordinates and y₃ a fixed
parameter; p = softmax(y). Two declarations, one per loss:

- ``softmax_mse``: MSE after softmax, Σᵢ (qᵢ − pᵢ)²;
- ``softmax_ce``: cross-entropy, −Σᵢ qᵢ log pᵢ.

q is the target: one-hot for an integer target class t, and between two classes the linear blend
qᵢ = max(0, 1 − |t − i|) (a soft label), so every value of the parameter means something.

Numerical safety: each loss is declared once, as a SymPy expression in two SymPy functions,
``LogSumExp`` and ``Softmax``, whose derivatives are declared (∂lse/∂aⱼ = pⱼ, ∂pₖ/∂aⱼ =
pₖ(δₖⱼ − pⱼ)); SymPy derives gradient and Hessian by the chain rule, so they are polynomials in
probabilities, each ≤ 1. Numerically ``LogSumExp`` is ``np.logaddexp`` folded over its arguments
(log1p inside: no overflow, no lost digits when one term dominates) and ``Softmax`` is
exp(aₖ − lse(a)), an exponent ≤ 0. A plain exp(y)/Σexp(y) gives inf/inf = NaN from y = 710 on.

Critical points: none, for every target and y₃, so no minimum either (the infimum is at
infinity). Cross-entropy's gradient is p − q (restricted to y₁, y₂), zero only if p = q, impossible
since q has a zero entry and p > 0. MSE's gradient is 2pⱼ[(pⱼ − qⱼ) − S] with S = Σᵢ (pᵢ − qᵢ)pᵢ;
zero for j = 1, 2 forces S = S(1 − 3p₃), so S = 0 (p = q again) or p₃ = 0, both impossible.
Cross-entropy is declared ``complete``. MSE is not: its plateau is flat to ~1e-17 in the corners,
so a numerical search (``critical_points``) rightly finds thousands of points whose gradient is
zero to machine precision; claiming "none" would contradict what floating point can resolve.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from surfaces.base import Declaration, Param, Surface, X, Y
from surfaces.registry import register

CLASSES = 3


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(yᵢ) / Σⱼ exp(yⱼ) along ``axis``, computed from shifted logits (never overflows)."""
    return np.exp(log_softmax(logits, axis))


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """yᵢ − log Σⱼ exp(yⱼ) along ``axis``, via the largest logit (exact at ±1e4, no warnings)."""
    y = np.asarray(logits, dtype=np.float64)
    top = np.max(y, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):  # NaN in, NaN out; ±inf logits give NaN by design
        shifted = y - np.where(np.isfinite(top), top, 0.0)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _logsumexp_numpy(*args) -> np.ndarray:
    return functools.reduce(np.logaddexp, (np.asarray(a, dtype=np.float64) for a in args))


def _softmax_numpy(k: int, *args) -> np.ndarray:
    return softmax(np.stack(np.broadcast_arrays(*args), axis=-1))[..., k]


# Two SymPy functions with declared derivatives. SymPy never sees an ``exp`` of a logit: it would
# split exp(−1000.0 − u) into 5e-435·exp(−u), which overflows (inf·0 = NaN) for large −u.
# lambdify puts each class's ``_imp_`` in the generated code's namespace under the class's name.


class LogSumExp(sp.Function):
    """log Σᵢ exp(aᵢ); its derivative is the softmax."""

    _imp_ = staticmethod(_logsumexp_numpy)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return Softmax(argindex - 1, *self.args)


class Softmax(sp.Function):
    """``Softmax(k, a₀, a₁, …)`` = exp(aₖ) / Σᵢ exp(aᵢ), k counting from 0."""

    _imp_ = staticmethod(_softmax_numpy)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        k, *logits = self.args
        j = argindex - 2  # argument 1 is the index k, a constant
        return self * (int(j == k) - Softmax(j, *logits))


def soft_target(target: float) -> tuple[float, ...]:
    """q for a target class t in [1, 3]: one-hot at integers, a blend of two classes between."""
    if not 1 <= target <= CLASSES:
        raise ValueError(f"target class must lie in [1, {CLASSES}], got {target}")
    return tuple(max(0.0, 1.0 - abs(target - i)) for i in range(1, CLASSES + 1))


def _mse(y: list[sp.Expr], q: tuple[float, ...]) -> sp.Expr:
    return sum((qi - Softmax(i, *y)) ** 2 for i, qi in enumerate(q))


def _cross_entropy(y: list[sp.Expr], q: tuple[float, ...]) -> sp.Expr:
    # −Σ qᵢ(yᵢ − lse(y)) = lse(y − ȳ) with ȳ = Σ qᵢyᵢ: the shift keeps a loss near 0 exact.
    mean = sum(qi * yi for yi, qi in zip(y, q, strict=True))
    return LogSumExp(*(yi - mean for yi in y))


LOSSES = {"mse": _mse, "cross_entropy": _cross_entropy}


@dataclass(frozen=True, kw_only=True)
class SoftmaxLoss(Declaration):
    loss: str  # a key of LOSSES

    def build(self, params: dict[str, Param]) -> Surface:
        q = soft_target(params["target"].value)
        y = [X, Y, sp.Float(params["y3"].value)]
        # No minimum is attained (see above): say so instead of letting ``minima`` search for one.
        return Surface(expr=LOSSES[self.loss](y, q), minima=(), **self.surface_fields(params))


_PARAMS = (
    Param("target", "target class", 1.0, 1.0, float(CLASSES)),
    Param("y3", "logit y₃ (fixed)", -1000.0, -1000.0, 10.0),
)
_COMMON = dict(
    domain=((-10.0, 10.0), (-10.0, 10.0)),
    start=(-10.0, 10.0),  # the lecture's start: the wrong class is sure
    params=_PARAMS,
    axis_labels=("y₁", "y₂"),
)

DECLARATIONS = (
    SoftmaxLoss(
        key="softmax_mse",
        title="MSE after softmax (3 classes)",
        loss="mse",
        complete=False,
        latex=r"L(y_1, y_2) = \sum_{i=1}^{3} \left(\hat y_i - p_i\right)^2,\ "
        r"p = \operatorname{softmax}(y_1, y_2, y_3)",
        **_COMMON,
    ),
    SoftmaxLoss(
        key="softmax_ce",
        title="Cross-entropy after softmax (3 classes)",
        loss="cross_entropy",
        complete=True,
        latex=r"L(y_1, y_2) = -\sum_{i=1}^{3} \hat y_i \log p_i,\ "
        r"p = \operatorname{softmax}(y_1, y_2, y_3)",
        **_COMMON,
    ),
)

for _declaration in DECLARATIONS:
    register(_declaration)
