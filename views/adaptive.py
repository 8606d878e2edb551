"""Part 3: adaptive learning rates and schedules, on the lecture's convex-but-hard regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from surfaces import get_surface
from ui.cache import run_simulations, surface_background
from ui.controls import HELP, URL, RunSpec, SurfaceSpec, log_slider, schedule_picker, start_inputs
from ui.presets import preset_links, preset_note
from ui.url import share_link
from viz import step_curves_figure, trajectory_figure
from viz.adaptive import (
    DEMOS,
    Demo,
    burst,
    first_steps_figure,
    loss_grad_figure,
    sigma_figure,
    step_lengths,
)
from viz.trajectory import AnimatedFigure

SURFACE = SurfaceSpec("regression")
ADAPTIVE = ("adagrad", "rmsprop", "adam")
DEFAULT_LR = {"adagrad": 2.0, "rmsprop": 0.5, "adam": 2.0}
SURFACE_START = get_surface("regression").default_start
DEFAULTS = {
    "ad_steps": 3000, "ad_start_x": SURFACE_START[0], "ad_start_y": SURFACE_START[1],
    "ad_gd_hi": 1.14e-5, "ad_gd_lo": 1e-6, "ad_sched": "constant", "ad_compare": False,
    "ad_alpha": 0.99, "ad_adagrad_conv": "pytorch", "ad_rmsprop_conv": "pytorch",
}  # fmt: skip
DEFAULTS |= {f"ad_{name}_lr": lr for name, lr in DEFAULT_LR.items()}
DEFAULTS |= {f"ad_{name}_on": True for name in ADAPTIVE}
CONVENTIONS = ("pytorch", "lecture")
NEAR = 0.01  # "near the optimum": every coordinate within 1% of the domain's side
CONFIG = {"displaylogo": False}


def demo_values(demo: Demo) -> dict:
    """The controls a demo sets; a preset link leaves every other one at its default."""
    values = {
        "ad_steps": demo.steps, "ad_start_x": demo.start[0], "ad_start_y": demo.start[1],
        f"ad_{demo.optimizer}_lr": demo.lr, "ad_sched": demo.schedule, "ad_compare": demo.compare,
    }  # fmt: skip
    values |= {f"ad_{name}_on": name == demo.optimizer for name in ADAPTIVE}
    values |= {f"ad_sched_{name}": value for name, value in demo.schedule_params}
    if demo.convention:
        values[f"ad_{demo.optimizer}_conv"] = demo.convention
    return values


PRESETS = {demo.title: (demo.note, demo_values(demo)) for demo in DEMOS}


def convention_radio(name: str, key: str) -> str:
    return st.radio("σ convention", CONVENTIONS, key=key, bind=URL, horizontal=True,
                    help=HELP["convention"])  # fmt: skip


def simulate(specs: list[RunSpec], start: tuple[float, float], steps: int) -> list:
    runs = run_simulations(SURFACE, tuple(specs), (start,) * len(specs), steps)
    return [
        (f"{i + 1}: {spec.label}", run)
        for i, (spec, run) in enumerate(zip(specs, runs, strict=True))
    ]


def burst_table(labelled: list, optimum: tuple[float, float], domain) -> pd.DataFrame:
    rows = []
    for name, run in labelled:
        found = burst(run.points, optimum, domain, NEAR)
        rows.append({
            "run": name,
            "first within 1% of the optimum": None if found is None else found.near_step,
            "farthest after that (% of the domain)": None if found is None else 100 * found.peak,
            "at step": None if found is None else found.peak_step,
            "highest loss ÷ start loss": float(np.max(run.losses) / run.losses[0]),
            "verdict": "never got near" if found is None
            else "💥 burst" if found.peak > 5 * NEAR else "settled",
        })  # fmt: skip
    return pd.DataFrame(rows)


def contour(runs: list) -> AnimatedFigure:
    """The regression surface with these runs (its image is drawn once for all the views)."""
    image = surface_background(SURFACE)
    return trajectory_figure(surface, runs, minima=[optimum], background=image)


surface = get_surface("regression")
optimum = surface.minima[0]
hess = surface.hessian(*optimum)
eigenvalues = np.linalg.eigvalsh(hess)
labels = surface.axis_labels

st.title("📉 Adaptive learning rates and schedules")
preset_note(PRESETS)
st.markdown(
    "A convex surface can still be hard to train. The lecturer's regression demo, "
    "ŷ = b + w·x on ten points, has one minimum at "
    f"(b, w) ≈ ({optimum[0]:.2f}, {optimum[1]:.3f}), but its Hessian's eigenvalues are "
    f"{eigenvalues[0]:.3g} and {eigenvalues[1]:.4g}: condition number "
    f"**κ ≈ {eigenvalues[1] / eigenvalues[0]:.2g}**. The valley is steep across w and almost "
    "flat along b, and one learning rate cannot suit both."
)
st.latex(surface.latex)

with st.sidebar:
    st.subheader("Run")
    start = start_inputs("ad_start", surface)
    steps = st.slider("steps", 10, 10_000, DEFAULTS["ad_steps"], 10, key="ad_steps", bind=URL)
    st.subheader("Presets")
    preset_links(PRESETS)

# ---- 1. Gradient descent -------------------------------------------------------------------------
st.header("1 · Gradient descent: bouncing or crawling")
st.markdown(
    f"Gradient descent is stable only while η < 2/λ_max = **{2 / eigenvalues[1]:.4g}**. "
    "Near that limit it bounces across the steep valley: the loss stops falling while the "
    "gradient stays large. Smaller, it crawls: along b the step is η·λ_min, a millionth of a unit."
)
high, low = st.columns(2)
with high:
    gd_high = log_slider("large η", "ad_gd_hi", low=1e-7, high=1e-4, default=DEFAULTS["ad_gd_hi"])
with low:
    gd_low = log_slider("small η", "ad_gd_lo", low=1e-7, high=1e-4, default=DEFAULTS["ad_gd_lo"])
gd = simulate([RunSpec("sgd", gd_high), RunSpec("sgd", gd_low)], start, steps)
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(contour(gd), config=CONFIG)
with right:
    st.plotly_chart(loss_grad_figure(gd, height=560), config=CONFIG)

# ---- 2. Adaptive learning rates ------------------------------------------------------------------
st.header("2 · Adagrad, RMSProp, Adam: one step size per parameter")
st.markdown(
    "Each parameter i gets its own step ηᵗ/σᵢᵗ: σ is large where gradients have been large (w), "
    "small where they have been small (b). Adagrad's σ averages **every** past g², RMSProp's "
    "weighs recent ones more, Adam adds momentum. Schedules change ηᵗ itself."
)
specs: list[RunSpec] = []
schedule_column, *columns = st.columns([1.3, 1, 1, 1])
with schedule_column, st.container(border=True):
    st.markdown("**schedule ηᵗ** (for every run)")
    schedule, schedule_params = schedule_picker("ad_sched", steps=steps)
    compare = st.checkbox("also show each run at constant η", key="ad_compare", bind=URL)
conventions = {}
for name, column in zip(ADAPTIVE, columns, strict=True):
    with column, st.container(border=True):
        shown = st.checkbox(f"**{name}**", DEFAULTS[f"ad_{name}_on"], key=f"ad_{name}_on", bind=URL)
        lr = log_slider(
            "η", f"ad_{name}_lr", low=1e-3, high=10.0, default=DEFAULTS[f"ad_{name}_lr"]
        )
        hyper = ()
        if name != "adam":
            conventions[name] = (lr, convention_radio(name, f"ad_{name}_conv"))
            hyper = (("convention", conventions[name][1]),)
        if shown:
            specs.append(RunSpec(name, float(lr), hyper, schedule, schedule_params))
            if compare and schedule != "constant":
                specs.append(RunSpec(name, float(lr), hyper))
if not specs:
    st.warning("Tick at least one optimizer to see it run.", icon="☝️")
    st.stop()
try:
    adaptive = simulate(specs, start, steps)
except ValueError as error:  # schedule parameters that contradict each other
    st.error(f"{error}. Showing constant η instead.", icon="⚠️")
    adaptive = simulate(
        [spec._replace(schedule="constant", schedule_params=()) for spec in specs], start, steps
    )

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(contour(adaptive), config=CONFIG)
    st.caption("▶ Play animates every run; drag the scrubber to any step.")
with right:
    st.plotly_chart(
        step_curves_figure(
            [("learning rate ηᵗ", [(name, run.lrs) for name, run in adaptive])], height=560
        ),
        config=CONFIG,
    )
st.dataframe(
    burst_table(adaptive, optimum, surface.domain),
    hide_index=True,
    column_config={
        "farthest after that (% of the domain)": st.column_config.NumberColumn(format="%.2f")
    },
)
st.markdown(
    "**Why Adagrad bursts.** With the lecture's σ (a mean of past g²), a long stretch of tiny "
    "gradients near the optimum makes σ_w shrink, so ηᵗ/σ_w grows until it crosses 2/H_ww, the "
    "dashed line: from there each step in w overshoots by more than it corrects, the gradient "
    "grows, σ grows again and the run falls back. PyTorch's σ (the sum) only grows, so its "
    "Adagrad never bursts, it slows down instead. A decaying ηᵗ keeps ηᵗ/σ under the line."
)
st.plotly_chart(
    sigma_figure(adaptive, labels=labels, limits=2 / np.diag(hess)), config=CONFIG
)  # fmt: skip
st.plotly_chart(loss_grad_figure(adaptive), config=CONFIG)

# ---- 3. Conventions ------------------------------------------------------------------------------
st.header("3 · Two conventions for σ: the lecture's and PyTorch's")
st.markdown(
    "Adagrad: the lecture's σᵗ = √(mean of g²), PyTorch's √(sum of g²), which is √(t+1) "
    "times larger, so PyTorch's steps shrink like 1/√t. RMSProp: the lecture starts at "
    "σ⁰ = |g⁰|, PyTorch starts its average at 0, so σ⁰ = √(1−α)·|g⁰| and its first step is "
    "1/√(1−α) times larger. Same η as in section 2, constant."
)
alpha = st.select_slider(
    "RMSProp's α",
    [0.5, 0.8, 0.9, 0.95, 0.99, 0.999],
    value=DEFAULTS["ad_alpha"],
    key="ad_alpha",
    bind=URL,
)
pairs = [
    RunSpec(name, float(conventions[name][0]), (("convention", convention), *extra))
    for name, extra in (("adagrad", ()), ("rmsprop", (("alpha", alpha),)))
    for convention in CONVENTIONS
]
both = simulate(pairs, start, steps)
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(contour(both), config=CONFIG)
with right:
    st.plotly_chart(first_steps_figure(both, labels=labels, height=560), config=CONFIG)
first = [np.hypot(*step_lengths(run.points, 1)[0]) for _, run in both]
st.markdown(
    f"First step ‖Δθ‖: Adagrad {first[0]:.4g} (PyTorch) vs {first[1]:.4g} (lecture), the same "
    f"(one gradient: sum = mean); RMSProp {first[2]:.4g} vs {first[3]:.4g}, "
    f"ratio **{first[2] / first[3]:.2f}**; 1/√(1−α) = {1 / np.sqrt(1 - alpha):.2f}."
)

# ---- 4. Summary ----------------------------------------------------------------------------------
st.header("4 · One formula for every optimizer")
st.latex(r"\theta_i^{t+1} = \theta_i^{t} - \frac{\eta^t}{\sigma_i^t}\, m_i^t")
st.markdown(
    r"""
| optimizer | ηᵗ | σᵢᵗ | mᵢᵗ |
|---|---|---|---|
| gradient descent | η (or a schedule) | 1 | gᵢᵗ |
| momentum | η | 1 | λmᵢᵗ⁻¹ + gᵢᵗ (a weighted sum of past gradients) |
| Adagrad, lecture | η | √(mean over τ ≤ t of (gᵢᵗ)²) | gᵢᵗ |
| Adagrad, PyTorch | η | √(sum over τ ≤ t of (gᵢᵗ)²) | gᵢᵗ |
| RMSProp, lecture | η | √(α(σᵢᵗ⁻¹)² + (1−α)(gᵢᵗ)²), σᵢ⁰ = \|gᵢ⁰\| | gᵢᵗ |
| RMSProp, PyTorch | η | same average, started at 0 | gᵢᵗ |
| Adam | η, warm-up, decay | √v̂ᵢᵗ (average of g², bias-corrected) | m̂ᵢᵗ (average of g, idem) |

Momentum carries the **direction** (m keeps the sign of past gradients), σ only the
**magnitude** (it is built from g², so signs cancel out of it). ε, added to σ, only guards 0/0.
"""
)

with st.expander("🔗 Share this view"):
    st.caption("The address bar always holds this link: whoever opens it sees exactly this view.")
    share_link()
st.session_state.pop("ad_note", None)  # a preset's note lasts until the next interaction
