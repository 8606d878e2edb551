"""Analytic surfaces: each is ONE declaration (expression, domain, start, LaTeX, critical points).

To add a surface, append an ``Analytic(...)`` to ``DECLARATIONS``: ``expr`` is SymPy syntax in
``x`` and ``y`` (plus the names of its ``params``); gradient and Hessian are derived from it.
Definitions and domains follow Surjanovic & Bingham's Virtual Library of Simulation Experiments
(VLSE). Critical points are the published ones (VLSE, LECTURE.md) where they exist; the others are
closed forms, or roots of the resultant of the gradient polynomials (exact SymPy computation,
refined with mpmath), i.e. independent of ``critical_points``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from surfaces.base import Declaration, Param, Point, Surface, X, Y
from surfaces.registry import register


@dataclass(frozen=True, kw_only=True)
class Analytic(Declaration):
    expr: str
    kinks: tuple[Point, ...] = ()  # non-differentiable minima, e.g. Ackley's origin
    # The published global minimum value over the domain (VLSE, LECTURE.md; None where none is
    # published), as BoTorch's test functions carry ``_optimal_value``: tests check the surface
    # against it, and it lives here so that a new surface brings its own.
    optimal_value: float | None = None

    def build(self, params: dict[str, Param]) -> Surface:
        symbols = {"x": X, "y": Y} | {name: sp.Symbol(name, real=True) for name in params}
        expr = sp.sympify(self.expr, locals=symbols)
        expr = expr.subs({symbols[n]: sp.Float(p.value) for n, p in params.items()})
        return Surface(expr=expr, kinks=self.kinks, **self.surface_fields(params))


def _styblinski_tang() -> tuple[tuple[str, float, float], ...]:
    # Separable: each coordinate sits at a root of d/dt (t⁴ − 16t² + 5t) = 4t³ − 32t + 5.
    low, mid, high = np.sort(np.roots([4.0, 0.0, -32.0, 5.0]).real)
    one_d = {low: 1, mid: -1, high: 1}  # curvature sign: minimum, maximum, minimum
    names = {2: "minimum", 0: "saddle", -2: "maximum"}
    return tuple((names[one_d[a] + one_d[b]], a, b) for a in one_d for b in one_d)


# Three-hump camel: ∂f/∂y = 0 gives y = −x/2, then x(x⁴ − 4.2x² + 3.5) = 0.
_THC_IN, _THC_OUT = (math.sqrt((4.2 + s * math.sqrt(4.2**2 - 14.0)) / 2.0) for s in (-1, 1))
# McCormick: the gradient vanishes where x − y = 1 and cos(x + y) = −1/2.
_MCC = {s: ((s + 1.0) / 2.0, (s - 1.0) / 2.0) for s in (-2 * math.pi / 3, 2 * math.pi / 3)}
_MCC_FAR = ((4 * math.pi / 3 + 1.0) / 2.0, (4 * math.pi / 3 - 1.0) / 2.0)

DECLARATIONS = (
    Analytic(
        key="toy_network",
        title="Toy network (1 − w₁w₂)²",
        expr="(1 - x*y)**2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        # Just off the saddle's stable direction: descent slides toward the saddle, stalls, escapes.
        start=(-1.5, 1.6),
        latex=r"L(w_1, w_2) = (1 - w_1 w_2)^2",
        critical=(("saddle", 0.0, 0.0),),
        axis_labels=("w₁", "w₂"),
    ),
    Analytic(
        key="quadratic",
        optimal_value=0.0,
        title="Quadratic bowl",
        expr="((x*cos(angle*pi/180) + y*sin(angle*pi/180))**2"
        " + condition*(-x*sin(angle*pi/180) + y*cos(angle*pi/180))**2) / 2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.6, 1.2),
        latex=r"L = \tfrac12\left(u^2 + \kappa v^2\right),\ "
        r"\begin{pmatrix}u\\v\end{pmatrix} = R(\theta)\begin{pmatrix}x\\y\end{pmatrix}",
        critical=(("minimum", 0.0, 0.0),),
        complete=True,
        params=(
            Param("condition", "condition number κ", 10.0, 1.0, 1e4, log=True),
            Param("angle", "rotation θ (degrees)", 30.0, 0.0, 180.0),
        ),
    ),
    Analytic(
        key="saddle",
        title="Saddle x² − y²",
        expr="x**2 - y**2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 0.02),
        latex=r"L(x, y) = x^2 - y^2",
        critical=(("saddle", 0.0, 0.0),),
        complete=True,
    ),
    Analytic(
        key="monkey_saddle",
        title="Monkey saddle x³ − 3xy²",
        expr="x**3 - 3*x*y**2",
        domain=((-1.5, 1.5), (-1.5, 1.5)),
        start=(1.2, 0.1),
        latex=r"L(x, y) = x^3 - 3 x y^2",
        critical=(("degenerate", 0.0, 0.0),),
        complete=True,
    ),
    Analytic(
        key="rosenbrock",
        optimal_value=0.0,
        title="Rosenbrock",
        expr="(1 - x)**2 + 100*(y - x**2)**2",
        domain=((-2.048, 2.048), (-2.048, 2.048)),
        start=(-1.2, 1.0),
        latex=r"L(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
        critical=(("minimum", 1.0, 1.0),),
        complete=True,
    ),
    Analytic(
        key="himmelblau",
        optimal_value=0.0,
        title="Himmelblau",
        expr="(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(-1.0, 0.0),
        latex=r"L(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        critical=(
            ("minimum", 3.0, 2.0),
            ("minimum", -2.805118, 3.131312),
            ("minimum", -3.779310, -3.283186),
            ("minimum", 3.584428, -1.848126),
            ("maximum", -0.270845, -0.923039),
            ("saddle", 0.0866775046, 2.8842547012),
            ("saddle", -3.0730257508, -0.0813530443),
            ("saddle", 3.3851541836, 0.0738518798),
            ("saddle", -0.1279613467, -1.9537149802),
        ),
        complete=True,
    ),
    Analytic(
        key="beale",
        optimal_value=0.0,
        title="Beale",
        expr="(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        start=(-1.0, 1.5),
        latex=r"L = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        critical=(
            ("minimum", 3.0, 0.5),
            ("saddle", 0.0, 1.0),
            ("saddle", 0.100538, -2.644514),
        ),
        complete=True,
    ),
    Analytic(
        key="booth",
        optimal_value=0.0,
        title="Booth",
        expr="(x + 2*y - 7)**2 + (2*x + y - 5)**2",
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        start=(-6.0, -6.0),
        latex=r"L(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
        critical=(("minimum", 1.0, 3.0),),
        complete=True,
    ),
    Analytic(
        key="matyas",
        optimal_value=0.0,
        title="Matyas",
        expr="0.26*(x**2 + y**2) - 0.48*x*y",
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        start=(-8.0, 6.0),
        latex=r"L(x, y) = 0.26\,(x^2 + y^2) - 0.48\,xy",
        critical=(("minimum", 0.0, 0.0),),
        complete=True,
    ),
    Analytic(
        key="six_hump_camel",
        optimal_value=-1.031628,
        title="Six-hump camel",
        expr="(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2",
        domain=((-3.0, 3.0), (-2.0, 2.0)),
        start=(-1.5, 1.0),
        latex=r"L = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2",
        critical=(
            ("minimum", 0.089842, -0.712656),
            ("minimum", -0.089842, 0.712656),
            ("minimum", 1.7036067150, -0.7960835687),
            ("minimum", -1.7036067150, 0.7960835687),
            ("minimum", 1.6071047529, 0.5686514549),
            ("minimum", -1.6071047529, -0.5686514549),
            ("saddle", 0.0, 0.0),
            ("saddle", 1.1092053368, -0.7682680925),
            ("saddle", -1.1092053368, 0.7682680925),
            ("saddle", 1.2960702672, 0.6050843880),
            ("saddle", -1.2960702672, -0.6050843880),
            ("saddle", 1.6380679842, 0.2286740690),
            ("saddle", -1.6380679842, -0.2286740690),
            ("maximum", 1.2302298765, 0.1623345845),
            ("maximum", -1.2302298765, -0.1623345845),
        ),
        complete=True,
    ),
    Analytic(
        key="three_hump_camel",
        optimal_value=0.0,
        title="Three-hump camel",
        expr="2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(-2.0, 1.5),
        latex=r"L(x, y) = 2x^2 - 1.05x^4 + \tfrac{x^6}{6} + xy + y^2",
        critical=(
            ("minimum", 0.0, 0.0),
            ("minimum", _THC_OUT, -_THC_OUT / 2),
            ("minimum", -_THC_OUT, _THC_OUT / 2),
            ("saddle", _THC_IN, -_THC_IN / 2),
            ("saddle", -_THC_IN, _THC_IN / 2),
        ),
        complete=True,
    ),
    Analytic(
        key="goldstein_price",
        optimal_value=3.0,
        title="Goldstein–Price",
        expr="(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
        "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.5, 1.5),
        latex=r"L = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
        r"\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
        critical=(
            ("minimum", 0.0, -1.0),
            ("minimum", -0.6, -0.4),
            ("minimum", 1.8, 0.2),
            ("minimum", 1.2, 0.8),
            ("saddle", -0.4, -0.6),
            ("saddle", 1.2, -0.2),
            ("saddle", 0.6, 0.4),
            ("saddle", 1.4, 0.6),
            ("maximum", 0.8, 0.2),
        ),
        complete=True,
    ),
    Analytic(
        key="mccormick",
        optimal_value=-1.9133,
        title="McCormick",
        expr="sin(x + y) + (x - y)**2 - 1.5*x + 2.5*y + 1",
        domain=((-1.5, 4.0), (-3.0, 4.0)),
        start=(3.0, -2.0),
        latex=r"L(x, y) = \sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1",
        critical=(
            ("minimum", *_MCC[-2 * math.pi / 3]),
            ("minimum", *_MCC_FAR),
            ("saddle", *_MCC[2 * math.pi / 3]),
        ),
        complete=True,
    ),
    Analytic(
        key="styblinski_tang",
        optimal_value=-39.16599 * 2,  # VLSE prints −39.16616…·d as −39.16599·d
        title="Styblinski–Tang",
        expr="(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y) / 2",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.5, 0.3),
        latex=r"L(x, y) = \tfrac12 \sum_{t \in \{x, y\}} \left(t^4 - 16t^2 + 5t\right)",
        critical=_styblinski_tang(),
        complete=True,
    ),
    Analytic(
        key="rastrigin",
        optimal_value=0.0,
        title="Rastrigin",
        expr="20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        start=(3.2, -2.7),
        latex=r"L(x, y) = 20 + \sum_{t \in \{x, y\}} \left(t^2 - 10\cos 2\pi t\right)",
        critical=(("minimum", 0.0, 0.0),),
    ),
    Analytic(
        key="ackley",
        optimal_value=0.0,
        title="Ackley",
        expr="-20*exp(-0.2*sqrt((x**2 + y**2)/2)) - exp((cos(2*pi*x) + cos(2*pi*y))/2)"
        " + 20 + exp(1)",
        # VLSE's smaller-domain option: [−32.768, 32.768]² would hold ~10⁴ critical points.
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(3.3, -2.1),
        latex=r"L = -20\,e^{-0.2\sqrt{(x^2 + y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2}"
        r" + 20 + e",
        kinks=((0.0, 0.0),),
    ),
)

for _declaration in DECLARATIONS:
    register(_declaration)
