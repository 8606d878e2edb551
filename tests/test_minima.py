"""The minima service (surfaces.minima): one cache policy for every page. A complete search is
kept, one cut short by its time budget is returned with its note and never remembered, a class
asking at once starts one search; and the three pages that show minima (playground, sweeps,
critical points) agree with an independent search (SciPy from a grid of starts)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.optimize import minimize

from surfaces import critical_points, get_surface, minima, parse_expression
from surfaces.critical import CriticalPoints

FORMULA = "sin(3*x)*cos(3*y) + 0.1*(x^2 + y^2)"  # 15 minima in [-3, 3]² (issue 25)


def f(p):
    x, y = p
    return np.sin(3 * x) * np.cos(3 * y) + 0.1 * (x * x + y * y)


def grad(p):
    x, y = p
    return np.array([3 * np.cos(3 * x) * np.cos(3 * y) + 0.2 * x,
                     -3 * np.sin(3 * x) * np.sin(3 * y) + 0.2 * y])  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """Every local minimum inside the domain, by BFGS from a 40 × 40 grid of starts."""
    found: list[np.ndarray] = []
    for x0 in np.linspace(-2.95, 2.95, 40):
        for y0 in np.linspace(-2.95, 2.95, 40):
            r = minimize(f, [x0, y0], jac=grad, method="BFGS", options={"gtol": 1e-12})
            p = r.x
            inside = np.all(np.abs(p) < 3) and np.linalg.norm(grad(p)) < 1e-8
            if inside and not any(np.linalg.norm(p - q) < 1e-5 for q in found):
                found.append(p)
    return np.array(sorted(found, key=lambda p: (round(p[0], 6), round(p[1], 6))))


def same_points(points, reference: np.ndarray) -> None:
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    assert len(points) == len(reference)
    for p in reference:
        assert np.min(np.linalg.norm(points - p, axis=1)) < 1e-6


@pytest.fixture(autouse=True)
def fresh():
    minima.forget()
    yield
    minima.forget()


def test_a_search_cut_short_is_not_kept_and_a_complete_one_is(reference):
    surface = parse_expression(FORMULA)
    cut = minima.search(surface, time_budget=0.0)
    assert not cut.complete and cut.stopped == "time"  # returned with why it stopped
    full = minima.locate_minima(surface)  # searched again, not the cut one
    assert full.complete and not full.stopped
    same_points(full, reference)
    assert len(reference) == 15
    # Kept: the same object for the same formula parsed again, whatever the budget asked.
    again = minima.search(parse_expression(FORMULA), time_budget=0.0)
    assert again is full.points


def test_a_cut_search_is_searched_again(monkeypatch):
    calls = []

    def cut_short(surface, *, time_budget=None):
        calls.append(time_budget)
        return CriticalPoints(stopped="time", budget=0.05)

    monkeypatch.setattr(minima, "critical_points", cut_short)
    surface = get_surface("himmelblau")
    for _ in range(3):
        found = minima.search(surface, time_budget=0.05)
        assert not found.complete and found.stopped == "time" and found.budget == 0.05
    assert len(calls) == 3


@pytest.mark.parametrize("complete", [True, False])
def test_a_class_asking_at_once_starts_one_search(monkeypatch, complete):
    """Four students wait on the search the first one started and get its result; a cut one is
    then forgotten (the next student searches again), a complete one kept."""
    arrived, release, calls = threading.Condition(), threading.Event(), []
    waiting = [0]

    class Counted(threading.Event):
        def wait(self, timeout=None):
            with arrived:
                waiting[0] += 1
                arrived.notify_all()
            return super().wait(timeout)

    class Search(minima._Search):
        def __init__(self):
            super().__init__()
            self.done = Counted()

    def slow(surface, *, time_budget=None):
        calls.append(1)
        assert release.wait(60)
        return critical_points(surface) if complete else CriticalPoints(stopped="time")

    monkeypatch.setattr(minima, "_Search", Search)
    monkeypatch.setattr(minima, "critical_points", slow)
    surface, results = get_surface("himmelblau"), []
    users = [threading.Thread(target=lambda: results.append(minima.search(surface)))
             for _ in range(5)]  # fmt: skip
    for user in users:
        user.start()
    with arrived:
        assert arrived.wait_for(lambda: waiting[0] == 4, timeout=60)
    release.set()
    for user in users:
        user.join(60)
    assert len(calls) == 1 and len(results) == 5 and len({id(r) for r in results}) == 1
    assert results[0].complete == complete
    minima.search(surface)
    assert len(calls) == (1 if complete else 2)


def test_a_failed_search_is_not_kept(monkeypatch):
    def broken(surface, *, time_budget=None):
        raise FloatingPointError("bad")

    surface = get_surface("himmelblau")
    monkeypatch.setattr(minima, "critical_points", broken)
    with pytest.raises(FloatingPointError):
        minima.search(surface)
    monkeypatch.setattr(minima, "critical_points", critical_points)
    assert minima.search(surface).complete


def test_declared_minima_need_no_search(monkeypatch):
    monkeypatch.setattr(minima, "critical_points", None)  # would fail if called
    surface = get_surface("himmelblau")
    found = minima.locate_minima(surface)
    assert found.complete and sorted(found) == sorted(surface.minima)


def test_the_three_pages_agree_on_a_formula(reference):
    """The playground's minima (``locate_minima``), the sweeps page's landmarks and the
    critical-points page's list, for one formula: the same points, all SciPy's."""
    from ui.cache import cached_critical_points, surface_from_spec
    from ui.specs import CUSTOM, SurfaceSpec
    from views.sweeps import landmarks

    spec = SurfaceSpec(CUSTOM, formula=FORMULA)
    playground = minima.locate_minima(surface_from_spec(spec))
    sweeps = np.vstack([m.points for m in landmarks(spec).minima])
    listed = [(cp.x, cp.y) for cp in cached_critical_points(spec) if cp.kind == "minimum"]
    for points in (playground, sweeps, listed):
        same_points(points, reference)


def test_a_figure_drawn_with_a_cut_search_is_not_kept(monkeypatch):
    """ui.cache.frozen_figure keeps figures for everyone; one drawn from a search cut short is
    shown once and drawn again next time, like the search itself; a complete one is kept."""
    import plotly.graph_objects as go

    from ui.cache import frozen_figure

    outcomes = [CriticalPoints(stopped="time", budget=0.05), None]  # cut, then the full search
    drawn = []

    def search(surface, *, time_budget=None):
        cut = outcomes.pop(0)
        return cut if cut is not None else critical_points(surface)

    monkeypatch.setattr(minima, "critical_points", search)

    @frozen_figure
    def chart(key: str) -> go.Figure:
        found = minima.search(get_surface("himmelblau"))
        drawn.append(found.complete)
        return go.Figure(go.Scatter(x=[cp.x for cp in found], y=[cp.y for cp in found]))

    first, second, third = chart("h"), chart("h"), chart("h")
    assert drawn == [False, True]  # drawn again after the cut search, then kept
    assert first.to_dict()["data"][0]["x"] == []
    assert second.to_dict() == third.to_dict() and len(third.to_dict()["data"][0]["x"]) == 9
