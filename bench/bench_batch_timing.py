"""What one minibatch update costs per batch size B on this machine, and B = 1 alongside: part 2's
point (a batch's samples are computed together) measured outside the page, which states it
without a live timing so that a link reads the same on every load.

Run: python -m bench.bench_batch_timing   (prints µs per update and the ratio to B = 1; the
median of 7 rounds, each the best of 200 calls)
"""

from __future__ import annotations

import statistics

from surfaces import get_surface
from surfaces.data import time_batch_gradients

ROUNDS = 7


def main() -> None:
    surface = get_surface("rbf_neuron")
    n = surface.n_samples
    sizes = sorted({1, 2, 4, 8, 20, n})
    rounds = [time_batch_gradients(surface, sizes) for _ in range(ROUNDS)]
    per_update = {
        size: statistics.median(rows[i].seconds_per_update for rows in rounds)
        for i, size in enumerate(sizes)
    }
    print(f"{surface.key}, n = {n}: µs per update (median of {ROUNDS} rounds, best of 200 each)")
    for size, seconds in per_update.items():
        epoch = seconds * (n // size)
        ratio = seconds / per_update[1]
        print(f"  B = {size:3d}: {1e6 * seconds:7.2f} µs per update, {ratio:5.2f}× B = 1; "
              f"{1e6 * epoch:8.1f} µs per epoch")  # fmt: skip


if __name__ == "__main__":
    main()
