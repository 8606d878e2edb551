"""One generic test per property over every registered surface, plus surface-specific checks.

References are the published tables (VLSE, LECTURE.md) and closed forms, not our own output.
"""

import warnings

import numpy as np
import pytest

from surfaces import Param, get_surface, list_surfaces
from surfaces.analytic import DECLARATIONS

KEYS = list_surfaces()

# Global minimum values published by VLSE / LECTURE.md, declared on each surface
# (surfaces.analytic's ``optimal_value``; the regression's is not published).
GLOBAL_MINIMUM = {d.key: d.optimal_value for d in DECLARATIONS if d.optimal_value is not None}


def _random_points(surface, n=40, seed=0):
    (x0, x1), (y0, y1) = surface.domain
    rng = np.random.default_rng(seed)
    pts = rng.uniform([x0, y0], [x1, y1], size=(n, 2))
    span = np.hypot(x1 - x0, y1 - y0)
    far = [np.linalg.norm(pts - k, axis=1) > 0.05 * span for k in surface.kinks]
    return pts[np.all(far, axis=0)] if far else pts


def test_registry_lists_toy_first_and_everything_required():
    assert KEYS[0] == "toy_network"
    required = {
        "quadratic", "saddle", "monkey_saddle", "toy_network", "rosenbrock", "himmelblau",
        "beale", "booth", "matyas", "six_hump_camel", "three_hump_camel", "goldstein_price",
        "mccormick", "styblinski_tang", "rastrigin", "ackley", "regression",
    }  # fmt: skip
    assert required <= set(KEYS)


def test_unknown_key_is_a_value_error_naming_known_keys():
    with pytest.raises(ValueError, match="himmelblau"):
        get_surface("nope")


@pytest.mark.parametrize("key", KEYS)
def test_gradient_and_hessian_match_central_differences(key):
    s = get_surface(key)
    pts = _random_points(s)
    (x0, x1), (y0, y1) = s.domain
    h = 1e-6 * np.array([x1 - x0, y1 - y0])
    x, y = pts.T
    g = s.grad(x, y)
    hess = s.hessian(x, y)
    fd_g = np.stack(
        [
            (s.f(x + h[0], y) - s.f(x - h[0], y)) / (2 * h[0]),
            (s.f(x, y + h[1]) - s.f(x, y - h[1])) / (2 * h[1]),
        ],
        axis=-1,
    )
    fd_h = np.stack(
        [
            (s.grad(x + h[0], y) - s.grad(x - h[0], y)) / (2 * h[0]),
            (s.grad(x, y + h[1]) - s.grad(x, y - h[1])) / (2 * h[1]),
        ],
        axis=-2,
    )
    np.testing.assert_allclose(g, fd_g, rtol=1e-5, atol=1e-6 * (1 + np.abs(g).max()))
    np.testing.assert_allclose(hess, fd_h, rtol=1e-5, atol=1e-5 * (1 + np.abs(hess).max()))
    np.testing.assert_allclose(hess, np.swapaxes(hess, -1, -2))


@pytest.mark.parametrize("key", KEYS)
def test_declared_minima_have_zero_gradient_and_published_values(key):
    s = get_surface(key)
    declared = [(x, y) for kind, x, y in s.known_critical if kind == "minimum"]
    for x, y in declared:
        g = s.grad(x, y)
        # Published coordinates carry 6 decimals: the gradient is ~‖H‖·1e-6 there.
        assert np.linalg.norm(g) <= 1e-5 * (1 + np.linalg.norm(s.hessian(x, y)))
    for x, y in s.kinks:
        assert not np.all(np.isfinite(s.grad(x, y)))  # no gradient at a kink
    values = [float(s.f(x, y)) for x, y in declared + list(s.kinks)]
    if key in GLOBAL_MINIMUM:
        # rel: VLSE prints Styblinski–Tang's −39.16616…·d as −39.16599·d.
        assert min(values) == pytest.approx(GLOBAL_MINIMUM[key], rel=1e-5, abs=1e-4)


def test_every_published_optimal_value_is_declared():
    """The check above runs only where a value is declared: the published ones all are."""
    published = {"quadratic", "rosenbrock", "himmelblau", "beale", "booth", "matyas",
                 "six_hump_camel", "three_hump_camel", "goldstein_price", "mccormick",
                 "styblinski_tang", "rastrigin", "ackley"}  # fmt: skip
    assert set(GLOBAL_MINIMUM) == published


@pytest.mark.parametrize("key", KEYS)
def test_broadcasting_shapes(key):
    s = get_surface(key)
    (x0, x1), (y0, y1) = s.domain
    cases = [
        (0.3 * x0 + 0.7 * x1, 0.4 * y0 + 0.6 * y1),
        (np.linspace(x0, x1, 5), np.linspace(y0, y1, 5)),
        (np.full((3, 4), 0.5 * (x0 + x1) + 0.1), np.full((3, 4), 0.5 * (y0 + y1) + 0.2)),
        (np.linspace(x0, x1, 3)[:, None], np.linspace(y0, y1, 4)[None, :]),
    ]
    for x, y in cases:
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))
        assert s.f(x, y).shape == shape
        assert s.grad(x, y).shape == (*shape, 2)
        assert s.hessian(x, y).shape == (*shape, 2, 2)
        assert s.f(x, y).dtype == np.float64


@pytest.mark.parametrize("key", KEYS)
def test_far_away_points_evaluate_silently(key):
    s = get_surface(key)
    x = np.array([1e200, -1e300, 0.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.f(x, x[::-1])
        s.grad(x, x[::-1])
        s.hessian(x, x[::-1])


@pytest.mark.parametrize("key", KEYS)
def test_metadata(key):
    s = get_surface(key)
    (x0, x1), (y0, y1) = s.domain
    assert x0 < x1 and y0 < y1
    assert x0 <= s.default_start[0] <= x1 and y0 <= s.default_start[1] <= y1
    assert s.key == key and s.title and s.latex
    assert len(s.axis_labels) == 2
    assert all(isinstance(p, Param) for p in s.params.values())
    assert s.smooth == (key != "ackley")


def test_constant_derivatives_still_broadcast():
    s = get_surface("saddle")
    h = s.hessian(np.zeros((2, 3)), 0.0)
    assert h.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(h[1, 2], [[2.0, 0.0], [0.0, -2.0]])


def test_quadratic_parameters_set_condition_and_rotation():
    s = get_surface("quadratic", condition=100.0, angle=45.0)
    assert s.params["condition"].value == 100.0
    assert s.params["angle"].default == 30.0
    w, v = np.linalg.eigh(s.hessian(0.3, -0.2))
    np.testing.assert_allclose(w, [1.0, 100.0], rtol=1e-12)
    # The stiff direction is the x axis turned by 90° + 45°.
    assert abs(v[:, 1] @ np.array([-1.0, 1.0]) / np.sqrt(2)) == pytest.approx(1.0)
    assert get_surface("quadratic").params["condition"].value == 10.0


@pytest.mark.parametrize("params", [{"condition": 0.5}, {"angle": 200.0}, {"width": 1.0}], ids=str)
def test_bad_parameters_are_value_errors(params):
    with pytest.raises(ValueError):
        get_surface("quadratic", **params)


def test_axis_labels():
    assert get_surface("toy_network").axis_labels == ("w₁", "w₂")
    assert get_surface("regression").axis_labels == ("b", "w")
    assert get_surface("rosenbrock").axis_labels == ("x", "y")


# LECTURE.md part 3
U = np.array([338, 333, 328, 207, 226, 25, 179, 60, 208, 606], dtype=float)
T = np.array([640, 633, 619, 393, 428, 27, 193, 66, 226, 1591], dtype=float)


def test_regression_optimum_and_conditioning_match_the_lecture():
    s = get_surface("regression")
    assert s.n_samples == 10
    (b, w) = s.minima[0]
    assert b == pytest.approx(-188.43, abs=0.01)
    assert w == pytest.approx(2.669, abs=0.001)
    assert np.linalg.norm(s.grad(b, w)) < 1e-6
    assert np.linalg.cond(s.hessian(b, w)) == pytest.approx(3.1e5, rel=0.02)
    assert s.domain == ((-200.0, -100.0), (-5.0, 5.0))
    assert s.default_start == (-120.0, -4.0)


def test_regression_batches_are_means_over_the_chosen_samples():
    s = get_surface("regression")
    b = np.linspace(-200, -100, 16)
    w = np.linspace(-5, 5, 16)
    idx = np.array([3, 0, 7])
    r = T[idx] - (b[:, None] + w[:, None] * U[idx])
    np.testing.assert_allclose(s.batch_loss(b, w, idx), np.mean(r**2, axis=1), rtol=1e-12)
    expected = np.stack([np.mean(-2 * r, axis=1), np.mean(-2 * r * U[idx], axis=1)], axis=-1)
    np.testing.assert_allclose(s.batch_grad(b, w, idx), expected, rtol=1e-12)
    everything = np.arange(10)
    np.testing.assert_allclose(s.batch_loss(b, w, everything), s.f(b, w), rtol=1e-12)
    np.testing.assert_allclose(s.batch_grad(b, w, everything), s.grad(b, w), rtol=1e-12)
    grid = np.meshgrid(np.linspace(-200, -100, 200), np.linspace(-5, 5, 200))
    assert s.f(*grid).shape == (200, 200)


@pytest.mark.parametrize("idx", [[], [[0, 1]], [0.5], [10], [-11]], ids=str)
def test_regression_rejects_bad_indices(idx):
    with pytest.raises(ValueError):
        get_surface("regression").batch_loss(0.0, 0.0, np.array(idx))
