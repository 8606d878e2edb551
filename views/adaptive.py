"""Part 3: adaptive learning rates and schedules, on the lecture's convex-but-hard regression."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from i18n import N_, _, language
from surfaces import get_surface
from ui import url
from ui.cache import run_simulations, surface_background
from ui.controls import (
    HELP,
    checkbox,
    choice,
    log_slider,
    schedule_picker,
    slider,
    start_inputs,
    stepped,
)
from ui.format import DASH, number, percent
from ui.layout import chart, share_box
from ui.presets import Preset, preset_links, preset_note
from ui.specs import RunSpec, SurfaceSpec
from viz import trajectory_figure
from viz.adaptive import (
    FAR,
    JUMP,
    NEAR,
    VALLEY_START,
    burst,
    curves_figure,
    first_jump,
    first_step,
    first_steps_figure,
    lighten,
    offsets,
    rises,
    sigma_figure,
)

SURFACE = SurfaceSpec("regression")
ADAPTIVE = ("adagrad", "rmsprop", "adam")
DEFAULT_LR = {"adagrad": 2.0, "rmsprop": 0.5, "adam": 2.0}
CONVENTIONS = {"pytorch": N_("PyTorch"), "lecture": N_("lecture")}  # σ conventions: labels
ALPHAS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
# Each schedule's ηᵗ as the schedule picker sets it (η is the run's learning rate).
SCHEDULE_LATEX = {
    "constant": r"\eta^t = \eta",
    "step_decay": r"\eta^t = \eta\,\gamma^{\lfloor t/s \rfloor},\ s = \text{step size}",
    "exponential_decay": r"\eta^t = \eta\,\gamma^{t}",
    "cosine_annealing": r"\eta^t = \eta_{\min} + (\eta - \eta_{\min})"
    r"\cos^2\tfrac{\pi t}{2T_{\max}}",
    "linear_warmup": r"\eta^t = \eta\left(s + (1 - s)\tfrac{\min(t,\,W)}{W}\right)",
    "warmup_cosine": r"\tfrac{\eta}{W} \xrightarrow[\text{linear}]{W} \eta "
    r"\xrightarrow[\cos]{T} \eta_{\min}",
    "noam": r"\eta^t = \eta\sqrt{W}\min(s^{-0.5}, sW^{-1.5})",
    "one_cycle": r"\tfrac{\eta}{\text{div}} \nearrow \eta \searrow "
    r"\tfrac{\eta}{\text{div}\cdot\text{final div}}",
}

# Every optimizer's update, and the Transformer's warm-up schedule (Vaswani et al. 2017).
FORMULAS = (
    r"\theta_i^{t+1} = \theta_i^{t} - \frac{\eta^t}{\sigma_i^t}\, m_i^t",
    r"\eta^t = d^{-0.5}\cdot\min\left(t^{-0.5},\ t\cdot w^{-1.5}\right)",
)
# Section 4's table: optimizer, ηᵗ, σᵢᵗ, mᵢᵗ.
SUMMARY = (
    (N_("gradient descent"), N_("η (or a schedule)"), "1", r"$g_i^t$"),
    (N_("momentum"), "η", "1",
     N_(r"$\lambda m_i^{t-1} + g_i^t$ (a weighted sum of past gradients)")),
    (N_("Adagrad, lecture"), "η", r"$\sqrt{\frac{1}{t+1}\sum_{\tau \le t} (g_i^\tau)^2}$",
     r"$g_i^t$"),
    (N_("Adagrad, PyTorch"), "η", r"$\sqrt{\sum_{\tau \le t} (g_i^\tau)^2}$", r"$g_i^t$"),
    (N_("RMSProp, lecture"), "η",
     r"$\sqrt{\alpha(\sigma_i^{t-1})^2 + (1-\alpha)(g_i^t)^2}$, $\sigma_i^0 = \lvert g_i^0\rvert$",
     r"$g_i^t$"),
    (N_("RMSProp, PyTorch"), "η", N_("the same average, started at 0"), r"$g_i^t$"),
    (N_("Adam"), N_("η, warm-up, decay"),
     N_(r"$\sqrt{\hat v_i^t}$ (average of g², bias-corrected)"),
     N_(r"$\hat m_i^t$ (average of g, idem)")),
)  # fmt: skip

PRESETS = {
    N_("Adagrad bursts (lecture σ)"): Preset(
        N_("Adagrad with the lecture's σ (the root of the mean of past g²) drops to the valley "
           "floor and walks along it. On the floor every gradient in w is tiny, so w's σ, a mean "
           "over a long stretch of them, shrinks, the effective step η/σ for w rises above the "
           "dashed stability line, and the run is thrown up the wall: the loss jumps, long "
           "before the run gets near the optimum (the sentences under the table give the "
           "steps). σ grows back, the step falls below the line, and it all happens again, near "
           "the optimum too, where the run is thrown about a third of the domain away (the table "
           "counts those bursts). PyTorch's Adagrad at the same η, in section 3, never bursts: "
           "its σ, a sum, only grows, and it never even gets near."),
        {"ad_steps": 5000, "ad_adagrad_lr": 1.0, "ad_adagrad_conv": "lecture",
         "ad_rmsprop_on": False, "ad_adam_on": False},
    ),
    N_("… fixed by learning-rate decay"): Preset(
        N_("The same Adagrad with η decaying exponentially, ηᵗ = η·0.9995ᵗ: the effective step "
           "for w now stays below the stability line for the whole run, the loss falls at every "
           "single step, and the run comes within 1 % of the optimum and stays there. The same "
           "run at constant η, drawn beside it, still bursts."),
        {"ad_steps": 5000, "ad_adagrad_lr": 1.0, "ad_adagrad_conv": "lecture",
         "ad_rmsprop_on": False, "ad_adam_on": False, "ad_sched": "exponential_decay",
         "ad_sched_gamma": 0.9995, "ad_compare": True},
    ),
    N_("PyTorch Adagrad never bursts"): Preset(
        N_("PyTorch's σ is the root of the sum of every past g², which only grows, so the "
           "effective steps η/σ only shrink. With a large η = 10 its Adagrad comes within 1 % of "
           "the optimum in about 3000 steps and stays there, and its loss falls at every step."),
        {"ad_steps": 5000, "ad_adagrad_lr": 10.0, "ad_rmsprop_on": False, "ad_adam_on": False},
    ),
    N_("Adam needs warm-up"): Preset(
        N_("Started on the valley floor, where every gradient is small, Adam's first step is "
           "still ±η in each coordinate whatever |g| is (m̂/√v̂ = g/|g|): at constant η, w is "
           "thrown up the steep wall and the loss jumps more than thirtyfold in one step. The "
           "Transformer's warm-up (noam) starts at η/W and grows the step to η over its first "
           "W = 60 steps while Adam's σ settles: the loss never rises a quarter above the "
           "start, and the run comes within 1 % of the optimum about four times sooner."),
        {"ad_steps": 600, "ad_start_x": VALLEY_START[0], "ad_start_y": VALLEY_START[1],
         "ad_adagrad_on": False, "ad_rmsprop_on": False, "ad_sched": "noam",
         "ad_sched_warmup_steps": 60, "ad_compare": True},
    ),
}  # fmt: skip


def page() -> None:
    surface = get_surface(SURFACE.key)
    st.title(_("📉 Adaptive learning rates and schedules"))
    preset_note(PRESETS)
    intro(surface)
    start, steps = sidebar(surface)
    gradient_descent(start, steps)
    adaptive_lab(start, steps)


def curvature() -> np.ndarray:
    """The Hessian H at the regression surface's minimum (its eigenvalues say how hard it is)."""
    surface = get_surface(SURFACE.key)
    return surface.hessian(*surface.minima[0])


def intro(surface) -> None:
    """The surface's numbers, computed: where its minimum is and how ill-conditioned it is."""
    low, high = np.linalg.eigvalsh(curvature())
    b, w = surface.minima[0]
    st.markdown(
        _("A convex surface can still be hard to train. The lecturer's regression demo, "
          "ŷ = b + w·x on {n} points, has one minimum, at (b, w) ≈ ({b}, {w}), but there its "
          "Hessian's eigenvalues are {low} and {high}: condition number **κ ≈ {kappa}**. The "
          "valley is steep across w and almost flat along b, and one learning rate cannot suit "
          "both.").format(n=surface.n_samples, b=number(b, 5), w=number(w, 4),
                          low=number(low, 3), high=number(high, 4),
                          kappa=number(high / low, 2))
    )  # fmt: skip


def sidebar(surface) -> tuple[tuple[float, float], int]:
    with st.sidebar:
        st.subheader(_("Run"))
        start = start_inputs("ad_start", surface)
        steps = int(slider(_("steps"), "ad_steps", 10, 10_000, 3000, 10))
        with st.expander(_("formula"), expanded=False):
            st.latex(surface.latex)
        st.subheader(_("Presets"))
        preset_links(PRESETS)
    return start, steps


def gradient_descent(start: tuple[float, float], steps: int) -> None:
    """Section 1: one learning rate too large for the steep direction or too small for the flat."""
    low, high = np.linalg.eigvalsh(curvature())
    st.header(_("1 · Gradient descent: bouncing or crawling"))
    st.markdown(
        _(r"Gradient descent is stable only while $\eta < 2/\lambda_{{\max}}$ = **{limit}**. "
          "Near that limit it bounces across the steep valley: the loss stops falling while the "
          "gradient stays large. Smaller, it crawls along the flat valley floor.")
        .format(limit=number(2 / high, 4))
    )  # fmt: skip
    left, right = st.columns([3, 2])
    rates = []
    with right:  # beside the view, so that the first screen holds both sliders and their runs
        for label, key, default in ((_("large η"), "ad_gd_hi", 1.143e-5),
                                    (_("small η"), "ad_gd_lo", 1e-6)):  # fmt: skip
            rate = log_slider(label, key, low=1e-7, high=1e-4, default=default)
            st.caption(
                _(r"Per step, the offset across the valley × {across} "
                  r"($1 - \eta\lambda_{{\max}}$)  " "\n"
                  r"and along it × {along} ($1 - \eta\lambda_{{\min}}$)")
                .format(across=number(1 - rate * high, 4), along=number(1 - rate * low, 7))
            )  # fmt: skip
            rates.append(rate)
    parts = views(tuple(RunSpec("sgd", float(rate)) for rate in rates), start, steps,
                  ("curves",), language())  # fmt: skip
    chart(parts["contour"], where=left)
    chart(parts["curves"], where=right)


@url.fragment
def adaptive_lab(start: tuple[float, float], steps: int) -> None:
    """Sections 2 to 4 and the share box: they rerun together, and alone, when their controls
    change (section 3 uses section 2's learning rates)."""
    rates = adaptive(start, steps)
    conventions(start, steps, rates)
    summary()
    share_box()


def adaptive(start: tuple[float, float], steps: int) -> dict[str, float]:
    """Section 2: the three adaptive optimizers under one schedule. Returns their η."""
    st.header(_("2 · Adagrad, RMSProp, Adam: one step size per parameter"))
    st.markdown(
        _(r"Each parameter i gets its own step $\eta^t/\sigma_i^t$: σ is large where gradients "
          "have been large (w), small where they have been small (b). Adagrad's σ averages "
          "**every** past g², RMSProp's weighs recent ones more, Adam adds momentum; all of them "
          "are one formula (left, and section 4). A schedule changes ηᵗ itself: decay shrinks "
          "the step as training goes on; warm-up grows it first, then shrinks it, as ResNet and "
          "the Transformer were trained. The Transformer's (right; the schedule **noam** here) "
          "has d, the model's width, and w, the warm-up steps.")
    )  # fmt: skip
    for column, formula in zip(st.columns(2), FORMULAS, strict=True):
        with column:
            st.latex(formula)
    schedule_column, *columns = st.columns([1.8, 1, 1, 1])
    with schedule_column, st.container(border=True):
        schedule, params, compare = schedule_card(steps)
    specs, rates = [], {}
    for name, column in zip(ADAPTIVE, columns, strict=True):
        with column, st.container(border=True):
            shown, spec = optimizer_card(name)
        rates[name] = spec.lr
        if shown:
            specs.append(spec._replace(schedule=schedule, schedule_params=params))
            if compare:
                specs.append(spec)
    if not specs:
        st.info(_("Tick at least one optimizer to see it run."), icon="☝️")
        return rates
    adaptive_charts(tuple(specs), start, steps)
    return rates


def schedule_card(steps: int) -> tuple[str, tuple, bool]:
    st.markdown(_("**schedule ηᵗ** (for every run)"))
    schedule, params = schedule_picker("ad_sched", steps=steps)
    st.latex(SCHEDULE_LATEX[schedule])
    if schedule == "noam":
        st.caption(
            _("The Transformer's schedule scaled to peak at η, at step W − 1 (s = t + 1: steps "
              "count from 0); the width d cancels out.")
        )  # fmt: skip
    constant = schedule == "constant"
    compare = checkbox(
        _("also show each run at constant η"), "ad_compare", False, disabled=constant,
        help=_("Choose a schedule first: at constant η both runs would be the same.") if constant
        else _("Each ticked optimizer runs twice: with the schedule and at constant η."),
    )  # fmt: skip
    return schedule, params, compare and not constant


def optimizer_card(name: str) -> tuple[bool, RunSpec]:
    """Whether optimizer ``name`` is shown, and its run at constant η."""
    shown = checkbox(f"**{name}**", f"ad_{name}_on", True)
    rate = log_slider(_("η"), f"ad_{name}_lr", low=1e-3, high=10.0, default=DEFAULT_LR[name])
    hyper: tuple = ()
    if name != "adam":
        convention = choice(
            _("σ convention"), f"ad_{name}_conv", list(CONVENTIONS), "pytorch", widget="radio",
            labels=lambda value: _(CONVENTIONS[value]), horizontal=True,
            help=_(HELP["convention"]),
        )  # fmt: skip
        hyper = (("convention", convention),)
    return shown, RunSpec(name, float(rate), hyper)


def adaptive_charts(specs: tuple[RunSpec, ...], start: tuple[float, float], steps: int) -> None:
    parts = ("lr_curves", "table", "stories", "sigma")
    try:
        shown = views(specs, start, steps, parts, language())
    except ValueError as error:  # schedule parameters that contradict each other
        st.error(_("{error}. Showing constant η instead.").format(error=error), icon="⚠️")
        constant = tuple(dict.fromkeys(
            spec._replace(schedule="constant", schedule_params=()) for spec in specs
        ))  # fmt: skip
        shown = views(constant, start, steps, parts, language())
    left, right = st.columns([3, 2])
    with left:
        chart(shown["contour"])
        st.caption(_("▶ Play animates every run; drag the scrubber to any step."))
    chart(shown["lr_curves"], where=right)
    burst_report(shown["table"], shown["stories"])
    st.markdown(
        _(r"**Why Adagrad bursts.** With the lecture's σ (a mean of past g²), a long stretch of "
          r"tiny gradients in w (on the valley floor, near the optimum or not) makes $\sigma_w$ "
          r"shrink, so $\eta^t/\sigma_w$ grows "
          r"until it crosses $2/H_{{ww}}$ = {limit}, the dashed line: from there each step in w "
          "overshoots by more than it corrects, the gradient grows, σ grows again and the run "
          r"falls back. PyTorch's σ, the root of the **sum**, is $\sqrt{{t+1}}$ times the "
          r"lecture's: its Adagrad is the lecture's with the decay $\eta^t = \eta/\sqrt{{t+1}}$, "
          "so it never bursts, it slows down instead. A schedule that decays fast enough keeps "
          r"$\eta^t/\sigma_w$ under the line.").format(limit=number(2 / curvature()[1, 1], 4))
    )  # fmt: skip
    chart(shown["sigma"])


def conventions(start: tuple[float, float], steps: int, rates: dict[str, float]) -> None:
    """Section 3: the lecture's σ against PyTorch's, for Adagrad and RMSProp, same η."""
    st.header(_("3 · Two conventions for σ: the lecture's and PyTorch's"))
    st.markdown(
        _("Adagrad: the lecture's σᵗ = √(mean of g²), PyTorch's √(sum of g²), which is √(t+1) "
          "times larger, so PyTorch's steps shrink like 1/√t. RMSProp: the lecture starts at "
          "σ⁰ = |g⁰|, PyTorch starts its average at 0, so σ⁰ = √(1−α)·|g⁰| and its first step "
          "is 1/√(1−α) times larger. Same η as in section 2, constant.")
    )  # fmt: skip
    with st.columns(3)[0]:
        alpha = stepped(_("RMSProp α"), "ad_alpha", ALPHAS, 0.99)
    specs = tuple(
        RunSpec(name, rates[name], (("convention", convention), *extra))
        for name, extra in (("adagrad", ()), ("rmsprop", (("alpha", alpha),)))
        for convention in CONVENTIONS
    )
    shown = views(specs, start, steps, ("first_steps", "table", "stories", "first"), language())
    left, right = st.columns([3, 2])
    chart(shown["contour"], where=left)
    chart(shown["first_steps"], where=right)
    first = [number(length, 4) for length in shown["first"]]
    st.markdown(
        _("First step ‖Δθ‖: Adagrad {a} (PyTorch) and {b} (lecture), the same (after one "
          "gradient the sum is the mean); RMSProp {c} (PyTorch) and {d} (lecture), ratio "
          "**{ratio}**, and 1/√(1−α) = {expected}.").format(
            a=first[0], b=first[1], c=first[2], d=first[3],
            ratio=number(_ratio(shown["first"][2], shown["first"][3]), 4),
            expected=number(1 / np.sqrt(1 - alpha), 4))
    )  # fmt: skip
    burst_report(shown["table"], shown["stories"])


def burst_report(table: pd.DataFrame, stories: list[str]) -> None:
    st.table(table)
    st.caption(
        _("Near: every coordinate within {near} of the domain's side from the optimum. A burst: "
          "thrown farther than {far} away again after that. The loss jumps where it is more "
          "than {jump} times its lowest value so far.").format(
            near=percent(NEAR), far=percent(FAR), jump=number(JUMP))
    )  # fmt: skip
    st.markdown("\n".join(f"- {story}" for story in stories))


def burst_story(name: str, run) -> str:
    """When the run's loss first jumped against when it first came near the optimum, from the
    run's own numbers (the order differs from run to run: the lecture's Adagrad jumps on the
    valley floor, long before it gets near)."""
    surface = get_surface(SURFACE.key)
    found = burst(run.points, surface.minima[0], surface.domain)
    jump = first_jump(run.losses)
    if jump is None and found is None:
        return _("**{run}**: its loss never jumped, and it never came near the optimum.").format(
            run=name)  # fmt: skip
    if jump is None:
        return _("**{run}**: came near the optimum at step {near}; its loss never jumped.").format(
            run=name, near=found.near_step)  # fmt: skip
    if found is None:
        return _("**{run}**: its loss first jumped at step {jump}, and it never came near the "
                 "optimum.").format(run=name, jump=jump)  # fmt: skip
    if jump < found.near_step:
        away = offsets(run.points[jump : jump + 1], surface.minima[0], surface.domain)[0]
        return _("**{run}**: its loss first jumped at step {jump}, {gap} steps before the run "
                 "first came near the optimum (step {near}), while it was {away} of the "
                 "domain's side away from it.").format(
            run=name, jump=jump, gap=found.near_step - jump, near=found.near_step,
            away=percent(away))  # fmt: skip
    return _("**{run}**: came near the optimum at step {near}; its loss first jumped after "
             "that, at step {jump}.").format(run=name, near=found.near_step, jump=jump)  # fmt: skip


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def summary() -> None:
    """Section 4: every optimizer in one update rule."""
    st.header(_("4 · One formula for every optimizer"))
    st.latex(FORMULAS[0])
    header = (_("optimizer"), r"$\eta^t$", r"$\sigma_i^t$", r"$m_i^t$")
    rows = [header, ("---",) * 4] + [tuple(_(cell) for cell in row) for row in SUMMARY]
    st.markdown("\n".join("| " + " | ".join(row) + " |" for row in rows))
    st.markdown(
        _("Momentum carries the **direction** (m keeps the sign of past gradients), σ only the "
          "**magnitude** (it is built from g², so signs cancel out of it). ε, added to σ, only "
          "guards 0/0.")
    )  # fmt: skip


# ---- Cached views: the same for everyone who opens the same link ------------------------------


def labelled(specs: tuple[RunSpec, ...], start: tuple[float, float], steps: int) -> list:
    runs = run_simulations(SURFACE, specs, (start,) * len(specs), steps)
    return [
        (f"{i + 1}: {spec.label}", run)
        for i, (spec, run) in enumerate(zip(specs, runs, strict=True))
    ]


def burst_table(runs: list) -> pd.DataFrame:
    """Per run: when it first came near the optimum, how far and how often it was thrown away
    after, how high its loss went and how often it rose."""
    surface = get_surface(SURFACE.key)
    rows = []
    for name, run in runs:
        found = burst(run.points, surface.minima[0], surface.domain)
        jump = first_jump(run.losses)
        verdict = (_("never got near") if found is None
                   else _("💥 burst") if found.bursts else _("settled"))  # fmt: skip
        rows.append({
            _("run"): name,
            _("near at step"): DASH if found is None else str(found.near_step),
            _("farthest after"): DASH if found is None else percent(found.peak),
            _("bursts"): DASH if found is None else str(found.bursts),
            _("highest loss ÷ start"): number(np.max(run.losses) / run.losses[0], 3),
            _("steps where the loss rose"): str(rises(run.losses)),
            _("loss first jumped at step"): DASH if jump is None else str(jump),
            _("verdict"): verdict,
        })  # fmt: skip
    return pd.DataFrame(rows).set_index(_("run"))


def _parts() -> dict[str, Callable[[list], Any]]:
    surface = get_surface(SURFACE.key)
    floor = float(surface.f(*surface.minima[0]))
    limits = 2 / np.diag(curvature())
    labels = surface.axis_labels
    return {
        "curves": lambda runs: curves_figure(runs, floor, height=330),
        "lr_curves": lambda runs: curves_figure(runs, floor, lr=True),
        "sigma": lambda runs: sigma_figure(runs, labels, limits),
        "first_steps": lambda runs: first_steps_figure(runs, labels),
        "first": lambda runs: [first_step(run.points) for _name, run in runs],
        "table": burst_table,
        "stories": lambda runs: [burst_story(name, run) for name, run in runs],
    }


@st.cache_resource(max_entries=96, show_spinner=False)
def views(
    specs: tuple[RunSpec, ...],
    start: tuple[float, float],
    steps: int,
    parts: tuple[str, ...],
    lang: str,
) -> dict[str, Any]:
    """A section's runs drawn: the animated view and ``parts`` (figures, table, numbers). Built
    once per server for everyone who opens the same settings in the same language ``lang``;
    shared, so read-only."""
    surface = get_surface(SURFACE.key)
    runs = labelled(specs, start, steps)
    contour = trajectory_figure(surface, runs, minima=surface.minima,
                                background=surface_background(SURFACE))  # fmt: skip
    builders = _parts()
    return {"contour": lighten(contour, surface.domain)} | {
        part: builders[part](runs) for part in parts
    }


if __name__ == "__main__":
    page()
