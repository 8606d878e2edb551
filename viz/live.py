"""Live sliders: every run a slider can reach, computed at once, packed for the browser to look up.

A live slider redraws a run on every pointer move without asking the server. So the server
computes, ahead, the run at every value the slider can take (``trajectories``: one batched call
of the core's stepping loop, each run bit-identical to ``optimizers.simulate``), and says for each
value which traces of which chart show what (``TraceUpdate``, ``FramesUpdate``). ``pack`` turns
that into one binary message: a JSON header, then the arrays as float64 (exact; never rounded,
never interpolated: a value the slider can take is looked up, and a drawn path is a subset of the
run's own points, ``drawn_indices``). The browser side is ``ui/live/live.js``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from optimizers.engine import Runs
from optimizers.rules import Optimizer
from optimizers.simulate import check_starts, gradient, kept_points, minibatches, on_lanes

DRAWN_POINTS = 160  # a live path is drawn through this many of its points (and a few required)


class Path(NamedTuple):
    """One run as ``optimizers.Trajectory`` has it, without σ and m (not drawn live)."""

    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    lrs: np.ndarray
    diverged_at: int | None
    undefined_at: int | None


def trajectories(
    surface: Any,
    optimizers: Sequence[Optimizer],
    start: Sequence[float],
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
) -> list[Path]:
    """Every optimizer from one start, advanced together by the core's stepping loop
    (``optimizers.engine.Runs``), however many there are (``simulate_many`` takes 16).

    Each run equals ``simulate(surface, optimizer, start, steps, ...)`` bit for bit: the same
    loop, the same surface calls on padded lanes, the same stopping rules.
    """
    starts = np.tile(np.asarray(start, dtype=float).reshape(1, 2), (len(optimizers), 1))
    runs = Runs(list(optimizers), starts, steps)
    centre, bound = check_starts(surface, starts)
    batches = minibatches(surface, batch_size, steps, seed)
    points = np.full((steps + 1, len(starts), 2), np.nan)
    points[0] = starts
    for b in runs.blocks(gradient(surface, batches), centre, bound):
        points[b.first + 1 : b.first + len(b.points) + 1, b.alive] = b.points
    flat = points.reshape(-1, 2)
    with np.errstate(all="ignore"):
        losses = on_lanes(surface.f, flat).reshape(steps + 1, -1)
        grads = on_lanes(surface.grad, flat).reshape(points.shape)
    lrs = runs.lrs
    out = []
    for r in range(len(starts)):
        n = kept_points(runs, r)
        kept = (points[:n, r], losses[:n, r], grads[:n, r], lrs[: n - 1, r])
        out.append(Path(*(a.copy() for a in kept), runs.diverged_at[r], runs.undefined_at[r]))
    return out


def drawn_indices(n: int, count: int = DRAWN_POINTS, required: Sequence[int] = ()) -> np.ndarray:
    """Which of a run's ``n`` points are drawn: ``count`` spread evenly, the first and the last,
    and every ``required`` one below ``n`` (animation frames, the step on show). All of them
    when ``n`` is small."""
    if n <= count:
        return np.arange(n)
    even = np.rint(np.linspace(0, n - 1, count)).astype(int)
    required = np.asarray([i for i in required if 0 <= i < n], dtype=int)
    return np.unique(np.concatenate([even, required, [n - 1]]))


class TraceUpdate(NamedTuple):
    """Trace ``trace`` of chart ``chart`` shows ``x``, ``y`` and the plain attributes ``attrs``
    (Plotly's restyle names, e.g. ``"marker.symbol"``)."""

    chart: int
    trace: int
    x: np.ndarray
    y: np.ndarray
    attrs: dict[str, Any] | None = None


class FramesUpdate(NamedTuple):
    """The animation frames of chart ``chart``: a run's comet tail (trace ``tail``: its last
    ``tail_length`` frame points and the marker's) and marker (trace ``marker``) follow the path
    whose points at steps ``steps`` are ``x``, ``y`` (each frame's step must be among them, or
    be past the last one)."""

    chart: int
    tail: int
    marker: int
    steps: np.ndarray
    x: np.ndarray
    y: np.ndarray
    tail_length: int


class Slider(NamedTuple):
    """One live slider: its URL key, label, values, their labels, and where it stands."""

    key: str
    label: str
    values: Sequence[float]
    texts: Sequence[str]
    index: int


class _Arrays:
    """Float64 arrays laid end to end; an array met twice (a shared step axis) is stored once."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.seen: dict[bytes, list[int]] = {}

    def ref(self, values: np.ndarray) -> list[int]:
        data = np.ascontiguousarray(values, dtype="<f8").tobytes()
        if data not in self.seen:
            self.seen[data] = [self.size, len(data) // 8]
            self.chunks.append(data)
            self.size += len(data) // 8
        return self.seen[data]


def pack(
    sliders: Sequence[Slider],
    updates: Sequence[Sequence[Sequence[TraceUpdate | FramesUpdate]]],
    charts: Sequence[str],
    texts: dict[str, str] | None = None,
) -> bytes:
    """The browser's message: ``updates[s][v]`` is what the charts show when slider ``s`` is at
    its value ``v`` and every other slider where it stands. ``charts`` are CSS selectors of the
    charts' containers; ``texts`` are strings the browser shows (already translated).

    Layout: uint32 little-endian length of the JSON header, the header, zero padding to a
    multiple of 8 bytes, then the float64 arrays the header refers to as [offset, length]."""
    arrays = _Arrays()

    def op(update: TraceUpdate | FramesUpdate) -> dict:
        if isinstance(update, FramesUpdate):
            return {"c": update.chart, "tail": update.tail, "marker": update.marker,
                    "s": arrays.ref(update.steps), "x": arrays.ref(update.x),
                    "y": arrays.ref(update.y), "n": update.tail_length}  # fmt: skip
        return {"c": update.chart, "t": update.trace, "x": arrays.ref(update.x),
                "y": arrays.ref(update.y), "a": dict(update.attrs or {})}  # fmt: skip

    header = {
        "sliders": [s._asdict() | {"values": [float(v) for v in s.values]} for s in sliders],
        "charts": list(charts),
        "updates": [[[op(u) for u in at] for at in per_slider] for per_slider in updates],
        "texts": texts or {},
    }
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    padding = -(4 + len(text)) % 8
    return struct.pack("<I", len(text)) + text + b" " * padding + b"".join(arrays.chunks)


def unpack(message: bytes) -> tuple[dict, np.ndarray]:
    """``pack``'s header and arrays (for tests, and what the browser reads)."""
    (length,) = struct.unpack("<I", message[:4])
    header = json.loads(message[4 : 4 + length])
    start = 4 + length + (-(4 + length) % 8)
    return header, np.frombuffer(message[start:], dtype="<f8")


def positive(values: np.ndarray) -> np.ndarray:
    """What a log axis shows of ``values``: NaN where it cannot (≤ 0), as ``step_curves_figure``."""
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, np.nan)
