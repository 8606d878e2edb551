"""The survey of where trained networks stop, its Newton steps towards critical points, the minimum
ratio and curvature, checked against the network's exact Hessian (NumPy's eigvalsh), scipy's
trust-region minimum and the definitions written out again here."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import nets
import nets.model
import optimizers

NETWORK = nets.mlp((1, 6, 5, 1))  # the architecture of tests/test_nets.py: compiled once
SOFTMAX = nets.mlp((2, 3), task="classification", n_samples=60)  # convex: a valley of minima
SETTINGS = dict(seed=1, steps=300, refine_steps=30)


@pytest.fixture(scope="module")
def calls():
    return []


@pytest.fixture(scope="module")
def result(calls):
    return nets.survey(NETWORK, 4, progress=lambda done, total: calls.append((done, total)),
                       **SETTINGS)  # fmt: skip


def test_eigenvalues_are_the_hessians_at_the_returned_points(result):
    assert result.thetas.shape == result.eigenvalues.shape == (4, NETWORK.n_params)
    for theta, lam in zip(result.thetas, result.eigenvalues, strict=True):
        reference = np.linalg.eigvalsh(NETWORK.hessian(theta))
        np.testing.assert_allclose(lam, reference, rtol=1e-9, atol=1e-12 * abs(reference).max())
    assert np.all(np.diff(result.eigenvalues, axis=1) >= 0)


def test_losses_gradient_norms_and_the_critical_mask_are_at_the_returned_points(result):
    np.testing.assert_allclose(result.losses, NETWORK.loss(result.thetas), rtol=1e-13)
    norms = np.linalg.norm(NETWORK.grad(result.thetas), axis=1)
    np.testing.assert_allclose(result.grad_norms, norms, rtol=1e-12)
    np.testing.assert_array_equal(result.critical, norms <= result.grad_tol)
    assert result.grad_tol == nets.GRAD_TOL
    assert np.all(result.grad_norms <= result.trained_grad_norms)  # refinement never worsens
    assert result.diverged_at == [None] * 4
    assert result.procedure == "homework"


def test_each_budget_holds_the_points_after_that_many_newton_steps(result):
    """The budgets' spectra and gradient norms are what a fresh solve of that many steps from
    the trained points gives, and the last is the survey's end."""
    assert list(result.budgets) == [0, 3, 10, 30]
    trained = nets.train_network(NETWORK, nets.starts(NETWORK, 4, seed=1), steps=300).thetas[-1]
    trained_norms = np.linalg.norm(NETWORK.grad(trained), axis=1)
    np.testing.assert_allclose(result.budget_grad_norms[0], trained_norms, rtol=1e-12)
    again = nets.find_critical(NETWORK, trained, tol=nets.GRAD_TOL, steps=3)
    np.testing.assert_allclose(result.budget_grad_norms[1], again.grad_norms, rtol=1e-10)
    np.testing.assert_array_equal(result.budget_eigenvalues[-1], result.eigenvalues)
    np.testing.assert_array_equal(result.budget_grad_norms[-1], result.grad_norms)
    assert np.all(np.diff(result.budget_grad_norms, axis=0) <= 0)


def test_minimum_ratios_follow_the_stated_rule(result):
    """#(λ > tol) / P with tol = RELATIVE_ZERO · max|λ|: zeros are not counted as positive."""
    for lam, ratio, tol in zip(
        result.eigenvalues, result.minimum_ratios, result.zero_tols, strict=True
    ):
        assert tol == pytest.approx(nets.RELATIVE_ZERO * max(abs(lam[0]), abs(lam[-1])), rel=1e-15)
        assert ratio == sum(1 for v in lam if v > tol) / len(lam)
    ratios, _ = nets.relative_minimum_ratio(
        np.array([[-1.0, 0.0, 1e-9, 2.0], [1.0, 1.0, 2.0, 3.0]])
    )
    np.testing.assert_array_equal(ratios, [0.25, 1.0])


def test_runs_start_from_the_documented_seeds_and_the_same_seed_repeats_exactly(result):
    begin = nets.starts(NETWORK, 3, seed=2)
    for r in range(3):
        np.testing.assert_array_equal(begin[r], NETWORK.init(2 * nets.MAX_RUNS + r))
    again = nets.survey(NETWORK, 4, **SETTINGS)
    for field in ("thetas", "losses", "grad_norms", "eigenvalues", "minimum_ratios"):
        np.testing.assert_array_equal(getattr(again, field), getattr(result, field))
    other = nets.survey(NETWORK, 4, **(SETTINGS | {"seed": 2}))
    assert not np.array_equal(other.thetas, result.thetas)


def test_progress_counts_up_to_the_total(result, calls):
    total = SETTINGS["steps"] + SETTINGS["refine_steps"]
    assert calls[-1] == (total, total)
    assert (SETTINGS["steps"] + 10, total) in calls  # after a budget's Newton steps
    assert all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(calls) > 10


def test_refinement_reaches_a_critical_point_near_one():
    """Near the valley of minima of softmax regression (found by scipy's trust-region Newton),
    refinement ends on it: ‖∇L‖ at round-off, the minimum's loss, and a minimum ratio of 6/9
    (three zero eigenvalues: adding one number to every logit changes nothing)."""
    found = minimize(SOFTMAX.loss, SOFTMAX.init(0), jac=SOFTMAX.grad, hess=SOFTMAX.hessian,
                     method="trust-exact", options=dict(gtol=1e-12))  # fmt: skip
    assert np.linalg.norm(SOFTMAX.grad(found.x)) < 1e-10
    rng = np.random.default_rng(0)
    starts = found.x + 0.05 * rng.standard_normal((3, SOFTMAX.n_params))
    done = nets.find_critical(SOFTMAX, starts, steps=50, tol=1e-12)
    assert np.all(done.grad_norms <= 1e-12) and np.all(done.converged)
    np.testing.assert_allclose(SOFTMAX.loss(done.thetas), found.fun, rtol=1e-12)
    ratios, _ = nets.relative_minimum_ratio(done.eigenvalues)
    np.testing.assert_array_equal(ratios, 6 / 9)


def test_refinement_finds_saddles_too():
    """The lecture's saddle in a real network: ŷ = w₂·tanh(w₁x + b₁) + b₂ at w₁ = b₁ = w₂ = 0,
    b₂ = mean(y) is critical, with Hessian eigenvalues −|c|, 0, |c| and 2 for c = −2·cov(x, y)
    (the (w₁, w₂) block is [[0, c], [c, 0]], as for L = (1 − w₁w₂)²). From near it, refinement
    returns to it, as Newton's method does; minimising the loss would roll off it."""
    tiny = nets.mlp((1, 1, 1))
    x, y = tiny.inputs[:, 0], tiny.targets[:, 0]
    c = -2 * np.mean((x - x.mean()) * (y - y.mean()))
    saddle = np.array([0.0, 0.0, 0.0, y.mean()])  # w₁, b₁, w₂, b₂ in torch's order
    np.testing.assert_allclose(tiny.grad(saddle), 0.0, atol=1e-15)
    start = saddle + 1e-3 * np.random.default_rng(1).standard_normal((2, 4))
    done = nets.find_critical(tiny, start, steps=50, tol=1e-13)
    assert np.all(done.grad_norms <= 1e-13)
    expected = np.sort([-abs(c), 0.0, abs(c), 2.0])
    np.testing.assert_allclose(done.eigenvalues, np.tile(expected, (2, 1)), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(nets.relative_minimum_ratio(done.eigenvalues)[0], 0.5)


def test_descending_the_loss_leaves_the_saddle_that_newton_returns_to():
    """From the same points near the tiny network's saddle, the "minimum" method goes down, to a
    lower loss than the saddle's, with no negative eigenvalue where it ends."""
    tiny = nets.mlp((1, 1, 1))
    y = tiny.targets[:, 0]
    saddle = np.array([0.0, 0.0, 0.0, y.mean()])
    start = saddle + 1e-3 * np.random.default_rng(1).standard_normal((2, 4))
    done = nets.find_critical(tiny, start, steps=200, tol=1e-10, method="minimum")
    assert np.all(done.converged)
    assert np.all(done.losses < tiny.loss(saddle) - 1e-3)
    assert np.all(done.eigenvalues[:, 0] > -1e-9 * done.eigenvalues[:, -1])


@pytest.mark.parametrize("procedure", ["finder", "minimum"])
def test_the_other_procedures(procedure):
    """ "finder" solves from the untrained starts (no training); "minimum" trains, then descends
    the loss, which never rises."""
    found = nets.survey(NETWORK, 3, procedure=procedure, seed=1, steps=300, refine_steps=10)
    assert found.procedure == procedure
    begin = nets.starts(NETWORK, 3, seed=1)
    if procedure == "finder":
        np.testing.assert_allclose(found.trained_losses, NETWORK.loss(begin), rtol=1e-13)
        direct = nets.find_critical(NETWORK, begin, tol=nets.GRAD_TOL, steps=10)
        np.testing.assert_allclose(found.grad_norms, direct.grad_norms, rtol=1e-8)
    else:
        assert np.all(found.losses <= found.trained_losses)
    np.testing.assert_array_equal(found.critical, found.grad_norms <= nets.GRAD_TOL)


def test_curvature_is_the_top_eigenvalue_and_the_positive_parts_condition_number(result):
    path = np.vstack([NETWORK.init(0), result.thetas])
    curv = nets.curvature(NETWORK, path)
    assert curv.top.shape == curv.kappa.shape == (5,)
    for theta, top, kappa in zip(path, curv.top, curv.kappa, strict=True):
        lam = np.linalg.eigvalsh(NETWORK.hessian(theta))
        positive = lam[lam > nets.RELATIVE_ZERO * abs(lam).max()]
        assert top == pytest.approx(lam[-1], rel=1e-10)
        assert kappa == pytest.approx(lam[-1] / positive.min(), rel=1e-6)
    one = nets.curvature(NETWORK, path[0])
    assert np.ndim(one.top) == 0 and one.top == pytest.approx(curv.top[0], rel=1e-12)


def test_a_diverged_run_is_reported_and_left_out():
    sgd = optimizers.make_optimizer("sgd", lr=1e9)
    result = nets.survey(NETWORK, 2, optimizer=sgd, steps=20, refine_steps=2)
    assert all(d is not None for d in result.diverged_at)
    assert np.all(np.isnan(result.losses)) and np.all(np.isnan(result.minimum_ratios))
    assert not np.any(result.critical)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(runs=0), "runs"),
        (dict(runs=nets.MAX_RUNS + 1), "runs"),
        (dict(runs=2, steps=nets.MAX_STEPS + 1), "steps"),
        (dict(runs=2, refine_steps=nets.MAX_REFINE_STEPS + 1), "refine steps"),
        (dict(runs=2, zero_tol=1.5), "zero_tol"),
        (dict(runs=2, grad_tol=-1.0), "grad_tol"),
        (dict(runs=2, seed=-1), "seed"),
        (dict(runs=2, procedure="sgd"), "procedure"),
    ],
)
def test_survey_limits_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nets.survey(NETWORK, **(dict(steps=5, refine_steps=1) | kwargs))


def test_work_beyond_the_budget_is_refused_before_it_starts():
    big = nets.mlp((1, 64, 5, 1), n_samples=nets.MAX_SAMPLES)
    with pytest.raises(ValueError, match="limit"):
        nets.survey(big, nets.MAX_RUNS, steps=nets.MAX_STEPS)
    with pytest.raises(ValueError, match="limit"):
        nets.find_critical(big, np.zeros((nets.MAX_RUNS, big.n_params)), steps=1000)
    with pytest.raises(ValueError, match="limit"):
        nets.curvature(big, np.zeros((nets.MAX_RUNS * 5, big.n_params)))


def test_the_issues_193_parameter_survey_is_allowed():
    """20 runs of a 1-12-12-1 tanh network, 2,000 training and 100 Newton steps: about 9 s with
    the homework's refinement (issue 23), refused by the old work limit; the time estimate lets
    it through, and refuses ten times its runs' worth of Newton steps."""
    network = nets.mlp((1, 12, 12, 1))
    assert network.n_params == 193
    assert nets.model.seconds(network, 20, 2000, 100) <= nets.MAX_SECONDS
    assert nets.model.seconds(network, 100, 2000, 1000) > nets.MAX_SECONDS
