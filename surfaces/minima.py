"""The minima service: every page that needs a surface's critical points or minima asks here.

One cache policy for all of them: a complete search is kept (the ``MAX_ENTRIES`` most recently
used); a search cut short by its time budget (a busy server cuts searches short that a quiet one
finishes) is returned with why it stopped, to whoever asked and to those waiting on that search,
and never remembered: the next to ask searches again. A class opening one formula at once starts
one search, not one each.

Kept apart from ``Surface`` so that the surface type does not depend on the solver.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable

from surfaces.base import Point, Surface
from surfaces.critical import CriticalPoints, critical_points
from surfaces.expression import FormulaSurface

MAX_ENTRIES = 64


class Minima(tuple):
    """The minima as a tuple of points (a valley's sample points included, so the distance to
    the nearest minimum is meaningful on the toy network's hyperbola too), with ``complete``
    and, when the search was cut short, why (``stopped``, a ``CriticalPoints.stopped`` code that
    the page words, ui/critical_notes.py)."""

    points: CriticalPoints | None

    def __new__(cls, points: Iterable[Point], found: CriticalPoints | None = None) -> Minima:
        minima = super().__new__(cls, points)
        minima.points = found
        return minima

    @property
    def complete(self) -> bool:
        return self.points is None or self.points.complete

    @property
    def stopped(self) -> str:
        return "" if self.points is None else self.points.stopped


class _Search:
    """One search in flight: its result once ``done`` is set (None if it raised)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: CriticalPoints | None = None


_lock = threading.Lock()
_thread = threading.local()  # .cut: searches cut short this thread was given (cut_short())
_complete: OrderedDict[Hashable, CriticalPoints] = OrderedDict()
_running: dict[Hashable, _Search] = {}


def _key(surface: Surface) -> Hashable:
    # A formula by its derivation (two parses of one text are the same surface); any other
    # surface by identity (the registry shares one object per key and parameters).
    if isinstance(surface, FormulaSurface):
        return ("formula", surface.formula)
    return ("object", surface)


def search(surface: Surface, *, time_budget: float | None = None) -> CriticalPoints:
    """Every critical point of ``surface`` (``surfaces.critical.critical_points``): from the
    cache if a complete search was kept, else searched, once for everyone asking at the same
    time. ``time_budget`` as in ``critical_points`` (a formula's default budget if None)."""
    key = _key(surface)
    while True:
        with _lock:
            kept = _complete.get(key)
            if kept is not None:
                _complete.move_to_end(key)
                return kept
            running = _running.get(key)
            leader = running is None
            if leader:
                running = _running[key] = _Search()
        if not leader:
            running.done.wait()
            if running.result is not None:
                return _given(running.result)
            continue  # the search raised: ask again (and see the error oneself)
        try:
            result = critical_points(surface, time_budget=time_budget)
            running.result = result
            if result.complete:
                with _lock:
                    _complete[key] = result
                    while len(_complete) > MAX_ENTRIES:
                        _complete.popitem(last=False)
            return _given(result)
        finally:
            with _lock:
                _running.pop(key, None)
            running.done.set()


def _given(result: CriticalPoints) -> CriticalPoints:
    if not result.complete:
        _thread.cut = cut_short() + 1
    return result


def cut_short() -> int:
    """How many searches cut short this thread has been given so far: a cache above this one
    (a figure drawn with the minima) compares it before and after, and does not keep what was
    built from a cut search either."""
    return getattr(_thread, "cut", 0)


def locate_minima(surface: Surface, *, time_budget: float | None = None) -> Minima:
    """Declared minima where the surface knows them, else every minimum ``search`` finds."""
    if surface.knows_minima:
        return Minima(surface.minima)
    found = search(surface, time_budget=time_budget)
    points: list[Point] = []
    for cp in found:
        if cp.kind != "minimum":
            continue
        if cp.isolated:
            points.append((cp.x, cp.y))
        else:
            points.extend((float(a), float(b)) for a, b in cp.curve)
    return Minima(points, found)


def forget() -> None:
    """Drop every kept search (tests; a server never needs to)."""
    with _lock:
        _complete.clear()
