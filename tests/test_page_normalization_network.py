"""The normalization page's section "On a real network" through AppTest: what it shows is the
core's comparison (nets.compare, itself tested against torch), its controls reach the link and a
link restores the view, bad values and limits are messages, and each preset's note holds."""

import json

import numpy as np
import pytest
from helpers import figures, link, open_preset, run_page

from nets import compare
from ui.format import number
from views.normalization import ARCHS, CHECKPOINTS, DEFAULT_RATES, PRESETS

PAGE = "views/normalization.py"
NETS = ("without batch norm", "with batch norm")
NETWORK_PRESETS = [name for name, preset in PRESETS.items()
                   if any(key.startswith("bnn_") for key in preset.values)]  # fmt: skip


def comparison(arch="8-8-8", activation="relu", optimizer="sgd", rates=DEFAULT_RATES, steps=200,
               seed=0) -> compare.Comparison:  # fmt: skip
    """The core's comparison for these settings (the page's, computed once per process)."""
    return compare.compare(ARCHS[arch], activation=activation, rates=rates, steps=steps,
                           optimizer=optimizer, checkpoints=CHECKPOINTS, seed=seed)  # fmt: skip


def table(at):
    return next(t.value for t in at.table if "loss at the end" in t.value.columns)


def reading(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**At η ="))


def section_figures(at) -> dict[str, dict]:
    """The section's figures by the role of their traces (compare them with ``as_text``: a
    diverged run's NaN is not equal to itself)."""
    out = {}
    for figure in figures(at):
        roles = {(t.get("meta") or {}).get("role") for t in figure["data"]}
        for role in ("top", "loss", "loss_band"):
            if role in roles:
                out[role] = figure
        if len(figure["layout"].get("images", [])) == 2 and "random direction 1" in str(
            figure["layout"]
        ):
            out["slices"] = figure
    return out


def as_text(shown: dict[str, dict]) -> str:
    return json.dumps(shown, sort_keys=True)


def trace(figure: dict, role: str, net: int, run: int | None = None) -> np.ndarray:
    found = [t for t in figure["data"] if (t.get("meta") or {}).get("role") == role
             and t["meta"].get("net") == net and t["meta"].get("run", run) == run]  # fmt: skip
    assert len(found) == 1, (role, net, run)
    return np.array(found[0]["y"], dtype=float)


def same(shown: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(shown, expected, rtol=1e-9, equal_nan=True)


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE, timeout=180)


@pytest.fixture(scope="module")
def expected():
    return comparison()


def test_the_section_shows_the_cores_comparison(default, expected):
    assert not default.exception and not default.warning and not default.error
    shown = section_figures(default)
    assert set(shown) == {"top", "loss", "loss_band", "slices"}
    for n, run in enumerate(expected):
        for r, rate in enumerate(DEFAULT_RATES):
            same(trace(shown["top"], "top", n, r), run.top[:, r])
            same(trace(shown["top"], "kappa", n, r), run.kappa[:, r])
            same(trace(shown["loss"], "loss", n, r), run.losses[:, r])
            row = table(default).loc[f"η = {rate:g}, {NETS[n]}"]
            assert row["loss at the start"] == number(run.losses[0, r], 3)
            assert row["λmax at the end"] == number(run.top[-1, r], 3)
            assert row["κ at the end"] == number(run.kappa[-1, r], 3)
            end = compare.outcomes(run)[r]
            assert row["loss at the end"] == (
                f"diverged at step {end.diverged_at}" if end.diverged_at else number(end.loss, 3)
            )
        r = DEFAULT_RATES.index(0.1)  # the rate looked at by default
        same(trace(shown["loss_band"], "loss_band", n), run.loss_band[:, r, 1])
        same(trace(shown["loss_band"], "loss_band_low", n), run.loss_band[:, r, 0])
        same(trace(shown["loss_band"], "grad_band", n), run.grad_band[:, r, 1])
    text = reading(default)
    for run in expected:
        assert number(run.losses[-1, 1], 3) in text and number(run.top[-1, 1], 3) in text
    # 2/η of gradient descent beside λmax, one line per rate
    limits = [t for t in shown["top"]["data"] if (t.get("meta") or {}).get("role") == "limit"]
    assert sorted(t["y"][0] for t in limits) == sorted(2 / r for r in DEFAULT_RATES)


def test_the_slices_are_the_loss_around_each_end_point(default, expected):
    figure = section_figures(default)["slices"]
    pieces = compare.end_slices(expected, DEFAULT_RATES.index(0.1), seed=0)
    for piece, run in zip(pieces, expected, strict=True):
        assert piece.f(np.array(0.0), np.array(0.0)) == pytest.approx(
            run.network.loss(run.ends[1]))  # fmt: skip
    assert [a["text"] for a in figure["layout"]["annotations"][:2]] == [
        f"<b><span style='color:{c}'>{n}</span></b>"
        for c, n in zip(("#ffbd45", "#00c0f2"), NETS, strict=True)
    ]
    assert all(image["source"].startswith("data:image/png") for image in figure["layout"]["images"])


QUERY = {"bnn_steps": "400", "bnn_lrs": ["0.03", "0.3"], "bnn_look": "0.03"}


def test_changes_in_a_row_reach_the_link_which_restores_the_view():
    by_hand = run_page(PAGE, timeout=180)
    by_hand.slider(key="bnn_steps").set_value(400).run()
    by_hand.multiselect(key="bnn_lrs").set_value([0.03, 0.3]).run()
    by_hand.selectbox(key="bnn_look").set_value(0.03).run()
    assert not by_hand.exception and not by_hand.warning and not by_hand.error
    assert link(by_hand) == QUERY
    shared = run_page(PAGE, QUERY, timeout=180)
    assert not shared.exception and not shared.warning
    assert as_text(section_figures(shared)) == as_text(section_figures(by_hand))
    expected = comparison(rates=(0.03, 0.3), steps=400)
    same(trace(section_figures(shared)["top"], "top", 1, 0), expected.normalized.top[:, 0])
    assert "**At η = 0.03**, after 400 steps" in reading(shared)


@pytest.mark.parametrize(
    "query, ignored",
    [({"bnn_lrs": "0.5"}, "bnn_lrs=0.5"), ({"bnn_steps": "5000"}, "bnn_steps=5000"),
     ({"bnn_arch": "64-64"}, "bnn_arch=64-64")],
)  # fmt: skip
def test_bad_link_values_load_defaults_with_one_warning(query, ignored, default):
    at = run_page(PAGE, query, timeout=180)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and ignored in at.warning[0].value
    assert as_text(section_figures(at)) == as_text(section_figures(default))
    assert link(at) == {}


def test_limits_are_messages_not_exceptions():
    every = [f"{rate:g}" for rate in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)]
    at = run_page(PAGE, {"bnn_lrs": every}, timeout=180)
    assert not at.exception and not at.warning
    assert len(at.error) == 1 and "refused" in at.error[0].value
    assert "1 to 6 learning rates" in at.error[0].value
    assert link(at) == {"bnn_lrs": every}
    at.multiselect(key="bnn_lrs").set_value([]).run()
    assert not at.exception and not at.error
    assert any("at least one learning rate" in i.value for i in at.info)


def test_the_network_presets_are_these_three():
    assert NETWORK_PRESETS == [
        "A real network: batch norm trains faster",
        "A real network: the step size sets the sharpness",
        "A real network: tanh units",
    ]


def opened(name: str):
    """The preset's page (no exception, its note shown) and the core's comparison for it."""
    at = open_preset(PAGE, PRESETS, name)
    assert not at.exception and not at.warning and not at.error
    assert any(name in info.value for info in at.info)
    values = PRESETS[name].values
    found = comparison(activation=values.get("bnn_act", "relu"), rates=values["bnn_lrs"],
                       steps=values.get("bnn_steps", 200))  # fmt: skip
    same(trace(section_figures(at)["top"], "top", 1, 0), found.normalized.top[:, 0])
    return at, found


def test_preset_batch_norm_trains_faster():
    at, (plain, bn) = opened("A real network: batch norm trains faster")
    ends = [compare.outcomes(run) for run in (plain, bn)]
    for r in (0, 1):  # η = 0.01 and 0.1
        assert ends[0][r].trained and ends[1][r].trained
        assert ends[1][r].loss * 100 < ends[0][r].loss
    assert bn.top[-1, 1] > 3 * plain.top[-1, 1]
    widths = [run.loss_band[-1, 1, 1] - run.loss_band[-1, 1, 0] for run in (plain, bn)]
    assert widths[1] * 100 < widths[0]
    assert plain.diverged_at[2] is None and not ends[0][2].trained
    outputs = plain.network.outputs(plain.ends[2])
    assert np.ptp(outputs) < 1e-12  # dead: the same output for every x
    assert bn.diverged_at[2] is not None
    assert "diverged at step" in table(at).loc["η = 1, with batch norm", "loss at the end"]


def test_preset_the_step_size_sets_the_sharpness():
    _, (plain, bn) = opened("A real network: the step size sets the sharpness")
    later = plain.checkpoints >= 100
    for run in (plain, bn):
        assert np.all(np.abs(run.top[later, 1] / (2 / 0.3) - 1) < 0.2)
        assert run.top[-1, 0] < 0.5 * 2 / 0.03
    for r in (0, 1):
        assert bn.losses[-1, r] * 10 < plain.losses[-1, r]


def test_preset_tanh_units():
    _, (plain, bn) = opened("A real network: tanh units")
    ratios = plain.losses[-1, :2] / bn.losses[-1, :2]
    assert np.all((ratios > 1) & (ratios < 3))
    assert bn.top[:, 0].max() > 100 and plain.top[:, 0].max() < 5
    width = [run.loss_band[1:, 0, 1] - run.loss_band[1:, 0, 0] for run in (plain, bn)]
    assert np.all(width[1] > width[0])
    assert plain.diverged_at[2] is not None and bn.diverged_at[2] is not None
