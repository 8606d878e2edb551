"""The networks' datasets: small, generated here from a seed, never downloaded.

- ``sinc`` (regression): the course homework's curve y = sin(5πx)/(5πx) on [0, 1], 1 at x = 0,
  at x drawn uniformly from [0, 1] and sorted; targets of shape (n, 1), no noise.
- ``spirals`` (classification): three interleaved spiral arms in the plane, sample i in class
  i mod 3; on arm k at radius r ∈ [0.1, 1] the angle is 2πk/3 + 4r (radians) plus Gaussian
  noise of 0.15·r, so the arms blur outwards; integer labels of shape (n,).
- ``gaussian`` (autoencoder): n points in d dimensions (d = the network's first width), coordinate
  i drawn from N(0, 1/(i + 1)²), so every direction has its own variance and the input
  covariance's eigenvalues are distinct; targets are the inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Dataset(NamedTuple):
    inputs: np.ndarray  # (n, n_in) float64
    targets: np.ndarray  # (n, 1) regression, (n,) int64 class labels, (n, d) autoencoder


class Generator(NamedTuple):
    task: str
    n_in: int | None  # None: any number of inputs (the network's first width)
    n_out: int | None  # outputs the network needs: 1 value, one logit per class, or n_in
    default_n: int
    make: Callable[[int, int, int], Dataset]  # (n, seed, inputs)


def _sinc(n: int, seed: int, _inputs: int = 1) -> Dataset:
    x = np.sort(np.random.default_rng(seed).uniform(0.0, 1.0, n))
    return Dataset(x[:, None], np.sinc(5.0 * x)[:, None])  # np.sinc(z) = sin(πz)/(πz)


def _spirals(n: int, seed: int, _inputs: int = 2) -> Dataset:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    radius = rng.uniform(0.1, 1.0, n)
    angle = 2 * np.pi * labels / 3 + 4.0 * radius + 0.15 * radius * rng.standard_normal(n)
    points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return Dataset(points, labels.astype(np.int64))


def _gaussian(n: int, seed: int, inputs: int) -> Dataset:
    x = np.random.default_rng(seed).standard_normal((n, inputs)) / np.arange(1, inputs + 1)
    return Dataset(x, x.copy())


DATASETS: dict[str, Generator] = {
    "sinc": Generator("regression", 1, 1, 100, _sinc),
    "spirals": Generator("classification", 2, 3, 150, _spirals),
    "gaussian": Generator("autoencoder", None, None, 100, _gaussian),
}
DEFAULT_DATASET = {"regression": "sinc", "classification": "spirals", "autoencoder": "gaussian"}
