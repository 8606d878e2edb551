"""surfaces.points: which listed critical point a chosen point is, the short list, tidy coordinates
and noise floors, against closed forms (the toy network's hyperbola, Himmelblau's table)."""

import math

import numpy as np
import pytest

from surfaces import critical_points, get_surface
from surfaces.base import CriticalPoint
from surfaces.hessian import scales
from surfaces.points import (
    NOISE,
    distance,
    floors,
    home_point,
    nearest,
    place,
    snap,
    spans,
    tidy,
    which,
)


@pytest.fixture(scope="module")
def toy():
    surface = get_surface("toy_network")
    return surface, critical_points(surface)


@pytest.fixture(scope="module")
def himmelblau():
    surface = get_surface("himmelblau")
    return surface, critical_points(surface)


def point(x: float, y: float, kind: str = "minimum") -> CriticalPoint:
    return CriticalPoint(x, y, 0.0, np.zeros(2), np.eye(2), kind)


def test_tidy_drops_solver_noise_and_keeps_twelve_digits_at_the_domains_scale():
    assert tidy(-2e-8, 3.0) == 0.0  # the monkey saddle is found at about −2e−8
    assert tidy(1.0000000111042167, 4.0) == 1.000000011104
    assert tidy(-0.2708445906694, 10.0) == -0.27084459067


def test_home_is_a_saddle_when_there_is_one(toy, himmelblau):
    assert home_point(toy[1], toy[0]) == (0.0, 0.0)  # the toy network's saddle
    surface, points = himmelblau
    x, y = home_point(points, surface)
    assert next(cp for cp in points if (cp.x, cp.y) == pytest.approx((x, y))).kind == "saddle"
    quadratic = get_surface("softmax_ce")  # no critical point at all: the default start
    assert home_point([], quadratic) == quadratic.default_start


def test_a_point_anywhere_on_the_valley_is_on_it(toy):
    """w₁w₂ = 1: its points are on the valley even between two samples of its curve."""
    points = toy[1]
    valley = next(cp for cp in points if not cp.isolated and cp.x > 0)
    for w1 in (0.6, 1.0, 1.234567, 1.9):
        assert distance(valley, (w1, 1 / w1)) < 1e-4  # the chords of a curve sampled finely
    assert distance(valley, (1.5, 1.5)) == pytest.approx(
        min(math.dist((1.5, 1.5), (t, 1 / t)) for t in np.linspace(0.5, 2, 20001)), rel=1e-3
    )
    assert points[which(points, (2.0, 0.5), 1e-3)] is valley
    assert which(points, (0.0, 0.0), 1e-3) == points.index(
        next(cp for cp in points if cp.kind == "saddle")
    )
    assert which(points, (0.5, 0.5), 1e-3) is None


def test_which_takes_the_closest_within_reach():
    points = [point(0, 0), point(1, 0), point(1.05, 0)]
    assert which(points, (1.04, 0), 0.1) == 2
    assert which(points, (0.5, 0), 0.1) is None
    assert which([], (0, 0), 1.0) is None


def test_the_short_list_is_the_nearest_in_list_order():
    points = [point(float(i), 0.0) for i in range(10)]
    assert nearest(points, (6.2, 0), 3) == [5, 6, 7]
    assert nearest(points, (0, 0), 50) == list(range(10))


def test_snap_lands_on_a_listed_point_or_on_the_valley(toy):
    surface, points = toy
    saddle = next(cp for cp in points if cp.kind == "saddle")
    assert snap(saddle, (0.03, -0.02), surface) == place(saddle, surface) == (0.0, 0.0)
    valley = next(cp for cp in points if not cp.isolated and cp.x > 0)
    x, y = snap(valley, (1.5, 0.7), surface)
    assert x * y == pytest.approx(1.0, abs=1e-9)  # a point of the valley, so a critical point
    assert np.linalg.norm(surface.grad(x, y)) < 1e-8


def test_noise_floors_follow_the_surfaces_scale(himmelblau):
    surface, points = himmelblau
    scale, low = scales(surface), floors(surface)
    width = max(spans(surface))
    assert low.curvature == NOISE * scale.curvature and low.loss == NOISE * scale.gradient * width
    assert low.gradient == NOISE * max(scale.gradient, scale.curvature * width)
    # The gradient at a tidied critical point (12 digits at the domain's scale) is noise.
    assert all(np.abs(surface.grad(*place(cp, surface))).max() < low.gradient for cp in points)
    minima = [cp for cp in points if cp.kind == "minimum"]
    assert all(abs(cp.value) < low.loss for cp in minima)  # f = 0 at all four, to rounding
    assert all(abs(cp.value) > 1e3 * low.loss for cp in points if cp.kind != "minimum")
