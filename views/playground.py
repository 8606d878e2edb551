"""Optimizer playground: up to six optimizers racing over one surface, animated and shareable."""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

import i18n
from i18n import N_, _
from optimizers import Optimizer, Trajectory, hyper_controls
from surfaces import Surface
from surfaces.minima import locate_minima
from ui import url
from ui.cache import frozen_figure, run_simulations, surface_background, surface_from_spec
from ui.controls import (
    cards,
    choice,
    number_input,
    optimizer_picker,
    slider,
    start_inputs,
    stepped,
    surface_picker,
)
from ui.export import export_menu
from ui.format import DASH, number
from ui.layout import chart, share_box
from ui.live import chart_selector, live_sliders
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec, SurfaceSpec, nice_values
from ui.verdicts import status
from viz import run_color, step_curves_figure, surface_3d_figure, trajectory_figure
from viz.charts import loss_series
from viz.export import GifPanel
from viz.live import FramesUpdate, Slider, TraceUpdate, drawn_indices, pack, positive, trajectories
from viz.theme import tick_text
from viz.trajectory import TAIL, frame_steps

MAX_RUNS = 6
# Run i starts as DEFAULT_RUNS[i]: together they show momentum and adaptivity on first load.
DEFAULT_RUNS = (
    ("sgd", 0.001), ("momentum", 0.001), ("adam", 0.05),
    ("rmsprop", 0.01), ("adagrad", 0.5), ("nesterov", 0.001),
)  # fmt: skip
CHART = "playground_chart"
CURVES = "playground_curves"
LIVE = "playground_live"
# The live sliders' values: the run card's learning-rate slider's (ui.controls.optimizer_picker)
# and its momentum slider's (0 to 0.99 by 0.01); β₁'s are its select slider's (ui.controls).
LIVE_RATES = tuple(nice_values(1e-5, 10.0, (1, 1.5, 2, 3, 5, 7)))
LIVE_MOMENTA = tuple(round(0.01 * k, 2) for k in range(100))
VIEWS = {"2d": N_("🗺️ 2-D view, animated"), "3d": N_("🏔️ 3-D surface")}
TOLERANCES = (1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1)

PRESETS = {
    N_("Adam vs SGD on Rosenbrock"): Preset(
        N_("In the long curved valley plain gradient descent crawls; Adam's per-parameter step "
           "size walks along the valley floor."),
        {"surface": "rosenbrock", "start_x": -1.2, "start_y": 1.0, "steps": 1000, "runs": 2,
         "r0_opt": "sgd", "r0_lr": 0.001, "r1_opt": "adam", "r1_lr": 0.05},
    ),
    N_("Momentum rolls through a local minimum"): Preset(
        N_("The surface has a shallow minimum on the right and a deeper one on the left. Gradient "
           "descent stops in the first; momentum keeps its speed and rolls over the ridge."),
        {"surface": "custom", "surface_formula": "(x**2 - 1)**2 + 0.3*x + y**2",
         "start_x": 2.0, "start_y": 1.0, "steps": 300, "runs": 2,
         "r0_opt": "sgd", "r0_lr": 0.02, "r1_opt": "momentum", "r1_lr": 0.02, "r1_momentum": 0.9},
    ),
    N_("Stalling at a saddle"): Preset(
        N_("The lecture's toy network (1 − w₁w₂)² has a saddle at the origin. Started almost on "
           "its stable direction, gradient descent slides in and stalls before it escapes; "
           "momentum carries its speed past the saddle and reaches a minimum three times sooner. "
           "Adam is no cure here: its per-coordinate steps rush it even closer to the saddle, and "
           "it stalls longest (see the table's step counts)."),
        {"surface": "toy_network", "start_x": 1.0, "start_y": -0.999, "steps": 400, "runs": 3,
         "r0_opt": "sgd", "r0_lr": 0.02, "r1_opt": "momentum", "r1_lr": 0.02,
         "r2_opt": "adam", "r2_lr": 0.02},
    ),
    N_("Too large a step diverges"): Preset(
        N_("On a bowl with condition number 100 the largest stable step of gradient descent is "
           "2/λmax = 0.02. Just above it, gradient descent oscillates ever wider and diverges."),
        {"surface": "quadratic", "surface_condition": 100.0, "surface_angle": 30.0,
         "start_x": -1.6, "start_y": 1.2, "steps": 200, "runs": 3,
         "r0_opt": "sgd", "r0_lr": 0.015, "r1_opt": "sgd", "r1_lr": 0.02,
         "r2_opt": "sgd", "r2_lr": 0.03},
    ),
}  # fmt: skip


class Setup(NamedTuple):
    """What the sidebar decides: the surface, where runs start, how many and how long."""

    surface: Surface
    spec: SurfaceSpec
    start: tuple[float, float]
    runs: int
    steps: int
    batch_size: int | None
    seed: int


def page() -> None:
    st.title(_("🎢 Optimizer playground"))
    preset_note(PRESETS)
    setup = sidebar()
    race(setup)


def sidebar() -> Setup:
    with st.sidebar:
        st.subheader(_("Surface"))
        surface, spec = surface_picker("surface", default="rosenbrock",
                                       reset=("start_x", "start_y"))  # fmt: skip
        with st.expander(_("formula"), expanded=False):
            st.latex(surface.latex)
        start = start_inputs("start", surface)
        runs = slider(_("number of runs"), "runs", 1, MAX_RUNS, 3)
        steps = slider(_("steps"), "steps", 10, 3000, 500, 10)
        batch_size, seed = None, 0
        if hasattr(surface, "n_samples"):
            n = surface.n_samples
            batch_size = slider(_("batch size"), "batch", 1, n, n)
            seed = int(number_input(_("seed"), "seed", 0, 10_000, 0))
            batch_size = None if batch_size == n else batch_size
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    return Setup(surface, spec, start, runs, steps, batch_size, seed)


def pick_start() -> None:
    """A click on the chart (the invisible pick grid is trace 0) becomes the start point."""
    points = st.session_state[CHART].selection.points
    if points and points[0].get("curve_number") == 0:
        url.assign("start_x", float(f"{points[0]['x']:.4g}"))
        url.assign("start_y", float(f"{points[0]['y']:.4g}"))


def run_cards(count: int, steps: int) -> list[RunSpec]:
    """One card per run, as many to a row as fit, in its run colour: optimizer, η, momentum, and
    the rest in a popover."""
    specs = []
    for index, card in enumerate(cards("run_cards", count)):
        with card:
            dot = f"<span style='color:{run_color(index)};font-size:1.3em'>●</span>"
            title = _("run {n}").format(n=index + 1)
            st.markdown(f"{dot} **{title}**", unsafe_allow_html=True)
            name, lr = DEFAULT_RUNS[index]
            specs.append(optimizer_picker(f"r{index}", default=name, lr=lr, steps=steps))
    return specs


@url.fragment
def race(setup: Setup) -> None:
    """The run cards and everything they drive: charts, live sliders, table, share link.

    A fragment, so that moving a run's slider reruns and redraws only this part of the page,
    not the sidebar and the navigation. The animated view and the run cards share the first
    screen, so a slider and the path it moves are both in sight.
    """
    if setup.start != (st.session_state["start_x"], st.session_state["start_y"]):
        st.rerun()  # a click on the chart moved the start, whose inputs live outside the fragment
    view_column, cards_column = st.columns([3, 2])
    with cards_column:
        specs = run_cards(setup.runs, setup.steps)
    race = Race(setup.spec, tuple(specs), setup.start, setup.steps, setup.batch_size, setup.seed)
    labelled = race.simulate()
    runs = [run for _name, run in labelled]
    minima = locate_minima(setup.surface)
    with view_column:
        # A segmented control, not st.tabs: only the chosen view is built (tabs would
        # re-render every view on each change).
        view = choice(_("view"), "view", list(VIEWS), "2d", labels=lambda v: _(VIEWS[v]),
                      widget="segmented",
                      label_visibility="collapsed")  # fmt: skip
        if view == "2d":
            live_panel(race)  # above the chart: the slider and the path it moves in one sight
            figure = animated_view(race)
            chart(figure, key=CHART, on_select=pick_start, selection_mode="points")
        else:
            figure = solid_view(race)
            chart(figure)
        caption, export = st.columns([2, 1])  # room for the Export button on a projector
        caption.caption(_("▶ Play animates every run; drag the scrubber to any step. "
                          "Click anywhere on the surface to start there."))  # fmt: skip
        with export:
            image = surface_background(setup.spec)[0]
            panel = GifPanel(_(setup.surface.title), image, setup.surface.domain, labelled)
            export_menu("playground", figure, [panel], axis_labels=setup.surface.axis_labels)
    curves_slot = st.empty()
    tolerance = stepped(_('tolerance for "reached the minimum"'), "tolerance", TOLERANCES, 1e-4)
    st.table(summary(setup.surface, minima, specs, runs, tolerance))
    share_box()
    # Filled last, so the browser draws the main chart before the curves even arrive.
    chart(step_curves(race), where=curves_slot, key=CURVES)


class Race(NamedTuple):
    """Everything the race's figures depend on, as plain values (the cache key)."""

    spec: SurfaceSpec
    runs: tuple[RunSpec, ...]
    start: tuple[float, float]
    steps: int
    batch_size: int | None
    seed: int

    def simulate(self) -> list[tuple[str, Trajectory]]:
        runs = run_simulations(self.spec, self.runs, (self.start,) * len(self.runs), self.steps,
                               self.batch_size, self.seed)  # fmt: skip
        return [
            (f"{i + 1}: {spec.label}", run)
            for i, (spec, run) in enumerate(zip(self.runs, runs, strict=True))
        ]


@frozen_figure
def animated_view(race: Race):
    """The surface with every run, animated (built once per link, for everyone)."""
    surface = surface_from_spec(race.spec)
    return trajectory_figure(surface, race.simulate(), minima=locate_minima(surface),
                             background=surface_background(race.spec))  # fmt: skip


@frozen_figure
def solid_view(race: Race):
    return surface_3d_figure(surface_from_spec(race.spec), race.simulate(), height=560)


@frozen_figure
def step_curves(race: Race):
    """Loss (or its gap to the lowest minimum), ‖g‖ and η per step, every run, log axes."""
    surface, labelled = surface_from_spec(race.spec), race.simulate()
    minima = locate_minima(surface)
    floor = lowest(surface, minima)
    title, losses, log_loss = loss_series([(n, r.losses) for n, r in labelled], floor)
    curves = [
        (title, losses),
        (_("gradient norm ‖g‖"), [(name, np.hypot(*run.grads.T)) for name, run in labelled]),
        (_("learning rate η"), [(name, run.lrs) for name, run in labelled]),
    ]
    return step_curves_figure(curves, log_y=[log_loss, True, True], height=300)


def live_panel(race: Race) -> None:
    """Under the animated view: which run is live, and its live sliders (η, and its momentum or
    β₁ where it has one). Dragging redraws that run in the browser; a release sets its card."""
    left, right = st.columns([1.3, 3], vertical_alignment="bottom")
    with left:
        picked = choice(_("live run"), "live", list(range(len(race.runs))), 0,
                        labels=lambda i: _("run {n}").format(n=i + 1),
                        help=_("Drag its sliders: its path and curves follow at once, the "
                               "other runs stay. On release, its card and the link take the "
                               "value."))  # fmt: skip
    message, sliders, controls = live_message(race, picked, i18n.language())
    with right:
        live_sliders(LIVE, message, sliders, controls)


def live_grid(
    spec: RunSpec, index: int
) -> list[tuple[Slider, str, list[tuple[RunSpec, Optimizer]]]]:
    """Run ``index``'s live sliders: each with the control that owns its value and the run at
    each of its values (the other hyperparameters as they are), as a spec and built. A value
    the optimizer refuses (Nesterov without momentum) is left out."""
    hyper = dict(spec.hyper)
    key = f"r{index}"
    run = _("run {n}").format(n=index + 1)
    axes = [("lr", f"{run} · {_('learning rate η')}", LIVE_RATES, spec.lr, f"{key}_lr",
             lambda v: spec._replace(lr=v))]  # fmt: skip
    if "momentum" in hyper:
        axes.append(("momentum", f"{run} · {_('momentum λ')}", LIVE_MOMENTA, hyper["momentum"],
                     f"{key}_momentum", lambda v: _with(spec, "momentum", v)))  # fmt: skip
    elif "betas" in hyper:  # Adam's β₁ is its momentum
        beta1, beta2 = hyper["betas"]
        betas1 = hyper_controls(spec.optimizer)["betas"].parts[0].choices
        axes.append(("beta1", f"{run} · {_('momentum')} β₁", betas1, beta1,
                     f"{key}_betas1", lambda v: _with(spec, "betas", (v, beta2))))  # fmt: skip
    grid = []
    for name, label, values, current, control, at in axes:
        kept, runs = [], []
        for value in sorted({float(v) for v in values} | {float(current)}):
            try:
                built = at(value).build()
            except ValueError:
                continue
            kept.append(value)
            runs.append((at(value), built))
        texts = [tick_text(v, 4) for v in kept]
        slider = Slider(name, label, kept, texts, kept.index(float(current)))
        grid.append((slider, control, runs))
    return grid


def _with(spec: RunSpec, field: str, value) -> RunSpec:
    return spec._replace(hyper=tuple((k, value if k == field else v) for k, v in spec.hyper))


# Few entries: each holds every run a live slider can reach (the largest entries here), and
# a miss costs a few tens of milliseconds; a class mostly shares one link.
@st.cache_data(max_entries=16, show_spinner=False)
def live_message(race: Race, index: int, language: str) -> tuple[bytes, list[Slider], dict]:
    """Run ``index`` at every value of its live sliders, computed at once, and what the animated
    view and the curves show at each (``viz.live``); cached per link like the race itself."""
    with i18n.use(language):
        surface = surface_from_spec(race.spec)
        grid = live_grid(race.runs[index], index)
        built = [optimizer for _slider, _control, axis in grid for _spec, optimizer in axis]
        paths = trajectories(surface, built, race.start, race.steps,
                             batch_size=race.batch_size, seed=race.seed)  # fmt: skip
        runs = race.simulate()
        minima = locate_minima(surface)
        # The animated view's traces and frames, in trajectory_figure's documented order (reading
        # them back from the cached figure would parse its whole JSON).
        count = len(race.runs)
        moving = 1 + count + (1 if len(minima) else 0)
        roles = {("path", index): 1 + index, ("tail", index): moving + 2 * index,
                 ("marker", index): moving + 2 * index + 1}  # fmt: skip
        frames = frame_steps(max(len(run.points) for _name, run in runs)).tolist()
        floor = lowest(surface, minima)
        _title, series, log_loss = loss_series([(name, run.losses) for name, run in runs], floor)
        # L − L* where the figure draws it (loss_series decides from every run)
        gap = not np.array_equal(series[index][1], runs[index][1].losses, equal_nan=True)
        scale = (floor if gap else None, log_loss)
        updates, done = [], 0
        for _slider, _control, axis in grid:
            at_values = []
            for (spec, _built), path in zip(axis, paths[done : done + len(axis)], strict=True):
                name = f"{index + 1}: {spec.label}"
                at_values.append(_live_updates(path, name, index, count, roles, frames, scale))
            updates.append(at_values)
            done += len(axis)
        sliders = [slider for slider, _control, _axis in grid]
        message = pack(sliders, updates, [chart_selector(CHART), chart_selector(CURVES)])
        return message, sliders, {slider.key: control for slider, control, _axis in grid}


@functools.lru_cache(maxsize=64)
def _drawn(n: int, frames: tuple[int, ...]) -> np.ndarray:
    """A run's drawn points: every frame's, and as many between (shared by runs as long)."""
    drawn = drawn_indices(n, 2 * len(frames) - 1, required=frames)
    drawn.flags.writeable = False
    return drawn


def _live_updates(path, name: str, index: int, count: int, roles: dict, frames: list[int],
                  scale: tuple[float | None, bool]) -> list:  # fmt: skip
    """What the animated view (chart 0) and the curves (chart 1) show of run ``index`` when it
    is ``path``: as ``trajectory_figure`` and ``step_curves`` draw it, through its drawn points."""
    n = len(path.points)
    drawn = _drawn(n, tuple(frames))
    x, y = path.points[drawn].T
    shown = np.minimum(frames[max(0, len(frames) - 1 - TAIL) :], n - 1)  # the last frame's tail
    tail = path.points[shown]
    label, symbol = name, "circle"
    if path.diverged_at is not None:
        label = _("{run} — diverged at step {step}").format(run=name, step=path.diverged_at)
        symbol = "x"
    elif path.undefined_at is not None:
        label = _("{run} — no gradient at step {step}").format(run=name, step=path.undefined_at)
        symbol = "x"
    floor, log_loss = scale
    losses = path.losses[drawn] - floor if floor is not None else path.losses[drawn]
    losses = positive(losses) if log_loss else losses
    rates = drawn[drawn < n - 1]
    named = {"name": name}
    return [
        TraceUpdate(0, roles["path", index], x, y, named),
        TraceUpdate(0, roles["tail", index], tail[:, 0], tail[:, 1]),
        TraceUpdate(0, roles["marker", index], tail[-1:, 0], tail[-1:, 1], {
            "name": label, "marker.symbol": symbol,
            "hovertemplate": f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>"}),
        FramesUpdate(0, roles["tail", index], roles["marker", index], drawn, x, y, TAIL),
        TraceUpdate(1, index, drawn, losses, named),
        TraceUpdate(1, count + index, drawn, positive(np.hypot(*path.grads[drawn].T)), named),
        TraceUpdate(1, 2 * count + index, rates, positive(path.lrs[rates]), named),
    ]  # fmt: skip


def lowest(surface: Surface, minima) -> float | None:
    """The loss at the lowest known minimum (None when no minimum is known)."""
    if not len(minima):
        return None
    points = np.asarray(minima, dtype=float).reshape(-1, 2)
    return float(np.min(surface.f(points[:, 0], points[:, 1])))


def summary(surface: Surface, minima, specs: list[RunSpec], runs: list[Trajectory], tol: float):
    """One column per run (colours as in the charts): where it ended, how close to a minimum,
    when it got there."""
    points = np.asarray(minima, dtype=float).reshape(-1, 2)
    floor = lowest(surface, minima)
    columns = {}
    for index, (spec, run) in enumerate(zip(specs, runs, strict=True)):
        reached = DASH
        if floor is not None:
            below = np.flatnonzero(run.losses <= floor + tol)
            reached = str(below[0]) if below.size else _("not yet")
        distance = np.min(np.hypot(*(points - run.points[-1]).T)) if len(points) else None
        columns[_("run {n}").format(n=index + 1)] = {
            _("optimizer"): spec.label,
            _("final loss"): number(run.losses[-1]),
            _("to nearest minimum"): number(distance),
            _("loss ≤ min + {tol} at step").format(tol=f"{tol:g}"): reached,
            _("status"): status(run),
        }
    return pd.DataFrame(columns)


if __name__ == "__main__":
    page()
