"""Numbers as a person reads them: no rounding noise, no "nan" or "None", real minus signs.

Plain functions (no Streamlit) shared by the pages' text, tables and LaTeX.
"""

from __future__ import annotations

import math

import numpy as np

from viz.theme import tick_text

DASH = "—"  # what a table shows where there is no value


def number(value: float | None, digits: int = 4, *, zero_below: float = 0.0) -> str:
    """``value`` to ``digits`` significant digits, − for minus; "—" for None or NaN; 0 for a
    magnitude below ``zero_below`` (rounding noise such as 5.8e−17 where 0 is meant)."""
    if value is None or not np.isfinite(value):
        return DASH if value is None or np.isnan(value) else ("∞" if value > 0 else "−∞")
    return "0" if abs(value) < zero_below else tick_text(value, digits)


def latex_number(value: float, digits: int = 4, *, zero_below: float = 0.0) -> str:
    """``value`` for LaTeX: 1.2\\times 10^{-5}; 0 for rounding noise (see ``number``)."""
    if not np.isfinite(value):
        return r"\text{—}" if np.isnan(value) else (r"\infty" if value > 0 else r"-\infty")
    if abs(value) < zero_below or value == 0:
        return "0"
    mantissa, _, exponent = f"{value:.{digits}g}".partition("e")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}" if exponent else mantissa


def latex_matrix(rows: np.ndarray, digits: int = 4, *, zero_below: float = 0.0) -> str:
    body = r" \\ ".join(
        " & ".join(latex_number(v, digits, zero_below=zero_below) for v in row) for row in rows
    )
    return r"\begin{pmatrix}" + body + r"\end{pmatrix}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 critical point", "4 critical points"."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def percent(fraction: float, digits: int = 2) -> str:
    return f"{100 * fraction:.{digits}g} %" if math.isfinite(fraction) else DASH
