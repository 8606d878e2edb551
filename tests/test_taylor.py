"""The second-order model and what the page reads from it, against closed forms (LECTURE.md 1)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizers import make_optimizer, simulate
from surfaces import critical_points, get_surface
from surfaces.analytic import DECLARATIONS
from surfaces.taylor import (
    direction_at,
    escape,
    is_stationary,
    left_at,
    minimum_ratio,
    predicted_stall,
    profile,
    scales,
    second_order_test,
    taylor_model,
)

TOY = get_surface("toy_network")


def test_toy_origin_is_the_lectures_saddle():
    model = taylor_model(TOY, (0.0, 0.0))
    np.testing.assert_array_equal(model.gradient, [0.0, 0.0])
    np.testing.assert_allclose(model.hessian, [[0.0, -2.0], [-2.0, 0.0]])
    np.testing.assert_allclose(model.eigenvalues, [-2.0, 2.0])
    out = escape(TOY, model, 1.0)
    assert out.eigenvalue == pytest.approx(-2.0)
    np.testing.assert_allclose(np.abs(out.direction), [1 / math.sqrt(2)] * 2)
    assert out.direction[0] == pytest.approx(out.direction[1])  # (1, 1)/√2, either sign
    assert second_order_test(model.eigenvalues, scales(TOY)) == "saddle"
    assert minimum_ratio(model.eigenvalues, scales(TOY)) == 0.5


@pytest.mark.parametrize("distance", [0.1, 0.5, 1.0, 1.5])
def test_escape_predicts_half_lambda_u_squared(distance):
    # Along (1, 1)/√2 · d the toy loss is (1 − d²/2)²: the change is −d² + d⁴/4 exactly.
    out = escape(TOY, taylor_model(TOY, (0.0, 0.0)), distance)
    assert out.predicted == pytest.approx(0.5 * -2.0 * distance**2)
    assert out.actual == pytest.approx(-(distance**2) + distance**4 / 4)


def test_escape_off_a_critical_point_goes_downhill():
    model = taylor_model(TOY, (0.3, -0.5))
    out = escape(TOY, model, 0.1)
    assert model.gradient @ out.direction <= 0
    assert out.predicted == pytest.approx(
        model.gradient @ (0.1 * out.direction) + 0.5 * out.eigenvalue * 0.01
    )


@settings(max_examples=25, deadline=None)
@given(
    x=st.floats(-2, 2), y=st.floats(-2, 2), dx=st.floats(-1, 1), dy=st.floats(-1, 1),
    condition=st.floats(1, 1e3), angle=st.floats(0, 180),
)  # fmt: skip
def test_model_of_a_quadratic_is_the_quadratic(x, y, dx, dy, condition, angle):
    bowl = get_surface("quadratic", condition=condition, angle=angle)
    model = taylor_model(bowl, (x, y))
    assert model(x + dx, y + dy) == pytest.approx(bowl.f(x + dx, y + dy), rel=1e-9, abs=1e-9)


def test_model_error_is_third_order():
    # Himmelblau near (1, 1) has nonzero third derivatives: halving the step cuts the error 8×.
    himmelblau = get_surface("himmelblau")
    model = taylor_model(himmelblau, (1.0, 1.0))
    d = direction_at(30)
    errors = [abs(himmelblau.f(*(model.center + h * d)) - model(*(model.center + h * d)))
              for h in (0.02, 0.01)]  # fmt: skip
    assert errors[0] / errors[1] == pytest.approx(8.0, rel=0.02)


@pytest.mark.parametrize(
    ("key", "point", "verdict", "ratio"),
    [
        ("himmelblau", (3.0, 2.0), "minimum", 1.0),
        ("himmelblau", (-0.270845, -0.923039), "maximum", 0.0),
        ("beale", (0.0, 1.0), "saddle", 0.5),
        ("six_hump_camel", (0.089842, -0.712656), "minimum", 1.0),
        ("monkey_saddle", (0.0, 0.0), "degenerate", 0.0),
        ("toy_network", (1.0, 1.0), "degenerate", 0.5),  # on the valley: eigenvalues 0 and 4
    ],
)
def test_second_order_test_on_published_points(key, point, verdict, ratio):
    surface = get_surface(key)
    model = taylor_model(surface, point)
    assert second_order_test(model.eigenvalues, scales(surface)) == verdict
    assert minimum_ratio(model.eigenvalues, scales(surface)) == ratio


def test_valley_eigenvalues_are_zero_and_twice_the_squared_norm():
    model = taylor_model(TOY, (2.0, 0.5))  # w₁w₂ = 1
    assert is_stationary(model, scales(TOY))
    np.testing.assert_allclose(model.eigenvalues, [0.0, 2 * (2.0**2 + 0.5**2)], atol=1e-12)
    assert not is_stationary(taylor_model(TOY, (0.5, 0.5)), scales(TOY))


def test_kink_has_no_second_order_picture():
    ackley = get_surface("ackley")
    model = taylor_model(ackley, (0.0, 0.0))
    assert not model.smooth
    assert second_order_test(model.eigenvalues, scales(ackley)) == "undefined"
    assert math.isnan(minimum_ratio(model.eigenvalues, scales(ackley)))
    # The slice still shows the true loss: a cone, rising linearly both ways.
    line = profile(ackley, model, direction_at(0), 0.01, n=5)
    assert line.true[0] > line.true[2] < line.true[4] and np.isfinite(line.true).all()


@pytest.mark.parametrize(("angle", "curvature"), [(45, -2.0), (135, 2.0), (0, 0.0)])
def test_slice_curvature_is_the_second_derivative_of_the_slice(angle, curvature):
    model = taylor_model(TOY, (0.0, 0.0))
    line = profile(TOY, model, direction_at(angle), 1e-3, n=3)
    assert line.curvature == pytest.approx(curvature, abs=1e-12)
    finite_difference = (line.true[0] - 2 * line.true[1] + line.true[2]) / 1e-3**2
    assert finite_difference == pytest.approx(curvature, abs=1e-5)
    np.testing.assert_allclose(line.true, TOY.f(*(line.direction[:, None] * line.t)))


@pytest.mark.parametrize(("lr", "offset"), [(0.05, 1e-3), (0.1, 1e-6), (0.01, 0.01)])
def test_stall_length_matches_gradient_descent_on_a_saddle(lr, offset):
    # On x² − y² gradient descent multiplies y by 1 + 2η each step: exactly the model's rate.
    saddle = get_surface("saddle")
    run = simulate(saddle, make_optimizer("sgd", lr=lr), (0.0, offset), 2000)
    stall = predicted_stall(-2.0, lr, offset, 0.5)
    assert left_at(run.points, np.zeros(2), 0.5) == math.floor(stall) + 1
    assert predicted_stall(2.0, lr, offset, 0.5) is None


def test_gradient_descent_from_exactly_on_the_saddle_never_moves():
    run = simulate(TOY, make_optimizer("sgd", lr=0.05), (0.0, 0.0), 500)
    assert left_at(run.points, np.zeros(2), 1e-12) is None


# The analytic surfaces (critical_points on the softmax surfaces' plateaus takes minutes, see
# the report; the verdict logic does not depend on where a surface is declared).
@pytest.mark.parametrize("key", [d.key for d in DECLARATIONS])
def test_verdicts_agree_with_critical_points_on_every_surface(key):
    surface = get_surface(key)
    for cp in critical_points(surface)[:40]:
        model = taylor_model(surface, (cp.x, cp.y))
        verdict = second_order_test(model.eigenvalues, scales(surface))
        if not cp.smooth:
            assert verdict == "undefined"
        elif cp.isolated:
            assert verdict == cp.kind, (cp.x, cp.y)
            assert is_stationary(model, scales(surface))
        else:
            assert verdict == "degenerate"  # a valley: flat along itself
