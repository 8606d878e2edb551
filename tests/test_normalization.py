"""Feature scaling and batch norm (LECTURE.md part 5) against closed forms and torch."""

from functools import partial

import numpy as np
import pytest
from reference import reference

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
    # Polyak (1964): heavy ball with these (lr, momentum) reaches (√κ−1)/(√κ+1) on a quadratic
    low, high = np.sqrt(c.eigenvalues[0]), np.sqrt(c.eigenvalues[-1])
    lr, momentum = 4.0 / (low + high) ** 2, ((high - low) / (high + low)) ** 2
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


def torch_batch_norm_layer(z: np.ndarray, gamma: float, beta: float) -> np.ndarray:
    """torch's BatchNorm1d(1) with weight γ and bias β on z, in training mode."""
    import torch

    layer = torch.nn.BatchNorm1d(1, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.fill_(gamma)
        layer.bias.fill_(beta)
        return layer(torch.tensor(z)[:, None]).numpy()[:, 0]


def test_batch_norm_matches_torch_in_training_mode():
    z = np.random.default_rng(0).normal(3.0, 2.0, size=16)
    expected = reference("layer(z0, 1.7, -0.4)", partial(torch_batch_norm_layer, z, 1.7, -0.4))
    np.testing.assert_allclose(batch_norm(z, 1.7, -0.4), expected, rtol=1e-12)


def torch_running(zs: list[np.ndarray], z: np.ndarray) -> dict[str, np.ndarray]:
    """BatchNorm1d(1, momentum=0.1)'s running mean and variance after each batch of ``zs`` in
    training mode, then its eval-mode output on z."""
    import torch

    layer = torch.nn.BatchNorm1d(1, momentum=0.1, dtype=torch.float64)
    means, variances = [], []
    with torch.no_grad():
        for batch in zs:
            layer.train()(torch.tensor(batch)[:, None])
            means.append(layer.running_mean.item())
            variances.append(layer.running_var.item())
        evaluated = layer.eval()(torch.tensor(z)[:, None]).numpy()[:, 0]
    return {"mean": np.array(means), "var": np.array(variances), "eval": evaluated}


def test_running_averages_match_torch_batchnorm1d():
    rng = np.random.default_rng(1)
    zs = [rng.normal(5.0, 3.0, size=size) for size in (4, 8, 2, 16, 5)]
    z = rng.normal(5.0, 3.0, size=3)
    theirs = reference("running(z1)", partial(torch_running, zs, z))
    stats = RunningStats()
    for batch, mean, var in zip(zs, theirs["mean"], theirs["var"], strict=True):
        stats = update_running(stats, batch)
        assert stats.mean == pytest.approx(mean, rel=1e-12)
        assert stats.var == pytest.approx(var, rel=1e-12)
    np.testing.assert_allclose(normalize_with(z, stats, 1.0, 0.0), theirs["eval"], rtol=1e-12)
    with pytest.raises(ValueError):
        update_running(stats, np.array([1.0]))


def torch_bn_gradient(w, x: np.ndarray, t: np.ndarray, gamma: float, beta: float) -> dict:
    """Mean of (γ·BN(w·x) + β − t)² in training mode and its gradient in w, γ and β, by torch's
    autograd."""
    import torch

    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in {"w": w, "gamma": gamma, "beta": beta}.items()}  # fmt: skip
    z = torch.tensor(x) @ params["w"]
    out = torch.nn.functional.batch_norm(z[:, None], None, None, training=True, eps=EPS)
    loss = torch.mean((params["gamma"] * out[:, 0] + params["beta"] - torch.tensor(t)) ** 2)
    loss.backward()
    return {"loss": loss.detach().numpy()} | {k: p.grad.numpy() for k, p in params.items()}


def test_bn_gradient_matches_torch_autograd():
    data = bn_data(32, 2)
    theirs = reference(
        "gradient(32, 2)", partial(torch_bn_gradient, [0.7, -1.3], data.x, data.t, 1.4, 0.3)
    )
    ours = bn_loss_and_grad(np.array([0.7, -1.3]), data.x, data.t, 1.4, 0.3)
    assert float(ours.loss) == pytest.approx(theirs["loss"], rel=1e-12)
    np.testing.assert_allclose(ours.w, theirs["w"], rtol=1e-10)
    assert float(ours.gamma) == pytest.approx(theirs["gamma"], rel=1e-10)
    assert float(ours.beta) == pytest.approx(theirs["beta"], rel=1e-10)


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


def torch_bn_loss(w: np.ndarray, x: np.ndarray, t: np.ndarray, gamma: float, beta: float) -> dict:
    """Mean of (γ·BN(w·x) + β − t)² in training mode, torch's batch norm, for each w of a stack
    (k, 2), and the gradient of their sum in the stack."""
    import torch

    w = torch.tensor(w, requires_grad=True)
    z = torch.tensor(x) @ w.T  # (B, k)
    out = torch.nn.functional.batch_norm(z, None, None, training=True, eps=EPS)
    loss = torch.mean((gamma * out + beta - torch.tensor(t)[:, None]) ** 2, dim=0)
    loss.sum().backward()
    return {"loss": loss.detach().numpy(), "grad": w.grad.numpy()}


@pytest.mark.parametrize("size", [2, 7, 256])
def test_bn_loss_and_gradient_over_a_stack_of_w_match_torch(size):
    data = bn_data(256, 5)
    x, t = data.x[:size], data.t[:size]
    w = np.random.default_rng(size).normal(size=(40, 2))
    theirs = reference(f"stack(256, 5)[:{size}]", partial(torch_bn_loss, w, x, t, 0.8, -0.3))
    ours = bn_loss_and_grad(w, x, t, 0.8, -0.3)
    np.testing.assert_allclose(ours.loss, theirs["loss"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.w, theirs["grad"], rtol=1e-8, atol=1e-10)


def test_losses_by_direction_are_each_batch_loss_on_the_unit_circle():
    data = bn_data(256, 0)
    epoch = batches(256, 32, 0)
    angles = np.linspace(-np.pi, np.pi, 13)
    per_batch, whole = losses_by_direction(data, epoch, 1.5, 0.5, angles)
    circle = np.column_stack([np.cos(angles), np.sin(angles)])
    assert per_batch.shape == (8, 13)
    for i, (row, idx) in enumerate(zip(per_batch, epoch, strict=True)):
        expected = reference(
            f"circle(256, 0)/batch {i}",
            partial(torch_bn_loss, circle, data.x[idx], data.t[idx], 1.5, 0.5),
        )
        np.testing.assert_allclose(row, expected["loss"], rtol=1e-10)
    expected = reference(
        "circle(256, 0)/whole", partial(torch_bn_loss, circle, data.x, data.t, 1.5, 0.5)
    )
    np.testing.assert_allclose(whole, expected["loss"], rtol=1e-10)


def torch_scale_gap(x: np.ndarray, w: np.ndarray, a: float) -> np.ndarray:
    """max |BN(a·w·x) − BN(w·x)| over the batch, torch's batch norm in training mode."""
    import torch

    z = (torch.tensor(x) @ torch.tensor(w))[:, None]
    out = [torch.nn.functional.batch_norm(s * z, None, None, training=True, eps=EPS)
           for s in (1.0, a)]  # fmt: skip
    return (out[1] - out[0]).abs().max().numpy()


def test_scale_invariance_check_against_torch():
    data = bn_data(256, 0)
    w = np.array([-0.4, 0.25])
    check = scale_invariance(data, w, 10.0, 1.2, 0.3)
    gap = reference("scale_gap(256, 0)", partial(torch_scale_gap, data.x, w, 10.0))
    assert check.output_gap == pytest.approx(1.2 * gap, rel=1e-6)
    stack = np.array([w, 10 * w])
    losses = reference("scaled(256, 0)", partial(torch_bn_loss, stack, data.x, data.t, 1.2, 0.3))
    assert check.loss_gap == pytest.approx(abs(np.diff(losses["loss"])[0]), rel=1e-6)
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


def torch_training(n: int, seed: int, batch_size: int, steps: int, lr: float) -> dict:
    """The BN unit trained by torch: Linear(2, 1, bias=False), BatchNorm1d(1, momentum=0.1), SGD
    from w = (1, 0), on bn_data(n, seed) in the same batches (a seeded permutation per epoch, as
    ``train_batch_norm`` draws them); then its test MSE on bn_data(n, seed + 1) with the running
    statistics, and with each test batch of 2 (``batches(n, 2, seed)``) normalized on its own."""
    import torch

    data, test = bn_data(n, seed), bn_data(n, seed + 1)
    w = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    layer = torch.nn.BatchNorm1d(1, momentum=BN_MOMENTUM, eps=EPS, dtype=torch.float64)
    optimizer = torch.optim.SGD([w, layer.weight, layer.bias], lr=lr)

    def mse(x, t):
        return torch.mean((layer(x @ w[:, None])[:, 0] - t) ** 2)

    x, t = torch.tensor(data.x), torch.tensor(data.t)
    per_epoch = len(t) // batch_size
    for step in range(steps):
        idx = torch.tensor(batches(len(t), batch_size, seed + step // per_epoch)[step % per_epoch])
        loss = mse(x[idx], t[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    trained = {
        "w": w.detach().numpy(),
        "gamma": layer.weight.item(),
        "beta": layer.bias.item(),
        "running_mean": layer.running_mean.item(),
        "running_var": layer.running_var.item(),
    }
    x, t = torch.tensor(test.x), torch.tensor(test.t)
    pairs = torch.tensor(batches(n, 2, seed))
    with torch.no_grad():
        layer.eval()
        running = mse(x, t).item()
        layer.train()  # the running statistics move from here on: they are read above
        own = torch.stack([mse(x[idx], t[idx]) for idx in pairs]).mean().item()
    return trained | {"test_running": running, "test_pairs": own}


def test_training_and_evaluation_match_a_torch_model():
    data, test = bn_data(256, 0), bn_data(256, 1)
    trained = train_batch_norm(data, (1.0, 0.0), batch_size=16, steps=300, lr=0.05)
    args = (256, 0, 16, 300, 0.05)
    theirs = reference(f"training{args}", partial(torch_training, *args))
    np.testing.assert_allclose(trained.w[-1], theirs["w"], rtol=1e-9)
    assert trained.gamma[-1] == pytest.approx(theirs["gamma"], rel=1e-9)
    assert trained.beta[-1] == pytest.approx(theirs["beta"], rel=1e-9)
    result = evaluate(trained, data, test, (1, 2, 64), seed=0)
    assert result.running.mean == pytest.approx(theirs["running_mean"], rel=1e-9)
    assert result.running.var == pytest.approx(theirs["running_var"], rel=1e-9)
    assert result.with_running == pytest.approx(theirs["test_running"], rel=1e-9)
    # Batch of one: z − μ_B = 0, so every prediction is β and the loss is E[(β − t)²].
    assert result.own[0] == pytest.approx(np.mean((trained.beta[-1] - test.t) ** 2), rel=1e-12)
    assert result.own[0] > 2 * result.with_running and result.own[1] > 2 * result.with_running
    assert result.own[2] == pytest.approx(result.with_running, rel=0.1)
    # The running statistics track the whole training set's, within the batch noise.
    assert result.whole.mean == pytest.approx(float((data.x @ theirs["w"]).mean()), rel=1e-9)
    assert result.running.mean == pytest.approx(result.whole.mean, abs=0.2 * result.whole.var**0.5)
    assert result.running.var == pytest.approx(result.whole.var, rel=0.3)
