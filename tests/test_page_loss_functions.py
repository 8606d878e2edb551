"""App tests of the MSE vs cross-entropy page (views/loss_functions.py)."""

import numpy as np
import pytest
from helpers import figures, open_preset, run_page

from views.loss_functions import PRESETS

PAGE = "views/loss_functions.py"


def _animated(at) -> dict:
    """The one animated figure: MSE and cross-entropy side by side, one Play, one scrubber."""
    (fig,) = [fig for fig in figures(at) if fig.get("frames")]
    return fig


def _trajectories(at) -> list[dict]:
    """Each panel of the animated figure (MSE first, then cross-entropy): its background image,
    x axis and run marker."""
    fig = _animated(at)
    panels = []
    for index, suffix in enumerate(("", "2")):
        (marker,) = [
            t for t in fig["data"]
            if t.get("xaxis", "x") == f"x{suffix}" and t.get("mode") == "markers"
            and t.get("legendgroup") == "0"
        ]  # fmt: skip
        panels.append({
            "image": fig["layout"]["images"][index],
            "xaxis": fig["layout"][f"xaxis{suffix}"],
            "marker": marker,
        })  # fmt: skip
    return panels


def _readout(at) -> str:
    return _animated(at)["layout"]["sliders"][0]["steps"][-1]["label"]


def _marker_end(panel: dict) -> np.ndarray:
    return np.array([panel["marker"]["x"][0], panel["marker"]["y"][0]])


def _metrics(at) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_default_view_shows_the_lecture_numbers(default):
    assert not default.exception
    mse, ce = _trajectories(default)
    assert len(_animated(default)["frames"]) > 10
    for panel in (mse, ce):
        assert panel["image"]["source"].startswith("data:image/png;base64,")
        assert panel["xaxis"]["title"]["text"] == "y₁"
    # Loss and ‖g‖ at the start, then after the run: MSE stays put, CE descends.
    metrics = _metrics(default)
    assert metrics[:4] == [
        ("loss at the start", "2"),
        ("‖g‖ at the start", "1.17e-08"),
        ("loss after 200 steps", "2"),
        ("‖g‖ after 200 steps", "1.17e-08"),
    ]
    assert metrics[4:6] == [("loss at the start", "20"), ("‖g‖ at the start", "1.41")]
    assert float(metrics[6][1]) < 0.01
    np.testing.assert_allclose(_marker_end(mse), [-10.0, 10.0], atol=1e-5)
    assert _marker_end(ce)[0] > 0
    assert _readout(default).startswith("200 · MSE: loss 2, ‖g‖ 1.2e-08 · cross-entropy: loss ")


def test_scrubber_labels_follow_the_run(default):
    steps = _animated(default)["layout"]["sliders"][0]["steps"]
    assert steps[0]["label"] == "0 · MSE: loss 2, ‖g‖ 1.2e-08 · cross-entropy: loss 20, ‖g‖ 1.4"
    losses = [float(s["label"].split("loss ")[2].split(",")[0]) for s in steps]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.01


def test_softmax_bars_show_the_start_logits_and_probabilities(default):
    bars = next(fig for fig in figures(default) if fig["data"][0]["type"] == "bar")
    logits, probs, target = bars["data"]
    assert logits["text"] == ["-10", "10", "-1000"]
    np.testing.assert_allclose(probs["y"], [np.exp(-20.0), 1.0, 0.0], atol=1e-12)
    assert target["y"] == [1.0, 0.0, 0.0]


def test_changing_target_changes_both_surfaces(default):
    at = run_page(PAGE)
    at.radio(key="lf_target").set_value(2).run()
    assert not at.exception
    before, after = _trajectories(default), _trajectories(at)
    for old, new in zip(before, after, strict=True):
        assert old["image"]["source"] != new["image"]["source"]
    # Class 2 already wins at (−10, 10): MSE = p₁² + (1 − p₂)² ≈ 2e⁻⁴⁰, CE = log(1 + e⁻²⁰).
    assert _metrics(at)[0] == ("loss at the start", f"{2 * np.exp(-40.0):.4g}")
    assert _metrics(at)[4] == ("loss at the start", f"{np.log1p(np.exp(-20.0)):.4g}")


def test_url_restores_the_view_set_by_widgets():
    query = {
        "lf_target": "3", "lf_y3": "0", "lf_start_x": "2", "lf_start_y": "-3", "lf_steps": "60",
        "lf_r_opt": "adam", "lf_r_lr": "0.1", "lf_color": "linear",
    }  # fmt: skip
    from_url = run_page(PAGE, query)
    assert not from_url.exception and not from_url.warning
    by_hand = run_page(PAGE)
    by_hand.radio(key="lf_target").set_value(3)
    by_hand.number_input(key="lf_y3").set_value(0.0)
    by_hand.number_input(key="lf_start_x").set_value(2.0)
    by_hand.number_input(key="lf_start_y").set_value(-3.0)
    by_hand.slider(key="lf_steps").set_value(60)
    by_hand.selectbox(key="lf_r_opt").set_value("adam")
    by_hand.radio(key="lf_color").set_value("linear")
    by_hand.run()
    by_hand.select_slider(key="lf_r_lr").set_value(0.1).run()
    assert figures(from_url) == figures(by_hand)
    assert _readout(from_url).startswith("60 · ")


def test_bad_url_values_warn_and_fall_back():
    at = run_page(PAGE, {"lf_target": "banana", "lf_y3": "-5000"})
    assert not at.exception
    assert "lf_target" in at.warning[0].value and "lf_y3" in at.warning[0].value
    assert _metrics(at)[0] == ("loss at the start", "2")


def test_preset_sets_the_story():
    at = open_preset(PAGE, PRESETS, list(PRESETS)[1])  # "Adam gets off the plateau"
    assert not at.exception and not at.warning
    assert "Adam" in at.info[0].value
    assert at.selectbox(key="lf_r_opt").value == "adam"
    mse, _ = _trajectories(at)
    assert _marker_end(mse)[0] > 0  # Adam leaves the plateau
