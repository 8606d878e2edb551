"""Normalization changes the landscape: feature scaling, condition number, batch normalization."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from optimizers import Trajectory, simulate, simulate_many
from surfaces.normalization import (
    BatchNormSurface,
    BNTraining,
    batch_norm,
    batches,
    bn_data,
    evaluation_losses,
    gd_rate_at,
    loss_by_angle,
    measured_rate,
    scaling_problems,
    train_batch_norm,
)
from ui.cache import optimizer_from_spec
from ui.controls import URL, RunSpec, log_slider, optimizer_picker
from ui.presets import preset_links, preset_note
from ui.url import share_link
from viz import step_curves_figure, trajectory_figure
from viz.normalization import (
    add_gradient_arrows,
    angle_loss_figure,
    eval_batch_figure,
    histograms_figure,
    running_stats_figure,
)

N_SAMPLES = 100
N_BN = 256
EVAL_SIZES = (1, 2, 4, 8, 16, 32, 64, 128)
ANGLES = np.linspace(-np.pi, np.pi, 361)
CONFIG = {"displaylogo": False, "scrollZoom": False}

PRESETS: dict[str, tuple[str, dict]] = {
    "Largest stable step on raw data": (
        "η = 3×10⁻⁵ is just below 2/λmax of the raw surface: the raw run drops into the valley "
        "and then crawls along it (measured rate ≈ 1). The standardized run barely moves either.",
        {"bn_scale": 100.0, "bn_run_opt": "sgd", "bn_run_lr": 3e-5, "bn_steps": 300},
    ),
    "A good step after standardizing": (
        "η = 0.5 suits the round, standardized bowl: it converges in a few steps. The raw "
        "surface's 2/λmax is 10⁴ times smaller, so the same η diverges there at once.",
        {"bn_scale": 100.0, "bn_run_opt": "sgd", "bn_run_lr": 0.5, "bn_steps": 300},
    ),
    "Same scale, still stretched": (
        "With x₂ on the same scale as x₁, the raw κ is still ≈ 50: both features sit around "
        "1.5, far from 0, so w₁ and w₂ trade off. Standardizing also centres them.",
        {"bn_scale": 1.0, "bn_run_opt": "sgd", "bn_run_lr": 0.2, "bn_steps": 300},
    ),
    "Heavy-ball momentum on the raw valley": (
        "Momentum 0.99 at η = 7×10⁻⁵ (close to Polyak's tuning) gets the rate near the bound "
        "(√κ−1)/(√κ+1) ≈ 0.995 where gradient descent is stuck at ≈ 0.99999.",
        {"bn_scale": 100.0, "bn_run_opt": "momentum", "bn_run_lr": 7e-5, "bn_run_momentum": 0.99,
         "bn_steps": 1000},
    ),
    "Batch of one at test time": (
        "Batch size 1 at test time with the batch's own statistics: z − μ_B = 0, so every "
        "prediction is β. The running averages do not care about the batch.",
        {"bn_batch": 8, "bn_train_steps": 300},
    ),
}  # fmt: skip


@st.cache_data(max_entries=32, show_spinner=False)
def scaling_runs(scale: float, seed: int, run: RunSpec, steps: int) -> list[Trajectory]:
    optimizer = optimizer_from_spec(run)
    return [
        simulate(p.surface, optimizer, p.start, steps)
        for p in scaling_problems(scale, N_SAMPLES, seed)
    ]


@st.cache_data(max_entries=32, show_spinner=False)
def bn_runs(
    seed: int, gamma: float, beta: float, lr: float, steps: int, norms: tuple[float, ...]
) -> list[Trajectory]:
    data = bn_data(N_BN, seed)
    surface = BatchNormSurface(data.x, data.t, gamma, beta)
    direction = np.array([np.cos(np.radians(150)), np.sin(np.radians(150))])
    optimizers = [optimizer_from_spec(RunSpec("sgd", lr))] * len(norms)
    return simulate_many(surface, optimizers, [direction * r for r in norms], steps)


@st.cache_data(max_entries=16, show_spinner="Training the BN unit…")
def bn_training(seed: int, batch_size: int, steps: int) -> BNTraining:
    return train_batch_norm(bn_data(N_BN, seed), (1.0, 0.0), batch_size=batch_size, steps=steps,
                            lr=0.05, seed=seed)  # fmt: skip


st.title("⚖️ Normalization changes the landscape")
preset_note(PRESETS)

with st.sidebar:
    st.subheader("Data")
    scale = log_slider("scale of x₂ (x₂ ~ U[s, 2s])", "bn_scale", low=1.0, high=1000.0,
                       default=100.0, per_decade=(1, 2, 5))  # fmt: skip
    seed = int(st.number_input("seed", 0, 10_000, 0, key="bn_seed", bind=URL))
    steps = st.slider("steps", 10, 2000, 300, 10, key="bn_steps", bind=URL)
    st.subheader("Presets")
    preset_links(PRESETS)

# ---- Feature scaling -----------------------------------------------------------------------------

st.header("Feature scaling stretches or rounds the valley")
st.markdown(
    f"Linear regression $\\hat y = b + w_1x_1 + w_2x_2$ on {N_SAMPLES} samples with "
    "$x_1 \\sim U[1, 2]$ and $x_2 \\sim U[s, 2s]$. Left: the raw features. Right: each feature "
    "standardized, $\\tilde x_i = (x_i - \\bar x_i)/\\mathrm{sd}(x_i)$. The bias is held at its "
    "optimum $b^*$, so each picture is the slice through the minimum; its Hessian is "
    "$2X^\\top X/N$."
)
raw, std = scaling_problems(float(scale), N_SAMPLES, seed)
left, right = st.columns([1, 2])
with left, st.container(border=True):
    spec = optimizer_picker("bn_run", default="sgd", lr=3e-5, names=("sgd", "momentum", "adam"),
                            steps=steps, lr_range=(1e-7, 3.0))  # fmt: skip
    over = [p for p in (raw, std) if spec.lr > p.conditioning.lr_max]
    st.caption(
        f"**2/λmax** (largest stable η for gradient descent): raw "
        f"**{raw.conditioning.lr_max:.3g}**, standardized **{std.conditioning.lr_max:.3g}**."
        + (" η is above it for: " + ", ".join(("raw", "standardized")[[raw, std].index(p)]
                                                for p in over) if over else ""),
    )  # fmt: skip
with right:
    st.latex(
        r"\text{GD: } \rho \ge \frac{\kappa-1}{\kappa+1}, \qquad "
        r"\text{heavy ball, tuned: } \rho = \frac{\sqrt\kappa-1}{\sqrt\kappa+1}"
    )
    st.markdown(
        "κ = λmax/λmin of the Hessian. One learning rate must stay below 2/λmax for the steep "
        "direction, so the shallow one moves at ≈ 1 − 2/κ per step. After standardizing, κ ≈ 1: "
        "one η suits both directions."
    )

runs = scaling_runs(float(scale), seed, spec, steps)
rows = []
for column, problem, run, title in zip(
    st.columns(2), (raw, std), runs, ("raw features", "standardized features"), strict=True
):
    c = problem.conditioning
    with column:
        st.subheader(title)
        st.plotly_chart(
            trajectory_figure(problem.surface, [(spec.label, run)], minima=[tuple(problem.optimum)],
                              height=460),
            config=CONFIG, key=f"bn_chart_{title.split()[0]}",
        )  # fmt: skip
        a, b, k = st.columns(3)
        a.metric("λmin", f"{c.eigenvalues[0]:.3g}")
        b.metric("λmax", f"{c.eigenvalues[-1]:.3g}")
        k.metric("κ", f"{c.kappa:.3g}")
    rate = measured_rate(run.points, problem.optimum)
    rows.append({
        "surface": title, "κ": c.kappa, "(κ−1)/(κ+1)": c.gd_rate, "(√κ−1)/(√κ+1)": c.momentum_rate,
        "GD at this η: max|1−ηλ|": gd_rate_at(spec.lr, c.eigenvalues),
        "measured rate": rate,
        "status": "converging" if run.diverged_at is None
        else f"diverged at step {run.diverged_at}",
    })  # fmt: skip
st.dataframe(
    pd.DataFrame(rows), hide_index=True,
    column_config={name: st.column_config.NumberColumn(format="%.6g")
                   for name in rows[0] if name not in ("surface", "status")},
)  # fmt: skip
st.caption(
    "Measured rate: per-step shrink factor of ‖w − w*‖ over the second half of the run. "
    "Gradient descent can do no better than (κ−1)/(κ+1); tuned momentum reaches (√κ−1)/(√κ+1)."
)
st.plotly_chart(
    step_curves_figure(
        [("distance to the optimum ‖w − w*‖",
          [(name, np.linalg.norm(r.points - p.optimum, axis=1))
           for name, r, p in zip(("raw", "standardized"), runs, (raw, std), strict=True)])],
        log_y=[True],
    ),
    config=CONFIG,
)  # fmt: skip

# ---- Batch normalization: the batch defines the surface ------------------------------------------

st.header("Batch normalization: the surface depends on the batch")
st.markdown(
    "One unit $z = w_1x_1 + w_2x_2$ followed by batch normalization and squared error: "
    "$\\hat z_n = (z_n - \\mu_B)/\\sqrt{\\sigma_B^2 + \\epsilon}$, $\\hat y_n = \\gamma\\hat z_n + "
    "\\beta$, with $\\mu_B, \\sigma_B^2$ the mean and variance over the current batch. "
    f"{N_BN} training samples."
)
controls = st.columns(4)
batch_size = controls[0].select_slider("batch size", [2, 4, 8, 16, 32, 64, 128, 256], 16,
                                       key="bn_batch", bind=URL)  # fmt: skip
epoch = batches(N_BN, batch_size, seed)
batch_index = controls[1].number_input("batch number", 1, 128, 1, key="bn_batch_index", bind=URL)
batch_index = min(int(batch_index), len(epoch)) - 1
gamma = controls[2].slider("γ (scale)", 0.1, 3.0, 1.0, 0.1, key="bn_gamma", bind=URL)
beta = controls[3].slider("β (shift)", -2.0, 4.0, 0.0, 0.1, key="bn_beta", bind=URL)

data = bn_data(N_BN, seed)
curves = [
    (f"batch {i + 1}",
     loss_by_angle(BatchNormSurface(data.x[idx], data.t[idx], gamma, beta), ANGLES))
    for i, idx in enumerate(epoch)
]  # fmt: skip
whole = loss_by_angle(BatchNormSurface(data.x, data.t, gamma, beta), ANGLES)
idx = epoch[batch_index]
z = data.x[idx] @ np.array([1.0, 0.0])
one, two = st.columns([3, 2])
with one:
    st.plotly_chart(
        angle_loss_figure(ANGLES, curves, highlight=batch_index,
                          reference=("whole training set", whole)),
        config=CONFIG,
    )  # fmt: skip
    st.caption(
        f"Every grey curve is another batch of {batch_size}: the surface, and its best "
        "direction, move from batch to batch; larger batches agree more closely."
    )
with two:
    st.plotly_chart(
        histograms_figure([("z = w·x (w = (1, 0))", z), ("ẑ (batch-normalized)", batch_norm(z)),
                           ("ŷ = γẑ + β", batch_norm(z, gamma, beta))]),
        config=CONFIG,
    )  # fmt: skip
    st.caption("Whatever z's mean and spread, ẑ has mean 0 and sd 1 over the batch; γ and β, "
               "learned, set the output's spread and mean.")  # fmt: skip

# ---- Scale invariance ----------------------------------------------------------------------------

st.header("Scale invariance: the gradient is orthogonal to w")
st.latex(
    r"\mathrm{BN}(a\,w\cdot x) = \mathrm{BN}(w\cdot x)\ (a>0) \;\Rightarrow\; "
    r"w\cdot\nabla L = 0,\quad \|\nabla L(a w)\| = \tfrac{1}{a}\|\nabla L(w)\|,\quad "
    r"\|w_{t+1}\|^2 = \|w_t\|^2 + \eta^2\|\nabla L\|^2"
)
settings = st.columns(2)
bn_lr = settings[0].select_slider("learning rate η", [0.01, 0.03, 0.1, 0.3, 1.0, 3.0], 0.3,
                                  key="bn_sgd_lr", bind=URL)  # fmt: skip
bn_steps = settings[1].slider("steps", 10, 500, 100, 10, key="bn_sgd_steps", bind=URL)
norms = (0.5, 1.5)
paths = bn_runs(seed, gamma, beta, float(bn_lr), int(bn_steps), norms)
surface = BatchNormSurface(data.x, data.t, gamma, beta)
ticks = np.linspace(-2.7, 2.7, 9)
grid_points = np.array([(a, b) for a in ticks for b in ticks if np.hypot(a, b) > 0.3])
named = [(f"start ‖w‖ = {r}", path) for r, path in zip(norms, paths, strict=True)]
flat, curves_col = st.columns([1, 1])
with flat:
    figure = trajectory_figure(surface, named, height=500)
    add_gradient_arrows(figure, grid_points, -surface.grad(*grid_points.T), length=0.55)
    st.plotly_chart(figure, config=CONFIG, key="bn_chart_bn")
    st.caption("Whole training set. The arrows (−gradient) run around the origin, never along a "
               "ray; near the origin they are longest (‖∇L‖ ∝ 1/‖w‖).")  # fmt: skip
with curves_col:
    norm_series, turn_series, effective = [], [], []
    for name, path in named:
        w = path.points
        lengths = np.linalg.norm(w, axis=1)
        cosine = np.sum(w[1:] * w[:-1], axis=1) / (lengths[1:] * lengths[:-1])
        norm_series.append((name, lengths))
        turn_series.append((name, np.degrees(np.arccos(np.clip(cosine, -1, 1)))))
        effective.append((name, bn_lr / lengths**2))
    st.plotly_chart(
        step_curves_figure(
            [("‖w‖", norm_series), ("turn per step (degrees)", turn_series),
             ("effective step η/‖w‖²", effective)],
            log_y=[False, True, True], height=340,
        ),
        config=CONFIG,
    )  # fmt: skip
    st.caption(
        "Each step is orthogonal to w, so ‖w‖ only grows, and the angle each step turns - the "
        "only thing that changes the loss - shrinks like η/‖w‖²: a run that starts with larger "
        "weights moves more slowly, and every run slows down by itself."
    )

# ---- Training vs testing -------------------------------------------------------------------------

st.header("Training vs testing: running averages")
st.markdown(
    "At test time there may be no batch, or a tiny one. During training PyTorch keeps running "
    "averages, $\\bar\\mu \\leftarrow 0.9\\,\\bar\\mu + 0.1\\,\\mu_B$ and "
    "$\\bar\\sigma^2 \\leftarrow 0.9\\,\\bar\\sigma^2 + 0.1\\,\\sigma_B^2$ (unbiased), from "
    "$\\bar\\mu = 0, \\bar\\sigma^2 = 1$, and uses them in eval mode."
)
train_steps = st.slider("training steps (SGD on w, γ, β; batch size from above)", 10, 1000, 200, 10,
                        key="bn_train_steps", bind=URL)  # fmt: skip
trained = bn_training(seed, max(2, int(batch_size)), int(train_steps))
test = bn_data(N_BN, seed + 1)
w_end, g_end, b_end = trained.w[-1], float(trained.gamma[-1]), float(trained.beta[-1])
z_train = data.x @ w_end
stats = type(trained.running)(float(trained.running.mean[-1]), float(trained.running.var[-1]))
own, running_loss = evaluation_losses(test, w_end, g_end, b_end, stats, EVAL_SIZES, seed)
one, two = st.columns(2)
with one:
    st.plotly_chart(
        running_stats_figure((trained.batch_mean, trained.batch_var), trained.running,
                             (float(z_train.mean()), float(z_train.var(ddof=1)))),
        config=CONFIG,
    )  # fmt: skip
    st.caption("The running average follows the batches with a lag of ~1/0.1 = 10 steps, "
               "and starts at PyTorch's (0, 1).")  # fmt: skip
with two:
    st.plotly_chart(eval_batch_figure(EVAL_SIZES, own, running_loss), config=CONFIG)
m1, m2, m3 = st.columns(3)
m1.metric("test MSE, running statistics", f"{running_loss:.3g}")
m2.metric("test MSE, own statistics, batch of 2", f"{own[1]:.3g}")
m3.metric("test MSE, own statistics, batch of 1", f"{own[0]:.3g}")
st.caption(
    "A batch of one has σ_B = 0 and z − μ_B = 0: every prediction is β. A batch of two always "
    "normalizes to ẑ = ±1, whatever the inputs. With running statistics each sample's prediction "
    "is the same whatever else is in its batch."
)

with st.expander("🔗 Share this view"):
    st.caption("The address bar always holds this link: whoever opens it sees exactly this view.")
    share_link()
