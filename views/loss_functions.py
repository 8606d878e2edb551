"""Part 4 of the lecture: the loss changes the surface. MSE after softmax vs cross-entropy."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from i18n import N_, _
from optimizers import Trajectory
from surfaces import get_surface
from ui.cache import frozen_figure, run_simulations, surface_background
from ui.controls import choice, number_input, optimizer_picker, slider, start_inputs
from ui.export import export_menu
from ui.format import latex_number, number
from ui.layout import chart, share_box
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec, SurfaceSpec
from viz import Panel, panels_figure, step_curves_figure
from viz.export import GifPanel
from viz.softmax import softmax_figure

LOSSES = (("softmax_mse", N_("MSE")), ("softmax_ce", N_("cross-entropy")))
COLOURS = {"log": N_("log"), "linear": N_("linear")}
LECTURE = dict(target=1.0, y3=-1000.0)  # the lecture's example, start (−10, 10)
LECTURE_START = (-10.0, 10.0)
SATURATION = 5.0  # a lead of the top logit (e⁻⁵ ≈ 0.007) from which softmax counts as saturated
SATURATED = N_(
    "Softmax saturates: here the largest logit leads the next by ${lead}$, so the other "
    "probabilities are at most $e^{{-{lead}}} \\approx {p}$, and every derivative "
    "$\\partial p_i/\\partial y_j = p_i(\\delta_{{ij}} - p_j)$ carries such a factor. MSE only "
    "sees p, so its slope vanishes. Cross-entropy takes the log, which undoes the exponential: "
    "its gradient is simply $p - \\hat y$, large exactly when the network is wrong."
)
UNSATURATED = N_(
    "Softmax is not saturated here: the largest logit leads the next by only ${lead}$, so the "
    "next probability is still $e^{{-{lead}}} \\approx {p}$ of the largest, and the "
    "derivatives $\\partial p_i/\\partial y_j = p_i(\\delta_{{ij}} - p_j)$ are not small: MSE "
    "has a slope too. Its trouble starts where one logit leads by far, the network confidently "
    "wrong. Cross-entropy's gradient is simply $p - \\hat y$, wherever the start is."
)
GAP = 0.24  # between the two panels: the left colour bar and the right y axis both fit

PRESETS = {
    N_("The lecture's start (−10, 10)"): Preset(
        N_("Target class 1, y₃ = −1000, start (−10, 10): the network is sure of the wrong class "
           "2. MSE is 2 with a gradient norm of about 10⁻⁸, so gradient descent does not move "
           "at all; cross-entropy is 20 with gradient norm 1.414, and the same steps walk it "
           "down to below 0.01."),
        {"lf_target": 1, "lf_y3": -1000.0, "lf_start_x": -10.0, "lf_start_y": 10.0,
         "lf_steps": 200, "lf_r_opt": "sgd", "lf_r_lr": 0.5},
    ),
    N_("Adam gets off the plateau"): Preset(
        N_("Adam divides by the gradient's own size, so even a 10⁻⁸ slope gives full-size "
           "steps: from the same start it leaves MSE's plateau and ends with MSE below 0.01. The "
           "surface is as flat as before; the optimizer hides it."),
        {"lf_target": 1, "lf_y3": -1000.0, "lf_start_x": -10.0, "lf_start_y": 10.0,
         "lf_steps": 200, "lf_r_opt": "adam", "lf_r_lr": 0.1},
    ),
    N_("Not yet saturated: both descend"): Preset(
        N_("Start at (0, 0), where softmax is not yet saturated: MSE has a slope too, and "
           "gradient descent lowers both losses more than tenfold. MSE's trouble is only where "
           "the network is confidently wrong."),
        {"lf_target": 1, "lf_y3": -1000.0, "lf_start_x": 0.0, "lf_start_y": 0.0,
         "lf_steps": 200, "lf_r_opt": "sgd", "lf_r_lr": 0.5},
    ),
}  # fmt: skip


class Setup(NamedTuple):
    """What the sidebar decides: the classification problem, the start and the optimizer."""

    target: int
    y3: float
    start: tuple[float, float]
    steps: int
    run: RunSpec
    log_color: bool

    @property
    def specs(self) -> list[SurfaceSpec]:
        params = (("target", float(self.target)), ("y3", float(self.y3)))
        return [SurfaceSpec(key, params) for key, _title in LOSSES]


def page() -> None:
    st.title(_("🎯 The loss changes the surface: MSE vs cross-entropy"))
    preset_note(PRESETS)
    setup = sidebar()
    surfaces(setup)
    chart(curves_view(setup))
    saturation(setup)
    share_box()


def sidebar() -> Setup:
    with st.sidebar:
        st.subheader(_("Classification setup"))
        target = choice(_("target class ŷ"), "lf_target", [1, 2, 3], 1, widget="radio",
                        horizontal=True)  # fmt: skip
        y3 = number_input(
            _("logit y₃ (fixed)"), "lf_y3", -1000.0, 10.0, -1000.0, step=10.0, format="%g",
            help=_("The third class's logit stays fixed; the surfaces are drawn over y₁ and y₂."),
        )  # fmt: skip
        start = start_inputs("lf_start", get_surface(LOSSES[0][0]))
        steps = slider(_("steps"), "lf_steps", 10, 1000, 200, 10)
        st.subheader(_("Optimizer (the same on both)"))
        run = optimizer_picker("lf_r", default="sgd", lr=0.5, steps=steps)
        colour = choice(
            _("colour scale (both views)"), "lf_color", list(COLOURS), "log", widget="radio",
            labels=lambda v: _(COLOURS[v]), horizontal=True,
            help=_("log: colour by log(1 + height above the lowest value); shows a plateau's "
                   "shape."),
        )  # fmt: skip
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    return Setup(int(target), float(y3), start, steps, run, colour == "log")


def surfaces(setup: Setup) -> None:
    """The two surfaces side by side, animated together, and what each run reads there."""
    st.markdown(
        _("A classifier outputs logits y = (y₁, y₂, y₃); softmax turns them into probabilities "
          "p, compared with the one-hot target ŷ. Only the loss differs between the two views: "
          "the same network, the same start, the same optimizer.")
    )  # fmt: skip
    runs = simulate(setup)
    figure = surfaces_view(setup)
    chart(figure)
    panels = [
        GifPanel(_(title), surface_background(spec, setup.log_color)[0], spec.build().domain,
                 [(setup.run.label, run)])
        for spec, (_key, title), run in zip(setup.specs, LOSSES, runs, strict=True)
    ]  # fmt: skip
    export_menu("mse-vs-cross-entropy", figure, panels, axis_labels=("y1", "y2"))
    for column, (_key, title), run in zip(st.columns(2), LOSSES, runs, strict=True):
        with column:
            outcome(_(title), run)
    st.caption(
        _("▶ Play animates both views together; the scrubber's label reads each loss and its "
          "gradient norm ‖g‖ at the step.")
    )  # fmt: skip
    lecture_check()


def simulate(setup: Setup) -> list[Trajectory]:
    """The one run on each surface (cached by its settings)."""
    return [
        run_simulations(spec, (setup.run,), (setup.start,), setup.steps)[0] for spec in setup.specs
    ]


@frozen_figure
def surfaces_view(setup: Setup) -> go.Figure:
    """Both surfaces side by side with the run on each, one Play button for both."""
    runs = simulate(setup)
    panels = [
        Panel(_(title), spec.build(), [(setup.run.label, run)],
              background=surface_background(spec, setup.log_color))
        for spec, (_key, title), run in zip(setup.specs, LOSSES, runs, strict=True)
    ]  # fmt: skip
    figure = panels_figure(panels, log_color=setup.log_color, height=480,
                           step_label=step_readout(runs), gap=GAP)  # fmt: skip
    # The lecture's start (−10, 10) is the domain's corner: draw the whole marker, not a quarter.
    figure.update_traces(cliponaxis=False,
                         selector=lambda t: (t.meta or {}).get("role") == "marker")  # fmt: skip
    return figure


def gradient_norms(run: Trajectory) -> np.ndarray:
    return np.hypot(*run.grads.T)


def step_readout(runs: list[Trajectory]) -> Callable[[int], str]:
    """The scrubber's label: each loss and its ‖g‖ at the step (during Play too)."""
    norms = [gradient_norms(run) for run in runs]

    def label(step: int) -> str:
        parts = []
        for (_key, title), run, norm in zip(LOSSES, runs, norms, strict=True):
            i = min(step, len(run.losses) - 1)  # a diverged run waits at its end
            parts.append(
                _("{loss} {value}, ‖g‖ {norm}").format(
                    loss=_(title), value=number(run.losses[i], 3), norm=number(norm[i], 2)
                )
            )
        return " · ".join([str(step), *parts])

    return label


def outcome(title: str, run: Trajectory) -> None:
    """Four cards under a panel: its loss and gradient norm at the start and at the end."""
    norms = gradient_norms(run)
    steps = len(run.losses) - 1
    first, last = st.columns(2)
    first.metric(_("{loss} at the start").format(loss=title), number(run.losses[0]))
    first.metric(_("‖g‖ of {loss} at the start").format(loss=title), number(norms[0]))
    last.metric(_("{loss} after {n} steps").format(loss=title, n=steps), number(run.losses[-1]))
    last.metric(_("‖g‖ of {loss} after {n} steps").format(loss=title, n=steps),
                number(norms[-1]))  # fmt: skip


def lecture_values() -> list[tuple[float, float]]:
    """(loss, ‖g‖) of MSE and cross-entropy at the lecture's point."""
    found = []
    for key, _title in LOSSES:
        surface = get_surface(key, **LECTURE)
        found.append((float(surface.f(*LECTURE_START)),
                      float(np.linalg.norm(surface.grad(*LECTURE_START)))))  # fmt: skip
    return found


def lecture_check() -> None:
    (mse, mse_g), (ce, ce_g) = lecture_values()
    st.caption(
        _("Lecture check at (y₁, y₂) = (−10, 10), target 1, y₃ = −1000: MSE = {mse} with "
          "‖g‖ = {mse_g} (a plateau), cross-entropy = {ce} with ‖g‖ = {ce_g} (a slope).").format(
            mse=number(mse), mse_g=number(mse_g, 3), ce=number(ce), ce_g=number(ce_g))
    )  # fmt: skip


@frozen_figure
def curves_view(setup: Setup) -> go.Figure:
    named = [(_(title), run) for (_key, title), run in zip(LOSSES, simulate(setup), strict=True)]
    return step_curves_figure(
        [(_("loss"), [(name, run.losses) for name, run in named]),
         (_("gradient norm ‖g‖"), [(name, gradient_norms(run)) for name, run in named])],
        log_y=[True, True],
    )  # fmt: skip


def saturation(setup: Setup) -> None:
    """Softmax at the start point, and why the two losses differ there."""
    st.subheader(_("Softmax at the start point"))
    logits = np.array([*setup.start, setup.y3])
    left, right = st.columns([3, 2])
    with left:
        chart(softmax_view((*setup.start, setup.y3), setup.target))
    with right:
        top = np.sort(logits)[::-1]
        lead, other = top[0] - top[1], float(np.exp(top[1] - top[0]))
        text = SATURATED if lead >= SATURATION else UNSATURATED
        st.markdown(_(text).format(lead=latex_number(lead, 3), p=latex_number(other, 3)))
        st.markdown(
            _("**Cross-entropy is maximum likelihood.** $-\\log p_{\\hat y}$ is the negative "
              "log-probability the model gives the correct class; summed over the data, "
              "minimizing it maximizes the likelihood $\\prod_n p(\\hat y^n \\mid x^n)$ of the "
              "labels.")
        )  # fmt: skip
        st.latex(
            r"\begin{aligned} p_i &= \frac{e^{y_i}}{\sum_j e^{y_j}} \\ "
            r"L_{\mathrm{MSE}} &= \sum_i (\hat y_i - p_i)^2 \\ "
            r"L_{\mathrm{CE}} &= -\sum_i \hat y_i \log p_i \end{aligned}"
        )


@frozen_figure
def softmax_view(logits: tuple[float, ...], target: int) -> go.Figure:
    return softmax_figure(logits, target)


if __name__ == "__main__":
    page()
