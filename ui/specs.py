"""Plain, hashable descriptions of what a page shows, and how a value travels in a URL.

No Streamlit here: cached functions take these specs as arguments, tests build them directly, and
a preset link is built from plain values without running any page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from i18n import _
from optimizers import Optimizer, make_optimizer, schedules
from surfaces import Surface, get_surface, parse_expression
from viz.theme import tick_text

CUSTOM = "custom"  # the surface key of a user's formula


class SurfaceSpec(NamedTuple):
    """A surface by registry key and parameters, or by formula (``key == CUSTOM``)."""

    key: str
    params: tuple[tuple[str, float], ...] = ()
    formula: str = ""

    def build(self) -> Surface:
        """The surface itself (a formula is parsed: ExpressionError if it is refused)."""
        if self.key == CUSTOM:
            return parse_expression(self.formula)
        return get_surface(self.key, **dict(self.params))


class RunSpec(NamedTuple):
    """One optimizer run: name, learning rate, other hyperparameters and a schedule."""

    optimizer: str
    lr: float
    hyper: tuple[tuple[str, Any], ...] = ()
    schedule: str = "constant"
    schedule_params: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        extra = "" if self.schedule == "constant" else ", " + _(self.schedule.replace("_", " "))
        if dict(self.hyper).get("convention") == "lecture":
            extra += ", " + _("lecture")
        # η as the sliders write it (1.1×10⁻⁵, not 1.1e-05)
        return f"{self.optimizer} (lr {tick_text(self.lr, 6)}{extra})"

    def build(self) -> Optimizer:
        """The optimizer, its learning rate turned into the chosen schedule (ValueError if the
        combination is refused, e.g. the lecture's momentum with Nesterov)."""
        lr: Any = self.lr
        if self.schedule != "constant":  # η is the schedule's base rate (noam's peak)
            lr = schedules.from_rate(self.schedule, self.lr, **dict(self.schedule_params))
        return make_optimizer(self.optimizer, lr=lr, **dict(self.hyper))


def url_value(value: Any) -> str | list[str]:
    """How a control's value is written in a link: the same for presets, shares, the URL.

    Booleans as true/false, floats in their shortest exact form (1e-05, 0.3), a list as one
    entry per item (the key repeats). Options are written by value, never by their label, so a
    link reads the same in every language.
    """
    if isinstance(value, list | tuple):
        return [str(url_value(item)) for item in value]
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def url_query(values: dict[str, Any]) -> dict[str, str | list[str]]:
    """A dict of control values as the query of a link."""
    return {key: url_value(value) for key, value in values.items()}


def nice_values(low: float, high: float, per_decade: Sequence[float] = (1, 2, 3, 5)) -> list[float]:
    """Round numbers from low to high on a log scale: 0.001, 0.002, 0.003, 0.005, 0.01, ..."""
    values = []
    for exponent in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1):
        for mantissa in per_decade:
            value = float(f"{mantissa * 10.0**exponent:.6g}")
            if low <= value <= high:
                values.append(value)
    return values
