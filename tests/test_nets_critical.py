"""nets.find_critical proven on a known answer: a linear autoencoder's critical points are known
in closed form (Baldi & Hornik 1989; Frye et al. 2019 tested such finders on it). Every critical
loss is (tr S − Σ_{i∈A} sᵢ)/d for a subset A of at most k eigenvalues of the inputs' centred,
biased covariance S (computed here with NumPy, apart from the package's own ``autoencoder_levels``),
and only the lowest level holds minima. The Hessians' eigenvalues at the points found are checked
against torch's (reverse-over-reverse autograd, stored in tests/references/)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from reference import reference

import nets

AE = nets.mlp((4, 2, 4), activation="linear", task="autoencoder")
STARTS = 24
TOL = 1e-13


def closed_form(network) -> np.ndarray:
    """Every level (tr S − Σ_{i∈A} sᵢ)/d, |A| ≤ k, written out from the data."""
    x = network.inputs - network.inputs.mean(axis=0)
    s = np.linalg.eigvalsh(np.cov(x.T, bias=True))
    d, k = network.widths[0], network.widths[1]
    subsets = [c for r in range(k + 1) for c in itertools.combinations(s, r)]
    return np.sort([(s.sum() - sum(c)) / d for c in subsets])


@pytest.fixture(scope="module")
def found():
    """Newton on ∇L = 0 from STARTS random starts (nearest critical points: mostly saddles), and
    saddle-free Newton down the loss from four more (minima)."""
    saddles = nets.find_critical(AE, nets.starts(AE, STARTS), tol=TOL, steps=300)
    minima = nets.find_critical(AE, nets.starts(AE, 4, seed=1), tol=TOL, steps=300,
                                method="minimum")  # fmt: skip
    return nets.Critical(
        *(np.concatenate([a, b]) if isinstance(a, np.ndarray) else a
          for a, b in zip(saddles, minima, strict=True))
    )  # fmt: skip


def test_the_autoencoder_is_torchs_linear_autoencoder_on_the_packages_gaussians():
    """Widths (d, k, d), nn.Linear's biases, targets = inputs, distinct variances, nn.MSELoss()."""
    assert AE.n_params == 4 * 2 + 2 + 2 * 4 + 4
    np.testing.assert_array_equal(AE.targets, AE.inputs)
    again = nets.mlp((4, 2, 4), activation="linear", task="autoencoder")
    np.testing.assert_array_equal(again.inputs, AE.inputs)  # generated from a fixed seed
    s = np.linalg.eigvalsh(np.cov(AE.inputs.T, bias=True))
    assert np.min(np.diff(s)) > 0.01
    theta = AE.init(3)
    w1, b1 = theta[:8].reshape(2, 4), theta[8:10]
    w2, b2 = theta[10:18].reshape(4, 2), theta[18:]
    out = (AE.inputs @ w1.T + b1) @ w2.T + b2
    assert AE.loss(theta) == pytest.approx(np.mean((out - AE.inputs) ** 2), rel=1e-14)
    with pytest.raises(ValueError, match="input"):
        nets.mlp((4, 2, 3), activation="linear", task="autoencoder")


def test_every_start_converges_to_machine_precision(found):
    assert np.all(found.converged)
    assert np.all(found.grad_norms <= TOL)
    norms = np.linalg.norm(AE.grad(found.thetas), axis=1)
    np.testing.assert_allclose(found.grad_norms, norms, rtol=0, atol=1e-15)
    np.testing.assert_allclose(found.losses, AE.loss(found.thetas), rtol=1e-15)


def test_every_critical_loss_is_a_closed_form_level(found):
    levels = closed_form(AE)
    np.testing.assert_allclose(nets.autoencoder_levels(AE).losses, levels, rtol=1e-13)
    gaps = np.abs(found.losses[:, None] - levels).min(axis=1)
    assert gaps.max() <= 1e-12
    nearest, gap = nets.nearest_level(nets.autoencoder_levels(AE), found.losses)
    np.testing.assert_allclose(gap, gaps, rtol=0, atol=1e-15)
    assert len(set(nearest)) >= 5  # minima and saddles alike: many levels are reached


def test_minima_only_at_the_lowest_level_and_saddles_above(found):
    levels = closed_form(AE)
    lam = found.eigenvalues
    assert np.all(np.diff(lam, axis=1) >= 0)
    index = np.sum(lam < -1e-9 * np.abs(lam).max(axis=1, keepdims=True), axis=1)
    lowest = np.abs(found.losses - levels[0]) <= 1e-12
    assert lowest[-4:].all() and (~lowest).sum() >= STARTS // 2  # descents end at the bottom
    assert np.all(index[lowest] == 0)
    assert np.all(index[~lowest] >= 1)
    # Every point of one level has the same index (the level's subset A fixes it).
    pairs = {(round(loss, 9), i) for loss, i in zip(found.losses, index, strict=True)}
    assert len(pairs) == len({loss for loss, _ in pairs})


def test_a_single_start_gives_scalars():
    one = nets.find_critical(AE, AE.init(0), tol=TOL, steps=300)
    assert np.ndim(one.losses) == 0 and one.thetas.shape == (AE.n_params,)
    assert bool(one.converged)


def test_a_budget_too_small_does_not_converge_and_says_so():
    short = nets.find_critical(AE, nets.starts(AE, 3), tol=TOL, steps=1)
    assert not np.any(short.converged)
    np.testing.assert_array_equal(short.converged, short.grad_norms <= TOL)
    assert np.all(short.steps == 1)


def test_nan_starts_stay_nan():
    starts = nets.starts(AE, 2)
    starts[1] = np.nan
    done = nets.find_critical(AE, starts, tol=TOL, steps=50)
    assert done.converged[0] and not done.converged[1]
    assert np.all(np.isnan(done.eigenvalues[1]))


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(method="newton"), "method"), (dict(tol=-1.0), "tol"), (dict(steps=10**6), "steps")],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nets.find_critical(AE, AE.init(0), **kwargs)


def _torch_eigenvalues(theta: np.ndarray) -> np.ndarray:
    """The Hessian of nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 4)) under nn.MSELoss() on the
    autoencoder's inputs, by reverse-over-reverse autograd, row by row; its eigenvalues."""
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Linear(2, 4)).double()
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    x = torch.tensor(AE.inputs)
    t = torch.tensor(theta, requires_grad=True)
    parts = torch.split(t, [int(np.prod(shape)) for shape in shapes])
    params = {n: p.reshape(s) for n, p, s in zip(names, parts, shapes, strict=True)}
    loss = torch.nn.MSELoss()(torch.func.functional_call(model, params, (x,)), x)
    (g,) = torch.autograd.grad(loss, t, create_graph=True)
    rows = [torch.autograd.grad(g[i], t, retain_graph=True)[0] for i in range(len(theta))]
    h = torch.stack(rows).detach().numpy()
    return np.linalg.eigvalsh((h + h.T) / 2)


def test_eigenvalues_at_the_points_found_match_torch(found):
    """At one critical point of each level found (θ rounded to 12 decimals, stored with the
    reference), the eigenvalues equal torch's to 1e-10 of λmax."""
    _, first = np.unique(np.round(found.losses, 9), return_index=True)
    thetas = np.round(found.thetas[np.sort(first)[:4]], 12)
    stored = reference(
        "autoencoder/critical",
        lambda: {
            "thetas": thetas,
            "eigenvalues": np.stack([_torch_eigenvalues(t) for t in thetas]),
        },
    )
    ours = AE.spectrum(stored["thetas"])[0]
    scale = np.abs(stored["eigenvalues"]).max()
    np.testing.assert_allclose(ours, stored["eigenvalues"], rtol=0, atol=1e-10 * scale)
    again = nets.find_critical(AE, stored["thetas"], tol=TOL, steps=0)
    np.testing.assert_allclose(again.eigenvalues, stored["eigenvalues"], rtol=0, atol=1e-10 * scale)
