"""The simulator: shapes, one stepping code for simulate/simulate_many/update, minibatches,
divergence, limits, and the recorded σ and momentum against their published formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from optimizers import make_optimizer, schedules, simulate, simulate_many


class Quadratic:
    """Stand-in analytic surface: f = ½(x² + 10y²) + xy."""

    domain = ((-3.0, 3.0), (-3.0, 3.0))

    def f(self, x, y):
        return 0.5 * (x * x + 10 * y * y) + x * y

    def grad(self, x, y):
        return np.stack([x + y, 10 * y + x], axis=-1)


class Rosenbrock:
    """Stand-in analytic surface: f = (1 − x)² + 100(y − x²)²."""

    domain = ((-2.0, 2.0), (-1.0, 3.0))

    def f(self, x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def grad(self, x, y):
        r = y - x * x
        return np.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=-1)


class Regression:
    """Stand-in data surface: MSE of ŷ = b + w·x over ten points, parameters (b, w)."""

    domain = ((-5.0, 5.0), (-5.0, 5.0))
    xs = np.array([0.3, -1.2, 0.8, 2.0, -0.5, 1.1, -2.2, 0.1, 1.7, -0.9])
    ys = 1.5 - 0.7 * xs + np.array([0.2, -0.1, 0.3, -0.4, 0.1, 0.0, 0.2, -0.3, 0.1, 0.05])
    n_samples = 10

    def _residual(self, b, w, idx):
        b, w = np.asarray(b)[..., None], np.asarray(w)[..., None]
        return b + w * self.xs[idx] - self.ys[idx]

    def batch_loss(self, b, w, idx):
        return np.mean(self._residual(b, w, idx) ** 2, axis=-1)

    def batch_grad(self, b, w, idx):
        r = self._residual(b, w, idx)
        return np.stack([np.mean(2 * r, axis=-1), np.mean(2 * r * self.xs[idx], axis=-1)], axis=-1)

    def f(self, b, w):
        return self.batch_loss(b, w, np.arange(self.n_samples))

    def grad(self, b, w):
        return self.batch_grad(b, w, np.arange(self.n_samples))


MIX = [
    make_optimizer("sgd", lr=0.05),
    make_optimizer("momentum", lr=0.02),
    make_optimizer("nesterov", lr=0.02, weight_decay=0.01),
    make_optimizer("adagrad", lr=0.5, convention="lecture"),
    make_optimizer("rmsprop", lr=0.01, centered=True, momentum=0.5),
    make_optimizer("adam", lr=0.05, amsgrad=True),
    make_optimizer("adamw", lr=schedules.cosine_annealing(0.05, 100)),
]
STARTS = [(2.0, -1.0), (-2.5, 1.5), (1.0, 2.0), (0.5, 0.5), (-1.0, -2.0), (2.5, 2.5), (0.0, 1.0)]


def assert_same(a, b):
    """Bit-identical trajectories (np.array_equal: NaN-free arrays, −0 == 0)."""
    for field in a._fields:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert np.array_equal(x, y), field
        else:
            assert x == y, field


def test_shapes_and_recorded_loss_and_gradient():
    surface = Quadratic()
    traj = simulate(surface, make_optimizer("adam", lr=0.1), (2.0, -1.0), 50)
    assert traj.points.shape == (51, 2) and traj.losses.shape == (51,)
    assert traj.grads.shape == (51, 2) and traj.lrs.shape == (50,)
    assert traj.sigmas.shape == traj.momenta.shape == (50, 2)
    assert traj.diverged_at is None and traj.batches is None
    assert np.array_equal(traj.points[0], [2.0, -1.0])
    x, y = traj.points.T
    np.testing.assert_allclose(traj.losses, surface.f(x, y), rtol=1e-15)
    np.testing.assert_allclose(traj.grads, surface.grad(x, y), rtol=1e-15)
    assert traj.losses[-1] < 0.1 * traj.losses[0]


@pytest.mark.parametrize("batch_size", [None, 3])
def test_simulate_many_equals_each_simulate_bit_for_bit(batch_size):
    surface = Regression() if batch_size else Quadratic()
    many = simulate_many(surface, MIX, STARTS, 300, batch_size=batch_size, seed=7)
    for optimizer, start, traj in zip(MIX, STARTS, many, strict=True):
        assert_same(traj, simulate(surface, optimizer, start, 300, batch_size=batch_size, seed=7))
    assert_same(many[0], simulate_many(surface, MIX, STARTS, 300, batch_size=batch_size, seed=7)[0])


def test_update_loop_equals_simulate_bit_for_bit():
    surface = Quadratic()
    for optimizer, start in zip(MIX, STARTS, strict=True):
        traj = simulate(surface, optimizer, start, 200)
        assert traj.diverged_at is None
        p = np.array(start)
        state = optimizer.init(p)
        for t in range(200):
            assert np.array_equal(p, traj.points[t])
            p, state = optimizer.update(surface.grad(*p), state, p)
        assert np.array_equal(p, traj.points[-1]) and state.count == 200


def test_update_is_pure_and_vectorized_over_leading_axes():
    opt = make_optimizer("adam", lr=0.1)
    params = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 0.0]])
    grad = np.array([[0.1, -1.0], [2.0, 3.0], [0.0, 0.0]])
    state = opt.init(params)
    before = (params.copy(), grad.copy(), [a.copy() for a in state[1:]])
    p, new = opt.update(grad, state, params)
    assert np.array_equal(params, before[0]) and np.array_equal(grad, before[1])
    assert all(np.array_equal(a, b) for a, b in zip(state[1:], before[2], strict=True))
    for row in range(3):
        p_row, _ = opt.update(grad[row], opt.init(params[row]), params[row])
        assert np.array_equal(p[row], p_row)
    assert new.count == 1


def test_minibatches_are_epochs_of_permutations_shared_by_every_run():
    surface = Regression()
    trajs = simulate_many(surface, MIX[:3], STARTS[:3], 31, batch_size=3, seed=11)
    batches = trajs[0].batches
    assert batches.shape == (31, 3) and np.issubdtype(batches.dtype, np.integer)
    for traj in trajs[1:]:
        assert np.array_equal(traj.batches, batches)
    # 10 samples, batches of 3: three batches per epoch, the 10th sample of each epoch dropped
    for epoch in range(10):
        seen = batches[3 * epoch : 3 * epoch + 3].ravel()
        assert len(set(seen.tolist())) == 9 and set(seen.tolist()) <= set(range(10))
    assert not np.array_equal(batches[:3], batches[3:6])
    other = simulate(surface, MIX[0], STARTS[0], 31, batch_size=3, seed=12).batches
    assert not np.array_equal(other, batches)
    again = simulate(surface, MIX[0], STARTS[0], 31, batch_size=3, seed=11)
    assert np.array_equal(again.batches, batches)
    assert_same(again, trajs[0])


def test_minibatch_steps_use_the_batch_gradient_and_record_the_full_one():
    surface = Regression()
    traj = simulate(surface, make_optimizer("sgd", lr=0.1), (0.0, 0.0), 20, batch_size=4, seed=3)
    p = np.array([0.0, 0.0])
    for t in range(20):
        np.testing.assert_allclose(traj.grads[t], surface.grad(*p), rtol=1e-14)
        p = p - 0.1 * surface.batch_grad(p[0], p[1], traj.batches[t])
        np.testing.assert_allclose(traj.points[t + 1], p, rtol=1e-14)


def test_divergence_truncates_that_run_only_and_leaks_no_warning():
    surface = Quadratic()
    fine, wild = make_optimizer("adam", lr=0.05), make_optimizer("sgd", lr=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good, bad = simulate_many(surface, [fine, wild], [(1.0, 1.0), (1.0, 1.0)], 400)
    assert good.diverged_at is None and good.points.shape == (401, 2)
    assert_same(good, simulate(surface, fine, (1.0, 1.0), 400))
    # y ← y − 0.5(10y + x): |y| grows about 4× per step until it leaves 1e6 × the domain span
    k = bad.diverged_at
    assert k is not None and 5 < k < 400
    assert bad.points.shape == (k, 2) and bad.losses.shape == (k,) and bad.grads.shape == (k, 2)
    assert bad.lrs.shape == (k - 1,) and bad.sigmas.shape == bad.momenta.shape == (k - 1, 2)
    assert np.all(np.abs(bad.points) <= 6e6)
    p = bad.points[-1]
    p, _ = wild.update(surface.grad(*p), wild.init(p), p)
    assert np.any(np.abs(p) > 6e6)


class Cliff(Quadratic):
    """The quadratic without a gradient left of x = 0.5 (finite loss, NaN gradient)."""

    def grad(self, x, y):
        return np.where((np.asarray(x) < 0.5)[..., None], np.nan, super().grad(x, y))


def test_a_point_without_gradient_stops_the_run_as_undefined_not_diverged():
    fine = make_optimizer("adam", lr=0.001)  # moves at most 0.1 in 100 steps: stays at x ≥ 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj, other = simulate_many(Cliff(), [make_optimizer("sgd", lr=0.1), fine],
                                    [(1.0, 0.0), (2.0, 2.0)], 100)  # fmt: skip
    k = traj.undefined_at
    assert traj.diverged_at is None and k is not None and 1 < k < 100
    # the point without a gradient is the last one kept; every point before it had one
    assert traj.points.shape == (k + 1, 2) and np.all(np.isfinite(traj.points))
    assert traj.points[-1, 0] < 0.5 and np.all(traj.points[:-1, 0] >= 0.5)
    assert np.all(np.isnan(traj.grads[-1])) and np.all(np.isfinite(traj.grads[:-1]))
    assert traj.lrs.shape == (k,) and traj.sigmas.shape == traj.momenta.shape == (k, 2)
    assert other.undefined_at is None and other.points.shape == (101, 2)
    assert_same(other, simulate(Cliff(), fine, (2.0, 2.0), 100))


def test_a_start_at_a_kink_is_undefined_at_step_0():
    from surfaces import get_surface

    ackley = get_surface("ackley")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = simulate(ackley, make_optimizer("adam", lr=0.1), (0.0, 0.0), 50)
    assert traj.undefined_at == 0 and traj.diverged_at is None
    assert np.array_equal(traj.points, [[0.0, 0.0]]) and traj.lrs.shape == (0,)
    assert traj.losses[0] == pytest.approx(0.0, abs=1e-12)


def test_deterministic():
    surface = Regression()
    a = simulate_many(surface, MIX, STARTS, 500, batch_size=2, seed=5)
    b = simulate_many(surface, MIX, STARTS, 500, batch_size=2, seed=5)
    for x, y in zip(a, b, strict=True):
        assert_same(x, y)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"steps": 10_001}, "steps"),
        ({"steps": -1}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"optimizers": [MIX[0]] * 17, "starts": [(0.0, 0.0)] * 17}, "runs"),
        ({"optimizers": [], "starts": np.zeros((0, 2))}, "runs"),
        ({"starts": [(0.0, 0.0)] * 2}, "starts"),
        ({"starts": [(np.nan, 0.0)]}, "finite"),
        ({"starts": [(np.inf, 0.0)]}, "finite"),
        ({"batch_size": 2}, "data-defined"),
    ],
)
def test_limits_raise(kwargs, match):
    args = {"optimizers": [MIX[0]], "starts": [(0.0, 0.0)], "steps": 10} | kwargs
    with pytest.raises(ValueError, match=match):
        simulate_many(Quadratic(), args["optimizers"], args["starts"], args["steps"],
                      batch_size=args.get("batch_size"))  # fmt: skip


@pytest.mark.parametrize("batch_size", [0, 11, 2.0])
def test_bad_batch_size_raises(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        simulate(Regression(), MIX[0], (0.0, 0.0), 10, batch_size=batch_size)


def test_sigmas_and_momenta_follow_their_formulas():
    surface = Quadratic()
    eps = 1e-10
    runs = {
        "sgd": make_optimizer("sgd", lr=0.05),
        "momentum": make_optimizer("momentum", lr=0.02, dampening=0.3),
        "adagrad": make_optimizer("adagrad", lr=0.3, eps=eps),
        "lecture adagrad": make_optimizer("adagrad", lr=0.3, eps=eps, convention="lecture"),
        "lecture rmsprop": make_optimizer("rmsprop", lr=0.01, eps=eps, convention="lecture"),
        "adam": make_optimizer("adam", lr=0.05, eps=eps),
    }
    trajs = dict(zip(runs, simulate_many(surface, list(runs.values()), [(2.0, -1.0)] * 6, 100),
                     strict=True))  # fmt: skip
    g = {name: t.grads[:-1] for name, t in trajs.items()}
    n = np.arange(1, 101)[:, None]
    assert np.all(trajs["sgd"].sigmas == 1) and np.all(trajs["sgd"].momenta == 0)
    buf = g["momentum"][0]
    for t in range(1, 100):
        buf = 0.9 * buf + 0.7 * g["momentum"][t]
        np.testing.assert_allclose(trajs["momentum"].momenta[t], buf, rtol=1e-12)
    assert np.all(trajs["momentum"].sigmas == 1)
    np.testing.assert_allclose(
        trajs["adagrad"].sigmas, np.sqrt(np.cumsum(g["adagrad"] ** 2, axis=0)) + eps, rtol=1e-12
    )
    lecture = np.sqrt(np.cumsum(g["lecture adagrad"] ** 2, axis=0) / n) + eps
    np.testing.assert_allclose(trajs["lecture adagrad"].sigmas, lecture, rtol=1e-12)
    sigma = np.abs(g["lecture rmsprop"][0])
    np.testing.assert_allclose(trajs["lecture rmsprop"].sigmas[0], sigma + eps, rtol=1e-12)
    for t in range(1, 100):
        sigma = np.sqrt(0.99 * sigma**2 + 0.01 * g["lecture rmsprop"][t] ** 2)
        np.testing.assert_allclose(trajs["lecture rmsprop"].sigmas[t], sigma + eps, rtol=1e-12)
    assert np.all(trajs["adagrad"].momenta == 0)
    m = np.zeros(2)
    for t in range(100):
        m = 0.9 * m + 0.1 * g["adam"][t]
        np.testing.assert_allclose(trajs["adam"].momenta[t], m, rtol=1e-12)


def test_lrs_are_the_schedule_and_adagrad_lr_decay():
    schedule = schedules.step_decay(0.1, 10, 0.5)
    sgd, adagrad = simulate_many(
        Quadratic(),
        [make_optimizer("sgd", lr=schedule), make_optimizer("adagrad", lr=0.1, lr_decay=0.2)],
        [(1.0, 1.0), (1.0, 1.0)],
        30,
    )
    np.testing.assert_array_equal(sgd.lrs, schedule(np.arange(30)))
    np.testing.assert_allclose(adagrad.lrs, 0.1 / (1 + 0.2 * np.arange(30)), rtol=1e-15)


def test_runs_on_the_project_surfaces():
    from surfaces import get_surface

    regression = get_surface("regression")
    traj = simulate(regression, make_optimizer("adam", lr=1.0), regression.default_start, 300,
                    batch_size=4, seed=2)  # fmt: skip
    assert traj.diverged_at is None and traj.batches.shape == (300, 4)
    x, y = traj.points.T
    np.testing.assert_allclose(traj.grads, regression.grad(x, y), rtol=1e-14)
    assert traj.losses[-1] < 0.5 * traj.losses[0]
    rosenbrock = get_surface("rosenbrock")
    (traj,) = simulate_many(rosenbrock, [make_optimizer("momentum", lr=1e-3)], [(-1.5, 2.0)], 3000)
    np.testing.assert_allclose(traj.points[-1], [1.0, 1.0], atol=0.02)
