"""Adaptive learning rates (LECTURE.md part 3): the burst measure, the per-step curves of the
adaptive page (loss, ‖g‖, ηᵗ, σᵢ and the effective step ηᵗ/σᵢ against its stability limit), and
a diet for long runs' figures.

Pure: data in, plotly figures or numbers out; no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go

from i18n import _
from viz.background import Domain
from viz.charts import loss_series, step_curves_figure
from viz.theme import nice_ticks, tick_text

Runs = Sequence[tuple[str, Any]]  # (label, Trajectory)

# On the valley floor of the regression surface (∂L/∂w = 0 at b = −150): every gradient there is
# small, so Adam's first step, ±η in each coordinate whatever |g| is, throws w up the steep wall.
VALLEY_START = (-150.0, 2.56)
NEAR = 0.01  # "near the optimum": every coordinate within 1% of the domain's side
FAR = 0.05  # a burst: thrown more than 5% of the domain's side away again
JUMP = 2.0  # the loss "jumps" where it more than doubles its lowest value so far
MAX_POINTS = 500  # per curve: a panel is at most ~500 px wide, more points draw nothing new
PATH_CELLS = 600  # a faint path keeps one point per cell (~1 px) of a 600 × 600 grid it enters
MAX_PATH = 1500  # and at most about this many points


class Burst(NamedTuple):
    """How a run that came near the optimum behaved after: distances are the largest coordinate
    offset from the optimum as a fraction of the domain's side."""

    near_step: int  # first step within ``near``
    peak_step: int  # the farthest point after it
    peak: float
    bursts: int  # times it was thrown farther than ``far`` after ``near_step``


def offsets(points: np.ndarray, optimum: Sequence[float], domain: Domain) -> np.ndarray:
    """max over i of |θᵢ − θᵢ*| / (side i of the domain), per point."""
    spans = np.array([hi - lo for lo, hi in domain], dtype=float)
    return np.max(np.abs(np.asarray(points, float) - np.asarray(optimum, float)) / spans, axis=1)


def burst(
    points: np.ndarray,
    optimum: Sequence[float],
    domain: Domain,
    near: float = NEAR,
    far: float = FAR,
) -> Burst | None:
    """Where the run first came within ``near`` of the optimum and what happened after; None
    when it never came near. A run that stays near has ``peak <= near`` and no bursts."""
    distance = offsets(points, optimum, domain)
    hits = np.flatnonzero(distance < near)
    if not hits.size:
        return None
    first = int(hits[0])
    after = distance[first:]
    out = after > far
    return Burst(first, first + int(np.argmax(after)), float(after.max()),
                 int(np.count_nonzero(out[1:] & ~out[:-1])))  # fmt: skip


def first_jump(losses: np.ndarray, factor: float = JUMP) -> int | None:
    """The first step at which the loss exceeds ``factor`` times its lowest value so far: where
    a burst shows in the loss curve (None if it never does)."""
    values = np.asarray(losses, dtype=float)
    jumps = np.flatnonzero(values > factor * np.minimum.accumulate(values))
    return int(jumps[0]) if jumps.size else None


def effective_steps(run: Any) -> np.ndarray:
    """ηᵗ/σᵢᵗ per step and parameter, shape (steps, 2): the step each parameter really takes
    per unit of gradient."""
    return np.asarray(run.lrs, float)[:, None] / np.asarray(run.sigmas, float)


def step_lengths(points: np.ndarray, count: int) -> np.ndarray:
    """|Δθᵢ| of the first ``count`` steps, shape (≤count, 2)."""
    return np.abs(np.diff(np.asarray(points, float)[: count + 1], axis=0))


def first_step(points: np.ndarray) -> float | None:
    """‖θ¹ − θ⁰‖, None for a run that stopped before its first step."""
    lengths = step_lengths(points, 1)
    return float(np.hypot(*lengths[0])) if len(lengths) else None


def rises(losses: np.ndarray) -> int:
    """Steps at which the loss went up (0: it fell, or held, at every step)."""
    return int(np.count_nonzero(np.diff(np.asarray(losses, float)) > 0))


def curves_figure(runs: Runs, floor: float, *, lr: bool = False, height: int = 560) -> go.Figure:
    """Loss (its gap to the minimum L*), gradient norm ‖g‖ and, with ``lr``, ηᵗ per step, stacked
    on one step axis, log scales: a flat loss beside a large ‖g‖ is a run bouncing across a
    valley, not a run at a minimum."""
    title, losses, log_loss = loss_series([(name, run.losses) for name, run in runs], floor)
    if title != _("loss"):  # the gap to L*: its value with readable digits
        title = _("loss − L* (L* = {floor})").format(floor=tick_text(floor, 4))
    curves = [
        (title, losses),
        (_("gradient norm ‖g‖"), [(name, np.hypot(*run.grads.T)) for name, run in runs]),
    ]
    logs = [log_loss, True]
    if lr:
        curves.insert(0, (_("learning rate ηᵗ"), [(name, run.lrs) for name, run in runs]))
        logs.insert(0, True)
    figure = step_curves_figure(curves, log_y=logs, height=height, stacked=True)
    return lighten(readable_log_axes(figure, per_panel=3))  # fmt: skip


def sigma_figure(
    runs: Runs, labels: tuple[str, str], limits: Sequence[float], height: int = 320
) -> go.Figure:
    """σᵢᵗ and the effective step ηᵗ/σᵢᵗ per parameter i, with 2/Hᵢᵢ dashed on the latter: above
    it a step along parameter i alone overshoots by more than it corrects."""
    sigma = [(f"σ<sub>{p}</sub>", [(n, r.sigmas[:, i]) for n, r in runs])
             for i, p in enumerate(labels)]  # fmt: skip
    effective = [
        (_("effective step {ratio}").format(ratio=f"η/σ<sub>{p}</sub>"),
         [(n, effective_steps(r)[:, i]) for n, r in runs])
        for i, p in enumerate(labels)
    ]  # fmt: skip
    fig = step_curves_figure(sigma + effective, log_y=[True] * 4, height=height)
    last = max((len(run.lrs) for _name, run in runs), default=1) - 1
    for panel, limit in enumerate(limits, start=3):
        fig.add_trace(
            go.Scatter(
                x=[0, last], y=[limit, limit], mode="lines", name=_("2/H: stability limit"),
                legendgroup="limit", showlegend=panel == 3, hoverinfo="skip",
                line=dict(color="#bbbbbb", dash="dash", width=1), xaxis=f"x{panel}",
                yaxis=f"y{panel}", meta=dict(role="limit", panel=panel - 1),
            )
        )  # fmt: skip
    return lighten(readable_log_axes(fig, per_panel=4), max_points=300)  # four panels in a row


def first_steps_figure(
    runs: Runs, labels: tuple[str, str], count: int = 30, height: int = 560
) -> go.Figure:
    """|Δθᵢ| over the first ``count`` steps (step 0 is the first update), per parameter: where
    two conventions of σ differ, it shows at once."""
    lengths = [(name, step_lengths(run.points, count)) for name, run in runs]
    return step_curves_figure(
        [(_("|Δ{p}| per step").format(p=p), [(n, v[:, i]) for n, v in lengths])
         for i, p in enumerate(labels)],
        log_y=[True, True], height=height, stacked=True,
    )  # fmt: skip


def readable_log_axes(figure: go.Figure, per_panel: int) -> go.Figure:
    """Log axes a person can read, at most about ``per_panel`` labels each: over a decade or
    more, a label every n decades (``viz.theme.log_axis`` labels every one: 18 decades on a
    short panel overlap); over less, round values written as 1.25×10⁶ (its d3 format ".3~g"
    writes 1.3e+6)."""
    for name in [key for key in figure.layout if key.startswith("yaxis")]:
        axis = figure.layout[name]
        ref = "y" + name.removeprefix("yaxis")
        values = [np.asarray(t.y, float) for t in figure.data if (t.yaxis or "y") == ref]
        data = np.concatenate(values or [np.zeros(0)])
        data = data[np.isfinite(data) & (data > 0)]
        if axis.type != "log" or not data.size:
            continue
        decades = np.log10(data.max() / data.min())
        if decades >= 1:
            axis.dtick = int(np.ceil(decades / per_panel))
            continue
        ticks = nice_ticks(data.min(), data.max(), per_panel)
        digits = next(
            d for d in range(3, 17) if len({tick_text(v, d) for v in ticks}) == len(ticks)
        )
        axis.update(tickvals=ticks, ticktext=[tick_text(v, digits) for v in ticks],
                    tickformat=None, dtick=None)  # fmt: skip
    return figure


def thin(values: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` (+ 2) values that draw the same line: in each of
    max_points/2 buckets its lowest and its highest value, so a one-step spike survives; a
    bucket with no finite value keeps its first, so a gap stays a gap."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    width = -(-n // (max_points // 2))
    rows = np.full(-(-n // width) * width, np.nan)
    rows[:n] = values
    rows = rows.reshape(-1, width)
    finite = np.isfinite(rows)
    starts = np.arange(len(rows)) * width
    low = starts + np.argmin(np.where(finite, rows, np.inf), axis=1)
    high = starts + np.argmax(np.where(finite, rows, -np.inf), axis=1)
    return np.unique(np.r_[0, n - 1, low, high])


def path_points(
    points: np.ndarray, domain: Domain, cells: int = PATH_CELLS, max_points: int = MAX_PATH
) -> np.ndarray:
    """Indices of the points a path needs on screen: the first point in each cell of a
    ``cells``² grid over the domain that the path enters (a crawl of a thousand steps inside one
    cell is one point), and the last point. A path that still has more than ``max_points``, one
    that jumps across the valley at every step, keeps every k-th of them, k odd, so a bounce
    from side to side stays a band rather than one of its sides."""
    (x0, x1), (y0, y1) = domain
    scale = np.array([cells / (x1 - x0), cells / (y1 - y0)])
    cell = np.floor((np.asarray(points, float) - [x0, y0]) * scale)
    keep = np.r_[0, 1 + np.flatnonzero(np.any(cell[1:] != cell[:-1], axis=1))]
    if len(keep) > max_points:
        stride = -(-len(keep) // max_points) | 1
        keep = keep[::stride]
    return np.unique(np.r_[keep, len(points) - 1])


def lighten(figure: go.Figure, domain: Domain | None = None, max_points: int = MAX_POINTS):
    """The same picture in fewer bytes: float32 instead of float64; curves longer than
    ``max_points`` ``thin``ned (their steps become x); with ``domain``, the faint full paths and
    the pick grid of an animated view (``viz.trajectory``) reduced to ``path_points`` and to
    float32. Frames are left as they are (float32 already, a few points each)."""
    for trace in figure.data:
        role = trace.meta.get("role") if isinstance(trace.meta, dict) else None
        if role == "path" and domain is not None:
            points = np.column_stack([trace.x, trace.y])
            keep = path_points(points, domain)
            trace.update(x=_f32(points[keep, 0]), y=_f32(points[keep, 1]))
        elif role == "pick":
            trace.update(x=_f32(trace.x), y=_f32(trace.y), customdata=_f32(trace.customdata),
                         marker_color=_f32(trace.marker.color))  # fmt: skip
        elif trace.x is None and trace.y is not None and len(trace.y) > max_points:
            values = np.asarray(trace.y, float)
            keep = thin(values, max_points)
            trace.update(x=keep.astype(np.uint16 if len(values) < 2**16 else np.uint32),
                         y=_f32(values[keep]))  # fmt: skip
    return figure


def _f32(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)
