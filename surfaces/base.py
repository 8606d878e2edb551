"""The Surface type: a 2-D loss whose gradient and Hessian are derived once from one expression.

A Surface is built from a SymPy expression in the symbols ``X`` and ``Y`` below. SymPy
differentiates it, ``lambdify`` (with common-subexpression elimination) turns value, gradient and
Hessian into NumPy code, and every method broadcasts over arrays of any matching shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

X, Y = sp.symbols("x y", real=True)

Domain = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]
KINDS = ("minimum", "saddle", "maximum", "degenerate")


@dataclass(frozen=True)
class Param:
    """An adjustable parameter of a surface; ``value`` is the one in use (``default`` if unset)."""

    name: str
    label: str
    default: float
    low: float
    high: float
    log: bool = False
    value: float | None = None

    def __post_init__(self) -> None:
        if self.value is None:
            object.__setattr__(self, "value", float(self.default))

    def with_value(self, value: float) -> Param:
        value = float(value)
        if not (self.low <= value <= self.high):
            raise ValueError(f"parameter {self.name}={value} is outside [{self.low}, {self.high}]")
        return Param(self.name, self.label, self.default, self.low, self.high, self.log, value)


@dataclass(frozen=True)
class CriticalPoint:
    """A point (or, with ``isolated=False``, a connected set) where the gradient vanishes.

    ``eigenvalues`` are the Hessian's, ascending; ``eigenvectors`` holds them as columns. For a
    non-isolated set, ``x, y`` is a representative point (the middle of the branch) and ``curve``
    samples the branch. ``smooth=False`` marks a declared kink (Ackley's origin): the function has
    no gradient there, so eigenvalues and eigenvectors are NaN.
    """

    x: float
    y: float
    value: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str
    isolated: bool = True
    curve: np.ndarray | None = None
    smooth: bool = True


def _without_dirac(expr: sp.Expr) -> sp.Expr:
    # d²|t|/dt² is a Dirac delta, which NumPy cannot print; it is zero wherever it is defined.
    return expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)


class Surface:
    """A loss L(x, y) with exact derivatives. See the module docstring."""

    def __init__(
        self,
        *,
        key: str,
        title: str,
        expr: sp.Expr,
        domain: Domain,
        default_start: Point,
        latex: str | None = None,
        params: dict[str, Param] | None = None,
        critical: Sequence[tuple[str, float, float]] = (),
        complete: bool = False,
        kinks: Sequence[Point] = (),
        minima: Sequence[Point] | None = None,
        axis_labels: tuple[str, str] = ("x", "y"),
    ) -> None:
        self.key = key
        self.title = title
        self.expr = expr
        self.latex = latex if latex is not None else sp.latex(expr)
        (x0, x1), (y0, y1) = domain
        self.domain: Domain = ((float(x0), float(x1)), (float(y0), float(y1)))
        self.default_start: Point = (float(default_start[0]), float(default_start[1]))
        self.params = dict(params or {})
        # Declared critical points (kind, x, y); ``complete`` says the list is all of them.
        self.known_critical = tuple((k, float(a), float(b)) for k, a, b in critical)
        self.complete = complete
        # Declared non-differentiable minima (cones such as Ackley's origin).
        self.kinks = tuple((float(a), float(b)) for a, b in kinks)
        self.smooth = not self.kinks
        self.axis_labels = axis_labels
        self._declared_minima = None if minima is None else [tuple(map(float, m)) for m in minima]

        gradient = [sp.diff(expr, s) for s in (X, Y)]
        hessian = [sp.diff(gradient[0], X), sp.diff(gradient[0], Y), sp.diff(gradient[1], Y)]
        self._f = self._compile([expr])
        self._g = self._compile([_without_dirac(e) for e in gradient])
        self._h = self._compile([_without_dirac(e) for e in hessian])

    def __repr__(self) -> str:
        return f"<Surface {self.key!r}: {self.title}>"

    def _compile(self, exprs: list[sp.Expr]) -> Callable:
        return sp.lambdify((X, Y), exprs, modules="numpy", cse=True)

    def _parts(self, fn: Callable, x: np.ndarray, y: np.ndarray, idx: np.ndarray | None) -> list:
        return fn(x, y)

    def _evaluate(self, fn: Callable, x, y, idx: np.ndarray | None = None) -> np.ndarray:
        """Evaluate a compiled list of expressions into an array of shape (..., len(list))."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            parts = self._parts(fn, x, y, idx)
            out = np.empty((*shape, len(parts)))
            # Assigning broadcasts constant derivatives (Hessian of x² − y²) to the full shape.
            for i, part in enumerate(parts):
                out[..., i] = np.real(part)
        return out

    def f(self, x, y) -> np.ndarray:
        """Loss value, shape broadcast(x, y)."""
        return self._evaluate(self._f, x, y)[..., 0]

    def grad(self, x, y) -> np.ndarray:
        """Gradient (∂L/∂x, ∂L/∂y), shape (..., 2)."""
        return self._evaluate(self._g, x, y)

    def hessian(self, x, y) -> np.ndarray:
        """Hessian, shape (..., 2, 2)."""
        return _symmetric(self._evaluate(self._h, x, y))

    @property
    def minima(self) -> list[Point]:
        """Known minima: declared, or every declared minimum of a complete list, else none.

        ``surfaces.locate_minima`` also finds them where none are known (a user's formula).
        """
        if self._declared_minima is not None:
            return self._declared_minima
        if self.complete:
            found = [(a, b) for k, a, b in self.known_critical if k == "minimum"]
            return found + list(self.kinks)
        return []

    @property
    def knows_minima(self) -> bool:
        """Whether ``minima`` is the whole truth: declared, or from a complete list of points."""
        return self._declared_minima is not None or self.complete


def _symmetric(h: np.ndarray) -> np.ndarray:
    """(..., 3) as (hxx, hxy, hyy) -> (..., 2, 2)."""
    return np.stack([h[..., 0:2], h[..., 1:3]], axis=-2)


@dataclass(frozen=True, kw_only=True)
class Declaration:
    """Shared fields of every surface declaration (analytic or data-defined).

    ``critical`` lists known critical points as (kind, x, y); ``complete=True`` claims it is every
    critical point in the domain (the generic test then checks the counts too).
    """

    key: str
    title: str
    domain: Domain
    start: Point
    latex: str
    critical: tuple[tuple[str, float, float], ...] = ()
    complete: bool = False
    axis_labels: tuple[str, str] = ("x", "y")
    params: tuple[Param, ...] = ()

    def surface_fields(self, params: dict[str, Param]) -> dict:
        """Keyword arguments of Surface that come straight from the declaration."""
        return dict(
            key=self.key,
            title=self.title,
            domain=self.domain,
            default_start=self.start,
            latex=self.latex,
            params=params,
            critical=self.critical,
            complete=self.complete,
            axis_labels=self.axis_labels,
        )
