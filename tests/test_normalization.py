"""Feature scaling and batch norm (LECTURE.md part 5) against closed forms and torch."""

import numpy as np
import pytest
import torch

from optimizers import make_optimizer, simulate
from surfaces.normalization import (
    BN_MOMENTUM,
    EPS,
    BatchNormSurface,
    RunningStats,
    batch_norm,
    batches,
    bn_data,
    bn_loss_and_grad,
    conditioning,
    curvature,
    evaluate,
    feature_data,
    gd_rate_at,
    kappa_spread,
    losses_by_direction,
    measured_rate,
    norm_growth,
    normalize_with,
    population_curvature,
    scale_invariance,
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


def test_population_curvature_is_twice_the_second_moments():
    np.testing.assert_allclose(population_curvature(100.0), 2 * POPULATION, rtol=1e-12)
    assert conditioning(population_curvature(100.0)).kappa == pytest.approx(1.43e5, rel=0.01)


def test_spread_over_seeds_is_each_sample_condition_number():
    spread = kappa_spread(100.0, 1000, 30)
    for seed in (0, 7, 29):
        x = feature_data(100.0, 1000, seed).x
        assert spread.raw[seed] == pytest.approx(np.linalg.cond(x.T @ x), rel=1e-9)
        z = (x - x.mean(axis=0)) / x.std(axis=0)
        assert spread.standardized[seed] == pytest.approx(np.linalg.cond(z.T @ z), rel=1e-9)
    # The lecture's numbers are the typical values at N = 1000.
    assert np.median(spread.raw) == pytest.approx(1.4e5, rel=0.03)
    assert np.median(spread.standardized) == pytest.approx(1.05, abs=0.02)


@pytest.mark.parametrize(("scale", "n", "seed"), [(100.0, 1000, 45), (1.0, 100, 3), (1e3, 200, 1)])
def test_feature_scaling_surfaces_are_the_mean_squared_error_with_b_fixed(scale, n, seed):
    """Declared as a quadratic, each surface equals the MSE over the samples, computed directly."""
    data = feature_data(scale, n, seed)
    rng = np.random.default_rng(0)
    for problem, x in zip(scaling_problems(scale, n, seed), (data.x, standardize(data.x)),
                          strict=True):  # fmt: skip
        b = np.linalg.lstsq(np.column_stack([np.ones(n), x]), data.t, rcond=None)[0][0]
        w = np.vstack([problem.optimum, problem.optimum + rng.uniform(-3, 3, size=(20, 2))])
        direct = np.mean((data.t - b - w @ x.T) ** 2, axis=1)
        np.testing.assert_allclose(problem.surface.f(*w.T), direct, rtol=1e-9)


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


def torch_bn_loss(w: torch.Tensor, x: np.ndarray, t: np.ndarray, gamma=1.0, beta=0.0):
    """Mean of (γ·BN(w·x) + β − t)² in training mode, torch's batch norm; w may be a stack."""
    z = torch.tensor(x) @ w.T  # (B, k)
    out = torch.nn.functional.batch_norm(z, None, None, training=True, eps=EPS)
    return torch.mean((gamma * out + beta - torch.tensor(t)[:, None]) ** 2, dim=0)


@pytest.mark.parametrize("size", [2, 7, 256])
def test_bn_loss_and_gradient_over_a_stack_of_w_match_torch(size):
    data = bn_data(256, 5)
    x, t = data.x[:size], data.t[:size]
    w = torch.tensor(np.random.default_rng(size).normal(size=(40, 2)), requires_grad=True)
    loss = torch_bn_loss(w, x, t, 0.8, -0.3)
    loss.sum().backward()
    ours = bn_loss_and_grad(w.detach().numpy(), x, t, 0.8, -0.3)
    np.testing.assert_allclose(ours.loss, loss.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.w, w.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_losses_by_direction_are_each_batch_loss_on_the_unit_circle():
    data = bn_data(256, 0)
    epoch = batches(256, 32, 0)
    angles = np.linspace(-np.pi, np.pi, 13)
    per_batch, whole = losses_by_direction(data, epoch, 1.5, 0.5, angles)
    circle = torch.tensor(np.column_stack([np.cos(angles), np.sin(angles)]))
    assert per_batch.shape == (8, 13)
    for row, idx in zip(per_batch, epoch, strict=True):
        expected = torch_bn_loss(circle, data.x[idx], data.t[idx], 1.5, 0.5).numpy()
        np.testing.assert_allclose(row, expected, rtol=1e-10)
    np.testing.assert_allclose(whole, torch_bn_loss(circle, data.x, data.t, 1.5, 0.5).numpy(),
                               rtol=1e-10)  # fmt: skip


def test_scale_invariance_check_against_torch():
    data = bn_data(256, 0)
    w = np.array([-0.4, 0.25])
    check = scale_invariance(data, w, 10.0, 1.2, 0.3)
    z = torch.tensor(data.x) @ torch.tensor(w)
    bn = [torch.nn.functional.batch_norm(a * z[:, None], None, None, training=True, eps=EPS)
          for a in (1.0, 10.0)]  # fmt: skip
    gap = (1.2 * (bn[1] - bn[0])).abs().max().item()
    assert check.output_gap == pytest.approx(gap, rel=1e-6)
    losses = [torch_bn_loss(torch.tensor(a * w)[None], data.x, data.t, 1.2, 0.3).item()
              for a in (1, 10)]  # fmt: skip
    assert check.loss_gap == pytest.approx(abs(losses[1] - losses[0]), rel=1e-6)
    # Only ε = 10⁻⁵ keeps BN(a·w·x) from BN(w·x): the gaps are of order ε/σ², the cosine too.
    assert 0 < check.output_gap < 1e-3 and abs(check.cosine) < 1e-2
    exact = bn_loss_and_grad(w, data.x, data.t, 1.2, 0.3, eps=0.0)
    assert abs(w @ exact.w) < 1e-12 * np.linalg.norm(w) * np.linalg.norm(exact.w)


def test_norm_growth_of_a_run():
    points = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    growth = norm_growth(points, 0.3)
    np.testing.assert_allclose(growth.norms, [1.0, np.sqrt(2), 2.0])
    np.testing.assert_allclose(growth.turns, [45.0, 45.0])
    np.testing.assert_allclose(growth.effective, [0.3, 0.15, 0.075])


def torch_training(data, batch_size: int, steps: int, lr: float, seed: int):
    """The BN unit trained by torch: Linear(2, 1, bias=False), BatchNorm1d(1, momentum=0.1), SGD,
    on the same batches (a seeded permutation per epoch, as ``train_batch_norm`` draws them)."""
    w = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    layer = torch.nn.BatchNorm1d(1, momentum=BN_MOMENTUM, eps=EPS, dtype=torch.float64)
    optimizer = torch.optim.SGD([w, layer.weight, layer.bias], lr=lr)
    x, t = torch.tensor(data.x), torch.tensor(data.t)
    per_epoch = len(t) // batch_size
    for step in range(steps):
        idx = torch.tensor(batches(len(t), batch_size, seed + step // per_epoch)[step % per_epoch])
        loss = torch.mean((layer(x[idx] @ w[:, None])[:, 0] - t[idx]) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return w.detach(), layer.eval()


def test_training_and_evaluation_match_a_torch_model():
    data, test = bn_data(256, 0), bn_data(256, 1)
    trained = train_batch_norm(data, (1.0, 0.0), batch_size=16, steps=300, lr=0.05)
    w, layer = torch_training(data, 16, 300, 0.05, 0)
    np.testing.assert_allclose(trained.w[-1], w.numpy(), rtol=1e-9)
    assert trained.gamma[-1] == pytest.approx(layer.weight.item(), rel=1e-9)
    assert trained.beta[-1] == pytest.approx(layer.bias.item(), rel=1e-9)
    result = evaluate(trained, data, test, (1, 2, 64), seed=0)
    assert result.running.mean == pytest.approx(layer.running_mean.item(), rel=1e-9)
    assert result.running.var == pytest.approx(layer.running_var.item(), rel=1e-9)
    with torch.no_grad():
        z = torch.tensor(test.x) @ w[:, None]
        with_running = torch.mean((layer(z)[:, 0] - torch.tensor(test.t)) ** 2).item()
    assert result.with_running == pytest.approx(with_running, rel=1e-9)
    # Batch of one: z − μ_B = 0, so every prediction is β and the loss is E[(β − t)²].
    assert result.own[0] == pytest.approx(np.mean((trained.beta[-1] - test.t) ** 2), rel=1e-12)
    assert result.own[0] > 2 * result.with_running and result.own[1] > 2 * result.with_running
    assert result.own[2] == pytest.approx(result.with_running, rel=0.1)
    # The running statistics track the whole training set's, within the batch noise.
    assert result.whole.mean == pytest.approx(float((torch.tensor(data.x) @ w).mean()), rel=1e-9)
    assert result.running.mean == pytest.approx(result.whole.mean, abs=0.2 * result.whole.var**0.5)
    assert result.running.var == pytest.approx(result.whole.var, rel=0.3)
