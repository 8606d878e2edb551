"""Figures for LECTURE.md part 2: runs at one step over a surface, the surface of one minibatch,
batch sizes compared, a 1-D cut, a momentum step taken apart and the weights momentum gives past
gradients.

Every view of a section shows the same step t (the page's one step control): a point θᵗ and the
update t that leaves it, θᵗ → θᵗ⁺¹. Runs that sit on the same spot stay visible: their markers
differ in shape and size (a ring around a dot), their paths in dash. Pure: data in, plotly figures
(or arrays) out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import plotly.graph_objects as go

from i18n import _
from viz.background import Domain, grid
from viz.theme import base_layout, log_axis, run_color, run_dash, tick_text
from viz.trajectory import PathLike, SurfaceLike, background_image

GRADIENT_COLOR = "#ff4b4b"
CARRIED_COLOR = "#00c0f2"
TOTAL_COLOR = "#ffffff"
MAX_BARS = 60
# Marker per run: a dot, a ring wide enough to hold it, a small diamond (fits in the ring too).
RUN_MARKERS = (
    dict(symbol="circle", size=10),
    dict(symbol="circle-open", size=24, line=dict(width=3)),
    dict(symbol="diamond", size=9),
)
# A part of a step shorter than this share of the close-up's width gets no arrowhead: the head
# would be longer than the part and hide the others.
HEADLESS = 0.08


class StepParts(NamedTuple):
    """One update θ_{t+1} = θ_t + carried + gradient, each part a 2-vector."""

    origin: np.ndarray  # θ_t
    gradient: np.ndarray  # −η_t g_t
    carried: np.ndarray  # λ m_t: the previous movement kept (torch form: −η_t μ b_t)
    total: np.ndarray  # θ_{t+1} − θ_t


class BatchedPath(PathLike, Protocol):
    batches: np.ndarray | None


class _View(NamedTuple):
    """A surface-like window: any loss function over a domain, for ``background_image``."""

    domain: Domain
    axis_labels: tuple[str, str]
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]


def step_parts(points: np.ndarray, grads: np.ndarray, lrs: np.ndarray, step: int) -> StepParts:
    """Split update ``step`` into the gradient part −η_t g_t and what momentum carried over.

    ``grads`` are the gradients the optimizer used (the full surface's for a full batch). The
    carried part is the rest of the movement, so the parts add up exactly in either convention:
    lecture m^{t+1} = λm^t − η_t g^t gives carried = λm^t; torch's θ ← θ − η_t(μb + g) gives
    carried = −η_t μ b.
    """
    t = int(np.clip(step, 0, len(points) - 2))
    origin = np.asarray(points[t], dtype=float)
    total = np.asarray(points[t + 1], dtype=float) - origin
    gradient = -float(lrs[t]) * np.asarray(grads[t], dtype=float)
    return StepParts(origin, gradient, total - gradient, total)


def past_gradient_weights(
    lrs: np.ndarray, momentum: float, step: int, convention: str
) -> np.ndarray:
    """Weight of g_{t−k} (k = 0 … t) in the movement θ_{t+1} − θ_t = −Σ_k w_k g_{t−k}.

    Lecture form (m ← λm − ηg): w_k = λᵏ η_{t−k}, each gradient keeps the rate of its own step.
    PyTorch form (b ← μb + g, θ ← θ − ηb): w_k = μᵏ η_t, the whole sum takes today's rate.
    Equal at a constant η.
    """
    t = int(np.clip(step, 0, len(lrs) - 1))
    powers = momentum ** np.arange(t + 1, dtype=float)
    if convention == "lecture":
        return powers * np.asarray(lrs, dtype=float)[t::-1]
    return powers * float(lrs[t])


def gaps(a: PathLike, b: PathLike) -> np.ndarray:
    """Distance between two paths at every step both have: ‖θ_a^t − θ_b^t‖."""
    n = min(len(a.points), len(b.points))
    diff = np.asarray(a.points[:n], dtype=float) - np.asarray(b.points[:n], dtype=float)
    return np.hypot(diff[:, 0], diff[:, 1])


def path_gap(a: PathLike, b: PathLike) -> float:
    """Largest distance between two paths over the steps both have."""
    return float(np.max(gaps(a, b)))


# ---- Runs over a surface ---------------------------------------------------------------------


def _image_layout(image: dict, domain: Domain, labels: tuple[str, str]) -> dict:
    """The layout part of a view over a surface: its image under axes fitted to the domain."""
    (x0, x1), (y0, y1) = domain
    axis = dict(showgrid=False, zeroline=False)
    return dict(
        images=[image],
        xaxis=axis | dict(range=[x0, x1], title=_(labels[0])),
        yaxis=axis | dict(range=[y0, y1], title=_(labels[1])),
    )


def _marker(index: int) -> dict:
    style = RUN_MARKERS[index % len(RUN_MARKERS)]
    line = style.get("line", dict(color="black", width=1.5))
    return style | dict(color=run_color(index), line=line)


def _at(run: PathLike, step: int) -> np.ndarray:
    points = np.asarray(run.points, dtype=float)
    return points[int(np.clip(step, 0, len(points) - 1))]


def _minima(minima: Sequence[tuple[float, float]], name: str) -> list[dict]:
    if not minima:
        return []
    mx, my = np.asarray(minima, dtype=float).reshape(-1, 2).T
    return [dict(
        type="scatter", x=mx, y=my, mode="markers", name=name, meta=dict(role="minima"),
        marker=dict(symbol="star", size=11, color="white", line=dict(color="black", width=1)),
        hovertemplate=_("minimum") + " (%{x:.4g}, %{y:.4g})<extra></extra>",
    )]  # fmt: skip


def paths_at_step_figure(
    surface: SurfaceLike,
    runs: Sequence[tuple[str, PathLike]],
    step: int,
    *,
    title: str,
    background: tuple[dict, object] | None = None,
    minima: Sequence[tuple[float, float]] = (),
    extra: Sequence[dict] = (),
    recent: int | None = None,
    height: int = 480,
) -> go.Figure:
    """Every run over the surface as it stands at ``step``: its whole path faint, the path so far
    bright (only its last ``recent`` steps, if given: a noisy path would cover the view), a marker
    at θ^step. Trace roles (``meta``): "path", "so far", "marker", "minima"."""
    image, _scale = background or background_image(surface)
    traces = []
    for index, (name, run) in enumerate(runs):
        points = np.asarray(run.points, dtype=float)
        shown = int(np.clip(step, 0, len(points) - 1))
        first = 0 if recent is None else max(0, shown - recent)
        style = dict(color=run_color(index), dash=run_dash(index))
        common = dict(type="scatter", mode="lines", name=name, showlegend=False, hoverinfo="skip")
        traces += [
            common | dict(x=points[:, 0], y=points[:, 1], line=style | dict(width=1),
                          opacity=0.35, meta=dict(role="path", run=index)),
            common | dict(x=points[first : shown + 1, 0], y=points[first : shown + 1, 1],
                          line=style | dict(width=2.5), meta=dict(role="so far", run=index)),
        ]  # fmt: skip
    traces += _minima(minima, _("known minima")) + list(extra)
    for index, (name, run) in enumerate(runs):
        x, y = _at(run, step)
        traces.append(dict(
            type="scatter", x=[x], y=[y], mode="markers", name=name, marker=_marker(index),
            meta=dict(role="marker", run=index),
            hovertemplate=f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        ))  # fmt: skip
    layout = base_layout(height, title=title) | _image_layout(image, surface.domain,
                                                              surface.axis_labels)  # fmt: skip
    return go.Figure(data=traces, layout=layout)


def epoch_marks(run: PathLike, per_epoch: int) -> dict:
    """Markers at the end of every epoch of a run, for ``paths_at_step_figure(extra=...)``."""
    points = np.asarray(run.points, dtype=float)[per_epoch::per_epoch]
    return dict(
        type="scatter", x=points[:, 0], y=points[:, 1], mode="markers", name=_("end of an epoch"),
        marker=dict(symbol="diamond-open", size=8, color="white"), meta=dict(role="epochs"),
        hovertemplate=_("end of epoch") + " %{customdata}<extra></extra>",
        customdata=np.arange(1, len(points) + 1),
    )  # fmt: skip


def minibatch_figure(
    surface: SurfaceLike,
    batch_loss: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    run: BatchedPath,
    step: int,
    *,
    minima: Sequence[tuple[float, float]] = (),
    background: tuple[dict, object] | None = None,
    recent: int | None = None,
    height: int = 480,
) -> go.Figure:
    """The loss of the minibatch used by update ``step`` (the full loss when the run has no
    batches; ``background`` is then its image, if the caller has it), with the iterate θ_t, the
    step it took on that surface and the path so far (its last ``recent`` steps, if given)."""
    points = np.asarray(run.points, dtype=float)
    t = int(np.clip(step, 0, len(points) - 2))
    first = 0 if recent is None else max(0, t - recent)
    if run.batches is None:
        title = _("Full-batch surface at step {t}").format(t=t)
        image, _scale = background or background_image(surface, resolution=200)
    else:
        idx = np.asarray(run.batches[t])
        title = _("Minibatch surface at step {t}: samples {samples}").format(
            t=t, samples=_short(idx)
        )
        view = _View(surface.domain, surface.axis_labels, lambda x, y: batch_loss(x, y, idx))
        image, _scale = background_image(view, resolution=200)
    traces = [dict(
        type="scatter", x=points[first : t + 1, 0], y=points[first : t + 1, 1], mode="lines",
        name=_("path so far"), line=dict(color="rgba(255,255,255,0.45)", width=1.5),
        hoverinfo="skip", meta=dict(role="so far"),
    )]  # fmt: skip
    traces += _minima(minima, _("full-batch minima"))
    arrow, heads = _arrow(points[t], points[t + 1] - points[t], GRADIENT_COLOR, _("this step"),
                          "step")  # fmt: skip
    traces += [arrow, dict(
        type="scatter", x=[points[t, 0]], y=[points[t, 1]], mode="markers",
        meta=dict(role="marker"), name=_("θ at step {t}").format(t=t), marker=_marker(0),
    )]  # fmt: skip
    layout = base_layout(height, title=title) | _image_layout(image, surface.domain,
                                                              surface.axis_labels)  # fmt: skip
    return go.Figure(data=traces, layout=layout | dict(annotations=heads))


def _short(idx: np.ndarray, most: int = 8) -> str:
    shown = ", ".join(str(int(i)) for i in idx[:most])
    return f"[{shown}{', …' if len(idx) > most else ''}]"


def batch_comparison_figure(
    runs: Sequence[tuple[str, np.ndarray, int]], *, height: int = 340, gap: float = 0.08
) -> go.Figure:
    """The full-batch loss against updates (log axis: from update 1) and against epochs, one line
    per batch size. ``runs`` holds (label, loss per point, updates per epoch)."""
    width = (1 - gap) / 2
    every = np.concatenate([np.asarray(losses, dtype=float) for _, losses, _ in runs])
    updates = np.arange(1, max(len(losses) for _, losses, _ in runs))
    layout = dict(
        xaxis=log_axis(updates) | dict(domain=[0, width], title=_("updates (log scale)")),
        xaxis2=dict(domain=[width + gap, 1], anchor="y2", title=_("epochs")),
        yaxis=log_axis(every) | dict(title=_("full-batch loss")),
        yaxis2=log_axis(every) | dict(anchor="x2", matches="y"),
        annotations=[
            dict(text=text, x=x, y=1.0, xref="paper", yref="paper", xanchor="center",
                 yanchor="bottom", showarrow=False, font=dict(size=15))
            for text, x in ((_("loss vs updates"), width / 2),
                            (_("loss vs epochs (the same data seen)"), 1 - width / 2))
        ],
    )  # fmt: skip
    traces = []
    for index, (label, losses, per_epoch) in enumerate(runs):
        losses = np.asarray(losses, dtype=float)
        steps = np.arange(len(losses))
        style = dict(color=run_color(index), dash=run_dash(index))
        for role, x, y, axes in (
            ("by update", steps[1:], losses[1:], ("x", "y")),
            ("by epoch", steps / per_epoch, losses, ("x2", "y2")),
        ):
            traces.append(dict(
                type="scatter", x=x, y=y, mode="lines", name=label, legendgroup=label,
                showlegend=role == "by update", line=style, xaxis=axes[0], yaxis=axes[1],
                meta=dict(role=role, run=index),
            ))  # fmt: skip
    return go.Figure(data=traces, layout=layout | base_layout(height, hovermode="x unified"))


def cut_figure(
    surface: SurfaceLike,
    runs: Sequence[tuple[str, PathLike]],
    y: float,
    step: int,
    *,
    ridge: float | None = None,
    height: int = 300,
) -> go.Figure:
    """The loss along the line y = const, and where each run's x is at ``step`` (drawn on the
    line: the ball on the profile), with the ridge between the wells if given."""
    xs, _ys = grid(surface.domain, 400)
    profile = surface.f(xs, np.full_like(xs, y))
    traces = [dict(
        type="scatter", x=xs, y=profile, mode="lines", name=f"L(x, {y:g})",
        meta=dict(role="profile"), line=dict(color="#bbbbbb", width=2),
    )]  # fmt: skip
    if ridge is not None:
        traces.append(dict(
            type="scatter", x=[ridge, ridge], y=[float(profile.min()), float(profile.max())],
            mode="lines", name=_("ridge x = {x}").format(x=tick_text(ridge)),
            meta=dict(role="ridge"), line=dict(color="#888888", width=1, dash="dot"),
            hoverinfo="skip",
        ))  # fmt: skip
    heights = []
    for index, (name, run) in enumerate(runs):
        at = _at(run, step)
        heights.append(float(surface.f(at[0], y)))
        traces.append(dict(
            type="scatter", x=[at[0]], y=[heights[-1]], mode="markers", name=name,
            marker=_marker(index), meta=dict(role="marker", run=index),
            hovertemplate=f"{name}<br>x = %{{x:.4g}}<extra></extra>",
        ))  # fmt: skip
    # Fit the wells and the runs, not the steep walls: up to the profile's 70th percentile or the
    # highest run, whichever is higher.
    low, high = float(profile.min()), max([float(np.percentile(profile, 70)), *heights])
    pad = 0.08 * (high - low)
    title = _("1-D cut along {axis} = {y}: where each run is at step {t}").format(
        axis=_(surface.axis_labels[1]), y=f"{y:g}", t=step
    )
    layout = base_layout(height, title=title) | dict(
        xaxis=dict(title=_(surface.axis_labels[0])),
        yaxis=dict(title=_("loss"), range=[low - pad, high + pad]),
    )
    return go.Figure(data=traces, layout=layout)


# ---- A momentum step taken apart ---------------------------------------------------------------


def _arrow(
    tail: np.ndarray, vector: np.ndarray, color: str, name: str, role: str, *,
    width: float = 3, head: bool = True,
) -> tuple[dict, list[dict]]:  # fmt: skip
    """An arrow as a line trace (what the legend and tests read) and its head, an annotation."""
    tip = tail + vector
    line = dict(
        type="scatter", x=[tail[0], tip[0]], y=[tail[1], tip[1]], mode="lines", name=name,
        meta=dict(role=role), line=dict(color=color, width=width), hoverinfo="skip",
    )  # fmt: skip
    heads = [dict(
        x=tip[0], y=tip[1], ax=tail[0], ay=tail[1], xref="x", yref="y", axref="x", ayref="y",
        showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=width, arrowcolor=color, text="",
    )]  # fmt: skip
    return line, heads if head else []


def close_up(parts: StepParts, domain: Domain) -> tuple[np.ndarray, float]:
    """Centre and half-width of a square window scaled to the step: the three arrows span about
    two thirds of it, whatever their size (late steps are thousands of times shorter)."""
    corners = np.array([parts.origin, parts.origin + parts.carried, parts.origin + parts.total])
    low, high = corners.min(axis=0), corners.max(axis=0)
    (x0, x1), (y0, y1) = domain
    span = max(x1 - x0, y1 - y0)
    half = 0.75 * float(np.max(high - low))
    return (low + high) / 2, float(np.clip(half, 1e-9 * span, span / 2))


def momentum_step_figure(
    surface: SurfaceLike,
    run: PathLike,
    parts: StepParts,
    step: int,
    *,
    form: str = "lecture",
    height: int = 460,
) -> go.Figure:
    """The step's parts drawn tip to tail on a close-up of the surface scaled to the step: the
    carried part from θ_t, then −ηg from its tip; their sum ends at θ_{t+1}. Each part's legend
    entry is its length, so a part too short to draw to scale can still be read (and gets no
    arrowhead, which would hide it)."""
    centre, half = close_up(parts, surface.domain)
    window = ((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half))
    image, _scale = background_image(_View(window, surface.axis_labels, surface.f), resolution=200)
    points = np.asarray(run.points, dtype=float)
    traces = [dict(
        type="scatter", x=points[:, 0], y=points[:, 1], mode="lines+markers", name=_("path"),
        line=dict(color="rgba(255,255,255,0.5)", width=1), marker=dict(size=4),
        hovertemplate="(%{x:.4g}, %{y:.4g})<extra></extra>", meta=dict(role="path"),
        showlegend=False,
    )]  # fmt: skip
    carried = _("λ·m: {length}") if form == "lecture" else _("−η·μ·b: {length}")
    # The sum first and thinnest, so a short −ηg at its tip is drawn over its head.
    drawn = (
        (parts.origin, parts.total, TOTAL_COLOR, _("sum: {length}"), "step", 2),
        (parts.origin, parts.carried, CARRIED_COLOR, carried, "carried", 3),
        (parts.origin + parts.carried, parts.gradient, GRADIENT_COLOR,
         _("−η·g: {length}"), "gradient", 4),
    )  # fmt: skip
    heads = []
    for tail, vector, color, label, role, width in drawn:
        length = float(np.hypot(*vector))
        line, head = _arrow(tail, vector, color, label.format(length=tick_text(length)), role,
                            width=width, head=length >= HEADLESS * 2 * half)  # fmt: skip
        traces.append(line)
        heads += head
    traces.append(dict(
        type="scatter", x=[parts.origin[0]], y=[parts.origin[1]], mode="markers",
        meta=dict(role="origin"), name=_("θ at step {t}").format(t=step), showlegend=False,
        marker=dict(size=11, color="#ffbd45", line=dict(color="black", width=1.5)),
    ))  # fmt: skip
    title = _("Step {t} taken apart: a close-up {width} wide, scaled to this step").format(
        t=step, width=tick_text(2 * half)
    )
    layout = base_layout(height, title=title) | _image_layout(image, window, surface.axis_labels)
    layout["xaxis"] |= dict(constrain="domain")
    layout["yaxis"] |= dict(scaleanchor="x", constrain="domain")
    return go.Figure(data=traces, layout=layout | dict(annotations=heads))


def weights_figure(lrs: np.ndarray, momentum: float, step: int, *, height: int = 320) -> go.Figure:
    """Bars: the weight of each past gradient in the step shown, lecture vs PyTorch form."""
    bars = []
    for convention, color, label in (
        ("lecture", CARRIED_COLOR, _("lecture form: λᵏ·η at its own step")),
        ("pytorch", "#ffbd45", _("PyTorch form: μᵏ·η of today")),
    ):
        weights = past_gradient_weights(lrs, momentum, step, convention)[:MAX_BARS]
        bars.append(dict(
            type="bar", x=np.arange(len(weights)), y=weights, name=label, marker_color=color,
            opacity=0.8, meta=dict(role=convention),
            hovertemplate=_("g from %{x} steps back: weight %{y:.4g}") + "<extra></extra>",
        ))  # fmt: skip
    memory = 1 / (1 - momentum) if momentum < 1 else float("inf")
    title = _("Past gradients' weights in step {t} (memory 1/(1−λ) ≈ {memory} steps)")
    layout = base_layout(height, title=title.format(t=step, memory=tick_text(memory))) | dict(
        barmode="group", xaxis=dict(title=_("k: the gradient from k steps back")),
        yaxis=dict(title=_("weight")),
    )  # fmt: skip
    return go.Figure(data=bars, layout=layout)
