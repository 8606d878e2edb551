"""Time critical_points per surface, and what hostile formulas cost before they are refused.

1. Built-in surfaces. Baseline, run alongside: a plain scipy.optimize.root loop from a 24×24 grid
   of starts (no dedupe, no classification), i.e. the naive way to do the same search. Prints
   ratios to it.
2. The hostile formulas of tests/test_hostile_formulas.py, by category: the longest time to
   refuse (or accept) one, as a ratio to the baseline of parsing ``x`` (one worker round trip)
   and to PARSE_BUDGET.
3. The search on formula surfaces, in its worker (killed at the deadline), against the same
   formula as a plain Surface searched in this process with the same time budget (checked
   between steps): the sandbox's overhead, and what each found.

    python -m bench.bench_critical_points   (or PYTHONPATH=. python bench/bench_critical_points.py)
"""

import time
from collections import defaultdict

import numpy as np
import sympy as sp

from surfaces import (
    ExpressionError,
    Surface,
    critical_points,
    get_surface,
    list_surfaces,
    parse_expression,
)
from surfaces.base import X, Y
from surfaces.critical import CRITICAL_BUDGET
from surfaces.expression import PARSE_BUDGET


def _median_time(fn, repeats=3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _baseline(surface) -> None:
    from scipy.optimize import root  # here: every formula's worker runs this script's top level

    (x0, x1), (y0, y1) = surface.domain
    for sx in np.linspace(x0, x1, 24):
        for sy in np.linspace(y0, y1, 24):
            root(lambda p: surface.grad(p[0], p[1]), [sx, sy], jac=lambda p: surface.hessian(*p))


def built_in() -> None:
    print(f"{'surface':18s} {'ours ms':>9s} {'naive ms':>9s} {'ratio':>6s} {'found':>6s}")
    for key in list_surfaces():
        s = get_surface(key)
        ours = _median_time(lambda s=s: critical_points(s))
        naive = _median_time(lambda s=s: _baseline(s), repeats=1)
        found = len(critical_points(s))
        print(f"{key:18s} {ours * 1e3:9.1f} {naive * 1e3:9.1f} {ours / naive:6.2f} {found:6d}")


def _outcome(text: str) -> tuple[float, bool]:
    start = time.perf_counter()
    try:
        parse_expression(text)
        accepted = True
    except ExpressionError:
        accepted = False
    return time.perf_counter() - start, accepted


def hostile() -> None:
    from tests.test_hostile_formulas import ACCEPTED, REFUSED

    parse_expression("x")  # the forkserver's start-up is nobody's formula
    base = _median_time(lambda: parse_expression("x"), repeats=5)
    worst: dict[str, float] = defaultdict(float)
    for category, text, _ in REFUSED:
        elapsed, accepted = _outcome(text)
        assert not accepted, text
        worst[f"refuse {category}"] = max(worst[f"refuse {category}"], elapsed)
    for text in ACCEPTED:
        elapsed, accepted = _outcome(text)
        key = "accept (odd but valid)" if accepted else "refuse valid, out of time"
        worst[key] = max(worst[key], elapsed)
    print(f"\nbaseline: parse_expression('x') {base * 1e3:.1f} ms; budget {PARSE_BUDGET:g} s")
    print(f"{'category':32s} {'max ms':>9s} {'/ base':>8s} {'/ budget':>9s}")
    for key, elapsed in sorted(worst.items(), key=lambda kv: -kv[1]):
        print(f"{key:32s} {elapsed * 1e3:9.1f} {elapsed / base:8.1f} {elapsed / PARSE_BUDGET:9.2f}")


FORMULAS = [
    "(x**2 + y**2 - 1)**2",
    "x^2 - y^2 + 0.1*x^4",
    "sin(3*x)*cos(3*y)",
    "+".join(f"exp(sin({i}*x*y))" for i in range(1, 12)),
]


def formulas() -> None:
    print(f"\ncritical_points of formulas (budget {CRITICAL_BUDGET:g} s)")
    print(f"{'formula':28s} {'worker ms':>10s} {'here ms':>9s} {'ratio':>6s} {'found':>6s}")
    for text in FORMULAS:
        s = parse_expression(text, time_budget=60.0)
        plain = Surface(
            key="plain",
            title=text,
            expr=sp.sympify(text.replace("^", "**"), locals={"x": X, "y": Y}),
            domain=s.domain,
            default_start=s.default_start,
        )
        found = critical_points(s)
        worker = _median_time(lambda s=s: critical_points(s))
        here = _median_time(lambda p=plain: critical_points(p, time_budget=CRITICAL_BUDGET))
        label = text if len(text) <= 28 else text[:27] + "…"
        print(f"{label:28s} {worker * 1e3:10.1f} {here * 1e3:9.1f} {worker / here:6.2f} "
              f"{len(found):6d}{'' if found.complete else ' (stopped)'}")  # fmt: skip


def main() -> None:
    built_in()
    hostile()
    formulas()


if __name__ == "__main__":
    main()
