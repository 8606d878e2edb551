"""nets.compare against independent references: torch models (with and without BatchNorm1d,
training mode) trained by torch.optim.SGD on the same data give the same losses step by step and
diverge at the same step; the curvature at checkpoints is NumPy's eigendecomposition of the exact
Hessian there; the smoothness bands are the loss and gradient along −∇L, evaluated directly."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from reference import reference
from test_nets import _load, _torch_model

import nets
from nets.compare import BAND, MAX_RATES, band_etas, compare, end_slices, outcomes
from nets.survey import BOUND

WIDTHS = (1, 5, 5, 1)
RATES = (0.05, 0.5, 8.0)  # the last diverges
STEPS = 12
OPTIMIZERS = {"sgd": {}, "momentum": {"momentum": 0.9}}


@pytest.fixture(scope="module", params=list(OPTIMIZERS))
def case(request):
    name = request.param
    found = compare(WIDTHS, activation="tanh", rates=RATES, steps=STEPS, optimizer=name,
                    checkpoints=4, seed=3, **OPTIMIZERS[name])  # fmt: skip
    return name, found


def torch_sgd(network, theta: np.ndarray, lr: float, steps: int, **hyper) -> dict[str, np.ndarray]:
    """Full-batch torch.optim.SGD on the network's torch twin (BatchNorm1d in training mode):
    the loss before each step and after the last, and θ after each step."""
    import torch

    model = _torch_model(network)
    _load(model, theta)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, **hyper)
    x, y = torch.tensor(network.inputs), torch.tensor(network.targets)
    losses, thetas = [], [theta]
    for _ in range(steps + 1):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        losses.append(loss.item())
        if len(thetas) > steps:
            break
        loss.backward()
        opt.step()
        thetas.append(torch.nn.utils.parameters_to_vector(model.parameters()).detach().numpy())
    return {"losses": np.array(losses), "thetas": np.array(thetas)}


def test_both_networks_start_from_the_same_linear_weights(case):
    _, found = case
    plain, bn = (run.network.init(3) for run in found)
    kept = np.ones(bn.size, dtype=bool)
    for layer in found.normalized.network.layers:
        if layer.bn:
            stop = layer.start + layer.n_out * (layer.n_in + 1)
            gamma, beta = bn[stop : stop + layer.n_out], bn[stop + layer.n_out : layer.stop]
            assert np.all(gamma == 1) and np.all(beta == 0)
            kept[stop : layer.stop] = False
    assert np.array_equal(bn[kept], plain)


def test_losses_and_divergence_equal_torch_sgd(case):
    name, found = case
    for run in found:
        assert run.diverged_at[-1] is not None
        start = run.network.init(3)
        for r, lr in enumerate(RATES):
            label = f"{name}/bn={run.network.batch_norm}/lr={lr}"
            theirs = reference(label, partial(torch_sgd, run.network, start, lr, STEPS,
                                              **OPTIMIZERS[name]))  # fmt: skip
            stop = run.diverged_at[r]
            if stop is None:
                np.testing.assert_allclose(run.losses[:, r], theirs["losses"], rtol=1e-9)
                continue
            # Divergence: θ leaves [−10⁶, 10⁶] at that step in torch too, and not before.
            sizes = np.max(np.abs(theirs["thetas"]), axis=1)
            assert lr == RATES[-1] and sizes[stop] > BOUND, label
            assert np.all(sizes[:stop] <= BOUND), label
            np.testing.assert_allclose(run.losses[:stop, r], theirs["losses"][:stop], rtol=1e-9)
            assert np.all(np.isnan(run.losses[stop:, r]))
            assert np.all(np.isnan(run.top[run.checkpoints >= stop, r]))


def test_curvature_at_checkpoints_is_numpys_eigendecomposition(case):
    name, found = case
    for run in found:
        start = run.network.init(3)
        for r, lr in enumerate(RATES[:2]):
            label = f"{name}/bn={run.network.batch_norm}/lr={lr}"
            theirs = reference(label, partial(torch_sgd, run.network, start, lr, STEPS,
                                              **OPTIMIZERS[name]))  # fmt: skip
            for c, step in enumerate(run.checkpoints):
                lam = np.linalg.eigvalsh(run.network.hessian(theirs["thetas"][step]))
                tol = nets.ZERO_TOL * np.abs(lam).max()
                assert run.top[c, r] == pytest.approx(lam[-1], rel=1e-8)
                assert run.kappa[c, r] == pytest.approx(lam[-1] / lam[lam > tol][0], rel=1e-6)


def test_bands_are_the_loss_and_gradient_along_the_gradient(case):
    _, found = case
    for run in found:
        net = run.network
        c, r = len(run.checkpoints) - 1, 1
        theta = np.array(run.ends[r])
        g = net.grad(theta)
        etas = band_etas(RATES[r])
        assert etas[0] == pytest.approx(BAND[0] * RATES[r]) and etas[-1] == pytest.approx(
            BAND[1] * RATES[r])  # fmt: skip
        moved = theta - etas[:, None] * g
        losses = np.array([net.loss(t) for t in moved])
        changes = np.array([np.linalg.norm(net.grad(t) - g) for t in moved])
        np.testing.assert_allclose(run.loss_band[c, r], [losses.min(), losses.max()], rtol=1e-10)
        np.testing.assert_allclose(run.grad_band[c, r], [changes.min(), changes.max()], rtol=1e-9)
        assert run.beta[c, r] == pytest.approx(np.max(changes / (etas * np.linalg.norm(g))))


def test_end_slices_pass_through_each_end_point_with_filter_normalised_directions(case):
    _, found = case
    for run, piece in zip(found, end_slices(found, 1, seed=2), strict=True):
        assert piece.f(np.array(0.0), np.array(0.0)) == pytest.approx(run.network.loss(run.ends[1]))
        for layer in run.network.layers:
            rows = slice(layer.start, layer.start + layer.n_out * layer.n_in)
            w = run.ends[1][rows].reshape(layer.n_out, layer.n_in)
            for d in piece.directions:
                norms = np.linalg.norm(d[rows].reshape(layer.n_out, layer.n_in), axis=1)
                np.testing.assert_allclose(norms, np.linalg.norm(w, axis=1), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rates=()), "learning rates"),
        (dict(rates=(0.1,) * (MAX_RATES + 1)), "learning rates"),
        (dict(rates=(0.1, -1.0)), "positive"),
        (dict(steps=0), "steps"),
        (dict(checkpoints=1), "checkpoints"),
        (dict(widths=(1, 64, 64, 1)), "parameters"),
    ],
)
def test_limits_raise_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare(**(dict(widths=WIDTHS) | kwargs))


def test_outcomes_say_which_runs_trained(case):
    _, found = case
    for run in found:
        ends = outcomes(run)
        for r, end in enumerate(ends):
            if run.diverged_at[r] is None:
                assert end.loss == run.losses[-1, r] and end.diverged_at is None
                assert end.trained == (run.losses[-1, r] < run.losses[0, r])
        assert np.isnan(ends[-1].loss) and ends[-1].diverged_at is not None and not ends[-1].trained
        assert ends[0].trained  # a small step lowers the loss
