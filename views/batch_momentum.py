"""Part 2 of the lecture: batch size (noisy small batches, epochs) and momentum (a ball that rolls
through a shallow minimum)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import i18n
from i18n import N_, _
from optimizers import Trajectory
from surfaces import get_surface
from surfaces.data import DataSurface
from ui import url
from ui.cache import frozen_figure, run_simulations, surface_background, surface_from_spec
from ui.controls import (
    choice,
    log_slider,
    multichoice,
    number_input,
    schedule_picker,
    slider,
    surface_picker,
)
from ui.format import DASH, latex_matrix, number, percent
from ui.layout import chart, share_box
from ui.live import chart_selector, live_sliders
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec, SurfaceSpec
from viz.live import Slider, TraceUpdate, drawn_indices, pack, trajectories
from viz.momentum import (
    CARRIED_COLOR,
    GRADIENT_COLOR,
    batch_comparison_figure,
    cut_figure,
    epoch_marks,
    gaps,
    minibatch_figure,
    momentum_step_figure,
    paths_at_step_figure,
    step_parts,
    weights_figure,
)

DATA_SURFACES = ("rbf_neuron", "regression")
# Per data surface: default learning rate (stable for a single sample) and epochs.
BATCH_DEFAULTS = {"rbf_neuron": (1.0, 25), "regression": (1e-6, 50)}
MAX_EPOCH_MARKS = 100  # more ◇ than this would hide the path
RECENT = 20  # the batch views draw at least this many recent steps bright (at least an epoch)
WELL = SurfaceSpec("double_well")
FORMS = {"lecture": N_("lecture"), "pytorch": N_("PyTorch")}
RUN_NAMES = (N_("gradient descent"), N_("momentum, lecture form"), N_("momentum, PyTorch form"))
PATHS, CUT, LIVE = "bm_paths", "bm_cut", "bm_live"
LIVE_MOMENTA = tuple(round(0.01 * k, 2) for k in range(100))  # the λ slider's values
LIVE_POINTS = 120  # each live path drawn through this many of its points
STEP_HELP = N_("Every chart of this section shows θᵗ and the update t that leaves it, θᵗ → θᵗ⁺¹.")

PRESETS = {
    N_("A small batch escapes where full batch stalls"): Preset(
        N_("Both runs make the same 1,000 updates. Full-batch gradient descent slides into the "
           "shallow minimum on the left (fitting the small bump) and stays there. With one "
           "sample per update (B = 1), each step follows a different surface (right): the noise "
           "carries the iterate over the low ridge towards the deeper minimum. Below, after the "
           "same 25 epochs, B = 4 and B = 10 settle in the shallow minimum too, and the full "
           "batch, with only 25 updates, has not even reached it."),
        {"bm_surface": "rbf_neuron", "bm_batch_rbf_neuron": 1, "bm_lr_rbf_neuron": 1.0,
         "bm_epochs_rbf_neuron": 25, "bm_seed": 2, "bm_sizes_rbf_neuron": [1, 4, 10, 40]},
    ),
    N_("Small batches are noisy, large ones steady"): Preset(
        N_("On the ten-point linear regression, the full batch (B = 10) lowers the loss at every "
           "one of its updates. With B = 1 the loss rises after about 4 updates in 10: each "
           "sample pulls the line its own way. After the same 50 epochs B = 1 ends highest, "
           "though it made ten times as many updates (500 against 50)."),
        {"bm_surface": "regression", "bm_batch_regression": 1, "bm_lr_regression": 1e-6,
         "bm_epochs_regression": 50, "bm_seed": 2, "bm_sizes_regression": [1, 2, 5, 10]},
    ),
    N_("Momentum rolls through the shallow minimum"): Preset(
        N_("Under Momentum, below. Same start, same η: gradient descent stops in the first "
           "(shallow) minimum it meets. Momentum arrives with speed and rolls over the ridge: at "
           "step 4 the gradient already points back (red, −ηg), but the movement kept (blue, λm) "
           "is far longer and carries the ball over the ridge; it settles in the deeper "
           "minimum."),
        {"bm_mlr": 0.01, "bm_lambda": 0.9, "bm_msteps": 300, "bm_msched": "constant",
         "bm_mstep": 4},
    ),
    N_("The two momentum forms under a schedule"): Preset(
        N_("Under Momentum, below. With η halved every 40 steps the lecture's m still carries "
           "movement made at the old, larger η, while PyTorch's buffer is multiplied by today's "
           "η: the two paths are one until step 40, then part (at step 47 the diamond has left "
           "the ring's centre). In step 47, taken apart, every gradient from before step 40 "
           "weighs twice as much in the lecture's form. Both still reach the deeper minimum."),
        {"bm_mlr": 0.01, "bm_lambda": 0.9, "bm_msteps": 300, "bm_msched": "step_decay",
         "bm_msched_step_size": 40, "bm_msched_gamma": 0.5, "bm_mstep": 47, "bm_form": "lecture"},
    ),
}  # fmt: skip


class Batch(NamedTuple):
    """What the batch section's controls decide (plain values: cached figures take it)."""

    spec: SurfaceSpec
    size: int
    lr: float
    epochs: int
    seed: int

    @property
    def surface(self) -> DataSurface:
        return surface_from_spec(self.spec)

    @property
    def per_epoch(self) -> int:
        return self.surface.n_samples // self.size

    @property
    def updates(self) -> int:
        return self.epochs * self.per_epoch

    def run(self, size: int, steps: int) -> Trajectory:
        """SGD with batches of ``size`` (the full batch: no shuffling), cached."""
        batch = None if size == self.surface.n_samples else size
        sgd = (RunSpec("sgd", self.lr),)
        start = (self.surface.default_start,)
        return run_simulations(self.spec, sgd, start, steps, batch, self.seed)[0]

    def pair(self) -> tuple[Trajectory, Trajectory]:
        """B and the full batch, the same number of updates each."""
        return self.run(self.size, self.updates), self.run(self.surface.n_samples, self.updates)


class Momentum(NamedTuple):
    """What the momentum section's controls decide."""

    lr: float
    momentum: float
    steps: int
    form: str
    schedule: str
    schedule_params: tuple


def page() -> None:
    st.title(_("🎱 Batch size and momentum"))
    preset_note(PRESETS)
    with st.sidebar:
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    sections()


@url.fragment
def sections() -> None:
    """Both parts of the lecture and the share link: a change reruns this, not the sidebar."""
    batch = batch_controls()
    batch_view(batch)
    batch_sizes(batch)
    momentum = momentum_controls()
    momentum_view(momentum)
    share_box()


# ---- Batch size --------------------------------------------------------------------------------


def batch_controls() -> Batch:
    st.header(_("Batch size"))
    columns = st.columns([2, 1, 1, 1, 1])
    with columns[0]:
        surface, spec = surface_picker("bm_surface", default=DATA_SURFACES[0],
                                       keys=DATA_SURFACES, allow_formula=False)  # fmt: skip
    key, n = surface.key, surface.n_samples
    default_lr, default_epochs = BATCH_DEFAULTS[key]
    with columns[1]:
        size = slider(_("batch size B"), f"bm_batch_{key}", 1, n, 1)
    with columns[2]:
        lr = log_slider(_("learning rate η"), f"bm_lr_{key}", low=1e-7, high=10.0,
                        default=default_lr)  # fmt: skip
    with columns[3]:
        epochs = slider(_("epochs"), f"bm_epochs_{key}", 1, 200, default_epochs)
    with columns[4]:
        seed = number_input(_("seed (shuffling)"), "bm_seed", 0, 10_000, 2)
    return Batch(spec, int(size), float(lr), int(epochs), int(seed))


def size_label(size: int, n: int) -> str:
    return _("B = {b} (full batch)").format(b=size) if size == n else _("B = {b}").format(b=size)


def step_control(key: str, updates: int, default: int) -> int:
    """The section's one step control (none when there is a single update to show)."""
    if updates < 2:
        return 0
    return slider(_("step t"), key, 0, updates - 1, min(default, updates - 1), help=_(STEP_HELP))


def batch_view(batch: Batch) -> None:
    """B and the full batch after the same number of updates, and the minibatch surface under
    the iterate, both at one step."""
    n, updates = batch.surface.n_samples, batch.updates
    run, full = batch.pair()
    st.caption(
        _("Each batch of B samples gives one gradient and one update; one pass over all batches "
          "is an epoch, reshuffled each time. Both runs make the same {updates} updates. B = {b}: "
          "{epochs} epochs × {per_epoch} updates per epoch; the full batch: {updates} epochs × 1."
          ).format(updates=updates, b=batch.size, epochs=batch.epochs, per_epoch=batch.per_epoch)
    )  # fmt: skip
    step = step_control("bm_step", updates, updates - 1)
    left, right = st.columns(2)
    with left:
        chart(batch_paths_chart(batch, step))
    with right:
        chart(minibatch_chart(batch, step))
    st.caption(gradient_note(batch.surface, run, step))
    outcome = st.columns(2)
    outcome[0].metric(
        _("full-batch loss after {updates} updates, {b}").format(
            updates=updates, b=size_label(batch.size, n)),
        final_loss(run),
    )  # fmt: skip
    outcome[1].metric(
        _("full-batch loss after {updates} updates, full batch").format(updates=updates),
        final_loss(full),
    )


# The charts, built once per link and language (a class opening one link shares them).


@frozen_figure
def batch_paths_chart(batch: Batch, step: int) -> go.Figure:
    surface, (run, full) = batch.surface, batch.pair()
    marks = [epoch_marks(run, batch.per_epoch)]
    if batch.per_epoch < 2 or batch.epochs > MAX_EPOCH_MARKS:
        marks = []
    labelled = [(size_label(batch.size, surface.n_samples), run), (_("full batch"), full)]
    return paths_at_step_figure(
        surface, labelled, step, background=surface_background(batch.spec),
        minima=surface.minima, extra=marks, recent=max(batch.per_epoch, RECENT),
        title=_("Both runs on the full-batch surface, step {t}").format(t=step),
    )  # fmt: skip


@frozen_figure
def minibatch_chart(batch: Batch, step: int) -> go.Figure:
    surface, (run, _full) = batch.surface, batch.pair()
    return minibatch_figure(
        surface, surface.batch_loss, run, step, minima=surface.minima,
        background=surface_background(batch.spec), recent=max(batch.per_epoch, RECENT),
    )  # fmt: skip


@frozen_figure
def comparison_chart(batch: Batch, sizes: tuple[int, ...]) -> go.Figure:
    n = batch.surface.n_samples
    return batch_comparison_figure([
        (size_label(b, n), batch.run(b, batch.epochs * (n // b)).losses, n // b) for b in sizes
    ])  # fmt: skip


@frozen_figure
def momentum_paths_chart(m: Momentum, step: int) -> go.Figure:
    well = get_surface(WELL.key)
    return paths_at_step_figure(
        well, labelled_runs(m), step, background=surface_background(WELL), minima=well.minima,
        title=_("Same start, same η: the three runs at step {t}").format(t=step),
    )  # fmt: skip


@frozen_figure
def cut_chart(m: Momentum, step: int) -> go.Figure:
    well = get_surface(WELL.key)
    ridge = next(x for kind, x, _y in well.known_critical if kind == "saddle")
    return cut_figure(well, labelled_runs(m), 0.0, step, ridge=ridge, height=340)


@frozen_figure
def step_chart(m: Momentum, step: int) -> go.Figure:
    run = chosen_run(m)
    parts = step_parts(run.points, run.grads, run.lrs, step)
    return momentum_step_figure(get_surface(WELL.key), run, parts, step, form=m.form)


@frozen_figure
def weights_chart(m: Momentum, step: int) -> go.Figure:
    return weights_figure(chosen_run(m).lrs, m.momentum, step)


def gradient_note(surface: DataSurface, run: Trajectory, step: int) -> str:
    """Why noise helps, in this run's numbers: the full gradient at θᵗ against the batch's."""
    t = int(np.clip(step, 0, len(run.points) - 2))
    if run.batches is None:
        return _("Full batch: every update follows the full-batch surface itself (left).")
    full = float(np.hypot(*run.grads[t]))
    batch = float(np.hypot(*surface.batch_grad(*run.points[t], run.batches[t])))
    return _(
        "At step {t} the full-batch gradient has length ‖∇L‖ = {full}, this batch's ‖∇L_B‖ = "
        "{batch}. A minibatch's loss L_B(θ) = mean of the batch's ℓₙ(θ) is not the full loss, "
        "so where one is flat the next batch usually is not."
    ).format(t=t, full=number(full, 3), batch=number(batch, 3))


def final_loss(run: Trajectory) -> str:
    if run.diverged_at is not None:
        return _("diverged at step {step}").format(step=run.diverged_at)
    return number(run.losses[-1])


def size_options(n: int) -> list[int]:
    return sorted({b for b in (1, 2, 4, 5, 8, 10, 20, n) if b <= n})


def batch_sizes(batch: Batch) -> None:
    """Several batch sizes over the same epochs: loss per update and per epoch, what an epoch
    costs."""
    n = batch.surface.n_samples
    st.subheader(_("Batch sizes side by side: the same {epochs} epochs, the same η and seed")
                 .format(epochs=batch.epochs))  # fmt: skip
    options = size_options(n)
    sizes = multichoice(_("batch sizes to compare"), f"bm_sizes_{batch.surface.key}", options,
                        [options[0], options[-1]])  # fmt: skip
    if not sizes:
        st.caption(_("No batch size chosen: showing the full batch."))
    sizes = sorted(sizes) or [n]
    runs = [batch.run(b, batch.epochs * (n // b)) for b in sizes]
    labels = [size_label(b, n) for b in sizes]
    chart(comparison_chart(batch, tuple(sizes)))
    st.table(batch_table(labels, runs, sizes, n, batch.epochs))
    st.caption(time_note(sizes, n))


def batch_table(
    labels: list[str], runs: list[Trajectory], sizes: list[int], n: int, epochs: int
) -> pd.DataFrame:
    """One column per batch size: updates, and where the loss ended."""
    columns = {}
    for label, run, size in zip(labels, runs, sizes, strict=True):
        rises = np.diff(run.losses)
        columns[label] = {
            _("updates per epoch"): str(n // size),
            _("updates in {epochs} epochs").format(epochs=epochs): str(len(run.lrs)),
            _("full-batch loss after {epochs} epochs").format(epochs=epochs): final_loss(run),
            _("updates that raised the full-batch loss"): percent(np.mean(rises > 0))
            if rises.size else DASH,
        }  # fmt: skip
    return pd.DataFrame(columns)


def time_note(sizes: list[int], n: int) -> str:
    """What a batch size costs in time, the lecture's point, from the update counts alone: no
    live timing, whose noise on a shared server (0.69×, 0.77×, 1.1× on three loads of one link)
    would make one link read differently each time."""
    small, large = sizes[0], sizes[-1]
    if small == large:
        return _("An epoch here is {updates} updates of B = {b} samples each.").format(
            updates=n // small, b=small)  # fmt: skip
    return _(
        "An epoch is {small_updates} updates with B = {small} and {large_updates} with "
        "B = {large}. On parallel hardware such as a GPU, an update computes its batch's "
        "samples at the same time, so while the batch fits, one update with B = {large} takes "
        "about as long as one with B = {small} (the lecture's point): an epoch with B = {large} "
        "is then about {ratio}× faster. On one core, computing sample after sample, an epoch "
        "costs about the same whatever B."
    ).format(
        small=small, large=large, small_updates=n // small, large_updates=n // large,
        ratio=number((n // small) / (n // large), 3),
    )  # fmt: skip


# ---- Momentum ----------------------------------------------------------------------------------


def momentum_controls() -> Momentum:
    st.header(_("Momentum: the previous movement keeps going"))
    st.latex(
        r"m^0 = 0,\qquad m^{t+1} = \lambda m^t - \eta g^t,\qquad \theta^{t+1} = \theta^t + m^{t+1}"
    )
    st.markdown(_(
        "$m$ is a weighted sum of all past gradients, $m^{t+1} = -\\sum_k \\lambda^k \\eta^{t-k} "
        "g^{t-k}$: like a ball, it can roll through a shallow minimum where the gradient is zero "
        "or even points back. PyTorch writes it as $b \\leftarrow \\mu b + g,\\ \\theta "
        "\\leftarrow \\theta - \\eta b$: the same path at a constant $\\eta$ ($m = -\\eta b$), a "
        "different one under a schedule. The surface: $L(x, y) = (x^2 - 1)^2 + 0.3x + y^2$."
    ))  # fmt: skip
    columns = st.columns(4)
    with columns[0]:
        lr = log_slider(_("learning rate η"), "bm_mlr", low=1e-4, high=0.1, default=0.01)
    with columns[1]:
        momentum = slider(_("momentum λ"), "bm_lambda", 0.0, 0.99, 0.9, 0.01)
    with columns[2]:
        steps = slider(_("steps"), "bm_msteps", 10, 1000, 300, 10)
    with columns[3]:
        form = choice(_("form taken apart below"), "bm_form", list(FORMS), "lecture",
                      labels=lambda f: _(FORMS[f]), widget="radio", horizontal=True)  # fmt: skip
    with st.expander(_("learning-rate schedule (the two forms differ only under one)")):
        schedule, params = schedule_picker("bm_msched", steps=steps)
    return Momentum(float(lr), float(momentum), int(steps), form, schedule, params)


def momentum_runs(m: Momentum) -> list[Trajectory]:
    """Gradient descent and both momentum forms, same start, same η and schedule (cached)."""
    specs = (
        RunSpec("sgd", m.lr, (), m.schedule, m.schedule_params),
        *(
            RunSpec("momentum", m.lr, (("momentum", m.momentum), ("convention", form)),
                    m.schedule, m.schedule_params)
            for form in FORMS
        ),
    )  # fmt: skip
    start = get_surface(WELL.key).default_start
    return run_simulations(WELL, specs, (start,) * len(specs), m.steps)


def labelled_runs(m: Momentum) -> list[tuple[str, Trajectory]]:
    return [(_(name), run) for name, run in zip(RUN_NAMES, momentum_runs(m), strict=True)]


def chosen_run(m: Momentum) -> Trajectory:
    """The momentum form taken apart below."""
    return momentum_runs(m)[1 + list(FORMS).index(m.form)]


def momentum_view(m: Momentum) -> None:
    """The three runs at one step, over the surface and along its 1-D cut; then that step of
    the chosen momentum form taken apart."""
    runs = momentum_runs(m)
    step = step_control("bm_mstep", m.steps, 4)
    left, right = st.columns([3, 2])
    with left:
        message, sliders, controls = live_message(m, step, i18n.language())
        live_sliders(LIVE, message, sliders, controls)
        chart(momentum_paths_chart(m, step), key=PATHS)
    with right:
        chart(cut_chart(m, step), key=CUT)
        st.markdown(form_gap_note(runs[1], runs[2], step))
        st.markdown(ends_note(get_surface(WELL.key), labelled_runs(m), m.steps))
    step_apart(chosen_run(m), m, step)


@st.cache_data(max_entries=64, show_spinner=False)
def live_message(m: Momentum, step: int, language: str) -> tuple[bytes, list[Slider], dict]:
    """Both momentum forms at every λ of the section's slider (``LIVE_MOMENTA``), computed at
    once, and what the paths and the cut show of them at each (``viz.live``): dragging the live
    λ finds where the ball starts to roll over the ridge. Cached per link."""
    with i18n.use(language):
        well = get_surface(WELL.key)
        values = sorted({float(v) for v in LIVE_MOMENTA} | {m.momentum})
        specs = [RunSpec("momentum", m.lr, (("momentum", v), ("convention", form)), m.schedule,
                         m.schedule_params) for v in values for form in FORMS]  # fmt: skip
        paths = trajectories(well, [spec.build() for spec in specs], well.default_start, m.steps)
        roles = [_roles(chart.to_dict()) for chart in (momentum_paths_chart(m, step),
                                                       cut_chart(m, step))]  # fmt: skip
        updates = []
        for k in range(len(values)):
            at_value = []
            for offset, path in enumerate(paths[k * len(FORMS) : (k + 1) * len(FORMS)]):
                at_value += _live_updates(well, path, 1 + offset, step, roles)
            updates.append(at_value)
        slider = Slider("momentum", _("momentum λ (drag: live)"), values,
                        [f"{v:.2f}" for v in values], values.index(m.momentum))  # fmt: skip
        message = pack([slider], [updates], [chart_selector(PATHS), chart_selector(CUT)])
        return message, [slider], {"momentum": "bm_lambda"}


def _roles(figure: dict) -> dict[tuple[str, int | None], int]:
    return {((t.get("meta") or {}).get("role"), (t.get("meta") or {}).get("run")): i
            for i, t in enumerate(figure["data"])}  # fmt: skip


def _live_updates(well, path, run: int, step: int, roles) -> list[TraceUpdate]:
    """Run ``run`` of the paths chart (0) and the cut (1) when it is ``path``, as
    ``paths_at_step_figure`` and ``cut_figure`` draw it, through its drawn points."""
    points = path.points
    shown = int(np.clip(step, 0, len(points) - 1))
    drawn = drawn_indices(len(points), LIVE_POINTS, required=[shown])
    so_far = drawn[drawn <= shown]
    at = points[shown]
    paths, cut = roles
    return [
        TraceUpdate(0, paths["path", run], points[drawn, 0], points[drawn, 1]),
        TraceUpdate(0, paths["so far", run], points[so_far, 0], points[so_far, 1]),
        TraceUpdate(0, paths["marker", run], at[:1], at[1:]),
        TraceUpdate(1, cut["marker", run], at[:1], np.array([float(well.f(at[0], 0.0))])),
    ]


def form_gap_note(lecture: Trajectory, pytorch: Trajectory, step: int) -> str:
    """The measured distance between the two momentum forms, over the run and at the step."""
    apart = gaps(lecture, pytorch)
    largest, at = float(apart.max()), int(apart.argmax())
    if largest < 1e-12:
        return _(
            "The lecture form (ring) and PyTorch's (diamond) are one path: their largest gap "
            "over the run is {gap}, rounding only."
        ).format(gap=number(largest, 2))
    now = apart[min(step, len(apart) - 1)]
    return _(
        "The lecture form (ring) and PyTorch's (diamond) part: {gap} apart at most (step {at}), "
        "{now} apart at step {t}."
    ).format(gap=number(largest, 3), at=at, now=number(now, 3, zero_below=1e-12), t=step)


def ends_note(well, labelled: list[tuple[str, Trajectory]], steps: int) -> str:
    """Where each run ended: in which of the two minima (the shallow one comes first)."""
    minima = sorted(well.minima, key=lambda p: float(well.f(*p)))
    names = (_("the deeper minimum"), _("the shallow minimum"))
    lines = []
    for name, run in labelled:
        if run.diverged_at is not None:
            lines.append(
                _("- {run}: diverged at step {step}").format(run=name, step=run.diverged_at)
            )
            continue
        end = run.points[-1]
        nearest = int(np.argmin([np.hypot(*(end - np.array(p))) for p in minima]))
        lines.append(_("- {run}: x = {x}, nearest {minimum}").format(
            run=name, x=number(end[0], 3, zero_below=1e-9), minimum=names[nearest]))  # fmt: skip
    return _("After {steps} steps:").format(steps=steps) + "\n" + "\n".join(lines)


def step_apart(run: Trajectory, m: Momentum, step: int) -> None:
    """One update of the chosen form as its parts, and the weights of the gradients in it."""
    st.subheader(_("Step {t} taken apart").format(t=step))
    parts = step_parts(run.points, run.grads, run.lrs, step)
    carried = r"\lambda m^{t}" if m.form == "lecture" else r"-\eta^{t}\mu b^{t}"
    column = {name: latex_matrix(np.asarray(v)[:, None], 3, zero_below=1e-15)
              for name, v in parts._asdict().items()}  # fmt: skip
    st.latex(  # coloured as the arrows below
        rf"\textcolor{{{CARRIED_COLOR}}}{{\underbrace{{{column['carried']}}}_{{{carried}}}}} + "
        rf"\textcolor{{{GRADIENT_COLOR}}}{{\underbrace{{{column['gradient']}}}_{{-\eta^{{t}} "
        rf"g^{{t}}}}}} = \underbrace{{{column['total']}}}_{{\theta^{{t+1}} - \theta^{{t}}}}"
    )
    left, right = st.columns(2)
    with left:
        chart(step_chart(m, step))
        st.caption(_("Blue: the movement kept; red: −ηg, the gradient's push; white: their sum, "
                     "the step; the legend gives each one's length. The close-up is scaled to "
                     "this step, so every step fills it. ")
                   + direction_note(parts, step))  # fmt: skip
    with right:
        chart(weights_chart(m, step))
        st.caption(_(
            "Each bar is the weight of the gradient from k steps back in this step: the "
            "lecture's form weights it by λᵏ·η at its own step, PyTorch's by μᵏ·η of today. At a "
            "constant η the bars coincide."
        ))  # fmt: skip


def direction_note(parts, step: int) -> str:
    """Whether the gradient helps or fights the movement kept, in this step's numbers."""
    kept, pushed = float(np.hypot(*parts.carried)), float(np.hypot(*parts.gradient))
    if kept == 0:
        return _("Step {t}: nothing is kept yet (m⁰ = 0), so the step is −ηg alone.").format(t=step)
    ratio = number(kept / pushed, 3) if pushed else "∞"
    if float(parts.carried @ parts.gradient) >= 0:
        text = _("Step {t}: the gradient pushes the way the ball already moves; the movement kept "
                 "is {ratio}× as long as −ηg.")  # fmt: skip
    elif float(parts.total @ parts.gradient) < 0:
        text = _("Step {t}: the gradient points back, yet the ball goes on: the movement kept is "
                 "{ratio}× as long as −ηg, so the step climbs.")  # fmt: skip
    else:
        text = _("Step {t}: the gradient points back and the step follows it: the movement kept "
                 "is only {ratio}× as long as −ηg.")  # fmt: skip
    return text.format(t=step, ratio=ratio)


if __name__ == "__main__":
    page()
