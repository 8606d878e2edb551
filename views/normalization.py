"""Part 5 of the lecture: normalization changes the landscape. Feature scaling, the condition
number, batch normalization's batch dependence, scale invariance and running averages, and a real
network trained with and without batch norm."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n import N_, _
from nets import compare
from optimizers import Trajectory, make_optimizer, simulate, simulate_many
from surfaces.normalization import (
    BN_MOMENTUM,
    EPS,
    SAMPLES,
    BatchNormSurface,
    BNData,
    BNTraining,
    Evaluation,
    ScalingProblem,
    batch_norm,
    batches,
    bn_data,
    conditioning,
    evaluate,
    gd_rate_at,
    kappa_spread,
    losses_by_direction,
    measured_rate,
    norm_growth,
    population_curvature,
    scale_invariance,
    scaling_problems,
    train_batch_norm,
)
from ui import url
from ui.cache import computed_once, frozen_figure, progress_bar
from ui.controls import (
    choice,
    log_slider,
    multichoice,
    number_input,
    optimizer_picker,
    slider,
    stepped,
)
from ui.format import latex_number, number
from ui.layout import chart, share_box
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec
from ui.verdicts import status
from viz import Panel, background_image, panels_figure, step_curves_figure, trajectory_figure
from viz.networks import Still, log_background
from viz.normalization import (
    NET_COLORS,
    SpreadPanel,
    add_gradient_arrows,
    angle_loss_figure,
    eval_batch_figure,
    histograms_figure,
    running_stats_figure,
    spread,
    spread_figure,
)

SEED = 45  # a typical sample: κ = 1.41×10⁵ raw, 1.05 standardized (medians 1.41×10⁵, 1.04)
SAMPLE_SIZES = (100, 200, 500, 1000)
SPREAD_SEEDS = 100
N_BN = 256
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
EVAL_SIZES = (1, 2, 4, 8, 16, 32, 64, 128)
ANGLES = np.linspace(-np.pi, np.pi, 361)
MAX_CURVES = 32  # batches drawn in the loss-by-direction chart
SHOWN_W = np.array([1.0, 0.0])  # the weights whose z the histograms show
BN_STARTS = (0.5, 1.5)  # ‖w‖ of the two runs of the scale-invariance section
BN_DIRECTION = np.radians(150.0)
ARROW_TICKS = np.linspace(-2.7, 2.7, 9)
TRAIN_LR = 0.05
SCALE_CHECK = 10.0  # a in BN(a·w·x) = BN(w·x)
GAP = 0.24  # between the raw and standardized panels

PRESETS = {
    N_("Largest stable step on raw data"): Preset(
        N_("η = 3×10⁻⁵ is the slider's largest value below 2/λmax ≈ 4.4×10⁻⁵ of the raw "
           "surface: the raw run drops into the valley at once and then crawls along it "
           "(measured rate 0.99999 per step). The standardized run, at the same η, has barely "
           "moved after 300 steps."),
        {"bn_scale": 100.0, "bn_run_opt": "sgd", "bn_run_lr": 3e-5, "bn_steps": 300},
    ),
    N_("A good step after standardizing"): Preset(
        N_("η = 0.5 suits the round, standardized bowl: it converges in a few steps. The raw "
           "surface's 2/λmax is more than 10⁴ times smaller, so the same η diverges there at "
           "once."),
        {"bn_scale": 100.0, "bn_run_opt": "sgd", "bn_run_lr": 0.5, "bn_steps": 300},
    ),
    N_("Same scale, still stretched"): Preset(
        N_("With x₂ on the same scale as x₁, the raw κ is still about 55: both features sit "
           "around 1.5, far from 0, so w₁ and w₂ trade off. Standardizing also centres them, "
           "and κ drops to about 1."),
        {"bn_scale": 1.0, "bn_run_opt": "sgd", "bn_run_lr": 0.2, "bn_steps": 300},
    ),
    N_("Heavy-ball momentum on the raw valley"): Preset(
        N_("Momentum 0.99 at η = 7×10⁻⁵, close to Polyak's tuning, shrinks the distance by "
           "about 0.997 per step on the raw valley, near the heavy ball's bound "
           "(√κ−1)/(√κ+1) ≈ 0.995, where gradient descent can do no better than "
           "(κ−1)/(κ+1) ≈ 0.99999."),
        {"bn_scale": 100.0, "bn_run_opt": "momentum", "bn_run_lr": 7e-5,
         "bn_run_momentum": 0.99, "bn_steps": 1000},
    ),
    N_("Batch of one at test time"): Preset(
        N_("A test batch of one, normalized with its own statistics, is its own mean: every "
           "prediction is β, and the test MSE is about three times that with the running "
           "statistics, which do not care about the batch."),
        {"bn_batch": 8, "bn_train_steps": 300},
    ),
    N_("A real network: batch norm trains faster"): Preset(
        N_("Over 5 starts, at η = 0.01 and at η = 0.1 the ReLU network with batch norm ends 200 "
           "steps of gradient descent with a loss at least 20 times lower than the same network "
           "without it, in every start. Part of that is dead units: the plain net starts with 8 "
           "to 11 of its 24 units dead, the batch-norm net with none. Its surface is not the "
           "flatter one: with the scale fixed, its top eigenvalue ends larger in every start. At "
           "η = 1 neither trains: the plain net's units die until its output no longer depends "
           "on x (η·λmax is then exactly 2, the output bias's own curvature), and the "
           "batch-norm net diverges from 2 of the 5 starts and ends above its starting loss "
           "from the others."),
        {"bnn_lrs": [0.01, 0.1, 1.0], "bnn_steps": 200},
    ),
    N_("A real network: the step size sets the sharpness"): Preset(
        N_("At η = 0.3, from step 200 on, η·λmax of both networks stays within 20 % of 2 in "
           "every one of 5 starts, with batch norm or without: gradient descent climbs until "
           "the surface is as sharp as its step allows (Cohen et al.'s edge of stability). At "
           "η = 0.03 both stay below 2. Batch norm still ends with a loss more than 10 times "
           "lower at both rates, in every start."),
        {"bnn_lrs": [0.03, 0.3], "bnn_steps": 400},  # the η looked at: 0.3, the larger
    ),
    N_("A real network: tanh units"): Preset(
        N_("With tanh units batch norm's lead nearly vanishes: at η = 0.01 it ends lower in "
           "every one of 5 starts but by less than a factor of 3, and at η = 0.1 it is lower "
           "in only some of them. Its surface is the rougher one: with the scale fixed its top "
           "eigenvalue ends larger in every start at both rates, and at η = 0.01 the loss "
           "varies more along the gradient, relative to the loss, in every start. Both nets "
           "diverge at η = 1 from every start."),
        {"bnn_act": "tanh", "bnn_lrs": [0.01, 0.1, 1.0], "bnn_look": 0.01},
    ),
}  # fmt: skip


class Data(NamedTuple):
    """What the sidebar decides: the features' scale, the sample, and the run on both surfaces."""

    scale: float
    samples: int
    seed: int
    steps: int
    run: RunSpec


def page() -> None:
    st.title(_("⚖️ Normalization changes the landscape"))
    preset_note(PRESETS)
    data = sidebar()
    feature_scaling(data)
    batch = batch_dependence(data.seed)
    invariance(batch)
    train_and_test(batch)
    real_network()
    share_box()


def sidebar() -> Data:
    with st.sidebar:
        st.subheader(_("Data"))
        scale = log_slider(_("scale of x₂ (x₂ ~ U[s, 2s])"), "bn_scale", low=1.0, high=1000.0,
                           default=100.0, per_decade=(1, 2, 5))  # fmt: skip
        samples = stepped(_("samples N (feature scaling)"), "bn_samples", SAMPLE_SIZES, SAMPLES)
        seed = number_input(_("seed"), "bn_seed", 0, 10_000, SEED)
        st.subheader(_("Run (the same on both surfaces)"))
        steps = slider(_("steps"), "bn_steps", 10, 2000, 300, 10)
        run = optimizer_picker("bn_run", default="sgd", lr=3e-5, names=("sgd", "momentum", "adam"),
                               steps=steps, lr_range=(1e-7, 3.0))  # fmt: skip
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    return Data(float(scale), int(samples), int(seed), int(steps), run)


# ---- Feature scaling -----------------------------------------------------------------------------


def problems_of(data: Data) -> tuple[ScalingProblem, ScalingProblem]:
    return scaling_problems(data.scale, data.samples, data.seed)


@st.cache_data(max_entries=32, show_spinner=False)
def scaling_runs(data: Data) -> list[Trajectory]:
    optimizer = data.run.build()
    return [simulate(p.surface, optimizer, p.start, data.steps) for p in problems_of(data)]


@st.cache_resource(max_entries=16, show_spinner=False)
def scaling_images(scale: float, samples: int, seed: int) -> list[tuple[dict, object]]:
    """Both surfaces' background images, drawn once per data set (not once per run)."""
    return [background_image(p.surface) for p in scaling_problems(scale, samples, seed)]


@frozen_figure
def scaling_view(data: Data) -> go.Figure:
    """Raw and standardized surfaces side by side, the run animated on both."""
    images = scaling_images(data.scale, data.samples, data.seed)
    panels = [
        Panel(_(side), p.surface, [(data.run.label, path)], [tuple(p.optimum)], image)
        for side, p, path, image in zip(SIDES, problems_of(data), scaling_runs(data), images,
                                        strict=True)
    ]  # fmt: skip
    return panels_figure(panels, height=440, gap=GAP)


@frozen_figure
def distance_view(data: Data) -> go.Figure:
    distances = [
        (_(side), np.linalg.norm(path.points - p.optimum, axis=1))
        for side, p, path in zip(SIDES, problems_of(data), scaling_runs(data), strict=True)
    ]
    return step_curves_figure([(_("distance to the optimum ‖w − w*‖"), distances)], log_y=[True])


SIDES = (N_("raw features"), N_("standardized features"))


def feature_scaling(data: Data) -> None:
    """Raw vs standardized surfaces with one optimizer run on each, their conditioning, rates."""
    st.header(_("Feature scaling stretches or rounds the valley"))
    st.markdown(
        _("Linear regression $\\hat y = b + w_1x_1 + w_2x_2$ on {n} samples, "
          "$x_1 \\sim U[1, 2]$ and $x_2 \\sim U[s, 2s]$; left the raw features, right each one "
          "standardized, $\\tilde x_i = (x_i - \\bar x_i)/\\mathrm{{sd}}(x_i)$. The bias is held "
          "at its optimum $b^*$: each picture is the slice through the minimum, with Hessian "
          "$2X^\\top X/N$.").format(n=data.samples)
    )  # fmt: skip
    problems = problems_of(data)
    chart(scaling_view(data))
    conditioning_cards(problems)
    st.caption(largest_step(data.run, problems))
    st.caption(spread_note(data, problems))
    rates(data.run, problems, scaling_runs(data))
    chart(distance_view(data))


def largest_step(run: RunSpec, problems: tuple[ScalingProblem, ...]) -> str:
    """2/λmax of each surface, and which of them η exceeds when the run is plain gradient
    descent (with momentum, weight decay or Adam the limit is another one)."""
    raw, std = (p.conditioning.lr_max for p in problems)
    hyper = dict(run.hyper)
    plain = run.optimizer in ("sgd", "momentum") and not (
        hyper.get("momentum") or hyper.get("weight_decay") or run.schedule != "constant"
    )
    if plain:
        above = tuple(run.lr > p.conditioning.lr_max for p in problems)
        verdict = {
            (False, False): N_("η is below both: gradient descent is stable on each."),
            (True, False): N_("η is above the raw one: gradient descent diverges there."),
            (False, True): N_("η is above the standardized one: gradient descent diverges there."),
            (True, True): N_("η is above both: gradient descent diverges on each."),
        }[above]
    else:
        verdict = N_("This run is not plain gradient descent, so its own limit differs (heavy "
                     "ball with momentum μ: 2(1 + μ)/λmax).")  # fmt: skip
    return _("**2/λmax**, the largest stable η of gradient descent: raw **{raw}**, standardized "
             "**{std}**. {verdict}").format(raw=number(raw, 3), std=number(std, 3),
                                             verdict=_(verdict))  # fmt: skip


def conditioning_cards(problems: tuple[ScalingProblem, ...]) -> None:
    cards = st.columns(6)
    raw, std = (p.conditioning for p in problems)
    values = [
        (_("λmin, raw"), raw.eigenvalues[0]), (_("λmax, raw"), raw.eigenvalues[-1]),
        (_("κ = λmax/λmin, raw"), raw.kappa),
        (_("λmin, standardized"), std.eigenvalues[0]),
        (_("λmax, standardized"), std.eigenvalues[-1]),
        (_("κ, standardized"), std.kappa),
    ]  # fmt: skip
    for column, (label, value) in zip(cards, values, strict=True):
        column.metric(label, number(value, 3))


def spread_note(data: Data, problems: tuple[ScalingProblem, ...]) -> str:
    """This sample's κ against the spread over many samples of the same size."""
    spread = kappa_spread(data.scale, data.samples, SPREAD_SEEDS)
    raw, std = (p.conditioning.kappa for p in problems)
    return _(
        "κ depends on the sample. This one (seed {seed}, N = {n}): raw {raw}, standardized {std}. "
        "Over {count} samples of the same size (seeds 0–{last}), the raw κ runs from {raw_low} to "
        "{raw_high} (median {raw_median}) and the standardized one from {std_low} to {std_high} "
        "(median {std_median}). As N grows the raw κ tends to {population}, the standardized "
        "one to 1: independent features have a sample correlation r of order 1/√N, and "
        "standardized κ = (1 + |r|)/(1 − |r|)."
    ).format(
        seed=data.seed, n=data.samples, raw=number(raw, 3), std=number(std, 3),
        count=SPREAD_SEEDS, last=SPREAD_SEEDS - 1,
        raw_low=number(spread.raw.min(), 3), raw_high=number(spread.raw.max(), 3),
        raw_median=number(float(np.median(spread.raw)), 3),
        std_low=number(spread.standardized.min(), 5),
        std_high=number(spread.standardized.max(), 3),
        std_median=number(float(np.median(spread.standardized)), 3),
        population=number(conditioning(population_curvature(data.scale)).kappa, 3),
    )  # fmt: skip


def rates(spec: RunSpec, problems: tuple[ScalingProblem, ...], runs: list[Trajectory]) -> None:
    """The rate bounds next to what each run measures, and the distance to the optimum."""
    gd, heavy_ball = _("gradient descent"), _("heavy ball, tuned")
    st.latex(
        rf"\text{{{gd}: }} \rho \ge \frac{{\kappa-1}}{{\kappa+1}}, \qquad "
        rf"\text{{{heavy_ball}: }} \rho = \frac{{\sqrt\kappa-1}}{{\sqrt\kappa+1}}"
    )
    columns = {}
    for side, problem, run in zip(SIDES, problems, runs, strict=True):
        c = problem.conditioning
        columns[_(side)] = {
            "κ": number(c.kappa, 4),
            "(κ−1)/(κ+1)": number(c.gd_rate, 6),
            "(√κ−1)/(√κ+1)": number(c.momentum_rate, 6),
            _("GD at this η: max|1−ηλ|"): number(gd_rate_at(spec.lr, c.eigenvalues), 6),
            _("measured rate"): number(measured_rate(run.points, problem.optimum), 6),
            _("status"): status(run),
        }
    st.table(pd.DataFrame(columns))
    st.caption(
        _("κ = λmax/λmin of the Hessian. One learning rate must stay below 2/λmax for the steep "
          "direction, so the shallow one moves at about 1 − 2/κ per step; after standardizing "
          "κ is close to 1 and one η suits both directions. Measured rate: the per-step shrink "
          "factor of ‖w − w*‖ over the second half of the run.")
    )  # fmt: skip


# ---- Batch normalization: the batch defines the surface ------------------------------------------


class Batch(NamedTuple):
    """The batch-norm controls, for the sections after them too: the data, the batches, γ, β."""

    seed: int
    size: int
    index: int  # from 0
    gamma: float
    beta: float

    @property
    def data(self) -> BNData:
        return bn_data(N_BN, self.seed)

    @property
    def surface(self) -> BatchNormSurface:
        return whole_surface(self.seed, self.gamma, self.beta)


def whole_surface(seed: int, gamma: float, beta: float) -> BatchNormSurface:
    """The whole training set's surface (each batch has its own)."""
    data = bn_data(N_BN, seed)
    return BatchNormSurface(data.x, data.t, gamma, beta)


def batch_dependence(seed: int) -> Batch:
    """Each batch has its own surface; the histograms show what BN does to one batch."""
    st.header(_("Batch normalization: the surface depends on the batch"))
    st.markdown(
        _("One unit $z = w_1x_1 + w_2x_2$ followed by batch normalization and squared error: "
          "$\\hat z_n = (z_n - \\mu_B)/\\sqrt{{\\sigma_B^2 + \\epsilon}}$, "
          "$\\hat y_n = \\gamma\\hat z_n + \\beta$, with $\\mu_B$ and $\\sigma_B^2$ the mean "
          "and variance over the current batch; {n} training samples.").format(n=N_BN)
    )  # fmt: skip
    controls = st.columns(4)
    with controls[0]:
        size = int(stepped(_("batch size"), "bn_batch", BATCH_SIZES, 16))
    with controls[1]:
        count = N_BN // size
        index = int(number_input(_("batch number"), "bn_batch_index", 1, count, 1)) - 1
    with controls[2]:
        gamma = float(slider(_("γ (scale)"), "bn_gamma", 0.1, 3.0, 1.0, 0.1))
    with controls[3]:
        beta = float(slider(_("β (shift)"), "bn_beta", -2.0, 4.0, 0.0, 0.1))
    batch = Batch(seed, size, index, gamma, beta)
    one, two = st.columns([3, 2])
    with one:
        chart(directions_view(batch))
        drawn = len(shown_batches(batch))
        note = _(
            "Every grey curve is another batch of {size}: the surface, and its best "
            "direction, move from batch to batch; larger batches agree more closely."
        )
        if drawn < count:
            note = _(
                "Every grey curve is another batch of {size} ({drawn} of the epoch's "
                "{count} are drawn): the surface, and its best direction, move from batch "
                "to batch; larger batches agree more closely."
            )
        st.caption(note.format(size=size, drawn=drawn, count=count))  # fmt: skip
    with two:
        chart(histograms_view(batch))
        st.caption(
            _("One batch, with w = (1, 0): whatever z's mean and spread, ẑ has mean 0 and sd 1 "
              "over the batch (up to ε); γ and β, learned, set the output's spread and mean.")
        )  # fmt: skip
    return batch


def shown_batches(batch: Batch) -> np.ndarray:
    """The batches whose curves are drawn: evenly spread over the epoch, the chosen one among
    them (128 curves of a batch of 2 would only be a grey smear, and a megabyte)."""
    count = N_BN // batch.size
    spread = np.rint(np.linspace(0, count - 1, min(count, MAX_CURVES))).astype(int)
    return np.union1d(spread, [batch.index])


@frozen_figure
def directions_view(batch: Batch) -> go.Figure:
    shown = shown_batches(batch)
    epoch = batches(N_BN, batch.size, batch.seed)[shown]
    per_batch, whole = losses_by_direction(batch.data, epoch, batch.gamma, batch.beta, ANGLES)
    return angle_loss_figure(ANGLES, list(zip(shown, per_batch, strict=True)), whole,
                             highlight=batch.index)  # fmt: skip


@frozen_figure
def histograms_view(batch: Batch) -> go.Figure:
    idx = batches(N_BN, batch.size, batch.seed)[batch.index]
    z = batch.data.x[idx] @ SHOWN_W
    shown = [("z = w·x", z), ("ẑ = BN(z)", batch_norm(z)),
             ("γẑ + β", batch_norm(z, batch.gamma, batch.beta))]  # fmt: skip
    return histograms_figure([(title, v, moments_note(v)) for title, v in shown])


def moments_note(values: np.ndarray) -> str:
    return _("mean {mean}, sd {sd}").format(
        mean=number(float(np.mean(values)), 3, zero_below=1e-9), sd=number(float(np.std(values)), 3)
    )


# ---- Scale invariance ----------------------------------------------------------------------------


class Descent(NamedTuple):
    """Gradient descent on the whole training set's BN surface, from two norms of w."""

    batch: Batch
    lr: float
    steps: int

    def runs(self) -> list[tuple[str, Trajectory]]:
        paths = bn_runs(self.batch.seed, self.batch.gamma, self.batch.beta, self.lr, self.steps)
        return [(_("start ‖w‖ = {r}").format(r=r), path)
                for r, path in zip(BN_STARTS, paths, strict=True)]  # fmt: skip


@st.cache_data(max_entries=32, show_spinner=False)
def bn_runs(seed: int, gamma: float, beta: float, lr: float, steps: int) -> list[Trajectory]:
    surface = whole_surface(seed, gamma, beta)
    direction = np.array([np.cos(BN_DIRECTION), np.sin(BN_DIRECTION)])
    optimizers = [RunSpec("sgd", lr).build()] * len(BN_STARTS)
    return simulate_many(surface, optimizers, [direction * r for r in BN_STARTS], steps)


@st.cache_resource(max_entries=32, show_spinner=False)
def bn_image(seed: int, gamma: float, beta: float) -> tuple[dict, object]:
    """The whole training set's BN surface as a background image, drawn once per setting."""
    return background_image(whole_surface(seed, gamma, beta))


@url.fragment
def invariance(batch: Batch) -> None:
    """Gradient descent under BN: steps orthogonal to w, a norm that only grows."""
    st.header(_("Scale invariance: the gradient is orthogonal to w"))
    st.latex(
        r"\mathrm{BN}(a\,w\cdot x) = \mathrm{BN}(w\cdot x)\ (a>0) \;\Rightarrow\; "
        r"w\cdot\nabla L = 0,\quad \|\nabla L(a w)\| = \tfrac{1}{a}\|\nabla L(w)\|,\quad "
        r"\|w_{t+1}\|^2 = \|w_t\|^2 + \eta^2\|\nabla L\|^2"
    )
    settings = st.columns(2)
    with settings[0]:
        lr = float(stepped(_("learning rate η"), "bn_sgd_lr", (0.01, 0.03, 0.1, 0.3, 1.0, 3.0),
                           0.3))  # fmt: skip
    with settings[1]:
        steps = int(slider(_("steps"), "bn_sgd_steps", 10, 500, 100, 10))
    descent = Descent(batch, lr, steps)
    flat, curves = st.columns(2)
    with flat:
        chart(descent_view(descent))
        st.caption(
            _("Whole training set. The arrows (−gradient) run around the origin, never along a "
              "ray; near the origin they are longest (‖∇L‖ ∝ 1/‖w‖).")
        )  # fmt: skip
    with curves:
        chart(growth_view(descent))
        st.caption(invariance_note(batch, descent.runs()[0][1].points[0]))


@frozen_figure
def descent_view(descent: Descent) -> go.Figure:
    batch, surface = descent.batch, descent.batch.surface
    image = bn_image(batch.seed, batch.gamma, batch.beta)
    figure = trajectory_figure(surface, descent.runs(), height=480, background=image)
    grid = np.array([(a, b) for a in ARROW_TICKS for b in ARROW_TICKS if np.hypot(a, b) > 0.3])
    return add_gradient_arrows(figure, grid, -surface.grad(*grid.T), length=0.55)


@frozen_figure
def growth_view(descent: Descent) -> go.Figure:
    growth = [(name, norm_growth(path.points, descent.lr)) for name, path in descent.runs()]
    return step_curves_figure(
        [(_("‖w‖"), [(n, g.norms) for n, g in growth]),
         (_("turn per step (degrees)"), [(n, g.turns) for n, g in growth]),
         (_("effective step η/‖w‖²"), [(n, g.effective) for n, g in growth])],
        log_y=[False, True, True], height=480, stacked=True,
    )  # fmt: skip


def invariance_note(batch: Batch, w: np.ndarray) -> str:
    check = scale_invariance(batch.data, w, SCALE_CHECK, batch.gamma, batch.beta)
    return _(
        "Checked at the first run's start w: with a = {a}, BN(a·w·x) and BN(w·x) differ by at "
        "most {output} over the training set and the losses by {loss}; the cosine between w and "
        "∇L is {cosine}. Only ε = {eps} under the square root keeps these from 0. Each step is "
        "orthogonal to w, so ‖w‖ only grows, and the angle each step turns, the only thing that "
        "changes the loss, shrinks like η/‖w‖²: a run that starts with larger weights moves "
        "more slowly, and every run slows down by itself."
    ).format(a=number(SCALE_CHECK), output=number(check.output_gap, 2),
             loss=number(check.loss_gap, 2), cosine=number(check.cosine, 2),
             eps=number(EPS))  # fmt: skip


# ---- Training vs testing -------------------------------------------------------------------------


class Training(NamedTuple):
    """Minibatch SGD of the BN unit (w, γ, β) from γ = 1, β = 0, and its test-time losses."""

    seed: int
    size: int  # at least 2: a training batch needs two values for its variance
    steps: int

    def run(self) -> BNTraining:
        return bn_training(self.seed, self.size, self.steps)

    def evaluate(self) -> Evaluation:
        train, test = bn_data(N_BN, self.seed), bn_data(N_BN, self.seed + 1)
        return evaluate(self.run(), train, test, EVAL_SIZES, self.seed)


@st.cache_data(max_entries=16, show_spinner=False)
def bn_training(seed: int, batch_size: int, steps: int) -> BNTraining:
    return train_batch_norm(bn_data(N_BN, seed), (1.0, 0.0), batch_size=batch_size, steps=steps,
                            lr=TRAIN_LR, seed=seed)  # fmt: skip


@url.fragment
def train_and_test(batch: Batch) -> None:
    """Running averages collected in training, and what a small test batch does without them."""
    st.header(_("Training vs testing: running averages"))
    keep, new = latex_number(1 - BN_MOMENTUM), latex_number(BN_MOMENTUM)
    st.markdown(
        _("At test time there may be no batch, or a tiny one. During training PyTorch keeps "
          "running averages with momentum {m}, $\\bar\\mu \\leftarrow {keep}\\,\\bar\\mu + "
          "{new}\\,\\mu_B$ and $\\bar\\sigma^2 \\leftarrow {keep}\\,\\bar\\sigma^2 + "
          "{new}\\,\\sigma_B^2$ (unbiased), from $\\bar\\mu = 0$, $\\bar\\sigma^2 = 1$, and "
          "uses them in eval mode.").format(m=number(BN_MOMENTUM), keep=keep, new=new)
    )  # fmt: skip
    steps = int(slider(_("training steps (SGD on w, γ, β; batch size from above)"),
                       "bn_train_steps", 10, 1000, 200, 10))  # fmt: skip
    training = Training(batch.seed, max(2, batch.size), steps)
    result = training.evaluate()
    one, two = st.columns(2)
    with one:
        chart(running_view(training))
        st.caption(
            _("After {steps} steps of batch {size}: running mean {mean} (whole training set "
              "{whole_mean}), running variance {var} ({whole_var}). The average follows the "
              "batches with a lag of about 1/{m} = {lag} steps, from PyTorch's start (0, 1).")
            .format(steps=steps, size=training.size, mean=number(result.running.mean, 3),
                    whole_mean=number(result.whole.mean, 3), var=number(result.running.var, 3),
                    whole_var=number(result.whole.var, 3), m=number(BN_MOMENTUM),
                    lag=number(1 / BN_MOMENTUM))
        )  # fmt: skip
    with two:
        chart(evaluation_view(training))
    own = dict(zip(EVAL_SIZES, result.own, strict=True))
    cards = st.columns(3)
    cards[0].metric(_("test MSE, running statistics"), number(result.with_running, 3))
    cards[1].metric(_("test MSE, own statistics, batch of 2"), number(own[2], 3))
    cards[2].metric(_("test MSE, own statistics, batch of 1"), number(own[1], 3))
    st.caption(
        _("A batch of one has $\\sigma_B = 0$ and $z - \\mu_B = 0$: every prediction is "
          "β = {beta}. A batch of two always normalizes to ẑ = ±1, whatever the inputs. With "
          "running statistics each sample's prediction is the same whatever else is in its "
          "batch.").format(beta=number(float(training.run().beta[-1]), 3))
    )  # fmt: skip


@frozen_figure
def running_view(training: Training) -> go.Figure:
    trained, result = training.run(), training.evaluate()
    return running_stats_figure((trained.batch_mean, trained.batch_var), trained.running,
                                result.whole)  # fmt: skip


@frozen_figure
def evaluation_view(training: Training) -> go.Figure:
    result = training.evaluate()
    return eval_batch_figure(EVAL_SIZES, result.own, result.with_running)


# ---- On a real network ---------------------------------------------------------------------------

ARCHS = {"8-8-8": (1, 8, 8, 8, 1), "12-12": (1, 12, 12, 1), "16-16": (1, 16, 16, 1)}
RATE_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
DEFAULT_RATES = [0.01, 0.1, 1.0]
NET_OPTIMIZERS = ("sgd", "momentum", "adam")  # torch's defaults (momentum 0.9)
CHECKPOINTS = 5
SEEDS = 5  # every figure is a median and a range over this many starts
EDGE_BAND = 0.2  # η·λmax within 20 % of the limit counts as "at the edge"
SLICE_RESOLUTION = 100  # 10⁴ loss evaluations per panel
NETS = (N_("without batch norm"), N_("with batch norm"))


class Comparing(NamedTuple):
    """The section's settings (the cache key): architecture, optimizer, rates, steps, and the
    first of the SEEDS seeds."""

    arch: str
    activation: str
    optimizer: str
    rates: tuple[float, ...]
    steps: int
    seed: int

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.seed, self.seed + SEEDS))


def comparison_of(setting: Comparing, progress=None) -> compare.Comparison:
    """Both networks trained at every rate from every seed and measured (seconds the first time,
    then shared)."""
    return computed_once("bn comparison", setting, lambda: compare.compare(
        ARCHS[setting.arch], make_optimizer(setting.optimizer), activation=setting.activation,
        rates=setting.rates, steps=setting.steps, checkpoints=CHECKPOINTS, seeds=setting.seeds,
        progress=progress,
    ))  # fmt: skip


def edge(optimizer: str) -> float | None:
    """The largest η·λmax at which the optimizer's step is stable on a quadratic: 2 for gradient
    descent, 2(1 + μ) with torch's heavy-ball momentum μ; None for Adam, whose step is divided
    by its own running scale."""
    hyper = make_optimizer(optimizer).hyper
    if optimizer == "adam":
        return None
    return 2 * (1 + hyper.get("momentum", 0.0))


@st.cache_resource(max_entries=16, show_spinner=False)
def slices_of(setting: Comparing, rate: int) -> list[tuple[object, tuple[dict, object]]]:
    """The random planes through both end points at rate number ``rate`` (the first seed), with
    backgrounds."""
    pieces = compare.end_slices(comparison_of(setting), rate, seed=setting.seed)
    return [(piece, log_background(piece, SLICE_RESOLUTION)) for piece in pieces]


@url.fragment
def real_network() -> None:
    """The same network with and without batch norm over several seeds: the step against the
    curvature, scale-free curvature, losses, smoothness along the gradient, dead units, slices."""
    st.header(_("On a real network"))
    st.markdown(
        _("The claim: batch normalization changes the conditioning of a network's error "
          "surface. Here one MLP fits sin(5πx)/(5πx) on 100 points, once as it is and once with "
          "a BatchNorm1d (training mode) after every hidden layer, from the same weights, by the "
          "same optimizer at each learning rate, from {seeds} different starts; the exact "
          "Hessian's top eigenvalue is read at {n} checkpoints of every run. Lines are medians "
          "over the starts, bands run from the least to the largest.").format(
            n=CHECKPOINTS, seeds=SEEDS)
    )  # fmt: skip
    setting, look = network_controls()
    if setting is None:
        return
    slot, tick = progress_bar(_("Training both networks and reading their Hessians…"))
    try:
        found = comparison_of(setting, tick)
    except ValueError as error:
        slot.empty()
        st.error(_("This comparison is refused: {reason}.").format(reason=error), icon="🚫")
        return
    slot.empty()
    r = setting.rates.index(look)
    st.markdown(network_reading(setting, found, r))
    chart(sharpness_view(setting))
    st.caption(sharpness_caption(setting))
    chart(effective_view(setting))
    st.caption(symmetry_note(setting.activation))
    chart(losses_view(setting))
    chart(smoothness_view(setting, r))
    st.markdown(smoothness_reading(setting, found, r))
    st.caption(
        _("Santurkar et al.'s measures at η = {rate}: at each checkpoint, how much the loss "
          "varies (largest minus least) over step sizes η′ from {low} to {high} along −∇L, "
          "divided by the loss there and as it is, and the effective β-smoothness (the largest "
          "‖∇L(θ − η′∇L) − ∇L(θ)‖ / ‖η′∇L‖).").format(
            rate=f"{look:g}", low=f"{compare.BAND[0] * look:g}", high=f"{compare.BAND[1] * look:g}")
    )  # fmt: skip
    if setting.activation == "relu":
        st.markdown(dead_reading(found, r))
    network_table(setting, found)
    chart(slices_view(setting, r))
    st.caption(
        _("The loss on a random plane through each end point at η = {rate} from seed {seed} (two "
          "Gaussian directions, filter-normalised as in Li et al. 2018: each row of each weight "
          "matrix scaled to that row's norm in θ; biases, γ and β not moved), [−1, 1]² in units "
          "of the weights' own size, coloured by log₁₀ of the loss: one start's picture, not a "
          "median.").format(rate=f"{look:g}", seed=setting.seed)
    )  # fmt: skip


def network_controls() -> tuple[Comparing | None, float]:
    columns = st.columns([2, 2, 3, 2, 2])
    with columns[0]:
        arch = choice(_("hidden layers"), "bnn_arch", list(ARCHS), "8-8-8")
        activation = choice(_("activation"), "bnn_act", ["relu", "tanh"], "relu",
                            widget="segmented")  # fmt: skip
    with columns[1]:
        optimizer = choice(_("optimizer"), "bnn_opt", NET_OPTIMIZERS, "sgd")
        steps = int(slider(_("training steps"), "bnn_steps", 50, 1000, 200, 50))
    with columns[2]:
        rates = sorted(multichoice(_("learning rates η"), "bnn_lrs", RATE_GRID, DEFAULT_RATES))
    with columns[3]:
        shown = rates or DEFAULT_RATES
        look = choice(_("η to look at"), "bnn_look", shown,
                      0.1 if 0.1 in shown else shown[len(shown) // 2])  # fmt: skip
    with columns[4]:
        seed = int(number_input(_("first seed"), "bnn_seed", 0, 10_000, 0))
    if not rates:
        st.info(_("Choose at least one learning rate."), icon="👆")
        return None, look
    setting = Comparing(arch, activation, optimizer, tuple(rates), steps, seed)
    return setting, float(look)


def net_names() -> list[str]:
    return [_(name) for name in NETS]


def rate_title(rate: float) -> str:
    return _("η = {rate}").format(rate=f"{rate:g}")


@frozen_figure
def sharpness_view(setting: Comparing) -> go.Figure:
    found = comparison_of(setting)
    limit = edge(setting.optimizer)
    line = None if limit is None else (limit, _("the step's limit on a quadratic"))
    panels = [SpreadPanel(rate_title(rate), "sharpness",
                          [rate * run.top[:, :, r] for run in found], line)
              for r, rate in enumerate(setting.rates)]  # fmt: skip
    return spread_figure(found.plain.checkpoints, panels, net_names(), x_title=_("training step"),
                         y_title=_("η·λmax"))  # fmt: skip


def sharpness_caption(setting: Comparing) -> str:
    limit = edge(setting.optimizer)
    if limit is None:
        return _("η·λmax along each run. Adam divides each step by its own running scale, so "
                 "2/η does not bound its λmax; no limit is drawn.")  # fmt: skip
    return _("η·λmax along each run against {limit}: on a quadratic, a step with η·λmax above "
             "{limit} overshoots the sharpest direction and grows (2 for gradient descent, "
             "2(1 + μ) with momentum μ). Gradient descent on a network tends to climb until it "
             "sits near that line (the edge of stability, Cohen et al. 2021).").format(
        limit=number(limit, 3))  # fmt: skip


@frozen_figure
def effective_view(setting: Comparing) -> go.Figure:
    found = comparison_of(setting)
    panels = [SpreadPanel(rate_title(rate), "effective", [run.effective_top[:, :, r]
                                                          for run in found])
              for r, rate in enumerate(setting.rates)]  # fmt: skip
    return spread_figure(found.plain.checkpoints, panels, net_names(), x_title=_("training step"),
                         y_title=_("λmax, scale fixed"))  # fmt: skip


def symmetry_note(activation: str) -> str:
    """Which rescalings that leave the function unchanged the scale-free λmax fixes."""
    text = _("λmax with the scale fixed: batch norm makes the loss blind to the length of every "
             "weight row that feeds it (a longer row gives the same function on a flatter "
             "surface), so the batch-norm net's λmax is read with those rows at unit length. "
             "Without batch norm there are no such rows: its line is its raw λmax.")  # fmt: skip
    if activation == "relu":
        return text + " " + _(
            "One rescaling is left in both nets: ReLU is positively homogeneous, so multiplying "
            "a unit's incoming weights and bias (with batch norm, its γ and β) by a > 0 and its "
            "outgoing weights by 1/a gives the same function and another λmax (Dinh et al. "
            "2017).")  # fmt: skip
    return text + " " + _("tanh has no continuous rescaling of its own, so nothing else is left.")


@frozen_figure
def losses_view(setting: Comparing) -> go.Figure:
    found = comparison_of(setting)
    steps = np.arange(setting.steps + 1)
    panels = [SpreadPanel(rate_title(rate), "loss", [run.losses[:, :, r] for run in found])
              for r, rate in enumerate(setting.rates)]  # fmt: skip
    # The axis spans the seeds that never diverged: a blow-up to 10¹² would flatten the rest.
    kept = [run.losses[:, ~np.isnan(run.losses).any(axis=0)] for run in found]
    return spread_figure(steps, panels, net_names(), x_title=_("step"), y_title=_("loss (MSE)"),
                         y_values=np.concatenate([k.ravel() for k in kept]))  # fmt: skip


@frozen_figure
def smoothness_view(setting: Comparing, r: int) -> go.Figure:
    found = comparison_of(setting)
    panels = [
        SpreadPanel(_("loss range along −∇L ÷ loss"), "range_relative",
                    [run.loss_range(relative=True)[:, :, r] for run in found]),
        SpreadPanel(_("loss range along −∇L"), "range",
                    [run.loss_range()[:, :, r] for run in found]),
        SpreadPanel(_("effective β-smoothness"), "beta", [run.beta[:, :, r] for run in found]),
    ]  # fmt: skip
    return spread_figure(found.plain.checkpoints, panels, net_names(), shared_y=False,
                         x_title=_("training step"))  # fmt: skip


@frozen_figure
def slices_view(setting: Comparing, r: int) -> go.Figure:
    panels = [
        Panel(f"<span style='color:{color}'>{name}</span>", piece,
              [(_("end point"), Still(np.zeros((1, 2))))], background=image)
        for name, color, (piece, image) in zip(net_names(), NET_COLORS, slices_of(setting, r),
                                               strict=True)
    ]  # fmt: skip
    return panels_figure(panels, height=420, gap=GAP)


# ---- The section's sentences: each says only what holds over every seed ------------------------


def span(values: np.ndarray, digits: int = 3) -> str:
    """ "median (least–largest)" over the finite values; "—" when there are none."""
    middle, low, high = spread(np.asarray(values, dtype=float).ravel())
    if not np.isfinite(middle):
        return number(float("nan"))
    low_text, high_text = number(float(low), digits), number(float(high), digits)
    if low_text == high_text:
        return number(float(middle), digits)
    return f"{number(float(middle), digits)} ({low_text}–{high_text})"


def order(smaller: np.ndarray, larger: np.ndarray) -> tuple[int, int]:
    """Over the seeds where both are finite: in how many ``smaller`` < ``larger``, of how many."""
    both = np.isfinite(smaller) & np.isfinite(larger)
    return int(np.sum(smaller[both] < larger[both])), int(both.sum())


def with_bn(count: int, total: int, *, smaller: bool) -> str:
    """How the batch-norm net compares over the seeds: ``count`` of ``total`` seeds in which it
    is the smaller (``smaller``) or the larger one."""
    if count == total:
        return _("smaller with batch norm in every seed") if smaller else _(
            "larger with batch norm in every seed")  # fmt: skip
    if count == 0:
        return _("larger with batch norm in every seed") if smaller else _(
            "smaller with batch norm in every seed")  # fmt: skip
    if smaller:
        return _("smaller with batch norm in {count} of {total} seeds").format(
            count=count, total=total
        )
    return _("larger with batch norm in {count} of {total} seeds").format(count=count, total=total)


def diverged_count(run: compare.Run, r: int) -> int:
    return sum(stops[r] is not None for stops in run.diverged_at)


def edge_verdict(values: np.ndarray, limit: float) -> str:
    """Where η·λmax ends against the limit, said only when every finished seed agrees."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return _("every seed diverged")
    kinds = set(np.digitize(finite / limit, [1 - EDGE_BAND, 1 + EDGE_BAND]))
    if kinds == {0}:
        return _("below the limit in every seed")
    if kinds == {1}:
        return _("at the limit (within {band} %) in every seed").format(band=round(100 * EDGE_BAND))
    if kinds == {2}:
        return _("above the limit in every seed")
    return _("below the limit in some seeds and at or above it in others")


def network_reading(setting: Comparing, found: compare.Comparison, r: int) -> str:
    """What governs training here, and what holds over every seed at the looked-at rate."""
    bn = found.normalized
    rate = setting.rates[r]
    count = len(setting.seeds)
    limit = edge(setting.optimizer)
    parts = [_("**At η = {rate}**, after {steps} steps, over {count} seeds ({first}–{last}):")
             .format(rate=f"{rate:g}", steps=setting.steps, count=count,
                     first=setting.seeds[0], last=setting.seeds[-1])]  # fmt: skip
    ends = [rate * run.top[-1, :, r] for run in found]
    if limit is None:
        parts.append(_("η·λmax ends at {plain} without batch norm and {bn} with it (median, "
                       "least–largest); Adam's step is not bounded by it.").format(
            plain=span(ends[0]), bn=span(ends[1])))  # fmt: skip
    else:
        parts.append(_("η·λmax, which decides whether a step overshoots (above {limit} it does on "
                       "a quadratic), ends at {plain} without batch norm, {verdict_p}, and at "
                       "{bn} with it, {verdict_b} (median, least–largest).").format(
            limit=number(limit, 3), plain=span(ends[0]), bn=span(ends[1]),
            verdict_p=edge_verdict(ends[0], limit),
            verdict_b=edge_verdict(ends[1], limit)))  # fmt: skip
    last = [run.losses[-1, :, r] for run in found]
    parts.append(_("The loss ends at {plain} without and {bn} with batch norm.").format(
        plain=span(last[0]), bn=span(last[1])))  # fmt: skip
    lower, both = order(last[1], last[0])
    if both:
        ratios = last[0] / last[1]
        ratios = ratios[np.isfinite(ratios)]
        if lower == both:
            parts.append(_("Batch norm ends lower in every seed that finished, by a factor of "
                           "{low} to {high}.").format(low=number(ratios.min(), 2),
                                                      high=number(ratios.max(), 2)))  # fmt: skip
        elif lower == 0:
            parts.append(_("Batch norm ends higher in every seed that finished."))
        else:
            parts.append(_("Batch norm ends lower in {count} of {total} seeds that finished: no "
                           "consistent winner.").format(count=lower, total=both))  # fmt: skip
    gone = [diverged_count(run, r) for run in found]
    if any(gone):
        parts.append(_("Diverged: {plain} of {count} seeds without batch norm, {bn} with it.")
                     .format(plain=gone[0], bn=gone[1], count=count))  # fmt: skip
    parts.append(usable_rates(setting, found))
    effective = [run.effective_top[-1, :, r] for run in found]
    larger, both = order(effective[0], effective[1])
    parts.append(_("With the scale fixed (rows feeding a batch norm at unit length), the top "
                   "eigenvalue ends at {plain} without and {bn} with batch norm, whose raw λmax "
                   "is {raw}: {where}.").format(
        plain=span(effective[0]), bn=span(effective[1]), raw=span(bn.top[-1, :, r]),
        where=with_bn(larger, both, smaller=False)))  # fmt: skip
    return " ".join(parts)


def usable_rates(setting: Comparing, found: compare.Comparison) -> str:
    """The rates at which one net trains from every seed and the other from none."""
    trained = [
        np.array([[o.trained for o in row] for row in compare.outcomes(run)]) for run in found
    ]  # (seeds, rates) per net
    only = [[f"{rate:g}" for r, rate in enumerate(setting.rates)
             if trained[n][:, r].all() and not trained[1 - n][:, r].any()]
            for n in (0, 1)]  # fmt: skip
    if only[1]:
        return _("Only batch norm trains at η = {rates}, from every seed: there the plain net "
                 "diverges or ends above its starting loss from every seed.").format(
            rates=", ".join(only[1]))  # fmt: skip
    if only[0]:
        return _("Only the plain net trains at η = {rates}, from every seed: there the batch-norm "
                 "net diverges or ends above its starting loss from every seed.").format(
            rates=", ".join(only[0]))  # fmt: skip
    return _("No rate here trains one net from every seed and the other from none: over these "
             "seeds batch norm does not change which η are usable.")  # fmt: skip


def smoothness_reading(setting: Comparing, found: compare.Comparison, r: int) -> str:
    """Santurkar's loss range at the last checkpoint, relative and absolute, and β, each with
    the order that holds (or not) over the seeds."""
    relative = [run.loss_range(relative=True)[-1, :, r] for run in found]
    absolute = [run.loss_range()[-1, :, r] for run in found]
    beta = [run.beta[-1, :, r] for run in found]
    words = [with_bn(*order(a[1], a[0]), smaller=True) for a in (relative, absolute, beta)]
    return _("At the last step, along −∇L the loss varies by {rel_p} of itself without batch norm "
             "and {rel_b} with it ({rel_where}); in absolute terms by {abs_p} and {abs_b} "
             "({abs_where}). The effective β-smoothness is {beta_p} and {beta_b} "
             "({beta_where}).").format(
        rel_p=span(relative[0]), rel_b=span(relative[1]), rel_where=words[0],
        abs_p=span(absolute[0]), abs_b=span(absolute[1]), abs_where=words[1],
        beta_p=span(beta[0]), beta_b=span(beta[1]), beta_where=words[2])  # fmt: skip


def dead_reading(found: compare.Comparison, r: int) -> str:
    """Dead ReLU units at the start and the end of the looked-at run."""
    plain, bn = found
    units = sum(layer.n_out for layer in plain.network.layers[:-1])
    text = _("Dead ReLU units (input ≤ 0 on every sample, so output 0 and no gradient), of "
             "{units}: without batch norm {p0} at the start and {p1} at the end; with batch norm "
             "{b0} and {b1}.").format(
        units=units, p0=span(plain.dead[0, :, r]), p1=span(plain.dead[-1, :, r]),
        b0=span(bn.dead[0, :, r]), b1=span(bn.dead[-1, :, r]))  # fmt: skip
    more, both = order(bn.dead[0, :, r], plain.dead[0, :, r])
    worse, finished = order(bn.losses[-1, :, r], plain.losses[-1, :, r])
    if both and more == both and finished == count_of(plain) and worse == finished:
        text += " " + _("Every seed starts the plain net with more dead units than the batch-norm "
                        "net and ends it with a higher loss: a dead unit gets no gradient, so part "
                        "of the plain net goes unused.")  # fmt: skip
    return text


def count_of(run: compare.Run) -> int:
    return len(run.seeds)


def network_table(setting: Comparing, found: compare.Comparison) -> None:
    """Every rate and network: median (least–largest) over the seeds."""
    rows = {}
    for name, run in zip(net_names(), found, strict=True):
        for r, rate in enumerate(setting.rates):
            row = {
                _("loss at the start"): span(run.losses[0, :, r]),
                _("loss at the end"): span(run.losses[-1, :, r]),
                _("diverged"): _("{count} of {total}").format(
                    count=diverged_count(run, r), total=len(run.seeds)
                ),
                _("η·λmax at the end"): span(rate * run.top[-1, :, r]),
                _("λmax, scale fixed"): span(run.effective_top[-1, :, r]),
                _("loss range ÷ loss"): span(run.loss_range(relative=True)[-1, :, r]),
                _("β at the end"): span(run.beta[-1, :, r]),
            }
            if setting.activation == "relu":
                row[_("dead units, start → end")] = (
                    f"{span(run.dead[0, :, r])} → {span(run.dead[-1, :, r])}"
                )
            rows[_("η = {rate}, {net}").format(rate=f"{rate:g}", net=name)] = row
    st.table(pd.DataFrame(rows).T)


if __name__ == "__main__":
    page()
