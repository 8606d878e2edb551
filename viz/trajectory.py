"""The animated 2-D view: optimizer trajectories moving over a loss surface.

The surface is a layout image sent once; each frame carries only the moving traces (a marker and a
short comet tail per run), so the animation stays light and the background never flickers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import plotly.graph_objects as go

from i18n import _
from viz.background import Domain, color_scale_for, grid, png_data_uri, surface_png
from viz.theme import base_layout, nice_ticks, run_color, tick_text

MAX_FRAMES = 90
# A scrubber stop costs Plotly ~0.15 ms at every redraw (each step gets its own tick element), so
# the scrubber stops at every other frame; Play still shows every frame.
SCRUBBER_STOPS = 45
TAIL = 6  # frame points kept in the comet tail behind each marker
PICK_GRID = 25  # invisible points that turn a click on the chart into a start point


class SurfaceLike(Protocol):
    domain: Domain
    axis_labels: tuple[str, str]

    def f(self, x: np.ndarray, y: np.ndarray) -> np.ndarray: ...


class PathLike(Protocol):
    points: np.ndarray
    diverged_at: int | None


def frame_steps(n_points: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Steps shown as animation frames: evenly spaced, always including the first and the last."""
    count = min(n_points, max_frames)
    return np.unique(np.rint(np.linspace(0, n_points - 1, count)).astype(int))


def background_image(
    surface: SurfaceLike, resolution: int = 320, log_color: bool = True, colorscale: str = "Viridis"
) -> tuple[dict, object]:
    """The surface as a plotly layout-image dict, and the colour scale used for it."""
    xs, ys = grid(surface.domain, resolution)
    with np.errstate(all="ignore"):
        values = np.asarray(surface.f(*np.meshgrid(xs, ys)), dtype=float)
    scale = color_scale_for(values, log_color)
    (x0, x1), (y0, y1) = surface.domain
    image = dict(
        source=png_data_uri(surface_png(values, scale, colorscale)),
        xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
        sizing="stretch", layer="below", opacity=1.0,
    )  # fmt: skip
    return image, scale


class AnimatedFigure(go.Figure):
    """A go.Figure whose animation frames and scrubber are plain dicts, merged in on output.

    plotly validates and deep-copies every frame and slider step as objects, about 3 ms a frame
    here, which made the animated view the slowest part of a page rerun; these are built from
    known-good dicts and skip that. ``to_dict`` (what Streamlit and ``to_json`` call) has them.
    """

    def __init__(self, *args, frames: Sequence[dict] = (), scrubber: dict | None = None,
                 **kwargs) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self._frame_specs = list(frames)
        self._scrubber = scrubber

    def to_dict(self) -> dict:
        spec = super().to_dict()
        spec["frames"] = self._frame_specs
        if self._scrubber is not None:
            spec["layout"]["sliders"] = [self._scrubber]
        return spec


class Panel(NamedTuple):
    """One surface with its runs, in a figure of side-by-side panels animated together.

    ``background`` is the panel's ``background_image`` when the caller has it already (it depends
    on the surface alone, so a page can keep it across reruns); otherwise it is drawn here.
    """

    title: str
    surface: SurfaceLike
    runs: Sequence[tuple[str, PathLike]]
    minima: Sequence[tuple[float, float]] = ()
    background: tuple[dict, object] | None = None


def trajectory_figure(
    surface: SurfaceLike,
    runs: Sequence[tuple[str, PathLike]],
    *,
    minima: Sequence[tuple[float, float]] = (),
    log_color: bool = True,
    height: int = 560,
    colorscale: str = "Viridis",
    step_label: Callable[[int], str] = str,
    background: tuple[dict, object] | None = None,
) -> AnimatedFigure:
    """Contour view with every run's path, a Play button and a step scrubber.

    Trace order: 0 the pick grid (also carries the colour bar), then per run a faint full path,
    then the known minima, then per run the animated tail and marker (the only traces in frames).
    Each trace's ``meta`` names its role ("pick", "path", "minima", "tail", "marker") and run.
    ``step_label(step)`` is what the scrubber shows at a step; ``background`` as in ``Panel``.
    """
    return panels_figure(
        [Panel("", surface, runs, minima, background)], log_color=log_color, height=height,
        colorscale=colorscale, step_label=step_label,
    )  # fmt: skip


def panels_figure(
    panels: Sequence[Panel],
    *,
    log_color: bool = True,
    height: int = 560,
    colorscale: str = "Viridis",
    step_label: Callable[[int], str] = str,
    gap: float = 0.16,
) -> AnimatedFigure:
    """Side-by-side trajectory views with one Play button and one scrubber for all of them.

    Each panel's traces are in ``trajectory_figure``'s order, panel after panel; the legend
    comes from the first panel (runs share their colour across panels).
    """
    width = (1 - gap * (len(panels) - 1)) / len(panels)
    longest = max((len(run.points) for panel in panels for _, run in panel.runs), default=1)
    steps = frame_steps(longest)
    traces: list = []
    moving: list[int] = []
    layout: dict = {"images": [], "annotations": []}
    paths = []
    for index, panel in enumerate(panels):
        suffix = "" if index == 0 else str(index + 1)
        left = index * (width + gap)
        image, scale = panel.background or background_image(
            panel.surface, log_color=log_color, colorscale=colorscale
        )
        layout["images"].append(image | dict(xref=f"x{suffix}", yref=f"y{suffix}"))
        (x0, x1), (y0, y1) = panel.surface.domain
        labels = [_(label) for label in panel.surface.axis_labels]
        axes = dict(showgrid=False, zeroline=False)
        layout[f"xaxis{suffix}"] = axes | dict(
            range=[x0, x1],
            title=dict(text=labels[0], standoff=0),
            domain=[left, left + width],
            anchor=f"y{suffix}",  # the title close to its ticks, clear of the Play button below
        )
        layout[f"yaxis{suffix}"] = axes | dict(range=[y0, y1], title=labels[1], anchor=f"x{suffix}")
        if panel.title:
            layout["annotations"].append(
                dict(text=f"<b>{panel.title}</b>", x=left + width / 2, y=1.0, xref="paper",
                     yref="paper", xanchor="center", yanchor="bottom", showarrow=False,
                     font=dict(size=16))
            )  # fmt: skip
        first = index == 0
        panel_traces = [_pick_grid(panel.surface, scale, colorscale, left + width)]
        panel_traces += [_faint_path(i, name, run) for i, (name, run) in enumerate(panel.runs)]
        if panel.minima:
            panel_traces.append(_minima(panel.minima, first))
        moving_traces = []
        for i, (name, run) in enumerate(panel.runs):
            moving_traces += _moving_traces(i, name, run, steps, first)
            paths.append(np.asarray(run.points, dtype=np.float32))  # half the bytes in frames
        for trace in panel_traces + moving_traces:
            trace.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        moving += range(len(traces) + len(panel_traces), len(traces) + len(panel_traces)
                        + len(moving_traces))  # fmt: skip
        traces += panel_traces + moving_traces
    animated = len(steps) > 1  # one frame (no runs, or runs of no step): nothing to play
    layout |= base_layout(
        height,
        legend="top",
        top=60 if any(p.title for p in panels) else 30,
        dragmode="pan",
        hovermode="closest",
        updatemenus=[_play_buttons()] if animated else [],
    )
    layout["legend"]["y"] = 1.06 if panels[0].title else 1.0
    frames = [
        dict(name=str(step), data=_frame_data(paths, steps, k), traces=moving)
        for k, step in enumerate(steps)
    ]
    return AnimatedFigure(
        data=traces, layout=layout, frames=frames if animated else [],
        scrubber=_scrubber(steps, step_label) if animated else None,
    )  # fmt: skip


def _faint_path(index: int, name: str, run: PathLike) -> go.Scatter:
    points = np.asarray(run.points, dtype=float)
    return go.Scatter(
        x=points[:, 0], y=points[:, 1], mode="lines", name=name, legendgroup=str(index),
        showlegend=False, hoverinfo="skip", meta=dict(role="path", run=index),
        line=dict(color=run_color(index), width=1.5), opacity=0.45,
    )  # fmt: skip


def _minima(minima: Sequence[tuple[float, float]], legend: bool) -> go.Scatter:
    mx, my = np.asarray(minima, dtype=float).reshape(-1, 2).T
    return go.Scatter(
        x=mx, y=my, mode="markers", name=_("known minima"), showlegend=legend,
        legendgroup="minima", meta=dict(role="minima"),
        marker=dict(symbol="star", size=11, color="white", line=dict(color="black", width=1)),
        hovertemplate=_("minimum") + " (%{x:.4g}, %{y:.4g})<extra></extra>",
    )  # fmt: skip


def _moving_traces(
    index: int, name: str, run: PathLike, steps: np.ndarray, legend: bool
) -> list[go.Scatter]:
    """The comet tail and the marker of one run, as they are at the last step."""
    tail_x, tail_y, marker = _moving_state(np.asarray(run.points), steps, len(steps) - 1)
    label = name
    undefined = getattr(run, "undefined_at", None)
    if run.diverged_at is not None:
        label = _("{run} — diverged at step {step}").format(run=name, step=run.diverged_at)
    elif undefined is not None:
        label = _("{run} — no gradient at step {step}").format(run=name, step=undefined)
    return [
        go.Scatter(
            x=tail_x, y=tail_y, mode="lines", legendgroup=str(index), showlegend=False,
            hoverinfo="skip", line=dict(color=run_color(index), width=3),
            meta=dict(role="tail", run=index),
        ),
        go.Scatter(
            x=marker[:1], y=marker[1:], mode="markers", name=label, legendgroup=str(index),
            showlegend=legend, meta=dict(role="marker", run=index),
            marker=dict(
                size=12, color=run_color(index), line=dict(color="black", width=1.5),
                symbol="circle" if run.diverged_at is None and undefined is None else "x",
            ),
            hovertemplate=f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        ),
    ]  # fmt: skip


def _moving_state(
    points: np.ndarray, steps: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Comet tail and marker of one run at frame k; a run that stopped early waits at its end."""
    shown = np.minimum(steps[max(0, k - TAIL) : k + 1], len(points) - 1)
    tail = points[shown]
    return tail[:, 0], tail[:, 1], tail[-1]


def _frame_data(paths: Sequence[np.ndarray], steps: np.ndarray, k: int) -> list[dict]:
    data = []
    for points in paths:
        tail_x, tail_y, marker = _moving_state(points, steps, k)
        data.append(dict(x=tail_x, y=tail_y))
        data.append(dict(x=marker[:1], y=marker[1:]))
    return data


def _pick_grid(surface: SurfaceLike, scale, colorscale: str, right: float = 1.0) -> go.Scatter:
    """Invisible points over the domain: hovering reads the loss, clicking picks a start point."""
    xs, ys = grid(surface.domain, PICK_GRID)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    with np.errstate(all="ignore"):
        values = np.asarray(surface.f(gx, gy), dtype=float)
    ticks = nice_ticks(scale.low, scale.high) if not scale.log else _log_color_ticks(scale)
    return go.Scatter(
        x=gx, y=gy, mode="markers", name=_("pick a start"), showlegend=False,
        customdata=values, meta=dict(role="pick"),
        hovertemplate="(%{x:.4g}, %{y:.4g})<br>" + _("loss") + " %{customdata:.5g}<extra></extra>",
        marker=dict(
            size=14, opacity=0, color=scale(values), cmin=0, cmax=1, colorscale=colorscale,
            showscale=True,
            colorbar=dict(
                title=dict(text=_("loss"), side="right"), thickness=12, len=0.85, x=right + 0.01,
                tickvals=scale(ticks), ticktext=[tick_text(v) for v in ticks],
            ),
        ),
        selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)),
    )  # fmt: skip


def _log_color_ticks(scale, gap: float = 0.14) -> np.ndarray:
    """The lowest loss, then round values (1, 2 or 5 times a power of ten, either sign, and 0;
    any digit gave uneven runs such as −6, −5, −3, −0.9) spread over the colour bar of a log1p
    scale: each at least ``gap`` of the bar above the last one kept."""
    low, high = scale.low, scale.high
    top = max(abs(low), abs(high), 1e-300)
    powers = 10.0 ** np.arange(np.floor(np.log10(top)) - 12, np.ceil(np.log10(top)) + 1)
    magnitudes = np.outer(powers, (1.0, 2.0, 5.0)).ravel()
    candidates = np.unique(np.concatenate([-magnitudes, [0.0], magnitudes]))
    candidates = candidates[(candidates >= low) & (candidates <= high)]
    kept = [low]  # the lowest loss itself marks the bottom of the bar
    for value, fraction in zip(candidates, scale(candidates), strict=True):
        if not kept or fraction - scale(np.array([kept[-1]]))[0] >= gap:
            kept.append(float(value))
    return np.array(kept)


def _play_buttons() -> dict:
    play = dict(
        frame=dict(duration=50, redraw=False), transition=dict(duration=0),
        fromcurrent=False, mode="immediate",
    )  # fmt: skip
    pause = dict(
        frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate"
    )
    return dict(
        type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top",
        pad=dict(t=45, r=10), showactive=False,
        buttons=[
            dict(label=_("▶ Play"), method="animate", args=[None, play]),
            dict(label=_("❚❚ Pause"), method="animate", args=[[None], pause]),
        ],
    )  # fmt: skip


def _scrubber(steps: np.ndarray, step_label: Callable[[int], str] = str) -> dict:
    stops = steps[frame_steps(len(steps), SCRUBBER_STOPS)]  # evenly spread, first and last kept
    return dict(
        # Under the Play and Pause buttons, not beside them: on a narrow chart (a projector at
        # 150 %) they covered the scrubber's start and its "step" label.
        active=len(stops) - 1, x=0, len=1, y=0, yanchor="top", pad=dict(t=90),
        currentvalue=dict(prefix=_("step") + " ", xanchor="right",
                          font=dict(size=13, color="#bbbbbb")),
        font=dict(color="rgba(0,0,0,0)"), ticklen=0, minorticklen=0,
        steps=[
            dict(
                label=step_label(int(step)), method="animate",
                args=[[str(step)], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                        transition=dict(duration=0))],
            )
            for step in stops
        ],
    )  # fmt: skip
