"""Speed of simulate_many: 8 different optimizers × 2,000 steps on Rosenbrock, against a
hand-written NumPy Adam loop advancing 8 runs at once on the same surface, run alongside.

Run: python bench/bench_simulate.py   (target: median ≤ 40 ms and ≤ ~1.75× the baseline)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from optimizers import OPTIMIZERS, make_optimizer, simulate_many

STEPS, RUNS, REPEATS = 2000, 8, 21


def rosenbrock():
    try:
        from surfaces import get_surface

        return get_surface("rosenbrock")
    except (ImportError, KeyError, ValueError):
        return _Rosenbrock()


class _Rosenbrock:
    """Stand-in until surfaces/ provides rosenbrock."""

    domain = ((-2.0, 2.0), (-1.0, 3.0))

    def f(self, x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def grad(self, x, y):
        return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=-1)


def baseline(starts: np.ndarray) -> np.ndarray:
    """Adam (torch defaults, lr 1e-3) on Rosenbrock, 8 runs at once, written out by hand."""
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    p = starts.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    out = np.empty((STEPS + 1, *p.shape))
    out[0] = p
    for t in range(1, STEPS + 1):
        x, y = p[:, 0], p[:, 1]
        r = y - x * x
        g = np.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=-1)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1**t) * m / (np.sqrt(v) / (1 - b2**t) ** 0.5 + eps)
        out[t] = p
    return out


def median_ms(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main() -> None:
    surface = rosenbrock()
    optimizers = [make_optimizer(name) for name in OPTIMIZERS]
    optimizers.append(make_optimizer("adam", amsgrad=True))
    starts = np.array([(-1.5, 2.0)] * RUNS) + np.linspace(0, 0.1, RUNS)[:, None]
    ours = median_ms(lambda: simulate_many(surface, optimizers, starts, STEPS))
    base = median_ms(lambda: baseline(starts))
    print(f"surface: {type(surface).__name__}; {RUNS} optimizers × {STEPS} steps")
    print(f"simulate_many median {ours:.1f} ms (target ≤ 40 ms)")
    print(f"baseline Adam loop median {base:.1f} ms")
    print(f"ratio {ours / base:.2f}× (target ≤ ~1.75×)")


if __name__ == "__main__":
    main()
