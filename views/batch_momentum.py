"""Part 2 of the lecture: batch size (noisy small batches, epochs) and momentum (a ball that rolls
through a shallow minimum)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from optimizers.simulate import MAX_STEPS
from surfaces import get_surface
from ui.cache import run_simulations, surface_background
from ui.controls import URL, RunSpec, SurfaceSpec, log_slider, schedule_picker, surface_picker
from ui.presets import preset_links, preset_note
from ui.url import share_link
from viz import trajectory_figure
from viz.momentum import (
    batch_comparison_figure,
    cut_figure,
    epoch_marks,
    minibatch_figure,
    momentum_step_figure,
    path_gap,
    step_parts,
    weights_figure,
)

DATA_SURFACES = ("rbf_neuron", "regression")
# Per data surface: default learning rate (stable for a single sample) and epochs.
BATCH_DEFAULTS = {"rbf_neuron": (1.0, 25), "regression": (1e-6, 50)}
WELL = SurfaceSpec("double_well")
RIDGE = next(x for kind, x, _ in get_surface(WELL.key).known_critical if kind == "saddle")
FORMS = {"lecture": "lecture: m ← λm − ηg, θ ← θ + m", "pytorch": "PyTorch: b ← μb + g, θ ← θ − ηb"}
TITLE = {"x": 0, "y": 0.98, "yanchor": "top", "font": {"size": 14}}  # above the legend

PRESETS: dict[str, tuple[str, dict]] = {
    "A small batch escapes where full batch stalls": (
        "Full-batch gradient descent slides into the shallow minimum on the left (fitting the "
        "small bump) and stays there. With one sample per update, each step follows a different "
        "surface (right): the noise carries the iterate over the low ridge into the deeper "
        "minimum.",
        {"bm_surface": "rbf_neuron", "bm_batch_rbf_neuron": 1, "bm_lr_rbf_neuron": 1.0,
         "bm_epochs_rbf_neuron": 25, "bm_seed": 2, "bm_sizes_rbf_neuron": [1, 4, 10, 40]},
    ),
    "Momentum rolls through the shallow minimum": (
        "Same start, same η: gradient descent stops in the first (shallow) minimum it meets; "
        "momentum arrives with speed, rolls over the ridge where the gradient points back, and "
        "settles in the deeper minimum.",
        {"bm_mlr": 0.01, "bm_lambda": 0.9, "bm_msteps": 300, "bm_msched": "constant"},
    ),
    "The two momentum forms under a schedule": (
        "With η halved every 40 steps the lecture's m still carries movement made at the old, "
        "larger η, while PyTorch's buffer is multiplied by today's η: the paths part.",
        {"bm_mlr": 0.01, "bm_lambda": 0.9, "bm_msteps": 300, "bm_msched": "step_decay",
         "bm_msched_step_size": 40, "bm_msched_gamma": 0.5},
    ),
}  # fmt: skip


@st.cache_data(max_entries=8, show_spinner="Timing one update per batch size…")
def time_per_epoch(key: str, sizes: tuple[int, ...], repeats: int = 200) -> pd.DataFrame:
    """Measured on this machine: one vectorized batch_grad per update, n // B updates per epoch."""
    surface = get_surface(key)
    x, y = surface.default_start
    rows = []
    for size in sizes:
        idx = np.arange(size)
        best = np.inf
        for _ in range(repeats):
            begin = time.perf_counter()
            surface.batch_grad(x, y, idx)
            best = min(best, time.perf_counter() - begin)
        per_epoch = surface.n_samples // size
        rows.append({
            "batch size": size, "updates per epoch": per_epoch,
            "time per update (µs)": best * 1e6, "time per epoch (µs)": best * 1e6 * per_epoch,
        })  # fmt: skip
    return pd.DataFrame(rows)


def step_slider(key: str, last: int) -> int:
    """The step scrubber; a new run length makes it a new widget, back at step 0."""
    return st.slider("step shown", 0, last, 0, key=key, bind=URL)


def batch_sizes(n: int) -> list[int]:
    return sorted({b for b in (1, 2, 4, 5, 8, 10, 20, n) if b <= n})


st.title("🎱 Batch size and momentum")
preset_note(PRESETS)
with st.sidebar:
    st.subheader("Presets")
    preset_links(PRESETS)

# ---- Batch size ----------------------------------------------------------------------------------

st.header("Batch size: one gradient per batch, one pass over all batches per epoch")
st.markdown(
    "The data are split into batches of $B$ samples; each batch gives one gradient and one "
    "update, and one pass over every batch is an **epoch** (reshuffled each epoch). A minibatch's "
    "loss $L_B(\\theta) = \\frac{1}{B}\\sum_{n \\in \\text{batch}} \\ell_n(\\theta)$ is not the "
    "full loss: a point where the full gradient is zero is usually not stuck on the next batch."
)
controls = st.columns([2, 1, 1, 1, 1])
with controls[0]:
    surface, surface_spec = surface_picker("bm_surface", default=DATA_SURFACES[0],
                                           keys=DATA_SURFACES, allow_formula=False)  # fmt: skip
key, n = surface.key, surface.n_samples
default_lr, default_epochs = BATCH_DEFAULTS[key]
with controls[1]:
    size = st.slider("batch size B", 1, n, 1, key=f"bm_batch_{key}", bind=URL)
with controls[2]:
    lr = log_slider("learning rate η", f"bm_lr_{key}", low=1e-7, high=10.0, default=default_lr)
with controls[3]:
    epochs = st.slider("epochs", 1, 200, default_epochs, key=f"bm_epochs_{key}", bind=URL)
with controls[4]:
    seed = int(st.number_input("seed (shuffling)", 0, 10_000, 2, key="bm_seed", bind=URL))

per_epoch = n // size
steps = min(epochs * per_epoch, MAX_STEPS)
if steps < epochs * per_epoch:
    st.caption(f"Capped at {MAX_STEPS} updates ({steps // per_epoch} epochs).")
sgd = (RunSpec("sgd", float(lr)),)
start = (surface.default_start,)
run = run_simulations(surface_spec, sgd, start, steps, size if size < n else None, seed)[0]
full = run_simulations(surface_spec, sgd, start, steps)[0]
runs = [(f"batch {size}", run), ("full batch", full)]

left, right = st.columns(2)
with left:
    figure = trajectory_figure(
        surface, runs, minima=surface.minima, background=surface_background(surface_spec)
    )
    figure.update_layout(title=TITLE | {"text": "Both runs on the full-batch surface"},
                         margin_t=90)  # fmt: skip
    if 1 < per_epoch < len(run.points):
        figure.add_trace(epoch_marks(run, per_epoch))
    st.plotly_chart(figure, config={"displaylogo": False})
    st.caption(f"{per_epoch} updates per epoch; ◇ marks the end of each epoch. "
               "▶ Play animates both runs.")  # fmt: skip
with right:
    shown = step_slider("bm_step", max(0, len(run.points) - 2))
    st.plotly_chart(
        minibatch_figure(surface, surface.batch_loss, run, shown, minima=surface.minima),
        config={"displaylogo": False},
    )
    st.caption("The surface of the batch used at the step shown: drag the slider and watch the "
               "surface move under the iterate.")  # fmt: skip
outcome = st.columns(3)
outcome[0].metric(f"final loss, batch {size}", f"{run.losses[-1]:.4g}")
outcome[1].metric("final loss, full batch", f"{full.losses[-1]:.4g}")
outcome[2].metric("updates", f"{len(run.points) - 1}", help=f"{epochs} epochs × {per_epoch}")

st.subheader("Batch sizes side by side (same data, same η, same seed, same epochs)")
options = batch_sizes(n)
sizes = st.multiselect("batch sizes to compare", options, default=[options[0], options[-1]],
                       key=f"bm_sizes_{key}", bind=URL)  # fmt: skip
sizes = sorted(sizes) or [n]
compared = [
    run_simulations(surface_spec, sgd, start, min(epochs * (n // b), MAX_STEPS),
                    b if b < n else None, seed)[0]
    for b in sizes
]  # fmt: skip
st.plotly_chart(
    batch_comparison_figure(
        [(f"B = {b}", r.losses, n // b) for b, r in zip(sizes, compared, strict=True)]
    ),
    config={"displaylogo": False},
)
timing = time_per_epoch(key, tuple(sizes))
timing["final loss"] = [float(r.losses[-1]) for r in compared]
st.dataframe(
    timing, hide_index=True,
    column_config={c: st.column_config.NumberColumn(format="%.4g")
                   for c in ("time per update (µs)", "time per epoch (µs)", "final loss")},
)  # fmt: skip
st.caption(
    "Times are measured on this machine (best of 200 calls of the vectorized batch gradient). "
    "A larger batch costs about the same per update because the samples are processed in "
    "parallel, so an epoch of large batches is fast; small batches take many updates per epoch."
)

# ---- Momentum ------------------------------------------------------------------------------------

st.header("Momentum: the previous movement keeps going")
st.latex(
    r"m^0 = 0,\qquad m^{t+1} = \lambda m^t - \eta g^t,\qquad \theta^{t+1} = \theta^t + m^{t+1}"
)
st.markdown(
    "$m$ is a weighted sum of all past gradients, $m^{t+1} = -\\eta\\sum_k \\lambda^k g^{t-k}$: "
    "like a ball, it can roll through a shallow minimum where the gradient is zero or even "
    "points back. PyTorch writes it as $b \\leftarrow \\mu b + g,\\ \\theta \\leftarrow \\theta "
    "- \\eta b$: the same path at a constant $\\eta$ ($m = -\\eta b$), different under a schedule."
)
well = get_surface(WELL.key)
st.latex(well.latex)
mcols = st.columns(4)
with mcols[0]:
    mlr = log_slider("learning rate η", "bm_mlr", low=1e-4, high=0.1, default=0.01)
with mcols[1]:
    lam = st.slider("momentum λ", 0.0, 0.99, 0.9, 0.01, key="bm_lambda", bind=URL)
with mcols[2]:
    msteps = st.slider("steps", 10, 1000, 300, 10, key="bm_msteps", bind=URL)
with mcols[3]:
    form = st.radio("form taken apart below", list(FORMS), key="bm_form", bind=URL,
                    format_func=lambda f: FORMS[f].split(":")[0])  # fmt: skip
with st.expander("learning-rate schedule (the two forms differ only under one)"):
    sched, sched_params = schedule_picker("bm_msched", steps=msteps)
mspecs = (
    RunSpec("sgd", float(mlr), (), sched, sched_params),
    *(
        RunSpec("momentum", float(mlr), (("momentum", float(lam)), ("convention", f)), sched,
                sched_params)
        for f in FORMS
    ),
)  # fmt: skip
mruns = run_simulations(WELL, mspecs, (well.default_start,) * 3, int(msteps))
labels = ["gradient descent", "momentum, lecture form", "momentum, PyTorch form"]
mlabelled = list(zip(labels, mruns, strict=True))
chosen = mruns[1 + list(FORMS).index(form)]

left, right = st.columns([3, 2])
with left:
    figure = trajectory_figure(
        well, mlabelled, minima=well.minima, background=surface_background(WELL)
    )
    figure.update_layout(title=TITLE | {"text": "Same start, same η"}, margin_t=90)
    st.plotly_chart(figure, config={"displaylogo": False})
with right:
    st.plotly_chart(cut_figure(well, mlabelled, 0.0), config={"displaylogo": False})
    ends = [float(r.points[-1, 0]) for r in mruns]
    gap = path_gap(mruns[1], mruns[2])
    st.metric("largest gap between the two momentum forms",
              "0 (up to rounding)" if gap < 1e-12 else f"{gap:.3g}",
              help="max over steps of the distance between the lecture-form and PyTorch-form "
              "paths: 0 at a constant η")  # fmt: skip
    st.caption(f"Ridge at x = {RIDGE:.3f}: gradient descent ends at x = {ends[0]:.3f}, "
               f"momentum at x = {ends[1 + list(FORMS).index(form)]:.3f}.")  # fmt: skip

st.subheader("One step taken apart")
mstep = step_slider("bm_mstep", max(0, len(chosen.points) - 2))
parts = step_parts(chosen.points, chosen.grads, chosen.lrs, mstep)
left, right = st.columns(2)
with left:
    st.plotly_chart(momentum_step_figure(well, chosen, parts, mstep),
                    config={"displaylogo": False})  # fmt: skip
    st.caption(
        f"{FORMS[form]}. Blue: λ·m, the previous movement kept; red: −η·g; white: their sum, "
        f"the step. |λm| = {np.linalg.norm(parts.carried):.3g}, "
        f"|ηg| = {np.linalg.norm(parts.gradient):.3g}."
    )
with right:
    st.plotly_chart(weights_figure(chosen.lrs, float(lam), mstep), config={"displaylogo": False})
    st.caption("Each bar is the weight of the gradient from k steps back in this step: the "
               "lecture's form weights it by λᵏ·η at its own step, PyTorch's by μᵏ·η today. "
               "At a constant η the bars coincide.")  # fmt: skip

with st.expander("🔗 Share this view"):
    st.caption("The address bar always holds this link: whoever opens it sees exactly this view, "
               "seed included.")  # fmt: skip
    share_link()
