"""nets' networks against torch: every declaration below equals an ``nn.Sequential`` loaded with
the same θ (loss, gradient and Hessian to 1e-10 relative, parameter layout, batch norm's running
statistics and eval mode), draws θ from torch's default initialisation law, and fits its dataset's
published definition. One generic test per property checks every declaration."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from reference import reference
from scipy import stats

import nets
from nets.data import DATASETS

ROOT = Path(__file__).resolve().parents[1]

# every activation with and without batch norm, both tasks, several widths and depths
DECLARATIONS = [
    dict(widths=(1, 6, 5, 1)),
    dict(widths=(2, 5, 4, 3), task="classification", batch_norm=True),
    dict(widths=(2, 5, 3), task="classification", activation="relu"),
    dict(widths=(1, 4, 3, 1), activation="relu", batch_norm=True, n_samples=30, seed=4),
    dict(widths=(1, 7, 1), activation="sigmoid"),
    dict(widths=(2, 6, 3), task="classification", activation="sigmoid", batch_norm=True),
]


def _id(declaration: dict) -> str:
    return "-".join(str(v) for v in declaration.values())


@pytest.fixture(scope="module", params=DECLARATIONS, ids=_id)
def case(request):
    """A network, a θ off the initialisation (γ, β not at 1, 0), and its name for references."""
    network = nets.mlp(**request.param)
    rng = np.random.default_rng(7)
    theta = network.init(3) + 0.3 * rng.standard_normal(network.n_params)
    return network, theta, _id(request.param)


def _torch_model(network):
    """The network's ``nn.Sequential`` twin in float64, torch's default initialisation."""
    import torch

    activation = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}
    modules = []
    for i, (n_in, n_out) in enumerate(zip(network.widths[:-1], network.widths[1:], strict=True)):
        modules.append(torch.nn.Linear(n_in, n_out, dtype=torch.float64))
        if i < len(network.widths) - 2:
            if network.batch_norm:
                modules.append(torch.nn.BatchNorm1d(n_out, dtype=torch.float64))
            modules.append(activation[network.activation]())
    return torch.nn.Sequential(*modules)


def _load(model, theta: np.ndarray) -> None:
    """θ into the model's parameters, in ``parameters()`` order, each row-major."""
    import torch

    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(torch.tensor(theta), model.parameters())


def torch_layout(network) -> np.ndarray:
    """The model's ``named_parameters()`` as [[name, shape], …], JSON in bytes (an npz holds
    numbers)."""
    layout = [[name, list(p.shape)] for name, p in _torch_model(network).named_parameters()]
    return np.frombuffer(json.dumps(layout).encode(), dtype=np.uint8)


def torch_derivatives(network, theta: np.ndarray) -> dict[str, np.ndarray]:
    """Loss, gradient and Hessian of the torch model on the network's dataset at θ (batch norm in
    training mode: torch.func needs its running-statistics buffers gone, which leaves exactly
    batch statistics)."""
    import torch

    functional = _torch_model(network)
    torch.func.replace_all_batch_norm_modules_(functional)
    names = [name for name, _ in functional.named_parameters()]
    shapes = [p.shape for p in functional.parameters()]
    x, y = torch.tensor(network.inputs), torch.tensor(network.targets)
    criterion = torch.nn.MSELoss() if network.task == "regression" else torch.nn.CrossEntropyLoss()

    def loss(theta):
        parts = torch.split(theta, [int(np.prod(s)) for s in shapes])
        params = {n: p.reshape(s) for n, p, s in zip(names, parts, shapes, strict=True)}
        return criterion(torch.func.functional_call(functional, params, (x,)), y)

    t = torch.tensor(theta)
    # Reverse over reverse: torch.func.hessian (forward over reverse) is wrong through
    # BatchNorm1d in training mode (pytorch/pytorch#196699, an incorrect second-order JVP).
    return {
        "loss": loss(t).detach().numpy(),
        "grad": torch.func.grad(loss)(t).numpy(),
        "hessian": torch.func.jacrev(torch.func.grad(loss))(t).numpy(),
    }


def _close(ours, reference, rel=1e-10):
    """Within rel of the reference, entries near zero measured against its largest entry."""
    reference = np.asarray(reference)
    np.testing.assert_allclose(ours, reference, rtol=rel, atol=rel * np.abs(reference).max())


def test_layout_is_torch_named_parameters(case):
    network, _, name = case
    layout = json.loads(bytes(reference(f"{name}/layout", partial(torch_layout, network))))
    assert network.layout == tuple((n, tuple(shape)) for n, shape in layout)
    assert network.n_params == sum(int(np.prod(shape)) for _, shape in layout)


def test_loss_gradient_and_hessian_equal_torch(case):
    network, theta, name = case
    theirs = reference(f"{name}/derivatives", partial(torch_derivatives, network, theta))
    _close(network.loss(theta), theirs["loss"])
    _close(network.grad(theta), theirs["grad"])
    _close(network.hessian(theta), theirs["hessian"])


@pytest.mark.parametrize("index", [0, 1], ids=lambda i: _id(DECLARATIONS[i]))
def test_batches_of_thetas_equal_one_at_a_time(index):
    network = nets.mlp(**DECLARATIONS[index])
    thetas = network.init(0) + 0.1 * np.random.default_rng(1).standard_normal((3, network.n_params))
    losses, grads, hessians = network.loss(thetas), network.grad(thetas), network.hessian(thetas)
    lam, vectors = network.spectrum(thetas)
    assert losses.shape == (3,) and grads.shape == (3, network.n_params)
    assert hessians.shape == vectors.shape == (3, network.n_params, network.n_params)
    for i, row in enumerate(thetas):
        _close(losses[i], network.loss(row), 1e-13)
        _close(grads[i], network.grad(row), 1e-13)
        _close(hessians[i], network.hessian(row), 1e-13)
        _close(lam[i], np.linalg.eigvalsh(hessians[i]), 1e-12)
        _close(hessians[i] @ vectors[i], vectors[i] * lam[i], 1e-9)


def torch_batch_norm(network, theta, path, new_inputs) -> dict[str, np.ndarray]:
    """The torch model's training-mode outputs at θ; its batch norms' running statistics after a
    forward pass at each θ of ``path`` from fresh buffers (mean 0, variance 1); then its outputs
    on ``new_inputs`` in eval mode."""
    import torch

    model = _torch_model(network)
    _load(model, theta)
    with torch.no_grad():
        outputs = model(torch.tensor(network.inputs)).numpy()
    model = _torch_model(network)
    model.train()
    with torch.no_grad():
        for row in path:
            _load(model, row)
            model(torch.tensor(network.inputs))
    norms = [m for m in model if isinstance(m, torch.nn.BatchNorm1d)]
    model.eval()
    with torch.no_grad():
        evaluated = model(torch.tensor(new_inputs)).numpy()
    running = {f"mean{i}": bn.running_mean.numpy() for i, bn in enumerate(norms)}
    running |= {f"var{i}": bn.running_var.numpy() for i, bn in enumerate(norms)}
    return {"outputs": outputs, "eval": evaluated} | running


def test_outputs_running_statistics_and_eval_mode_equal_torch(case):
    """Training mode: outputs with the dataset's batch statistics; then the running statistics
    after a few forward passes, and eval mode with them on new inputs."""
    network, theta, name = case
    if not network.batch_norm:
        assert network.running_stats(theta[None]) == ()
        return
    rng = np.random.default_rng(2)
    path = theta + 0.2 * rng.standard_normal((4, network.n_params))
    new_inputs = rng.uniform(-1, 1, (7, network.widths[0]))
    theirs = reference(
        f"{name}/batch_norm", partial(torch_batch_norm, network, theta, path, new_inputs)
    )
    _close(network.outputs(theta), theirs["outputs"])
    running = network.running_stats(path)
    assert len(running) == sum(key.startswith("mean") for key in theirs)
    for i, (mean, var) in enumerate(running):
        _close(mean, theirs[f"mean{i}"], 1e-12)
        _close(var, theirs[f"var{i}"], 1e-12)
    _close(network.outputs(path[-1], new_inputs, running), theirs["eval"])


def torch_init(network) -> dict[str, np.ndarray]:
    """torch's own draws for the model after ``manual_seed(0)``: every Linear's weight then bias
    over its bound 1/√fan_in, pooled, and every batch norm's γ then β."""
    import torch

    torch.manual_seed(0)
    model = _torch_model(network)
    pooled, affine = [], []
    for m in model:
        if isinstance(m, torch.nn.Linear):
            bound = 1 / np.sqrt(m.in_features)
            pooled += [m.weight.detach().numpy().ravel() / bound, m.bias.detach().numpy() / bound]
        elif isinstance(m, torch.nn.BatchNorm1d):
            affine += [m.weight.detach().numpy(), m.bias.detach().numpy()]
    return {"pooled": np.concatenate(pooled), "affine": np.concatenate(affine)}


def test_init_follows_torchs_default_linear_law():
    """Every weight and bias is U(−1/√fan_in, 1/√fan_in): each tensor within its bound, and the
    pooled values over bound pass a KS test against U(−1, 1), as torch's own draws do; batch
    norm's γ = 1 and β = 0, as torch's."""
    network = nets.mlp((1, 30, 10, 1), batch_norm=True)
    theta = network.init(0)
    theirs = reference("(1, 30, 10, 1)-True/init", partial(torch_init, network))
    ours, affine = [], []
    for layer in network.layers:
        bound = 1 / np.sqrt(layer.n_in)
        part = theta[layer.start : layer.stop]
        weights = part[: layer.n_out * (layer.n_in + 1)]
        assert np.all(np.abs(weights) <= bound)
        ours.append(weights / bound)
        affine.append(part[weights.size :])
    np.testing.assert_array_equal(np.concatenate(affine), theirs["affine"])
    uniform = stats.uniform(-1, 2).cdf
    assert stats.kstest(np.concatenate(ours), uniform).pvalue > 1e-3
    assert stats.kstest(theirs["pooled"], uniform).pvalue > 1e-3
    assert not np.array_equal(network.init(0), network.init(1))
    np.testing.assert_array_equal(network.init(5), network.init(5))


def test_sinc_is_the_homework_curve():
    network = nets.mlp((1, 3, 1))
    x, y = network.inputs[:, 0], network.targets[:, 0]
    assert network.inputs.shape == (100, 1) and network.targets.shape == (100, 1)
    assert np.all((x > 0) & (x < 1)) and np.all(np.diff(x) >= 0)
    np.testing.assert_allclose(y, np.sin(5 * np.pi * x) / (5 * np.pi * x), rtol=1e-12)
    assert DATASETS["sinc"].make(2, 0).targets.shape == (2, 1)


def test_spirals_are_three_balanced_interleaved_classes():
    network = nets.mlp((2, 4, 3), task="classification", n_samples=150, seed=1)
    x, labels = network.inputs, network.targets
    assert x.shape == (150, 2) and labels.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(labels), [50, 50, 50])
    assert np.all(np.linalg.norm(x, axis=1) <= 1.3)
    # interleaved: no class is separable from the others by its mean direction alone
    means = np.array([x[labels == k].mean(axis=0) for k in range(3)])
    assert np.all(np.linalg.norm(means, axis=1) < 0.5)
    again = nets.mlp((2, 4, 3), task="classification", n_samples=150, seed=1)
    np.testing.assert_array_equal(again.inputs, x)
    other = nets.mlp((2, 4, 3), task="classification", n_samples=150, seed=2)
    assert not np.array_equal(other.inputs, x)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(widths=(1,) + (4,) * nets.MAX_LAYERS + (1,)), "Linear layers"),
        (dict(widths=(1, nets.MAX_WIDTH + 1, 1)), "width"),
        (dict(widths=(1, 30, 30, 1)), "parameters"),
        (dict(widths=(2, 4, 1)), "input"),
        (dict(widths=(1, 4, 3), task="regression"), "output"),
        (dict(widths=(1, 4.0, 1)), "integers"),
        (dict(widths=(1, 4, 1), activation="gelu"), "activation"),
        (dict(widths=(1, 4, 1), task="ranking"), "task"),
        (dict(widths=(1, 4, 1), dataset="spirals"), "dataset"),
        (dict(widths=(1, 4, 1), n_samples=nets.MAX_SAMPLES + 1), "n_samples"),
        (dict(widths=(1, 4, 1), n_samples=nets.MIN_SAMPLES - 1), "n_samples"),
        (dict(widths=(1, 4, 1), seed=-1), "seed"),
    ],
)
def test_limits_and_mistakes_raise_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nets.mlp(**kwargs)


def test_a_theta_of_the_wrong_shape_raises():
    network = nets.mlp((1, 3, 1))
    with pytest.raises(ValueError, match="shape"):
        network.loss(np.zeros(network.n_params + 1))
    with pytest.raises(ValueError, match="shape"):
        network.grad(np.zeros((2, 3, network.n_params)))


def test_importing_nets_does_not_import_jax():
    code = "import sys, nets; nets.mlp((1, 3, 1)); assert 'jax' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_second_network_of_the_same_shape_reuses_the_compiled_functions():
    first, second = nets.mlp((1, 6, 5, 1)), nets.mlp((1, 6, 5, 1), seed=9)
    assert first._kernels is second._kernels
    assert not np.array_equal(first.inputs, second.inputs)
