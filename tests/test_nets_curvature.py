"""nets.curvature against independent references: λmax from NumPy's eigendecomposition of a
Hessian built by central differences of the gradient, at weight rows put at unit norm by hand;
a rescaling that leaves the function unchanged leaves ``effective_top`` unchanged (and moves raw
λmax as 1/a² predicts); without batch norm both are the same; κ leaves out exactly the
coordinates the loss does not depend on, and states its cutoff."""

from __future__ import annotations

import numpy as np
import pytest

import nets
from nets.curvature import MAX_POINTS, flat_coordinates, top_eigenvalue, unit_rows

BN = nets.mlp((1, 4, 3, 1), activation="relu", batch_norm=True)
PLAIN = nets.mlp((1, 4, 3, 1), activation="relu")
TANH_BN = nets.mlp((1, 4, 3, 1), activation="tanh", batch_norm=True)


def point(network, seed: int) -> np.ndarray:
    """A θ away from the initialisation (weights of every size, β ≠ 0)."""
    rng = np.random.default_rng(seed)
    return network.init(seed) * rng.uniform(0.3, 3.0, network.n_params) + 0.1 * rng.standard_normal(
        network.n_params
    )


def rows_feeding_bn(network) -> list[tuple[slice, tuple[int, int]]]:
    """Each weight block (its slice of θ, its shape) whose Linear is followed by a BatchNorm1d,
    read from the torch layout by hand: module i's weight is 2-D, a BatchNorm1d's 1-D."""
    out, start = [], 0
    shapes = dict(network.layout)
    for name, shape in network.layout:
        size = int(np.prod(shape))
        index = int(name.split(".")[0])
        if (
            name.endswith(".weight")
            and len(shape) == 2
            and len(shapes.get(f"{index + 1}.weight", ())) == 1
        ):
            out.append((slice(start, start + size), shape))
        start += size
    return out


def by_hand_unit_rows(network, theta: np.ndarray) -> np.ndarray:
    out = theta.copy()
    for block, shape in rows_feeding_bn(network):
        w = out[block].reshape(shape)
        out[block] = (w / np.linalg.norm(w, axis=1, keepdims=True)).ravel()
    return out


def central_hessian(network, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    steps = h * np.eye(network.n_params)
    columns = (network.grad(theta + steps) - network.grad(theta - steps)) / (2 * h)
    return (columns + columns.T) / 2


@pytest.mark.parametrize("network", [BN, TANH_BN], ids=["relu", "tanh"])
def test_effective_top_is_lambda_max_at_unit_rows_by_central_differences(network):
    assert [shape for _, shape in rows_feeding_bn(network)] == [(4, 1), (3, 4)]
    for seed in (0, 1):
        theta = point(network, seed)
        unit = by_hand_unit_rows(network, theta)
        expected = np.linalg.eigvalsh(central_hessian(network, unit))[-1]
        raw = np.linalg.eigvalsh(central_hessian(network, theta))[-1]
        for kappa in (True, False):  # the dense path and Lanczos
            found = nets.curvature(network, theta, kappa=kappa)
            assert found.effective_top == pytest.approx(expected, rel=1e-6)
            assert found.top == pytest.approx(raw, rel=1e-6)
            assert np.isnan(found.kappa) != kappa
        np.testing.assert_allclose(unit_rows(network, theta), unit, rtol=1e-15)


def test_a_rescaling_that_keeps_the_function_keeps_effective_top_and_moves_raw_top():
    theta = point(BN, 2)
    rng = np.random.default_rng(5)
    scaled = theta.copy()
    for block, shape in rows_feeding_bn(BN):
        a = rng.uniform(0.2, 5.0, (shape[0], 1))  # one factor a > 0 per row
        scaled[block] = (scaled[block].reshape(shape) * a).ravel()
    # the same function (up to batch norm's ε under the square root)
    np.testing.assert_allclose(BN.outputs(scaled), BN.outputs(theta), rtol=1e-3, atol=1e-3)
    found = nets.curvature(BN, np.stack([theta, scaled]))
    assert found.effective_top[1] == pytest.approx(found.effective_top[0], rel=1e-10)
    assert abs(np.log(found.top[1] / found.top[0])) > 0.1  # raw λmax is not scale-free
    # all rows × a: the first-layer block of H scales as 1/a², so λmax moves
    half = theta.copy()
    for block, _ in rows_feeding_bn(BN):
        half[block] *= 0.5
    assert nets.curvature(BN, half).top > 1.5 * nets.curvature(BN, theta).top
    assert nets.curvature(BN, half).effective_top == pytest.approx(
        nets.curvature(BN, theta).effective_top, rel=1e-10
    )


def test_without_batch_norm_top_and_effective_top_are_the_same():
    thetas = np.stack([point(PLAIN, s) for s in range(3)])
    found = nets.curvature(PLAIN, thetas)
    assert found.top.shape == (3,)
    np.testing.assert_array_equal(found.effective_top, found.top)
    fast = nets.curvature(PLAIN, thetas, kappa=False)
    np.testing.assert_array_equal(fast.effective_top, fast.top)
    np.testing.assert_allclose(fast.top, found.top, rtol=1e-10)
    np.testing.assert_array_equal(unit_rows(PLAIN, thetas), thetas)
    for theta, top in zip(thetas, found.top, strict=True):
        assert top == pytest.approx(np.linalg.eigvalsh(central_hessian(PLAIN, theta))[-1], rel=1e-6)


def test_kappa_leaves_out_exactly_the_flat_coordinates_and_states_its_cutoff():
    theta = point(BN, 3)
    flat = flat_coordinates(BN)
    h = central_hessian(BN, theta)
    # the pre-batch-norm biases: 4 + 3 of them, their Hessian rows zero (to rounding)
    assert flat.sum() == 7
    assert np.abs(h[flat]).max() < 1e-8 * np.abs(h).max()
    assert not flat_coordinates(PLAIN).any()
    found = nets.curvature(BN, theta, zero_tol=1e-6)
    lam = np.linalg.eigvalsh(h[~flat][:, ~flat])
    assert found.zero_tols == pytest.approx(1e-6 * np.abs(lam).max(), rel=1e-6)
    assert found.kappa == pytest.approx(lam[-1] / lam[lam > found.zero_tols][0], rel=1e-4)


def test_lanczos_matches_the_dense_spectrum_on_many_points_and_a_degenerate_top():
    thetas = np.stack([point(BN, s) for s in range(12)])
    fast = top_eigenvalue(BN, thetas)
    dense = np.linalg.eigvalsh(BN.hessian(thetas))[:, -1]
    np.testing.assert_allclose(fast, dense, rtol=1e-10)
    # every unit of the last hidden layer dead: the output is its bias alone, H has the single
    # nonzero eigenvalue 2 (∂²/∂b² of the mean of (b − y)²); the start vector still finds it
    dead = point(PLAIN, 4)
    last = PLAIN.layers[1]
    dead[last.start + last.n_out * last.n_in : last.stop] = -100.0
    assert top_eigenvalue(PLAIN, dead[None])[0] == pytest.approx(2.0, rel=1e-12)


def test_non_finite_thetas_give_nan_and_limits_raise():
    theta = point(BN, 0)
    for kappa in (True, False):
        found = nets.curvature(BN, np.stack([theta, np.full(BN.n_params, np.nan)]), kappa=kappa)
        assert np.isfinite(found.top[0]) and np.isnan(found.top[1])
        assert np.isfinite(found.effective_top[0]) and np.isnan(found.effective_top[1])
    with pytest.raises(ValueError, match="at most"):
        nets.curvature(BN, np.zeros((MAX_POINTS + 1, BN.n_params)))
    with pytest.raises(ValueError, match="shape"):
        nets.curvature(BN, np.zeros(3))
    with pytest.raises(ValueError, match="zero_tol"):
        nets.curvature(BN, theta, zero_tol=1.5)
