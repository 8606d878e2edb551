"""Surfaces for LECTURE.md part 2 (batch size and momentum): a tiny network on generated data,
and a tilted double well whose shallow minimum comes before the deeper one.

Both are plain declarations of the existing kinds (``DataModel``, ``Analytic``); their critical
points are declared so the generic tests check them.
"""

from __future__ import annotations

import numpy as np

from surfaces.analytic import Analytic
from surfaces.data import DataModel
from surfaces.registry import register

# Data for one Gaussian (RBF) neuron ŷ = w₂·exp(−(x − w₁)²): a tall bump at x = 1.25 and a lower
# one at x = −1.25, plus noise. Fitting the lower bump is a shallow local minimum that full-batch
# gradient descent cannot leave; single-sample steps are noisy enough to hop the low ridge.
_RNG = np.random.default_rng(5)
_N = 40
_BUMPS_X = _RNG.uniform(-4.0, 4.0, _N)
_BUMPS_Y = (
    np.exp(-((_BUMPS_X - 1.25) ** 2))
    + 0.6 * np.exp(-((_BUMPS_X + 1.25) ** 2))
    + 0.05 * _RNG.standard_normal(_N)
)

# The tilted double well's critical points lie on y = 0 at the roots of ∂L/∂x = 4x³ − 4x + 0.3;
# the middle root is a maximum along x, so a saddle in 2-D.
_WELL_LEFT, _WELL_RIDGE, _WELL_RIGHT = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)

DECLARATIONS = (
    DataModel(
        key="rbf_neuron",
        title="One RBF neuron ŷ = w₂·exp(−(x − w₁)²) (40 points)",
        loss="(t - w2*exp(-(u - w1)**2))**2",
        parameters=("w1", "w2"),
        data={"u": tuple(_BUMPS_X), "t": tuple(_BUMPS_Y)},
        domain=((-3.5, 3.5), (-0.5, 1.75)),
        start=(-2.5, 0.2),
        latex=r"L(w_1, w_2) = \frac{1}{40}\sum_{n=1}^{40}"
        r"\left(\hat y^n - w_2\, e^{-(x^n - w_1)^2}\right)^2",
        # Found with critical_points and confirmed independently (tests/test_networks.py).
        critical=(
            ("minimum", 1.1104295173231273, 1.1247849797719072),
            ("minimum", -1.0499558326931973, 0.6366804248238729),
            ("saddle", -0.21130280789484202, 0.6053245534891836),
        ),
        complete=True,
        axis_labels=("w₁ (centre)", "w₂ (height)"),
    ),
    Analytic(
        key="double_well",
        title="Tilted double well (x² − 1)² + 0.3x + y²",
        expr="(x**2 - 1)**2 + 0.3*x + y**2",
        domain=((-2.0, 2.5), (-1.5, 1.5)),
        start=(2.2, 1.0),
        latex=r"L(x, y) = (x^2 - 1)^2 + 0.3\,x + y^2",
        critical=(
            ("minimum", _WELL_LEFT, 0.0),
            ("minimum", _WELL_RIGHT, 0.0),
            ("saddle", _WELL_RIDGE, 0.0),
        ),
        complete=True,
    ),
)

for _declaration in DECLARATIONS:
    register(_declaration)
