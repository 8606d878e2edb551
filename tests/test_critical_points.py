"""critical_points against published tables (LECTURE.md, VLSE) and closed forms."""

import functools
from collections import Counter

import numpy as np
import pytest
from scipy.optimize import brentq

from surfaces import CriticalPoint, critical_points, get_surface, list_surfaces, parse_expression

KINDS = ("minimum", "saddle", "maximum", "degenerate")


@functools.cache
def _found(key: str) -> tuple[CriticalPoint, ...]:
    return tuple(critical_points(get_surface(key)))


def _match(points, kind, x, y, tol=1e-6):
    return [p for p in points if p.kind == kind and abs(p.x - x) <= tol and abs(p.y - y) <= tol]


@pytest.mark.parametrize("key", list_surfaces())
def test_declared_critical_points_are_found_and_classified(key):
    s = get_surface(key)
    found = _found(key)
    for kind, x, y in s.known_critical:
        assert len(_match(found, kind, x, y)) == 1, (kind, x, y)
    for x, y in s.kinks:
        (kink,) = _match(found, "minimum", x, y)
        assert not kink.smooth and np.isnan(kink.eigenvalues).all()
    if s.complete:
        assert Counter(p.kind for p in found) == Counter(k for k, _, _ in s.known_critical)
    (x0, x1), (y0, y1) = s.domain
    for p in found:
        assert x0 <= p.x <= x1 and y0 <= p.y <= y1
        assert p.value == pytest.approx(float(s.f(p.x, p.y)))


@pytest.mark.parametrize("key", list_surfaces())
def test_results_are_consistent_and_ordered(key):
    found = _found(key)
    order = [(KINDS.index(p.kind), p.value) for p in found]
    assert order == sorted(order)
    for p in found:
        if not p.smooth:
            continue
        assert p.eigenvalues.shape == (2,) and p.eigenvectors.shape == (2, 2)
        assert p.eigenvalues[0] <= p.eigenvalues[1]
        h = get_surface(key).hessian(p.x, p.y)
        np.testing.assert_allclose(
            h @ p.eigenvectors, p.eigenvectors * p.eigenvalues, atol=1e-8 * (1 + abs(h).max())
        )
        if p.isolated:
            assert p.curve is None
            w = p.eigenvalues
            expected = {(True, True): "minimum", (False, False): "maximum"}
            assert p.kind in (expected.get((w[0] > 0, w[1] > 0), "saddle"), "degenerate")


def test_himmelblau_maximum_matches_the_lecture():
    (top,) = [p for p in _found("himmelblau") if p.kind == "maximum"]
    assert (top.x, top.y) == pytest.approx((-0.270845, -0.923039), abs=1e-6)
    assert top.value == pytest.approx(181.6165, abs=1e-4)


def test_six_hump_camel_global_minima_match_the_lecture():
    best = [p for p in _found("six_hump_camel") if p.kind == "minimum"][:2]
    assert sorted((round(p.x, 6), round(p.y, 6)) for p in best) == [
        (-0.089842, 0.712656),
        (0.089842, -0.712656),
    ]
    assert best[0].value == pytest.approx(-1.031628, abs=1e-6)


def test_monkey_saddle_has_one_degenerate_point():
    (p,) = _found("monkey_saddle")
    assert p.kind == "degenerate" and p.isolated
    assert abs(p.x) < 1e-6 and abs(p.y) < 1e-6


def test_toy_network_saddle_has_eigenvalues_minus_two_and_two():
    saddles = [p for p in _found("toy_network") if p.kind == "saddle"]
    (p,) = saddles
    assert (p.x, p.y) == (pytest.approx(0, abs=1e-12), pytest.approx(0, abs=1e-12))
    np.testing.assert_allclose(p.eigenvalues, [-2.0, 2.0], atol=1e-9)
    escape = p.eigenvectors[:, 0]
    assert abs(escape @ np.array([1.0, 1.0]) / np.sqrt(2)) == pytest.approx(1.0, abs=1e-12)


def test_toy_network_minima_are_the_two_branches_of_the_hyperbola():
    valleys = [p for p in _found("toy_network") if not p.isolated]
    assert len(valleys) == 2
    assert {np.sign(p.x) for p in valleys} == {-1.0, 1.0}
    for p in valleys:
        assert p.kind == "minimum"
        c = p.curve
        assert c.ndim == 2 and c.shape[1] == 2 and len(c) >= 20
        np.testing.assert_allclose(c[:, 0] * c[:, 1], 1.0, atol=1e-8)
        # The branch crosses the whole domain [−2, 2]²: |w₁| runs from 1/2 to 2.
        assert np.abs(c[:, 0]).min() == pytest.approx(0.5, abs=1e-3)
        assert np.abs(c[:, 0]).max() == pytest.approx(2.0, abs=1e-3)
        np.testing.assert_allclose(
            p.eigenvalues, [0.0, 2 * (p.x**2 + p.y**2)], atol=1e-9 * (1 + p.eigenvalues[1])
        )
        assert p.value == pytest.approx(0.0, abs=1e-12)


def _one_d_roots(df, lo, hi, n=20000):
    t = np.linspace(lo, hi, n)  # an even count keeps the root at 0 off the grid
    v = df(t)
    brackets = np.flatnonzero(v[:-1] * v[1:] < 0)
    return [brentq(df, t[i], t[i + 1], xtol=1e-14) for i in brackets]


def test_rastrigin_has_every_product_of_one_dimensional_critical_points():
    # Separable: critical points are pairs of roots of 2t + 20π sin 2πt on [−5.12, 5.12].
    roots = _one_d_roots(lambda t: 2 * t + 20 * np.pi * np.sin(2 * np.pi * t), -5.12, 5.12)
    assert len(roots) == 21
    found = _found("rastrigin")
    assert len(found) == len(roots) ** 2
    curvature = {r: int(2 + 40 * np.pi**2 * np.cos(2 * np.pi * r) > 0) for r in roots}
    got = np.array([(p.x, p.y) for p in found])
    for a in roots:
        for b in roots:
            i = np.argmin(np.hypot(got[:, 0] - a, got[:, 1] - b))
            assert np.hypot(got[i, 0] - a, got[i, 1] - b) < 1e-9
            kind = ("maximum", "saddle", "minimum")[curvature[a] + curvature[b]]
            assert found[i].kind == kind


def test_ackley_reports_its_kink_and_only_smooth_points_elsewhere():
    found = _found("ackley")
    assert found[0].kind == "minimum" and (found[0].x, found[0].y) == (0.0, 0.0)
    assert not found[0].smooth and found[0].value == pytest.approx(0.0, abs=1e-12)
    rest = found[1:]
    assert len(rest) > 100
    s = get_surface("ackley")
    for p in rest:
        assert p.smooth and np.linalg.norm(s.grad(p.x, p.y)) < 1e-8


def test_user_formula_with_a_circle_of_minima_and_a_maximum():
    found = critical_points(parse_expression("(x**2 + y**2 - 1)**2"))
    kinds = sorted((p.kind, p.isolated) for p in found)
    assert kinds == [("maximum", True), ("minimum", False)]
    (ring,) = [p for p in found if not p.isolated]
    np.testing.assert_allclose(np.hypot(*ring.curve.T), 1.0, atol=1e-8)
    # Closed: the samples go all the way round.
    angles = np.sort(np.arctan2(ring.curve[:, 1], ring.curve[:, 0]))
    assert np.diff(angles).max() < 0.1


def test_user_formula_where_every_point_is_critical_still_returns():
    found = critical_points(parse_expression("sin(x)**2 + cos(x)**2 + 0.5*y - y/2"))
    assert all(p.kind == "degenerate" for p in found)


def test_a_numerically_flat_region_is_reported_once():
    """MSE after a saturated softmax: thousands of points with vanishing gradient and Hessian
    form one flat region, not thousands of degenerate points."""
    (flat,) = critical_points(get_surface("softmax_mse"))
    assert flat.kind == "degenerate" and not flat.isolated
    assert len(flat.curve) > 10
    g = get_surface("softmax_mse").grad(flat.curve[:, 0], flat.curve[:, 1])
    assert np.abs(g).max() < 1e-12


def _taylor_window(key: str, point: tuple[float, float], share: float = 0.25):
    from surfaces.points import spans
    from surfaces.taylor import taylor_model
    from viz.hessian import taylor_figure

    surface = get_surface(key)
    width, height = spans(surface)
    return surface, taylor_figure(surface, taylor_model(surface, point),
                                  (share * width, share * height))  # fmt: skip


def _bands(contour) -> np.ndarray:
    """The share of the window's cells in each colour band of a contour trace."""
    z = np.asarray(contour.z, dtype=float)
    levels = contour.contours
    band = np.clip(np.floor((z - levels.start) / levels.size), -1, 16)
    return np.unique(band, return_counts=True)[1] / z.size


def test_beales_taylor_window_is_not_one_colour():
    """Beale's loss runs from 0 to ~4×10⁴ over the window, most of it near 0: on evenly spaced
    levels 90 % of the window was one band. The levels go logarithmic, the colour bar keeps
    the loss's own values, and the hover reads the loss itself."""
    surface, figure = _taylor_window("beale", (3.0, 0.5))
    true = figure.data[0]
    assert _bands(true).max() < 0.4
    bar = true.colorbar
    assert len(bar.tickvals) >= 4 and np.all(np.diff(bar.tickvals) > 0)
    xs, ys = np.meshgrid(true.x, true.y)
    np.testing.assert_allclose(np.asarray(true.customdata, float), surface.f(xs, ys), rtol=1e-9)


def test_a_quadratic_taylor_window_keeps_even_levels():
    _surface, figure = _taylor_window("quadratic", (0.0, 0.0))
    assert figure.data[0].colorbar.tickvals is None


@pytest.mark.parametrize("key", ["monkey_saddle", "rosenbrock", "six_hump_camel"])
def test_colour_bar_ticks_are_round_and_spread(key):
    """After the lowest loss, every tick is 0 or 1, 2 or 5 times a power of ten (the monkey
    saddle's read −6, −5, −3, −0.9), each well above the last on the bar."""
    from viz.trajectory import background_image, trajectory_figure

    surface = get_surface(key)
    image, scale = background_image(surface)
    bar = trajectory_figure(surface, [], background=(image, scale)).data[0].marker.colorbar
    values = [float(t.replace("−", "-").replace("×10", "e").translate(
        str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))) for t in bar.ticktext]  # fmt: skip
    for value in values[1:]:
        mantissa = abs(value) / 10 ** np.floor(np.log10(abs(value))) if value else 1.0
        assert round(mantissa, 6) in (1.0, 2.0, 5.0), bar.ticktext
    assert len(values) >= 4 and np.all(np.diff(bar.tickvals) >= 0.14 - 1e-9)


def test_play_and_the_scrubber_only_where_there_is_something_to_play():
    """A figure of one frame (no runs) has no Play, Pause or scrubber, which would do nothing;
    with a run, the scrubber sits under the buttons, clear of them, across the full width."""
    from optimizers import make_optimizer, simulate
    from viz.trajectory import trajectory_figure

    surface = get_surface("himmelblau")
    still = trajectory_figure(surface, []).to_dict()
    assert not still["layout"].get("updatemenus") and not still["layout"].get("sliders")
    assert not still["frames"]
    run = simulate(surface, make_optimizer("sgd", lr=0.01), (0.0, 0.0), 20)
    moving = trajectory_figure(surface, [("sgd", run)]).to_dict()
    (buttons,), (scrubber,) = moving["layout"]["updatemenus"], moving["layout"]["sliders"]
    assert len(moving["frames"]) == 21
    assert scrubber["x"] == 0 and scrubber["len"] == 1
    assert scrubber["pad"]["t"] >= buttons["pad"]["t"] + 40  # a row of its own under them
