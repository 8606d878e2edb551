"""The softmax classification surfaces (LECTURE.md part 4) against PyTorch autograd and SciPy."""

import warnings
from functools import partial

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import reference

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from surfaces.classification import log_softmax, soft_target, softmax

KEYS = ("softmax_mse", "softmax_ce")


def torch_derivatives(key: str, target: float, y3: float, points: np.ndarray) -> dict:
    """Loss, gradient and Hessian over (y₁, y₂) at each point, by torch autograd in float64."""
    import torch

    q = torch.tensor(soft_target(target), dtype=torch.float64)

    def loss(v: torch.Tensor) -> torch.Tensor:
        y = torch.cat([v, torch.tensor([y3], dtype=torch.float64)])
        if key == "softmax_mse":
            return torch.sum((q - torch.softmax(y, 0)) ** 2)
        return -torch.sum(q * torch.log_softmax(y, 0))

    values, grads, hessians = [], [], []
    for point in points:
        v = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        value = loss(v)
        (grad,) = torch.autograd.grad(value, v)
        values.append(value.item())
        grads.append(grad.numpy())
        hessians.append(torch.autograd.functional.hessian(loss, v.detach()).numpy())
    return {"value": np.array(values), "grad": np.array(grads), "hessian": np.array(hessians)}


def by_torch(key: str, target: float, y3: float, points: np.ndarray, name: str) -> tuple:
    """torch_derivatives at ``points`` (called ``name``), through the stored references."""
    theirs = reference(f"{key}(target={target}, y3={y3})/{name}",
                       partial(torch_derivatives, key, target, y3, points))  # fmt: skip
    return theirs["value"], theirs["grad"], theirs["hessian"]


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_lecture_check_numbers_at_minus_ten_ten():
    mse, ce = (get_surface(key) for key in KEYS)
    # p = softmax(−10, 10, −1000) ≈ (e⁻²⁰, 1, 0): MSE ≈ 1² + 1², CE = −log p₁ ≈ 20.
    assert mse.f(-10.0, 10.0) == pytest.approx(2.0, abs=1e-8)
    assert 5e-9 < np.linalg.norm(mse.grad(-10.0, 10.0)) < 5e-8
    assert ce.f(-10.0, 10.0) == pytest.approx(20.0, abs=1e-8)
    np.testing.assert_allclose(ce.grad(-10.0, 10.0), [-1.0, 1.0], atol=1e-8)
    assert np.linalg.norm(ce.grad(-10.0, 10.0)) == pytest.approx(1.414, abs=5e-4)


def test_from_the_lecture_start_gradient_descent_stalls_on_mse_and_descends_on_ce():
    runs = [simulate(get_surface(k), make_optimizer("sgd", lr=0.5), (-10, 10), 200) for k in KEYS]
    mse, ce = runs
    assert np.abs(mse.points[-1] - mse.points[0]).max() < 1e-6
    assert mse.losses[-1] == pytest.approx(2.0, abs=1e-6)
    assert ce.losses[-1] < 0.01 and ce.points[-1][0] > 0 > ce.points[-1][1]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(("target", "y3"), [(1, -1000.0), (2, -5.0), (3, 0.0), (1.5, 10.0)])
def test_value_gradient_hessian_match_torch_autograd(key, target, y3):
    s = get_surface(key, target=target, y3=y3)
    points = np.random.default_rng(7).uniform(-10, 10, size=(12, 2))
    points = np.vstack([points, [[-10.0, 10.0], [10.0, -10.0], [0.0, 0.0]]])
    value, grad, hessian = by_torch(key, target, y3, points, "uniform(7)+3")
    x, y = points.T
    np.testing.assert_allclose(s.f(x, y), value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s.grad(x, y), grad, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(s.hessian(x, y), hessian, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("target", [1, 2, 3])
def test_extreme_logits_stay_finite_and_exact(key, target):
    # Logits of ±1e4 with y₃ = −1000: exp(1e4) overflows, a naive softmax gives NaN.
    points = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4], [-1e4, -1e4], [1e4, 9990.0]])
    s = get_surface(key, target=target, y3=-1000.0)
    x, y = points.T
    value, grad, hessian = by_torch(key, target, -1000.0, points, "extreme")
    assert np.isfinite(s.f(x, y)).all() and np.isfinite(s.grad(x, y)).all()
    assert np.isfinite(s.hessian(x, y)).all()
    np.testing.assert_allclose(s.f(x, y), value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.grad(x, y), grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s.hessian(x, y), hessian, rtol=1e-10, atol=1e-12)


def test_cross_entropy_near_zero_keeps_its_digits():
    # Target 1 leading by 30: CE = log(1 + e⁻³⁰ + e⁻¹⁰³⁰) ≈ e⁻³⁰ = 9.36e−14, not 0.
    ce = get_surface("softmax_ce")
    assert ce.f(15.0, -15.0) == pytest.approx(np.exp(-30.0), rel=1e-12)
    np.testing.assert_allclose(ce.grad(15.0, -15.0), [-np.exp(-30.0), np.exp(-30.0)], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e4, 1e4, allow_nan=False, allow_subnormal=False), min_size=1, max_size=6)
)
def test_softmax_helpers_match_scipy_and_never_overflow(logits):
    y = np.array(logits)
    p = softmax(y)
    np.testing.assert_allclose(p, scipy.special.softmax(y), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_softmax(y), scipy.special.log_softmax(y), rtol=1e-12, atol=1e-9)
    assert p.sum() == pytest.approx(1.0, rel=1e-12)


def test_softmax_helpers_work_along_an_axis():
    y = np.array([[1.0, 2.0, 3.0], [1e4, -1e4, 0.0]])
    np.testing.assert_allclose(softmax(y.T, axis=0), scipy.special.softmax(y.T, axis=0), rtol=1e-12)
    np.testing.assert_allclose(softmax(y), scipy.special.softmax(y, axis=-1), rtol=1e-12)


def test_soft_target_is_one_hot_at_integers_and_blends_between():
    assert soft_target(1) == (1.0, 0.0, 0.0)
    assert soft_target(3) == (0.0, 0.0, 1.0)
    assert soft_target(2.25) == pytest.approx((0.0, 0.75, 0.25))
    with pytest.raises(ValueError):
        soft_target(0.5)


@pytest.mark.parametrize("params", [{"target": 0.0}, {"target": 4.0}, {"y3": -2000.0}], ids=str)
def test_out_of_range_parameters_are_value_errors(params):
    with pytest.raises(ValueError):
        get_surface("softmax_ce", **params)


def test_declarations():
    mse, ce = (get_surface(key) for key in KEYS)
    for s in (mse, ce):
        assert s.domain == ((-10.0, 10.0), (-10.0, 10.0))
        assert s.default_start == (-10.0, 10.0)
        assert s.params["y3"].value == -1000.0 and s.params["target"].value == 1.0
        assert s.minima == [] and s.known_critical == ()
    assert ce.complete and not mse.complete
