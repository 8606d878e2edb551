"""Part 1 beyond 2-D: where real networks stop training. Many small MLPs are trained, driven
towards a critical point, and read through their exact Hessian (the homework's minimum-ratio
figure), true critical points and stalls apart; then one of them is seen up close: its spectrum
and the loss on planes through it; last, the critical-point finder proven on a linear autoencoder,
whose critical points are known in closed form."""

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
from viz.networks import (
    Still,
    levels_figure,
    log_background,
    sensitivity_figure,
    signs_figure,
    spectrum_figure,
    survey_figure,
)
from viz.theme import tick_text

CHART = "nw_chart"
TASKS = {"sinc": N_("1-D regression: sin(5πx)/(5πx)"), "spirals": N_("3 spirals (classification)")}
SHAPES = {"sinc": (1, 1), "spirals": (2, 3)}  # inputs and outputs of each task's networks
NETWORK_TASK = {"sinc": "regression", "spirals": "classification"}
# Activations as the picker shows them: names stay (tanh, ReLU, sigmoid), a word is translated.
ACTIVATION_LABELS = {"relu": "ReLU", "linear": N_("linear")}
PLANES = {
    "hessian": N_("eigenvectors of λmin and λmax"),
    "random": N_("random directions (Li et al.)"),
    "path": N_("the training path's principal components"),
}
PROCEDURES = {
    "homework": N_("the homework's: train, then minimise ‖∇L‖²"),
    "finder": N_("Newton on ∇L = 0 from the untrained starts"),
    "minimum": N_("train, then descend the loss to a minimum"),
}
TOLERANCES = (1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3)
AE_WIDTHS = (4, 2, 4)  # the linear autoencoder whose critical points are known
AE_STARTS, AE_DESCENTS, AE_STEPS = 24, 4, 300
AE_TOL = 1e-13
RESOLUTION = 160  # slice backgrounds: 160² loss evaluations (0.1 s for the default network)
HEIGHT = 500

PRESETS = {
    N_("The homework's figure"): Preset(
        N_("Twenty tanh networks with two hidden layers of 4 fit sin(5πx)/(5πx), then 100 "
           "Newton steps minimise ‖∇L‖². No run reaches ‖∇L‖ ≤ 10⁻⁸: every point is a stall, "
           "not a critical point. Their median minimum ratio sits near the lecture's 0.5–0.6, "
           "but it is the cutoff's: it falls below 0.3 when eigenvalues under 10⁻⁴·max|λ| count "
           "as zero (right), and at the chosen run most of the gradient left lies along flat "
           "directions, where minimising ‖∇L‖² stalls (Frye et al. 2021)."),
        {"nw_seed": 1},
    ),
    N_("More refinement does not reach zero"): Preset(
        N_("Five times the Newton steps (500) still leave every run above ‖∇L‖ = 10⁻⁸: the "
           "median ‖∇L‖ falls by less than a factor of ten, and the median ratio drifts down as "
           "the steps go on (right). Points found this way are where ‖∇L‖² stops falling, not "
           "critical points."),
        {"nw_seed": 1, "nw_refine": 500},
    ),
    N_("ReLU: flat, degenerate stops"): Preset(
        N_("With ReLU units, more than half the runs reach ‖∇L‖ ≤ 10⁻⁸, and every one of them is "
           "flat: no negative eigenvalue, many zero ones. Run 2 is one: most of its Hessian's "
           "eigenvalues are zero, since a unit whose input is negative on every sample passes no "
           "gradient, whatever its weights; its u(λmin) is a flat direction, not a way down. "
           "Their ratios fall far below the lecture's band: it is not reproduced."),
        {"nw_act": "relu", "nw_width": 5, "nw_run": 2},
    ),
    N_("Spirals: a vanishing loss passes the test"): Preset(
        N_("One hidden layer of 6 tanh units separates the three spirals: the training loss "
           "falls to about 10⁻⁸ and ‖∇L‖ with it, so every run passes the tolerance. A "
           "tolerance on ‖∇L‖ alone cannot tell a critical point from a loss still sliding "
           "towards 0; the ratios sit above the band, most points keep a negative eigenvalue, "
           "and no run is a strict local minimum."),
        {"nw_task": "spirals", "nw_depth": 1, "nw_width": 6},
    ),
    N_("Newton from the starts: one saddle"): Preset(
        N_("Newton's method on ∇L = 0 straight from the untrained starts, the finder proven on "
           "the autoencoder below, reaches true critical points in most runs, all at one loss: "
           "the targets' variance, where the network outputs a constant. A saddle, with "
           "negative, zero and positive eigenvalues, and a ratio far below the band."),
        {"nw_proc": "finder"},
    ),
    N_("Descending the loss: the ratio keeps falling"): Preset(
        N_("After training, 300 saddle-free Newton steps descend the loss itself. It falls by "
           "orders of magnitude, yet no run reaches ‖∇L‖ ≤ 10⁻⁸, and the median ratio keeps "
           "falling with the steps (right): nearer a fit of the data, more directions are flat."),
        {"nw_proc": "minimum", "nw_refine": 300},
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
    procedure: str = "homework"

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
            procedure=setup.procedure,
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


def signs_of(found: nets.Survey) -> np.ndarray:
    """(runs, 3): each point's negative, zero and positive eigenvalues; −1 for a diverged run."""
    pairs = zip(found.eigenvalues, found.zero_tols, strict=True)
    return np.array([report.signs(lam, tol) if np.isfinite(tol) else (-1, -1, -1)
                     for lam, tol in pairs])  # fmt: skip


@frozen_figure
def survey_chart(setup: Setup, tol: float, run: int) -> go.Figure:
    found = survey_of(setup)
    return survey_figure(found.minimum_ratios, found.losses, found.grad_norms, tol, run,
                         report.BAND, signs_of(found))  # fmt: skip


@frozen_figure
def signs_chart(setup: Setup, tol: float, run: int) -> go.Figure:
    found = survey_of(setup)
    return signs_figure(signs_of(found), found.grad_norms <= tol, run)


def spreads(setup: Setup, tol: float) -> tuple[report.Spread, report.Spread]:
    found = survey_of(setup)
    return report.by_cutoff(found, tol), report.by_budget(found, nets.RELATIVE_ZERO, tol)


@frozen_figure
def sensitivity_chart(setup: Setup, tol: float) -> go.Figure:
    cut, budget = spreads(setup, tol)
    pack = lambda s: {g: (s.median[g], s.low[g], s.high[g]) for g in s.median}  # noqa: E731
    return sensitivity_figure(cut.at, pack(cut), budget.at, pack(budget), nets.RELATIVE_ZERO,
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
        # Only a negative λmin makes u(λmin) a way down; where λmin ≈ 0 it is a flat direction.
        along = (_("along u(λmin): the escape direction") if point_of(setup, run).negative
                 else _("along u(λmin) (λmin ≈ 0: no way down)"))  # fmt: skip
        piece = dataclasses.replace(escape_of(setup, run).slice,
                                    axis_labels=(along, _("along u(λmax)")))  # fmt: skip
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
          "trained, driven towards a critical point, and read through their exact Hessian, as in "
          "the course's homework. A point counts as a critical point only where ‖∇L‖ is at or "
          "below the stated tolerance; the others are stalls, and are drawn apart.")
    )  # fmt: skip
    setup = sidebar()
    if setup is None:
        share_box()
        return
    surveyed = survey_section(setup)
    if surveyed is not None and up_close(*surveyed[:2]):
        spectrum_section(setup, surveyed[1], surveyed[2])
        landscape_section(setup, surveyed[1])
    autoencoder_section()
    share_box()


def sidebar() -> Setup | None:
    with st.sidebar:
        st.subheader(_("Task and network"))
        task = choice(_("Task"), "nw_task", list(TASKS), "sinc", labels=lambda t: _(TASKS[t]),
                      widget="radio")  # fmt: skip
        depth = choice(_("hidden layers"), "nw_depth", [1, 2, 3], 2, widget="segmented")
        width = slider(_("units per hidden layer"), "nw_width", 1, 16, 4)
        activation = choice(_("activation"), "nw_act", list(nets.ACTIVATION_NAMES), "tanh",
                            labels=lambda a: _(ACTIVATION_LABELS.get(a, a)),
                            widget="segmented")  # fmt: skip
        st.subheader(_("Training"))
        steps = slider(_("training steps"), "nw_steps", 100, 5000, 2000, 100)
        spec = optimizer_picker("nwo", default="adam", lr=0.01, steps=steps)
        runs = slider(_("number of runs"), "nw_runs", 1, nets.MAX_RUNS, 20)
        seed = int(number_input(_("seed"), "nw_seed", 0, 10_000, 0))
        st.subheader(_("Towards a critical point"))
        procedure = choice(_("procedure"), "nw_proc", list(PROCEDURES), "homework",
                           labels=lambda p: _(PROCEDURES[p]), widget="radio")  # fmt: skip
        refine = slider(_("Newton steps (after training, if any)"), "nw_refine", 0,
                        nets.MAX_REFINE_STEPS, 100, 10)  # fmt: skip
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    inputs, outputs = SHAPES[task]
    setup = Setup(task, (inputs, *[int(width)] * int(depth), outputs), activation, spec,
                  int(steps), int(runs), seed, int(refine), procedure)  # fmt: skip
    try:
        network = setup.network()
    except ValueError as error:
        st.error(_("This network is refused: {reason}.").format(reason=error), icon="🚫")
        return None
    training = (_("{spec}, {steps} steps").format(spec=spec.label, steps=steps)
                if procedure != "finder" else _("no training"))  # fmt: skip
    st.caption(_("Network {widths}, {activation}: {n} parameters, {samples} training samples; "
                 "{training}; then {refine} Newton steps ({procedure}).").format(
        widths="–".join(map(str, setup.widths)), activation=activation, n=network.n_params,
        samples=network.n_samples, training=training, refine=setup.refine,
        procedure=_(PROCEDURES[procedure])))  # fmt: skip
    return setup


def pick_run() -> None:
    """A click on the survey's scatter chooses that run (customdata[0] is its index)."""
    points = st.session_state[CHART].selection.points
    if points and points[0].get("customdata"):
        url.assign("nw_run", int(points[0]["customdata"][0]) + 1)


def survey_section(setup: Setup) -> tuple[nets.Survey, int, float] | None:
    """The homework's figure beside what it says, computed; each point's eigenvalue signs; how the
    ratios move with the zero cutoff and the Newton budget."""
    slot, tick = progress_bar(_("Surveying {runs} networks…").format(runs=setup.runs))
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
        read = report.read(found, tol)
        cards(read)
    with figure_column:
        chart(survey_chart(setup, float(tol), run - 1), key=CHART, on_select=pick_run,
              selection_mode="points")  # fmt: skip
        st.caption(_("One point per run, where the procedure stopped. Click a point to look at it "
                     "below. Filled: ‖∇L‖ at or below the tolerance, a true critical point; "
                     "hollow: above it, a stall."))  # fmt: skip
    st.markdown(reading(read))
    signs_column, spread_column = st.columns(2)
    with signs_column:
        chart(signs_chart(setup, float(tol), run - 1))
        st.caption(
            _(
                "Each point's eigenvalues by sign, counted apart rather than folded into one "
                "ratio: negative (a way down), zero (|λ| ≤ {tol}·max|λ|: flat, no evidence "
                "either way) and positive."
            ).format(tol=tick_text(nets.RELATIVE_ZERO))
        )
    with spread_column:
        chart(sensitivity_chart(setup, float(tol)))
        st.caption(sensitivity_words(*spreads(setup, float(tol))))
    return found, run - 1, float(tol)


def cards(read: report.Reading) -> None:
    n = read.runs
    of = _("{k} of {n}")
    first, second = st.columns(2)
    first.metric(_("true critical points"), of.format(k=read.critical, n=n),
                 help=_("‖∇L‖ at or below the tolerance"))  # fmt: skip
    second.metric(_("minima · flat · saddles"),
                  f"{read.minima} · {read.flat} · {read.saddles}",
                  help=_("among the true critical points: every λ > 0; no λ < 0 but some λ ≈ 0; "
                         "some λ < 0"))  # fmt: skip
    first.metric(_("ratio, critical"), number(read.median_critical, 2),
                 help=_("median minimum ratio at the true critical points"))  # fmt: skip
    second.metric(_("ratio, stalls"), number(read.median_stalled, 2),
                  help=_("median minimum ratio at the stalls"))  # fmt: skip


def reading(read: report.Reading) -> str:
    """What the survey says, in sentences computed from ``read``."""
    tol = tick_text(read.grad_tol)
    lines = [
        _("{k} of {n} runs reach ‖∇L‖ ≤ {tol}: {minima} minima, {flat} flat (no negative "
          "eigenvalue, some zero) and {saddles} saddles; {stalled} stalled short of a critical "
          "point. The median ‖∇L‖ went from {before} (before the Newton steps) to "
          "{after}.").format(
            k=read.critical, n=read.finished, tol=tol, minima=read.minima, flat=read.flat,
            saddles=read.saddles, stalled=read.stalled,
            before=number(read.median_trained_grad_norm, 2),
            after=number(read.median_grad_norm, 2)),
    ]  # fmt: skip
    median = number(read.median_critical, 2)
    verdicts = {
        "no_critical": _(
            "No run reached a critical point, so these minimum ratios are not the "
            "lecture's: they are read where the procedure stalled (median {stalled}), "
            "and they move with the zero cutoff and the number of Newton steps "
            "(right)."
        ),
        "few_critical": _(
            "Only {k} of {n} runs reached a critical point (median ratio {median} "
            "there): too few to say whether the lecture's 0.5–0.6 holds."
        ),
        "outside": _(
            "At the true critical points the median ratio is {median}, outside the "
            "lecture's 0.5–0.6: the band is not reproduced here."
        ),
        "cutoff": _(
            "At the true critical points the median ratio is {median}, inside the "
            "lecture's 0.5–0.6 at this cutoff, but it leaves the band with the zero cutoff "
            "ten times smaller or larger: not a robust reproduction."
        ),
        "reproduced": _(
            "At the true critical points the median ratio is {median}, inside the "
            "lecture's 0.5–0.6, and it stays there with the zero cutoff ten times "
            "smaller or larger: the band is reproduced."
        ),
    }
    if read.finished:
        lines.append(verdicts[read.verdict].format(
            k=read.critical, n=read.finished, median=median,
            stalled=number(read.median_stalled, 2)))  # fmt: skip
    lines.append(_("An eigenvalue counts as 0 when |λ| ≤ {tol}·max|λ| at its own point, and zeros "
                   "are not counted as positive: a flat direction is no evidence of a "
                   "minimum.").format(tol=tick_text(nets.RELATIVE_ZERO)))  # fmt: skip
    if read.finished < read.runs:
        lines.append(_("{k} of {n} runs diverged and are not drawn.").format(
            k=read.runs - read.finished, n=read.runs))  # fmt: skip
    return " ".join(lines)


def sensitivity_words(cut: report.Spread, budget: report.Spread) -> str:
    """How far each group's median ratio moves over the cutoffs and the budgets."""
    names = {"critical": _("at true critical points"), "stalled": _("at stalls")}
    parts = []
    for group, name in names.items():
        by_cut, by_step = cut.median[group], budget.median[group]
        if not np.isfinite(by_cut).any():
            continue
        low, high = np.nanmin(by_cut), np.nanmax(by_cut)
        first, last = by_step[np.isfinite(by_step)][[0, -1]] if np.isfinite(by_step).any() else (
            np.nan, np.nan)  # fmt: skip
        parts.append(_("The median ratio {name} ranges from {low} to {high} over the zero cutoffs "
                       "shown, and goes from {first} to {last} over the Newton steps.").format(
            name=name, low=number(low, 2), high=number(high, 2), first=number(first, 2),
            last=number(last, 2)))  # fmt: skip
    parts.append(_("Bands: the least to the largest ratio over the runs; dashed: the cutoff used "
                   "above."))  # fmt: skip
    return " ".join(parts)


def up_close(found: nets.Survey, run: int) -> bool:
    """The chosen run's heading; False (and why) if it diverged, leaving no point to look at."""
    st.header(_("Run {run} up close").format(run=run + 1))
    if np.isfinite(found.minimum_ratios[run]):
        return True
    st.info(_("Run {run} diverged at step {step}: there is no point to look at.").format(
        run=run + 1, step=found.diverged_at[run]), icon="💥")  # fmt: skip
    return False


def spectrum_section(setup: Setup, run: int, tol: float) -> None:
    """The chosen point's Hessian spectrum and what it says (a critical point at ‖∇L‖ ≤ tol, the
    tolerance chosen above)."""
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
    kind = (_("A true critical point (‖∇L‖ ≤ {tol}).") if here.grad_norm <= tol
            else _("A stall, not a critical point (‖∇L‖ > {tol}).")).format(
        tol=tick_text(tol))  # fmt: skip
    words = kind + " " + _("{neg} negative, {zero} zero (|λ| ≤ {tol}) and {pos} positive "
                           "eigenvalues.").format(
        neg=here.negative, zero=here.zero, pos=here.positive, tol=number(here.zero_tol, 2)
    )  # fmt: skip
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


# ---- A network whose critical points are known ------------------------------------------------


def autoencoder_of() -> tuple[nets.Network, nets.Levels, nets.Critical]:
    """The linear autoencoder, its closed-form levels, and the critical points found: Newton on
    ∇L = 0 from AE_STARTS random starts, then saddle-free Newton down the loss from AE_DESCENTS
    more (seconds the first time, then shared)."""

    def compute():
        network = nets.mlp(AE_WIDTHS, activation="linear", task="autoencoder")
        newton = nets.find_critical(network, nets.starts(network, AE_STARTS), tol=AE_TOL,
                                    steps=AE_STEPS)  # fmt: skip
        down = nets.find_critical(network, nets.starts(network, AE_DESCENTS, seed=1), tol=AE_TOL,
                                  steps=AE_STEPS, method="minimum")  # fmt: skip
        both = nets.Critical(*(np.concatenate([a, b]) if isinstance(a, np.ndarray) else a
                               for a, b in zip(newton, down, strict=True)))  # fmt: skip
        return network, nets.autoencoder_levels(network), both

    return computed_once("autoencoder", AE_WIDTHS, compute)


class AutoencoderReading(NamedTuple):
    found: int
    converged: int
    largest_grad: float
    largest_gap: float
    levels_reached: int
    levels: int
    at_lowest: int
    lowest_index_zero: bool
    minima_above: int
    above: int
    index_low: int
    index_high: int


def autoencoder_reading() -> tuple[AutoencoderReading, np.ndarray]:
    """The autoencoder's critical points in numbers, and each point's index."""
    _network, levels, found = autoencoder_of()
    lam = found.eigenvalues
    index = np.sum(lam < -nets.RELATIVE_ZERO * np.abs(lam).max(axis=1, keepdims=True), axis=1)
    ok = found.converged
    nearest, gap = nets.nearest_level(levels, found.losses)
    lowest = ok & (nearest == 0)
    above = ok & (nearest > 0)
    return AutoencoderReading(
        found=len(ok), converged=int(ok.sum()),
        largest_grad=float(found.grad_norms[ok].max()) if ok.any() else float("nan"),
        largest_gap=float(gap[ok].max()) if ok.any() else float("nan"),
        levels_reached=len(np.unique(np.round(levels.losses[nearest[ok]], 12))),
        levels=len(np.unique(np.round(levels.losses, 12))), at_lowest=int(lowest.sum()),
        lowest_index_zero=bool(np.all(index[lowest] == 0)),
        minima_above=int(np.sum(above & (index == 0))), above=int(above.sum()),
        index_low=int(index[above].min()) if above.any() else 0,
        index_high=int(index[above].max()) if above.any() else 0,
    ), index  # fmt: skip


@frozen_figure
def levels_chart() -> go.Figure:
    _network, levels, found = autoencoder_of()
    return levels_figure(levels.losses, found.losses, autoencoder_reading()[1], found.converged)


def autoencoder_section() -> None:
    """The finder on a network whose critical points are known in closed form."""
    st.header(_("A network whose critical points are known"))
    d, k = AE_WIDTHS[0], AE_WIDTHS[1]
    st.markdown(_("A linear autoencoder {widths} (biases as torch's nn.Linear) fits {d}-D Gaussian "
                  "inputs with distinct variances. With S the inputs' centred covariance and "
                  "s₁ > … > s{last} its eigenvalues, every critical point's loss is "
                  "(tr S − the sum of sᵢ over A)/{d} for a subset A of at most {k} of them, and "
                  "only the lowest level holds minima (Baldi & Hornik 1989). The same Newton "
                  "solve as above, run here from random starts, is checked against that.").format(
        widths="–".join(map(str, AE_WIDTHS)), d=d, k=k,
        last=str(d).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))))  # fmt: skip
    slot, tick = progress_bar(_("Solving ∇L = 0 from {n} starts…").format(
        n=AE_STARTS + AE_DESCENTS))  # fmt: skip
    read, _index = autoencoder_reading()
    tick(1, 1)
    slot.empty()
    figure_column, numbers_column = st.columns([3, 2])
    chart(levels_chart(), where=figure_column)
    with numbers_column:
        left, right = st.columns(2)
        left.metric(_("converged"), _("{k} of {n}").format(k=read.converged, n=read.found),
                    help=_("‖∇L‖ ≤ {tol}").format(tol=tick_text(AE_TOL)))  # fmt: skip
        right.metric(_("largest ‖∇L‖"), number(read.largest_grad, 2))
        left.metric(_("largest gap to a level"), number(read.largest_gap, 2))
        right.metric(_("levels reached"), _("{k} of {n}").format(k=read.levels_reached,
                                                                  n=read.levels))  # fmt: skip
    st.markdown(autoencoder_words(read))


def autoencoder_words(read: AutoencoderReading) -> str:
    lines = [_("Newton on ∇L = 0 from {starts} random starts, and a descent of the loss from "
               "{descents} more: {k} of {n} reach ‖∇L‖ ≤ {tol} (the largest {grad}), and every "
               "loss found equals a closed-form level to within {gap}.").format(
        starts=AE_STARTS, descents=AE_DESCENTS, k=read.converged, n=read.found,
        tol=tick_text(AE_TOL), grad=number(read.largest_grad, 2),
        gap=number(read.largest_gap, 2))]  # fmt: skip
    if read.lowest_index_zero and read.minima_above == 0 and read.above:
        lines.append(_("Index 0 (no way down) only at the lowest level ({lowest} points); the "
                       "{above} points above it are saddles with {low} to {high} negative "
                       "eigenvalues: here the high-loss critical points are saddles, not minima, "
                       "as the lecture says, and the closed form proves it.").format(
            lowest=read.at_lowest, above=read.above, low=read.index_low,
            high=read.index_high))  # fmt: skip
    else:
        lines.append(
            _(
                "{minima} of the {above} points above the lowest level have no negative eigenvalue."
            ).format(minima=read.minima_above, above=read.above)
        )
    return " ".join(lines)


if __name__ == "__main__":
    page()
