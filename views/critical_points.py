"""Part 1 of the lecture: local minimum or saddle point? The Hessian decides, and shows the way
out."""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n import N_, _
from optimizers import Trajectory
from optimizers.verdict import DIVERGED, UNDEFINED
from optimizers.verdict import verdict as run_verdict
from surfaces import CriticalPoint, Surface
from surfaces.base import Point
from surfaces.hessian import (
    ZERO_TOL,
    Scales,
    classify,
    minimum_ratio,
    scales,
    zero_eigenvalues,
)
from surfaces.points import Floors, floors, home_point, nearest, place, snap, spans, which
from surfaces.taylor import (
    TaylorModel,
    direction_at,
    escape,
    is_stationary,
    left_at,
    predicted_stall,
    profile,
    taylor_model,
)
from ui import url
from ui.cache import (
    cached_critical_points,
    frozen_figure,
    run_simulations,
    surface_background,
    surface_from_spec,
)
from ui.controls import choice, log_slider, number_input, slider, surface_picker
from ui.critical_notes import search_note
from ui.export import export_menu
from ui.format import latex_matrix, latex_number, number
from ui.layout import chart, share_box
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec, SurfaceSpec
from ui.verdicts import words
from viz import step_curves_figure, trajectory_figure
from viz.export import GifPanel
from viz.hessian import critical_map_figure, kind_name, profile_figure, taylor_figure

CHART = "cp_chart"
OTHER = -1  # the list's entry for a point that is not a listed critical point
MAX_LISTED = 24  # longer lists (Ackley's 441 points) hold the points nearest the chosen one
NEAR = 1e-3  # share of the domain within which a critical point is the listed one
PICK_GRID = 25  # the map's invisible click grid: a click this close to a point snaps to it
RESET = ("cp_x", "cp_y", "cp_pick", "cp_step")  # what follows a newly chosen surface

PRESETS = {
    N_("Toy network: the saddle at the origin"): Preset(
        N_("L = (1 − w₁w₂)² at w = 0: H = [[0, −2], [−2, 0]], eigenvalues −2 and 2. A step "
           "‖u‖ = 0.5 along u = (1, 1)/√2 lowers the loss by 0.25 in the quadratic model "
           "(½λ‖u‖² = −0.25) and by 0.234 in truth; the slice at 135° looks like a minimum, yet "
           "the point is a saddle."),
        {"cp_surface": "toy_network", "cp_x": 0.0, "cp_y": 0.0, "cp_angle": 135},
    ),
    N_("Toy network: the valley of minima"): Preset(
        N_("Every point of the hyperbola w₁w₂ = 1 is a minimum with eigenvalues 0 and "
           "2(w₁² + w₂²), here at (1, 1) 0 and 4: flat along the valley (the slice at 135° runs "
           "along it, dᵀHd = 0), so the second-order test alone cannot decide."),
        {"cp_surface": "toy_network", "cp_x": 1.0, "cp_y": 1.0, "cp_angle": 135},
    ),
    N_("Himmelblau: the one maximum"): Preset(
        N_("Himmelblau's only maximum, (−0.270845, −0.923039) with L = 181.6165: both "
           "eigenvalues negative, every direction leads down (minimum ratio 0)."),
        {"cp_surface": "himmelblau", "cp_x": -0.27084459067, "cp_y": -0.92303855648},
    ),
    N_("Six-hump camel: a saddle between minima"): Preset(
        N_("The origin is a saddle between the two global minima ±(0.089842, −0.712656), "
           "L = −1.031628. The slice at 90° looks like a maximum: along it the loss falls to "
           "about −1 on either side."),
        {"cp_surface": "six_hump_camel", "cp_x": 0.0, "cp_y": 0.0, "cp_angle": 90},
    ),
    N_("Monkey saddle: the test is inconclusive"): Preset(
        N_("x³ − 3xy² has H = 0 at the origin: the quadratic model is flat, the cubic term "
           "decides. The loss goes down along three directions (60°, 180° and 300°: turn the "
           "slice)."),
        {"cp_surface": "monkey_saddle", "cp_x": 0.0, "cp_y": 0.0, "cp_angle": 0},
    ),
    N_("Ackley: a kink at the minimum"): Preset(
        N_("Ackley's global minimum is the tip of a cone: no gradient, no Hessian, no Taylor "
           "model. The loss rises linearly in every direction. Gradient descent started exactly "
           "on it cannot take a first step; started 0.001 off it, it never settles but keeps "
           "bouncing around the tip, since a cone's gradient does not shrink near it."),
        {"cp_surface": "ackley", "cp_x": 0.0, "cp_y": 0.0, "cp_zoom": 0.1},
    ),
}  # fmt: skip
VERDICTS = {
    "minimum": N_("**Local minimum**: every eigenvalue is positive; the loss rises every way."),
    "maximum": N_("**Local maximum**: every eigenvalue is negative; the loss falls every way."),
    "saddle": N_("**Saddle point**: eigenvalues of both signs. The loss rises along one "
                 "eigenvector and falls along the other, so training that stalls here is not "
                 "stuck for good."),
    "degenerate": N_("**Degenerate: the second-order test is inconclusive.** An eigenvalue is 0 "
                     "(to within the tolerance), so the quadratic term says nothing along its "
                     "eigenvector; higher-order terms decide."),
}  # fmt: skip
VALLEY_VERDICTS = {
    "minimum": N_("**On a valley of minima**: the loss is the same all along the valley, so one "
                  "eigenvalue is 0 (its eigenvector is tangent to the valley) and the test "
                  "alone is inconclusive; the other eigenvalue is positive: the loss rises "
                  "across the valley. Every point of it is a minimum, though not a strict one."),
    "maximum": N_("**On a ridge of maxima**: the loss is the same all along the ridge, so one "
                  "eigenvalue is 0 and the test alone is inconclusive; the other is negative: "
                  "the loss falls across it. Every point of it is a maximum, not a strict one."),
}  # fmt: skip
COUNTS = {  # how many of a kind, singular and plural
    "minimum": (N_("{n} minimum"), N_("{n} minima")),
    "saddle": (N_("{n} saddle"), N_("{n} saddles")),
    "maximum": (N_("{n} maximum"), N_("{n} maxima")),
    "degenerate": (N_("{n} degenerate point"), N_("{n} degenerate points")),
    "valley": (N_("{n} valley (a curve of critical points)"),
               N_("{n} valleys (curves of critical points)")),
    "kink": (N_("{n} minimum at a kink"), N_("{n} minima at kinks")),
}  # fmt: skip
UNIT_NOISE = 1e-12  # below this, a component of a unit vector (or an angle) is rounding noise
SIGNS = {"+": N_("> 0"), "-": N_("< 0"), "0": N_("0 (flat)")}


class Here(NamedTuple):
    """The chosen point and what every section reads there."""

    surface: Surface
    spec: SurfaceSpec
    points: list[CriticalPoint]
    model: TaylorModel
    scale: Scales
    floors: Floors
    index: int | None  # the listed point or valley the chosen point is, if any

    @property
    def point(self) -> Point:
        return float(self.model.center[0]), float(self.model.center[1])

    @property
    def listed(self) -> CriticalPoint | None:
        return None if self.index is None else self.points[self.index]

    @property
    def on_valley(self) -> bool:
        return self.listed is not None and not self.listed.isolated

    @property
    def zero(self) -> np.ndarray:
        return zero_eigenvalues(self.model.eigenvalues, self.scale)

    @property
    def stationary(self) -> bool:
        return is_stationary(self.model, self.scale)

    def verdict(self) -> str:
        """The second-order test at the point (on a valley, by its nonzero eigenvalue)."""
        return classify(self.model.eigenvalues, self.scale, valley=self.on_valley)


def look(spec: SurfaceSpec, point: Point) -> Here:
    """What the page reads at ``point``: the Taylor model and which listed point it is, if any
    (only a critical point is: the gradient decides, the distance only says which)."""
    surface, points = surface_from_spec(spec), cached_critical_points(spec)
    model, scale = taylor_model(surface, point), scales(surface)
    critical = not model.smooth or is_stationary(model, scale)
    index = which(points, point, NEAR * min(spans(surface))) if critical else None
    return Here(surface, spec, points, model, scale, floors(surface), index)


# ---- Figures, built once per link and language (a class opening one link shares them) -------


@frozen_figure
def map_chart(spec: SurfaceSpec, point: Point) -> go.Figure:
    here = look(spec, point)
    return critical_map_figure(
        here.surface, here.points, here.model, zero=here.zero,
        background=surface_background(spec),
        title=_("Critical points (click anywhere to choose a point)"),
    )  # fmt: skip


@frozen_figure
def window_chart(spec: SurfaceSpec, point: Point, zoom: float) -> go.Figure:
    here = look(spec, point)
    width, height = spans(here.surface)
    return taylor_figure(here.surface, here.model, (zoom * width, zoom * height))


@frozen_figure
def line_chart(
    spec: SurfaceSpec, point: Point, direction: Point, mark: float | None, title: str, xlabel: str
) -> go.Figure:
    """The loss and the quadratic model along ``direction`` through the point, out to a quarter
    of the domain each way, or to 1.25 times ``mark`` (a step taken along it) if that is longer."""
    here = look(spec, point)
    direction = np.asarray(direction)
    radius = float(1.0 / np.linalg.norm(direction / (0.25 * np.array(spans(here.surface)))))
    line = profile(here.surface, here.model, direction, max(radius, 1.25 * (mark or 0.0)))
    return profile_figure(line, title=title, xlabel=xlabel, mark=mark)


class Descent(NamedTuple):
    """Gradient descent from the chosen point and from a nudge off it, as plain values."""

    spec: SurfaceSpec
    point: Point
    starts: tuple[Point, Point]
    lr: float
    steps: int
    names: tuple[str, str]

    def simulate(self) -> list[tuple[str, Trajectory]]:
        runs = run_simulations(self.spec, (RunSpec("sgd", self.lr),) * 2, self.starts, self.steps)
        return list(zip(self.names, runs, strict=True))


@frozen_figure
def descent_paths(descent: Descent) -> go.Figure:
    return trajectory_figure(surface_from_spec(descent.spec), descent.simulate(),
                             background=surface_background(descent.spec))  # fmt: skip


@frozen_figure
def descent_curves(descent: Descent) -> go.Figure:
    """Each run's loss and distance from the point, per step."""
    labelled, point = descent.simulate(), descent.point
    return step_curves_figure(
        [(_("loss"), [(name, run.losses) for name, run in labelled]),
         (_("distance from the point"),
          [(name, np.hypot(*(run.points - point).T)) for name, run in labelled])],
        height=560, stacked=True,
    )  # fmt: skip


# ---- Sections -----------------------------------------------------------------------------------


def page() -> None:
    st.title(_("⛰️ Critical points: local minimum or saddle point?"))
    preset_note(PRESETS)
    surface, spec = sidebar()
    st.latex(surface.latex)
    st.markdown(
        _(r"Near a point $\theta'$, $L(\theta) \approx L(\theta') + (\theta-\theta')^\top g + "
          r"\tfrac12(\theta-\theta')^\top H(\theta-\theta')$. At a critical point $g = 0$, and "
          r"the Hessian $H$ decides: all eigenvalues $> 0$, local minimum; all $< 0$, local "
          r"maximum; mixed signs, saddle point; a zero eigenvalue, the test is inconclusive.")
    )  # fmt: skip
    points = cached_critical_points(spec)
    if not points.complete:
        st.warning(search_note(points, _), icon="⏱️")
    here = chooser(surface, spec, points)
    overview(here)
    every_point(here)
    taylor_window(here)
    slice_through(here)
    way_out(here)
    descent(here)
    share_box()


def sidebar() -> tuple[Surface, SurfaceSpec]:
    with st.sidebar:
        st.subheader(_("Surface"))
        surface, spec = surface_picker("cp_surface", default="toy_network", reset=RESET)
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    return surface, spec


def plural(n: int, kind: str) -> str:
    one, many = COUNTS[kind]
    return _(one if n == 1 else many).format(n=n)


def group(cp: CriticalPoint) -> str:
    return "kink" if not cp.smooth else cp.kind if cp.isolated else "valley"


def summary(points: list[CriticalPoint]) -> str:
    """ "4 minima, 4 saddles, 1 maximum", in the list's order of kinds."""
    groups = [group(cp) for cp in points]
    return ", ".join(plural(groups.count(g), g) for g in dict.fromkeys(groups))


def choose_listed(places: dict[int, Point]) -> None:
    """Choosing a listed point moves the chosen point there (the list then follows it)."""
    if (picked := st.session_state["cp_pick"]) in places:
        url.assign("cp_x", places[picked][0])
        url.assign("cp_y", places[picked][1])


def pick_point(spec: SurfaceSpec) -> None:
    """A click chooses that point, snapped to a critical point less than a grid cell away."""
    clicked = st.session_state[CHART].selection.points
    if not clicked:
        return
    surface, points = surface_from_spec(spec), cached_critical_points(spec)
    x, y = float(clicked[0]["x"]), float(clicked[0]["y"])
    index = which(points, (x, y), min(spans(surface)) / PICK_GRID)
    if index is not None:
        x, y = snap(points[index], (x, y), surface)
    else:  # a point of the pick grid: keep the link short
        x, y = float(f"{x:.4g}"), float(f"{y:.4g}")
    url.assign("cp_x", x)
    url.assign("cp_y", y)


def chooser(surface: Surface, spec: SurfaceSpec, points: list[CriticalPoint]) -> Here:
    """The chosen point, typed or from the list (a click on the map or a link sets it too).

    The list shows the critical point the chosen point is, however it was chosen: its option
    is computed from the point, and a choice from it moves the point.
    """
    pick_column, *columns = st.columns([3, 1, 1])
    point = []
    for axis, column, (low, high), default in zip(
        (0, 1), columns, surface.domain, home_point(points, surface), strict=True
    ):
        with column:
            point.append(float(number_input(
                _(surface.axis_labels[axis]), f"cp_{'xy'[axis]}", float(low), float(high),
                float(default), step=float(10.0 ** math.floor(math.log10((high - low) / 50))),
                format="%.6g",
            )))  # fmt: skip
    here = look(spec, (point[0], point[1]))
    shown = nearest(points, here.point, MAX_LISTED)
    places = {i: place(points[i], surface) for i in shown}

    def label(i: int) -> str:
        if i == OTHER:
            return _("— another point (clicked or typed)")
        x, y = places[i]
        return _("{n}. {kind} ({x}, {y})").format(
            n=i + 1, kind=kind_name(points[i]), x=number(x), y=number(y)
        )

    with pick_column:
        choice(
            _("Critical point"), "cp_pick", ([OTHER] if here.index is None else []) + shown,
            OTHER if here.index is None else here.index, labels=label,
            on_change=choose_listed, args=(places,),
        )  # fmt: skip
    if len(points) > len(shown):
        st.caption(
            _("{found} in the domain; the list holds the {shown} nearest to the chosen point. "
              "Click the map or type coordinates to reach any other.").format(
                found=summary(points), shown=len(shown))
        )  # fmt: skip
    return here


def overview(here: Here) -> None:
    """The map of every critical point beside the verdict and the numbers at the chosen point."""
    map_column, readout_column = st.columns([3, 2])
    with map_column:
        chart(map_chart(here.spec, here.point), key=CHART, selection_mode="points",
              on_select=functools.partial(pick_point, here.spec))  # fmt: skip
        st.caption(
            _("● minimum ✕ saddle ▲ maximum ■ degenerate ┈ valley of minima ★ kink. Arrows: the "
              "Hessian's eigenvectors at the chosen point, length ∝ |eigenvalue| (with a short "
              "minimum, so every direction shows; dashed: zero curvature), red where the loss "
              "curves down. Click near a critical point to snap to it.")
        )  # fmt: skip
    with readout_column:
        x, y = here.point
        st.subheader(_("At ({x}, {y})").format(x=number(x), y=number(y)))
        verdict(here)
        if here.model.smooth:
            curvature(here)


def verdict(here: Here) -> None:
    """The verdict at the chosen point, in the lecture's words: one verdict per point."""
    model = here.model
    if not model.smooth:
        lines = [
            _(
                "**No gradient, no Hessian here.** The surface has a kink at this point, so "
                "the Taylor expansion and the second-order test do not apply."
            )
        ]
        if here.listed is not None and not here.listed.smooth:
            lines.append(
                _(
                    "It is a minimum all the same: the loss rises in every direction, "
                    "linearly, not quadratically (see the slice below)."
                )
            )
        st.info(" ".join(lines), icon="📌")
        return
    gradient = float(np.linalg.norm(model.gradient))
    if not here.stationary:
        st.info(
            _("**Not a critical point**: ‖g‖ = {norm}. The first-order term gᵀ(θ − θ') "
              "dominates, and gradient descent simply moves on. The Hessian still describes the "
              "curvature here, but it gives no verdict.").format(norm=number(gradient)),
            icon="➡️",
        )  # fmt: skip
        return
    kind = here.verdict()
    valley = here.on_valley and kind in VALLEY_VERDICTS
    st.markdown(_(VALLEY_VERDICTS[kind] if valley else VERDICTS[kind]))
    if gradient > here.floors.gradient:
        st.caption(
            _("‖g‖ = {norm} counts as 0: below {tolerance} of this surface's typical gradient "
              "norm ({typical}).").format(norm=number(gradient), tolerance=number(ZERO_TOL),
                                          typical=number(here.scale.gradient))
        )  # fmt: skip


def curvature(here: Here) -> None:
    """L, g and H at the point, the eigen-decomposition and the minimum ratio."""
    model, low = here.model, here.floors
    st.latex(
        rf"L = {latex_number(model.value, 7, zero_below=low.loss)},\quad "
        rf"g = {latex_matrix(model.gradient[:, None], zero_below=low.gradient)}"
    )
    st.latex(rf"H = {latex_matrix(model.hessian, zero_below=low.curvature)}")
    labels = [label.split(" (")[0] for label in here.surface.axis_labels]  # "w₁ (centre)": w₁
    signs = ["0" if flat else "+" if value > 0 else "-"
             for value, flat in zip(model.eigenvalues, here.zero, strict=True)]  # fmt: skip
    vectors = model.eigenvectors
    angles = np.degrees(np.arctan2(vectors[1], vectors[0])) % 180
    st.dataframe(
        pd.DataFrame({
            "λ": [number(v, zero_below=low.curvature) for v in model.eigenvalues],
            _("counts as"): [_(SIGNS[s]) for s in signs],
            f"u ({labels[0]})": [number(v, zero_below=UNIT_NOISE) for v in vectors[0]],
            f"u ({labels[1]})": [number(v, zero_below=UNIT_NOISE) for v in vectors[1]],
            _("angle °"): [number(a, 3, zero_below=UNIT_NOISE) for a in angles],
        }),
        hide_index=True,
    )  # fmt: skip
    ratio = minimum_ratio(model.eigenvalues, here.scale)
    st.metric(_("minimum ratio"), number(ratio, 2),
              help=_("positive eigenvalues / all eigenvalues"))  # fmt: skip
    lines = [_("Positive eigenvalues: {k} of {n}.").format(k=signs.count("+"), n=len(signs))]
    if here.zero.any():
        lines.append(_("A zero eigenvalue is flat to second order, so here the ratio cannot "
                       "tell a minimum from a saddle on its own."))  # fmt: skip
    if not here.stationary:
        lines.append(_("This is not a critical point, so the ratio only describes the "
                       "curvature."))  # fmt: skip
    lines.append(_("The lecture found networks trained to convergence stopping at points with a "
                   "minimum ratio mostly around 0.5–0.6: true local minima (ratio 1) are rare, "
                   "most stalls are saddle-like, with a way down left."))  # fmt: skip
    st.markdown(" ".join(lines))


def every_point(here: Here) -> None:
    """Every critical point found, with its value and eigenvalues, as a table."""
    points, low = here.points, here.floors
    if not points:
        st.info(_("No critical point was found in the domain."), icon="🔍")
        return
    with st.expander(_("Every critical point found: {summary}").format(summary=summary(points))):
        rows = []
        for cp in points:
            x, y = place(cp, here.surface)
            eigenvalues = [number(v, 6, zero_below=low.curvature) for v in cp.eigenvalues]
            rows.append({
                _("kind"): kind_name(cp), "x": number(x, 6), "y": number(y, 6),
                _("loss"): number(cp.value, 7, zero_below=low.loss),
                "λ₁": eigenvalues[0], "λ₂": eigenvalues[1],
            })  # fmt: skip
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        if not all(cp.isolated for cp in points):
            st.caption(_("A valley's x and y are its middle point."))


@url.fragment
def taylor_window(here: Here) -> None:
    """The true loss beside the quadratic model, on a window the reader sizes."""
    st.header(_("Where the quadratic picture holds"))
    zoom = slider(_("window: share of the domain on each side of the point"), "cp_zoom",
                  0.02, 0.5, 0.25, 0.01)  # fmt: skip
    chart(window_chart(here.spec, here.point, float(zoom)))
    st.caption(_("Same contour levels in both panels: where they differ, the terms beyond second "
                 "order matter."))  # fmt: skip


@url.fragment
def slice_through(here: Here) -> None:
    """A 1-D slice through the point: a saddle looks like a minimum along one direction."""
    st.header(_("A 1-D slice: the same point from different directions"))
    angle = slider(_("direction of the slice (degrees from the first axis)"), "cp_angle",
                   0, 180, 135, 5)  # fmt: skip
    direction = direction_at(angle)
    title = _("Loss along the direction at {angle}° through the point").format(angle=angle)
    chart(line_chart(here.spec, here.point, (float(direction[0]), float(direction[1])), None, title,
                     _("t: distance from the point along the direction")))  # fmt: skip
    if not here.model.smooth:
        return
    # The slice's own second-order test: dᵀHd is its curvature, read with the same tolerance.
    bend = float(direction @ here.model.hessian @ direction)
    looks = classify(np.array([bend]), here.scale)
    words = {"minimum": _("curves up"), "maximum": _("curves down"),
             "degenerate": _("is flat to second order")}[looks]  # fmt: skip
    lines = [
        _("Curvature along this direction: dᵀHd = **{value}**, so this slice **{words}**.").format(
            value=number(bend, zero_below=here.floors.curvature), words=words
        )
    ]
    if here.stationary and looks != "degenerate":
        lines.append(_("At this critical point the slice looks like a **{kind}**.").format(
            kind=_("minimum") if looks == "minimum" else _("maximum")))  # fmt: skip
    lines.append(
        _(
            "A saddle looks like a minimum along one eigenvector and like a maximum along "
            "the other: what looks like a minimum in 1-D can be a saddle in 2-D."
        )
    )
    st.markdown(" ".join(lines))


@url.fragment
def way_out(here: Here) -> None:
    """Along the eigenvector of a negative eigenvalue the loss falls: predicted and actual."""
    st.header(_("The way out of a saddle"))
    model = here.model
    if not model.smooth:
        st.info(_("At a kink there are no eigenvectors to follow."), icon="🧭")
        return
    if not (model.eigenvalues[0] < 0 and not here.zero[0]):
        st.info(
            _("No direction of negative curvature here (λ₁ ≥ 0, or 0 within tolerance): the "
              "quadratic model predicts no way down. At a degenerate point the higher-order terms "
              "may still have one (the monkey saddle falls along three directions): try the "
              "slice above."),
            icon="🧭",
        )  # fmt: skip
        return
    shortest = min(spans(here.surface))
    distance = slider(
        _("step length ‖u‖ along the escape direction"), "cp_step", 0.0,
        float(f"{0.5 * shortest:.2g}"), float(f"{0.125 * shortest:.2g}"),
        float(10.0 ** math.floor(math.log10(shortest / 400))),
    )  # fmt: skip
    out = escape(here.surface, model, distance)
    formula = r"$L(\theta' + u) \approx L(\theta') + \tfrac12\lambda\|u\|^2$"
    if not here.stationary:
        formula = r"$L(\theta' + u) \approx L(\theta') + g^\top u + \tfrac12\lambda\|u\|^2$"
    st.markdown(
        _("Escape direction u = ({u1}, {u2}): the eigenvector of λ₁ = {value} (its negative works "
          "just as well at a critical point). Moving along it, {formula}.").format(
            u1=number(out.direction[0], zero_below=UNIT_NOISE),
            u2=number(out.direction[1], zero_below=UNIT_NOISE),
            value=number(out.eigenvalue), formula=formula)
    )  # fmt: skip
    low = here.floors.loss
    predicted, actual, gap = st.columns(3)
    predicted.metric(_("predicted change ½λ‖u‖²") if here.stationary
                     else _("predicted change gᵀu + ½λ‖u‖²"),
                     number(out.predicted, zero_below=low))  # fmt: skip
    actual.metric(_("actual change L(θ′+u) − L(θ′)"), number(out.actual, zero_below=low))
    gap.metric(_("actual − predicted (higher-order terms)"),
               number(out.actual - out.predicted, zero_below=low))  # fmt: skip
    chart(line_chart(here.spec, here.point, (float(out.direction[0]), float(out.direction[1])),
                     float(distance),
                     _("Loss along the escape direction u"), _("t: distance along u")))  # fmt: skip


def status(run: Trajectory, left: int | None, radius: float, steps: int) -> str:
    """How a run went, in words: a kink, a divergence (ui.verdicts), or when it left the
    neighbourhood."""
    found = run_verdict(run)
    if found.code in (UNDEFINED, DIVERGED):
        return words(found)
    if left is not None:
        return _("left the neighbourhood (distance > {radius}) at step **{step}**").format(
            radius=number(radius), step=left)  # fmt: skip
    return _("still within {radius} after {steps} steps").format(radius=number(radius),
                                                                 steps=steps)  # fmt: skip


@url.fragment
def descent(here: Here) -> None:
    """Gradient descent started exactly on the point and a little off it."""
    st.header(_("Gradient descent from exactly on the point, and from just off it"))
    lr_column, steps_column, offset_column = st.columns(3)
    with lr_column:
        lr = float(log_slider(_("learning rate η"), "cp_lr", low=1e-4, high=1.0, default=0.05))
    with steps_column:
        steps = int(slider(_("steps"), "cp_steps", 10, 2000, 200, 10))
    with offset_column:
        offset = log_slider(_("offset ε of the second start"), "cp_offset", low=1e-8, high=0.1,
                            default=1e-3, per_decade=(1,))  # fmt: skip
    model, point = here.model, here.point
    # Off along both eigenvectors at once: a generic nudge, not one aimed at the way out.
    nudge = offset * (model.eigenvectors if model.smooth else np.eye(2)).sum(axis=1) / math.sqrt(2)
    starts = (point, (point[0] + float(nudge[0]), point[1] + float(nudge[1])))
    names = (_("exactly on the point"), _("ε = {offset} off").format(offset=number(offset, 6)))
    runs = Descent(here.spec, point, starts, lr, steps, names)
    path_column, curves_column = st.columns([3, 2])
    figure = descent_paths(runs)
    chart(figure, where=path_column)
    chart(descent_curves(runs), where=curves_column)
    with path_column:
        image = surface_background(here.spec)[0]
        panel = GifPanel(_(here.surface.title), image, here.surface.domain, runs.simulate())
        export_menu("critical-point-descent", figure, [panel],
                    axis_labels=here.surface.axis_labels)  # fmt: skip
    radius = 0.05 * min(spans(here.surface))
    st.markdown("\n".join(
        f"- **{name}**: " + status(run, left_at(run.points, model.center, radius), radius, steps)
        for name, run in runs.simulate()
    ))  # fmt: skip
    lowest = float(model.eigenvalues[0])
    along = abs(float(nudge @ model.eigenvectors[:, 0])) if model.smooth else 0.0
    expected = predicted_stall(lowest, lr, along, radius)
    if expected is not None and here.stationary and not here.zero[0]:
        st.markdown(
            _("At a critical point g = 0, so gradient descent from exactly on it does not move "
              "(a numerically found point moves only by its rounding error). Off it, the "
              "component along the escape direction grows by 1 − ηλ₁ = {growth} per step: the "
              "quadratic model predicts about **{steps}** steps to get {radius} away.").format(
                growth=number(1 - lr * lowest), steps=f"{expected:.0f}", radius=number(radius))
        )  # fmt: skip


if __name__ == "__main__":
    page()
