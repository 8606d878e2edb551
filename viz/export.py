"""Exports of an animated view for slides and notebooks: the runs as CSV, the figure as a
self-contained HTML file that plays offline, and an animated GIF drawn on the page's own
background image.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image, ImageDraw, ImageFont

from i18n import _
from viz.background import Domain
from viz.theme import run_color
from viz.trajectory import MAX_FRAMES, frame_steps

CSV_COLUMNS = ("step", "run", "optimizer", "x", "y", "loss", "grad_norm", "lr")
# A font with Chinese glyphs where the system has one (Debian's fonts-noto-cjk), else Pillow's.
FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",)
SIMPLIFIED_CHINESE = 2  # the face in that collection (0 is Japanese: other glyph forms)
INK, GREY, DARK = (232, 232, 234), (187, 187, 187), (14, 17, 23)


class RunLike(Protocol):
    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    lrs: np.ndarray


class GifPanel(NamedTuple):
    """One surface of a GIF: its background image (``background_image``'s dict), its domain and
    its runs, named as in the legend."""

    title: str
    image: dict
    domain: Domain
    runs: Sequence[tuple[str, RunLike]]


def trajectories_csv(runs: Sequence[tuple[str, RunLike]], axis_labels=("x", "y")) -> str:
    """One row per run and step: step, run (1, 2, …), its name, the point, loss, ‖g‖ and the
    learning rate of the step taken from it (empty at the last point)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = list(CSV_COLUMNS)
    header[3:5] = axis_labels
    writer.writerow(header)
    for number, (name, run) in enumerate(runs, start=1):
        norms = np.hypot(*np.asarray(run.grads, dtype=float).T)
        rows = zip(run.points, run.losses, norms, strict=True)
        for step, ((x, y), loss, norm) in enumerate(rows):
            lr = repr(float(run.lrs[step])) if step < len(run.lrs) else ""
            writer.writerow([step, number, name, repr(float(x)), repr(float(y)),
                             repr(float(loss)), repr(float(norm)), lr])  # fmt: skip
    return out.getvalue()


def figure_html(figure: go.Figure, title: str = "") -> str:
    """The figure with its frames and Plotly itself inline: one file that plays offline."""
    return pio.to_html(
        figure, include_plotlyjs=True, full_html=True, auto_play=False,
        config={"displaylogo": False}, div_id="view",
    ).replace("<head>", f"<head><title>{title}</title>", 1)  # fmt: skip


def trajectory_gif(
    panels: Sequence[GifPanel],
    *,
    width: int = 520,
    frames: int = MAX_FRAMES,
    duration_ms: int = 60,
) -> bytes:
    """An animated GIF of every run moving over its surface: the page's background image per
    panel, each run's path so far and its marker, the step in the corner; panels side by side."""
    height = int(width * 0.9)
    legend = 22 * max(len(p.runs) for p in panels) + 10
    canvas = (width * len(panels), height + legend + 28)
    longest = max(len(run.points) for p in panels for _name, run in p.runs)
    backgrounds = [_decode(p.image["source"]).resize((width, height)) for p in panels]
    palette = _palette(backgrounds, [run_color(i) for i in range(8)])
    font = _font(14)
    images = []
    for step in frame_steps(longest, frames):
        frame = Image.new("RGB", canvas, DARK)
        draw = ImageDraw.Draw(frame)
        for index, (panel, background) in enumerate(zip(panels, backgrounds, strict=True)):
            left = index * width
            frame.paste(background, (left, 28))
            draw.text((left + 8, 6), panel.title, fill=INK, font=font)
            to_pixels = _pixels(panel.domain, left, 28, width, height)
            for number, (name, run) in enumerate(panel.runs):
                shown = np.asarray(run.points[: min(step, len(run.points) - 1) + 1], dtype=float)
                color = run_color(number)
                path = [tuple(p) for p in to_pixels(shown)]
                if len(path) > 1:
                    draw.line(path, fill=color, width=2)
                x, y = path[-1]
                draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=color, outline=(0, 0, 0))
                row = height + 34 + 22 * number
                draw.rectangle((left + 8, row + 2, left + 20, row + 14), fill=color)
                draw.text((left + 26, row), name, fill=INK, font=font)
        label = _("step {step}").format(step=int(step))
        draw.text((canvas[0] - 8, 6), label, fill=GREY, font=font, anchor="ra")
        # One palette for every frame, holding the run colours exactly.
        images.append(frame.quantize(palette=palette, dither=Image.Dither.NONE))
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:],
                   duration=duration_ms, loop=0, optimize=False)  # fmt: skip
    return out.getvalue()


def _palette(backgrounds: Sequence[Image.Image], colors: Sequence[str]) -> Image.Image:
    """A 256-colour palette: the backgrounds' own colours, then the run and text colours."""
    size = (sum(b.width for b in backgrounds), max(b.height for b in backgrounds))
    strip = Image.new("RGB", size)
    left = 0
    for background in backgrounds:
        strip.paste(background, (left, 0))
        left += background.width
    extra = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in colors]
    extra += [INK, GREY, DARK, (0, 0, 0)]
    own = strip.quantize(colors=256 - len(extra)).getpalette()[: 3 * (256 - len(extra))]
    palette = Image.new("P", (1, 1))
    palette.putpalette(own + [v for rgb in extra for v in rgb])
    return palette


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in FONTS:
        try:
            return ImageFont.truetype(path, size, index=SIMPLIFIED_CHINESE)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _decode(source: str) -> Image.Image:
    """A ``data:image/png;base64,…`` URI as an RGB image."""
    return Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("RGB")


def _pixels(domain: Domain, left: int, top: int, width: int, height: int):
    (x0, x1), (y0, y1) = domain

    def to_pixels(points: np.ndarray) -> np.ndarray:
        px = left + (points[:, 0] - x0) / (x1 - x0) * width
        py = top + (y1 - points[:, 1]) / (y1 - y0) * height
        # A run that left the domain is drawn at its edge, not thousands of pixels away.
        return np.column_stack([np.clip(px, left, left + width), np.clip(py, top, top + height)])

    return to_pixels
