"""Part 2's surfaces (surfaces/networks.py) and figures (viz/momentum.py) against independent
references: torch autograd for the RBF neuron, brentq for the double well, hand-written update
loops for the momentum forms."""

from functools import partial

import numpy as np
import pytest
from reference import reference
from scipy.optimize import brentq

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from viz.momentum import (
    minibatch_figure,
    momentum_step_figure,
    past_gradient_weights,
    path_gap,
    step_parts,
    weights_figure,
)

RBF = get_surface("rbf_neuron")
WELL = get_surface("double_well")


def _dataset():
    """The data as the declaration describes it: 40 points from default_rng(5)."""
    rng = np.random.default_rng(5)
    u = rng.uniform(-4.0, 4.0, 40)
    t = np.exp(-((u - 1.25) ** 2)) + 0.6 * np.exp(-((u + 1.25) ** 2))
    return u, t + 0.05 * rng.standard_normal(40)


def torch_rbf(ws: np.ndarray, idx=slice(None)) -> dict[str, np.ndarray]:
    """The neuron's MSE mean((t − w₂·exp(−(u − w₁)²))²) over the samples ``idx`` of _dataset, its
    gradient and Hessian at each w of a stack, by torch autograd (float64)."""
    import torch

    u, t = (torch.tensor(a[idx]) for a in _dataset())

    def loss(w):
        return torch.mean((t - w[1] * torch.exp(-((u - w[0]) ** 2))) ** 2)

    values, grads, hessians = [], [], []
    for row in ws:
        w = torch.tensor(row, requires_grad=True)
        value = loss(w)
        values.append(value.item())
        grads.append(torch.autograd.grad(value, w)[0].numpy())
        hessians.append(torch.autograd.functional.hessian(loss, w.detach()).numpy())
    return {"loss": np.array(values), "grad": np.array(grads), "hessian": np.array(hessians)}


def test_rbf_neuron_matches_torch_on_its_own_dataset():
    rng = np.random.default_rng(0)
    u, t = _dataset()
    assert RBF.n_samples == len(u) == len(t) == 40
    (x0, x1), (y0, y1) = RBF.domain
    ws = rng.uniform([x0, y0], [x1, y1], size=(5, 2))
    idx = np.array([3, 17, 29])
    full = reference("uniform(0)", partial(torch_rbf, ws))
    batch = reference("uniform(0)/[3, 17, 29]", partial(torch_rbf, ws, idx))
    for i, w in enumerate(ws):
        assert RBF.f(*w) == pytest.approx(full["loss"][i], rel=1e-12)
        np.testing.assert_allclose(RBF.grad(*w), full["grad"][i], rtol=1e-10, atol=1e-14)
        assert RBF.batch_loss(*w, idx) == pytest.approx(batch["loss"][i], rel=1e-12)


@pytest.mark.parametrize("kind_x_y", RBF.known_critical, ids=lambda c: c[0])
def test_rbf_neuron_declared_critical_points_are_critical_for_torch(kind_x_y):
    kind, x, y = kind_x_y
    theirs = reference(f"{kind}({x!r}, {y!r})", partial(torch_rbf, np.array([[x, y]])))
    assert np.linalg.norm(theirs["grad"]) < 1e-9
    eig = np.linalg.eigvalsh(theirs["hessian"][0])
    assert {"minimum": eig[0] > 0, "saddle": eig[0] < 0 < eig[1]}[kind]


def test_rbf_neuron_local_minimum_is_shallower_behind_a_low_wall():
    value = {kind: sorted(float(RBF.f(x, y)) for k, x, y in RBF.known_critical if k == kind)
             for kind in ("minimum", "saddle")}  # fmt: skip
    (deep, shallow), (ridge,) = value["minimum"], value["saddle"]
    assert deep < shallow < ridge
    # About a tenth of the wall on the deep side: noise crosses one way far more easily.
    assert ridge - shallow < 0.15 * (ridge - deep)


def test_full_batch_stalls_in_the_shallow_minimum_where_one_sample_per_update_escapes():
    # The page's preset: B = 1, η = 1, 25 epochs of 40 updates, seed 2, from the default start.
    sgd = make_optimizer("sgd", lr=1.0)
    shallow = min((x, y) for k, x, y in RBF.known_critical if k == "minimum")
    deep = max((x, y) for k, x, y in RBF.known_critical if k == "minimum")
    full = simulate(RBF, sgd, RBF.default_start, 1000)
    noisy = simulate(RBF, sgd, RBF.default_start, 1000, batch_size=1, seed=2)
    assert np.hypot(*(full.points[-1] - shallow)) < 1e-6
    (ridge,) = [x for k, x, _ in RBF.known_critical if k == "saddle"]
    # Escaped for good: the whole last fifth of the run jitters around the deeper minimum.
    tail = noisy.points[-200:]
    assert np.all(tail[:, 0] > ridge)
    assert np.hypot(*(tail.mean(axis=0) - deep)) < 0.2
    assert np.mean(noisy.losses[-200:]) < full.losses[-1]
    # The same seed reproduces the noisy run bit for bit.
    again = simulate(RBF, sgd, RBF.default_start, 1000, batch_size=1, seed=2)
    np.testing.assert_array_equal(again.points, noisy.points)


def test_double_well_critical_points_are_the_roots_of_its_cubic():
    roots = [brentq(lambda x: 4 * x**3 - 4 * x + 0.3, a, b) for a, b in ((-2, -0.5), (-0.5, 0.5),
                                                                       (0.5, 2))]  # fmt: skip
    declared = sorted((x, k) for k, x, y in WELL.known_critical if y == 0.0)
    assert len(declared) == len(WELL.known_critical) == 3
    assert [x for x, _ in declared] == pytest.approx(roots, abs=1e-12)
    assert [k for _, k in declared] == ["minimum", "saddle", "minimum"]
    left, right = roots[0], roots[2]
    assert WELL.f(left, 0.0) < WELL.f(right, 0.0)  # the deeper minimum is the far one
    assert WELL.default_start[0] > right  # the shallow minimum comes first


def _heavy_ball(grad, start, lrs, lam, form):
    """The two momentum forms written out: lecture m ← λm − ηg, θ ← θ + m; torch b ← μb + g,
    θ ← θ − ηb. Returns points and the gradients used."""
    theta, buf = np.array(start, float), np.zeros(2)
    points, grads = [theta.copy()], []
    for eta in lrs:
        g = grad(*theta)
        grads.append(g)
        if form == "lecture":
            buf = lam * buf - eta * g
            theta = theta + buf
        else:
            buf = lam * buf + g
            theta = theta - eta * buf
        points.append(theta.copy())
    return np.array(points), np.array(grads)


LRS = 0.01 * 0.5 ** (np.arange(60) // 20)  # a step decay


@pytest.mark.parametrize("form", ["lecture", "pytorch"])
def test_step_parts_split_the_step_into_gradient_and_previous_movement(form):
    points, grads = _heavy_ball(WELL.grad, WELL.default_start, LRS, 0.9, form)
    for t in (0, 19, 20, 45):
        parts = step_parts(points, grads, LRS, t)
        np.testing.assert_allclose(parts.gradient, -LRS[t] * grads[t], rtol=1e-14)
        np.testing.assert_allclose(parts.gradient + parts.carried, parts.total, rtol=1e-12)
        previous = points[t] - points[t - 1] if t else np.zeros(2)
        # The lecture carries λ·m; torch rescales the old movement by η_t / η_{t−1}.
        scale = 0.9 if form == "lecture" else 0.9 * LRS[t] / LRS[max(t - 1, 0)]
        np.testing.assert_allclose(parts.carried, scale * previous, atol=1e-15, rtol=1e-10)


@pytest.mark.parametrize("form", ["lecture", "pytorch"])
def test_past_gradient_weights_rebuild_the_step(form):
    points, grads = _heavy_ball(WELL.grad, WELL.default_start, LRS, 0.8, form)
    for t in (0, 25, 59):
        w = past_gradient_weights(LRS, 0.8, t, form)
        assert w.shape == (t + 1,)
        rebuilt = -(w[:, None] * grads[t::-1]).sum(axis=0)
        np.testing.assert_allclose(rebuilt, points[t + 1] - points[t], rtol=1e-10, atol=1e-15)


def test_the_forms_agree_at_constant_rate_and_part_under_a_schedule():
    constant = np.full(60, 0.01)
    same = [
        _heavy_ball(WELL.grad, WELL.default_start, constant, 0.9, f)[0]
        for f in ("lecture", "pytorch")
    ]
    np.testing.assert_allclose(same[0], same[1], rtol=1e-12)
    w = [past_gradient_weights(constant, 0.9, 30, f) for f in ("lecture", "pytorch")]
    np.testing.assert_allclose(w[0], w[1], rtol=1e-15)
    w = [past_gradient_weights(LRS, 0.9, 30, f) for f in ("lecture", "pytorch")]
    assert w[0][15] == pytest.approx(2 * w[1][15])  # step 15 ran at twice today's η


def test_path_gap_is_the_largest_distance_over_common_steps():
    class P:
        def __init__(self, pts):
            self.points = np.array(pts, float)

    assert path_gap(P([[0, 0], [1, 0], [2, 0]]), P([[0, 0], [1, 3], [2, 4], [9, 9]])) == 4.0


def test_figures_carry_their_parts():
    run = simulate(WELL, make_optimizer("momentum", lr=0.01, momentum=0.9), WELL.default_start,
                   50)  # fmt: skip
    parts = step_parts(run.points, run.grads, run.lrs, 10)
    fig = momentum_step_figure(WELL, run, parts, 10)
    arrows = {d.name: np.array([d.x, d.y]).T for d in fig.data if len(d.x) == 2}
    (carried,) = [a for n, a in arrows.items() if n.startswith("λ")]
    (grad,) = [a for n, a in arrows.items() if n.startswith("−η")]
    (total,) = [a for n, a in arrows.items() if n.startswith("sum")]
    np.testing.assert_allclose(grad[1], total[1], atol=1e-12)  # tip to tail ends at θ_{t+1}
    np.testing.assert_allclose(carried[1], grad[0])
    np.testing.assert_allclose(total[1], run.points[11], atol=1e-12)
    assert fig.layout.images[0].source.startswith("data:image/png")
    bars = weights_figure(run.lrs, 0.9, 10).data
    assert [len(b["y"]) for b in bars] == [11, 11]

    noisy = simulate(RBF, make_optimizer("sgd", lr=1.0), RBF.default_start, 20, batch_size=4)
    mini = [minibatch_figure(RBF, RBF.batch_loss, noisy, t).layout for t in (7, 8)]
    samples = ", ".join(str(int(i)) for i in noisy.batches[7])
    assert mini[0].title.text.endswith(f"samples [{samples}]")
    assert mini[0].images[0].source != mini[1].images[0].source  # the surface moves
    full = minibatch_figure(RBF, RBF.batch_loss, noisy._replace(batches=None), 7).layout
    assert full.title.text.startswith("Full-batch")
