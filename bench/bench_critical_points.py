"""Time critical_points per surface and the refusal of hostile formulas.

Baseline, run alongside: a plain scipy.optimize.root loop from a 24×24 grid of starts (no
dedupe, no classification), i.e. the naive way to do the same search. Prints ratios to it.

    python -m bench.bench_critical_points   (or PYTHONPATH=. python bench/bench_critical_points.py)
"""

import contextlib
import time

import numpy as np
from scipy.optimize import root

from surfaces import ExpressionError, critical_points, get_surface, list_surfaces, parse_expression


def _median_time(fn, repeats=3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _baseline(surface) -> None:
    (x0, x1), (y0, y1) = surface.domain
    for sx in np.linspace(x0, x1, 24):
        for sy in np.linspace(y0, y1, 24):
            root(lambda p: surface.grad(p[0], p[1]), [sx, sy], jac=lambda p: surface.hessian(*p))


def main() -> None:
    print(f"{'surface':18s} {'ours ms':>9s} {'naive ms':>9s} {'ratio':>6s} {'found':>6s}")
    for key in list_surfaces():
        s = get_surface(key)
        ours = _median_time(lambda s=s: critical_points(s))
        naive = _median_time(lambda s=s: _baseline(s), repeats=1)
        found = len(critical_points(s))
        print(f"{key:18s} {ours * 1e3:9.1f} {naive * 1e3:9.1f} {ours / naive:6.2f} {found:6d}")
    for text in ["9**9**9", "10**10**10", "(" * 10_000 + "x" + ")" * 10_000, "x" * 1_000_000]:

        def refuse(text=text):
            with contextlib.suppress(ExpressionError):
                parse_expression(text)

        print(f"refuse {text[:12]!r:16s} {_median_time(refuse) * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
