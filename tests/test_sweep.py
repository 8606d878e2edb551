"""sweep: thousands of runs together, each BIT-IDENTICAL to its own simulate (final point, loss,
gradient, lowest loss, target step, divergence), on surfaces that use exp/sin/cos/log and on a
data surface with minibatches; basins against Himmelblau's published minima; its limits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_simulate import MIX, Quadratic

from optimizers import make_optimizer, schedules, simulate, simulate_many, sweep
from optimizers.simulate import MAX_RUNS as SIMULATE_MAX_RUNS
from optimizers.sweep import DIVERGED, MAX_RUNS, NOT_CONVERGED, UNDEFINED, WORK_BUDGET
from surfaces import get_surface

OPTIMIZERS = [
    *MIX,
    make_optimizer("rmsprop", lr=0.02, convention="lecture"),
    make_optimizer("adam", lr=schedules.noam(64, 30, 0.05)),
    make_optimizer("sgd", lr=2.0),  # diverges on most of these surfaces
]
CASES = [  # surface, batch_size, steps
    ("ackley", None, 150),
    ("himmelblau", None, 150),
    ("six_hump_camel", None, 150),
    ("rbf_neuron", 4, 150),
]


def grid_of_starts(surface, runs: int, seed: int = 0) -> np.ndarray:
    """``runs`` starts spread over the domain; Ackley's first is its kink at the origin."""
    (x0, x1), (y0, y1) = surface.domain
    starts = np.random.default_rng(seed).uniform((x0, y0), (x1, y1), (runs, 2))
    if surface.key == "ackley":
        starts[0] = 0.0
    return starts


def assert_summary_is_simulate(summary, r, traj, target):
    assert np.array_equal(summary.points[r], traj.points[-1])
    assert summary.losses[r] == traj.losses[-1]
    assert np.array_equal(summary.grad_norms[r], np.hypot(*traj.grads[-1]), equal_nan=True)
    assert summary.best_losses[r] == traj.losses.min()
    assert summary.best_steps[r] == traj.losses.argmin()
    hits = np.flatnonzero(traj.losses <= target)
    assert summary.reached_at[r] == (int(hits[0]) if len(hits) else None)
    assert summary.diverged_at[r] == traj.diverged_at
    assert summary.undefined_at[r] == traj.undefined_at


@pytest.mark.parametrize(("key", "batch_size", "steps"), CASES)
@pytest.mark.parametrize("runs", [1, 7, 64, 3600])
def test_every_run_is_bit_identical_to_its_own_simulate(key, batch_size, steps, runs):
    surface = get_surface(key)
    starts = grid_of_starts(surface, runs)
    opts = [OPTIMIZERS[r % len(OPTIMIZERS)] for r in range(runs)]
    losses = surface.f(starts[:, 0], starts[:, 1])
    target = float(np.quantile(losses, 0.1))  # reached by some runs, not all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = sweep(surface, opts, starts, steps, batch_size=batch_size, seed=3,
                        target=target)  # fmt: skip
    assert summary.points.shape == (runs, 2) and summary.losses.shape == (runs,)
    # every run of the small batches; of 3,600: the stopped ones and a spread of the others
    stopped = [
        r
        for r in range(runs)
        if summary.diverged_at[r] is not None or summary.undefined_at[r] is not None
    ]
    checked = sorted({*range(min(runs, 64)), *stopped[:20], *range(0, runs, 97), runs - 1})
    for r in checked:
        traj = simulate(surface, opts[r], starts[r], steps, batch_size=batch_size, seed=3)
        assert_summary_is_simulate(summary, r, traj, target)
    if runs >= 64:  # the batches exercise every outcome (η = 2 cannot escape Ackley or the RBF)
        assert key in ("ackley", "rbf_neuron") or any(d is not None for d in summary.diverged_at)
        assert any(r is not None for r in summary.reached_at)
        assert key != "ackley" or summary.undefined_at[0] == 0


def test_a_learning_rate_sweep_of_seven_optimizers_by_fifty_rates():
    surface = get_surface("six_hump_camel")
    names = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
    rates = np.geomspace(1e-4, 3.0, 50)
    opts = [make_optimizer(n, lr=float(lr)) for n in names for lr in rates]
    summary = sweep(surface, opts, [surface.default_start] * len(opts), 1000)
    final = summary.losses.reshape(7, 50)
    diverged = np.array([d is not None for d in summary.diverged_at]).reshape(7, 50)
    assert diverged[0].any() and not diverged[0, 0]  # SGD diverges at large η only
    best = np.where(diverged, np.inf, final).argmin(axis=1)
    for i in range(7):  # each optimizer's best η, checked against its own run
        traj = simulate(surface, opts[50 * i + best[i]], surface.default_start, 1000)
        assert traj.losses[-1] == final[i, best[i]] and traj.diverged_at is None
    assert final.min() == pytest.approx(-1.0316284535, abs=1e-6)  # the global minimum


def test_basins_of_himmelblau_against_its_published_minima():
    surface = get_surface("himmelblau")
    minima = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    starts = np.array([(2.5, 2.5), (-2.0, 2.0), (-3.0, -3.0), (3.0, -1.0), (0.0, 0.0),
                       (-0.270845, -0.923039)])  # fmt: skip
    opts = [make_optimizer("adam", lr=0.05)] * 5 + [make_optimizer("sgd", lr=1e-6)]
    summary = sweep(surface, [*opts, make_optimizer("sgd", lr=1.0)], [*starts, (4.0, 4.0)], 500)
    codes = summary.basins(minima, radius=1e-3)
    # the first four start inside the basin of the minimum beside them; the origin goes to
    # (3, 2) (computed with simulate below); the maximum with a tiny step goes nowhere
    assert codes[:4].tolist() == [0, 1, 2, 3]
    end = simulate(surface, opts[4], starts[4], 500).points[-1]
    assert codes[4] == int(np.argmin(np.linalg.norm(np.array(minima) - end, axis=1)))
    assert codes[5] == NOT_CONVERGED and codes[6] == DIVERGED
    ackley = get_surface("ackley")
    kink = sweep(ackley, [make_optimizer("adam", lr=0.1)] * 2, [(0.0, 0.0), (3.3, -2.1)], 5)
    assert kink.undefined_at == [0, None]
    assert kink.basins([(0.0, 0.0)], radius=1e-3).tolist() == [0, NOT_CONVERGED]
    assert kink.basins([(1.0, 1.0)], radius=1e-3).tolist() == [UNDEFINED, NOT_CONVERGED]


def test_memory_does_not_grow_with_steps():
    # Summaries only: the result is the same size after 10 steps or 1,000.
    surface = Quadratic()
    short, long = (sweep(surface, [MIX[0]] * 100, np.ones((100, 2)), n) for n in (10, 1000))
    assert all(np.shape(a) == np.shape(b) for a, b in zip(short, long, strict=True)), (
        "a Sweep keeps per-run summaries, never per-step arrays"
    )


@pytest.mark.parametrize(
    ("runs", "steps", "match"),
    [
        (3600, 300, None),
        (3601, 1000, "sweep: 3,601 runs × 1,000 steps = 3,601,000, over the limit"),
        (MAX_RUNS + 1, 1, "runs must be between"),
        (2, 10_001, "steps"),
    ],
)
def test_the_work_budget_is_enforced_in_the_core(runs, steps, match):
    assert WORK_BUDGET >= 3600 * 300 and WORK_BUDGET >= 350 * 1000
    opts, starts = [MIX[0]] * runs, np.zeros((runs, 2))
    if match is None:
        assert sweep(Quadratic(), opts, starts, steps).points.shape == (runs, 2)
    else:
        with pytest.raises(ValueError, match=match):
            sweep(Quadratic(), opts, starts, steps)


def test_simulate_many_keeps_its_own_limit():
    with pytest.raises(ValueError, match=f"between 1 and {SIMULATE_MAX_RUNS}"):
        simulate_many(Quadratic(), [MIX[0]] * 17, np.zeros((17, 2)), 10)
    assert SIMULATE_MAX_RUNS == 16
