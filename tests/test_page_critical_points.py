"""The critical-points page through AppTest: the lecture's numbers on screen, controls, links."""

import math

import numpy as np
import pytest
from helpers import figures, open_preset, run_page

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from ui.presets import preset_query
from views.critical_points import PRESETS
from viz.trajectory import PICK_GRID

PAGE = "views/critical_points.py"


def by_title(at) -> dict[str, dict]:
    """The page's figures keyed by their layout title (the animated view has none)."""
    found = {}
    for fig in figures(at):
        title = fig["layout"].get("title", {}).get("text")
        key = title or ("descent" if fig.get("frames") else "curves")
        found.setdefault(key, fig)
    return found


def text(at) -> str:
    return "\n".join(e.value for kind in ("markdown", "info", "latex") for e in at.get(kind))


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_toy_origin_shows_eigenvalues_and_escape_direction(default):
    at = default
    assert not at.exception and not at.warning
    assert at.number_input(key="cp_x").value == 0 and at.number_input(key="cp_y").value == 0
    eigen = at.dataframe[0].value
    np.testing.assert_allclose(eigen["λ"], [-2.0, 2.0])
    escape = eigen.iloc[0, 1:3].to_numpy(dtype=float)  # eigenvector of λ = −2
    np.testing.assert_allclose(np.abs(escape), [1 / math.sqrt(2)] * 2)
    assert escape[0] == pytest.approx(escape[1])
    assert "Escape direction u = (0.7071, 0.7071)" in text(at)
    assert "λ₁ = −2" in text(at)
    assert "**Saddle point**" in text(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["minimum ratio"] == "0.5"
    assert metrics["predicted change ½λ‖u‖²"] == "−0.25"  # ‖u‖ = 0.5: ½·(−2)·0.25
    assert metrics["actual change L(θ'+u) − L(θ')"] == "−0.2344"  # (1 − 0.125)² − 1
    assert "minimum ratio mostly around 0.5–0.6" in text(at)


def test_default_figures(default):
    figs = by_title(default)
    cmap = figs["Critical points (click anywhere to choose a point)"]
    names = [trace.get("name") for trace in cmap["data"]]
    assert names[0] == "choose a point" and len(cmap["data"][0]["x"]) == PICK_GRID**2
    assert names.count("valley of minima") == 2  # the hyperbola's two branches
    assert "saddle" in names and any(n.startswith("λ₁ = -2") for n in names)
    assert cmap["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert not cmap.get("frames") and not cmap["layout"].get("updatemenus")
    valley = next(t for t in cmap["data"] if t.get("name") == "valley of minima")
    np.testing.assert_allclose(np.multiply(valley["x"], valley["y"]), 1.0, atol=1e-6)
    taylor = next(f for f in figures(default) if f["data"][0]["type"] == "contour")
    assert [t["type"] for t in taylor["data"]] == ["contour", "scatter"] * 2
    assert "Loss along the direction at 135° through the point" in figs
    assert "Loss along the escape direction u" in figs
    descent = figs["descent"]
    assert len(descent["frames"]) > 50
    paths = [np.column_stack([t["x"], t["y"]]) for t in descent["data"][1:3]]
    np.testing.assert_array_equal(paths[0], 0.0)  # exactly on the saddle: never moves
    nudge = 1e-3 * np.array([1.0, 0.0])  # ε (u₁ + u₂)/√2 = ε (1, 0) at the toy's origin
    expected = simulate(get_surface("toy_network"), make_optimizer("sgd", lr=0.05), nudge, 200)
    np.testing.assert_allclose(paths[1], expected.points, atol=1e-15)


def test_monkey_saddle_is_inconclusive():
    at = run_page(PAGE, {"cp_surface": "Monkey saddle x³ − 3xy²"})
    assert not at.exception and not at.warning
    assert "the second-order test is inconclusive" in text(at)
    assert at.selectbox(key="cp_pick").value == "1. degenerate (0, 0)"
    np.testing.assert_allclose(at.dataframe[0].value["λ"], [0.0, 0.0])


def test_ackley_kink_has_a_note_and_no_crash():
    at = run_page(PAGE, {"cp_surface": "Ackley", "cp_x": "0", "cp_y": "0"})
    assert not at.exception and not at.warning
    assert "No gradient, no Hessian here" in text(at)
    assert "Gradient descent needs a gradient" in text(at)
    figs = by_title(at)
    line = figs["Loss along the direction at 135° through the point"]["data"][0]["y"]
    assert min(line) == pytest.approx(0.0, abs=1e-12)  # the cone's tip, on the slice


def test_angle_changes_the_slice(default):
    at = run_page(PAGE)
    before = by_title(at)["Loss along the direction at 135° through the point"]
    at.slider(key="cp_angle").set_value(45).run()
    after = by_title(at)["Loss along the direction at 45° through the point"]
    assert not at.exception
    # The saddle (loss 1) is the lowest point of one slice and the highest of the other.
    up, down = before["data"][0]["y"], after["data"][0]["y"]
    assert min(up) == pytest.approx(1.0) and max(up) > 2
    assert max(down) == pytest.approx(1.0) and min(down) < 0.5
    assert "looks like **a maximum**" in text(at)


def test_choosing_a_listed_point_moves_everything():
    at = run_page(PAGE, {"cp_surface": "Himmelblau"})
    maximum = next(o for o in at.selectbox(key="cp_pick").options if "maximum" in o)
    at.selectbox(key="cp_pick").set_value(maximum).run()
    assert not at.exception
    x, y = at.number_input(key="cp_x").value, at.number_input(key="cp_y").value
    assert (x, y) == pytest.approx((-0.270845, -0.923039), abs=1e-6)
    assert "**Local maximum**" in text(at)
    assert {m.label: m.value for m in at.metric}["minimum ratio"] == "0"
    chosen = next(t for t in by_title(at)["Critical points (click anywhere to choose a point)"][
        "data"] if t.get("name") == "chosen point")  # fmt: skip
    assert (chosen["x"][0], chosen["y"][0]) == (x, y)


def test_url_restores_the_view_exactly():
    query = {"cp_surface": "Six-hump camel", "cp_x": "0.5", "cp_y": "-0.25", "cp_angle": "60",
             "cp_zoom": "0.1", "cp_lr": "0.01", "cp_steps": "300", "cp_offset": "0.01"}  # fmt: skip
    shared = run_page(PAGE, query)
    assert not shared.exception and not shared.warning

    by_hand = run_page(PAGE)
    by_hand.selectbox(key="cp_surface").set_value("six_hump_camel").run()
    by_hand.number_input(key="cp_x").set_value(0.5)
    by_hand.number_input(key="cp_y").set_value(-0.25)
    by_hand.slider(key="cp_angle").set_value(60)
    by_hand.slider(key="cp_zoom").set_value(0.1)
    by_hand.select_slider(key="cp_lr").set_value(0.01)
    by_hand.slider(key="cp_steps").set_value(300)
    by_hand.select_slider(key="cp_offset").set_value(0.01).run()
    assert not by_hand.exception
    assert figures(shared) == figures(by_hand)
    assert "**Not a critical point**" in text(shared)


def test_bad_url_warns_and_falls_back():
    at = run_page(PAGE, {"cp_angle": "banana", "cp_x": "1e9"})
    assert not at.exception
    assert at.warning and "cp_angle" in at.warning[0].value and "cp_x" in at.warning[0].value
    assert at.slider(key="cp_angle").value == 135 and at.number_input(key="cp_x").value == 0


# What each preset's view must show, beyond its note.
STORIES = {
    "Toy network: the saddle at the origin": "**Saddle point**",
    "Toy network: the valley of minima": "This point lies on a **valley of minima**",
    "Himmelblau: the one maximum": "**Local maximum**",
    "Six-hump camel: a saddle between minima": "**Saddle point**",
    "Monkey saddle: the test is inconclusive": "the second-order test is inconclusive",
    "Ackley: a kink at the minimum": "No gradient, no Hessian here",
}


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_tell_their_story(name):
    at = open_preset(PAGE, PRESETS, name)  # links and their settings: tests/test_presets.py
    assert not at.exception
    assert STORIES[name] in text(at)


def test_valley_preset_shows_zero_and_four():
    at = run_page(PAGE, preset_query("Toy network: the valley of minima",
                                     PRESETS["Toy network: the valley of minima"][1]))  # fmt: skip
    np.testing.assert_allclose(at.dataframe[0].value["λ"], [0.0, 4.0], atol=1e-12)
    assert at.selectbox(key="cp_pick").value.startswith("2. valley of minima")


def test_the_list_follows_a_typed_point():
    at = run_page(PAGE, {"cp_surface": "Himmelblau", "cp_x": "3", "cp_y": "2"})
    assert not at.exception and not at.warning
    assert at.selectbox(key="cp_pick").value.endswith("minimum (3, 2)")
    assert "**Local minimum**" in text(at)
    assert {m.label: m.value for m in at.metric}["minimum ratio"] == "1"
    table = at.dataframe[1].value  # every critical point: Himmelblau's 4 + 4 + 1
    assert sorted(table["kind"].value_counts().items()) == [
        ("maximum", 1), ("minimum", 4), ("saddle", 4)
    ]  # fmt: skip
    at.number_input(key="cp_x").set_value(2.5).run()
    assert at.selectbox(key="cp_pick").value.startswith("— another point")
    assert "**Not a critical point**" in text(at)
