"""Schedules against torch.optim.lr_scheduler's lr sequences (1e-12), the Transformer paper's
formula, vectorization, the registry a UI builds controls from, and parameter checks."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from reference import reference

from optimizers import schedules
from optimizers.schedules import SCHEDULES, make_schedule, schedule_params

N = 400


def torch_lrs(base_lr: float, make_scheduler, steps: int = N) -> np.ndarray:
    """The lr torch's optimizer uses at each step: the group lr after t scheduler steps
    (``make_scheduler(torch.optim.lr_scheduler, optimizer)`` builds the scheduler)."""
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    sched = make_scheduler(torch.optim.lr_scheduler, opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs)


CASES = [  # (ours, base lr, torch scheduler from (lr_scheduler, optimizer), steps), named by it
    pytest.param(schedules.constant(0.3), 0.3, lambda s, o: s.ConstantLR(o, factor=1.0), N,
                 id="0.3-ConstantLR(factor=1.0)"),
    pytest.param(schedules.step_decay(0.5, 37), 0.5, lambda s, o: s.StepLR(o, 37), N,
                 id="0.5-StepLR(37)"),
    pytest.param(schedules.step_decay(0.2, 10, 0.7), 0.2, lambda s, o: s.StepLR(o, 10, 0.7), N,
                 id="0.2-StepLR(10, 0.7)"),
    pytest.param(schedules.exponential_decay(0.1, 0.99), 0.1,
                 lambda s, o: s.ExponentialLR(o, 0.99), N, id="0.1-ExponentialLR(0.99)"),
    pytest.param(schedules.cosine_annealing(0.1, 100), 0.1,
                 lambda s, o: s.CosineAnnealingLR(o, 100), N, id="0.1-CosineAnnealingLR(100)"),
    pytest.param(schedules.cosine_annealing(0.1, 150, 0.01), 0.1,
                 lambda s, o: s.CosineAnnealingLR(o, 150, 0.01), N,
                 id="0.1-CosineAnnealingLR(150, 0.01)"),
    pytest.param(schedules.linear_warmup(0.1, 50), 0.1,
                 lambda s, o: s.LinearLR(o, total_iters=50), N, id="0.1-LinearLR(total_iters=50)"),
    pytest.param(schedules.linear_warmup(0.1, 20, 0.05), 0.1,
                 lambda s, o: s.LinearLR(o, 0.05, total_iters=20), N,
                 id="0.1-LinearLR(0.05, total_iters=20)"),
    pytest.param(schedules.warmup_cosine(0.1, 40, N), 0.1, lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, 1 / 40, total_iters=40), s.CosineAnnealingLR(o, N - 40)], [40]), N,
                 id=f"0.1-SequentialLR(LinearLR(1/40, 40), CosineAnnealingLR({N - 40}))"),
    pytest.param(schedules.warmup_cosine(0.1, 7, 100, 0.02), 0.1, lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, 1 / 7, total_iters=7), s.CosineAnnealingLR(o, 93, 0.02)], [7]), 101,
                 id="0.1-SequentialLR(LinearLR(1/7, 7), CosineAnnealingLR(93, 0.02))"),
    pytest.param(schedules.one_cycle(0.2, N), 0.2,
                 lambda s, o: s.OneCycleLR(o, 0.2, N, cycle_momentum=False), N,
                 id=f"0.2-OneCycleLR(0.2, {N})"),
    pytest.param(schedules.one_cycle(0.5, 120, 0.25, 10.0, 100.0, "linear"), 0.5,
                 lambda s, o: s.OneCycleLR(o, 0.5, 120, pct_start=0.25, anneal_strategy="linear",
                                           div_factor=10.0, final_div_factor=100.0,
                                           cycle_momentum=False), 120,
                 id="0.5-OneCycleLR(0.5, 120, 0.25, linear, 10.0, 100.0)"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "base_lr", "make_scheduler", "steps"), CASES)
def test_equals_torch_lr_scheduler(schedule, base_lr, make_scheduler, steps, request):
    name = f"{request.node.callspec.id}/{steps}"
    expected = reference(name, partial(torch_lrs, base_lr, make_scheduler, steps))
    t = np.arange(steps)
    np.testing.assert_allclose(schedule(t), expected, rtol=1e-12, atol=1e-12 * base_lr)
    # vectorized and scalar calls agree exactly
    assert [schedule(int(i)) for i in t[::17]] == list(schedule(t)[::17])


def test_noam_is_the_transformer_formula():
    # Vaswani et al. (2017), eq. 3: lrate = d^−0.5 · min(step^−0.5, step · warmup^−1.5)
    schedule = schedules.noam(512, 4000)
    assert schedule(0) == pytest.approx(512**-0.5 * 4000**-1.5, rel=1e-15)
    assert schedule(3999) == pytest.approx(1 / math.sqrt(512 * 4000), rel=1e-15)  # the peak
    assert schedule(15999) == pytest.approx(0.5 / math.sqrt(512 * 4000), rel=1e-15)  # 4× later
    lrs = schedule(np.arange(10_000))
    assert int(np.argmax(lrs)) == 3999
    assert np.all(np.diff(lrs[:4000]) > 0) and np.all(np.diff(lrs[4000:]) < 0)
    assert schedules.noam(64, 10, factor=2.0)(5) == pytest.approx(2 * 64**-0.5 * 6 * 10**-1.5)


def test_past_the_end():
    assert schedules.one_cycle(0.2, 100)(500) == schedules.one_cycle(0.2, 100)(99)
    assert schedules.one_cycle(0.2, 100)(99) == pytest.approx(0.2 / 25 / 1e4, rel=1e-12)
    assert schedules.warmup_cosine(0.1, 10, 100, 0.01)(np.arange(100, 200)).tolist() == [0.01] * 100


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_registry_describes_each_schedule(name):
    params = schedule_params(name)
    assert [p.name for p in params] == list(SCHEDULES[name].__code__.co_varnames[: len(params)])
    for p in params:
        if p.choices:
            assert p.default in p.choices
        else:
            assert p.low <= p.default <= p.high, p
    schedule = make_schedule(name)
    lrs = schedule(np.arange(3000))
    assert lrs.shape == (3000,) and np.all(np.isfinite(lrs)) and np.all(lrs >= 0)
    assert SCHEDULES[name].__doc__ and "torch" in SCHEDULES[name].__doc__


def test_registry_lists_every_schedule():
    assert set(SCHEDULES) == {"constant", "step_decay", "exponential_decay", "cosine_annealing",
                              "linear_warmup", "warmup_cosine", "noam", "one_cycle"}  # fmt: skip


def test_make_schedule_uses_given_parameters():
    assert make_schedule("step_decay", lr=1.0, step_size=2, gamma=0.5)(5) == 0.25


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("warp", {}, "unknown schedule 'warp'"),
        ("noam", {"lr": 0.1}, "has no parameter 'lr'"),
        ("constant", {"lr": -1.0}, "lr must be"),
        ("constant", {"lr": math.inf}, "lr must be"),
        ("step_decay", {"step_size": 0}, "step_size"),
        ("step_decay", {"step_size": 2.5}, "step_size"),
        ("step_decay", {"gamma": 0.0}, "gamma"),
        ("exponential_decay", {"gamma": 1.5}, "gamma"),
        ("cosine_annealing", {"t_max": 0}, "t_max"),
        ("cosine_annealing", {"lr": 0.1, "eta_min": 0.5}, "eta_min"),
        ("linear_warmup", {"start_factor": 0.0}, "start_factor"),
        ("warmup_cosine", {"warmup_steps": 2000, "total_steps": 1000}, "warmup_steps"),
        ("noam", {"factor": 0.0}, "factor"),
        ("noam", {"d_model": 0}, "d_model"),
        ("one_cycle", {"pct_start": 0.0}, "pct_start"),
        ("one_cycle", {"pct_start": 1.0}, "pct_start"),
        ("one_cycle", {"anneal_strategy": "exp"}, "anneal_strategy"),
        ("one_cycle", {"div_factor": 0.0}, "div_factor"),
    ],
)
def test_invalid_parameters_raise(name, params, match):
    with pytest.raises(ValueError, match=match):
        make_schedule(name, **params)


@pytest.mark.parametrize("step", [-1, np.array([0, -3]), 1.5, np.array([0.5])])
def test_steps_must_be_non_negative_integers(step):
    with pytest.raises(ValueError, match="step"):
        schedules.exponential_decay(0.1, 0.9)(step)


# where each schedule's base rate is reached (from_rate's docstring), for the parameters below
RATE_AT = {
    "constant": ({}, 0),
    "step_decay": ({"step_size": 10}, 0),
    "exponential_decay": ({"gamma": 0.99}, 0),
    "cosine_annealing": ({"t_max": 100}, 0),
    "linear_warmup": ({"warmup_steps": 25}, 25),
    "warmup_cosine": ({"warmup_steps": 25, "total_steps": 200}, 25),
    "noam": ({"d_model": 64, "warmup_steps": 40}, 39),
    "one_cycle": ({"total_steps": 200, "pct_start": 0.3}, 59),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_from_rate_reaches_the_rate_where_its_docstring_says(name):
    params, step = RATE_AT[name]
    schedule = schedules.from_rate(name, 0.037, **params)
    assert schedule(step) == pytest.approx(0.037, rel=1e-15)
    lrs = schedule(np.arange(300))
    assert lrs.max() == pytest.approx(0.037, rel=1e-15)  # the base rate is never exceeded
    if name in ("noam", "one_cycle"):  # the peak
        assert int(np.argmax(lrs)) == step and np.all(np.diff(lrs[: step + 1]) > 0)


def test_from_rate_noam_is_the_transformer_formula_scaled_to_peak_at_lr():
    # the peak of d^−0.5·min(s^−0.5, s·W^−1.5) is at s = W, worth (d·W)^−0.5
    lr, d, w = 0.002, 512, 4000
    ours = schedules.from_rate("noam", lr, d_model=d, warmup_steps=w)
    t = np.arange(10_000)
    s = t + 1.0
    closed = lr * math.sqrt(d * w) * d**-0.5 * np.minimum(s**-0.5, s * w**-1.5)
    np.testing.assert_allclose(ours(t), closed, rtol=1e-13)
    assert int(np.argmax(ours(t))) == w - 1
    # the same bits as the factor written out (what links made before from_rate reproduce)
    assert np.array_equal(ours(t), schedules.noam(d, w, lr * (d * w) ** 0.5)(t))


def test_from_rate_sets_the_rate_parameter_itself():
    assert [schedules.rate_param(n) for n in ("constant", "one_cycle", "noam")] == [
        "lr", "max_lr", "factor"]  # fmt: skip
    with pytest.raises(ValueError, match="max_lr"):
        schedules.from_rate("one_cycle", 0.1, max_lr=0.2)
    with pytest.raises(ValueError, match="unknown schedule"):
        schedules.from_rate("warp", 0.1)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_shape_params_are_exactly_the_parameters_that_change_a_schedule_at_a_given_rate(name):
    """A control for each shape parameter (ui.controls.schedule_picker), none for the others:
    moving a shape parameter changes η_t, moving any other one does not."""
    base, _ = RATE_AT[name]
    shape = {param.name for param in schedules.shape_params(name)}
    steps = np.arange(300)
    rates = schedules.from_rate(name, 0.037, **base)(steps)
    for param in schedules.schedule_params(name):
        if param.name == schedules.rate_param(name) or param.choices:
            continue  # from_rate refuses the rate itself; a choice is a shape (checked below)
        value = base.get(param.name, param.default)
        moved = min(param.high, value * 2 if value else 0.01)  # 0.01: below the rate
        if param.integer:
            moved = int(moved)
        changed = schedules.from_rate(name, 0.037, **base | {param.name: moved})(steps)
        assert (np.max(np.abs(changed - rates)) > 1e-12) == (param.name in shape), param.name
    assert {p.name for p in schedules.schedule_params(name) if p.choices} <= shape
