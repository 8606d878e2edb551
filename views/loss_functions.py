"""Part 4 of the lecture: the loss changes the surface. MSE after softmax vs cross-entropy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from optimizers import Trajectory
from surfaces import get_surface
from ui.cache import run_simulations
from ui.controls import URL, SurfaceSpec, optimizer_picker, start_inputs
from ui.presets import preset_links, preset_note
from ui.url import share_link
from viz import Panel, panels_figure, step_curves_figure
from viz.softmax import softmax_figure

LOSSES = (("softmax_mse", "MSE"), ("softmax_ce", "cross-entropy"))
PRESETS: dict[str, tuple[str, dict]] = {
    "The lecture's start (−10, 10)": (
        "Target class 1, y₃ = −1000, start (−10, 10): the network is sure of the wrong class 2. "
        "MSE is 2.0 with a gradient of about 1e−8, so gradient descent does not move; "
        "cross-entropy is 20 with gradient norm 1.414 and walks straight down.",
        {"lf_target": 1, "lf_y3": -1000.0, "lf_start_x": -10.0, "lf_start_y": 10.0,
         "lf_steps": 200, "lf_r_opt": "sgd", "lf_r_lr": 0.5},
    ),
    "Adam gets off the plateau": (
        "Adam divides by the gradient's own size, so even a 1e−8 slope gives full-size steps: "
        "from the same start it leaves MSE's plateau. The surface is as flat as before; "
        "the optimizer hides it.",
        {"lf_target": 1, "lf_y3": -1000.0, "lf_start_x": -10.0, "lf_start_y": 10.0,
         "lf_steps": 200, "lf_r_opt": "adam", "lf_r_lr": 0.1},
    ),
    "Not yet saturated: both descend": (
        "Start at (0, 0), where softmax is not yet saturated: MSE has a slope too, and both "
        "losses descend. MSE's trouble is only where the network is confidently wrong.",
        {"lf_target": 1, "lf_y3": -1000.0, "lf_start_x": 0.0, "lf_start_y": 0.0,
         "lf_steps": 200, "lf_r_opt": "sgd", "lf_r_lr": 0.5},
    ),
}  # fmt: skip


def gradient_norms(run: Trajectory) -> np.ndarray:
    return np.hypot(*run.grads.T)


def step_readout(runs: list[Trajectory]) -> Callable[[int], str]:
    """The scrubber's label: loss and ‖g‖ on each surface at the step (during Play too)."""
    norms = [gradient_norms(run) for run in runs]

    def label(step: int) -> str:
        parts = []
        for (_, title), run, norm in zip(LOSSES, runs, norms, strict=True):
            i = min(step, len(run.losses) - 1)  # a diverged run waits at its end
            parts.append(f"{title}: loss {run.losses[i]:.3g}, ‖g‖ {norm[i]:.2g}")
        return f"{step} · " + " · ".join(parts)

    return label


st.title("🎯 The loss changes the surface: MSE vs cross-entropy")
preset_note(PRESETS)

with st.sidebar:
    st.subheader("Classification setup")
    # Plain option labels: a bound radio puts the label in the URL (lf_target=2).
    target = st.radio("target class ŷ", [1, 2, 3], key="lf_target", bind=URL, horizontal=True)
    y3 = st.number_input(
        "logit y₃ (fixed)", -1000.0, 10.0, -1000.0, 10.0, key="lf_y3", bind=URL, format="%g",
        help="The third class's logit stays fixed; the surfaces are drawn over y₁ and y₂.",
    )  # fmt: skip
    params = (("target", float(target)), ("y3", float(y3)))
    surfaces = [get_surface(key, **dict(params)) for key, _ in LOSSES]
    start = start_inputs("lf_start", surfaces[0])
    steps = st.slider("steps", 10, 1000, 200, 10, key="lf_steps", bind=URL)
    st.subheader("Optimizer (the same on both)")
    run_spec = optimizer_picker("lf_r", default="sgd", lr=0.5, steps=steps)
    log_color = st.radio(
        "colour scale (both views)", ["log", "linear"], key="lf_color", bind=URL, horizontal=True,
        help="log: colour by log(1 + height above the lowest value); shows a plateau's shape.",
    ) == "log"  # fmt: skip
    st.subheader("Presets")
    preset_links(PRESETS)

st.markdown(
    "A classifier outputs logits y = (y₁, y₂, y₃); softmax turns them into probabilities p, "
    "compared with the one-hot target ŷ. Only the loss differs between the two views below: "
    "the same network, the same start, the same optimizer."
)
st.latex(
    r"p_i = \frac{e^{y_i}}{\sum_j e^{y_j}} \qquad "
    r"L_{\mathrm{MSE}} = \sum_i (\hat y_i - p_i)^2 \qquad "
    r"L_{\mathrm{CE}} = -\sum_i \hat y_i \log p_i"
)

runs = [
    run_simulations(SurfaceSpec(key, params), (run_spec,), (start,), steps)[0] for key, _ in LOSSES
]
panels = [
    Panel(title, surface, [(run_spec.label, run)])
    for surface, (_, title), run in zip(surfaces, LOSSES, runs, strict=True)
]
st.plotly_chart(
    panels_figure(panels, log_color=log_color, height=500, step_label=step_readout(runs)),
    config={"displaylogo": False},
)
for column, run in zip(st.columns(2), runs, strict=True):
    with column:
        norms = gradient_norms(run)
        first, last = st.columns(2)
        first.metric("loss at the start", f"{run.losses[0]:.4g}")
        first.metric("‖g‖ at the start", f"{norms[0]:.3g}")
        last.metric(f"loss after {len(run.losses) - 1} steps", f"{run.losses[-1]:.4g}")
        last.metric(f"‖g‖ after {len(run.losses) - 1} steps", f"{norms[-1]:.3g}")
st.caption(
    "▶ Play animates both views together; the scrubber's label reads the loss and the gradient "
    "norm ‖g‖ on each surface at its step. Lecture check at (−10, 10), target 1, y₃ = −1000: "
    "MSE 2.0 with ‖g‖ ≈ 1e−8 (a plateau), cross-entropy 20 with ‖g‖ = 1.414 (a slope)."
)

st.plotly_chart(
    step_curves_figure(
        [
            ("loss", [(title, run.losses) for (_, title), run in zip(LOSSES, runs, strict=True)]),
            ("gradient norm ‖g‖", [
                (title, gradient_norms(run)) for (_, title), run in zip(LOSSES, runs, strict=True)
            ]),
        ],
        log_y=[True, True],
    ),
    config={"displaylogo": False},
)  # fmt: skip

st.subheader("Softmax at the start point")
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(softmax_figure((*start, y3), target), config={"displaylogo": False})
with right:
    st.markdown(
        "Softmax saturates: when one logit leads by 20, the others' probabilities are about "
        "e⁻²⁰ ≈ 2·10⁻⁹, and every derivative ∂pᵢ/∂yⱼ = pᵢ(δᵢⱼ − pⱼ) carries such a tiny factor. "
        "MSE only sees p, so its slope vanishes. Cross-entropy takes the log, which undoes the "
        "exponential: its gradient is simply p − ŷ, large exactly when the network is wrong."
    )
    st.markdown(
        "**Cross-entropy is maximum likelihood.** −log p_ŷ is the negative log-probability the "
        "model gives the correct class; summed over the data, minimizing it maximizes the "
        "likelihood ∏ₙ p(ŷⁿ | xⁿ) of the labels."
    )

with st.expander("🔗 Share this view"):
    st.caption("The address bar always holds this link: whoever opens it sees exactly this view.")
    share_link()
