"""Speed of sweep on Himmelblau: a learning-rate sweep (every optimizer × 50 learning rates,
1,000 steps) and a basin map (one optimizer from a 60×60 grid of starts = 3,600 runs × 300
steps), each against one run of every optimizer and of Adam with AMSGrad × 1,000 steps (as
bench_simulate) measured alongside in alternating turns; the ratio is the median of per-turn
ratios.

Run: python -m bench.bench_sweep   (target: the sweep ≤ 5× the single runs)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from optimizers import OPTIMIZERS, make_optimizer, sweep
from surfaces import get_surface

TURNS = 7


def seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    surface = get_surface("himmelblau")
    start = surface.default_start
    each = [make_optimizer(name) for name in OPTIMIZERS] + [make_optimizer("adam", amsgrad=True)]
    rates = [
        make_optimizer(n, lr=float(lr)) for n in OPTIMIZERS for lr in np.geomspace(1e-4, 1, 50)
    ]
    single = f"{len(each)} runs × 1,000 steps"
    swept = f"{len(rates)} runs × 1,000 steps"
    (x0, x1), (y0, y1) = surface.domain
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60)), -1)
    grid = grid.reshape(-1, 2)
    adam = make_optimizer("adam", lr=0.05)
    jobs = {
        single: lambda: sweep(surface, each, [start] * len(each), 1000),
        swept: lambda: sweep(surface, rates, [start] * len(rates), 1000),
        "3,600 runs × 300 steps": lambda: sweep(surface, [adam] * 3600, grid, 300),
    }
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(TURNS):
        for name, job in jobs.items():
            times[name].append(seconds(job))
    base = times[single]
    print(f"sweep on {surface.key}, {TURNS} turns, medians")
    for name, ts in times.items():
        ratio = statistics.median(t / b for t, b in zip(ts, base, strict=True))
        print(f"{name:>24}: {1e3 * statistics.median(ts):7.0f} ms  {ratio:5.2f}× the {single}")
    print(f"target: {swept} ≤ 5× the {single}")


if __name__ == "__main__":
    main()
