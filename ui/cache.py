"""Cached bridges from plain, hashable specs (``ui.specs``) to the core.

What is the same for every student who opens the same link is computed once per server process:
surfaces, their background images, simulations, critical points.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import threading
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar

import orjson
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

import i18n
from i18n import _
from optimizers import Trajectory, simulate_many
from surfaces import CriticalPoints, Surface, minima, sandbox
from ui import memory
from ui.specs import CUSTOM, RunSpec, SurfaceSpec
from viz import background_image

P = ParamSpec("P")
T = TypeVar("T")


class FrozenFigure(go.Figure):
    """A figure kept as the JSON Plotly sends: ``st.plotly_chart`` only parses it back instead
    of validating and serializing the figure again on every page load, and the bytes take less
    memory than the same figure as a dict."""

    def __init__(self, figure: go.Figure) -> None:
        super().__init__()
        self._json = pio.to_json(figure, validate=False).encode()

    def to_dict(self) -> dict:
        return orjson.loads(self._json)


@st.cache_resource(max_entries=256, show_spinner=False)
def _frozen(key: str, language: str, _build: Callable[..., go.Figure], *args, **kwargs):
    # ``_build`` is not hashed (Streamlit skips arguments named with "_"): ``key`` names it.
    with i18n.use(language):
        return FrozenFigure(_build(*args, **kwargs))


def frozen_figure(build: Callable[P, go.Figure]) -> Callable[P, go.Figure]:
    """Cache a figure builder by its plain arguments and the language: everyone who opens the
    same link gets the one figure, built and serialized once per server process.

    The builder is identified by its name and source, so a page can declare its own builders
    (pages run as ``__main__``, where names alone could collide). A figure drawn with a minima
    search cut short by its time budget is not kept, as the search is not (surfaces.minima)."""
    source = hashlib.sha1(inspect.getsource(build).encode()).hexdigest()
    key = f"{build.__qualname__}:{source}"

    @functools.wraps(build)
    def cached(*args: P.args, **kwargs: P.kwargs) -> go.Figure:
        language, cut = i18n.language(), minima.cut_short()
        figure = _frozen(key, language, build, *args, **kwargs)
        if minima.cut_short() != cut:  # drawn with a search cut short: shown, not kept
            _frozen.clear(key, language, build, *args, **kwargs)
        return figure

    return cached


@st.cache_resource(max_entries=64, show_spinner=False)
def formula_surface(text: str) -> Surface:
    """A user formula as a Surface (raises ExpressionError, which is not cached)."""
    return SurfaceSpec(CUSTOM, formula=text).build()


def surface_from_spec(spec: SurfaceSpec) -> Surface:
    """``spec.build()``, a formula parsed once per server process (the registry shares its
    surfaces already)."""
    return formula_surface(spec.formula) if spec.key == CUSTOM else spec.build()


@st.cache_resource(max_entries=32, show_spinner=False)
def surface_background(
    spec: SurfaceSpec, log_color: bool = True, colorscale: str = "Viridis"
) -> tuple[dict, Any]:
    """The surface's background image and colour scale, drawn once per surface: a slider move
    that changes only the runs no longer repaints 100,000 pixels. Shared, so read-only."""
    return background_image(surface_from_spec(spec), log_color=log_color, colorscale=colorscale)


@st.cache_data(max_entries=128, show_spinner=False)
def run_simulations(
    surface: SurfaceSpec,
    runs: tuple[RunSpec, ...],
    starts: tuple[tuple[float, float], ...],
    steps: int,
    batch_size: int | None = None,
    seed: int = 0,
) -> list[Trajectory]:
    """Every run advanced together (one vectorized call), cached on its plain inputs."""
    optimizers = [run.build() for run in runs]
    return simulate_many(
        surface_from_spec(surface), optimizers, starts, steps, batch_size=batch_size, seed=seed
    )


def cached_critical_points(surface: SurfaceSpec) -> CriticalPoints:
    """Every critical point, from the minima service (``surfaces.minima``): a complete search
    is kept, one cut short by its time budget is shown with its note and searched again later."""
    with st.spinner(_("Finding every critical point…")):
        return minima.search(surface_from_spec(surface))


class _Slot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done, self.value = False, None


@st.cache_resource(max_entries=128, show_spinner=False)
def _slot(kind: str, key: Hashable) -> _Slot:
    return _Slot()


def computed_once(kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per server process for ``(kind, key)``, shared by everyone who asks:
    whoever asks first runs it (and sees the progress it draws), the others wait for it. Not a
    cached function: Streamlit would record a progress bar's calls inside one and replay them on
    every later hit. Such work (training networks) frees hundreds of MB when it ends: given back
    to the system at once, with the compiled functions it left behind."""
    slot = _slot(kind, key)
    with slot.lock:
        if not slot.done:
            slot.value, slot.done = compute(), True
            memory.release_compiled()
            memory.trim(now=True)
        return slot.value


def progress_bar(text: str) -> tuple[Any, Callable[[int, int], None]]:
    """A place for a progress bar and its ``tick(done, total)``: drawn only once work starts,
    redrawn about every 5 % (a message per training step would flood the browser)."""
    slot, shown = st.empty(), [-5]

    def tick(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent >= shown[0] + 5:
            shown[0] = percent
            slot.progress(min(percent, 100) / 100, text=text)

    return slot, tick


@st.cache_resource(show_spinner=False)
def warm_sandbox() -> None:
    """Start the formula sandbox's worker server once per process, in the background, so the
    first user to type a formula does not wait for it."""
    threading.Thread(target=sandbox.warm_up, name="sandbox-warm-up", daemon=True).start()
