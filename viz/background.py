"""A loss surface rendered once as a PNG, to sit under animated traces as a layout image.

Plotly animations that redraw a contour or heatmap either erase it (``redraw=False``) or make it
flicker (``redraw=True``); a layout image is never touched by frames, so it stays steady.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from plotly.colors import get_colorscale, sample_colorscale

Domain = tuple[tuple[float, float], tuple[float, float]]

MAX_RESOLUTION = 600


@dataclass(frozen=True)
class ColorScale:
    """Maps loss values to [0, 1] for colouring: linearly, or by log of the height above the low."""

    low: float
    high: float
    log: bool

    def __call__(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.log:
                span = np.log1p(np.maximum(self.high - self.low, 0.0))
                scaled = np.log1p(np.maximum(values - self.low, 0.0)) / (span or 1.0)
            else:
                scaled = (values - self.low) / ((self.high - self.low) or 1.0)
        return np.clip(np.nan_to_num(scaled, nan=1.0, posinf=1.0, neginf=0.0), 0.0, 1.0)

    def value_at(self, fractions: np.ndarray) -> np.ndarray:
        """Inverse map: the loss value shown at each colour fraction (for colour-bar ticks)."""
        fractions = np.asarray(fractions, dtype=float)
        if self.log:
            return self.low + np.expm1(fractions * np.log1p(self.high - self.low))
        return self.low + fractions * (self.high - self.low)


def grid(domain: Domain, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates of a ``resolution``² grid over the domain, both ascending."""
    resolution = int(np.clip(resolution, 8, MAX_RESOLUTION))
    (x0, x1), (y0, y1) = domain
    xs = x0 + (np.arange(resolution) + 0.5) * (x1 - x0) / resolution
    ys = y0 + (np.arange(resolution) + 0.5) * (y1 - y0) / resolution
    return xs, ys


def color_scale_for(values: np.ndarray, log: bool) -> ColorScale:
    """Colour range from robust percentiles, so one huge corner does not wash out the valley."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return ColorScale(0.0, 1.0, log)
    low = float(finite.min())
    high = float(np.percentile(finite, 99.5 if log else 98))
    if not high > low:
        high = low + 1.0
    return ColorScale(low, high, log)


def surface_png(
    values: np.ndarray, scale: ColorScale, colorscale: str = "Viridis", n_levels: int = 18
) -> bytes:
    """PNG bytes of a value grid (rows: y ascending) coloured by ``scale``, with iso-lines.

    Iso-lines are drawn where the quantized colour level changes between neighbouring pixels,
    which needs no contouring library and matches the colour bands exactly.
    """
    fractions = scale(values)[::-1]  # image rows run top (high y) to bottom
    palette = _palette(colorscale)
    rgb = palette[np.rint(fractions * (len(palette) - 1)).astype(int)]
    levels = np.floor(fractions * n_levels).astype(int)
    edge = np.zeros(levels.shape, dtype=bool)
    edge[:, 1:] |= levels[:, 1:] != levels[:, :-1]
    edge[1:, :] |= levels[1:, :] != levels[:-1, :]
    rgb[edge] = (0.55 * rgb[edge] + 0.45 * 255).astype(np.uint8)
    return encode_png(rgb)


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def encode_png(rgb: np.ndarray) -> bytes:
    """Minimal PNG encoder for an (h, w, 3) uint8 array (filter 0 on every row)."""
    height, width, _ = rgb.shape
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rgb.reshape(height, -1)], axis=1)

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def _palette(colorscale: str, size: int = 256) -> np.ndarray:
    colors = sample_colorscale(
        get_colorscale(colorscale), np.linspace(0, 1, size), colortype="tuple"
    )
    return np.rint(np.array(colors) * 255).astype(np.uint8)
