"""Part 1 beyond 2-D: where real networks stop training. Many small MLPs are trained, driven
towards a critical point, and read through their exact Hessian (the homework's minimum-ratio
figure), then one of them is seen up close: its spectrum and the loss on planes through it."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import nets
from i18n import N_, _
from nets import report
from ui import url
from ui.cache import computed_once, frozen_figure, progress_bar
from ui.controls import choice, number_input, optimizer_picker, slider, stepped
from ui.format import number
from ui.layout import chart, share_box
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec
from viz import background_image, trajectory_figure
from viz.networks import Still, log_background, spectrum_figure, survey_figure
from viz.theme import tick_text

CHART = "nw_chart"
TASKS = {"sinc": N_("1-D regression: sin(5πx)/(5πx)"), "spirals": N_("3 spirals (classification)")}
SHAPES = {"sinc": (1, 1), "spirals": (2, 3)}  # inputs and outputs of each task's networks
NETWORK_TASK = {"sinc": "regression", "spirals": "classification"}
PLANES = {
    "hessian": N_("eigenvectors of λmin and λmax"),
    "random": N_("random directions (Li et al.)"),
    "path": N_("the training path's principal components"),
}
TOLERANCES = (1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3)
RESOLUTION = 160  # slice backgrounds: 160² loss evaluations (0.1 s for the default network)
HEIGHT = 500

PRESETS = {
    N_("The homework's figure"): Preset(
        N_("Twenty tanh networks with two hidden layers of 4 fit sin(5πx)/(5πx), then "
           "refinement minimises ‖∇L‖². Their median minimum ratio lies in the lecture's band "
           "0.5–0.6 and not one run is a local minimum: every point keeps eigenvalues below "
           "zero. But no run reaches ‖∇L‖ ≤ 10⁻⁸ either, and at the chosen run most of the "
           "gradient that is left lies along flat directions, where minimising ‖∇L‖² stalls "
           "(Frye et al. 2021)."),
        {"nw_seed": 1},
    ),
    N_("More refinement does not reach zero"): Preset(
        N_("Five times the refinement (500 steps) still leaves every run above ‖∇L‖ = 10⁻⁸: "
           "the median ‖∇L‖ falls by less than a factor of ten from where training left it. "
           "Points found this way are where ‖∇L‖² stops falling, not critical points."),
        {"nw_seed": 1, "nw_refine": 500},
    ),
    N_("ReLU: flat, degenerate stops"): Preset(
        N_("With ReLU units, more than half the runs reach ‖∇L‖ ≤ 10⁻⁸, at points that are flat "
           "in most directions. Run 2 is one of them: most of its Hessian's eigenvalues are zero "
           "(to within the tolerance), since a unit whose input is negative on every sample "
           "passes no gradient, whatever its weights. The minimum ratios fall far below the "
           "lecture's band, and no run is a local minimum."),
        {"nw_act": "relu", "nw_width": 5, "nw_run": 2},
    ),
    N_("Spirals: a vanishing loss passes the test"): Preset(
        N_("One hidden layer of 6 tanh units separates the three spirals: the training loss "
           "falls to about 10⁻⁸ and ‖∇L‖ with it, so every run passes the tolerance. A "
           "tolerance on ‖∇L‖ alone cannot tell a critical point from a loss still sliding "
           "towards 0; the minimum ratios sit above the band, yet no run is a local minimum."),
        {"nw_task": "spirals", "nw_depth": 1, "nw_width": 6},
    ),
}  # fmt: skip


class Setup(NamedTuple):
    """Everything the survey depends on, as plain values (the cache key)."""

    task: str
    widths: tuple[int, ...]
    activation: str
    run: RunSpec
    steps: int
    runs: int
    seed: int
    refine: int

    def network(self) -> nets.Network:
        return nets.mlp(self.widths, activation=self.activation, task=NETWORK_TASK[self.task],
                        dataset=self.task)  # fmt: skip



def survey_of(setup: Setup, progress=None) -> nets.Survey:
    """The survey for these settings (seconds the first time, then shared)."""

    def compute():
        return nets.survey(
            setup.network(),
            setup.runs,
            seed=setup.seed,
            steps=setup.steps,
            refine_steps=setup.refine,
            progress=progress,
            optimizer=setup.run.build(),
        )

    return computed_once("survey", setup, compute)


def path_of(setup: Setup, run: int, progress=None) -> tuple[nets.Projection, np.ndarray]:
    """Run ``run``'s training path (the survey's θs, traced again), then its refined point,
    projected onto its first two principal components; and the training step of each θ."""

    def compute():
        network = setup.network()
        path = report.training_path(network, run, runs=setup.runs, seed=setup.seed,
                                    steps=setup.steps, optimizer=setup.run.build())  # fmt: skip
        if progress is not None:
            progress(1, 1)
        refined = survey_of(setup).thetas[run]
        return nets.project_path(network, np.vstack([path.thetas, refined])), path.steps

    return computed_once("path", (setup, run), compute)


def escape_of(setup: Setup, run: int) -> report.Escape:
    """The Hessian plane through the run's point, on a window sized to its escape direction."""

    def compute():
        return report.escape_plane(setup.network(), survey_of(setup).thetas[run])

    return computed_once("escape", (setup, run), compute)


@st.cache_data(max_entries=64, show_spinner=False)
def point_of(setup: Setup, run: int) -> report.Point:
    return report.point(setup.network(), survey_of(setup), run)


# ---- Figures, built once per link and language ------------------------------------------------


@frozen_figure
def survey_chart(setup: Setup, tol: float, run: int) -> go.Figure:
    found = survey_of(setup)
    return survey_figure(found.minimum_ratios, found.losses, found.grad_norms, tol, run,
                         report.BAND)  # fmt: skip


@frozen_figure
def spectrum_chart(setup: Setup, run: int) -> go.Figure:
    found = survey_of(setup)
    title = _("Hessian eigenvalues of run {run} ({n} parameters)").format(
        run=run + 1, n=len(found.eigenvalues[run])
    )
    return spectrum_figure(found.eigenvalues[run], float(found.zero_tols[run]), title=title)


@frozen_figure
def plane_chart(setup: Setup, run: int, plane: str) -> go.Figure:
    """The loss on a plane through the run's point, drawn as the app's trajectory view."""
    network, theta = setup.network(), survey_of(setup).thetas[run]
    here = _("run {run}'s point").format(run=run + 1)
    if plane == "hessian":
        piece = dataclasses.replace(escape_of(setup, run).slice, axis_labels=(
            _("along u(λmin): the escape direction"), _("along u(λmax)")))  # fmt: skip
        return trajectory_figure(
            piece,
            [(here, Still(np.zeros((1, 2))))],
            height=HEIGHT,
            background=background_image(piece, RESOLUTION, log_color=False),
        )
    if plane == "random":
        piece = dataclasses.replace(
            nets.random_plane(network, theta, seed=setup.seed),
            axis_labels=(_("random direction 1"), _("random direction 2")),
        )
        return trajectory_figure(
            piece,
            [(here, Still(np.zeros((1, 2))))],
            height=HEIGHT,
            background=log_background(piece, RESOLUTION),
        )
    projection, steps = path_of(setup, run)
    labels = tuple(_("PC{i} ({share} % of the variance)").format(i=i + 1, share=number(100 * e, 3))
                   for i, e in enumerate(projection.explained))  # fmt: skip
    piece = dataclasses.replace(projection.slice, axis_labels=labels)
    name = _("run {run}: training, then refinement").format(run=run + 1)
    refined = _("refined")
    return trajectory_figure(
        piece, [(name, projection)], height=HEIGHT, background=log_background(piece, RESOLUTION),
        step_label=lambda i: str(steps[i]) if i < len(steps) else refined,
    )  # fmt: skip


# ---- Sections -----------------------------------------------------------------------------------


def page() -> None:
    st.title(_("🕸️ Beyond 2-D: where real networks stop"))
    preset_note(PRESETS)
    st.markdown(
        _("The lecture's claim: in a real network, training that stalls is almost never at a "
          "local minimum; networks trained to convergence sit at points whose **minimum ratio** "
          "(positive Hessian eigenvalues / all) is about 0.5–0.6. Here many small networks are "
          "trained, driven towards a critical point by minimising ‖∇L‖², and read through their "
          "exact Hessian, as in the course's homework.")
    )  # fmt: skip
    setup = sidebar()
    if setup is None:
        share_box()
        return
    surveyed = survey_section(setup)
    if surveyed is not None and up_close(*surveyed):
        spectrum_section(setup, surveyed[1])
        landscape_section(setup, surveyed[1])
    share_box()


def sidebar() -> Setup | None:
    with st.sidebar:
        st.subheader(_("Task and network"))
        task = choice(_("Task"), "nw_task", list(TASKS), "sinc", labels=lambda t: _(TASKS[t]),
                      widget="radio")  # fmt: skip
        depth = choice(_("hidden layers"), "nw_depth", [1, 2, 3], 2, widget="segmented")
        width = slider(_("units per hidden layer"), "nw_width", 1, 16, 4)
        activation = choice(_("activation"), "nw_act", list(nets.ACTIVATION_NAMES), "tanh",
                            widget="segmented")  # fmt: skip
        st.subheader(_("Training"))
        steps = slider(_("training steps"), "nw_steps", 100, 5000, 2000, 100)
        spec = optimizer_picker("nwo", default="adam", lr=0.01, steps=steps)
        runs = slider(_("number of runs"), "nw_runs", 1, nets.MAX_RUNS, 20)
        seed = int(number_input(_("seed"), "nw_seed", 0, 10_000, 0))
        refine = slider(_("refinement steps (minimising ‖∇L‖²)"), "nw_refine", 0,
                        nets.MAX_REFINE_STEPS, 100, 10)  # fmt: skip
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    inputs, outputs = SHAPES[task]
    setup = Setup(task, (inputs, *[int(width)] * int(depth), outputs), activation, spec,
                  int(steps), int(runs), seed, int(refine))  # fmt: skip
    try:
        network = setup.network()
    except ValueError as error:
        st.error(_("This network is refused: {reason}.").format(reason=error), icon="🚫")
        return None
    st.caption(_("Network {widths}, {activation}: {n} parameters, {samples} training samples; "
                 "{spec}, {steps} steps.").format(
        widths="–".join(map(str, setup.widths)), activation=activation, n=network.n_params,
        samples=network.n_samples, spec=spec.label, steps=steps))  # fmt: skip
    return setup


def pick_run() -> None:
    """A click on the survey's scatter chooses that run (customdata[0] is its index)."""
    points = st.session_state[CHART].selection.points
    if points and points[0].get("customdata"):
        url.assign("nw_run", int(points[0]["customdata"][0]) + 1)


def survey_section(setup: Setup) -> tuple[nets.Survey, int] | None:
    """The homework's figure beside what it says, computed."""
    slot, tick = progress_bar(_("Training {runs} networks, then refining each…").format(
        runs=setup.runs))  # fmt: skip
    try:
        found = survey_of(setup, tick)
    except ValueError as error:
        slot.empty()
        st.error(_("This survey is refused: {reason}.").format(reason=error), icon="🚫")
        return None
    slot.empty()
    figure_column, reading_column = st.columns([3, 2])
    with reading_column:
        tol_column, run_column = st.columns([3, 2])
        with tol_column:
            tol = stepped(_("‖∇L‖ counted as 0 at or below"), "nw_tol", TOLERANCES, nets.GRAD_TOL)
        with run_column:
            run = int(number_input(_("run to look at"), "nw_run", 1, setup.runs, 1))
        reading(report.read(found, tol))
    with figure_column:
        chart(survey_chart(setup, float(tol), run - 1), key=CHART, on_select=pick_run,
              selection_mode="points")  # fmt: skip
        st.caption(_("One point per run, where refinement stopped. Click a point to look at it "
                     "below. Filled: ‖∇L‖ at or below the tolerance; hollow: above it, not a "
                     "critical point."))  # fmt: skip
    return found, run - 1


def reading(read: report.Reading) -> None:
    """The figure in numbers: cards, then a sentence."""
    n = read.runs
    of = _("{k} of {n}")
    first, second = st.columns(2)
    first.metric(_("median minimum ratio"), number(read.median_ratio, 2))
    second.metric(_("runs at ‖∇L‖ ≤ {tol}").format(tol=tick_text(read.grad_tol)),
                  of.format(k=read.critical, n=n))  # fmt: skip
    first.metric(_("local minima (ratio 1)"), of.format(k=read.minima, n=n))
    second.metric(_("runs with no λ < 0"), of.format(k=read.minima + read.flat, n=n),
                  help=_("no eigenvalue below minus the zero tolerance"))  # fmt: skip
    lines = [
        _("Minimum ratios from {low} to {high}, {k} of {n} within the lecture's 0.5–0.6. "
          "Refinement took the median ‖∇L‖ from {before} (where training left it) to "
          "{after}.").format(
            low=number(read.lowest_ratio, 2), high=number(read.highest_ratio, 2),
            k=read.in_band, n=read.finished, before=number(read.median_trained_grad_norm, 2),
            after=number(read.median_grad_norm, 2)),
        _("An eigenvalue counts as 0 when |λ| ≤ {tol}·max|λ| at its own point, and zeros are not "
          "counted as positive: a flat direction is no evidence of a minimum.").format(
            tol=tick_text(nets.RELATIVE_ZERO)),
    ]  # fmt: skip
    if read.finished < n:
        lines.append(_("{k} of {n} runs diverged and are not drawn.").format(
            k=n - read.finished, n=n))  # fmt: skip
    if read.critical < read.finished:
        lines.append(_("Hollow points are not critical points: minimising ‖∇L‖² can stall where "
                       "the gradient lies along flat directions (Frye et al. 2021)."))  # fmt: skip
    st.markdown(" ".join(lines))


def up_close(found: nets.Survey, run: int) -> bool:
    """The chosen run's heading; False (and why) if it diverged, leaving no point to look at."""
    st.header(_("Run {run} up close").format(run=run + 1))
    if np.isfinite(found.minimum_ratios[run]):
        return True
    st.info(_("Run {run} diverged at step {step}: there is no point to look at.").format(
        run=run + 1, step=found.diverged_at[run]), icon="💥")  # fmt: skip
    return False


def spectrum_section(setup: Setup, run: int) -> None:
    """The chosen point's Hessian spectrum and what it says."""
    here = point_of(setup, run)
    figure_column, numbers_column = st.columns([5, 4])
    chart(spectrum_chart(setup, run), where=figure_column)
    with numbers_column:
        left, right = st.columns(2)
        left.metric(_("training loss at the point"), number(here.loss, 3))
        right.metric("‖∇L‖", number(here.grad_norm, 3))
        left.metric(_("minimum ratio"), number(here.ratio, 2),
                    help=_("positive eigenvalues / all eigenvalues"))  # fmt: skip
        right.metric(_("λmin / λmax"), number(here.lowest / here.highest, 2,
                                              zero_below=nets.RELATIVE_ZERO))  # fmt: skip
        left.metric("λmin", number(here.lowest, 3, zero_below=here.zero_tol))
        right.metric("λmax", number(here.highest, 3))
        left.metric(
            _("κ of the positive part"),
            number(here.kappa, 3),
            help=_("λmax / the smallest eigenvalue above the zero tolerance"),
        )
        right.metric(_("‖H∇L‖ / (λmax‖∇L‖)"), number(here.curved, 2),
                     help=_("1: the gradient points along the most curved direction; near 0: "
                            "it lies along flat ones"))  # fmt: skip
    words = _("{neg} negative, {zero} zero (|λ| ≤ {tol}) and {pos} positive eigenvalues.").format(
        neg=here.negative, zero=here.zero, pos=here.positive, tol=number(here.zero_tol, 2)
    )
    if here.negative:
        words += " " + _("The most negative is {share} × λmax in size.").format(
            share=number(abs(here.lowest) / here.highest, 2)
        )
    st.markdown(words)


def landscape_section(setup: Setup, run: int) -> None:
    """The loss of the chosen network on a plane through its point."""
    st.header(_("The loss around the point, on a plane"))
    plane = choice(_("plane"), "nw_plane", list(PLANES), "hessian", labels=lambda p: _(PLANES[p]),
                   widget="segmented")  # fmt: skip
    if plane == "path":
        slot, tick = progress_bar(_("Training run {run} again to keep its path…").format(
            run=run + 1))  # fmt: skip
        projection = path_of(setup, run, tick)[0]
        slot.empty()
    chart(plane_chart(setup, run, plane))
    st.caption(_("Each plane is a 2-D slice f(x, y) = L(θ + x·d₁ + y·d₂) of a loss over {n} "
                 "parameters. Critical points of a slice are not the network's: a slice's "
                 "minimum can be a saddle in the directions it leaves out.").format(
        n=len(survey_of(setup).thetas[run])))  # fmt: skip
    if plane == "hessian":
        escape = escape_of(setup, run)
        (_low, wide), (_bottom, high) = escape.slice.domain
        if escape.fall > 0:
            text = _("Along u(λmin) the loss is lowest {distance} from the point, {fall} below it "
                     "({share} % of the loss); beyond, it rises again.").format(
                distance=number(escape.distance, 2), fall=number(escape.fall, 2),
                share=number(100 * escape.fall / point_of(setup, run).loss, 2))  # fmt: skip
        else:
            text = _("Along u(λmin) the loss never falls below the point's: no way down along it.")
        st.markdown(text + " " + _("The window spans ±{x} along u(λmin) and ±{y} along u(λmax), "
                                   "sized to what the loss does along each.").format(
            x=number(wide, 2), y=number(high, 2)))  # fmt: skip
    elif plane == "random":
        st.markdown(_("Two Gaussian directions, each rescaled neuron by neuron to the norm of "
                      "that neuron's weights (filter normalisation, Li et al. 2018); biases are "
                      "left out. Random directions barely see the training path: it is drawn on "
                      "the next plane."))  # fmt: skip
    else:
        st.markdown(_("The plane of the first two principal components of θ_t − θ_final over the "
                      "run's training path and its refinement: they hold {share} % of the path's "
                      "variance; the rest of its movement is out of the plane, and the loss drawn "
                      "under it is the plane's.").format(
            share=number(100 * float(projection.explained.sum()), 3)))  # fmt: skip


if __name__ == "__main__":
    page()
