"""Controls whose value lives in the URL (``ui.url``), and the pickers pages share.

Every control takes a ``key`` (its URL parameter) and a default; it reads a new link, clamps a
value whose range has moved, draws the widget, and records what it shows. Pickers (surface, start
point, optimizer with schedule) return plain specs (``ui.specs``) for cached functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import streamlit as st

from i18n import N_, _
from optimizers import OPTIMIZERS, Control, hyper_controls, make_optimizer, schedules
from surfaces import ExpressionError, Surface, get_surface, list_surfaces
from ui import url
from ui.cache import formula_surface
from ui.specs import CUSTOM, RunSpec, SurfaceSpec, nice_values, url_value
from viz.theme import tick_text

DEFAULT_FORMULA = "x**2 - y**2 + 0.1*x**4"
FALLBACK = "quadratic"  # shown when not even the last good formula can be read (a busy server)
MAX_FORMULA = 500


def _control(widget: Callable[..., Any], key: str, default: Any, parse, normalize, **kwargs):
    """Bind, draw, record. A widget drawn later (inside a popover) takes its value from what it
    is given, not from the session, so it is given the session's value, except in the run that
    wrote it (Streamlit then sends it, and warns if a value is given too)."""
    if not url.bind(key, default, parse, normalize):
        current = st.session_state[key]
        if widget in (st.selectbox, st.radio):
            kwargs["index"] = kwargs["options"].index(current)
        elif widget in (st.segmented_control, st.multiselect):
            kwargs["default"] = current
        else:
            kwargs["value"] = current
    value = widget(key=key, **kwargs)
    url.show(key, value, default)
    return value


def _single(raw: str | list[str]) -> str:
    if isinstance(raw, list):
        raise ValueError("one value expected")
    return raw


def _in_range(low: float, high: float, integer: bool) -> Callable[[Any], float]:
    def clamp(value: Any) -> float:
        value = float(np.clip(float(value), low, high))
        return round(value) if integer else value

    return clamp


def _number_parser(low: float, high: float, integer: bool) -> Callable[[str | list[str]], float]:
    def parse(raw: str | list[str]) -> float:
        value = float(_single(raw))
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"outside [{low}, {high}]")
        if integer and value != int(value):
            raise ValueError("not a whole number")
        return int(value) if integer else value

    return parse


def slider(label: str, key: str, low: float, high: float, default: float, step=None, **kw):
    """A slider over [low, high] (integers when all of low, high and default are)."""
    integer = all(isinstance(v, int) for v in (low, high, default))
    kind = int if integer else float
    return _control(
        st.slider, key, kind(default), _number_parser(low, high, integer),
        _in_range(low, high, integer), label=label, min_value=kind(low), max_value=kind(high),
        step=step, **kw,
    )  # fmt: skip


def number_input(label: str, key: str, low: float, high: float, default: float, **kw):
    """A number box over [low, high] (integers when all of low, high and default are)."""
    integer = all(isinstance(v, int) for v in (low, high, default))
    kind = int if integer else float
    return _control(
        st.number_input, key, kind(default), _number_parser(low, high, integer),
        _in_range(low, high, integer), label=label, min_value=kind(low), max_value=kind(high),
        **kw,
    )  # fmt: skip


def _option_parser(options: Sequence[Any], labels: Callable[[Any], str] | None):
    by_text = {url_value(option): option for option in options}
    if labels is not None:  # links made before options were written by value
        by_text = {labels(option): option for option in options} | by_text

    def parse(raw: str | list[str]) -> Any:
        text = _single(raw)
        if text not in by_text:
            raise ValueError("not an option")
        return by_text[text]

    return parse


def _keep_option(options: Sequence[Any], default: Any) -> Callable[[Any], Any]:
    return lambda value: value if value in options else default


WIDGETS = {"selectbox": st.selectbox, "radio": st.radio, "segmented": st.segmented_control}


def choice(
    label: str,
    key: str,
    options: Sequence[Any],
    default: Any = None,
    *,
    labels: Callable[[Any], str] | None = None,
    widget: str = "selectbox",
    **kw,
) -> Any:
    """One of ``options`` (written in the URL by value), as a select box, radio or segments."""
    options = list(options)
    default = options[0] if default is None else default
    if widget == "segmented":
        kw.setdefault("required", True)
    if labels is not None:
        kw["format_func"] = labels
    return _control(
        WIDGETS[widget], key, default, _option_parser(options, labels),
        _keep_option(options, default), label=label, options=options, **kw,
    )  # fmt: skip


def checkbox(label: str, key: str, default: bool = False, **kw) -> bool:
    def parse(raw: str | list[str]) -> bool:
        text = _single(raw).lower()
        if text not in ("true", "false", "1", "0"):
            raise ValueError("not true or false")
        return text in ("true", "1")

    return _control(st.checkbox, key, bool(default), parse, bool, label=label, **kw)


def text(label: str, key: str, default: str, *, max_chars: int, **kw) -> str:
    def parse(raw: str | list[str]) -> str:
        value = _single(raw)
        if len(value) > max_chars:
            raise ValueError("too long")
        return value

    return _control(
        st.text_input, key, default, parse, lambda v: str(v)[:max_chars], label=label,
        max_chars=max_chars, **kw,
    )  # fmt: skip


def multichoice(label: str, key: str, options: Sequence[Any], default: Sequence[Any], **kw):
    """Several of ``options``; the key repeats in the URL, one entry per chosen option."""
    options = list(options)
    single = _option_parser(options, None)

    def parse(raw: str | list[str]) -> list:
        return sorted({single(item) for item in (raw if isinstance(raw, list) else [raw])},
                      key=options.index)  # fmt: skip

    return _control(
        st.multiselect, key, list(default), parse,
        lambda value: [v for v in value if v in options], label=label, options=options, **kw,
    )  # fmt: skip


def stepped(label: str, key: str, options: Sequence[float], default: float, **kw) -> float:
    """A slider over a fixed list of numbers (shown as 1.5×10⁻⁵), e.g. round learning rates."""
    options = sorted({float(v) for v in options} | {float(default)})
    values = np.array(options)

    def parse(raw: str | list[str]) -> float:
        value = float(_single(raw))
        near = np.flatnonzero(np.isclose(values, value, rtol=1e-9, atol=0))
        if not near.size:
            raise ValueError("not one of the slider's values")
        return options[int(near[0])]

    def nearest(value: Any) -> float:
        return options[int(np.argmin(np.abs(np.log(values) - np.log(max(float(value), 1e-300)))))]

    return _control(
        st.select_slider, key, float(default), parse,
        nearest if values.min() > 0 else _keep_option(options, float(default)),
        label=label, options=options, format_func=lambda v: tick_text(v, 4), **kw,
    )  # fmt: skip


def log_slider(
    label: str,
    key: str,
    *,
    low: float,
    high: float,
    default: float,
    per_decade: Sequence[float] = (1, 1.5, 2, 3, 5, 7),
    **kw,
) -> float:
    """A slider over round numbers on a log scale (the learning rate spans many decades)."""
    return stepped(label, key, nice_values(low, high, per_decade), default, **kw)


# ---- Surfaces ------------------------------------------------------------------------------------


def surface_title(key: str) -> str:
    return _("your own formula (type it)") if key == CUSTOM else _(get_surface(key).title)


def surface_picker(
    key: str,
    *,
    default: str,
    keys: Sequence[str] | None = None,
    allow_formula: bool = True,
    reset: Sequence[str] = (),
) -> tuple[Surface, SurfaceSpec]:
    """Choose a built-in surface (with its parameters) or type a formula.

    A formula that is refused shows why under the box, and the last good formula stays on
    screen, so a typo never blanks the page. Choosing another surface puts the controls named in
    ``reset`` (a start point, say) back to their defaults, which follow the new surface.
    """
    options = list(keys or list_surfaces()) + ([CUSTOM] if allow_formula else [])
    picked = choice(_("Surface"), key, options, default, labels=surface_title,
                    on_change=forget, args=(tuple(reset),))  # fmt: skip
    if picked == CUSTOM:
        return _formula_surface(key)
    values = []
    for param in get_surface(picked).params.values():
        widget_key = f"{key}_{param.name}"
        if param.log:
            value = log_slider(_(param.label), widget_key, low=param.low, high=param.high,
                               default=param.default)  # fmt: skip
        else:
            value = slider(_(param.label), widget_key, float(param.low), float(param.high),
                           float(param.default))  # fmt: skip
        values.append((param.name, float(value)))
    return get_surface(picked, **dict(values)), SurfaceSpec(picked, tuple(values))


def _formula_surface(key: str) -> tuple[Surface, SurfaceSpec]:
    formula = text(
        _("Formula in x and y"), f"{key}_formula", DEFAULT_FORMULA, max_chars=MAX_FORMULA,
        help=_("Operators + − * / ** (or ^), numbers, x, y, pi, e and functions such as sin, "
               "cos, exp, log, sqrt, abs, tanh, sigmoid. "
               "Example: sin(x)*cos(y) + 0.1*(x**2 + y**2)"),
    )  # fmt: skip
    last_good = st.session_state.get(f"_{key}_last_good", DEFAULT_FORMULA)
    try:
        surface = formula_surface(formula)
    except ExpressionError as error:
        try:  # the last formula that worked (it can time out too, on a busy server)
            surface = formula_surface(last_good)
        except ExpressionError:
            st.error(_("{error}. Showing the quadratic bowl meanwhile.").format(error=error),
                     icon="✏️")  # fmt: skip
            return get_surface(FALLBACK), SurfaceSpec(FALLBACK)
        st.error(_("{error}. Still showing: `{formula}`").format(error=error, formula=last_good),
                 icon="✏️")  # fmt: skip
        formula = last_good
    st.session_state[f"_{key}_last_good"] = formula
    return surface, SurfaceSpec(CUSTOM, (), formula)


def start_inputs(key: str, surface: Surface) -> tuple[float, float]:
    """Start point as two number inputs, clamped into the surface's domain (a click on the
    chart writes them too)."""
    labels = surface.axis_labels
    left, right = st.columns(2)
    point = []
    for column, axis, (low, high), default in zip(
        (left, right), "xy", surface.domain, surface.default_start, strict=True
    ):
        with column:
            point.append(number_input(
                _("start {axis}").format(axis=_(labels["xy".index(axis)])), f"{key}_{axis}",
                float(low), float(high),
                float(default), format="%.4g", step=_step(high - low),
            ))  # fmt: skip
    return float(point[0]), float(point[1])


def _step(span: float) -> float:
    return float(10.0 ** math.floor(math.log10(span / 50)))


# ---- Optimizers ----------------------------------------------------------------------------------

# What the core's Control cannot say (it holds a label and values only): help, and the labels of
# string options. A hyperparameter or option missing here shows without help, by its own name.
HELP = {
    "momentum": N_("How much of the previous movement is kept (0 = plain gradient descent)."),
    "dampening": N_("torch's dampening: scales the new gradient added to the momentum buffer."),
    "weight_decay": N_("Adds λθ to the gradient; decoupled, it shrinks θ by ηλ each step instead."),
    "lr_decay": N_("Adagrad's η / (1 + t·decay)."),
    "initial_accumulator_value": N_("Adagrad's starting sum of squared gradients."),
    "eps": N_("Keeps σ away from 0, so that a zero gradient never divides by zero."),
    "convention": N_("pytorch: torch.optim's formula; lecture: the formula on the slides"),
    "nesterov": N_("Evaluate the momentum step's look-ahead (torch's nesterov=True)."),
    "centered": N_("Divide by the variance of g instead of its second moment."),
    "amsgrad": N_("Use the running maximum of v, so the step never grows back."),
}
# string options: how Adagrad/RMSProp write σ, torch's convention or the lecture's
OPTION_LABELS = {"pytorch": N_("PyTorch"), "lecture": N_("lecture")}


def optimizer_picker(
    key: str,
    *,
    default: str = "adam",
    lr: float = 0.01,
    names: Sequence[str] = OPTIMIZERS,
    steps: int = 500,
    lr_range: tuple[float, float] = (1e-5, 10.0),
) -> RunSpec:
    """One run's optimizer, learning rate, hyperparameters and schedule.

    The learning rate and the primary hyperparameters (``Control.primary``) are on show; the
    rest and the schedule sit in a popover. Every hyperparameter's label and values come from
    the core's declaration (``optimizers.hyper_controls``).
    """
    name = choice(_("Optimizer"), f"{key}_opt", names, default, on_change=_reset_settings,
                  args=(key,))  # fmt: skip
    defaults = {k: v for k, v in make_optimizer(name).hyper.items() if k != "lr"}
    controls = hyper_controls(name)
    rate = log_slider(_("learning rate η"), f"{key}_lr", low=lr_range[0], high=lr_range[1],
                      default=lr)  # fmt: skip
    hyper = {field: _hyper_widget(field, defaults[field], f"{key}_{field}", controls[field])
             for field in defaults if controls[field].primary}  # fmt: skip
    refused = st.empty()  # above the popover, which would cover it when open
    with st.popover(_("more settings"), width="stretch"):
        for field, value in defaults.items():
            if field not in hyper:
                hyper[field] = _hyper_widget(field, value, f"{key}_{field}", controls[field])
        schedule, schedule_params = schedule_picker(f"{key}_sched", steps=steps)
    spec = RunSpec(name, float(rate), tuple(hyper.items()), schedule, schedule_params)
    try:
        spec.build()
    except ValueError as error:  # a combination the optimizer refuses, e.g. lecture + Nesterov
        refused.error(_("{error}. Using {name}'s defaults.").format(error=error, name=name),
                      icon="⚙️")  # fmt: skip
        spec = RunSpec(name, float(rate), tuple(defaults.items()))
    return spec


CARD_MIN = "10rem"  # a run card's least width: "momentum", "learning rate η" fit on one line


def cards(key: str, count: int) -> list[Any]:
    """``count`` bordered cards for optimizer pickers, in a grid of as many equal columns as fit
    at CARD_MIN or more (two in the playground's column at 1366 px; one on a 1280×720 projector
    at 150 % zoom), so that no label breaks inside a word or loses its end."""
    st.html(
        f"<style>.st-key-{key} {{display: grid !important; grid-template-columns: "
        f"repeat(auto-fill, minmax(min({CARD_MIN}, 100%), 1fr));}} "
        f".st-key-{key} > div {{min-width: 0; width: auto;}}</style>"
    )
    grid = st.container(key=key, horizontal=True)
    return [grid.container(border=True) for _ in range(count)]


def forget(keys: Sequence[str]) -> None:
    """Put controls back to their defaults (an ``on_change`` callback: before the rerun)."""
    for key in keys:
        st.session_state.pop(key, None)


def _reset_settings(key: str) -> None:
    """A newly chosen optimizer starts from its own defaults (the learning rate is kept)."""
    keep = {f"{key}_opt", f"{key}_lr"}
    for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{key}_")]:
        if name not in keep:
            del st.session_state[name]


def _hyper_widget(field: str, default: Any, key: str, control: Control) -> Any:
    """The widget the core's ``control`` describes; one the core leaves bare (no values) is a
    plain number box, so an optimizer this module has never heard of still shows."""
    label = _(control.label)
    help = _(HELP[field]) if field in HELP else None
    if control.parts:  # a pair such as Adam's betas: a widget per part, keys betas1, betas2
        return tuple(
            _hyper_widget(f"{field}{i + 1}", value, f"{key}{i + 1}", part)
            for i, (part, value) in enumerate(zip(control.parts, default, strict=True))
        )
    if isinstance(default, bool):
        return checkbox(label, key, default, help=help)
    if isinstance(default, str):
        options = list(control.choices or (default,))
        return choice(label, key, options, default, widget="radio", horizontal=True,
                      labels=lambda option: _(OPTION_LABELS.get(option, option)),
                      help=help)  # fmt: skip
    if control.choices:
        return stepped(label, key, control.choices, default, help=help)
    if control.low is not None and control.high is not None:
        return slider(label, key, float(control.low), float(control.high), float(default),
                      control.step, help=help)  # fmt: skip
    return number_input(label, key, min(0.0, float(default)), max(1.0, 10 * abs(float(default))),
                        float(default), format="%.4g", help=help)  # fmt: skip


def schedule_picker(key: str, *, steps: int) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """A learning-rate schedule by name with its parameters (η itself comes from the lr slider).

    Step-count defaults follow the run's length, so a schedule fits the run out of the box.
    """
    name = choice(_("schedule"), key, list(schedules.SCHEDULES), "constant", labels=schedule_title)
    values = []
    for param in schedules.shape_params(name):  # η is the run's learning rate
        widget_key = f"{key}_{param.name}"
        label = _(param.name.replace("_", " "))
        if param.choices:
            value = choice(label, widget_key, list(param.choices), param.default, labels=_)
        elif param.integer:
            value = number_input(label, widget_key, int(param.low), int(param.high),
                           _step_default(param.name, steps, param.default))  # fmt: skip
        else:
            value = number_input(label, widget_key, float(param.low), float(param.high),
                           float(param.default), format="%.4g")  # fmt: skip
        values.append((param.name, value))
    return name, tuple(values)


def schedule_title(name: str) -> str:
    return _(name.replace("_", " "))


def _step_default(name: str, steps: int, fallback: float) -> int:
    by_length = {
        "t_max": steps, "total_steps": steps, "step_size": max(1, steps // 3),
        "warmup_steps": max(1, steps // 10),
    }  # fmt: skip
    return int(np.clip(by_length.get(name, fallback), 1, 10_000))
