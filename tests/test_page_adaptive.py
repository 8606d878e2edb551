"""The adaptive page through AppTest: figures, controls, presets and links."""

import numpy as np
import pytest
from helpers import figures, open_preset, run_page

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from views.adaptive import PRESETS

PAGE = "views/adaptive.py"


def animated(at) -> list[dict]:
    """The three animated views: GD, the adaptive runs, the two conventions."""
    return [fig for fig in figures(at) if fig.get("frames")]


def paths(fig: dict) -> list[np.ndarray]:
    return [
        np.column_stack([t["x"], t["y"]])
        for t in fig["data"][1:]
        if t.get("mode") == "lines" and t.get("opacity")
    ]


def test_default_view_has_every_part():
    at = run_page(PAGE)
    assert not at.exception and not at.warning
    gd, adaptive, conventions = animated(at)
    assert len(paths(gd)) == 2 and len(paths(adaptive)) == 3 and len(paths(conventions)) == 4
    assert all(frame["traces"] for frame in adaptive["frames"])
    titles = [a["text"] for fig in figures(at) for a in fig["layout"].get("annotations", [])]
    assert "effective step η/σ for w" in titles and "|Δw| per step" in titles
    table = at.dataframe[0].value
    assert list(table["run"]) == ["1: adagrad (lr 2)", "2: rmsprop (lr 0.5)", "3: adam (lr 2)"]


def test_paths_are_the_core_simulation():
    at = run_page(PAGE)
    adam = paths(animated(at)[1])[2]
    surface = get_surface("regression")
    expected = simulate(surface, make_optimizer("adam", lr=2.0), (-120.0, -4.0), 3000).points
    np.testing.assert_allclose(adam, expected)


def test_convention_switch_changes_the_run():
    at = run_page(PAGE)
    before = paths(animated(at)[1])[0]
    at.radio(key="ad_adagrad_conv").set_value("lecture").run()
    assert not at.exception
    after = paths(animated(at)[1])[0]
    assert not np.allclose(before, after)
    assert at.dataframe[0].value["run"][0] == "1: adagrad (lr 2, lecture)"


def test_rmsprop_first_step_ratio_is_reported():
    at = run_page(PAGE, {"ad_alpha": "0.99"})
    text = " ".join(m.value for m in at.markdown)
    assert "ratio **10.00**" in text


def test_url_restores_the_view_exactly():
    query = {
        "ad_steps": "800", "ad_adagrad_conv": "lecture", "ad_adagrad_lr": "3",
        "ad_adam_on": "false", "ad_sched": "step decay", "ad_compare": "true", "ad_alpha": "0.9",
    }  # fmt: skip
    shared = run_page(PAGE, query)
    assert not shared.exception and not shared.warning

    by_hand = run_page(PAGE)
    by_hand.slider(key="ad_steps").set_value(800)
    by_hand.radio(key="ad_adagrad_conv").set_value("lecture")
    by_hand.select_slider(key="ad_adagrad_lr").set_value(3.0)
    by_hand.checkbox(key="ad_adam_on").uncheck()
    by_hand.selectbox(key="ad_sched").set_value("step_decay")
    by_hand.checkbox(key="ad_compare").check()
    by_hand.select_slider(key="ad_alpha").set_value(0.9).run()
    assert figures(shared) == figures(by_hand)


@pytest.mark.parametrize(
    "query, ignored",
    [
        ({"ad_adagrad_lr": "banana"}, "ad_adagrad_lr=banana"),
        ({"ad_steps": str(10**9)}, "ad_steps="),
        ({"ad_sched": "bogus"}, "ad_sched=bogus"),
    ],
)
def test_bad_url_loads_defaults_with_a_note(query, ignored):
    at = run_page(PAGE, query)
    assert not at.exception
    assert len(at.warning) == 1 and ignored in at.warning[0].value
    assert len(animated(at)) == 3


def test_contradictory_schedule_falls_back_to_constant():
    at = run_page(PAGE, {"ad_sched": "warmup cosine", "ad_sched_warmup_steps": "5000",
                         "ad_sched_total_steps": "100"})  # fmt: skip
    assert not at.exception
    assert "warmup_steps" in at.error[0].value
    assert len(paths(animated(at)[1])) == 3


def test_nothing_ticked_asks_for_an_optimizer():
    at = run_page(PAGE, {f"ad_{n}_on": "false" for n in ("adagrad", "rmsprop", "adam")})
    assert not at.exception and "Tick at least one" in at.warning[0].value


@pytest.mark.parametrize("preset, verdicts", [(0, ["💥 burst"]), (1, ["settled", "💥 burst"])])
def test_burst_presets(preset, verdicts):
    at = open_preset(PAGE, PRESETS, list(PRESETS)[preset])
    assert not at.exception and at.info
    assert list(at.dataframe[0].value["verdict"]) == verdicts


def test_warmup_preset_shows_the_wild_first_step():
    at = open_preset(PAGE, PRESETS, list(PRESETS)[2])
    ratios = list(at.dataframe[0].value["highest loss ÷ start loss"])
    assert ratios[0] < 2 < 10 < ratios[1]  # warm-up, then the same Adam at constant η
