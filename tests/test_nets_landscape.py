"""Loss-landscape slices, filter normalisation, the PCA projection of a path and Santurkar et al.'s
smoothness measures, each against a direct computation with the network's own loss."""

from __future__ import annotations

import numpy as np
import pytest

import nets
from viz.trajectory import trajectory_figure

NETWORK = nets.mlp((1, 6, 5, 1))  # the architecture of tests/test_nets.py: compiled once
BN = nets.mlp((1, 4, 4, 1), batch_norm=True)


@pytest.fixture(scope="module")
def theta():
    return NETWORK.init(0) + 0.2 * np.random.default_rng(3).standard_normal(NETWORK.n_params)


def test_a_random_slice_is_the_loss_on_its_plane(theta):
    piece = nets.random_plane(NETWORK, theta, seed=1)
    d1, d2 = piece.directions
    assert piece.f(0.0, 0.0) == pytest.approx(NETWORK.loss(theta), rel=1e-14)
    t = np.linspace(-1.0, 1.0, 5)
    expected_x = [NETWORK.loss(theta + a * d1) for a in t]
    expected_y = [NETWORK.loss(theta + a * d2) for a in t]
    np.testing.assert_allclose(piece.f(t, 0.0), expected_x, rtol=1e-13)
    np.testing.assert_allclose(piece.f(np.zeros(5), t), expected_y, rtol=1e-13)
    assert piece.domain == ((-1.0, 1.0), (-1.0, 1.0))


def test_a_slice_broadcasts_and_its_gradient_is_the_directional_derivative(theta):
    piece = nets.random_plane(NETWORK, theta, seed=2, span=0.5)
    x, y = np.meshgrid(np.linspace(-0.4, 0.4, 4), np.linspace(-0.3, 0.3, 3))
    values, grads = piece.f(x, y), piece.grad(x, y)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2)
    h = 1e-6
    np.testing.assert_allclose(
        grads[..., 0], (piece.f(x + h, y) - piece.f(x - h, y)) / (2 * h), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        grads[..., 1], (piece.f(x, y + h) - piece.f(x, y - h)) / (2 * h), rtol=1e-6, atol=1e-8
    )


def test_filter_normalisation_gives_each_neuron_its_weights_norm_and_zeros_the_rest():
    theta = BN.init(4) * 3.0
    direction = nets.filter_normalize(
        BN, theta, np.random.default_rng(0).standard_normal(BN.n_params)
    )
    start = 0
    for name, shape in BN.layout:
        size = int(np.prod(shape))
        d, w = direction[start : start + size], theta[start : start + size]
        start += size
        if len(shape) == 2 and name.endswith("weight"):
            rows_d, rows_w = d.reshape(shape), w.reshape(shape)
            np.testing.assert_allclose(
                np.linalg.norm(rows_d, axis=1), np.linalg.norm(rows_w, axis=1), rtol=1e-12
            )
        else:  # biases and batch norm's γ, β
            np.testing.assert_array_equal(d, 0.0)
    assert start == BN.n_params
    again = nets.random_plane(BN, theta, seed=5).directions
    np.testing.assert_array_equal(again, nets.random_plane(BN, theta, seed=5).directions)
    assert not np.array_equal(again, nets.random_plane(BN, theta, seed=6).directions)


def test_the_hessian_plane_runs_along_the_extreme_eigenvectors(theta):
    piece = nets.hessian_plane(NETWORK, theta, span=0.5)
    lam = np.linalg.eigvalsh(NETWORK.hessian(theta))
    h = NETWORK.hessian(theta)
    for direction, value in zip(piece.directions, lam[[0, -1]], strict=True):
        assert np.linalg.norm(direction) == pytest.approx(1.0, rel=1e-12)
        np.testing.assert_allclose(h @ direction, value * direction, atol=1e-9 * abs(lam).max())
    assert lam[0] < 0  # off the initialisation, a saddle-like point: the escape axis is x
    t = 1e-3  # second differences of the slice are the curvatures along its axes
    curv_x = (piece.f(t, 0.0) + piece.f(-t, 0.0) - 2 * piece.f(0.0, 0.0)) / t**2
    curv_y = (piece.f(0.0, t) + piece.f(0.0, -t) - 2 * piece.f(0.0, 0.0)) / t**2
    assert curv_x == pytest.approx(lam[0], abs=1e-4 * lam[-1])
    assert curv_y == pytest.approx(lam[-1], rel=1e-4)


def test_pca_recovers_a_path_that_lies_in_a_known_plane(theta):
    rng = np.random.default_rng(8)
    u, v = np.linalg.qr(rng.standard_normal((NETWORK.n_params, 2)))[0].T
    t = np.linspace(0.0, 1.0, 40)
    a, b = 2 * (1 - t) ** 2 + 0.3 * np.sin(9 * t), (1 - t) * np.cos(4 * t)
    a, b = a - a[-1], b - b[-1]
    path = theta + a[:, None] * u + b[:, None] * v
    projection = nets.project_path(NETWORK, path)
    pcs = projection.slice.directions
    assert projection.explained.sum() == pytest.approx(1.0, abs=1e-12)
    assert projection.explained[0] >= projection.explained[1] > 0
    np.testing.assert_allclose(np.linalg.norm(pcs @ np.stack([u, v]).T, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(theta + projection.points @ pcs, path, atol=1e-12)
    np.testing.assert_array_equal(projection.slice.origin, path[-1])
    np.testing.assert_allclose(  # points keep the path's shape: distances are preserved
        np.linalg.norm(np.diff(projection.points, axis=0), axis=1),
        np.hypot(np.diff(a), np.diff(b)),
        rtol=1e-10,
    )
    (x0, x1), (y0, y1) = projection.slice.domain
    assert np.all((x0 < projection.points[:, 0]) & (projection.points[:, 0] < x1))
    assert np.all((y0 < projection.points[:, 1]) & (projection.points[:, 1] < y1))


def test_a_projected_path_stops_where_it_diverged_and_draws_in_the_animated_figure(theta):
    rng = np.random.default_rng(9)
    path = theta + np.cumsum(0.05 * rng.standard_normal((12, NETWORK.n_params)), axis=0)
    path[8:] = np.nan
    projection = nets.project_path(NETWORK, path, diverged_at=8)
    assert projection.points.shape == (8, 2) and projection.diverged_at == 8
    np.testing.assert_array_equal(projection.slice.origin, path[7])
    figure = trajectory_figure(projection.slice, [("run", projection)])
    assert len(figure.to_dict()["frames"]) == 8
    assert projection.slice.axis_labels[0].startswith("PC1 (")


def test_smoothness_equals_a_direct_computation(theta):
    etas = np.array([0.0, 1e-3, 1e-2, 0.1, 0.5])
    result = nets.smoothness(NETWORK, theta, etas)
    g = NETWORK.grad(theta)
    steps = [theta - eta * g for eta in etas]
    np.testing.assert_allclose(result.losses, [NETWORK.loss(s) for s in steps], rtol=1e-13)
    changes = [np.linalg.norm(NETWORK.grad(s) - g) for s in steps]
    np.testing.assert_allclose(result.grad_changes, changes, rtol=1e-10, atol=1e-15)
    beta = max(c / (eta * np.linalg.norm(g)) for c, eta in zip(changes, etas, strict=True) if eta)
    assert result.beta == pytest.approx(beta, rel=1e-10)
    # for small steps the gradient changes by about ‖H g‖ η: β tends to ‖H ĝ‖ ≤ λmax
    tiny = nets.smoothness(NETWORK, theta, [1e-7]).beta
    unit = g / np.linalg.norm(g)
    assert tiny == pytest.approx(np.linalg.norm(NETWORK.hessian(theta) @ unit), rel=1e-4)


def test_smoothness_of_many_points_is_each_points_own_and_its_ranges_are_direct(theta):
    thetas = np.stack([theta, NETWORK.init(1), theta + 0.1])
    etas = np.array([[0.01, 0.1, 0.3], [0.02, 0.2, 0.5], [0.0, 0.05, 0.4]])
    many = nets.smoothness(NETWORK, thetas, etas)
    assert many.losses.shape == many.grad_changes.shape == (3, 3) and many.beta.shape == (3,)
    for i, (point, own) in enumerate(zip(thetas, etas, strict=True)):
        one = nets.smoothness(NETWORK, point, own)
        np.testing.assert_allclose(many.losses[i], one.losses, rtol=1e-13)
        np.testing.assert_allclose(many.grad_changes[i], one.grad_changes, rtol=1e-10, atol=1e-15)
        assert many.beta[i] == pytest.approx(one.beta, rel=1e-10)
        assert one.loss == pytest.approx(NETWORK.loss(point), rel=1e-14)
        spread = max(NETWORK.loss(point - e * NETWORK.grad(point)) for e in own) - min(
            NETWORK.loss(point - e * NETWORK.grad(point)) for e in own)  # fmt: skip
        assert one.loss_range == pytest.approx(spread, rel=1e-10)
        assert one.relative_range == pytest.approx(spread / NETWORK.loss(point), rel=1e-10)
    shared = nets.smoothness(NETWORK, thetas, etas[0])  # the same step sizes for every θ
    np.testing.assert_allclose(shared.etas, np.tile(etas[0], (3, 1)))
    with pytest.raises(ValueError, match="etas"):
        nets.smoothness(NETWORK, thetas, etas[:2])


def test_a_large_network_allows_fewer_slice_points_and_refuses_more(theta):
    assert nets.random_plane(NETWORK, theta).max_points == nets.MAX_SLICE_POINTS
    big = nets.mlp((1, 64, 5, 1), n_samples=nets.MAX_SAMPLES)
    piece = nets.random_plane(big, big.init(0))
    assert 0 < piece.max_points < nets.MAX_SLICE_POINTS
    with pytest.raises(ValueError, match="limit"):
        piece.f(np.zeros(piece.max_points + 1), 0.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda th: nets.smoothness(NETWORK, th, []),
        lambda th: nets.smoothness(NETWORK, th, [-0.1]),
        lambda th: nets.smoothness(NETWORK, th, np.zeros(nets.MAX_ETAS + 1)),
        lambda th: nets.plane(NETWORK, th, np.zeros((3, NETWORK.n_params))),
        lambda th: nets.random_plane(NETWORK, th, span=0.0),
        lambda th: nets.project_path(NETWORK, th[None]),
        lambda th: nets.random_plane(NETWORK, th).f(np.zeros(nets.MAX_SLICE_POINTS + 1), 0.0),
    ],
)
def test_limits_raise_value_errors(call, theta):
    with pytest.raises(ValueError):
        call(theta)
