"""Part 3's claims on the regression surface, measured from simulate() output, and the adaptive
page's helpers (burst measure, figures, the diet for long runs) against what they draw."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from optimizers import make_optimizer, schedules, simulate
from surfaces import get_surface
from viz.adaptive import (
    VALLEY_START,
    burst,
    curves_figure,
    first_step,
    first_steps_figure,
    lighten,
    path_points,
    readable_log_axes,
    rises,
    sigma_figure,
    step_lengths,
    thin,
)
from viz.charts import step_curves_figure

# LECTURE.md part 3, typed in again: the reference optimum does not come from the surface module.
X = np.array([338, 333, 328, 207, 226, 25, 179, 60, 208, 606], float)
Y = np.array([640, 633, 619, 393, 428, 27, 193, 66, 226, 1591], float)
OPTIMUM = np.linalg.lstsq(np.column_stack([np.ones(10), X]), Y, rcond=None)[0]
H_WW = 2 * np.mean(X**2)  # ∂²L/∂w² of the mean squared error
SURFACE = get_surface("regression")
START = (-120.0, -4.0)


def adagrad(lr, convention: str = "lecture", steps: int = 5000, start=START):
    return simulate(SURFACE, make_optimizer("adagrad", lr=lr, convention=convention), start, steps)


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
    trajectory = adagrad(1.0)
    offset = after_getting_near(trajectory.points)
    assert offset[:, 1].max() > 2.0  # thrown over a fifth of the w range (10) away
    assert trajectory.diverged_at is None


def test_exponential_decay_removes_the_burst():
    trajectory = adagrad(schedules.exponential_decay(1.0, gamma=0.9995))
    offset = after_getting_near(trajectory.points)
    assert offset[:, 0].max() < 1.0 and offset[:, 1].max() < 0.1
    assert np.all(np.diff(trajectory.losses) <= 0)  # the loss falls at every step


def test_burst_is_the_effective_step_crossing_two_over_curvature():
    for lr, crosses in ((1.0, True), (schedules.exponential_decay(1.0, gamma=0.9995), False)):
        trajectory = adagrad(lr)
        near = burst(trajectory.points, OPTIMUM, SURFACE.domain).near_step
        effective = trajectory.lrs[near:] / trajectory.sigmas[near:, 1]
        assert (effective.max() > 2 / H_WW) == crosses


def test_pytorch_adagrad_sigma_only_grows_the_lectures_shrinks():
    summed_sigma = adagrad(1.0, "pytorch").sigmas
    lecture_sigma = adagrad(1.0).sigmas
    assert np.all(np.diff(summed_sigma, axis=0) >= 0)
    assert lecture_sigma[-1, 1] < 0.5 * lecture_sigma[:, 1].max()


def test_pytorch_adagrad_is_the_lectures_with_inverse_square_root_decay():
    """σ_sum = √(t+1)·σ_mean, so η/σ_sum = (η/√(t+1))/σ_mean: the page's claim, up to where ε
    is added."""
    decay = schedules.noam(d_model=1, warmup_steps=1, factor=10.0)  # 10·min(s^−½, s) = 10/√s
    np.testing.assert_allclose(decay(np.arange(5)), 10 / np.sqrt(np.arange(1, 6)))
    summed = adagrad(10.0, "pytorch", steps=3000).points
    lecture = adagrad(decay, steps=3000).points
    np.testing.assert_allclose(lecture, summed, rtol=1e-6)
    assert burst(summed, OPTIMUM, SURFACE.domain).bursts == 0


def test_adam_without_warmup_takes_a_wild_first_step():
    lr = 2.0
    wild = simulate(SURFACE, make_optimizer("adam", lr=lr), VALLEY_START, 600)
    warm_lr = schedules.noam(d_model=512, warmup_steps=60, factor=lr * (512 * 60) ** 0.5)
    warm = simulate(SURFACE, make_optimizer("adam", lr=warm_lr), VALLEY_START, 600)
    # Adam's first step is η·g/|g| per coordinate (m̂ = g, √v̂ = |g|), whatever |g| is.
    g = SURFACE.grad(*VALLEY_START)
    np.testing.assert_allclose(wild.points[1] - wild.points[0], -lr * np.sign(g), rtol=1e-6)
    assert wild.losses[1] > 30 * wild.losses[0]
    assert warm.losses.max() < 1.25 * warm.losses[0]
    assert warm.lrs[0] == pytest.approx(lr / 60) and np.argmax(warm.lrs) == 59
    near = [burst(run.points, OPTIMUM, SURFACE.domain).near_step for run in (wild, warm)]
    assert 3.5 <= near[0] / near[1] <= 5


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
    path = np.array([[9, 90], [5, 50], [0.05, 0.5], [0.01, 0.1], [2, 1], [0, 0], [1, 30]], float)
    assert burst(path, (0, 0), domain) == (2, 6, 0.3, 2)  # thrown away twice: 20 %, then 30 %
    assert burst(path[:2], (0, 0), domain) is None
    settled = burst(path[[0, 1, 3, 5]], (0, 0), domain)
    assert settled.near_step == 2 and settled.peak <= 0.01 and settled.bursts == 0


def test_first_step_and_rises():
    assert first_step(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])) == 5.0
    assert first_step(np.array([[1.0, 1.0]])) is None  # stopped before its first step
    assert rises(np.array([3.0, 2.0, 2.0, 2.5, 1.0, 1.5])) == 2


def test_thin_keeps_the_ends_and_every_spike():
    values = np.random.default_rng(0).random(10_000)
    values[1234], values[8765] = 50.0, -50.0  # one-step spikes
    values[5000:5100] = np.nan  # a gap
    keep = thin(values, 400)
    assert len(keep) <= 400 + 2 and keep[0] == 0 and keep[-1] == len(values) - 1
    assert {1234, 8765} <= set(keep)
    assert (np.diff(keep) > 0).all()
    np.testing.assert_array_equal(thin(values[:300], 400), np.arange(300))


def test_path_points_keep_a_crawl_short_and_a_bounce_a_band():
    domain = ((0.0, 1.0), (0.0, 1.0))
    crawl = np.column_stack([np.linspace(0.1, 0.2, 5000), np.full(5000, 0.5)])
    keep = path_points(crawl, domain, cells=600)
    assert keep[0] == 0 and keep[-1] == 4999 and len(keep) <= 0.1 * 600 + 2
    bounce = np.column_stack([np.linspace(0.1, 0.9, 5000), 0.5 + 0.2 * (-1) ** np.arange(5000)])
    keep = path_points(bounce, domain, cells=600, max_points=1000)
    assert len(keep) <= 1002
    sides = np.sign(bounce[keep[:-1], 1] - 0.5)
    assert (sides > 0).any() and (sides < 0).any()  # both sides of the band are still drawn


def test_lighten_sends_float32_and_fewer_points_of_the_same_curves():
    values = np.linspace(1, 2, 3000) ** 3
    figure = lighten(go.Figure([go.Scatter(y=values), go.Scatter(y=values[:10])]), max_points=300)
    long, short = figure.data
    assert long.y.dtype == np.float32 and len(long.y) <= 302
    np.testing.assert_allclose(long.y, values[long.x], rtol=1e-6)  # x is the step
    assert short.x is None and len(short.y) == 10
    path = go.Scatter(x=np.linspace(0, 1e-6, 4000), y=np.zeros(4000), meta=dict(role="path"))
    figure = lighten(go.Figure([path]), domain=((0.0, 1.0), (-1.0, 1.0)))
    assert figure.data[0].x.dtype == np.float32 and len(figure.data[0].x) == 2  # start and end


def test_log_axes_keep_a_few_readable_labels_per_panel():
    figure = step_curves_figure([("a", [("r", np.logspace(-12, 6, 50))]),
                                 ("b", [("r", np.logspace(0, 2, 50))]),
                                 ("c", [("r", np.linspace(1.15e6, 1.3e6, 50))]),
                                 ("d", [("r", np.linspace(1.001, 1.002, 50))])],
                                log_y=[True] * 4)  # fmt: skip
    layout = readable_log_axes(figure, per_panel=3).layout
    assert layout.yaxis.dtick == 6 and layout.yaxis2.dtick == 1  # every 6 decades, every one
    assert list(layout.yaxis3.ticktext) == ["1.2×10⁶", "1.3×10⁶"]  # not 1.2e+6
    assert layout.yaxis3.tickformat is None
    labels = list(layout.yaxis4.ticktext)  # as many digits as it takes to tell them apart
    assert len(labels) >= 2 and len(set(labels)) == len(labels) and labels[0] == "1.001"


def test_figures_draw_the_runs():
    trajectory = adagrad(1.0, steps=50)
    runs = [("1: a", trajectory)]
    floor = float(SURFACE.f(*OPTIMUM))
    sigma = sigma_figure(runs, labels=("b", "w"), limits=(1.0, 2 / H_WW))
    titles = [a.text for a in sigma.layout.annotations]
    assert titles == ["σ<sub>b</sub>", "σ<sub>w</sub>", "effective step η/σ<sub>b</sub>",
                      "effective step η/σ<sub>w</sub>"]  # fmt: skip
    by_axis = {trace.yaxis: trace for trace in sigma.data if not trace.meta}
    np.testing.assert_allclose(by_axis["y2"].y, trajectory.sigmas[:, 1], rtol=1e-6)
    np.testing.assert_allclose(by_axis["y4"].y, trajectory.lrs / trajectory.sigmas[:, 1],
                               rtol=1e-6)  # fmt: skip
    limits = [trace for trace in sigma.data if trace.meta]
    assert [(t.yaxis, tuple(t.y)) for t in limits] == [("y3", (1.0, 1.0)),
                                                        ("y4", (2 / H_WW, 2 / H_WW))]  # fmt: skip
    curves = curves_figure(runs, floor, lr=True)
    assert [a.text for a in curves.layout.annotations] == [
        "learning rate ηᵗ", "loss − L* (L* = 1.019×10⁴)", "gradient norm ‖g‖"]  # fmt: skip
    lr, loss, grad = curves.data
    np.testing.assert_allclose(lr.y, trajectory.lrs)
    np.testing.assert_allclose(loss.y, trajectory.losses - floor, rtol=1e-9)
    np.testing.assert_allclose(grad.y, np.sqrt((trajectory.grads**2).sum(axis=1)), rtol=1e-12)
    first = first_steps_figure(runs, labels=("b", "w"), count=5)
    np.testing.assert_allclose(
        first.data[0].y, np.abs(trajectory.points[1:6, 0] - trajectory.points[:5, 0])
    )


def test_first_jump_is_where_the_loss_first_exceeds_twice_its_lowest_so_far():
    from viz.adaptive import first_jump

    assert first_jump(np.array([8.0, 4.0, 2.0, 3.9, 4.1, 100.0])) == 4  # 4.1 > 2·2, 3.9 is not
    assert first_jump(np.array([5.0, 4.0, 3.0, 3.0])) is None  # only falls, or holds
    assert first_jump(np.array([1.0, 2.0, 2.5]), factor=2.0) == 2  # 2 is not more than 2·1
