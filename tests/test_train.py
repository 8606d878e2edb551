"""train: the same torch-exact rules over any number of parameters. Against torch.optim on a
6-parameter loss, against simulate_many on 2-D surfaces (same stepping code, bit for bit), and its
kept steps, divergence, undefined gradients and limits."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
from reference import reference
from test_optimizers import BY_HAND, CONFIGS, FAMILY, LRS, label, torch_trajectory
from test_simulate import MIX, STARTS, Quadratic

from optimizers import make_optimizer, schedules, simulate_many, train
from optimizers.engine import MAX_PARAMS, MAX_STEPS

P = 6
SCALES = np.array([1.0, 3.0, 0.5, 8.0, 2.0, 0.2])
START = np.array([1.0, -0.5, 2.0, 0.3, -1.2, 1.5])


def quartic_grad(theta: np.ndarray) -> np.ndarray:
    """∇ of L(θ) = Σᵢ sᵢθᵢ²/2 + θᵢ⁴/10 + θ₀θ₁ (coupled, not separable), over θ's last axis."""
    g = SCALES * theta + 0.4 * theta**3
    g[..., 0] += theta[..., 1]
    g[..., 1] += theta[..., 0]
    return g


def test_every_optimizer_matches_torch_over_six_parameters_in_one_mixed_call():
    """Every configuration of tests/test_optimizers.py (so every optimizer), at its rate on the
    quartic there, against torch.optim (Lion: its paper's rule written out there)."""
    opts = [make_optimizer(n, lr=LRS["quartic"][FAMILY.get(n, n)], **h) for n, h in CONFIGS]
    starts = START + 0.1 * np.arange(len(opts))[:, None]
    run = train(quartic_grad, opts, starts, 200)
    assert run.thetas.shape == (201, len(opts), P) and run.diverged_at == [None] * len(opts)
    for r, (opt, config) in enumerate(zip(opts, CONFIGS, strict=True)):
        if opt.name in BY_HAND:
            expected = BY_HAND[opt.name](opt, quartic_grad, starts[r], steps=200)
        else:
            compute = partial(torch_trajectory, opt, quartic_grad, starts[r], steps=200)
            expected = reference(f"quartic/{label(opt)}", compute)
        assert np.linalg.norm(expected[-1] - starts[r]) > 0.05, config
        np.testing.assert_allclose(run.thetas[:, r], expected, rtol=1e-9, atol=1e-12,
                                   err_msg=str(config))  # fmt: skip


def test_on_a_2d_surface_it_is_simulate_many_bit_for_bit():
    surface = Quadratic()
    many = simulate_many(surface, MIX, STARTS, 300)
    run = train(lambda th: surface.grad(th[:, 0], th[:, 1]), MIX, np.array(STARTS), 300)
    for r, traj in enumerate(many):
        assert np.array_equal(run.thetas[:, r], traj.points)
        assert np.array_equal(run.lrs[:, r], traj.lrs)


def test_kept_steps_include_the_start_and_the_last_step():
    opts = [make_optimizer("adam", lr=schedules.cosine_annealing(0.05, 100)),
            make_optimizer("momentum", lr=0.01)]  # fmt: skip
    starts = np.stack([START, -START])
    full = train(quartic_grad, opts, starts, 103)
    sparse = train(quartic_grad, opts, starts, 103, keep_every=10)
    assert sparse.kept_steps.tolist() == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 103]
    assert np.array_equal(sparse.thetas, full.thetas[sparse.kept_steps])
    assert np.array_equal(full.kept_steps, np.arange(104))
    assert sparse.lrs.shape == (103, 2)
    np.testing.assert_array_equal(sparse.lrs[:, 0], schedules.cosine_annealing(0.05, 100)(
        np.arange(103)))  # fmt: skip
    assert np.all(sparse.lrs[:, 1] == 0.01)
    none = train(quartic_grad, opts, starts, 0)
    assert none.thetas.shape == (1, 2, P) and np.array_equal(none.thetas[0], starts)


def test_a_diverging_run_is_frozen_and_the_others_go_on():
    grad = lambda th: th  # noqa: E731  (L = |θ|²/2: θ ← (1 − η)θ, diverging for η > 2)
    opts = [make_optimizer("sgd", lr=0.5), make_optimizer("sgd", lr=3.0)]
    starts = np.ones((2, 3))
    run = train(grad, opts, starts, 50, keep_every=4, bound=100.0)
    # θ_t = 0.5^t for the first and (−2)^t for the second, past 100 at t = 7
    assert run.diverged_at == [None, 7] and run.undefined_at == [None, None]
    np.testing.assert_array_equal(run.thetas[:, 0, 0], 0.5 ** run.kept_steps.astype(float))
    expected = [(-2.0) ** min(t, 6) for t in run.kept_steps]
    np.testing.assert_array_equal(run.thetas[:, 1, 0], expected)
    # without a bound only a non-finite θ is divergence: (−2)^1024 overflows
    free = train(grad, opts, starts, 1100)
    assert free.diverged_at == [None, 1024] and np.all(np.isfinite(free.thetas))
    assert free.thetas[-1, 1, 0] == 2.0**1023 * -1


def test_a_gradient_that_is_not_finite_is_undefined_not_divergence():
    def grad(th):
        g = th.copy()
        g[th[:, 0] < 0.5] = np.nan  # no gradient left of θ₀ = 0.5
        return g

    opts = [make_optimizer("sgd", lr=0.1), make_optimizer("sgd", lr=0.001)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = train(grad, opts, np.ones((2, 4)), 100)
    # θ_t = 0.9^t: 0.9^6 = 0.53, 0.9^7 = 0.48 has no gradient; it is kept, nothing after it
    assert run.undefined_at == [7, None] and run.diverged_at == [None, None]
    np.testing.assert_allclose(run.thetas[7:, 0], 0.9**7, rtol=1e-12)
    np.testing.assert_allclose(run.thetas[-1, 1], 0.999**100, rtol=1e-12)


def test_grad_fn_sees_the_running_runs_read_only():
    seen = []

    def grad(th):
        seen.append(len(th))
        with pytest.raises(ValueError, match="read-only"):
            th[0, 0] = 1.0
        return 10.0 * th

    train(grad, [make_optimizer("sgd", lr=0.05), make_optimizer("sgd", lr=0.3)],
          np.ones((2, 2)), 20, bound=100.0)  # fmt: skip
    assert seen == [2] * 20  # the diverged run is checked once per block, then dropped
    seen.clear()
    train(grad, [make_optimizer("sgd", lr=0.05), make_optimizer("sgd", lr=0.3)],
          np.ones((2, 2)), 2000, bound=100.0)  # fmt: skip
    assert 2 in seen and seen[-1] == 1 and len(seen) == 2000


SGD = make_optimizer("sgd", lr=0.1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"starts": np.zeros(3)}, "shape"),
        ({"starts": np.zeros((2, 3))}, "2 starts"),
        ({"starts": np.zeros((1, MAX_PARAMS + 1))}, "parameters"),
        ({"steps": MAX_STEPS + 1}, "steps"),
        ({"steps": 2.0}, "steps"),
        ({"keep_every": 0}, "keep_every"),
        ({"bound": -1.0}, "bound"),
        ({"starts": np.full((1, 3), 200.0), "bound": 100.0}, "bound"),
        ({"starts": np.full((1, 3), np.nan)}, "finite"),
        ({"optimizers": [SGD] * 1001, "starts": np.zeros((1001, 3))}, "runs"),
        ({"starts": np.zeros((1, 10_000)), "steps": 6_000}, "train: work"),
        ({"starts": np.zeros((1, 1_000)), "steps": 6_000}, "train: kept θ"),
        ({"optimizers": [SGD] * 200, "starts": np.zeros((200, 1)), "steps": 6_000}, "run-steps"),
        ({"grad_fn": lambda th: th[:, :2]}, "grad_fn gave shape"),
    ],
)
def test_limits_raise(kwargs, match):
    args = {"grad_fn": lambda th: th, "optimizers": [SGD], "starts": np.zeros((1, 3)),
            "steps": 10} | kwargs  # fmt: skip
    with pytest.raises(ValueError, match=match):
        train(args["grad_fn"], args["optimizers"], args["starts"], args["steps"],
              keep_every=args.get("keep_every", 1), bound=args.get("bound"))  # fmt: skip
