"""optimizers.ranges: the rates of a sweep, the grid of a basin map, the stability limit of
(heavy-ball) gradient descent against its closed form and against runs either side of it, best
rates, sweeps done in parts, and basins against an independent classification (scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

from optimizers import make_optimizer, simulate, sweep
from optimizers.ranges import (
    basin_codes,
    best_index,
    best_run,
    cell_centres,
    constant_hessian,
    grid_starts,
    join,
    learning_rates,
    stability_limit,
    summarize,
)
from optimizers.sweep import DIVERGED, NOT_CONVERGED
from surfaces import get_surface, parse_expression

# The lecture's regression data (LECTURE.md part 3): its MSE has Hessian (2/n)·XᵀX, X = [1, x].
CP_X = np.array([338, 333, 328, 207, 226, 25, 179, 60, 208, 606], dtype=float)


def test_learning_rates_are_log_spaced_round_and_span_the_range():
    rates = learning_rates(1e-4, 1.0, 48)
    assert len(rates) == 48 and rates[0] == 1e-4 and rates[-1] == 1.0
    assert all(float(f"{r:.3g}") == r for r in rates)  # short in a link
    ratios = rates[1:] / rates[:-1]
    np.testing.assert_allclose(ratios, 10 ** (4 / 47), rtol=0.01)  # evenly spaced in log η
    assert learning_rates(0.01, 0.01, 5).tolist() == [0.01]  # duplicates dropped
    with pytest.raises(ValueError):
        learning_rates(0.0, 1.0, 10)


def test_grid_starts_are_cell_centres_row_after_row():
    domain = ((-2.0, 2.5), (-1.5, 1.5))
    xs, ys = cell_centres(domain, 40)
    np.testing.assert_allclose(xs, -2.0 + (np.arange(40) + 0.5) * 4.5 / 40, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ys, -1.5 + (np.arange(40) + 0.5) * 3.0 / 40, rtol=0, atol=1e-12)
    assert all(len(repr(float(x))) <= 12 for x in xs)  # exact, short links
    starts = grid_starts(domain, 40)
    assert starts.shape == (1600, 2)
    j, i = 7, 31  # start j·n + i is (xs[i], ys[j]): reshaped to (n, n) it is indexed [y, x]
    assert tuple(starts[j * 40 + i]) == (xs[i], ys[j])
    assert np.array_equal(starts[:, 0].reshape(40, 40)[j], xs)


@pytest.mark.parametrize(("condition", "angle"), [(10.0, 30.0), (100.0, 30.0), (1e4, 75.0)])
def test_the_quadratic_bowl_has_its_closed_form_hessian_and_limit(condition, angle):
    bowl = get_surface("quadratic", condition=condition, angle=angle)
    t = np.radians(angle)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    expected = rotation @ np.diag([1.0, condition]) @ rotation.T  # L = ½(u² + κv²)
    np.testing.assert_allclose(constant_hessian(bowl), expected, rtol=1e-12, atol=1e-12)
    assert stability_limit(bowl) == pytest.approx(2 / condition, rel=1e-12)
    assert stability_limit(bowl, momentum=0.9) == pytest.approx(3.8 / condition, rel=1e-12)


def test_the_regressions_limit_comes_from_its_data():
    hessian = 2 / len(CP_X) * np.array([[len(CP_X), CP_X.sum()], [CP_X.sum(), CP_X @ CP_X]])
    regression = get_surface("regression")
    np.testing.assert_allclose(constant_hessian(regression), hessian, rtol=1e-12)
    assert stability_limit(regression) == pytest.approx(2 / np.linalg.eigvalsh(hessian)[-1])


@pytest.mark.parametrize("key", ["rosenbrock", "himmelblau", "double_well", "rbf_neuron"])
def test_no_limit_where_the_hessian_varies(key):
    surface = get_surface(key)
    assert constant_hessian(surface) is None and stability_limit(surface) is None


def test_no_limit_on_a_saddle_or_a_plane():
    saddle = get_surface("saddle")  # constant Hessian, eigenvalues ±2: no single limit
    assert constant_hessian(saddle) is not None and stability_limit(saddle) is None
    assert stability_limit(parse_expression("x + 2*y")) is None  # H = 0


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_runs_either_side_of_the_limit(momentum):
    """Just below the limit a run converges, just above it grows without bound (the closed
    form against the simulator)."""
    bowl = get_surface("quadratic", condition=100.0, angle=30.0)
    limit = stability_limit(bowl, momentum)
    name = "sgd" if momentum == 0 else "momentum"
    below, above = (
        simulate(bowl, make_optimizer(name, lr=limit * f, momentum=momentum), (-1.6, 1.2), 3000)
        for f in (0.98, 1.02)
    )
    assert below.diverged_at is None and below.losses[-1] < 1e-6 * below.losses[0]
    assert above.diverged_at is not None


def test_best_index_takes_the_smallest_finite_value_then_the_tiebreak():
    assert best_index([3.0, np.inf, 1.0, 1.0, np.nan], [0, 0, 9, 4, 0]) == 3
    assert best_index([2.0, 2.0]) == 0
    assert best_index([np.inf, np.nan]) is None


def test_best_run_by_final_loss_or_by_steps_never_a_diverged_one():
    surface = get_surface("quadratic", condition=100.0, angle=30.0)
    rates = learning_rates(1e-3, 0.1, 20)
    opts = [make_optimizer("sgd", lr=float(r)) for r in rates]
    result = sweep(surface, opts, [(-1.6, 1.2)] * len(rates), 300, target=1e-3)
    runs = [simulate(surface, o, (-1.6, 1.2), 300) for o in opts]
    finals = [r.losses[-1] if r.diverged_at is None else np.inf for r in runs]
    reached = [
        np.inf if r.diverged_at is not None or not (r.losses <= 1e-3).any()
        else int(np.argmax(r.losses <= 1e-3))
        for r in runs
    ]  # fmt: skip
    assert np.isfinite(reached).sum() >= 3
    assert best_run(result, "final") == int(np.argmin(finals))
    assert best_run(result, "steps") == int(np.argmin(reached))
    assert rates[best_run(result)] < 0.02  # the limit: every larger rate diverged
    with pytest.raises(ValueError):
        best_run(result, "fastest")


def test_a_sweep_done_in_parts_is_the_same_sweep():
    surface = get_surface("himmelblau")
    starts = grid_starts(surface.domain, 12)
    opts = [make_optimizer("momentum", lr=0.01)] * len(starts)
    whole = sweep(surface, opts, starts, 200, target=1e-3)
    parts = join([sweep(surface, opts[i : i + 50], starts[i : i + 50], 200, target=1e-3)
                  for i in range(0, len(starts), 50)])  # fmt: skip
    for field, a, b in zip(whole._fields, whole, parts, strict=True):
        assert np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)), field


def test_summarize_is_what_sweep_keeps_of_the_same_run():
    surface = get_surface("rosenbrock")
    for optimizer, start in [(make_optimizer("adam", lr=0.05), (-1.2, 1.0)),
                             (make_optimizer("sgd", lr=0.01), (-1.5, 2.0))]:  # fmt: skip
        kept = sweep(surface, [optimizer], [start], 400, target=0.01)
        one = summarize(simulate(surface, optimizer, start, 400), target=0.01)
        for field, a, b in zip(kept._fields, kept, one, strict=True):
            assert np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)), field


def test_basins_of_the_double_well_against_the_ridge_and_scipy():
    """Gradient descent on L = (x² − 1)² + 0.3x + y² moves x on its own, so it ends in the left
    (deeper) minimum exactly from the starts left of the ridge (the middle root of ∂L/∂x, by
    brentq). Momentum's end points are classified again by a scipy minimisation from each."""
    well = get_surface("double_well")
    ridge = brentq(lambda x: 4 * x**3 - 4 * x + 0.3, -0.5, 0.5)
    left = brentq(lambda x: 4 * x**3 - 4 * x + 0.3, -2.0, -0.5)
    right = brentq(lambda x: 4 * x**3 - 4 * x + 0.3, 0.5, 2.0)
    minima = [np.array([[left, 0.0]]), np.array([[right, 0.0]])]
    starts = grid_starts(well.domain, 30)
    for name in ("sgd", "momentum"):
        result = sweep(well, [make_optimizer(name, lr=0.01)] * len(starts), starts, 600)
        codes = basin_codes(result, minima, 0.01, well.domain)
        assert set(codes) <= {0, 1, DIVERGED, NOT_CONVERGED}
        settled = np.flatnonzero(codes >= 0)
        assert len(settled) > 0.95 * len(starts)
        for r in settled[::7]:
            polished = minimize(lambda p: well.f(*p), result.points[r], method="BFGS").x
            assert np.argmin([np.hypot(*(polished - m[0])) for m in minima]) == codes[r]
        if name == "sgd":
            assert np.array_equal(codes == 0, starts[:, 0] < ridge)
        else:  # momentum rolls from the right into the deeper minimum
            assert (codes == 0).sum() > (starts[:, 0] < ridge).sum()


def test_basins_in_domain_units_and_valleys_as_one_minimum():
    """Distances count each axis in units of its span, so a wide axis does not swamp a short one;
    a valley's samples all name one minimum."""
    domain = ((0.0, 100.0), (0.0, 1.0))
    result = sweep(parse_expression("x"), [make_optimizer("sgd", lr=0.0)] * 3,
                   [(50.0, 0.5), (50.5, 0.5), (50.0, 0.52)], 1)  # fmt: skip
    minima = [np.array([[50.0, 0.5]])]
    assert basin_codes(result, minima, 0.01, domain).tolist() == [0, 0, NOT_CONVERGED]
    valley = [np.array([[10.0, 0.1], [50.0, 0.5], [90.0, 0.9]]), np.array([[0.0, 0.0]])]
    assert basin_codes(result, valley, 0.01, domain).tolist() == [0, 0, NOT_CONVERGED]
    assert basin_codes(result, [], 0.01, domain).tolist() == [NOT_CONVERGED] * 3
