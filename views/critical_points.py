"""Part 1 of the lecture: local minimum or saddle point? The Hessian decides, and shows the way
out."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import streamlit as st

from surfaces import CriticalPoint, Surface
from surfaces.taylor import (
    TaylorModel,
    direction_at,
    escape,
    is_stationary,
    left_at,
    minimum_ratio,
    predicted_stall,
    profile,
    scales,
    second_order_test,
    taylor_model,
    zero_eigenvalues,
)
from ui.cache import cached_critical_points, run_simulations
from ui.controls import URL, RunSpec, log_slider, surface_picker
from ui.presets import preset_links, preset_note
from ui.url import share_link
from viz import step_curves_figure, trajectory_figure
from viz.hessian import (
    PLURAL,
    critical_map_figure,
    critical_rows,
    profile_figure,
    taylor_figure,
)

CHART = "cp_chart"
OTHER = "— another point (clicked or typed)"
PRESETS: dict[str, tuple[str, dict]] = {
    "Toy network: the saddle at the origin": (
        "L = (1 − w₁w₂)² at w = 0: H = [[0, −2], [−2, 0]], eigenvalues −2 and 2. Along (1, 1)/√2 "
        "the loss falls (red arrows); the slice at 135° looks like a minimum, yet it is a saddle.",
        {"cp_surface": "toy_network", "cp_x": 0.0, "cp_y": 0.0, "cp_angle": 135},
    ),
    "Toy network: the valley of minima": (
        "Every point of the hyperbola w₁w₂ = 1 is a minimum with eigenvalues 0 and 2(w₁² + w₂²): "
        "flat along the valley, so the second-order test alone cannot decide.",
        {"cp_surface": "toy_network", "cp_x": 1.0, "cp_y": 1.0, "cp_angle": 135},
    ),
    "Himmelblau: the one maximum": (
        "Both eigenvalues negative: every direction leads down (minimum ratio 0).",
        {"cp_surface": "himmelblau", "cp_x": -0.270845, "cp_y": -0.923039},
    ),
    "Six-hump camel: a saddle between minima": (
        "The origin is a saddle between the two global minima ±(0.0898, −0.7127).",
        {"cp_surface": "six_hump_camel", "cp_x": 0.0, "cp_y": 0.0, "cp_angle": 90},
    ),
    "Monkey saddle: the test is inconclusive": (
        "x³ − 3xy² has H = 0 at the origin: the quadratic model is flat, the cubic term decides. "
        "The loss goes down along three directions.",
        {"cp_surface": "monkey_saddle", "cp_x": 0.0, "cp_y": 0.0, "cp_angle": 0},
    ),
    "Ackley: a kink at the minimum": (
        "Ackley's global minimum is the tip of a cone: no gradient, no Hessian, no Taylor model.",
        {"cp_surface": "ackley", "cp_x": 0.0, "cp_y": 0.0, "cp_zoom": 0.1},
    ),
}  # fmt: skip
VERDICTS = {
    "minimum": "**Local minimum**: every eigenvalue is positive; the loss rises every way.",
    "maximum": "**Local maximum**: every eigenvalue is negative; the loss falls every way.",
    "saddle": "**Saddle point**: eigenvalues of both signs. The loss rises along one eigenvector "
    "and falls along the other, so training that stalls here is not stuck for good.",
    "inconclusive": "**Degenerate: the second-order test is inconclusive.** An eigenvalue is 0, "
    "so the quadratic term says nothing along its eigenvector; higher-order terms decide.",
}


def label(index: int, cp: CriticalPoint, x: float, y: float) -> str:
    kind = cp.kind if cp.isolated else f"valley of {PLURAL[cp.kind]}"
    return f"{index + 1}. {kind if cp.smooth else 'kink minimum'} ({x:.4g}, {y:.4g})"


def tidy(value: float, span: float, digits: int = 12) -> float:
    """A coordinate rounded to ``digits`` decimals at the domain's scale; solver noise below
    1e-7 of the span becomes 0 (the monkey saddle is found at about −2e−8, meaning 0)."""
    if abs(value) < 1e-7 * span:
        return 0.0
    return round(float(value), digits - math.floor(math.log10(span)))


def home_point(points: list[CriticalPoint], surface: Surface) -> tuple[float, float]:
    """The point shown first: a saddle if there is one (the lesson), else the first listed."""
    first = next((cp for cp in points if cp.kind == "saddle"), points[0] if points else None)
    if first is None:
        return surface.default_start
    return tidy(first.x, span(surface, 0)), tidy(first.y, span(surface, 1))


def span(surface: Surface, axis: int) -> float:
    low, high = surface.domain[axis]
    return high - low


def match(labels: dict[str, tuple[float, float]], x: float, y: float, near: float) -> str:
    """The listed critical point within ``near`` of (x, y), else OTHER."""
    best = min(labels, key=lambda k: math.dist(labels[k], (x, y)), default=None)
    return best if best is not None and math.dist(labels[best], (x, y)) <= near else OTHER


def choose_listed(labels: dict[str, tuple[float, float]]) -> None:
    if (picked := st.session_state["cp_pick"]) in labels:
        st.session_state["cp_x"], st.session_state["cp_y"] = labels[picked]


def pick_point(labels: dict[str, tuple[float, float]], spans: tuple[float, float]) -> None:
    """A click chooses that point, snapped to a critical point less than a grid cell away."""
    points = st.session_state[CHART].selection.points
    if not points:
        return
    x, y = points[0]["x"], points[0]["y"]
    nearest = match(labels, x, y, min(spans) / 40)
    if nearest != OTHER:
        x, y = labels[nearest]
    else:  # a point of the pick grid: keep the link short
        x, y = tidy(x, spans[0], 4), tidy(y, spans[1], 4)
    st.session_state["cp_x"], st.session_state["cp_y"] = x, y


def number(value: float) -> str:
    text = f"{value:.4g}"
    return "0" if text in ("-0", "0") else text.replace("-", "−")


def latex_number(value: float) -> str:
    mantissa, _, exponent = f"{value:.4g}".partition("e")
    mantissa = "0" if mantissa == "-0" else mantissa
    return rf"{mantissa}\times 10^{{{int(exponent)}}}" if exponent else mantissa


def latex_matrix(rows: np.ndarray) -> str:
    body = r" \\ ".join(" & ".join(latex_number(v) for v in row) for row in rows)
    return r"\begin{pmatrix}" + body + r"\end{pmatrix}"


def on_valley(points: list[CriticalPoint], x: float, y: float, near: float) -> CriticalPoint | None:
    for cp in points:
        if not cp.isolated and np.min(np.hypot(*(cp.curve - (x, y)).T)) <= near:
            return cp
    return None


def describe(model: TaylorModel, surface: Surface, points: list[CriticalPoint], near: float):
    """The verdict at the chosen point, in the lecture's words."""
    scale = scales(surface)
    if not model.smooth:
        st.info(
            "**No gradient, no Hessian here.** The surface has a kink at this point (Ackley's "
            "minimum is the tip of a cone, √(x² + y²) inside an exponential), so the Taylor "
            "expansion and the second-order test do not apply. It is a minimum all the same: the "
            "loss rises in every direction, linearly, not quadratically (see the slice below).",
            icon="📌",
        )
        return
    if not is_stationary(model, scale):
        st.info(
            f"**Not a critical point**: ‖g‖ = {number(np.linalg.norm(model.gradient))}. The "
            "first-order term gᵀ(θ − θ') dominates, and gradient descent simply moves on. The "
            "Hessian still describes the curvature here, but it gives no verdict.",
            icon="➡️",
        )
        return
    verdict = second_order_test(model.eigenvalues, scale)
    st.markdown(VERDICTS[verdict])
    valley = on_valley(points, *model.center, near)
    if verdict == "inconclusive" and valley is not None:
        st.markdown(
            f"This point lies on a **valley of {PLURAL[valley.kind]}**: the loss is the same "
            "all along it (the zero eigenvalue's eigenvector is tangent to it), and the other "
            "eigenvalue says how the loss rises across it."
        )


st.title("⛰️ Critical points: local minimum or saddle point?")
preset_note(PRESETS)

with st.sidebar:
    st.subheader("Surface")
    surface, surface_spec = surface_picker("cp_surface", default="toy_network")
points: list[CriticalPoint] = cached_critical_points(surface_spec)
spans = (span(surface, 0), span(surface, 1))
near = min(spans) / 2000
home = home_point(points, surface)
labels = {}
for index, cp in enumerate(points):
    xy = (tidy(cp.x, spans[0]), tidy(cp.y, spans[1]))
    labels[label(index, cp, *xy)] = xy
if st.session_state.get("cp_seen") != surface_spec.key:
    if "cp_seen" in st.session_state:  # another surface: start again from its first point
        st.session_state.update(cp_x=home[0], cp_y=home[1])
    st.session_state["cp_seen"] = surface_spec.key
with st.sidebar:
    st.subheader("Presets")
    preset_links(PRESETS)

st.latex(surface.latex)
st.markdown(
    r"Near a point $\theta'$, $L(\theta) \approx L(\theta') + (\theta-\theta')^\top g + "
    r"\tfrac12(\theta-\theta')^\top H(\theta-\theta')$. At a critical point $g = 0$, and the "
    r"Hessian $H$ decides: all eigenvalues $> 0$, local minimum; all $< 0$, local maximum; "
    r"mixed signs, saddle point; a zero eigenvalue, the test is inconclusive."
)

pick_column, x_column, y_column = st.columns([3, 1, 1])
coordinates = []
for column, key, (low, high), default, axis in zip(
    (x_column, y_column), ("cp_x", "cp_y"), surface.domain, home, (0, 1), strict=True
):
    step = float(10.0 ** math.floor(math.log10(spans[axis] / 50)))
    with column:
        value = st.number_input(
            surface.axis_labels[axis], float(low), float(high), float(default), step=step,
            key=key, bind=URL, format="%.6g",
        )  # fmt: skip
    coordinates.append(value)
point = (float(coordinates[0]), float(coordinates[1]))
# The list follows the point, however it was chosen (list, click, typing, preset, link).
options = [OTHER, *labels]
st.session_state["cp_pick"] = match(labels, *point, near)
with pick_column:
    st.selectbox(
        f"Critical point ({len(points)} found)", options,
        index=options.index(st.session_state["cp_pick"]), key="cp_pick", bind=URL,
        on_change=choose_listed, args=(labels,),
    )  # fmt: skip
model = taylor_model(surface, point)
scale = scales(surface)
zero = zero_eigenvalues(model.eigenvalues, scale)

chart, readout = st.columns([3, 2])
with chart:
    st.plotly_chart(
        critical_map_figure(surface, points, model, zero=zero),
        key=CHART, on_select=functools.partial(pick_point, labels, spans),
        selection_mode="points",
        config={"scrollZoom": False, "displaylogo": False},
    )  # fmt: skip
    st.caption(
        "● minimum ✕ saddle ▲ maximum ■ degenerate ┈ valley of minima ★ kink. Arrows: the "
        "Hessian's eigenvectors at the chosen point, length ∝ |eigenvalue| (with a short minimum, "
        "so every direction shows; dashed: zero curvature), red where the loss curves down. "
        "Click near a critical point to snap to it."
    )
with readout:
    st.subheader(f"At ({number(point[0])}, {number(point[1])})")
    describe(model, surface, points, max(spans) / 100)
    if model.smooth:
        st.latex(
            rf"L = {latex_number(model.value)},\quad g = {latex_matrix(model.gradient[:, None])}"
        )
        st.latex(rf"H = {latex_matrix(model.hessian)}")
        shown = np.where(zero, 0.0, model.eigenvalues)
        eigen = pd.DataFrame({
            "λ": shown,
            f"u ({surface.axis_labels[0]})": model.eigenvectors[0],
            f"u ({surface.axis_labels[1]})": model.eigenvectors[1],
            "angle °": np.degrees(np.arctan2(*model.eigenvectors[::-1])) % 180,
        })  # fmt: skip
        st.dataframe(
            eigen, hide_index=True,
            column_config={c: st.column_config.NumberColumn(format="%.4g") for c in eigen},
        )  # fmt: skip
        ratio = minimum_ratio(model.eigenvalues, scale)
        positive = round(ratio * 2)
        st.metric("minimum ratio", f"{ratio:.2g}", help="positive eigenvalues / all eigenvalues")
        flat = (
            f" {int(zero.sum())} of them 0 (flat to second order), so here the ratio cannot "
            "tell a minimum from a saddle on its own."
            if zero.any()
            else ""
        )
        if not is_stationary(model, scale):
            flat += " This is not a critical point, so the ratio only describes the curvature."
        st.markdown(
            f"{positive} of 2 eigenvalues are positive: the loss curves up in {positive} of 2 "
            f"independent directions.{flat} The lecture found networks trained to convergence "
            "stopping at points with a minimum ratio mostly around 0.5–0.6: true local minima "
            "(ratio 1) are rare, most stalls are saddle-like, with a way down left."
        )

with st.expander(f"All {len(points)} critical points, with their Hessian's eigenvalues"):
    st.dataframe(
        pd.DataFrame(critical_rows(points)), hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="%.6g")
                       for c in ("x", "y", "loss", "λ₁", "λ₂")},
    )  # fmt: skip

st.header("Where the quadratic picture holds")
zoom = st.slider(
    "window: share of the domain on each side of the point", 0.02, 0.5, 0.25, 0.01,
    key="cp_zoom", bind=URL,
)  # fmt: skip
half = (zoom * spans[0], zoom * spans[1])
st.plotly_chart(taylor_figure(surface, model, half), config={"displaylogo": False})
st.caption("Same contour levels in both panels: where they differ, the terms beyond second order "
           "matter.")  # fmt: skip


def reach(direction: np.ndarray) -> float:
    """How far the line along ``direction`` runs inside the window (axes in their own units)."""
    return float(1.0 / np.linalg.norm(direction / np.array(half)))


st.header("A 1-D slice: the same point from different directions")
angle = st.slider("direction of the slice (degrees from the first axis)", 0, 180,
                  135, 5, key="cp_angle", bind=URL)  # fmt: skip
direction = direction_at(angle)
line = profile(surface, model, direction, reach(direction))
st.plotly_chart(
    profile_figure(line, title=f"Loss along the direction at {angle}° through the point"),
    config={"displaylogo": False},
)
if model.smooth:
    looks = "a minimum" if line.curvature > 0 else "a maximum" if line.curvature < 0 else "flat"
    st.markdown(
        f"Curvature along this direction: dᵀHd = **{number(line.curvature)}**, so in this slice "
        f"the point looks like **{looks}** to second order. A saddle looks like a minimum along "
        "one eigenvector and like a maximum along the other: what looks like a minimum in 1-D "
        "can be a saddle in 2-D."
    )

st.header("The way out of a saddle")
lowest = float(model.eigenvalues[0])
if model.smooth and lowest < 0 and not zero[0]:
    distance = st.slider(
        "step length ‖u‖ along the escape direction", 0.0, round(0.5 * min(spans), 6),
        round(0.125 * min(spans), 6), round(min(spans) / 400, 6), key="cp_step", bind=URL,
    )  # fmt: skip
    out = escape(surface, model, distance)
    u1, u2 = out.direction
    st.markdown(
        f"Escape direction u = ({number(u1)}, {number(u2)}): the eigenvector of "
        f"λ₁ = {number(out.eigenvalue)} (its negative works just as well). Moving along it, "
        r"$L(\theta' + u) \approx L(\theta') + \tfrac12\lambda\|u\|^2$"
        + ("" if is_stationary(model, scale) else r" $+\, g^\top u$ (not a critical point)")
        + "."
    )
    predicted, actual, gap = st.columns(3)
    predicted.metric("predicted change ½λ‖u‖²", number(out.predicted))
    actual.metric("actual change L(θ'+u) − L(θ')", number(out.actual))
    gap.metric("actual − predicted (higher-order terms)", number(out.actual - out.predicted))
    along = profile(surface, model, out.direction, max(1.25 * distance, reach(out.direction)))
    st.plotly_chart(
        profile_figure(along, title="Loss along the escape direction u", mark=distance,
                       xlabel="t: distance along u"),
        config={"displaylogo": False},
    )  # fmt: skip
elif model.smooth:
    st.info(
        "No direction of negative curvature here (λ₁ ≥ 0, or 0 within tolerance): the quadratic "
        "model predicts no way down. At a degenerate point the higher-order terms may still "
        "have one (the monkey saddle falls along three directions): try the slice above.",
        icon="🧭",
    )
else:
    st.info("At a kink there are no eigenvectors to follow.", icon="🧭")

st.header("Gradient descent from exactly on the point, and from just off it")
if model.smooth:
    lr_column, steps_column, offset_column = st.columns(3)
    with lr_column:
        lr = log_slider("learning rate η", "cp_lr", low=1e-4, high=1.0, default=0.05)
    with steps_column:
        steps = st.slider("steps", 10, 2000, 200, 10, key="cp_steps", bind=URL)
    with offset_column:
        offset = log_slider("offset ε of the second start", "cp_offset", low=1e-8, high=0.1,
                            default=1e-3, per_decade=(1,))  # fmt: skip
    # Off along both eigenvectors at once: a generic nudge, not one aimed at the way out.
    nudge = offset * model.eigenvectors.sum(axis=1) / math.sqrt(2)
    starts = (point, (point[0] + float(nudge[0]), point[1] + float(nudge[1])))
    runs = run_simulations(surface_spec, (RunSpec("sgd", float(lr)),) * 2, starts, int(steps))
    labelled = [("exactly on the point", runs[0]), (f"ε = {offset:g} off", runs[1])]
    flat, curves = st.columns([3, 2])
    with flat:
        st.plotly_chart(trajectory_figure(surface, labelled),
                        config={"scrollZoom": False, "displaylogo": False})  # fmt: skip
    with curves:
        distances = [(name, np.hypot(*(run.points - point).T)) for name, run in labelled]
        st.plotly_chart(
            step_curves_figure(
                [("loss", [(name, run.losses) for name, run in labelled]),
                 ("distance from the point", distances)],
                height=560,
            ),
            config={"displaylogo": False},
        )  # fmt: skip
    radius = 0.05 * min(spans)
    stalls = [left_at(run.points, model.center, radius) for _, run in labelled]
    along_escape = abs(float(nudge @ model.eigenvectors[:, 0]))
    expected = predicted_stall(lowest, float(lr), along_escape, radius)
    st.markdown(
        "\n".join(
            f"- **{name}**: "
            + (f"left the neighbourhood (distance > {number(radius)}) at step **{stall}**."
               if stall is not None else f"still within {number(radius)} after {steps} steps.")
            for (name, _), stall in zip(labelled, stalls, strict=True)
        )
    )  # fmt: skip
    if expected is not None:
        st.markdown(
            f"At a critical point g = 0, so gradient descent from exactly on it does not move "
            "(a numerically found point moves only by its rounding error). Off it, the component "
            f"along the escape direction grows by 1 − ηλ₁ = {number(1 - lr * lowest)} per step: "
            f"the quadratic model predicts about **{expected:.0f}** steps to get "
            f"{number(radius)} away."
        )
else:
    st.info("Gradient descent needs a gradient, and this point has none.", icon="🧭")

with st.expander("🔗 Share this view"):
    st.caption("The address bar always holds this link: whoever opens it sees exactly this view.")
    share_link()
