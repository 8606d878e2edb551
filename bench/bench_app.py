"""Playground figures against baselines measured alongside (issue 3's targets).

1. JSON size of the animated 2-D view: with frames vs the same figure without frames
   (target ≤ 1.5×) and absolute (target < 2 MB), default view.
2. Server-side rerun after a learning-rate slider change, default view, AppTest: playground vs
   a minimal page showing only the same contour with the same slider (target ≤ 4×).

    python -m bench.bench_app
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import plotly.io  # noqa: E402
from helpers import run_page  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from optimizers import make_optimizer, simulate_many  # noqa: E402
from surfaces import get_surface  # noqa: E402
from viz import trajectory_figure  # noqa: E402

LR_VALUES = [0.0015, 0.002, 0.003, 0.005, 0.007, 0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1]


def figure_size() -> None:
    surface = get_surface("rosenbrock")
    optimizers = [make_optimizer(n, lr=lr) for n, lr in (("sgd", 1e-3), ("momentum", 1e-3),
                                                         ("adam", 0.05))]  # fmt: skip
    runs = simulate_many(surface, optimizers, [(-1.2, 1.0)] * 3, 500)
    figure = trajectory_figure(
        surface, [(o.name, r) for o, r in zip(optimizers, runs, strict=True)]
    )
    spec = figure.to_dict()
    animated = len(plotly.io.to_json(spec, validate=False))
    static = len(plotly.io.to_json(spec | {"frames": []}, validate=False))
    print(f"figure JSON: {animated / 1e6:.3f} MB with frames, {static / 1e6:.3f} MB without")
    print(f"  ratio {animated / static:.2f}× (target ≤ 1.5×), size target < 2 MB")


def median_rerun(at, set_value, values: list[float]) -> float:
    times = []
    for value in values:
        set_value(at, value)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return statistics.median(times)


def rerun_time() -> None:
    playground = run_page("views/playground.py")
    minimal = AppTest.from_file(str(ROOT / "bench" / "minimal_contour.py"), default_timeout=60)
    minimal.run()

    def set_playground(at, value):
        at.select_slider(key="r0_lr").set_value(value)

    def set_minimal(at, value):
        at.select_slider(key="lr").set_value(value)

    # Interleave the pages so that load on the machine hits both alike; every value is new to
    # the playground, so each rerun simulates afresh rather than reading the cache.
    ours, base = [], []
    for round_ in range(3):
        values = LR_VALUES[round_ * 4 : round_ * 4 + 4]
        ours.append(median_rerun(playground, set_playground, values))
        base.append(median_rerun(minimal, set_minimal, values))
    ours_ms, base_ms = 1e3 * statistics.median(ours), 1e3 * statistics.median(base)
    print(f"rerun after a slider change: playground {ours_ms:.0f} ms, minimal contour page "
          f"{base_ms:.0f} ms, ratio {ours_ms / base_ms:.2f}× (target ≤ 4×)")  # fmt: skip


if __name__ == "__main__":
    figure_size()
    rerun_time()
