"""nets.report: a survey's counts against a survey written out by hand, sign counts and the curved
share against NumPy's eigendecomposition of the exact Hessian, the escape window against a dense
scan of the loss, and a traced path against the survey's own training."""

from __future__ import annotations

import numpy as np
import pytest

import nets
from nets import report

NETWORK = nets.mlp((1, 6, 5, 1))  # the architecture of tests/test_nets.py: compiled once
TINY = nets.mlp((1, 1, 1))  # ŷ = w₂·tanh(w₁x + b₁) + b₂: the lecture's saddle at w = 0


def _survey(ratios, grad_norms, eigenvalues, trained_grad_norms) -> nets.Survey:
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    ratios, tols = nets.relative_minimum_ratio(eigenvalues)
    n = len(ratios)
    return nets.Survey(
        procedure="homework", thetas=np.zeros((n, 1)), losses=np.ones(n),
        grad_norms=np.asarray(grad_norms, float),
        eigenvalues=eigenvalues, minimum_ratios=ratios, zero_tols=tols,
        critical=np.asarray(grad_norms) <= nets.GRAD_TOL, grad_tol=nets.GRAD_TOL,
        trained_losses=np.ones(n), trained_grad_norms=np.asarray(trained_grad_norms, float),
        diverged_at=[None if np.isfinite(r) else 3 for r in ratios],
        budgets=np.array([0, 5]),
        budget_grad_norms=np.stack([trained_grad_norms, grad_norms]).astype(float),
        budget_eigenvalues=np.stack([eigenvalues + 0.5, eigenvalues]),
    )  # fmt: skip


def test_a_reading_counts_what_the_survey_holds():
    nan = np.nan
    found = _survey(
        ratios=None,
        grad_norms=[1e-9, 1e-5, 1e-12, 1e-3, nan],
        eigenvalues=[[-1.0, 1.0, 2.0, 3.0],  # ratio 0.75, one negative
                     [1.0, 2.0, 3.0, 4.0],  # a minimum
                     [0.0, 1.0, 2.0, 3.0],  # flat direction: ratio 0.75, no negative
                     [-2.0, -1.0, 1.0, 2.0],  # ratio 0.5, in the band
                     [nan, nan, nan, nan]],  # diverged
        trained_grad_norms=[1e-2, 1e-3, 1e-4, 1e-1, nan],
    )  # fmt: skip
    read = report.read(found)
    assert (read.runs, read.finished, read.critical, read.stalled) == (5, 4, 2, 2)
    # Critical: run 1 (a saddle, ratio 0.75) and run 3 (flat, ratio 0.75); none in the band.
    assert (read.minima, read.flat, read.saddles, read.in_band) == (0, 1, 1, 0)
    assert (read.median_critical, read.median_stalled) == (0.75, np.median([1.0, 0.5]))
    assert read.verdict == "outside"
    assert read.median_ratio == np.median([0.75, 1.0, 0.75, 0.5]) == 0.75
    assert (read.lowest_ratio, read.highest_ratio) == (0.5, 1.0)
    assert read.median_trained_grad_norm == pytest.approx(np.median([1e-2, 1e-3, 1e-4, 1e-1]))
    assert read.median_grad_norm == pytest.approx(np.median([1e-9, 1e-5, 1e-12, 1e-3]))
    looser = report.read(found, 1e-4)  # re-labels only: 1e-5 now counts, 1e-3 does not
    assert (looser.critical, looser.grad_tol, looser.minima) == (3, 1e-4, 1)
    assert report.read(found).grad_tol == nets.GRAD_TOL


def _verdict(eigenvalues, grad_norms) -> str:
    n = len(grad_norms)
    return report.read(_survey(None, grad_norms, eigenvalues, np.ones(n))).verdict


def test_the_band_is_called_reproduced_only_where_it_is():
    """At least half the runs at true critical points, their median ratio in 0.5–0.6, and still
    there with the zero cutoff ten times smaller and larger."""
    half = [-1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0]  # ratio 0.6
    assert _verdict([half, half], [1e-9, 1e-9]) == "reproduced"
    assert _verdict([half, half, half], [1e-9, 1e-3, 1e-3]) == "few_critical"
    assert _verdict([half, half], [1e-3, 1e-3]) == "no_critical"
    # 1e-6·λmax sits ten times above the survey's relative cutoff (1e-7): counted as zero there.
    fragile = [-1.0, -1.0, -1.0, -1.0, 1e-6, 1e-6, 1.0, 1.0, 1.0, 1.0]
    assert report.read(_survey(None, [1e-9], [fragile], [1.0])).median_critical == 0.6
    assert _verdict([fragile], [1e-9]) == "cutoff"
    assert _verdict([[1.0] * 10], [1e-9]) == "outside"


def test_ratios_by_cutoff_and_by_budget_come_from_the_stored_spectra():
    found = _survey(None, [1e-9, 1e-3], [[-1.0, 1e-5, 1.0, 2.0], [1e-9, 1e-3, 1.0, 2.0]],
                    [1e-2, 1e-2])  # fmt: skip
    cut = report.by_cutoff(found)
    np.testing.assert_array_equal(cut.at, nets.CUTOFFS)
    expected = [np.mean(np.array([-1.0, 1e-5, 1.0, 2.0]) > c * 2) for c in nets.CUTOFFS]
    np.testing.assert_array_equal(cut.median["critical"], expected)
    np.testing.assert_array_equal(cut.count["stalled"], [1] * len(nets.CUTOFFS))
    budget = report.by_budget(found, 1e-7)
    np.testing.assert_array_equal(budget.at, [0, 5])
    np.testing.assert_array_equal(budget.count["critical"], [0, 1])  # after 0 steps: 1e-2
    np.testing.assert_array_equal(budget.median["stalled"], [0.875, 0.75])  # shifted, then own


def test_signs_count_each_side_of_the_tolerance():
    assert report.signs(np.array([-2.0, -1e-9, 0.0, 1e-9, 1e-3, 5.0]), 1e-6) == (1, 3, 2)


@pytest.fixture(scope="module")
def theta():
    return NETWORK.init(0) + 0.2 * np.random.default_rng(3).standard_normal(NETWORK.n_params)


def test_the_curved_share_is_the_hessian_acting_on_the_gradient(theta):
    h, g = NETWORK.hessian(theta), NETWORK.grad(theta)
    lam = np.linalg.eigvalsh(h)
    expected = np.linalg.norm(h @ g) / (np.abs(lam).max() * np.linalg.norm(g))
    assert report.curved_share(NETWORK, theta) == pytest.approx(expected, rel=1e-9)
    assert 0 < expected < 1


def test_a_point_in_numbers_matches_numpy(theta):
    found = nets.survey(NETWORK, 2, steps=200, refine_steps=5)
    here = report.point(NETWORK, found, 1)
    lam = np.linalg.eigvalsh(NETWORK.hessian(found.thetas[1]))
    tol = nets.RELATIVE_ZERO * np.abs(lam).max()
    assert here.zero_tol == pytest.approx(tol, rel=1e-9)
    assert (here.lowest, here.highest) == pytest.approx((lam[0], lam[-1]), rel=1e-8)
    assert (here.negative, here.zero, here.positive) == (
        np.sum(lam < -tol), np.sum(np.abs(lam) <= tol), np.sum(lam > tol)
    )  # fmt: skip
    assert here.ratio == np.sum(lam > tol) / NETWORK.n_params
    assert here.kappa == pytest.approx(lam[-1] / lam[lam > tol].min(), rel=1e-6)
    assert here.grad_norm == pytest.approx(np.linalg.norm(NETWORK.grad(found.thetas[1])))


def test_the_escape_window_shows_the_way_down_at_the_lectures_saddle():
    """At the tiny network's saddle (tests/test_nets_survey.py) the loss falls along u(λmin):
    the window is twice the distance to the lowest point of that line, found on a dense scan
    here, and as tall as the quadratic model needs to rise as much as the loss at its edge."""
    y = TINY.targets[:, 0]
    saddle = np.array([0.0, 0.0, 0.0, y.mean()])
    escape = report.escape_plane(TINY, saddle)
    lam, q = np.linalg.eigh(TINY.hessian(saddle))
    assert lam[0] < 0
    u = q[:, 0]
    t = np.linspace(-1.0, 1.0, 20_001)
    line = TINY.loss(saddle + t[:, None] * u)
    best = int(np.argmin(line))
    fall = TINY.loss(saddle) - line[best]
    assert fall > 0 and escape.fall == pytest.approx(fall, rel=0.05)
    assert escape.distance == pytest.approx(abs(t[best]), rel=0.1)
    (x0, x1), (y0, y1) = escape.slice.domain
    assert x1 == -x0 == pytest.approx(2 * escape.distance, rel=1e-12)
    rise = max(TINY.loss(saddle + s * x1 * u) for s in (-1, 1)) - TINY.loss(saddle)
    assert y1 == -y0 == pytest.approx(np.sqrt(2 * rise / lam[-1]), rel=1e-9)
    np.testing.assert_allclose(abs(escape.slice.directions[0] @ u), 1.0, rtol=1e-9)
    assert escape.slice.f(0.0, 0.0) == pytest.approx(TINY.loss(saddle), rel=1e-14)


def test_at_a_minimum_the_window_shows_the_rise_instead():
    """Where the loss rises at once both ways along u(λmin), x spans to where it has risen by a
    tenth: at least squares' unique minimum of a linear fit (torch's weight, then bias)."""
    linear = nets.mlp((1, 1))
    x, y = linear.inputs[:, 0], linear.targets[:, 0]
    theta = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    assert np.all(np.linalg.eigvalsh(linear.hessian(theta)) > 0)
    escape = report.escape_plane(linear, theta)
    assert escape.fall == 0 and escape.distance == 0
    span = escape.slice.domain[0][1]
    u = escape.slice.directions[0]
    grid = report.SCAN * max(np.linalg.norm(theta), 1.0)
    inside = grid[np.searchsorted(grid, span) - 1]  # the scan's point just inside the edge
    assert max(linear.loss(theta + s * span * u) for s in (-1, 1)) >= 1.1 * linear.loss(theta)
    assert max(linear.loss(theta + s * inside * u) for s in (-1, 1)) < 1.1 * linear.loss(theta)


def test_a_traced_path_is_the_surveys_training_to_the_last_bit():
    kwargs = dict(runs=3, seed=2, steps=400)
    found = nets.survey(NETWORK, kwargs["runs"], seed=2, steps=400, refine_steps=0)
    for run in range(3):
        path = report.training_path(NETWORK, run, optimizer=None, **kwargs)
        assert path.steps[0] == 0 and path.steps[-1] == 400 and len(path.steps) == len(path.thetas)
        np.testing.assert_array_equal(path.thetas[0], NETWORK.init(2 * nets.MAX_RUNS + run))
        np.testing.assert_array_equal(path.thetas[-1], found.thetas[run])  # no refinement
        assert len(path.thetas) == 400 // (400 // report.PATH_POINTS) + 1
