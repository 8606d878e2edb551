"""Part 3's claims on the regression surface, measured from simulate() output, and the adaptive
page's figure builders against the trajectories they draw."""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import make_optimizer, schedules, simulate
from surfaces import get_surface
from viz.adaptive import (
    BURST,
    DECAY,
    WARMUP,
    Demo,
    burst,
    first_steps_figure,
    loss_grad_figure,
    sigma_figure,
    step_lengths,
)

# LECTURE.md part 3, typed in again: the reference optimum does not come from the surface module.
X = np.array([338, 333, 328, 207, 226, 25, 179, 60, 208, 606], float)
Y = np.array([640, 633, 619, 393, 428, 27, 193, 66, 226, 1591], float)
OPTIMUM = np.linalg.lstsq(np.column_stack([np.ones(10), X]), Y, rcond=None)[0]
H_WW = 2 * np.mean(X**2)  # ∂²L/∂w² of the mean squared error
SURFACE = get_surface("regression")


def run(demo: Demo, schedule: str | None = None):
    """The demo's optimizer run, as the page builds it (η through the schedule unless constant)."""
    schedule = schedule or demo.schedule
    lr = demo.lr
    if schedule != "constant":
        lr = schedules.make_schedule(schedule, lr=demo.lr, **dict(demo.schedule_params))
    hyper = {"convention": demo.convention} if demo.convention else {}
    return simulate(SURFACE, make_optimizer(demo.optimizer, lr=lr, **hyper), demo.start, demo.steps)


def after_getting_near(points: np.ndarray) -> np.ndarray:
    """|θ − θ*| per coordinate from the first point within (1, 0.1) of the optimum on."""
    offset = np.abs(points - OPTIMUM)
    near = np.flatnonzero((offset[:, 0] < 1) & (offset[:, 1] < 0.1))
    assert near.size, "the run never came near the optimum"
    return offset[near[0] :]


def test_reference_optimum_is_the_lectures():
    np.testing.assert_allclose(OPTIMUM, [-188.43, 2.669], atol=0.01)
    np.testing.assert_allclose(SURFACE.minima[0], OPTIMUM, rtol=1e-9)


def test_lecture_adagrad_bursts_after_getting_near():
    trajectory = run(BURST)
    offset = after_getting_near(trajectory.points)
    assert offset[:, 1].max() > 2.0  # thrown over a fifth of the w range (10) away
    assert trajectory.diverged_at is None


def test_decay_schedule_removes_the_burst():
    trajectory = run(DECAY)
    offset = after_getting_near(trajectory.points)
    assert offset[:, 0].max() < 1.0 and offset[:, 1].max() < 0.1
    assert offset[-1, 0] < 0.5  # and it still ends at the optimum


def test_burst_is_the_effective_step_crossing_two_over_curvature():
    for demo, crosses in ((BURST, True), (DECAY, False)):
        trajectory = run(demo)
        near = burst(trajectory.points, OPTIMUM, SURFACE.domain).near_step
        effective = trajectory.lrs[near:] / trajectory.sigmas[near:, 1]
        assert (effective.max() > 2 / H_WW) == crosses


def test_pytorch_adagrad_sigma_only_grows_the_lectures_shrinks():
    torch_sigma = run(BURST._replace(convention="pytorch")).sigmas
    lecture_sigma = run(BURST).sigmas
    assert np.all(np.diff(torch_sigma, axis=0) >= 0)
    assert lecture_sigma[-1, 1] < 0.5 * lecture_sigma[:, 1].max()


def test_adam_without_warmup_takes_a_wild_first_step():
    wild, warm = run(WARMUP, "constant"), run(WARMUP)
    # Adam's first step is η·g/|g| per coordinate (m̂ = g, √v̂ = |g|), whatever |g| is.
    g = SURFACE.grad(*WARMUP.start)
    np.testing.assert_allclose(wild.points[1] - wild.points[0], -WARMUP.lr * np.sign(g), rtol=1e-6)
    assert wild.losses[1] > 10 * wild.losses[0]
    assert warm.losses.max() < 2 * warm.losses[0]
    assert np.abs(warm.points[1] - warm.points[0]).max() < WARMUP.lr / 50


@pytest.mark.parametrize("alpha", [0.9, 0.99])
def test_rmsprop_first_step_ratio_of_the_conventions(alpha):
    steps = {
        convention: step_lengths(
            simulate(
                SURFACE, make_optimizer("rmsprop", lr=0.1, alpha=alpha, convention=convention),
                SURFACE.default_start, 3,
            ).points, 1,
        )[0]
        for convention in ("pytorch", "lecture")
    }  # fmt: skip
    np.testing.assert_allclose(steps["pytorch"] / steps["lecture"], 1 / np.sqrt(1 - alpha))
    np.testing.assert_allclose(steps["lecture"], 0.1, rtol=1e-9)  # η·g/|g|


def test_burst_measure():
    domain = ((0.0, 10.0), (0.0, 100.0))
    path = np.array([[9, 90], [5, 50], [0.05, 0.5], [0.01, 0.1], [2, 1], [0, 0]], float)
    assert burst(path, (0, 0), domain) == (2, 4, 0.2)
    assert burst(path[:2], (0, 0), domain) is None
    settled = burst(path[[0, 1, 3, 5]], (0, 0), domain)
    assert settled.near_step == 2 and settled.peak <= 0.01


def test_figures_draw_the_runs():
    trajectory = run(BURST._replace(steps=50))
    runs = [("a", trajectory)]
    sigma = sigma_figure(runs, labels=("b", "w"), limits=(1.0, 2 / H_WW))
    assert len(sigma.data) == 4 + 2
    np.testing.assert_allclose(sigma.data[1].y, trajectory.sigmas[:, 1])
    np.testing.assert_allclose(sigma.data[3].y, trajectory.lrs / trajectory.sigmas[:, 1])
    assert [tuple(trace.y) for trace in sigma.data[4:]] == [(1.0, 1.0), (2 / H_WW, 2 / H_WW)]
    loss = loss_grad_figure(runs)
    np.testing.assert_allclose(loss.data[0].y, trajectory.losses)
    np.testing.assert_allclose(
        loss.data[1].y, np.sqrt((trajectory.grads**2).sum(axis=1)), rtol=1e-12
    )
    first = first_steps_figure(runs, count=5)
    np.testing.assert_allclose(
        first.data[0].y, np.abs(trajectory.points[1:6, 0] - trajectory.points[:5, 0])
    )
