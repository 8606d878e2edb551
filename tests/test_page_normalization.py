"""The normalization page (views/normalization.py) through AppTest: LECTURE.md part 5's numbers
against NumPy's and torch's own, controls, links, and each preset's story."""

import json
from functools import partial

import numpy as np
import pytest
from helpers import figures, link, open_preset, run_page, traces
from reference import reference
from test_normalization import torch_scale_gap, torch_training

from surfaces.normalization import bn_data, feature_data, standardize
from ui.format import number
from views.normalization import BN_DIRECTION, BN_STARTS, N_BN, PRESETS, SEED, SPREAD_SEEDS

PAGE = "views/normalization.py"
RAW, STD = "raw features", "standardized features"


def cards(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def caption(at, start: str) -> str:
    return next(c.value for c in at.caption if c.value.startswith(start))


def rates(at):
    return at.table[0].value


def titled(at, title: str) -> dict:
    return next(f for f in figures(at) if f["layout"].get("title", {}).get("text") == title)


def animated(at) -> list[dict]:
    """The surface views: raw and standardized side by side, the BN surface, then the real
    network's planes (its section is tested in test_page_normalization_network.py; a view
    without runs has one frame, so no frames, Play or scrubber)."""
    return [f for f in figures(at) if f["layout"].get("images")]


def curvatures(scale: float = 100.0, n: int = 1000, seed: int = SEED) -> list[np.ndarray]:
    """2XᵀX/N of the raw and the standardized features, from the data."""
    x = feature_data(scale, n, seed).x
    return [2 * v.T @ v / n for v in (x, standardize(x))]


def trained_by_torch(batch_size: int, steps: int) -> dict[str, np.ndarray]:
    """torch's BN unit after ``steps`` of SGD at η = 0.05 on the page's data, and its test MSEs
    (test_normalization.torch_training)."""
    args = (N_BN, SEED, batch_size, steps, 0.05)
    return reference(f"training{args}", partial(torch_training, *args))


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_default_view_shows_the_lecture_condition_numbers(default):
    """LECTURE.md: cond(XᵀX) ≈ 1.4×10⁵ for x₁ ~ U[1, 2], x₂ ~ U[100, 200], ≈ 1.05 standardized."""
    assert not default.exception and not default.warning
    raw, std = (np.linalg.cond(h) for h in curvatures())
    assert raw == pytest.approx(1.4e5, rel=0.03) and std == pytest.approx(1.05, abs=0.01)
    shown = cards(default)
    assert shown["κ = λmax/λmin, raw"] == number(raw, 3) == "1.41×10⁵"
    assert shown["κ, standardized"] == number(std, 3) == "1.05"
    for side, h in zip(("raw", "standardized"), curvatures(), strict=True):
        low, high = np.linalg.eigvalsh(h)
        assert shown[f"λmin, {side}"] == number(low, 3)
        assert shown[f"λmax, {side}"] == number(high, 3)


def test_rates_are_the_bounds_of_this_kappa_and_gradient_descent_meets_its_own(default):
    table = rates(default)
    assert list(table) == [RAW, STD]
    for side, h in zip((RAW, STD), curvatures(), strict=True):
        kappa = np.linalg.cond(h)
        root = np.sqrt(kappa)
        assert table.loc["(κ−1)/(κ+1)", side] == number((kappa - 1) / (kappa + 1), 6)
        assert table.loc["(√κ−1)/(√κ+1)", side] == number((root - 1) / (root + 1), 6)
        gd = np.max(np.abs(1 - 3e-5 * np.linalg.eigvalsh(h)))  # the default: SGD at η = 3×10⁻⁵
        assert table.loc["GD at this η: max|1−ηλ|", side] == number(gd, 6)
        assert table.loc["status", side] == "stable, converging"
    assert table.loc["measured rate", RAW] == table.loc["GD at this η: max|1−ηλ|", RAW]
    steps = caption(default, "**2/λmax**")
    for h in curvatures():
        assert number(2 / np.linalg.eigvalsh(h)[-1], 3) in steps
    assert "η is below both" in steps


def test_the_spread_over_samples_is_said(default):
    kappas = []
    for seed in range(SPREAD_SEEDS):
        x = feature_data(100.0, 1000, seed).x
        kappas.append([np.linalg.cond(v.T @ v) for v in (x, standardize(x))])
    raw, std = np.array(kappas).T
    note = caption(default, "κ depends on the sample")
    for value, digits in ((raw.min(), 3), (raw.max(), 3), (np.median(raw), 3), (std.max(), 3),
                          (np.median(std), 3), (std.min(), 5)):  # fmt: skip
        assert number(value, digits) in note
    # As N grows, 2XᵀX/N → 2E[xxᵀ]: E[x₁²] = 7/3, E[x₂²] = 7·100²/3, E[x₁x₂] = 1.5·150.
    population = np.array([[7 / 3, 225.0], [225.0, 70_000 / 3]])
    assert f"tends to {number(np.linalg.cond(population), 3)}" in note
    assert f"seed {SEED}, N = 1000" in note


def test_every_section_draws(default):
    scaling, descent, planes = animated(default)
    assert len(scaling["layout"]["images"]) == 2 and len(scaling["frames"]) > 10
    assert not planes["frames"] and not planes["layout"].get("updatemenus")  # nothing to play
    assert traces(descent, "arrows") and descent["layout"]["images"]
    assert len(planes["layout"]["images"]) == 2  # without and with batch norm
    directions = titled(default, "Loss by direction of w (the surface is constant along rays)")
    assert len(traces(directions, "batch")) == N_BN // 16
    histograms = next(f for f in figures(default) if traces(f, "histogram"))
    notes = [histograms["layout"][f"xaxis{s}"]["title"]["text"] for s in ("", "2", "3")]
    assert notes[1:] == ["mean 0, sd 1", "mean 0, sd 1"]  # ẑ and γẑ + β at γ = 1, β = 0
    assert titled(default, "Test loss by test batch size")
    assert len(figures(default)) == 13  # 5 of them in the real network's section


def test_scale_invariance_is_checked_against_torch(default):
    w = BN_STARTS[0] * np.array([np.cos(BN_DIRECTION), np.sin(BN_DIRECTION)])
    gap = reference(f"scale_gap({N_BN}, {SEED})",
                    partial(torch_scale_gap, bn_data(N_BN, SEED).x, w, 10.0))  # fmt: skip
    note = caption(default, "Checked at the first run's start w")
    assert f"with a = 10, BN(a·w·x) and BN(w·x) differ by at most {number(gap, 2)}" in note
    assert 0 < gap < 1e-3  # only ε keeps it from 0


def test_running_averages_and_test_losses_match_a_torch_model(default):
    """PyTorch's BatchNorm1d, momentum 0.1, trained on the same batches with SGD."""
    theirs = trained_by_torch(16, 200)
    note = caption(default, "After 200 steps of batch 16")
    assert f"running mean {number(theirs['running_mean'], 3)}" in note
    assert f"running variance {number(theirs['running_var'], 3)}" in note
    assert "1/0.1 = 10 steps" in note
    test = bn_data(N_BN, SEED + 1)
    shown = cards(default)
    assert shown["test MSE, running statistics"] == number(theirs["test_running"], 3)
    assert shown["test MSE, own statistics, batch of 2"] == number(theirs["test_pairs"], 3)
    beta = theirs["beta"]  # a batch of one normalizes to 0: every prediction is β
    assert shown["test MSE, own statistics, batch of 1"] == number(np.mean((beta - test.t) ** 2), 3)


def test_controls_change_the_figures(default):
    at = run_page(PAGE)
    at.select_slider(key="bn_scale").set_value(1.0).run()
    at.slider(key="bn_gamma").set_value(2.0).run()
    assert not at.exception
    before, after = animated(default), animated(at)
    assert after[0]["layout"]["images"] != before[0]["layout"]["images"]  # the scale
    assert after[1]["layout"]["images"] != before[1]["layout"]["images"]  # γ
    assert float(cards(at)["κ = λmax/λmin, raw"]) < 100


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE)
    at.select_slider(key="bn_scale").set_value(10.0).run()  # sidebar
    at.selectbox(key="bn_run_opt").set_value("momentum").run()
    at.slider(key="bn_run_momentum").set_value(0.5).run()
    at.select_slider(key="bn_batch").set_value(32).run()  # batch-norm section
    at.slider(key="bn_gamma").set_value(1.5).run()
    at.select_slider(key="bn_sgd_lr").set_value(1.0).run()  # scale-invariance fragment
    at.slider(key="bn_train_steps").set_value(300).run()  # training fragment
    at.slider(key="bn_beta").set_value(0.5).run()
    assert link(at) == {
        "bn_batch": "32", "bn_beta": "0.5", "bn_gamma": "1.5", "bn_run_momentum": "0.5",
        "bn_run_opt": "momentum", "bn_scale": "10", "bn_sgd_lr": "1", "bn_train_steps": "300",
    }  # fmt: skip
    shared = run_page(PAGE, link(at))
    assert not shared.warning
    # Compared as JSON: the arrow trace separates segments with NaN, and NaN != NaN.
    assert json.dumps(figures(shared)) == json.dumps(figures(at))
    at.slider(key="bn_gamma").set_value(1.0).run()  # back to the default: out of the link
    assert "bn_gamma" not in link(at)


def test_small_batches_draw_a_spread_of_curves_with_the_chosen_one():
    at = run_page(PAGE, {"bn_batch": "2", "bn_batch_index": "78"})
    directions = titled(at, "Loss by direction of w (the surface is constant along rays)")
    drawn = [t["meta"]["run"] for t in traces(directions, "batch")]
    assert 77 in drawn and drawn[0] == 0 and drawn[-1] == 127 and len(drawn) <= 33
    chosen = next(t for t in traces(directions, "batch") if t["meta"]["run"] == 77)
    assert chosen["showlegend"] and chosen["name"] == "batch 78"
    assert f"({len(drawn)} of the epoch's 128 are drawn)" in caption(at, "Every grey curve")


def test_a_batch_number_beyond_the_epoch_is_clamped():
    at = run_page(PAGE, {"bn_batch_index": "12"})
    at.select_slider(key="bn_batch").set_value(128).run()  # two batches per epoch now
    assert not at.exception and at.number_input(key="bn_batch_index").value == 2


def _preset_largest_stable_step_on_raw_data(at):
    high = np.linalg.eigvalsh(curvatures()[0])[-1]
    assert 3e-5 < 2 / high < 5e-5 and number(2 / high, 2) == "4.4×10⁻⁵"  # the next value is 5e-5
    table = rates(at)
    assert table.loc["status", RAW] == "stable, converging"
    assert table.loc["measured rate", RAW] == "0.99999"
    raw_distance, std_distance = distances(at)
    assert raw_distance[5] < 0.9 * raw_distance[0]  # drops into the valley at once ...
    assert raw_distance[-1] > 0.95 * raw_distance[5]  # ... then crawls
    assert std_distance[-1] > 0.95 * std_distance[0]  # the standardized run has barely moved


def distances(at) -> list[np.ndarray]:
    curves = next(f for f in figures(at) if f["layout"].get("annotations", [{}])[0].get("text")
                  == "distance to the optimum ‖w − w*‖")  # fmt: skip
    return [np.asarray(t["y"], dtype=float) for t in curves["data"]]


def _preset_a_good_step_after_standardizing(at):
    table = rates(at)
    assert table.loc["status", RAW] == "diverged at step 2"  # "diverges there at once"
    assert table.loc["status", STD] == "stable, converging"
    _raw, std_distance = distances(at)
    assert std_distance[5] < 1e-6 * std_distance[0]  # "converges in a few steps"
    raw, std = (np.linalg.eigvalsh(h)[-1] for h in curvatures())
    assert raw / std > 1e4  # 2/λmax "more than 10⁴ times smaller"


def _preset_same_scale_still_stretched(at):
    raw, std = (np.linalg.cond(h) for h in curvatures(scale=1.0))
    assert 50 < raw < 60 and std < 1.1  # "still about 55", "drops to about 1"
    assert cards(at)["κ = λmax/λmin, raw"] == number(raw, 3)
    assert cards(at)["κ, standardized"] == number(std, 3)


def _preset_heavy_ball_momentum(at):
    table = rates(at)
    kappa = np.linalg.cond(curvatures()[0])
    assert number((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1), 3) == "0.995"
    assert number((kappa - 1) / (kappa + 1), 5) == "0.99999"
    measured = float(table.loc["measured rate", RAW])
    assert number(measured, 3) == "0.997" and table.loc["status", RAW] == "stable, converging"
    assert "not plain gradient descent" in caption(at, "**2/λmax**")  # η is above 2/λmax
    # Polyak's tuning for this κ: η = 4/(√λmin + √λmax)², momentum ((√κ − 1)/(√κ + 1))².
    low, high = np.sqrt(np.linalg.eigvalsh(curvatures()[0]))
    assert 4 / (low + high) ** 2 == pytest.approx(7e-5, rel=0.3)
    assert ((high - low) / (high + low)) ** 2 == pytest.approx(0.99, abs=0.005)


def _preset_batch_of_one_at_test_time(at):
    beta = trained_by_torch(8, 300)["beta"]
    test = bn_data(N_BN, SEED + 1)
    one = float(cards(at)["test MSE, own statistics, batch of 1"])
    running = float(cards(at)["test MSE, running statistics"])
    assert cards(at)["test MSE, own statistics, batch of 1"] == number(
        np.mean((beta - test.t) ** 2), 3
    )  # every prediction is β
    assert 2.5 < one / running < 3.5  # "about three times"
    assert f"every prediction is β = {number(beta, 3)}" in caption(at, "A batch of one")


STORIES = {
    "Largest stable step on raw data": _preset_largest_stable_step_on_raw_data,
    "A good step after standardizing": _preset_a_good_step_after_standardizing,
    "Same scale, still stretched": _preset_same_scale_still_stretched,
    "Heavy-ball momentum on the raw valley": _preset_heavy_ball_momentum,
    "Batch of one at test time": _preset_batch_of_one_at_test_time,
}


def test_every_preset_has_a_story():
    assert set(STORIES) == {
        name
        for name, preset in PRESETS.items()
        if not any(key.startswith("bnn_") for key in preset.values)
    }  # the network section's: tests/test_page_normalization_network.py


@pytest.mark.parametrize("name", sorted(STORIES))
def test_presets_tell_their_story(name):
    STORIES[name](open_preset(PAGE, PRESETS, name))
