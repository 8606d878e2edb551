"""The MSE vs cross-entropy page (views/loss_functions.py) through AppTest: the lecture's numbers
against torch autograd, controls, links, and each preset's story."""

from functools import partial

import numpy as np
import pytest
from helpers import figures, link, open_preset, run_page, traces
from reference import reference
from test_classification import torch_derivatives

from ui.format import number
from views.loss_functions import PRESETS

PAGE = "views/loss_functions.py"


def by_torch(loss: str, start, target: int = 1, y3: float = -1000.0) -> tuple[float, float]:
    """(loss, ‖g‖) at (y₁, y₂) = start by torch autograd (test_classification's), float64."""
    key = {"MSE": "softmax_mse", "CE": "softmax_ce"}[loss]
    theirs = reference(f"{key}(target={target}, y3={y3})/{start}",
                       partial(torch_derivatives, key, target, y3, np.array([start])))  # fmt: skip
    return float(theirs["value"][0]), float(np.linalg.norm(theirs["grad"][0]))


def torch_softmax(logits: list[float]) -> np.ndarray:
    """torch.softmax of the logits in float64."""
    import torch

    return torch.softmax(torch.tensor(logits, dtype=torch.float64), 0).numpy()


def animated(at) -> dict:
    """MSE and cross-entropy side by side: one figure, one Play, one scrubber."""
    (fig,) = [fig for fig in figures(at) if fig.get("frames")]
    return fig


def markers(at) -> list[np.ndarray]:
    """Where the run ends on each panel (MSE first)."""
    return [np.array([t["x"][0], t["y"][0]]) for t in traces(animated(at), "marker")]


def readouts(at) -> list[str]:
    return [step["label"] for step in animated(at)["layout"]["sliders"][0]["steps"]]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def value(text: str) -> float:
    """A number as ui.format.number shows it (4.787×10⁻⁵, −3) back as a float."""
    mantissa, _, exponent = text.replace("−", "-").partition("×10")
    return float(mantissa) * 10.0 ** int(exponent.translate(SUPERSCRIPTS) or 0)


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_default_view_shows_the_lecture_numbers(default):
    """LECTURE.md part 4: at (−10, 10), target 1, y₃ = −1000, MSE = 2.0 with ‖g‖ ≈ 1e−8 and
    cross-entropy = 20 with ‖g‖ = 1.414."""
    assert not default.exception and not default.warning
    mse, mse_g = by_torch("MSE", (-10.0, 10.0))
    ce, ce_g = by_torch("CE", (-10.0, 10.0))
    assert mse == pytest.approx(2.0, abs=1e-6) and 5e-9 < mse_g < 5e-8
    assert ce == pytest.approx(20.0, abs=1e-6) and ce_g == pytest.approx(1.414, abs=5e-4)
    shown = metrics(default)
    assert shown["MSE at the start"] == number(mse) == "2"
    assert shown["‖g‖ of MSE at the start"] == number(mse_g)
    assert shown["cross-entropy at the start"] == number(ce) == "20"
    assert shown["‖g‖ of cross-entropy at the start"] == number(ce_g) == "1.414"
    check = next(c.value for c in default.caption if c.value.startswith("Lecture check"))
    for value in (number(mse), number(mse_g, 3), number(ce), number(ce_g)):
        assert value in check


def test_gradient_descent_stays_on_the_mse_plateau_and_descends_cross_entropy(default):
    shown = metrics(default)
    assert shown["MSE after 200 steps"] == "2"
    assert value(shown["cross-entropy after 200 steps"]) < 0.01
    mse_end, ce_end = markers(default)
    # the start (−10, 10) is the domain's corner: the marker is drawn whole, not clipped
    assert all(t["cliponaxis"] is False for t in traces(animated(default), "marker"))
    np.testing.assert_allclose(mse_end, [-10.0, 10.0], atol=1e-6)  # did not move
    assert ce_end[0] > 0 > ce_end[1]
    for fig_panel in animated(default)["layout"]["images"]:
        assert fig_panel["source"].startswith("data:image/png;base64,")


def test_scrubber_labels_read_both_losses_at_each_step(default):
    labels = readouts(default)
    assert labels[0] == "0 · MSE 2, ‖g‖ 1.2×10⁻⁸ · cross-entropy 20, ‖g‖ 1.4"
    assert labels[-1].startswith("200 · MSE 2, ‖g‖ 1.2×10⁻⁸ · cross-entropy ")
    ce = [value(label.split("cross-entropy ")[1].split(",")[0]) for label in labels]
    assert ce == sorted(ce, reverse=True) and ce[-1] < 0.01


def test_softmax_bars_show_the_start_logits_and_probabilities(default):
    bars = next(fig for fig in figures(default) if fig["data"][0]["type"] == "bar")
    roles = ("logits", "probabilities", "target")
    (logits,), (probs,), (target,) = (traces(bars, role) for role in roles)
    assert logits["text"] == ["−10", "10", "−1000"]
    logits = [-10.0, 10.0, -1000.0]
    expected = reference(f"softmax({logits})", partial(torch_softmax, logits))
    np.testing.assert_allclose(probs["y"], expected, rtol=1e-12, atol=1e-300)
    assert target["y"] == [1.0, 0.0, 0.0]
    text = next(md.value for md in default.markdown if md.value.startswith("Softmax saturates"))
    assert "leads the next by $20$" in text and r"e^{-20} \approx 2.06\times 10^{-9}" in text


def test_at_the_origin_softmax_is_not_saturated():
    at = run_page(PAGE, {"lf_start_x": "0", "lf_start_y": "0"})
    assert any(md.value.startswith("Softmax is not saturated") for md in at.markdown)


def test_changing_the_target_changes_both_surfaces(default):
    at = run_page(PAGE)
    at.radio(key="lf_target").set_value(2).run()
    assert not at.exception and link(at) == {"lf_target": "2"}
    before, after = animated(default)["layout"]["images"], animated(at)["layout"]["images"]
    assert all(old["source"] != new["source"] for old, new in zip(before, after, strict=True))
    # Class 2 already wins at (−10, 10): MSE = p₁² + (1 − p₂)² ≈ 2e⁻⁴⁰, CE = log(1 + e⁻²⁰).
    assert metrics(at)["MSE at the start"] == number(by_torch("MSE", (-10.0, 10.0), 2)[0])
    assert metrics(at)["cross-entropy at the start"] == number(np.log1p(np.exp(-20.0)))


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE)
    at.slider(key="lf_steps").set_value(300).run()
    at.select_slider(key="lf_r_lr").set_value(0.3).run()
    at.radio(key="lf_target").set_value(3).run()
    at.slider(key="lf_r_momentum").set_value(0.5).run()
    at.radio(key="lf_color").set_value("linear").run()
    assert link(at) == {
        "lf_color": "linear", "lf_r_lr": "0.3", "lf_r_momentum": "0.5", "lf_steps": "300",
        "lf_target": "3",
    }  # fmt: skip
    shared = run_page(PAGE, link(at))
    assert not shared.warning and figures(shared) == figures(at)
    at.slider(key="lf_steps").set_value(200).run()  # back to the default: out of the link
    assert "lf_steps" not in at.query_params


def _preset_the_lecture_start(at):
    assert not at.exception and not at.warning and at.query_params["preset"]
    shown = metrics(at)
    # "MSE is 2 with a gradient norm of about 10⁻⁸ ... does not move at all"
    assert shown["MSE at the start"] == "2" and shown["MSE after 200 steps"] == "2"
    assert 5e-9 < by_torch("MSE", (-10.0, 10.0))[1] < 5e-8
    np.testing.assert_allclose(markers(at)[0], [-10.0, 10.0], atol=1e-6)
    # "cross-entropy is 20 with gradient norm 1.414 ... down to below 0.01"
    assert shown["cross-entropy at the start"] == "20"
    assert shown["‖g‖ of cross-entropy at the start"] == "1.414"
    assert value(shown["cross-entropy after 200 steps"]) < 0.01


def _preset_adam_gets_off_the_plateau(at):
    assert at.selectbox(key="lf_r_opt").value == "adam"
    shown = metrics(at)
    assert shown["MSE at the start"] == "2"  # the same start, the same flat surface
    assert value(shown["MSE after 200 steps"]) < 0.01  # "ends with MSE below 0.01"
    assert markers(at)[0][0] > 0  # it left the plateau for class 1's side


def _preset_not_yet_saturated(at):
    shown = metrics(at)
    for loss in ("MSE", "cross-entropy"):  # "lowers both losses more than tenfold"
        start = value(shown[f"{loss} at the start"])
        end = value(shown[f"{loss} after 200 steps"])
        assert end < start / 10
    mse, mse_g = by_torch("MSE", (0.0, 0.0))
    assert shown["MSE at the start"] == number(mse) and mse_g > 0.1  # MSE has a slope here
    assert any(md.value.startswith("Softmax is not saturated") for md in at.markdown)


STORIES = {
    "The lecture's start (−10, 10)": _preset_the_lecture_start,
    "Adam gets off the plateau": _preset_adam_gets_off_the_plateau,
    "Not yet saturated: both descend": _preset_not_yet_saturated,
}


def test_every_preset_has_a_story():
    assert set(STORIES) == set(PRESETS)


@pytest.mark.parametrize("name", sorted(STORIES))
def test_presets_tell_their_story(name):
    STORIES[name](open_preset(PAGE, PRESETS, name))
