"""The minima of any surface: the known ones, or those ``critical_points`` finds.

Kept apart from ``Surface`` so that the surface type does not depend on the solver.
"""

from __future__ import annotations

import functools

from surfaces.base import Point, Surface
from surfaces.critical import critical_points


@functools.lru_cache(maxsize=64)
def locate_minima(surface: Surface) -> tuple[Point, ...]:
    """Declared minima where the surface knows them, else every minimum found numerically.

    Found minima include the sample points of valleys (non-isolated minima), so the distance to
    the nearest minimum is meaningful for the toy network's hyperbola too.
    """
    if surface.knows_minima:
        return tuple(surface.minima)
    points: list[Point] = []
    for cp in critical_points(surface):
        if cp.kind != "minimum":
            continue
        if cp.isolated:
            points.append((cp.x, cp.y))
        else:
            points.extend((float(a), float(b)) for a, b in cp.curve)
    return tuple(points)
