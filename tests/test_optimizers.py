"""Optimizers against torch.optim (trajectories, 1e-9 relative), Lion (which torch lacks) against
its paper's update written out here, first steps worked out by hand from the published update
rules, their hyperparameter checks, and the declarations a UI reads."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from reference import reference
from test_simulate import Quadratic, Rosenbrock

from optimizers import (
    OPTIMIZERS,
    Control,
    Optimizer,
    hyper_controls,
    make_optimizer,
    schedules,
    simulate,
    simulate_many,
)
from optimizers.rules import CONTROLS, CONVENTIONS

STEPS = 200
TORCH = {  # each optimizer's class in torch.optim
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "adadelta": "Adadelta",
}
# every option that changes the rule, each on its own and in the combinations torch allows
CONFIGS = [
    ("sgd", {}),
    ("sgd", {"weight_decay": 0.1}),
    ("sgd", {"momentum": 0.5, "nesterov": True}),
    ("momentum", {}),
    ("momentum", {"dampening": 0.5}),
    ("momentum", {"weight_decay": 0.1, "dampening": 0.2}),
    ("nesterov", {}),
    ("nesterov", {"weight_decay": 0.1}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.01}),
    ("adagrad", {"weight_decay": 0.1}),
    ("adagrad", {"initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("rmsprop", {}),
    ("rmsprop", {"alpha": 0.9, "eps": 1e-3}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.9}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("adam", {}),
    ("adam", {"amsgrad": True}),
    ("adam", {"weight_decay": 0.1}),
    ("adam", {"betas": (0.5, 0.9), "eps": 1e-3}),
    ("adam", {"amsgrad": True, "weight_decay": 0.1, "betas": (0.8, 0.99)}),
    ("adamw", {}),
    ("adamw", {"weight_decay": 0.1}),
    ("adamw", {"amsgrad": True, "weight_decay": 0.3}),
    ("adadelta", {}),
    ("adadelta", {"rho": 0.5, "eps": 1e-3}),
    ("adadelta", {"weight_decay": 0.1}),
    ("lion", {}),
    ("lion", {"betas": (0.5, 0.9)}),
    ("lion", {"weight_decay": 0.1}),
]
FAMILY = {"momentum": "sgd", "nesterov": "sgd", "adamw": "adam"}
# per surface (tests/test_train.py's quartic too) and family: big enough to travel, small enough
# not to diverge or to reach the sign-like bouncing around the minimum, where any rounding
# difference grows chaotically
LRS = {
    "quadratic": {"sgd": 0.05, "adagrad": 0.5, "rmsprop": 0.005, "adam": 0.01, "adadelta": 1.0,
                  "lion": 0.005},
    "rosenbrock": {"sgd": 5e-4, "adagrad": 0.1, "rmsprop": 5e-3, "adam": 1e-2, "adadelta": 1.0,
                   "lion": 1e-3},
    "quartic": {"sgd": 0.02, "adagrad": 0.3, "rmsprop": 0.005, "adam": 0.01, "adadelta": 1.0,
                "lion": 0.005},
}  # fmt: skip
SURFACES = {"quadratic": (Quadratic(), (2.0, -1.0)), "rosenbrock": (Rosenbrock(), (-1.5, 2.0))}


def lion_trajectory(opt: Optimizer, grad, start, steps=STEPS) -> np.ndarray:
    """Lion as its paper writes it (Chen et al. 2023, Algorithm 2; torch has no Lion class, so
    this hand-written rule is the reference): c = β₁m + (1 − β₁)g, θ ← θ − η(sign(c) + λθ), then
    m ← β₂m + (1 − β₂)g, with m₀ = 0; ``grad`` maps θ to ∇L, or is a 2-D surface."""
    if hasattr(grad, "grad"):
        surface = grad
        grad = lambda theta: surface.grad(*theta)  # noqa: E731
    (beta1, beta2), lr, wd = opt.hyper["betas"], opt.hyper["lr"], opt.hyper["weight_decay"]
    theta = np.array(start, dtype=float)
    m = np.zeros_like(theta)
    points = [theta]
    for _ in range(steps):
        g = np.asarray(grad(theta), dtype=float)
        c = beta1 * m + (1 - beta1) * g
        theta = theta - lr * (np.sign(c) + wd * theta)
        m = beta2 * m + (1 - beta2) * g
        points.append(theta)
    return np.array(points)


# Optimizers torch.optim lacks, each held to its paper's rule written out in this file.
BY_HAND = {"lion": lion_trajectory}


def label(opt: Optimizer) -> str:
    """An optimizer with every hyperparameter torch is given (a float lr), as a reference name."""
    hyper = sorted((k, v) for k, v in opt.hyper.items() if k != "convention")
    return f"{opt.name}({', '.join(f'{k}={v!r}' for k, v in hyper)})"


def torch_trajectory(opt: Optimizer, grad, start, steps=STEPS, scheduler=None) -> np.ndarray:
    """The same run in torch.optim (float64), with an optional lr_scheduler stepped each step
    (``scheduler(torch.optim.lr_scheduler, optimizer)`` builds it); ``grad`` maps θ (a 1-D
    array) to ∇L, or is a 2-D surface.

    torch gets the surface's own gradient: autograd's differs in the last bit (another order of
    products), and on Rosenbrock's curved valley such differences grow past 1e-9 in 200 steps.
    """
    import torch

    if hasattr(grad, "grad"):
        surface = grad
        grad = lambda theta: surface.grad(*theta)  # noqa: E731
    p = torch.tensor(start, dtype=torch.float64)
    hyper = {k: v for k, v in opt.hyper.items() if k != "convention"}
    torch_opt = getattr(torch.optim, TORCH[opt.name])([p], **hyper)
    sched = scheduler(torch.optim.lr_scheduler, torch_opt) if scheduler else None
    points = [p.clone()]
    for _ in range(steps):
        p.grad = torch.from_numpy(np.asarray(grad(p.numpy()), dtype=float))
        torch_opt.step()
        if sched:
            sched.step()
        points.append(p.clone())
    return torch.stack(points).numpy()


@pytest.mark.parametrize("surface_name", SURFACES)
def test_trajectories_match_torch(surface_name):
    surface, start = SURFACES[surface_name]
    lrs = LRS[surface_name]
    opts = [make_optimizer(n, lr=lrs[FAMILY.get(n, n)], **h) for n, h in CONFIGS]
    # mixed batches of different optimizers: the vectorized path is the one under test
    trajs = [t for i in range(0, len(opts), 16) for t in simulate_many(
        surface, opts[i : i + 16], [start] * len(opts[i : i + 16]), STEPS)]  # fmt: skip
    for opt, traj, config in zip(opts, trajs, CONFIGS, strict=True):
        assert traj.diverged_at is None, config
        assert np.linalg.norm(traj.points[-1] - start) > 0.05, config
        if opt.name in BY_HAND:
            expected = BY_HAND[opt.name](opt, surface, start)
        else:
            compute = partial(torch_trajectory, opt, surface, start)
            expected = reference(f"{surface_name}/{label(opt)}", compute)
        np.testing.assert_allclose(
            traj.points, expected, rtol=1e-9, atol=1e-12, err_msg=str(config)
        )


# The lecture's conventions have no torch counterpart: each is held to its own formula
# (LECTURE.md parts 2 and 3), written out plainly in lecture_trajectory.
LECTURE_CONFIGS = [
    ("sgd", {"convention": "lecture"}),
    ("momentum", {"convention": "lecture"}),
    ("momentum", {"convention": "lecture", "momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {"convention": "lecture"}),
    ("adagrad", {"convention": "lecture", "lr_decay": 0.01, "eps": 1e-3}),
    ("rmsprop", {"convention": "lecture"}),
    ("rmsprop", {"convention": "lecture", "alpha": 0.9, "weight_decay": 0.1}),
]


def lecture_trajectory(opt: Optimizer, surface, start, steps=STEPS) -> np.ndarray:
    """The lecture's update rules, one step at a time: momentum m ← λm − ηg, θ ← θ + m;
    Adagrad θ ← θ − η/(1 + t·lr_decay)·g/(√(mean of past g²) + ε); RMSProp σ⁰ = |g⁰|,
    σᵗ = √(α(σᵗ⁻¹)² + (1 − α)(gᵗ)²), θ ← θ − η·g/(σ + ε); g includes L2 weight decay."""
    h = opt.hyper
    theta, m, squares, sigma2 = np.array(start, dtype=float), 0.0, [], None
    points = [theta]
    for t in range(steps):
        g = surface.grad(*theta) + h["weight_decay"] * theta
        if opt.name in ("sgd", "momentum"):
            m = h["momentum"] * m - h["lr"] * g
            theta = theta + m
        elif opt.name == "adagrad":
            squares.append(g * g)
            sigma = np.sqrt(np.mean(squares, axis=0)) + h["eps"]
            theta = theta - h["lr"] / (1 + t * h["lr_decay"]) * g / sigma
        else:
            sigma2 = g * g if t == 0 else h["alpha"] * sigma2 + (1 - h["alpha"]) * g * g
            theta = theta - h["lr"] * g / (np.sqrt(sigma2) + h["eps"])
        points.append(theta)
    return np.array(points)


@pytest.mark.parametrize("surface_name", SURFACES)
def test_lecture_conventions_follow_the_lecture_formulas(surface_name):
    surface, start = SURFACES[surface_name]
    lrs = LRS[surface_name]
    opts = [make_optimizer(n, lr=lrs[FAMILY.get(n, n)], **h) for n, h in LECTURE_CONFIGS]
    trajs = simulate_many(surface, opts, [start] * len(opts), STEPS)
    for opt, traj, config in zip(opts, trajs, LECTURE_CONFIGS, strict=True):
        assert traj.diverged_at is None, config
        assert np.linalg.norm(traj.points[-1] - start) > 0.05, config
        expected = lecture_trajectory(opt, surface, start)
        np.testing.assert_allclose(traj.points, expected, rtol=1e-9, atol=1e-12,
                                   err_msg=str(config))  # fmt: skip


def test_the_reference_tables_cover_every_optimizer_and_convention():
    """A new optimizer (or convention) cannot slip in untested: it must join CONFIGS (torch, or
    its paper's rule) or LECTURE_CONFIGS (the lecture's formulas), TORCH or BY_HAND, and have a
    rate on every surface."""
    covered = {(n, h.get("convention", "pytorch")) for n, h in CONFIGS + LECTURE_CONFIGS}
    expected = {
        (n, c)
        for n in OPTIMIZERS
        for c in CONVENTIONS
        if c == "pytorch" or "convention" in make_optimizer(n).hyper
    }
    assert covered == expected
    assert set(TORCH) | set(BY_HAND) == set(OPTIMIZERS) and not set(TORCH) & set(BY_HAND)
    assert {n for n, h in CONFIGS if h.get("convention", "pytorch") != "pytorch"} == set()
    for rates in LRS.values():
        assert set(rates) == {FAMILY.get(n, n) for n in OPTIMIZERS}


def test_every_run_in_a_mixed_batch_is_that_run_alone_bit_for_bit():
    """The terms one optimizer adds to the generic rule (Adadelta's, Lion's, AMSGrad's, …) leave
    every other run of a batch untouched: each configuration among all of them ends where it ends
    alone."""
    surface, start = SURFACES["rosenbrock"]
    lrs = LRS["rosenbrock"]
    opts = [make_optimizer(n, lr=lrs[FAMILY.get(n, n)], **h) for n, h in CONFIGS]
    for i in range(0, len(opts), 16):
        batch = opts[i : i + 16]
        together = simulate_many(surface, batch, [start] * len(batch), 50)
        for opt, run in zip(batch, together, strict=True):
            assert np.array_equal(simulate(surface, opt, start, 50).points, run.points), opt.name


@pytest.mark.parametrize("surface_name", SURFACES)
def test_lion_as_the_issue_writes_it(surface_name):
    """make_optimizer("lion", lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0) against the paper's
    rule written out by hand (lion_trajectory), over 1,000 steps of η = 1e-4."""
    surface, start = SURFACES[surface_name]
    opt = make_optimizer("lion", lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0)
    run = simulate(surface, opt, start, 1000)
    assert np.linalg.norm(run.points[-1] - start) > 0.05
    np.testing.assert_allclose(run.points, lion_trajectory(opt, surface, start, 1000),
                               rtol=1e-12, atol=1e-15)  # fmt: skip


def test_every_hyperparameter_is_declared_with_its_values():
    """Each hyperparameter but lr has its own Control (a UI reads it): a label, and values the
    default lies among (a bool needs none); a pair has a part per value."""
    for name in OPTIMIZERS:
        controls = hyper_controls(name)
        defaults = {k: v for k, v in make_optimizer(name).hyper.items() if k != "lr"}
        assert list(controls) == list(defaults), name
        for key, default in defaults.items():
            control = controls[key]
            assert control.label and (control != Control(key) or key in CONTROLS), (name, key)
            parts = control.parts or (control,)
            values = default if control.parts else (default,)
            assert len(parts) == len(values), (name, key)
            for part, value in zip(parts, values, strict=True):
                if isinstance(value, bool):
                    continue
                if part.choices:
                    assert value in part.choices, (name, key)
                else:
                    assert part.low <= value <= part.high and part.step > 0, (name, key)


# (optimizer, base lr, our schedule, torch's scheduler from (lr_scheduler, optimizer), other
# hyperparameters), each named by the torch scheduler it is held to
WITH_SCHEDULES = [
    pytest.param("momentum", 0.05, schedules.step_decay(0.05, 30, 0.5),
                 lambda s, o: s.StepLR(o, 30, 0.5), {}, id="StepLR(30, 0.5)"),
    pytest.param("adam", 0.05, schedules.cosine_annealing(0.05, 150, 0.001),
                 lambda s, o: s.CosineAnnealingLR(o, 150, 0.001), {},
                 id="CosineAnnealingLR(150, 0.001)"),
    pytest.param("adagrad", 0.5, schedules.exponential_decay(0.5, 0.99),
                 lambda s, o: s.ExponentialLR(o, 0.99), {"lr_decay": 0.01},
                 id="ExponentialLR(0.99)"),
    pytest.param("rmsprop", 0.02, schedules.linear_warmup(0.02, 50, 0.1),
                 lambda s, o: s.LinearLR(o, 0.1, total_iters=50), {"momentum": 0.5},
                 id="LinearLR(0.1, total_iters=50)"),
    pytest.param("adamw", 0.05, schedules.one_cycle(0.05, STEPS),
                 lambda s, o: s.OneCycleLR(o, 0.05, total_steps=STEPS, cycle_momentum=False),
                 {"weight_decay": 0.1}, id=f"OneCycleLR(0.05, total_steps={STEPS})"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "base_lr", "schedule", "scheduler", "hyper"), WITH_SCHEDULES)
def test_scheduled_trajectories_match_torch_lr_scheduler(
    name, base_lr, schedule, scheduler, hyper, request
):
    surface, start = SURFACES["quadratic"]
    opt = make_optimizer(name, lr=schedule, **hyper)
    (traj,) = simulate_many(surface, [opt], [start], STEPS)
    base = make_optimizer(name, lr=base_lr, **hyper)
    name = f"quadratic/{label(base)}/{request.node.callspec.id}"
    expected = reference(name, partial(torch_trajectory, base, surface, start, scheduler=scheduler))
    np.testing.assert_allclose(traj.points, expected, rtol=1e-9, atol=1e-12)


# First steps worked out by hand from the published rules: θ₀ = (1, −2), g₀ = (0.5, −1),
# g₁ = (1, 1). ε is set tiny where it should not matter and large where its place is tested.
THETA, G0, G1 = np.array([1.0, -2.0]), np.array([0.5, -1.0]), np.array([1.0, 1.0])
TINY = 1e-300
HAND = [
    # plain SGD: θ ← θ − ηg
    ("sgd", {"lr": 0.1}, [0.95, -1.9], [0.85, -2.0]),
    # L2: g₀ + 0.5θ₀ = (1, −2)
    ("sgd", {"lr": 0.1, "weight_decay": 0.5}, [0.9, -1.8], None),
    # b₀ = g₀; b₁ = 0.9·b₀ + g₁ = (1.45, 0.1)
    ("momentum", {"lr": 0.1}, [0.95, -1.9], [0.95 - 0.145, -1.9 - 0.01]),
    # dampening: b₁ = 0.9·b₀ + 0.5·g₁ = (0.95, −0.4); the first buffer is g₀, undamped
    ("momentum", {"lr": 0.1, "dampening": 0.5}, [0.95, -1.9], [0.95 - 0.095, -1.9 + 0.04]),
    # nesterov: step along g + 0.9b: 1.9·g₀, then g₁ + 0.9·(1.45, 0.1) = (2.305, 1.09)
    ("nesterov", {"lr": 0.1}, [1 - 0.095, -2 + 0.19], [0.905 - 0.2305, -1.81 - 0.109]),
    # Adagrad: Σg² = (0.25, 1), then (1.25, 2)
    ("adagrad", {"lr": 0.1, "eps": TINY}, [0.9, -1.9],
     [0.9 - 0.1 / 1.25**0.5, -1.9 - 0.1 / 2**0.5]),
    # lr_decay: the second step's rate is 0.1 / (1 + 1·0.5)
    ("adagrad", {"lr": 0.1, "lr_decay": 0.5, "eps": TINY}, [0.9, -1.9],
     [0.9 - 0.1 / 1.5 / 1.25**0.5, -1.9 - 0.1 / 1.5 / 2**0.5]),
    # initial accumulator 0.75: Σg² = (1, 1.75)
    ("adagrad", {"lr": 0.1, "initial_accumulator_value": 0.75, "eps": TINY},
     [1 - 0.05, -2 + 0.1 / 1.75**0.5], None),
    # ε outside the root: 0.5/(0.5 + 0.5), −1/(1 + 0.5)
    ("adagrad", {"lr": 0.1, "eps": 0.5}, [1 - 0.05, -2 + 0.1 / 1.5], None),
    # lecture: mean of g² = (0.625, 1) at the second step, where torch's sum is (1.25, 2)
    ("adagrad", {"lr": 0.1, "eps": TINY, "convention": "lecture"}, [0.9, -1.9],
     [0.9 - 0.1 / 0.625**0.5, -1.9 - 0.1]),
    # RMSprop: v₀ = 0.01g₀² → σ = (0.05, 0.1); v₁ = 0.99v₀ + 0.01g₁² = (0.012475, 0.0199)
    ("rmsprop", {"lr": 0.01, "eps": TINY}, [0.9, -1.9],
     [0.9 - 0.01 / 0.012475**0.5, -1.9 - 0.01 / 0.0199**0.5]),
    # ε outside the root: σ = (0.05 + 0.1, 0.1 + 0.1)
    ("rmsprop", {"lr": 0.01, "eps": 0.1}, [1 - 0.005 / 0.15, -2 + 0.01 / 0.2], None),
    # centered: ḡ₀ = 0.01g₀, σ² = v₀ − ḡ₀² = (0.002475, 0.0099)
    ("rmsprop", {"lr": 0.01, "eps": TINY, "centered": True},
     [1 - 0.005 / 0.002475**0.5, -2 + 0.01 / 0.0099**0.5], None),
    # momentum: b₀ = g₀/σ₀ = (10, −10); b₁ = 0.9b₀ + g₁/σ₁
    ("rmsprop", {"lr": 0.01, "eps": TINY, "momentum": 0.9}, [0.9, -1.9],
     [0.9 - 0.01 * (9 + 1 / 0.012475**0.5), -1.9 - 0.01 * (-9 + 1 / 0.0199**0.5)]),
    # lecture: σ₀ = |g₀|, so the first step is η·sign(g₀); σ₁² = 0.99g₀² + 0.01g₁² = (0.2575, 1)
    ("rmsprop", {"lr": 0.01, "eps": TINY, "convention": "lecture"}, [0.99, -1.99],
     [0.99 - 0.01 / 0.2575**0.5, -1.99 - 0.01]),
    # Adam: m̂₀ = g₀, √v̂₀ = |g₀| → η·sign(g₀); m₁ = (0.145, 0.01), v₁ = (0.00124975, 0.001999),
    # bias corrections 1 − 0.9² = 0.19 and 1 − 0.999² = 0.001999
    ("adam", {"lr": 0.1, "eps": TINY}, [0.9, -1.9],
     [0.9 - 0.1 * (0.145 / 0.19) / (0.00124975 / 0.001999) ** 0.5,
      -1.9 - 0.1 * (0.01 / 0.19) / (0.001999 / 0.001999) ** 0.5]),
    # ε outside the bias-corrected root: g₀/(|g₀| + 0.1)
    ("adam", {"lr": 0.1, "eps": 0.1}, [1 - 0.1 * 0.5 / 0.6, -2 + 0.1 / 1.1], None),
    # L2 enters m and v: g₀ + 0.5θ₀ = (1, −2), still a sign step at first
    ("adam", {"lr": 0.1, "eps": TINY, "weight_decay": 0.5}, [0.9, -1.9], None),
    # AdamW: θ ← (1 − 0.1·0.5)θ, then the Adam step
    ("adamw", {"lr": 0.1, "eps": TINY, "weight_decay": 0.5}, [0.95 - 0.1, -1.9 + 0.1], None),
    # Adadelta, ρ = 0.5, ε = 0.01: v₀ = 0.5g₀² = (0.125, 0.5), Δ₀ = √ε/√(v₀ + ε)·g₀;
    # a₀ = 0.5Δ₀²; v₁ = 0.5v₀ + 0.5g₁² = (0.5625, 0.75), Δ₁ = √(a₀ + ε)/√(v₁ + ε)·g₁
    ("adadelta", {"lr": 1.0, "rho": 0.5, "eps": 0.01},
     [1 - 0.05 / 0.135**0.5, -2 + 0.1 / 0.51**0.5],
     [1 - 0.05 / 0.135**0.5 - ((0.5 * (0.05 / 0.135**0.5) ** 2 + 0.01) / 0.5725) ** 0.5,
      -2 + 0.1 / 0.51**0.5 - ((0.5 * (0.1 / 0.51**0.5) ** 2 + 0.01) / 0.76) ** 0.5]),
    # Adadelta's η scales Δ, and L2 enters g: g₀ + 0.5θ₀ = (1, −2), v₀ = (0.5, 2)
    ("adadelta", {"lr": 0.5, "rho": 0.5, "eps": 0.01, "weight_decay": 0.5},
     [1 - 0.5 * 0.1 / 0.51**0.5, -2 + 0.5 * 0.2 / 2.01**0.5], None),
    # Lion: m₀ = 0, so the first step is η·sign(g₀); m₀ ← 0.5g₀ = (0.25, −0.5), then
    # c₁ = 0.99m₀ + 0.01g₁ = (0.2575, −0.485): the memory outvotes g₁'s sign in y
    ("lion", {"lr": 0.1, "betas": (0.99, 0.5)}, [0.9, -1.9], [0.8, -1.8]),
    # decoupled decay: θ ← θ − η(sign(c) + λθ) = (1 − 0.1(1 + 0.5), −2 − 0.1(−1 − 1))
    ("lion", {"lr": 0.1, "weight_decay": 0.5}, [0.85, -1.8], None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "hyper", "first", "second"), HAND)
def test_first_steps_by_hand(name, hyper, first, second):
    opt = make_optimizer(name, **hyper)
    state = opt.init(THETA)
    p, state = opt.update(G0, state, THETA)
    np.testing.assert_allclose(p, first, rtol=1e-12)
    if second is not None:
        p, state = opt.update(G1, state, p)
        np.testing.assert_allclose(p, second, rtol=1e-12)


def test_adam_state_and_amsgrad_by_hand():
    # g₁ = 0 lets v shrink to 0.999v₀; AMSGrad keeps v₀ = (0.00025, 0.001)
    zero = np.zeros(2)
    for amsgrad, v in ((False, 0.999 * G0**2 * 0.001), (True, G0**2 * 0.001)):
        opt = make_optimizer("adam", lr=0.1, eps=TINY, weight_decay=0.0, amsgrad=amsgrad)
        p, state = opt.update(G0, opt.init(THETA), THETA)
        np.testing.assert_allclose(state.momentum, 0.1 * G0, rtol=1e-15)
        p, state = opt.update(zero, state, p)
        m = 0.09 * G0
        expected = np.array([0.9, -1.9]) - 0.1 * (m / 0.19) / (v / 0.001999) ** 0.5
        np.testing.assert_allclose(p, expected, rtol=1e-12)


def torch_defaults(name: str) -> dict[str, np.ndarray]:
    """torch.optim's defaults (lr included) for the hyperparameters optimizer ``name`` has."""
    import torch

    optimizer = getattr(torch.optim, TORCH[name])([torch.zeros(1, requires_grad=True)])
    keys = [key for key in make_optimizer(name).hyper if key != "convention"]
    return {key: np.asarray(optimizer.defaults[key]) for key in keys}


def test_defaults_are_torch_defaults():
    for name in TORCH:
        opt = make_optimizer(name)
        theirs = reference(f"defaults/{name}", partial(torch_defaults, name))
        for key, value in opt.hyper.items():
            if key == "convention":
                assert value == "pytorch"
            elif not (name in ("momentum", "nesterov") and key in ("momentum", "nesterov")):
                assert np.array_equal(value, theirs[key]), (name, key)
    assert make_optimizer("momentum").hyper["momentum"] == 0.9
    nesterov = {
        "lr": 1e-3,
        "momentum": 0.9,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": True,
    }
    assert make_optimizer("nesterov").hyper == nesterov
    # Lion has no torch class: its paper's β (lr and λ are tuned per task; these are the issue's)
    assert make_optimizer("lion").hyper == {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0}


@pytest.mark.parametrize(
    ("name", "hyper", "match"),
    [
        ("sgdd", {}, "unknown optimizer 'sgdd'"),
        ("adam", {"momentum": 0.9}, "adam has no hyperparameter 'momentum'"),
        ("sgd", {"lr": -0.1}, "lr=-0.1"),
        ("sgd", {"lr": float("nan")}, "lr=nan"),
        ("sgd", {"lr": "fast"}, "lr='fast'"),
        ("sgd", {"momentum": -0.5}, "momentum=-0.5"),
        ("sgd", {"weight_decay": -1.0}, "weight_decay"),
        ("sgd", {"nesterov": True}, "Nesterov momentum requires momentum > 0"),
        ("nesterov", {"dampening": 0.1}, "zero dampening"),
        ("momentum", {"dampening": 1.5}, "dampening"),
        ("adam", {"betas": (1.0, 0.999)}, "beta1 must lie in"),
        ("adam", {"betas": (0.9, -0.1)}, "beta2 must lie in"),
        ("adamw", {"betas": 0.9}, "pair"),
        ("adam", {"eps": 0.0}, "eps=0.0"),
        ("adam", {"amsgrad": 1}, "amsgrad"),
        ("adagrad", {"lr_decay": -0.1}, "lr_decay"),
        ("adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        ("adagrad", {"convention": "keras"}, "convention"),
        ("adagrad", {"convention": "lecture", "initial_accumulator_value": 0.1}, "lecture"),
        ("rmsprop", {"alpha": 1.5}, "alpha"),
        ("rmsprop", {"centered": True, "convention": "lecture"}, "lecture"),
        ("rmsprop", {"momentum": float("inf")}, "momentum"),
        ("adadelta", {"rho": 1.5}, "rho=1.5"),
        ("adadelta", {"eps": 0.0}, "eps=0.0"),
        ("lion", {"betas": (0.9, 1.0)}, "beta2 must lie in"),
        ("lion", {"eps": 1e-8}, "lion has no hyperparameter 'eps'"),
    ],
)
def test_invalid_hyperparameters_raise(name, hyper, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(")):
        make_optimizer(name, **hyper)


def test_invalid_schedule_values_raise_when_used():
    opt = make_optimizer("sgd", lr=lambda t: 0.1 - 0.01 * t)
    with pytest.raises(ValueError, match=r"lr must be finite and >= 0.*step 11"):
        simulate_many(Quadratic(), [opt], [(1.0, 1.0)], 20)


def test_lecture_momentum_first_steps_by_hand():
    """m⁰ = 0, mᵗ⁺¹ = λmᵗ − ηgᵗ, θᵗ⁺¹ = θᵗ + mᵗ⁺¹ (LECTURE.md part 2), on L = ½(x² + 4y²)."""
    opt = make_optimizer("momentum", lr=0.1, momentum=0.5, convention="lecture")
    theta = np.array([1.0, 1.0])
    state = opt.init(theta)
    g0 = np.array([1.0, 4.0])
    theta1, state = opt.update(g0, state, theta)
    m1 = -0.1 * g0
    np.testing.assert_allclose(theta1, theta + m1, rtol=1e-15)
    g1 = theta1 * np.array([1.0, 4.0])
    theta2, _ = opt.update(g1, state, theta1)
    np.testing.assert_allclose(theta2, theta1 + (0.5 * m1 - 0.1 * g1), rtol=1e-15)


def test_lecture_momentum_is_torch_momentum_at_constant_lr_and_not_under_a_schedule():
    surface, start = SURFACES["rosenbrock"]
    torch_form = make_optimizer("momentum", lr=5e-4)
    lecture = make_optimizer("momentum", lr=5e-4, convention="lecture")
    same = simulate_many(surface, [torch_form, lecture], [start, start], STEPS)
    np.testing.assert_allclose(same[1].points, same[0].points, rtol=1e-12)

    decay = schedules.step_decay(5e-4, step_size=20, gamma=0.1)
    torch_sched = make_optimizer("momentum", lr=decay)
    lecture_sched = make_optimizer("momentum", lr=decay, convention="lecture")
    runs = simulate_many(surface, [torch_sched, lecture_sched], [start, start], 40)
    # Right after the decay at step 20 torch shrinks the remembered direction ten-fold at once;
    # the lecture's m still carries its past steps at full size, so it moves much further.
    torch_move = np.linalg.norm(runs[0].points[22] - runs[0].points[21])
    lecture_move = np.linalg.norm(runs[1].points[22] - runs[1].points[21])
    assert lecture_move > 3 * torch_move
    # and the lecture run follows its own recurrence, written out here
    theta, m = np.array(start, dtype=float), np.zeros(2)
    for t in range(40):
        m = 0.9 * m - decay(t) * surface.grad(*theta)
        theta = theta + m
    np.testing.assert_allclose(runs[1].points[-1], theta, rtol=1e-12)


@pytest.mark.parametrize("bad", [{"nesterov": True}, {"dampening": 0.5}])
def test_lecture_momentum_refuses_what_the_lecture_lacks(bad):
    with pytest.raises(ValueError, match="lecture"):
        make_optimizer("sgd", momentum=0.9, convention="lecture", **bad)
