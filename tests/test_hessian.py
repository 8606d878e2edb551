"""One reading of the Hessian (surfaces.hessian) for the whole app: the verdict from closed-form
eigenvalues, the sign convention, and agreement between critical_points and the Taylor model."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surfaces import Surface, critical_points, get_surface, parse_expression
from surfaces.base import X, Y
from surfaces.hessian import (
    ZERO_TOL,
    Scales,
    classify,
    eigen,
    minimum_ratio,
    scales,
    verdicts,
    zero_eigenvalues,
)
from surfaces.taylor import second_order_test, taylor_model

UNIT = Scales(gradient=1.0, curvature=1.0)


@pytest.mark.parametrize(
    ("eigenvalues", "verdict", "valley_verdict"),
    [
        ([1.0, 2.0], "minimum", "minimum"),
        ([-2.0, -1.0], "maximum", "maximum"),
        ([-1.0, 2.0], "saddle", "saddle"),
        ([0.0, 2.0], "degenerate", "minimum"),  # a valley of minima is flat along itself
        ([-2.0, 0.0], "degenerate", "maximum"),
        ([0.0, 0.0], "degenerate", "degenerate"),
        ([0.5 * ZERO_TOL, 1.0], "degenerate", "minimum"),
        ([2.0 * ZERO_TOL, 1.0], "minimum", "minimum"),
        ([-1.0, 0.0, 2.0], "saddle", "saddle"),  # both signs: a way down whatever is flat
        ([0.0, 1.0, 3.0], "degenerate", "minimum"),
        ([np.nan, 1.0], "undefined", "undefined"),  # no Hessian (a kink)
    ],
)
def test_verdict_of_closed_form_eigenvalues(eigenvalues, verdict, valley_verdict):
    assert classify(eigenvalues, UNIT) == verdict
    assert classify(eigenvalues, UNIT, valley=True) == valley_verdict
    assert verdicts(np.array([eigenvalues] * 3), UNIT).tolist() == [verdict] * 3


@pytest.mark.parametrize("factor", [1e-9, 1e-3, 1.0, 1e4, 1e12])
def test_zero_is_relative_to_the_typical_curvature(factor):
    # Changing the units of the loss scales eigenvalues and curvature alike: same verdicts.
    for eigenvalues in ([5e-7, 1.0], [5e-6, 1.0], [-3e-7, 2.0], [-1.0, 1.0]):
        scaled = [factor * w for w in eigenvalues]
        assert classify(scaled, Scales(1.0, factor)) == classify(eigenvalues, UNIT)
    np.testing.assert_array_equal(
        zero_eigenvalues([ZERO_TOL * factor, 1.01 * ZERO_TOL * factor], Scales(1.0, factor)),
        [True, False],
    )


def test_minimum_ratio_counts_clearly_positive_eigenvalues():
    assert minimum_ratio([-2.0, 2.0], UNIT) == 0.5
    assert minimum_ratio([-1.0, 1e-9, 2.0, 3.0], UNIT) == 0.5  # 1e-9 is zero here
    assert minimum_ratio([1.0, 2.0, 3.0, -4.0], UNIT) == 0.75
    assert math.isnan(minimum_ratio([np.nan, 1.0], UNIT))


def test_eigenvectors_have_their_first_clear_component_positive():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 3, 3))
    h = a + np.swapaxes(a, -1, -2)
    w, v = eigen(h)
    np.testing.assert_allclose(v @ (w[..., None] * np.swapaxes(v, -1, -2)), h, atol=1e-12)
    lead = np.array([[col[np.argmax(np.abs(col) > 1e-12)] for col in m.T] for m in v])
    assert (lead > 0).all()
    # The toy network's saddle: escape direction (1, 1)/√2, the other (−1, 1)/√2 → (1, −1)/√2.
    w, v = eigen(np.array([[0.0, -2.0], [-2.0, 0.0]]))
    np.testing.assert_allclose(w, [-2.0, 2.0])
    np.testing.assert_allclose(v, np.array([[1.0, 1.0], [1.0, -1.0]]) / math.sqrt(2))
    # Exact zeros in the first row: the second component decides.
    _, v = eigen(np.diag([3.0, -1.0]))
    np.testing.assert_array_equal(v, [[0.0, 1.0], [1.0, 0.0]])
    w, v = eigen(np.full((2, 2), np.nan))
    assert np.isnan(w).all() and np.isnan(v).all()


def test_scales_of_a_quadratic_are_its_constant_hessian_norm():
    s = get_surface("quadratic", condition=10.0, angle=30.0)
    # H = R diag(1, 10) Rᵀ everywhere: ‖H‖_F = √(1 + 100).
    assert scales(s).curvature == pytest.approx(math.sqrt(101.0), rel=1e-12)


def test_issue_17_one_verdict_for_a_tiny_eigenvalue():
    """x² + 5e−7·y² at the origin: eigenvalues 2 and 1e−6, 5e−7 of the curvature ‖H‖ ≈ 2: below
    ZERO_TOL, so degenerate, on the critical-point list and in the Taylor model alike."""
    s = parse_expression("x**2 + 5e-7*y**2")
    (cp,) = critical_points(s)
    assert cp.kind == "degenerate" and cp.isolated
    verdict = second_order_test(taylor_model(s, (cp.x, cp.y)).eigenvalues, scales(s))
    assert verdict == cp.kind
    (cp,) = critical_points(parse_expression("x**2 + 5e-6*y**2"))
    assert cp.kind == "minimum"


def _quadratic(l1: float, l2: float, angle: float) -> tuple[Surface, np.ndarray]:
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    rotation = np.array([[c, -s], [s, c]])
    h = rotation @ np.diag([l1, l2]) @ rotation.T
    expr = sp.Float(h[0, 0] / 2) * X**2 + sp.Float(h[0, 1]) * X * Y + sp.Float(h[1, 1] / 2) * Y**2
    domain = ((-1.0, 1.3), (-1.2, 1.0))  # not square, origin off-centre
    return Surface(key="q", title="q", expr=expr, domain=domain, default_start=(0.5, 0.5)), h


def _expected(l1: float, l2: float) -> str | None:
    """The verdict from the chosen eigenvalues (curvature = ‖H‖_F), None too near the threshold
    for the computed eigenvalues (to ~1e−15 ‖H‖) to be sure which side they fall."""
    threshold = ZERO_TOL * math.hypot(l1, l2)
    if any(abs(abs(w) - threshold) < 1e-3 * threshold for w in (l1, l2)):
        return None
    return classify([l1, l2], Scales(1.0, math.hypot(l1, l2)))


eigenvalue = st.one_of(
    st.sampled_from([0.0, 5e-7, -5e-7, 1e-6, 2e-6]),
    st.floats(-5, 5).filter(lambda v: abs(v) > 1e-3),
    st.floats(-3e-6, 3e-6),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eigenvalue, st.floats(0.5, 5), st.booleans(), st.floats(0, 180))
def test_critical_points_and_the_taylor_model_agree_on_random_quadratics(small, big, sign, angle):
    l1, l2 = small * big, (big if sign else -big)  # near-zero eigenvalues relative to ‖H‖
    surface, h = _quadratic(l1, l2, angle)
    found = critical_points(surface)
    assert found.complete and found
    expected = _expected(l1, l2)
    for cp in found:
        model = taylor_model(surface, (cp.x, cp.y))
        np.testing.assert_allclose(model.hessian, h, atol=1e-12)
        verdict = second_order_test(model.eigenvalues, scales(surface))
        if cp.isolated:
            assert verdict == cp.kind, (l1, l2, cp)
            if expected is not None:
                assert cp.kind == expected
        else:  # l1 ≈ 0: numerically a line of critical points, flat along itself
            assert verdict == "degenerate" and expected in ("degenerate", None)
            assert cp.kind == classify(model.eigenvalues, scales(surface), valley=True)
            assert cp.kind == ("minimum" if l2 > 0 else "maximum")
