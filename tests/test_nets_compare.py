"""nets.compare against independent references: torch models (with and without BatchNorm1d,
training mode) trained by torch.optim.SGD on the same data give the same losses step by step and
diverge at the same step; the curvature at checkpoints is NumPy's eigendecomposition of the exact
Hessian there (at unit rows, set by hand, for the scale-free one); the smoothness bands are the
loss and gradient along −∇L, evaluated directly, the relative range that divided by the loss;
dead units are the units whose outgoing weights do not change the output; several seeds are each
seed's comparison on its own."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from reference import reference
from test_nets import _load, _torch_model

from nets.compare import (
    BAND,
    MAX_RATES,
    MAX_SEEDS,
    at_rate,
    band_etas,
    compare,
    dead_units,
    end_slices,
    outcomes,
)
from nets.survey import BOUND
from optimizers import make_optimizer

WIDTHS = (1, 5, 5, 1)
RATES = (0.05, 0.5, 8.0)  # the last diverges
STEPS = 12
OPTIMIZERS = {"sgd": {}, "momentum": {"momentum": 0.9}}


@pytest.fixture(scope="module", params=list(OPTIMIZERS))
def case(request):
    name = request.param
    found = compare(WIDTHS, make_optimizer(name, lr=1.0, **OPTIMIZERS[name]), activation="tanh",
                    rates=RATES, steps=STEPS, checkpoints=4, seeds=(3,))  # fmt: skip
    return name, found


def torch_sgd(network, theta: np.ndarray, lr: float, steps: int, **hyper) -> dict[str, np.ndarray]:
    """Full-batch torch.optim.SGD on the network's torch twin (BatchNorm1d in training mode):
    the loss before each step and after the last, and θ after each step, up to the first θ
    beyond BOUND (a run diverges there; past it, rounding grows with θ up to 10³⁵ and differs
    between builds)."""
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
        if len(thetas) > steps or np.max(np.abs(thetas[-1])) > BOUND:
            break
        loss.backward()
        opt.step()
        thetas.append(torch.nn.utils.parameters_to_vector(model.parameters()).detach().numpy())
    return {"losses": np.array(losses), "thetas": np.array(thetas)}


def test_both_networks_start_from_the_same_linear_weights(case):
    _, found = case
    plain, bn = (run.network.init(3) for run in found)
    for run in found:
        assert run.seeds.tolist() == [3] and run.losses.shape == (STEPS + 1, 1, len(RATES))
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
        assert run.diverged_at[0][-1] is not None
        start = run.network.init(3)
        for r, lr in enumerate(RATES):
            label = f"{name}/bn={run.network.batch_norm}/lr={lr}"
            theirs = reference(label, partial(torch_sgd, run.network, start, lr, STEPS,
                                              **OPTIMIZERS[name]))  # fmt: skip
            stop = run.diverged_at[0][r]
            if stop is None:
                np.testing.assert_allclose(run.losses[:, 0, r], theirs["losses"], rtol=1e-9)
                continue
            # Divergence: θ leaves [−10⁶, 10⁶] at that step in torch too, and not before.
            sizes = np.max(np.abs(theirs["thetas"]), axis=1)
            assert lr == RATES[-1] and len(sizes) == stop + 1 and sizes[stop] > BOUND, label
            assert np.all(sizes[:stop] <= BOUND), label
            np.testing.assert_allclose(run.losses[:stop, 0, r], theirs["losses"][:stop], rtol=1e-9)
            assert np.all(np.isnan(run.losses[stop:, 0, r]))
            assert np.all(np.isnan(run.top[run.checkpoints >= stop, 0, r]))


def unit_rows_by_hand(network, theta: np.ndarray) -> np.ndarray:
    """Every hidden Linear's weight rows at unit norm when batch norm follows it."""
    out = theta.copy()
    if network.batch_norm:
        for layer in network.layers[:-1]:
            rows = slice(layer.start, layer.start + layer.n_out * layer.n_in)
            w = out[rows].reshape(layer.n_out, layer.n_in)
            out[rows] = (w / np.linalg.norm(w, axis=1, keepdims=True)).ravel()
    return out


def test_curvature_at_checkpoints_is_numpys_eigendecomposition(case):
    name, found = case
    for run in found:
        start = run.network.init(3)
        for r, lr in enumerate(RATES[:2]):
            label = f"{name}/bn={run.network.batch_norm}/lr={lr}"
            theirs = reference(label, partial(torch_sgd, run.network, start, lr, STEPS,
                                              **OPTIMIZERS[name]))  # fmt: skip
            for c, step in enumerate(run.checkpoints):
                theta = theirs["thetas"][step]
                lam = np.linalg.eigvalsh(run.network.hessian(theta))
                unit = np.linalg.eigvalsh(
                    run.network.hessian(unit_rows_by_hand(run.network, theta))
                )
                assert run.top[c, 0, r] == pytest.approx(lam[-1], rel=1e-8)
                assert run.effective_top[c, 0, r] == pytest.approx(unit[-1], rel=1e-8)
                if not run.network.batch_norm:
                    assert run.effective_top[c, 0, r] == run.top[c, 0, r]


def test_bands_are_the_loss_and_gradient_along_the_gradient(case):
    _, found = case
    for run in found:
        net = run.network
        c, r = len(run.checkpoints) - 1, 1
        theta = np.array(run.ends[0, r])
        g = net.grad(theta)
        etas = band_etas(RATES[r])
        assert etas[0] == pytest.approx(BAND[0] * RATES[r]) and etas[-1] == pytest.approx(
            BAND[1] * RATES[r])  # fmt: skip
        moved = theta - etas[:, None] * g
        losses = np.array([net.loss(t) for t in moved])
        changes = np.array([np.linalg.norm(net.grad(t) - g) for t in moved])
        np.testing.assert_allclose(run.loss_band[c, 0, r], [losses.min(), losses.max()],
                                   rtol=1e-10)  # fmt: skip
        np.testing.assert_allclose(run.grad_band[c, 0, r], [changes.min(), changes.max()],
                                   rtol=1e-9)  # fmt: skip
        assert run.beta[c, 0, r] == pytest.approx(np.max(changes / (etas * np.linalg.norm(g))))
        spread = losses.max() - losses.min()
        assert run.loss_range()[c, 0, r] == pytest.approx(spread, rel=1e-10)
        assert run.loss_range(relative=True)[c, 0, r] == pytest.approx(
            spread / net.loss(theta), rel=1e-10)  # fmt: skip


def test_end_slices_pass_through_each_end_point_with_filter_normalised_directions(case):
    _, found = case
    for run, piece in zip(found, end_slices(found, 1, seed=2), strict=True):
        end = run.ends[0, 1]
        assert piece.f(np.array(0.0), np.array(0.0)) == pytest.approx(run.network.loss(end))
        for layer in run.network.layers:
            rows = slice(layer.start, layer.start + layer.n_out * layer.n_in)
            w = end[rows].reshape(layer.n_out, layer.n_in)
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
        (dict(seeds=()), "seeds"),
        (dict(seeds=(1, 1)), "distinct seeds"),
        (dict(seeds=(-1,)), "seeds"),
        (dict(seeds=tuple(range(MAX_SEEDS + 1))), "seeds"),
    ],
)
def test_limits_raise_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare(**(dict(widths=WIDTHS, optimizer=make_optimizer("sgd")) | kwargs))


def test_outcomes_say_which_runs_trained(case):
    _, found = case
    for run in found:
        (ends,) = outcomes(run)  # one seed
        for r, end in enumerate(ends):
            if run.diverged_at[0][r] is None:
                assert end.loss == run.losses[-1, 0, r] and end.diverged_at is None
                assert end.trained == (run.losses[-1, 0, r] < run.losses[0, 0, r])
        assert np.isnan(ends[-1].loss) and ends[-1].diverged_at is not None and not ends[-1].trained
        assert ends[0].trained  # a small step lowers the loss


def test_an_optimizer_keeps_its_hyperparameters_at_each_rate():
    heavy = make_optimizer("momentum", lr=0.5, momentum=0.7, dampening=0.1)
    moved = at_rate(heavy, 0.02)
    assert moved.name == "momentum" and moved.hyper == heavy.hyper | {"lr": 0.02}


def test_several_seeds_are_each_seeds_comparison(case):
    name, single = case
    both = compare(WIDTHS, make_optimizer(name, **OPTIMIZERS[name]), activation="tanh",
                   rates=RATES, steps=STEPS, checkpoints=4, seeds=(5, 3))  # fmt: skip
    for one, two in zip(single, both, strict=True):
        assert two.losses.shape == (STEPS + 1, 2, len(RATES)) and two.seeds.tolist() == [5, 3]
        assert two.diverged_at[1] == one.diverged_at[0]
        for field in ("losses", "top", "effective_top", "loss_band", "beta"):
            np.testing.assert_allclose(getattr(two, field)[:, 1], getattr(one, field)[:, 0],
                                       rtol=1e-10, equal_nan=True)  # fmt: skip
        np.testing.assert_allclose(two.ends[1], one.ends[0], rtol=1e-10)
        assert np.all(np.isnan(two.dead))  # tanh: no dead units to count


RELU = (1, 4, 4, 1)


def outputs_ignore(net, theta: np.ndarray, layer: int, unit: int) -> bool:
    """Whether the output stays the same when the unit's outgoing weights change."""
    after = net.layers[layer + 1]
    moved = theta.copy()
    moved[after.start + unit + np.arange(after.n_out) * after.n_in] += 3.0
    return np.array_equal(net.outputs(moved), net.outputs(theta))


def test_dead_units_are_those_whose_outgoing_weights_do_not_matter():
    """A unit is dead when it outputs 0 on every sample: then its outgoing weights (its column
    in the next Linear) do not change the output; for a live unit they do. Checked with the
    network's own forward pass at trained points and at points built to kill two known units
    (a bias, or with batch norm a β, of −100)."""
    seeds = (0, 1, 2, 3)
    found = compare(RELU, make_optimizer("sgd"), rates=(0.05,), steps=10, checkpoints=2,
                    seeds=seeds)  # fmt: skip
    for run in found:
        net = run.network
        first = net.layers[0]
        shift = first.start + first.n_out * first.n_in + (2 * first.n_out if net.batch_norm else 0)
        killed = run.ends[0, 0].copy()
        killed[shift : shift + 2] = -100.0
        for theta in [*run.ends[:, 0], killed]:
            expected = sum(outputs_ignore(net, theta, i, unit)
                           for i, layer in enumerate(net.layers[:-1])
                           for unit in range(layer.n_out))  # fmt: skip
            assert dead_units(net, theta) == expected
        assert dead_units(net, killed) >= 2
        assert all(outputs_ignore(net, killed, 0, unit) for unit in (0, 1))
        starts = np.stack([net.init(s) for s in seeds])
        np.testing.assert_array_equal(run.dead[0, :, 0], dead_units(net, starts))
        np.testing.assert_array_equal(run.dead[-1, :, 0], dead_units(net, run.ends[:, 0]))
    assert found.normalized.dead.shape == (2, 4, 1)
    tanh = compare(RELU, make_optimizer("sgd"), activation="tanh", rates=(0.1,), steps=1)
    with pytest.raises(ValueError, match="ReLU"):
        dead_units(tanh.plain.network, tanh.plain.ends[0, 0])
