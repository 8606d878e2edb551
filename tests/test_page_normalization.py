"""The normalization page through AppTest: figures, widgets, URL state."""

import json

from helpers import figures, open_preset, run_page

from views.normalization import PRESETS

PAGE = "views/normalization.py"


def _titles(at) -> list[str]:
    return [f["layout"].get("title", {}).get("text", "") for f in figures(at)]


def test_page_runs_with_both_surfaces_and_every_section():
    at = run_page(PAGE)
    assert not at.exception
    figs = figures(at)
    raw, std = figs[0], figs[1]
    for fig in (raw, std):
        assert fig["layout"]["images"] and fig["frames"]  # animated, surface as a layout image
    # Raw domain is w* ± 3 around w₂* ≈ −1/s; the standardized one around (0.58, −0.29).
    assert raw["layout"]["yaxis"]["range"][0] < -2.9 and std["layout"]["xaxis"]["range"][0] < -2
    assert "Loss by direction of w (the surface is constant along rays)" in _titles(at)
    assert any(d.get("name") == "−gradient" for f in figs for d in f["data"])
    assert "Test loss by test batch size" in _titles(at)
    raw_kappa, std_kappa = (float(m.value) for m in at.metric if m.label == "κ")
    assert raw_kappa > 1e5 and std_kappa < 1.5  # the lecture's s = 100, on 100 samples
    assert "2/λmax" in " ".join(c.value for c in at.caption)


def test_changing_scale_and_gamma_changes_figures():
    at = run_page(PAGE)
    before = figures(at)
    at.select_slider(key="bn_scale").set_value(1.0).run()
    at.slider(key="bn_gamma").set_value(2.0).run()
    assert not at.exception
    after = figures(at)
    assert after[0]["layout"]["images"] != before[0]["layout"]["images"]
    assert after[2]["data"] != before[2]["data"]
    assert float(next(m.value for m in at.metric if m.label == "κ")) < 100


def test_url_restores_the_view():
    query = {"bn_scale": "10", "bn_run_opt": "momentum", "bn_run_lr": "0.001", "bn_gamma": "1.5",
             "bn_batch": "32", "bn_seed": "4"}  # fmt: skip
    from_url = run_page(PAGE, query)
    assert not from_url.exception and not from_url.warning
    by_hand = run_page(PAGE)
    by_hand.select_slider(key="bn_scale").set_value(10.0)
    by_hand.selectbox(key="bn_run_opt").set_value("momentum")
    by_hand.run()
    by_hand.select_slider(key="bn_run_lr").set_value(0.001)
    by_hand.slider(key="bn_gamma").set_value(1.5)
    by_hand.select_slider(key="bn_batch").set_value(32)
    by_hand.number_input(key="bn_seed").set_value(4)
    by_hand.run()
    # Compared as JSON: the arrow trace separates segments with NaN, and NaN != NaN.
    assert json.dumps(figures(from_url)) == json.dumps(figures(by_hand))


def test_bad_url_warns_and_falls_back():
    at = run_page(PAGE, {"bn_scale": "banana", "bn_gamma": "99"})
    assert not at.exception
    assert at.warning and "bn_scale" in at.warning[0].value


def test_presets_apply_in_one_click():
    at = open_preset(PAGE, PRESETS, "A good step after standardizing")
    assert not at.exception and not at.warning
    assert at.select_slider(key="bn_run_lr").value == 0.5
    assert any("converges in a few steps" in i.value for i in at.info)
