"""URL-bound controls shared by the pages: surfaces, optimizers with schedules, log sliders.

Every widget here has a key and ``bind="query-params"``, so the address bar always reproduces the
view. Controls return plain hashable specs (``SurfaceSpec``, ``RunSpec``) that cached functions
take as arguments; ``ui.cache`` turns them back into core objects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from optimizers import OPTIMIZERS, make_optimizer, schedules
from surfaces import ExpressionError, Surface, get_surface, list_surfaces
from ui.cache import formula_surface, optimizer_from_spec
from ui.presets import URL_FORMATS

CUSTOM = "custom"
DEFAULT_FORMULA = "x**2 - y**2 + 0.1*x**4"
URL = "query-params"


class SurfaceSpec(NamedTuple):
    """A surface by name and parameters, or by formula (``key == "custom"``)."""

    key: str
    params: tuple[tuple[str, float], ...] = ()
    formula: str = ""


class RunSpec(NamedTuple):
    """One optimizer run: name, hyperparameters other than lr, lr, and a schedule."""

    optimizer: str
    lr: float
    hyper: tuple[tuple[str, Any], ...] = ()
    schedule: str = "constant"
    schedule_params: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        extra = "" if self.schedule == "constant" else f", {self.schedule.replace('_', ' ')}"
        convention = dict(self.hyper).get("convention")
        if convention == "lecture":
            extra += ", lecture"
        return f"{self.optimizer} (lr {self.lr:g}{extra})"


def nice_values(low: float, high: float, per_decade: Sequence[float] = (1, 2, 3, 5)) -> list[float]:
    """Round numbers from low to high on a log scale: 0.001, 0.002, 0.003, 0.005, 0.01, ..."""
    values = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in per_decade:
            value = float(f"{mantissa * 10.0**exponent:.6g}")
            if low <= value <= high:
                values.append(value)
    return values


def log_slider(
    label: str,
    key: str,
    *,
    low: float,
    high: float,
    default: float,
    help: str | None = None,
    per_decade: Sequence[float] = (1, 1.5, 2, 3, 5, 7),
) -> float:
    """A slider over round numbers on a log scale (the learning rate spans many decades)."""
    options = sorted(set(nice_values(low, high, per_decade)) | {float(default)})
    return st.select_slider(
        label, options, value=float(default), key=key, bind=URL, help=help, format_func=_number
    )


def _number(value: float) -> str:
    return f"{value:g}"


# ---- Surfaces ------------------------------------------------------------------------------------


def surface_title(key: str) -> str:
    return "your own formula (type it)" if key == CUSTOM else get_surface(key).title


def surface_picker(
    key: str,
    *,
    default: str,
    keys: Sequence[str] | None = None,
    allow_formula: bool = True,
) -> tuple[Surface, SurfaceSpec]:
    """Choose a built-in surface (with its parameters) or type a formula.

    A formula that does not parse shows its error under the box, and the last good formula stays
    on screen, so a typo never blanks the page.
    """
    options = list(keys or list_surfaces()) + ([CUSTOM] if allow_formula else [])
    URL_FORMATS[key] = surface_title
    choice = st.selectbox(
        "Surface", options, index=options.index(default), key=key, bind=URL,
        format_func=surface_title,
    )  # fmt: skip
    if choice == CUSTOM:
        return _formula_surface(key)
    values = []
    for param in get_surface(choice).params.values():
        widget_key = f"{key}_{param.name}"
        if param.log:
            value = log_slider(
                param.label, widget_key, low=param.low, high=param.high, default=param.default
            )
        else:
            value = st.slider(
                param.label, float(param.low), float(param.high), float(param.default),
                key=widget_key, bind=URL,
            )  # fmt: skip
        values.append((param.name, float(value)))
    spec = SurfaceSpec(choice, tuple(values))
    return get_surface(choice, **dict(values)), spec


def _formula_surface(key: str) -> tuple[Surface, SurfaceSpec]:
    text = st.text_input(
        "Formula in x and y", DEFAULT_FORMULA, key=f"{key}_formula", bind=URL, max_chars=500,
        help="Operators + − * / ** (or ^), numbers, x, y, pi, e and functions such as sin, cos, "
        "exp, log, sqrt, abs, tanh, sigmoid. Example: sin(x)*cos(y) + 0.1*(x**2 + y**2)",
    )  # fmt: skip
    last_good = st.session_state.get(f"{key}_last_good", DEFAULT_FORMULA)
    try:
        surface = formula_surface(text)
    except ExpressionError as error:
        st.error(f"{error}. Still showing: `{last_good}`", icon="✏️")
        text, surface = last_good, formula_surface(last_good)
    st.session_state[f"{key}_last_good"] = text
    return surface, SurfaceSpec(CUSTOM, (), text)


def start_inputs(key: str, surface: Surface) -> tuple[float, float]:
    """Start point as two number inputs (a click on the chart writes them too)."""
    (x0, x1), (y0, y1) = surface.domain
    labels = surface.axis_labels
    left, right = st.columns(2)
    sx, sy = surface.default_start
    with left:
        x = st.number_input(
            f"start {labels[0]}", float(x0), float(x1), float(sx), key=f"{key}_x",
            bind=URL, format="%.4g", step=_step(x1 - x0),
        )  # fmt: skip
    with right:
        y = st.number_input(
            f"start {labels[1]}", float(y0), float(y1), float(sy), key=f"{key}_y",
            bind=URL, format="%.4g", step=_step(y1 - y0),
        )  # fmt: skip
    return float(x), float(y)


def _step(span: float) -> float:
    return float(10.0 ** math.floor(math.log10(span / 50)))


# ---- Optimizers ----------------------------------------------------------------------------------

CHOICES: dict[str, list[Any]] = {
    "eps": [1e-10, 1e-8, 1e-6, 1e-4, 1e-2],
    "alpha": [0.5, 0.8, 0.9, 0.95, 0.99, 0.999],
    "weight_decay": [0.0, 1e-4, 1e-3, 1e-2, 0.1],
    "lr_decay": [0.0, 1e-4, 1e-3, 1e-2, 0.1],
    "initial_accumulator_value": [0.0, 0.1, 1.0],
    "beta1": [0.0, 0.5, 0.8, 0.9, 0.95, 0.99],
    "beta2": [0.9, 0.99, 0.995, 0.999, 0.9999],
}
HELP = {
    "momentum": "λ: how much of the previous movement is kept (0 = plain gradient descent)",
    "convention": "pytorch: torch.optim's formula; lecture: the formula on the lecture's slides",
    "nesterov": "evaluate the momentum step's look-ahead (torch's nesterov=True)",
    "centered": "divide by the variance of g instead of its second moment",
    "amsgrad": "use the running maximum of v, so the step never grows back",
}
PRIMARY = ("momentum",)


def optimizer_picker(
    key: str,
    *,
    default: str = "adam",
    lr: float = 0.01,
    names: Sequence[str] = OPTIMIZERS,
    overrides: dict[str, Any] | None = None,
    steps: int = 500,
    lr_range: tuple[float, float] = (1e-5, 10.0),
) -> RunSpec:
    """One run's optimizer, learning rate, hyperparameters and schedule.

    The learning rate and the main hyperparameter are on show; the rest and the schedule sit in a
    popover. ``overrides`` changes defaults (so a page can start Adagrad in the lecture form).
    """
    name = st.selectbox("Optimizer", list(names), index=list(names).index(default),
                        key=f"{key}_opt", bind=URL, on_change=_reset_settings,
                        args=(key,))  # fmt: skip
    defaults = make_optimizer(name).hyper | (overrides or {})
    rate = log_slider("learning rate η", f"{key}_lr", low=lr_range[0], high=lr_range[1], default=lr)
    hyper: dict[str, Any] = {}
    for field in PRIMARY:
        if field in defaults:
            hyper[field] = _hyper_widget(field, defaults[field], f"{key}_{field}")
    with st.popover("more settings", width="stretch"):
        for field, value in defaults.items():
            if field not in hyper and field != "lr":
                hyper[field] = _hyper_widget(field, value, f"{key}_{field}")
        schedule, schedule_params = schedule_picker(f"{key}_sched", steps=steps)
    spec = RunSpec(name, float(rate), tuple(hyper.items()), schedule, schedule_params)
    try:
        optimizer_from_spec(spec)
    except ValueError as error:  # a combination the optimizer refuses, e.g. lecture + Nesterov
        st.error(f"{error}. Using {name}'s defaults.", icon="⚙️")
        spec = RunSpec(name, float(rate), tuple((k, v) for k, v in defaults.items() if k != "lr"))
    return spec


def _reset_settings(key: str) -> None:
    """A newly chosen optimizer starts from its own defaults (the learning rate is kept)."""
    keep = {f"{key}_opt", f"{key}_lr"}
    for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{key}_")]:
        if name not in keep:
            del st.session_state[name]


def _hyper_widget(field: str, default: Any, key: str) -> Any:
    help = HELP.get(field)
    if isinstance(default, bool):
        return st.checkbox(field, default, key=key, bind=URL, help=help)
    if field == "convention":
        return st.radio("convention", ["pytorch", "lecture"], index=["pytorch", "lecture"].index(
            default), key=key, bind=URL, horizontal=True, help=help)  # fmt: skip
    if field == "momentum":
        return st.slider("momentum λ", 0.0, 0.99, float(default), 0.01, key=key, bind=URL,
                         help=help)  # fmt: skip
    if field == "dampening":
        return st.slider("dampening", 0.0, 1.0, float(default), 0.05, key=key, bind=URL)
    if field == "betas":
        beta1 = _choice("β₁", "beta1", default[0], f"{key}1")
        beta2 = _choice("β₂", "beta2", default[1], f"{key}2")
        return (beta1, beta2)
    return _choice(field, field, default, key)


def _choice(label: str, field: str, default: float, key: str) -> float:
    options = sorted(set(CHOICES[field]) | {float(default)})
    return st.select_slider(
        label, options, value=float(default), key=key, bind=URL, format_func=_number
    )


def schedule_picker(key: str, *, steps: int) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """A learning-rate schedule by name with its parameters (η itself comes from the lr slider).

    Step-count defaults follow the run's length, so a schedule fits the run out of the box.
    """
    names = list(schedules.SCHEDULES)
    URL_FORMATS[key] = schedule_title
    name = st.selectbox("schedule", names, key=key, bind=URL, format_func=schedule_title)
    values = []
    for param in schedules.schedule_params(name):
        if param.name in ("lr", "max_lr", "factor"):
            continue  # η is the run's learning rate (noam's factor is scaled to peak at η)
        widget_key = f"{key}_{param.name}"
        if param.choices:
            value = st.selectbox(param.name, list(param.choices), key=widget_key, bind=URL)
        elif param.integer:
            default = _step_default(param.name, steps, param.default)
            value = st.number_input(param.name.replace("_", " "), int(param.low), int(param.high),
                                    default, key=widget_key, bind=URL)  # fmt: skip
        else:
            value = st.number_input(param.name.replace("_", " "), float(param.low),
                                    float(param.high), float(param.default), key=widget_key,
                                    bind=URL, format="%.4g")  # fmt: skip
        values.append((param.name, value))
    return name, tuple(values)


def schedule_title(name: str) -> str:
    return name.replace("_", " ")


def _step_default(name: str, steps: int, fallback: float) -> int:
    by_length = {
        "t_max": steps, "total_steps": steps, "step_size": max(1, steps // 3),
        "warmup_steps": max(1, steps // 10),
    }  # fmt: skip
    return int(np.clip(by_length.get(name, fallback), 1, 10_000))
