"""Feature scaling and batch norm (LECTURE.md part 5) against closed forms and torch."""

import numpy as np
import pytest
import torch

from optimizers import make_optimizer, simulate
from surfaces.normalization import (
    EPS,
    BatchNormSurface,
    RunningStats,
    batch_norm,
    bn_data,
    bn_loss_and_grad,
    conditioning,
    curvature,
    evaluation_losses,
    feature_data,
    gd_rate_at,
    measured_rate,
    normalize_with,
    scaling_problems,
    standardize,
    train_batch_norm,
    tuned_momentum,
    update_running,
)

# E[xxᵀ] for x₁ ~ U[1, 2], x₂ ~ U[100, 200], independent: E[x²] = (a² + ab + b²)/3.
POPULATION = np.array([[7 / 3, 1.5 * 150], [1.5 * 150, 70_000 / 3]])


def test_raw_condition_number_is_about_1_4e5():
    kappas = [conditioning(curvature(feature_data(100, 1000, s).x)).kappa for s in range(20)]
    assert np.linalg.cond(POPULATION) == pytest.approx(1.43e5, rel=0.01)
    assert np.median(kappas) == pytest.approx(1.4e5, rel=0.06)
    assert all(1.0e5 < k < 2.0e5 for k in kappas)


def test_standardized_condition_number_is_about_1_05():
    kappas = []
    for seed in range(20):
        x = feature_data(100, 1000, seed).x
        r = abs(np.corrcoef(x.T)[0, 1])
        kappa = conditioning(curvature(standardize(x))).kappa
        # Standardized, 2XᵀX/N is twice the correlation matrix: eigenvalues 2(1 ± r).
        assert kappa == pytest.approx((1 + r) / (1 - r), rel=1e-9)
        kappas.append(kappa)
    assert np.median(kappas) == pytest.approx(1.05, abs=0.02)


def test_surface_hessian_is_the_curvature_and_minimum_is_least_squares():
    raw, std = scaling_problems(10.0, 100, 3)
    data = feature_data(10.0, 100, 3)
    for problem, x in ((raw, data.x), (std, standardize(data.x))):
        h = problem.surface.hessian(*problem.optimum)
        np.testing.assert_allclose(h, curvature(x), rtol=1e-10)
        assert np.linalg.norm(problem.surface.grad(*problem.optimum)) < 1e-8 * np.abs(h).max()
        design = np.column_stack([np.ones(100), x])
        coef = np.linalg.lstsq(design, data.t, rcond=None)[0]
        np.testing.assert_allclose(problem.optimum, coef[1:], rtol=1e-9, atol=1e-12)


def test_rate_bounds_and_largest_step():
    c = conditioning(np.diag([1.0, 100.0]))
    assert c.kappa == 100.0
    assert c.gd_rate == pytest.approx(99 / 101)
    assert c.momentum_rate == pytest.approx(9 / 11)
    assert c.lr_max == pytest.approx(0.02)


def test_measured_gd_rate_is_max_abs_one_minus_lr_lambda():
    _, std = scaling_problems(100.0, 100, 0)
    c = std.conditioning
    for lr in (0.1, 0.3, 0.6):
        run = simulate(std.surface, make_optimizer("sgd", lr=lr), std.start, 200)
        assert measured_rate(run.points, std.optimum) == pytest.approx(
            gd_rate_at(lr, c.eigenvalues), rel=1e-3
        )
    # Best fixed step 2/(λmin + λmax) attains the bound (κ−1)/(κ+1).
    best = 2 / c.eigenvalues.sum()
    assert gd_rate_at(best, c.eigenvalues) == pytest.approx(c.gd_rate)


def test_tuned_heavy_ball_reaches_the_momentum_bound_on_the_raw_surface():
    raw, _ = scaling_problems(10.0, 100, 0)
    c = raw.conditioning
    lr, momentum = tuned_momentum(c.eigenvalues)
    run = simulate(raw.surface, make_optimizer("sgd", lr=lr, momentum=momentum), raw.start, 3000)
    assert run.diverged_at is None
    # Tuned, the iteration has a repeated eigenvalue ρ (a Jordan block): ‖w_t − w*‖ ~ t·ρ^t, so
    # over steps T/2..T (T ≈ 400 before rounding) it measures ρ·2^(2/T), about 0.35 % above ρ.
    assert measured_rate(run.points, raw.optimum) == pytest.approx(c.momentum_rate, rel=5e-3)
    plain = simulate(raw.surface, make_optimizer("sgd", lr=0.9 * c.lr_max), raw.start, 3000)
    assert measured_rate(plain.points, raw.optimum) > c.gd_rate


def test_gd_above_two_over_lambda_max_diverges_on_raw_data():
    raw, _ = scaling_problems(100.0, 100, 0)
    lr = 1.1 * raw.conditioning.lr_max
    run = simulate(raw.surface, make_optimizer("sgd", lr=lr), raw.start, 2000)
    assert run.diverged_at is not None or measured_rate(run.points, raw.optimum) > 1


def test_measured_rate_of_too_short_or_zero_runs_is_nan():
    assert np.isnan(measured_rate(np.zeros((2, 2)), np.zeros(2)))
    assert np.isnan(measured_rate(np.zeros((10, 2)), np.zeros(2)))


# ---- Batch normalization -------------------------------------------------------------------------


def test_batch_norm_matches_torch_in_training_mode():
    z = np.random.default_rng(0).normal(3.0, 2.0, size=16)
    layer = torch.nn.BatchNorm1d(1, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.fill_(1.7)
        layer.bias.fill_(-0.4)
    expected = layer(torch.tensor(z)[:, None]).detach().numpy()[:, 0]
    np.testing.assert_allclose(batch_norm(z, 1.7, -0.4), expected, rtol=1e-12)


def test_running_averages_match_torch_batchnorm1d():
    rng = np.random.default_rng(1)
    layer = torch.nn.BatchNorm1d(1, momentum=0.1, dtype=torch.float64)
    stats = RunningStats()
    for size in (4, 8, 2, 16, 5):
        z = rng.normal(5.0, 3.0, size=size)
        layer.train()(torch.tensor(z)[:, None])
        stats = update_running(stats, z)
        assert stats.mean == pytest.approx(layer.running_mean.item(), rel=1e-12)
        assert stats.var == pytest.approx(layer.running_var.item(), rel=1e-12)
    z = rng.normal(5.0, 3.0, size=3)
    expected = layer.eval()(torch.tensor(z)[:, None]).detach().numpy()[:, 0]
    np.testing.assert_allclose(normalize_with(z, stats, 1.0, 0.0), expected, rtol=1e-12)
    with pytest.raises(ValueError):
        update_running(stats, np.array([1.0]))


def test_bn_gradient_matches_torch_autograd():
    data = bn_data(32, 2)
    w = torch.tensor([0.7, -1.3], dtype=torch.float64, requires_grad=True)
    gamma = torch.tensor(1.4, dtype=torch.float64, requires_grad=True)
    beta = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    z = torch.tensor(data.x) @ w
    out = torch.nn.functional.batch_norm(z[:, None], None, None, training=True, eps=EPS)
    loss = torch.mean((gamma * out[:, 0] + beta - torch.tensor(data.t)) ** 2)
    loss.backward()
    ours = bn_loss_and_grad(np.array([0.7, -1.3]), data.x, data.t, 1.4, 0.3)
    assert float(ours.loss) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(ours.w, w.grad.numpy(), rtol=1e-10)
    assert float(ours.gamma) == pytest.approx(gamma.grad.item(), rel=1e-10)
    assert float(ours.beta) == pytest.approx(beta.grad.item(), rel=1e-10)


def test_bn_loss_is_scale_invariant_and_gradient_orthogonal_to_w():
    data = bn_data(64, 0)
    w = np.random.default_rng(3).normal(size=(50, 2))
    exact = bn_loss_and_grad(w, data.x, data.t, 1.2, 0.5, eps=0.0)
    # w·∇L = B·mean(g ẑ)·ε/(σ² + ε): zero without ε, tiny with PyTorch's ε.
    np.testing.assert_allclose(np.sum(exact.w * w, axis=1), 0.0, atol=1e-12)
    for a in (0.1, 3.0, 50.0):
        scaled = bn_loss_and_grad(a * w, data.x, data.t, 1.2, 0.5, eps=0.0)
        np.testing.assert_allclose(scaled.loss, exact.loss, rtol=1e-12)
        np.testing.assert_allclose(scaled.w, exact.w / a, rtol=1e-9)
    # With ε the invariance is approximate; it sharpens as ‖w‖ (so σ²) grows.
    surface = BatchNormSurface(data.x, data.t, 1.2, 0.5)
    leak = [np.abs(np.sum(surface.grad(*(a * w).T) * a * w, axis=1)).max() for a in (1, 10)]
    assert leak[1] < leak[0] / 50


def test_gradient_descent_under_bn_grows_the_norm_and_slows_the_turn():
    data = bn_data(128, 0)
    surface = BatchNormSurface(data.x, data.t)
    run = simulate(surface, make_optimizer("sgd", lr=0.5), (-0.4, 0.2), 100)
    norms = np.linalg.norm(run.points, axis=1)
    steps = np.linalg.norm(np.diff(run.points, axis=0), axis=1)
    # Steps are orthogonal to w (up to ε): ‖w_{t+1}‖² = ‖w_t‖² + ‖step‖².
    np.testing.assert_allclose(norms[1:] ** 2, norms[:-1] ** 2 + steps**2, rtol=2e-3)
    # ε leaves a radial component of order ε/σ², which shows only once the run has stopped.
    assert np.all(np.diff(norms) >= -1e-6 * norms[1:]) and norms[-1] > 2 * norms[0]
    # From 4× larger weights, the first step is 4× shorter, so it turns w 16× less.
    big = simulate(surface, make_optimizer("sgd", lr=0.5), (-1.6, 0.8), 1)
    big_step = np.linalg.norm(big.points[1] - big.points[0])
    assert big_step == pytest.approx(steps[0] / 4, rel=2e-3)


def test_small_test_batches_with_own_statistics_fail_where_running_ones_do_not():
    data = bn_data(256, 0)
    trained = train_batch_norm(data, (1.0, 0.0), batch_size=16, steps=300, lr=0.05)
    w, gamma, beta = trained.w[-1], trained.gamma[-1], trained.beta[-1]
    stats = RunningStats(trained.running.mean[-1], trained.running.var[-1])
    test = bn_data(256, 1)
    own, running = evaluation_losses(test, w, gamma, beta, stats, (1, 2, 64), seed=0)
    # Batch of one: z − μ_B = 0, so every prediction is β and the loss is E[(β − t)²].
    assert own[0] == pytest.approx(np.mean((beta - test.t) ** 2), rel=1e-12)
    assert own[0] > 2 * running and own[1] > 2 * running
    assert own[2] == pytest.approx(running, rel=0.1)
    # The running statistics track the whole training set's, within the batch noise.
    z = data.x @ w
    assert stats.mean == pytest.approx(z.mean(), abs=0.2 * z.std())
    assert stats.var == pytest.approx(z.var(), rel=0.3)
