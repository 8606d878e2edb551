"""Sweeps: whole ranges of runs, not a race of a few. The final loss against the learning rate for
every optimizer (each at its own best η: the fair comparison), and basins of attraction: a grid of
starts coloured by the minimum each run ends in."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n import N_, _
from optimizers import OPTIMIZERS, Sweep, Trajectory, sweep
from optimizers.ranges import (
    basin_codes,
    best_run,
    cell_centres,
    constant_hessian,
    grid_starts,
    join,
    learning_rates,
    stability_limit,
    summarize,
)
from optimizers.sweep import DIVERGED, NOT_CONVERGED, UNDEFINED, WORK_BUDGET
from surfaces import Surface
from surfaces.minima import locate_minima
from surfaces.points import floors
from ui import url
from ui.cache import (
    cached_critical_points,
    frozen_figure,
    run_simulations,
    surface_background,
    surface_from_spec,
)
from ui.controls import (
    choice,
    log_slider,
    multichoice,
    number_input,
    optimizer_picker,
    slider,
    start_inputs,
    stepped,
    surface_picker,
)
from ui.format import DASH, number, percent
from ui.layout import chart, share_box
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec, SurfaceSpec
from viz import run_color, trajectory_figure
from viz.charts import loss_series
from viz.sweeps import BasinPanel, Category, RateCurve, basin_map_figure, rate_sweep_figure

SWEEP_CHART, MAP_CHART = "sw_sweep_chart", "sw_map_chart"
MEASURES = {"final": N_("final loss"), "steps": N_("steps to target")}
TOLERANCES = (1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
RADII = (0.001, 0.003, 0.01, 0.03, 0.1)
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adam")
MAX_STEPS = 2000  # 7 optimizers × 60 rates × 2,000 steps stays within the sweep's budget
MAX_GRID = 60
PART_RUNS = 400  # runs per part of a basin map: the progress bar moves between parts
SLOW = 0.3  # seconds of work before a progress bar is worth showing
MAX_MINIMA = 8  # minima with a colour of their own; the rest share the last one
MINIMUM_COLORS = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#cc79a7", "#d55e00", "#0072b2",
                  "#b3de69")  # fmt: skip
OUTCOMES = {  # runs in no basin, by their basin code: label, colour
    NOT_CONVERGED: (N_("not converged"), "#6b6b6b"),
    UNDEFINED: (N_("stopped: no gradient (a kink)"), "#a0522d"),
    DIVERGED: (N_("diverged"), "#f2f2f2"),
}
# The maps' η and small batch size where the defaults (0.01, B = 2) do not fit: data surfaces
# compare the full batch with a small one; at 0.01 every run on Rosenbrock diverges (a blank map).
BASIN_DEFAULTS = {"rbf_neuron": (1.0, 2), "regression": (1e-5, 2), "rosenbrock": (1e-3, 2)}

PRESETS = {
    N_("Too large a step diverges: the cliff sits at 2/λmax"): Preset(
        N_("On a bowl with condition number 100, λmax = 100, so gradient descent is stable only "
           "for η < 2/λmax = 0.02 (the dashed line). Its final loss falls as η grows until just "
           "below the cliff, where the steep direction's swing (a factor |1 − ηλmax| per step) "
           "hardly decays: its best η, 0.0163, is the last rate but one below 0.02, and every "
           "rate above 0.02 diverges (✕ along the top). Momentum (λ = 0.9) moves the cliff to "
           "2(1 + λ)/λmax = 0.038 (the dotted line): it diverges from the first rate above that, "
           "and not before."),
        {"sw_surface": "quadratic", "sw_surface_condition": 100.0, "sw_opts": ["sgd", "momentum"]},
    ),
    N_("A fair race: each optimizer at its own best η"): Preset(
        N_("On Rosenbrock, 48 rates from 10⁻⁵ to 10 for each optimizer, 1,000 steps each, ranked "
           "by the steps they need to reach L* + 10⁻⁴. At its own best η (the table), Adam gets "
           "there in 274 steps and momentum in 318, close behind; gradient descent reaches it at "
           "no rate at all (○ or ✕ along the top): rates large enough to cross the valley "
           "diverge. A race at hand-picked rates says little; a sweep says which is faster."),
        {"sw_surface": "rosenbrock", "sw_steps": 1000, "sw_lr_low": 1e-5, "sw_lr_high": 10.0,
         "sw_measure": "steps"},
    ),
    N_("Convex, yet gradient descent crawls"): Preset(
        N_("The lecture's linear regression is a quadratic: its Hessian is the same everywhere, "
           "with λmax = 1.75×10⁵, so gradient descent is stable only for η < 2/λmax = "
           "1.14×10⁻⁵ (the dashed line), and diverges at every rate above it. At its best η, "
           "the last rate below the line, it still ends 1.29×10³ above L* after 1,000 steps: "
           "the step the steep direction allows crawls along the flat one. Adam's step does not "
           "grow with the curvature: at its best η it ends at L*."),
        {"sw_surface": "regression", "sw_opts": ["sgd", "momentum", "adagrad", "adam"],
         "sw_steps": 1000, "sw_lr_low": 1e-7, "sw_lr_high": 10.0},
    ),
    N_("Momentum rolls past the shallow minimum"): Preset(
        N_("Under Basins, below: same η = 0.01 on the tilted double well. Gradient descent ends "
           "in the deeper minimum (1) from 45 % of the starts, exactly those left of the ridge "
           "(the saddle ✕). Momentum (λ = 0.9) ends there from 57.5 %: started high enough on "
           "the right, it rolls through the shallow minimum and over the ridge."),
        {"sw_surface": "double_well"},
    ),
    N_("A small batch changes the basins"): Preset(
        N_("Under Basins, below: the RBF neuron, gradient descent with η = 2 annealed to 0 "
           "(cosine) over 300 steps on both maps, from the same starts. With the full batch, "
           "46.8 % of the starts end in the shallow minimum (2); with batches of B = 2, only "
           "16.6 %: the noise throws runs out of the shallow basin, and more of them end in the "
           "deeper one (61.8 % against 52.8 %). Some are thrown onto the flat far side, where "
           "they stop (not converged)."),
        {"sw_surface": "rbf_neuron", "sw_a_lr": 2.0, "sw_b_lr": 2.0,
         "sw_a_sched": "cosine_annealing", "sw_b_sched": "cosine_annealing"},
    ),
}  # fmt: skip


class Setup(NamedTuple):
    """What the sidebar decides: the surface, and where and how long the sweep's runs go."""

    surface: Surface
    spec: SurfaceSpec
    start: tuple[float, float]
    steps: int


class Minimum(NamedTuple):
    """A minimum as a basin map colours it: one point, or a valley's samples (``points``)."""

    points: np.ndarray
    value: float
    valley: bool


class Landmarks(NamedTuple):
    """The minima (lowest first; past MAX_MINIMA the rest share one colour) and the other
    critical points drawn on the maps."""

    minima: list[Minimum]
    others: list[tuple[str, float, float]]

    @property
    def floor(self) -> float | None:
        """L*, the loss at the lowest minimum (None where no minimum is known)."""
        return min((m.value for m in self.minima), default=None)


class RateSweep(NamedTuple):
    """Everything the learning-rate sweep depends on, as plain values (the cache key)."""

    spec: SurfaceSpec
    optimizers: tuple[str, ...]
    rates: tuple[float, ...]
    start: tuple[float, float]
    steps: int
    target: float | None

    def parts(self) -> list[Callable[[], Sweep]]:
        """One part per optimizer (adding an optimizer computes only its own rates)."""
        return [functools.partial(rate_part, self.spec, name, self.rates, self.start,
                                  self.steps, self.target) for name in self.optimizers]  # fmt: skip

    def result(self) -> list[Sweep]:
        """Per optimizer, its runs at every rate (cached after the first time)."""
        return [part() for part in self.parts()]


class BasinMap(NamedTuple):
    """One basin map: a run from the centre of every cell of a size × size grid."""

    spec: SurfaceSpec
    run: RunSpec
    size: int
    steps: int
    batch_size: int | None
    seed: int

    def parts(self) -> list[Callable[[], Sweep]]:
        rows = max(1, PART_RUNS // self.size)
        return [functools.partial(map_part, self, first, min(first + rows, self.size))
                for first in range(0, self.size, rows)]  # fmt: skip

    def result(self) -> Sweep:
        return join([part() for part in self.parts()])

    @property
    def title(self) -> str:
        if self.batch_size is None:
            return self.run.label
        return _("{run}, B = {b}").format(run=self.run.label, b=self.batch_size)


# ---- Cached work: plain arguments, so a class opening one link computes it once ----------------


@st.cache_data(max_entries=256, show_spinner=False)
def rate_part(spec: SurfaceSpec, name: str, rates: tuple[float, ...], start: tuple[float, float],
              steps: int, target: float | None) -> Sweep:  # fmt: skip
    """One optimizer at every rate from one start: at most 60 runs × 2,000 steps."""
    optimizers = [RunSpec(name, rate).build() for rate in rates]
    surface = surface_from_spec(spec)
    return sweep(surface, optimizers, [start] * len(rates), steps, target=target)


@st.cache_data(max_entries=256, show_spinner=False)
def map_part(basin: BasinMap, first: int, stop: int) -> Sweep:
    """Rows ``first`` to ``stop`` of a basin map: about PART_RUNS runs."""
    surface = surface_from_spec(basin.spec)
    starts = grid_starts(surface.domain, basin.size)[first * basin.size : stop * basin.size]
    optimizer = basin.run.build()
    return sweep(surface, [optimizer] * len(starts), starts, basin.steps,
                 batch_size=basin.batch_size, seed=basin.seed)  # fmt: skip


def computed(groups: Sequence[Sequence[Callable[[], Sweep]]], text: str) -> None:
    """Run every part, in order, with a progress bar once the work has taken a while (a link
    opened before draws none: its parts are cached). The core's ``sweep`` cannot report
    progress, so the work is cut into parts of runs, each cached on its own."""
    slot, begin = st.empty(), time.perf_counter()
    parts = [part for group in groups for part in group]
    for done, part in enumerate(parts, start=1):
        part()
        if time.perf_counter() - begin > SLOW and done < len(parts):
            slot.progress(done / len(parts), text=text)
    slot.empty()


def landmarks(spec: SurfaceSpec) -> Landmarks:
    """The surface's minima and other critical points: as declared where the list is complete,
    else found (``cached_critical_points``, once per surface)."""
    surface = surface_from_spec(spec)
    if surface.complete:
        minima = [Minimum(np.array([p]), float(surface.f(*p)), False) for p in surface.minima]
        others = [(k, x, y) for k, x, y in surface.known_critical if k != "minimum"]
    else:
        found = cached_critical_points(spec)
        minima = [
            Minimum(np.array([(cp.x, cp.y)]) if cp.isolated else np.asarray(cp.curve),
                    float(cp.value), not cp.isolated)
            for cp in found if cp.kind == "minimum"
        ]  # fmt: skip
        others = [(cp.kind, cp.x, cp.y) for cp in found if cp.kind != "minimum" and cp.isolated]
    minima.sort(key=lambda m: m.value)
    if len(minima) > MAX_MINIMA:
        rest = minima[MAX_MINIMA - 1 :]
        merged = Minimum(np.vstack([m.points for m in rest]), rest[0].value, True)
        minima = [*minima[: MAX_MINIMA - 1], merged]
    return Landmarks(minima, others if len(others) <= 4 * MAX_MINIMA else [])


# ---- The page ------------------------------------------------------------------------------------


def page() -> None:
    st.title(_("📈 Sweeps: whole ranges"))
    preset_note(PRESETS)
    setup = sidebar()
    rate_section(setup)
    basin_section(setup)
    share_box()


def sidebar() -> Setup:
    with st.sidebar:
        st.subheader(_("Surface"))
        surface, spec = surface_picker(
            "sw_surface", default="himmelblau",
            reset=("sw_start_x", "sw_start_y", "sw_cell_x", "sw_cell_y"),
        )  # fmt: skip
        with st.expander(_("formula"), expanded=False):
            st.latex(surface.latex)
        st.subheader(_("Learning-rate sweep"))
        start = start_inputs("sw_start", surface)
        steps = slider(_("steps per run"), "sw_steps", 10, MAX_STEPS, 500, 10)
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    return Setup(surface, spec, start, int(steps))


# ---- Learning-rate sweep ---------------------------------------------------------------------


@url.fragment
def rate_section(setup: Setup) -> None:
    """Every chosen optimizer over a range of η, the run clicked on, and each one at its best."""
    st.header(_("Learning-rate sweep: every η at once"))
    # Room for every optimizer's chip, and for the η-range button's label on a projector.
    chosen_column, range_column = st.columns([3, 1])
    with chosen_column:
        names = multichoice(_("optimizers"), "sw_opts", OPTIMIZERS, DEFAULT_OPTIMIZERS)
    with range_column, st.popover(_("η range"), width="stretch"):
        low = log_slider(_("smallest η"), "sw_lr_low", low=1e-7, high=10.0, default=1e-4)
        high = log_slider(_("largest η"), "sw_lr_high", low=1e-7, high=10.0, default=1.0)
        count = slider(_("number of rates"), "sw_rates", 5, 60, 48)
    measure_column, target_column = st.columns(2)
    with measure_column:
        measure = choice(_("measure"), "sw_measure", list(MEASURES), "final",
                         labels=lambda m: _(MEASURES[m]), widget="segmented")  # fmt: skip
    with target_column:
        tolerance = stepped(_("target: L* + tolerance"), "sw_tol", TOLERANCES, 1e-4)
    if not names:
        st.info(_("Choose at least one optimizer to sweep."), icon="👆")
        return
    floor = landmarks(setup.spec).floor
    if measure == "steps" and floor is None:
        st.warning(_("No minimum is known on this surface, so there is no target to reach: "
                     "showing the final loss."), icon="🎯")  # fmt: skip
        measure = "final"
    rates = tuple(learning_rates(min(low, high), max(low, high), count).tolist())
    job = RateSweep(setup.spec, tuple(names), rates, setup.start, setup.steps,
                    None if floor is None else floor + tolerance)  # fmt: skip
    computed([job.parts()], _("Sweeping {runs} runs × {steps} steps…").format(
        runs=len(names) * len(rates), steps=setup.steps))  # fmt: skip
    view, picked = st.columns([3, 2])
    with picked:
        chosen = run_chooser(job, measure)
    with view:
        chart(sweep_chart(job, measure, chosen), key=SWEEP_CHART, on_select=pick_run,
              selection_mode="points")  # fmt: skip
        st.caption(sweep_caption(setup, job, measure, tolerance))
    with picked:
        chart(run_view(setup.spec, RunSpec(*chosen), setup.start, setup.steps))
    st.table(best_table(job, measure, tolerance))


def curves(job: RateSweep, measure: str) -> tuple[list[RateCurve], str, bool]:
    """Each optimizer's measure per rate and its best rate; the y axis's title and scale."""
    results, floor = job.result(), landmarks(job.spec).floor
    diverged = [np.array([d is not None for d in r.diverged_at], dtype=bool) for r in results]
    if measure == "steps":
        shown = [np.array([np.nan if r is None else r for r in result.reached_at], dtype=float)
                 for result in results]  # fmt: skip
        title, log_y = _("steps to reach L* + tolerance"), False
    else:
        runs = [(name, r.losses) for name, r in zip(job.optimizers, results, strict=True)]
        title, series, log_y = loss_series(runs, floor)
        title, shown = _("final {loss}").format(loss=title), [v for _name, v in series]
        if log_y:  # a run within rounding of L* sits on the axis's floor
            noise = floors(surface_from_spec(job.spec)).loss or np.finfo(float).tiny
            shown = [np.maximum(values, noise) for values in shown]
    return [
        RateCurve(name, run_color(OPTIMIZERS.index(name)), np.array(job.rates),
                  np.where(failed, np.nan, values), failed, np.isnan(values) & ~failed,
                  best_run(result, measure))
        for name, values, failed, result in zip(job.optimizers, shown, diverged, results,
                                                strict=True)
    ], title, log_y  # fmt: skip


def limits(surface: Surface, names: Sequence[str]) -> list[tuple[str, float]]:
    """Stability limits to draw: gradient descent's 2/λmax on a convex quadratic, and heavy-ball
    momentum's 2(1 + λ)/λmax when momentum is swept (at its default λ)."""
    plain = stability_limit(surface)
    if plain is None:
        return []
    lines = [(_("2/λmax = {v} (gradient descent)").format(v=number(plain, 3)), plain)]
    if "momentum" in names:
        beta = float(RunSpec("momentum", 1.0).build().hyper["momentum"])
        lines.append((_("2(1 + λ)/λmax = {v} (momentum, λ = {b})").format(
            v=number(stability_limit(surface, beta), 3), b=number(beta)),
            stability_limit(surface, beta)))  # fmt: skip
    return lines


@frozen_figure
def sweep_chart(job: RateSweep, measure: str, chosen: tuple[str, float]) -> go.Figure:
    lines, title, log_y = curves(job, measure)
    name, rate = chosen
    ring = None
    if name in job.optimizers and rate in job.rates:
        ring = (job.optimizers.index(name), job.rates.index(rate))
    limit_lines = limits(surface_from_spec(job.spec), job.optimizers)
    return rate_sweep_figure(lines, y_title=title, log_y=log_y, chosen=ring, limits=limit_lines)


def sweep_caption(setup: Setup, job: RateSweep, measure: str, tolerance: float) -> str:
    """What the chart holds, and on a quadratic where its stability limit comes from."""
    text = _("{runs} runs of {steps} steps from ({x}, {y}), full batch, every hyperparameter but "
             "η at its default; ★ each optimizer's best η. Click a point to watch that run."
             ).format(runs=len(job.optimizers) * len(job.rates), steps=setup.steps,
                      x=number(setup.start[0]), y=number(setup.start[1]))  # fmt: skip
    if measure == "steps":
        text += " " + _("Target: L* + {tol}.").format(tol=number(tolerance, 6))
    hessian = constant_hessian(setup.surface)
    limit = stability_limit(setup.surface)
    if hessian is not None and limit is not None:
        low, high = np.linalg.eigvalsh(hessian)
        text += " " + _(
            "The Hessian is the same everywhere, with eigenvalues {low} and {high} (condition "
            "number {kappa}): gradient descent is stable only for η < 2/λmax = {limit}."
        ).format(low=number(low, 3), high=number(high, 3), kappa=number(high / low, 3)
                 if low > 0 else "∞", limit=number(limit, 3))  # fmt: skip
    return text


def pick_run() -> None:
    """A click on a point of the sweep chooses that run (its optimizer and η)."""
    points = st.session_state[SWEEP_CHART].selection.points
    data = points[0].get("customdata") if points else None
    if isinstance(data, list) and len(data) == 2:
        url.assign("sw_run_opt", str(data[0]))
        url.assign("sw_run_lr", float(data[1]))


def run_chooser(job: RateSweep, measure: str) -> tuple[str, float]:
    """The run on show: an optimizer of the sweep and one of its rates (its best by default)."""
    left, right = st.columns([2, 3])
    with left:
        name = choice(_("run on show"), "sw_run_opt", list(job.optimizers), job.optimizers[0])
    best = best_run(job.result()[job.optimizers.index(name)], measure)
    default = job.rates[len(job.rates) // 2 if best is None else best]
    with right:
        rate = stepped(_("its learning rate η"), "sw_run_lr", job.rates, default)
    return name, float(rate)


@frozen_figure
def run_view(spec: SurfaceSpec, run: RunSpec, start: tuple[float, float], steps: int):
    """The chosen run, animated over the surface (the playground's view)."""
    surface = surface_from_spec(spec)
    trajectory = run_simulations(spec, (run,), (start,), steps)[0]
    return trajectory_figure(surface, [(run.label, trajectory)], height=430,
                             minima=locate_minima(surface),
                             background=surface_background(spec))  # fmt: skip


def best_table(job: RateSweep, measure: str, tolerance: float) -> pd.DataFrame:
    """Each optimizer at its own best η: the fair comparison."""
    floor = landmarks(job.spec).floor
    noise = floors(surface_from_spec(job.spec)).loss
    reached_label = _("steps to L* + {tol}").format(tol=number(tolerance, 6))
    final_label = _("final loss") if floor is None else _("final L − L*")
    rows = {}
    for name, result in zip(job.optimizers, job.result(), strict=True):
        diverging = [rate for rate, d in zip(job.rates, result.diverged_at, strict=True) if d]
        best = best_run(result, measure)
        row = {_("best η"): DASH, final_label: DASH, reached_label: DASH,
               _("diverges from η ="): number(diverging[0], 3) if diverging
               else _("none in the range")}  # fmt: skip
        if best is not None:
            reached = result.reached_at[best]
            gap = result.losses[best] - (floor or 0.0)
            row[_("best η")] = number(job.rates[best], 3)
            row[final_label] = number(gap, 3, zero_below=noise if floor is not None else 0.0)
            if floor is not None:
                row[reached_label] = _("not reached") if reached is None else str(reached)
        rows[name] = row
    return pd.DataFrame(rows).T


# ---- Basins of attraction --------------------------------------------------------------------


def side(key: str, surface: Surface, steps: int, default: tuple[str, float], batch: int):
    """One map's optimizer and, on a data surface, its batch size (None: the full batch)."""
    spec = optimizer_picker(key, default=default[0], lr=default[1], steps=steps)
    if not hasattr(surface, "n_samples"):
        return spec, None
    n = surface.n_samples
    size = slider(_("batch size B"), f"sw_batch_{key[-1]}", 1, n, min(batch, n))
    return spec, None if size == n else int(size)


@url.fragment
def basin_section(setup: Setup) -> None:
    """Two maps of where the runs from every start end, side by side, and the runs from one
    cell."""
    st.header(_("Basins of attraction: where every start ends"))
    surface, data = setup.surface, hasattr(setup.surface, "n_samples")
    lr, small = BASIN_DEFAULTS.get(surface.key, (0.01, 2))
    settings = st.columns(4 if data else 3)
    with settings[0]:
        size = slider(_("grid (starts per side)"), "sw_grid", 10, MAX_GRID, 40)
    most = min(MAX_STEPS, WORK_BUDGET // size**2)
    with settings[1]:
        steps = slider(_("steps per start"), "sw_bsteps", 10, most, min(300, most), 10)
    with settings[2]:
        radius = stepped(_("“arrived”: this close to a minimum"), "sw_radius", RADII, 0.01,
                         help=_("A fraction of the domain's width and height."))  # fmt: skip
    seed = 0
    if data:
        with settings[3]:
            seed = int(number_input(_("seed (shuffling)"), "sw_seed", 0, 10_000, 0))
    full = surface.n_samples if data else 0
    columns, maps = st.columns(2), []
    for column, key, default, batch in zip(
        columns, ("sw_a", "sw_b"), (("sgd", lr), ("sgd" if data else "momentum", lr)),
        (full, small), strict=True,
    ):  # fmt: skip
        with column, st.container(border=True):
            run, batch_size = side(key, surface, steps, default, batch)
        maps.append(BasinMap(setup.spec, run, size, steps, batch_size, seed))
    maps = tuple(maps)
    st.caption(_(
        "Each map: {runs} runs × {steps} steps = {work} run-steps, of the {budget} a map may "
        "take (more steps need a coarser grid)."
    ).format(runs=f"{size**2:,}", steps=steps, work=f"{size**2 * steps:,}",
             budget=f"{WORK_BUDGET:,}"))  # fmt: skip
    computed([m.parts() for m in maps], _("Running {runs} runs × {steps} steps…").format(
        runs=f"{2 * size**2:,}", steps=steps))  # fmt: skip
    chart(maps_chart(maps, radius), key=MAP_CHART, on_select=pick_cell, selection_mode="points")
    st.markdown(_("**Share of starts in each basin**"))
    st.table(shares(maps, radius))
    cell_view(setup, maps, radius)


def categories(marks: Landmarks, occurring: np.ndarray | None = None) -> list[Category]:
    """The maps' colours: each minimum (lowest first), then the outcomes of runs in no basin
    (only those ``occurring``, when given)."""
    found = []
    for k, minimum in enumerate(marks.minima):
        x, y = minimum.points[0]
        value = number(minimum.value, 3, zero_below=1e-9)
        if minimum.valley:
            label = _("{n}: a valley of minima, L = {v}").format(n=k + 1, v=value)
        else:
            label = _("{n}: minimum ({x}, {y}), L = {v}").format(
                n=k + 1, x=number(x, 3), y=number(y, 3), v=value)  # fmt: skip
        short = _("basin {n}").format(n=k + 1)
        found.append(Category(k, label, MINIMUM_COLORS[k % len(MINIMUM_COLORS)], short))
    return found + [
        Category(code, _(label), color, _(label))
        for code, (label, color) in OUTCOMES.items()
        if occurring is None or code in occurring
    ]


def codes(basin: BasinMap, radius: float) -> np.ndarray:
    """Each cell's basin code, (size, size) indexed [y, x]."""
    domain = surface_from_spec(basin.spec).domain
    minima = [m.points for m in landmarks(basin.spec).minima]
    return basin_codes(basin.result(), minima, radius, domain).reshape(basin.size, basin.size)


@frozen_figure
def maps_chart(maps: tuple[BasinMap, BasinMap], radius: float) -> go.Figure:
    surface, marks = surface_from_spec(maps[0].spec), landmarks(maps[0].spec)
    xs, ys = cell_centres(surface.domain, maps[0].size)
    critical = [("minimum", *m.points[0]) for m in marks.minima if not m.valley] + marks.others
    panels = [BasinPanel(f"{side}: {m.title}", codes(m, radius))
              for side, m in zip("AB", maps, strict=True)]  # fmt: skip
    occurring = np.unique(np.concatenate([p.codes.ravel() for p in panels]))
    return basin_map_figure(
        panels, xs=xs, ys=ys, categories=categories(marks, occurring), critical=critical,
        axis_labels=surface.axis_labels,
    )  # fmt: skip


def pick_cell() -> None:
    """A click on a cell of either map shows the runs from its start."""
    points = st.session_state[MAP_CHART].selection.points
    if points and "x" in points[0] and "y" in points[0]:
        url.assign("sw_cell_x", float(points[0]["x"]))
        url.assign("sw_cell_y", float(points[0]["y"]))


def shares(maps: tuple[BasinMap, BasinMap], radius: float) -> pd.DataFrame:
    """The share of starts in each basin, one row per map (outcomes only where they occur)."""
    per_map = [codes(m, radius).ravel() for m in maps]
    found = categories(landmarks(maps[0].spec), np.unique(np.concatenate(per_map)))
    return pd.DataFrame({
        f"{side}: {m.title}": {
            c.short: f"{percent(np.mean(cells == c.code), 3)} ({np.sum(cells == c.code)})"
            for c in found
        }
        for side, m, cells in zip("AB", maps, per_map, strict=True)
    }).T  # fmt: skip


def cell_view(setup: Setup, maps: tuple[BasinMap, BasinMap], radius: float) -> None:
    """The two runs from one start (a cell clicked on either map), animated."""
    surface = setup.surface
    centres = cell_centres(surface.domain, maps[0].size)
    view, numbers = st.columns([3, 2])
    with numbers:
        st.markdown(_("**The runs from one start** (click a cell of either map)"))
        start = []
        for column, axis, (low, high), default, values in zip(
            st.columns(2), "xy", surface.domain, surface.default_start, centres, strict=True
        ):
            with column:
                label = _("start {axis}").format(axis=_(surface.axis_labels["xy".index(axis)]))
                nearest = float(values[np.abs(values - default).argmin()])
                start.append(float(number_input(label, f"sw_cell_{axis}", float(low),
                                                float(high), nearest, format="%.4g")))  # fmt: skip
        st.markdown(cell_note(maps, (start[0], start[1]), radius))
    with view:
        chart(cell_runs(maps, (start[0], start[1])))


def cell_trajectories(
    maps: tuple[BasinMap, BasinMap], start: tuple[float, float]
) -> list[tuple[str, Trajectory]]:
    return [
        (f"{side}: {m.title}",
         run_simulations(m.spec, (m.run,), (start,), m.steps, m.batch_size, m.seed)[0])
        for side, m in zip("AB", maps, strict=True)
    ]  # fmt: skip


@frozen_figure
def cell_runs(maps: tuple[BasinMap, BasinMap], start: tuple[float, float]) -> go.Figure:
    spec = maps[0].spec
    return trajectory_figure(
        surface_from_spec(spec), cell_trajectories(maps, start), height=430,
        minima=locate_minima(surface_from_spec(spec)),
        background=surface_background(spec),
    )  # fmt: skip


def outcome(run: Trajectory, basin: BasinMap, radius: float) -> str:
    """Where one run ended, in the maps' words."""
    domain = surface_from_spec(basin.spec).domain
    minima = [m.points for m in landmarks(basin.spec).minima]
    code = int(basin_codes(summarize(run), minima, radius, domain)[0])
    if code == DIVERGED:
        return _("diverged at step {step}").format(step=run.diverged_at)
    if code == UNDEFINED:
        return _("stopped at step {step}: no gradient there").format(step=run.undefined_at)
    if code == NOT_CONVERGED:
        return _("not converged after {steps} steps").format(steps=basin.steps)
    return _("ends in basin {n}").format(n=code + 1)


def cell_note(maps: tuple[BasinMap, BasinMap], start: tuple[float, float], radius: float) -> str:
    """Where each of the two runs from the start ended."""
    return "\n".join(
        f"- **{label}**: " + outcome(run, m, radius)
        for (label, run), m in zip(cell_trajectories(maps, start), maps, strict=True)
    )


if __name__ == "__main__":
    page()
