"""Small real networks with exact derivatives, each equal to a torch model with the same θ.

A Network is ``nn.Sequential(Linear, [BatchNorm1d], activation, …, Linear)`` over a whole
dataset: θ is its ``parameters()`` flattened row-major (per Linear its weight (out, in) then its
bias; with batch norm, that BatchNorm1d's γ then β right after every hidden Linear), and the loss is
``nn.MSELoss()`` (regression) or ``nn.CrossEntropyLoss()`` over integer labels (classification),
both means; an autoencoder (``task="autoencoder"``, widths (d, …, d)) fits its inputs with
``nn.MSELoss()``. Batch norm is torch's training mode with the whole dataset as one batch (batch
mean, biased variance, ε = 1e-5); ``running_stats`` and ``outputs(..., running=)`` give what
evaluation needs. Loss, gradient and Hessian are JAX's, float64, imported on first use
(``nets.kernels``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from nets.arch import BN_MOMENTUM, Arch, layers, layout
from nets.data import DATASETS, DEFAULT_DATASET

MAX_PARAMS = 500
MAX_LAYERS = 6  # Linear layers
MAX_WIDTH = 64
MIN_SAMPLES, MAX_SAMPLES = 3, 1000
ACTIVATION_NAMES = ("tanh", "relu", "sigmoid", "linear")
TASKS = ("regression", "classification", "autoencoder")
# Work bound: sample-parameter products summed over every loss (×1), gradient (×3: a forward and
# a backward pass) and Hessian (×3P) a call evaluates; 2e10 is well under a minute here.
MAX_WORK = 2e10
# What a survey or a critical-point solve may cost: estimated seconds on this 2-core machine
# (``seconds``), from per-operation costs measured by ``python -m bench.bench_nets --cost``:
# a training step (a fixed part, and per run × sample × parameter) and a Newton step of one run
# (per sample × parameter² for the Hessian, per parameter³ for its eigendecomposition).
MAX_SECONDS = 60.0
STEP_SECONDS, TRAIN_SECONDS = 2e-4, 1e-9
NEWTON_SECONDS, EIGH_SECONDS = 4e-9, 1e-9
CHUNK = 1024  # θs per compiled call; fewer are padded up to a power of two (few compilations)
MIN_ROWS = 8  # the smallest call: one θ costs as much as 8, but shares their compilation

Running = tuple[tuple[np.ndarray, np.ndarray], ...]  # (mean, var) per batch-norm layer


class Network:
    """An MLP with its dataset; see the module docstring. Build it with ``mlp``."""

    def __init__(self, arch: Arch, dataset: str, n_samples: int, seed: int) -> None:
        self.arch = arch
        self.widths, self.activation, self.batch_norm, self.task = arch
        self.dataset = dataset
        self.data_seed = seed
        self.inputs, self.targets = DATASETS[dataset].make(n_samples, seed, arch.widths[0])
        self.n_samples = n_samples
        self.layers = layers(arch)
        self.layout = layout(arch)
        self.n_params = self.layers[-1].stop

    def __repr__(self) -> str:
        bn = ", batch_norm" if self.batch_norm else ""
        return f"<Network {self.widths} {self.activation}{bn}: {self.n_params} parameters>"

    def init(self, seed: int) -> np.ndarray:
        """θ drawn as torch's default ``nn.Linear`` initialisation: weight and bias both
        U(−1/√fan_in, 1/√fan_in), layer by layer (weight then bias) from ``default_rng(seed)``;
        batch norm's γ = 1, β = 0. Torch's random stream is not reproduced, only its law."""
        rng = np.random.default_rng(seed)
        parts = []
        for layer in self.layers:
            bound = 1 / np.sqrt(layer.n_in)
            parts += [rng.uniform(-bound, bound, layer.n_out * layer.n_in)]
            parts += [rng.uniform(-bound, bound, layer.n_out)]
            if layer.bn:
                parts += [np.ones(layer.n_out), np.zeros(layer.n_out)]
        return np.concatenate(parts)

    def loss(self, theta: np.ndarray) -> np.ndarray:
        """L(θ) for θ of shape (P,) (a float) or (runs, P) (an array of shape (runs,))."""
        return self._rows(self._kernels.loss, theta)

    def grad(self, theta: np.ndarray) -> np.ndarray:
        """∇L(θ), shape (P,) or (runs, P)."""
        return self._rows(self._kernels.grad, theta)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """∇²L(θ), symmetric, shape (P, P) or (runs, P, P)."""
        return self._one_by_one(self._kernels.hessian, theta)

    def spectrum(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The Hessian's eigenvalues, ascending, and eigenvectors (columns): shapes (P,), (P, P)
        or (runs, P), (runs, P, P). Computed by XLA's eigh: NumPy's, on OpenBLAS threads, is
        about 30× slower for these small matrices on this 2-core machine with jax loaded."""
        return self._one_by_one(self._kernels.spectrum, theta)

    def outputs(
        self, theta: np.ndarray, inputs: np.ndarray | None = None, running: Running | None = None
    ) -> np.ndarray:
        """The network's outputs (values, or logits) on ``inputs`` (default: the dataset), shape
        (n, widths[-1]). Batch norm in training mode (statistics of these inputs as one batch)
        unless ``running`` statistics are given, as ``running_stats`` returns: then eval mode."""
        theta = self._check(theta, single=True)
        x = self.inputs if inputs is None else np.asarray(inputs, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.widths[0]:
            raise ValueError(f"inputs must have shape (n, {self.widths[0]}), got {x.shape}")
        return np.asarray(self._kernels.outputs(theta, x, running if self.batch_norm else None))

    def running_stats(self, thetas: np.ndarray) -> Running:
        """(running_mean, running_var) per batch-norm layer, as torch's BatchNorm1d holds them
        after a training-mode forward pass at each θ of ``thetas`` (shape (T, P)) in turn:
        from mean 0 and var 1, r ← (1 − 0.1)·r + 0.1·s with s the batch mean, or the batch
        variance made unbiased (× n/(n − 1)). Pass every θ a forward pass saw (for a training
        path, each step's θ before its update). Empty without batch norm."""
        thetas = self._check(thetas, single=False)
        widths = [layer.n_out for layer in self.layers if layer.bn]
        if not widths:
            return ()
        stats = self._rows(self._kernels.batch_stats, thetas)
        correction = self.n_samples / (self.n_samples - 1)
        mean, var = np.zeros(sum(widths)), np.ones(sum(widths))
        for row in stats:
            m, v = np.split(row, 2)
            mean = (1 - BN_MOMENTUM) * mean + BN_MOMENTUM * m
            var = (1 - BN_MOMENTUM) * var + BN_MOMENTUM * (v * correction)
        cuts = np.cumsum(widths)[:-1]
        return tuple(zip(np.split(mean, cuts), np.split(var, cuts), strict=True))

    @functools.cached_property
    def _kernels(self) -> Any:
        from nets.kernels import kernels

        return kernels(self.arch, self.n_samples)

    def _one_by_one(self, single, theta: np.ndarray) -> Any:
        """single(θ) for θ (P,), or for each row of θ (runs, P), stacked."""
        theta = self._check(theta)
        rows = [_numpy(single(row, self.inputs, self.targets)) for row in np.atleast_2d(theta)]
        if theta.ndim == 1:
            return rows[0]
        if isinstance(rows[0], tuple):
            return tuple(map(np.stack, zip(*rows, strict=True)))
        return np.stack(rows)

    def _rows(self, many, theta: np.ndarray) -> np.ndarray:
        """many(θs, x, y) for θ (P,) or each row of θ (m, P), CHUNK rows per call; a shorter call
        is padded up to a power of two, at least MIN_ROWS, so few shapes are ever compiled."""
        theta = self._check(theta)
        rows = np.atleast_2d(theta)
        pieces = []
        for i in range(0, max(len(rows), 1), CHUNK):
            part = rows[i : i + CHUNK]
            size = min(CHUNK, max(MIN_ROWS, 1 << max(len(part) - 1, 0).bit_length()))
            padded = np.zeros((size, self.n_params))
            padded[: len(part)] = part
            padded[len(part) :] = part[0] if len(part) else 0.0
            pieces.append(np.asarray(many(padded, self.inputs, self.targets))[: len(part)])
        out = np.concatenate(pieces)
        return out if theta.ndim == 2 else out[0]

    def _check(self, theta: np.ndarray, single: bool | None = None) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        ndims = {True: (1,), False: (2,), None: (1, 2)}[single]
        if theta.ndim not in ndims or theta.shape[-1] != self.n_params:
            shapes = " or ".join(["(P,)", "(runs, P)"][d - 1] for d in ndims)
            raise ValueError(
                f"θ must have shape {shapes} with P = {self.n_params}, got {theta.shape}"
            )
        return theta


def mlp(
    widths: Sequence[int],
    *,
    activation: str = "tanh",
    batch_norm: bool = False,
    task: str = "regression",
    dataset: str | None = None,
    n_samples: int | None = None,
    seed: int = 0,
) -> Network:
    """The MLP with layer widths ``widths`` (inputs first, outputs last), e.g. (1, 6, 6, 1), on
    ``dataset`` (default: "sinc" for regression, "spirals" for classification, "gaussian" for an
    autoencoder, whose widths start and end with the same d; nets.data) of
    ``n_samples`` points (default: the dataset's) generated from ``seed``.

    Raises ValueError, naming the limit, past MAX_LAYERS Linear layers, MAX_WIDTH units,
    MAX_PARAMS parameters or [MIN_SAMPLES, MAX_SAMPLES] samples, or when the widths do not fit
    the dataset.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if activation not in ACTIVATION_NAMES:
        raise ValueError(f"activation must be one of {ACTIVATION_NAMES}, got {activation!r}")
    if not isinstance(batch_norm, bool | np.bool_):
        raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
    dataset = DEFAULT_DATASET[task] if dataset is None else dataset
    if dataset not in DATASETS or DATASETS[dataset].task != task:
        names = [name for name, gen in DATASETS.items() if gen.task == task]
        raise ValueError(f"dataset for {task} must be one of {names}, got {dataset!r}")
    gen = DATASETS[dataset]
    widths = tuple(widths)
    if not all(is_integer(w) for w in widths) or not 2 <= len(widths) <= MAX_LAYERS + 1:
        raise ValueError(
            f"widths must be 2 to {MAX_LAYERS + 1} integers (at most {MAX_LAYERS} Linear "
            f"layers), got {widths!r}"
        )
    widths = tuple(int(w) for w in widths)
    if not all(1 <= w <= MAX_WIDTH for w in widths):
        raise ValueError(f"every width must lie in [1, {MAX_WIDTH}], got {widths}")
    n_in = widths[0] if gen.n_in is None else gen.n_in
    n_out = n_in if gen.n_out is None else gen.n_out
    if (widths[0], widths[-1]) != (n_in, n_out):
        raise ValueError(
            f"{dataset} needs {n_in} input(s) and {n_out} output(s): widths must start "
            f"with {n_in} and end with {n_out}, got {widths}"
        )
    n_samples = gen.default_n if n_samples is None else n_samples
    if not (is_integer(n_samples) and MIN_SAMPLES <= n_samples <= MAX_SAMPLES):
        raise ValueError(f"n_samples must be an integer in [{MIN_SAMPLES}, {MAX_SAMPLES}]")
    if not (is_integer(seed) and seed >= 0):
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    arch = Arch(widths, activation, bool(batch_norm), task)
    n_params = layers(arch)[-1].stop
    if n_params > MAX_PARAMS:
        raise ValueError(f"{widths} has {n_params} parameters; at most {MAX_PARAMS} are allowed")
    return Network(arch, dataset, int(n_samples), int(seed))


def check_work(network: Network, evaluations: float) -> None:
    """Refuse work of more than MAX_WORK: ``evaluations`` in loss evaluations (see MAX_WORK)."""
    work = evaluations * network.n_samples * network.n_params
    if work > MAX_WORK:
        raise ValueError(
            f"this asks for about {work:.2g} sample-parameter operations; the limit is "
            f"{MAX_WORK:.2g} (ask for fewer runs, steps, points, samples or parameters)"
        )


def seconds(network: Network, runs: int, steps: int, newton_steps: int) -> float:
    """Estimated time on this machine: ``steps`` training steps of ``runs`` runs, then
    ``newton_steps`` Newton steps of each (constants above, measured)."""
    n, p = network.n_samples, network.n_params
    train = steps * (STEP_SECONDS + TRAIN_SECONDS * runs * n * p)
    newton = runs * (newton_steps + 1) * (NEWTON_SECONDS * n * p * p + EIGH_SECONDS * p**3)
    return float(train + newton)


def check_seconds(network: Network, runs: int, steps: int, newton_steps: int) -> None:
    """Refuse a survey estimated to take more than MAX_SECONDS."""
    estimate = seconds(network, runs, steps, newton_steps)
    if estimate > MAX_SECONDS:
        raise ValueError(
            f"this would take about {estimate:.0f} s; the limit is {MAX_SECONDS:.0f} s (ask for "
            "fewer runs, steps, samples or parameters)"
        )


def _numpy(out: Any) -> Any:
    return tuple(map(np.asarray, out)) if isinstance(out, tuple) else np.asarray(out)


def is_integer(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)
