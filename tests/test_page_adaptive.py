"""The adaptive page through AppTest: figures, controls, links, and each preset's story told by
the page's own numbers (its tables and the data of its figures)."""

import re

import numpy as np
import pytest
from helpers import figures, open_preset, paths, run_page, traces
from scipy.spatial import cKDTree

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from views.adaptive import PRESETS

PAGE = "views/adaptive.py"
SURFACE = get_surface("regression")
H = SURFACE.hessian(*SURFACE.minima[0])
LIMIT_W = 2 / H[1, 1]  # 2/H_ww: above it a step along w alone overshoots
SIDES = np.array([hi - lo for lo, hi in SURFACE.domain])
OFF = {f"ad_{name}_on": "false" for name in ("adagrad", "rmsprop", "adam")}


def animated(at) -> list[dict]:
    """The animated views, in page order: gradient descent, the adaptive runs, the conventions."""
    return [fig for fig in figures(at) if fig.get("frames")]


def titled(at, title: str) -> dict:
    """The figure with a panel whose title starts with ``title``."""
    return next(
        fig
        for fig in figures(at)
        if any(a["text"].startswith(title) for a in fig["layout"].get("annotations", []))
    )


def curve(fig: dict, title: str, run: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of run ``run`` (0-based, as numbered in the legend) in the panel whose
    title starts with ``title``."""
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    panel = next(i for i, text in enumerate(texts) if text.startswith(title))
    axis = "y" if panel == 0 else f"y{panel + 1}"
    trace = next(
        t
        for t in fig["data"]
        if t.get("yaxis", "y") == axis and t.get("name", "").startswith(f"{run + 1}: ")
    )
    y = np.asarray(trace["y"], dtype=float)
    return np.asarray(trace.get("x", np.arange(len(y))), dtype=float), y


def limit(fig: dict) -> float:
    """The stability limit 2/H_ww drawn on the η/σ_w panel."""
    line = next(t for t in fig["data"] if (t.get("meta") or {}).get("role") == "limit"
                and t["meta"]["panel"] == 3)  # fmt: skip
    return line["y"][0]


def percent(text: str) -> float:
    return float(text.removesuffix("%").strip()) / 100


def shown_text(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info])


def test_default_view_has_every_part():
    at = run_page(PAGE)
    assert not at.exception and not at.warning and not at.error
    gd, adaptive, conventions = animated(at)
    assert [len(paths(fig)) for fig in (gd, adaptive, conventions)] == [2, 3, 4]
    for fig in (gd, adaptive, conventions):
        moving = [i for i, t in enumerate(fig["data"]) if t["meta"]["role"] in ("tail", "marker")]
        assert all(frame["traces"] == moving for frame in fig["frames"])
    titles = [a["text"] for fig in figures(at) for a in fig["layout"].get("annotations", [])]
    for title in ("learning rate ηᵗ", "gradient norm ‖g‖", "effective step η/σ<sub>w</sub>",
                  "σ<sub>b</sub>", "|Δw| per step"):  # fmt: skip
        assert title in titles
    adaptive_table, convention_table = (table.value for table in at.table)
    assert list(adaptive_table.index) == ["1: adagrad (lr 2)", "2: rmsprop (lr 0.5)",
                                          "3: adam (lr 2)"]  # fmt: skip
    assert list(convention_table.index) == [
        "1: adagrad (lr 2)", "2: adagrad (lr 2, lecture)", "3: rmsprop (lr 0.5)",
        "4: rmsprop (lr 0.5, lecture)",
    ]  # fmt: skip


def test_formulas_are_shown_as_math():
    """The Transformer's warm-up and the one update rule, next to the schedules; no raw
    subscripts such as λ_max or σ_w as text."""
    at = run_page(PAGE)
    latex = [el.value for el in at.latex]
    assert any(r"d^{-0.5}" in f and r"\min" in f and r"w^{-1.5}" in f for f in latex)
    assert any(r"\frac{\eta^t}{\sigma_i^t}" in f for f in latex)
    prose = re.sub(r"\$[^$]*\$", "", shown_text(at))  # what is left once math is rendered
    assert not re.search(r"[λσH]_", prose), prose


def test_paths_are_the_core_simulation():
    """The faint path sends fewer points, but each is a simulated one, in order, from the start
    to the end, and no simulated point is farther than a pixel or two from one drawn."""
    at = run_page(PAGE)
    drawn = paths(animated(at)[1])[2]  # section 2's third run: Adam, η = 2
    expected = simulate(SURFACE, make_optimizer("adam", lr=2.0), (-120.0, -4.0), 3000).points
    assert len(drawn) < len(expected)
    np.testing.assert_allclose(drawn[[0, -1]], expected[[0, -1]], rtol=1e-6)
    after = 0  # each drawn point is a simulated one (float32), later than the one before
    for point in drawn[1:]:
        same = np.all(np.abs(expected[after + 1 :] - point) <= 1e-6 * np.abs(point), axis=1)
        assert same.any(), point
        after += 1 + int(np.argmax(same))
    assert cKDTree(drawn / SIDES).query(expected / SIDES)[0].max() < 2 / 600


def test_convention_switch_changes_the_run():
    at = run_page(PAGE)
    before = paths(animated(at)[1])[0]
    at.radio(key="ad_adagrad_conv").set_value("lecture").run()
    assert not at.exception
    assert not np.array_equal(before, paths(animated(at)[1])[0])
    assert at.table[0].value.index[0] == "1: adagrad (lr 2, lecture)"
    assert dict(at.query_params) == {"ad_adagrad_conv": "lecture"}


@pytest.mark.parametrize("alpha, ratio", [("0.99", "10"), ("0.9", "3.162")])
def test_rmsprop_first_step_ratio_is_computed(alpha, ratio):
    at = run_page(PAGE, {"ad_alpha": alpha})
    text = shown_text(at)
    assert f"ratio **{ratio}**" in text and f"1/√(1−α) = {ratio}." in text


def test_gradient_descent_numbers_follow_the_sliders():
    at = run_page(PAGE, {"ad_gd_lo": "2e-06"})
    low, high = np.linalg.eigvalsh(H)
    text = shown_text(at)
    assert "1.145×10⁻⁵" in text  # 2/λ_max
    assert f"{1 - 2e-6 * high:.4g}".replace("-", "−") in text  # 1 − ηλ_max for the small η
    assert f"{1 - 2e-6 * low:.7g}" in text  # 1 − ηλ_min


def test_gradient_descent_bounces_or_crawls():
    """Section 1's claim at its defaults: near 2/λ_max the loss stops falling for hundreds of
    steps while the gradient is still large (the bounce); with the small η the bounce dies out
    within a few dozen steps and the run crawls."""
    curves = titled(run_page(PAGE), "gradient norm ‖g‖")
    stretches = []
    for run in (0, 1):
        steps, gap = curve(curves, "loss", run)
        flat = steps[np.argmax(gap < 1.15 * gap[-1])]  # the loss has (nearly) stopped falling
        grad_steps, grad = curve(curves, "gradient norm", run)
        small = grad_steps[np.argmax(grad < 10 * grad[-1])]  # ‖g‖ is no longer large
        stretches.append(small - flat)
    assert stretches[0] > 500 and stretches[1] < 50, stretches


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE)
    at.slider(key="ad_steps").set_value(800).run()  # sidebar
    at.select_slider(key="ad_gd_hi").set_value(1e-5).run()  # section 1
    at.select_slider(key="ad_gd_lo").set_value(2e-6).run()
    at.select_slider(key="ad_adagrad_lr").set_value(1.0).run()  # section 2
    at.selectbox(key="ad_sched").set_value("cosine_annealing").run()
    at.checkbox(key="ad_compare").check().run()
    at.select_slider(key="ad_alpha").set_value(0.9).run()  # section 3
    assert dict(at.query_params) == {
        "ad_steps": "800", "ad_gd_hi": "1e-05", "ad_gd_lo": "2e-06", "ad_adagrad_lr": "1",
        "ad_sched": "cosine_annealing", "ad_compare": "true", "ad_alpha": "0.9",
    }  # fmt: skip
    shared = run_page(PAGE, dict(at.query_params))
    assert not shared.warning
    assert figures(shared) == figures(at)
    at.select_slider(key="ad_alpha").set_value(0.99).run()  # back to its default: out of the link
    assert "ad_alpha" not in at.query_params


def test_links_made_with_labels_still_open():
    at = run_page(PAGE, {"ad_sched": "cosine annealing"})
    assert not at.warning and at.session_state["ad_sched"] == "cosine_annealing"
    assert at.query_params["ad_sched"] == "cosine_annealing"


def test_contradictory_schedule_falls_back_to_constant():
    at = run_page(PAGE, {"ad_sched": "warmup_cosine", "ad_sched_warmup_steps": "5000",
                         "ad_sched_total_steps": "100", "ad_compare": "true"})  # fmt: skip
    assert not at.exception
    assert "warmup_steps" in at.error[0].value
    assert len(paths(animated(at)[1])) == 3  # the constant runs, each once


def test_nothing_ticked_keeps_every_other_section():
    at = run_page(PAGE, OFF)
    assert not at.exception and not at.warning
    assert "Tick at least one optimizer" in at.info[0].value
    assert [len(paths(fig)) for fig in animated(at)] == [2, 4]  # sections 1 and 3
    headers = [h.value for h in at.header]
    assert any(h.startswith("3 ·") for h in headers) and any(h.startswith("4 ·") for h in headers)
    assert any("Share this view" in e.label for e in at.expander)
    assert len(at.table) == 1  # section 3's


def test_compare_is_disabled_while_the_schedule_is_constant():
    at = run_page(PAGE, {"ad_compare": "true"})
    assert at.checkbox(key="ad_compare").proto.disabled
    assert len(paths(animated(at)[1])) == 3  # nothing to compare with at constant η
    at.selectbox(key="ad_sched").set_value("exponential_decay").run()
    assert not at.checkbox(key="ad_compare").proto.disabled
    assert len(paths(animated(at)[1])) == 6


def test_small_learning_rates_show_on_a_log_axis():
    at = run_page(PAGE, {"ad_adagrad_lr": "0.001"})
    fig = titled(at, "learning rate ηᵗ")
    assert fig["layout"]["yaxis"]["type"] == "log"
    _steps, rate = curve(fig, "learning rate ηᵗ", 0)
    np.testing.assert_allclose(rate, 0.001)


def test_axes_are_readable():
    """Log axes are labelled at round decades or at round values written as 1.25×10⁶, never
    1.06055×10⁶ or 1.3e+6; colour bars have distinct ticks."""
    at = run_page(PAGE, {"ad_steps": "5000"})
    for fig in figures(at):
        for name, axis in fig["layout"].items():
            if name.startswith("yaxis") and axis.get("type") == "log":
                assert axis.get("dtick") or axis.get("ticktext"), (name, axis)
                assert not any("e" in text for text in axis.get("ticktext", [])), axis
        for trace in traces(fig, "pick"):
            ticks = trace["marker"]["colorbar"]["ticktext"]
            assert len(set(ticks)) == len(ticks) and all(len(t) <= 8 for t in ticks)


@pytest.mark.parametrize(
    "query",
    [{}, {"ad_steps": "10000", "ad_sched": "cosine_annealing", "ad_compare": "true"}],
    ids=["default", "longest"],
)
def test_page_sends_at_most_a_megabyte_of_charts(query):
    at = run_page(PAGE, query)
    sent = sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))
    assert sent < 1_000_000, sent


# ---- Presets: each note's claims, checked against what the page computed ----------------------


def open_(name: str):
    at = open_preset(PAGE, PRESETS, name)
    sent = sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))
    assert sent < 1_000_000
    return at


def _adagrad_bursts_with_the_lectures_sigma(at):
    run = at.table[0].value.iloc[0]
    assert run.name == "1: adagrad (lr 1, lecture)" and run["verdict"] == "💥 burst"
    near = int(run["near at step"])  # it came within 1 % ...
    assert 0.25 < percent(run["farthest after"]) < 0.42  # ... then about a third away
    assert int(run["bursts"]) >= 3  # again and again
    sigma = titled(at, "σ<sub>w</sub>")
    assert limit(sigma) == pytest.approx(LIMIT_W)
    steps, sigma_w = curve(sigma, "σ<sub>w</sub>", 0)
    after = sigma_w[steps >= near]
    assert after[: np.searchsorted(steps[steps >= near], near + 200)].min() < after[0]  # shrinks
    steps, effective = curve(sigma, "effective step η/σ<sub>w</sub>", 0)
    above = effective[steps >= near] > LIMIT_W
    assert np.count_nonzero(above[1:] & ~above[:-1]) >= 2  # above the line, below, above again
    pytorch = at.table[1].value.loc["1: adagrad (lr 1)"]  # section 3, the same η
    assert pytorch["verdict"] == "never got near" and pytorch["bursts"] == "—"
    # "the loss jumps, long before the run gets near the optimum", by hand from the core's run
    points, losses = lecture_adagrad(1.0, 5000)
    jump = int(np.flatnonzero(losses > 2 * np.minimum.accumulate(losses))[0])
    first_near = int(np.flatnonzero(np.max(np.abs(points - SURFACE.minima[0]) / SIDES, axis=1)
                                    < 0.01)[0])  # fmt: skip
    assert near == first_near and int(run["loss first jumped at step"]) == jump
    assert jump < near / 2  # long before
    assert stories(at)[0] == (
        f"**1: adagrad (lr 1, lecture)**: its loss first jumped at step {jump}, {near - jump} "
        f"steps before the run first came near the optimum (step {near}), while it was "
        f"{round(100 * np.max(np.abs(points[jump] - SURFACE.minima[0]) / SIDES))} % of the "
        "domain's side away from it."
    )


def _learning_rate_decay_fixes_the_burst(at):
    decayed, constant = (at.table[0].value.iloc[i] for i in (0, 1))
    assert "exponential decay" in decayed.name and "decay" not in constant.name
    assert decayed["verdict"] == "settled" and decayed["steps where the loss rose"] == "0"
    assert percent(decayed["farthest after"]) <= 0.01  # near, and it stays there
    assert constant["verdict"] == "💥 burst"
    curves = titled(at, "learning rate ηᵗ")
    steps, rate = curve(curves, "learning rate ηᵗ", 0)
    np.testing.assert_allclose(rate, 1.0 * 0.9995**steps, rtol=1e-6)  # ηᵗ = η·0.9995ᵗ
    sigma = titled(at, "σ<sub>w</sub>")
    assert curve(sigma, "effective step η/σ<sub>w</sub>", 0)[1].max() < limit(sigma)
    assert curve(sigma, "effective step η/σ<sub>w</sub>", 1)[1].max() > limit(sigma)


def _pytorch_adagrad_never_bursts(at):
    run = at.table[0].value.iloc[0]
    assert run.name == "1: adagrad (lr 10)" and run["verdict"] == "settled"
    assert 2500 <= int(run["near at step"]) <= 3500  # about 3000 steps
    assert run["steps where the loss rose"] == "0"
    sigma = titled(at, "σ<sub>w</sub>")
    for title in ("effective step η/σ<sub>b</sub>", "effective step η/σ<sub>w</sub>"):
        assert (np.diff(curve(sigma, title, 0)[1]) <= 0).all()  # only ever shrinks


def _adam_needs_warm_up(at):
    warm, wild = (at.table[0].value.iloc[i] for i in (0, 1))
    assert "noam" in warm.name and "noam" not in wild.name
    first = paths(animated(at)[1])[1][:2]  # the constant-η run's first step: ±η per coordinate
    np.testing.assert_allclose(np.abs(first[1] - first[0]), [2.0, 2.0], rtol=1e-5)
    assert float(wild["highest loss ÷ start"]) > 30
    steps, gap = curve(titled(at, "learning rate ηᵗ"), "loss", 1)
    assert steps[np.argmax(gap)] == 1  # in one step
    steps, rate = curve(titled(at, "learning rate ηᵗ"), "learning rate ηᵗ", 0)
    assert rate[0] == pytest.approx(2.0 / 60) and rate.max() == pytest.approx(2.0)
    assert steps[np.argmax(rate)] == 59  # grown to η over the first 60 steps
    assert float(warm["highest loss ÷ start"]) < 1.25
    assert 3.5 <= int(wild["near at step"]) / int(warm["near at step"]) <= 5  # ~4× sooner


def lecture_adagrad(lr: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    run = simulate(SURFACE, make_optimizer("adagrad", lr=lr, convention="lecture"),
                   SURFACE.default_start, steps)  # fmt: skip
    return run.points, run.losses


STORIES = {
    "Adagrad bursts (lecture σ)": _adagrad_bursts_with_the_lectures_sigma,
    "… fixed by learning-rate decay": _learning_rate_decay_fixes_the_burst,
    "PyTorch Adagrad never bursts": _pytorch_adagrad_never_bursts,
    "Adam needs warm-up": _adam_needs_warm_up,
}


def test_every_preset_has_a_story():
    assert set(STORIES) == set(PRESETS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_tell_their_story(name):
    STORIES[name](open_(name))


def stories(at, section: int = 0) -> list[str]:
    """The sentences under a section's burst table, one per run, markdown bullets removed."""
    lists = [md.value for md in at.markdown if md.value.startswith("- **")]
    return [line.removeprefix("- ") for line in lists[section].split("\n")]


@pytest.mark.parametrize("name", [None, *PRESETS])
def test_every_runs_sentence_is_its_table_row(name):
    """Each run's sentence under the table says what its row says: when the loss first jumped,
    when the run first came near, and in which order (at the default and every preset)."""
    at = run_page(PAGE) if name is None else open_(name)
    for section, table in enumerate(t.value for t in at.table[:2]):
        said = stories(at, section)
        assert len(said) == len(table)
        for sentence, (run, row) in zip(said, table.iterrows(), strict=True):
            assert sentence.startswith(f"**{run}**: ")
            jump = re.search(r"first jumped at step (\d+)", sentence)
            near = re.search(r"near the optimum (?:at step|\(step) (\d+)", sentence)
            assert (jump.group(1) if jump else "—") == row["loss first jumped at step"]
            assert (near.group(1) if near else "—") == row["near at step"]
            assert ("never jumped" in sentence) == (jump is None)
            assert ("never came near" in sentence) == (near is None)
            if jump and near:
                before = int(jump.group(1)) < int(near.group(1))
                assert ("before the run first came near" in sentence) == before
                assert ("after that" in sentence) == (not before)
