"""The live sliders on their pages, through AppTest: which run is live, what the browser is sent
(the values of the run's own sliders, where they stand, the charts it redraws), the link."""

from __future__ import annotations

import numpy as np
from helpers import decode_arrays, link, run_page, traces

from viz.live import unpack

PLAYGROUND = "views/playground.py"
BATCH = "views/batch_momentum.py"


def live_message(at) -> tuple[dict, np.ndarray]:
    (component,) = [e for e in at.main if e.type == "bidi_component"]
    assert component.proto.component_name == "error_surface_lab.live"
    return unpack(component.proto.bytes)


def chart_keys(at) -> list[str]:
    return [chart.proto.id.rsplit("-", 1)[-1] for chart in at.get("plotly_chart")]


def sliders(header: dict) -> dict[str, dict]:
    return {s["key"]: s for s in header["sliders"]}


def shown(slider: dict) -> float:
    return slider["values"][slider["index"]]


def path_at(header: dict, floats: np.ndarray, slider: int, value: int, trace: int) -> np.ndarray:
    op = next(o for o in header["updates"][slider][value] if o["c"] == 0 and o.get("t") == trace)
    x, y = (floats[ref[0] : ref[0] + ref[1]] for ref in (op["x"], op["y"]))
    return np.column_stack([x, y])


def animated(at) -> dict:
    import json

    return decode_arrays(json.loads(at.get("plotly_chart")[0].proto.spec))


def test_playground_first_run_is_live_by_default_with_its_card_values():
    at = run_page(PLAYGROUND)
    assert not at.exception and at.selectbox(key="live").value == 0
    header, floats = live_message(at)
    live = sliders(header)
    assert set(live) == {"lr", "momentum"}  # plain SGD's card has a momentum slider too
    assert live["lr"]["label"] == "run 1 · learning rate η" and shown(live["lr"]) == 0.001
    assert live["lr"]["texts"] == list(at.select_slider(key="r0_lr").options)
    assert shown(live["momentum"]) == at.slider(key="r0_momentum").value == 0.0
    # The charts it redraws are the page's own (by their keys), the first one animated.
    assert {".st-key-playground_chart", ".st-key-playground_curves"} == set(header["charts"])
    assert {"playground_chart", "playground_curves"} <= set(chart_keys(at))
    # What it draws at the values on show is the page's run 1, through some of its points.
    figure = animated(at)
    page_path = np.column_stack([traces(figure, "path")[0]["x"], traces(figure, "path")[0]["y"]])
    trace = figure["data"].index(traces(figure, "path")[0])
    drawn = path_at(header, floats, 0, live["lr"]["index"], trace)
    rows = {tuple(p): i for i, p in enumerate(page_path.tolist())}
    found = [rows[tuple(p)] for p in drawn.tolist()]
    assert found[0] == 0 and found[-1] == len(page_path) - 1 and np.all(np.diff(found) > 0)


def test_playground_live_sliders_follow_the_card():
    at = run_page(PLAYGROUND)
    at.select_slider(key="r0_lr").set_value(0.002).run()
    at.slider(key="r0_momentum").set_value(0.5).run()
    live = sliders(live_message(at)[0])
    assert shown(live["lr"]) == 0.002 and shown(live["momentum"]) == 0.5
    assert link(at)["r0_lr"] == "0.002"


def test_playground_pick_another_run_from_the_link():
    at = run_page(PLAYGROUND, {"live": "2"})
    assert not at.warning and at.selectbox(key="live").value == 2
    live = sliders(live_message(at)[0])
    assert set(live) == {"lr", "beta1"}  # run 3 is Adam: β₁ is its momentum
    assert live["beta1"]["label"] == "run 3 · momentum β₁" and shown(live["beta1"]) == 0.9
    assert live["beta1"]["texts"] == list(at.select_slider(key="r2_betas1").options)
    assert shown(live["lr"]) == 0.05
    at.selectbox(key="live").set_value(1).run()
    assert link(at)["live"] == "1"
    live = sliders(live_message(at)[0])
    assert live["momentum"]["label"] == "run 2 · momentum λ" and shown(live["momentum"]) == 0.9


def test_playground_bad_live_run_in_the_link_warns_and_uses_the_first():
    at = run_page(PLAYGROUND, {"live": "9"})
    assert not at.exception and at.selectbox(key="live").value == 0
    assert any("live=9" in w.value for w in at.warning)
    at = run_page(PLAYGROUND, {"runs": "1", "live": "2"})
    assert at.selectbox(key="live").value == 0 and any("live=2" in w.value for w in at.warning)


def test_playground_3d_view_has_no_live_sliders():
    at = run_page(PLAYGROUND, {"view": "3d"})
    assert not at.exception
    assert not [e for e in at.main if e.type == "bidi_component"]


def test_momentum_section_lambda_is_live_and_follows_the_link():
    at = run_page(BATCH, {"bm_lambda": "0.5", "bm_mstep": "10"})
    assert not at.exception and not at.warning
    header, _floats = live_message(at)
    (slider,) = header["sliders"]
    assert slider["key"] == "momentum" and shown(slider) == 0.5
    assert "momentum" in slider["label"]
    assert set(np.round(np.arange(100) * 0.01, 2)) <= set(slider["values"])
    assert {"bm_paths", "bm_cut"} <= set(chart_keys(at))
    assert header["charts"] == [".st-key-bm_paths", ".st-key-bm_cut"]
