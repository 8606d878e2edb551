"""The networks' datasets: small, generated here from a seed, never downloaded.

- ``sinc`` (regression): the course homework's curve y = sin(5πx)/(5πx) on [0, 1], 1 at x = 0,
  at x drawn uniformly from [0, 1] and sorted; targets of shape (n, 1), no noise.
- ``spirals`` (classification): three interleaved spiral arms in the plane, sample i in class
  i mod 3; on arm k at radius r ∈ [0.1, 1] the angle is 2πk/3 + 4r (radians) plus Gaussian
  noise of 0.15·r, so the arms blur outwards; integer labels of shape (n,).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Dataset(NamedTuple):
    inputs: np.ndarray  # (n, n_in) float64
    targets: np.ndarray  # (n, 1) float64 for regression, (n,) int64 class labels for classification


class Generator(NamedTuple):
    task: str
    n_in: int
    n_out: int  # outputs the network needs: 1 value, or one logit per class
    default_n: int
    make: Callable[[int, int], Dataset]


def _sinc(n: int, seed: int) -> Dataset:
    x = np.sort(np.random.default_rng(seed).uniform(0.0, 1.0, n))
    return Dataset(x[:, None], np.sinc(5.0 * x)[:, None])  # np.sinc(z) = sin(πz)/(πz)


def _spirals(n: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    radius = rng.uniform(0.1, 1.0, n)
    angle = 2 * np.pi * labels / 3 + 4.0 * radius + 0.15 * radius * rng.standard_normal(n)
    points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return Dataset(points, labels.astype(np.int64))


DATASETS: dict[str, Generator] = {
    "sinc": Generator("regression", 1, 1, 100, _sinc),
    "spirals": Generator("classification", 2, 3, 150, _spirals),
}
DEFAULT_DATASET = {"regression": "sinc", "classification": "spirals"}
