"""Speed of simulate_many: every optimizer (and Adam with AMSGrad), one run each, × 2,000 steps on
Rosenbrock, against a hand-written NumPy Adam loop advancing as many runs at once on the same
surface, run alongside.

Run: python bench/bench_simulate.py   (target: median ≤ 40 ms and ≤ ~1.75× the baseline)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from optimizers import OPTIMIZERS, make_optimizer, simulate_many
from surfaces import get_surface

STEPS, REPEATS = 2000, 21
RUNS = len(OPTIMIZERS) + 1  # every optimizer, and Adam with AMSGrad


def baseline(starts: np.ndarray) -> np.ndarray:
    """Adam (torch defaults, lr 1e-3) on Rosenbrock, RUNS runs at once, written out by hand."""
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
    surface = get_surface("rosenbrock")
    optimizers = [make_optimizer(name) for name in OPTIMIZERS]
    optimizers.append(make_optimizer("adam", amsgrad=True))
    starts = np.array([(-1.5, 2.0)] * RUNS) + np.linspace(0, 0.1, RUNS)[:, None]
    ours = median_ms(lambda: simulate_many(surface, optimizers, starts, STEPS))
    base = median_ms(lambda: baseline(starts))
    x, y = starts[:, 0], starts[:, 1]
    grads = median_ms(lambda: [surface.grad(x, y) for _ in range(STEPS)])
    print(f"{RUNS} optimizers × {STEPS} steps on {surface.key}")
    print(f"simulate_many median {ours:.1f} ms (target ≤ 40 ms)")
    print(f"baseline Adam loop median {base:.1f} ms")
    print(f"ratio {ours / base:.2f}× (target ≤ ~1.75×)")
    print(f"of which {STEPS} calls of surface.grad: {grads:.1f} ms")


if __name__ == "__main__":
    main()
