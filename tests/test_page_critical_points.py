"""The critical-points page through AppTest: the lecture's numbers on screen, one verdict per point,
controls, links and every preset's story, held to closed forms and to the core."""

import math

import numpy as np
import pytest
from helpers import figures, link, open_preset, run_page

from optimizers import make_optimizer, simulate
from surfaces import critical_points, get_surface
from views.critical_points import MAX_LISTED, OTHER, PRESETS
from viz.trajectory import PICK_GRID

PAGE = "views/critical_points.py"
MAP = "Critical points (click anywhere to choose a point)"
SLICE = "Loss along the direction at {angle}° through the point"
ESCAPE = "Loss along the escape direction u"
VERDICTS = (
    "**Local minimum**", "**Local maximum**", "**Saddle point**", "**Degenerate",
    "**On a valley of minima**", "**Not a critical point**", "**No gradient, no Hessian",
)  # fmt: skip


def titled(at) -> dict[str, dict]:
    """The page's figures by their title: the map and the slices have one."""
    return {fig["layout"]["title"]["text"]: fig for fig in figures(at) if "title" in fig["layout"]}


def role(figure: dict, name: str) -> list[dict]:
    return [t for t in figure["data"] if (t.get("meta") or {}).get("role") == name]


def descent(at) -> tuple[dict, dict]:
    """Section 5's figures: the animated paths (with frames) and the per-step curves."""
    animated = next(fig for fig in figures(at) if fig.get("frames"))
    curves = next(f for f in figures(at)
                  if [a["text"] for a in f["layout"].get("annotations", [])][-1:]
                  == ["distance from the point"])  # fmt: skip
    return animated, curves


def text(at) -> str:
    kinds = ("markdown", "info", "latex", "caption", "warning", "subheader")
    return "\n".join(e.value for kind in kinds for e in at.get(kind))


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def eigen(at):
    """The eigen-table at the chosen point (the page's first dataframe)."""
    return at.dataframe[0].value


def shown(cells) -> np.ndarray:
    """Numbers as the page shows them (real minus signs) back to floats."""
    return np.array([float(c.replace("−", "-").replace("×10", "e")) for c in cells])


def verdicts(at) -> list[str]:
    return [v for v in VERDICTS if v in text(at)]


def clean(at) -> None:
    """No raw values on the page: no None, nan, e-notation or rounding noise; no "1 ... points"."""
    body = text(at) + str([d.value.to_dict() for d in at.dataframe]) + str(metrics(at))
    for bad in ("None", "nan", "e-1", "e-0", "e-2", "e-3", "All 1", "1 critical points"):
        assert bad not in body, bad


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_toy_origin_is_the_lectures_saddle(default):
    at = default
    assert not at.exception and not at.warning
    assert at.number_input(key="cp_x").value == 0 and at.number_input(key="cp_y").value == 0
    assert verdicts(at) == ["**Saddle point**"]
    # H = [[0, −2], [−2, 0]] (LECTURE.md part 1), eigenvalues ±2, escape direction (1, 1)/√2.
    assert r"H = \begin{pmatrix}0 & -2 \\ -2 & 0\end{pmatrix}" in text(at)
    np.testing.assert_allclose(shown(eigen(at)["λ"]), [-2.0, 2.0])
    assert list(eigen(at)["counts as"]) == ["< 0", "> 0"]
    escape = shown(eigen(at).iloc[0, 2:4])
    np.testing.assert_allclose(escape, [1 / math.sqrt(2)] * 2, rtol=1e-4)
    assert "Escape direction u = (0.7071, 0.7071)" in text(at) and "λ₁ = −2" in text(at)
    assert metrics(at)["minimum ratio"] == "0.5"
    # ‖u‖ = 0.5 along u: predicted ½·(−2)·0.25, actual (1 − 0.125)² − 1 (L = (1 − w₁w₂)²).
    assert metrics(at)["predicted change ½λ‖u‖²"] == "−0.25"
    assert shown([metrics(at)["actual change L(θ′+u) − L(θ′)"]])[0] == pytest.approx(
        (1 - 0.125) ** 2 - 1, rel=1e-3
    )
    assert "minimum ratio mostly around 0.5–0.6" in text(at)
    clean(at)


def test_default_figures(default):
    figs = titled(default)
    cmap = figs[MAP]
    assert len(role(cmap, "pick")[0]["x"]) == PICK_GRID**2
    valleys = role(cmap, "valley")
    assert len(valleys) == 2  # the hyperbola's two branches
    for valley in valleys:
        np.testing.assert_allclose(np.multiply(valley["x"], valley["y"]), 1.0, atol=1e-6)
    saddle = next(t for t in role(cmap, "critical") if t["meta"]["kind"] == "saddle")
    assert (saddle["x"], saddle["y"]) == ([0.0], [0.0])
    down = next(t for t in role(cmap, "eigen") if t["meta"]["index"] == 0)  # λ₁ = −2, red
    assert down["name"] == "λ₁ = −2 (loss goes down)" and down["line"]["color"] == "#ff4b4b"
    assert down["x"][1] == pytest.approx(down["y"][1])  # along (1, 1)
    assert cmap["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert not cmap.get("frames") and not cmap["layout"].get("updatemenus")
    taylor = next(f for f in figures(default) if f["data"][0]["type"] == "contour")
    assert [t["type"] for t in taylor["data"]] == ["contour", "scatter"] * 2
    assert SLICE.format(angle=135) in figs and ESCAPE in figs
    animated, curves = descent(default)
    paths = [np.column_stack([t["x"], t["y"]]) for t in animated["data"]
             if t["meta"]["role"] == "path"]  # fmt: skip
    np.testing.assert_array_equal(paths[0], 0.0)  # exactly on the saddle: never moves
    nudge = 1e-3 * np.array([1.0, 0.0])  # ε (u₁ + u₂)/√2 = ε (1, 0) at the toy's origin
    expected = simulate(get_surface("toy_network"), make_optimizer("sgd", lr=0.05), nudge, 200)
    np.testing.assert_allclose(paths[1], expected.points, atol=1e-15)
    assert len(curves["data"]) == 4


def test_predicted_steps_to_escape_match_the_run(default):
    """Off the saddle by ε along (1, 0), the escape component ε/√2 grows by 1 − ηλ₁ = 1.1."""
    predicted = math.log(0.2 / (1e-3 / math.sqrt(2))) / math.log(1.1)
    assert f"predicts about **{predicted:.0f}** steps to get 0.2 away" in text(default)
    left = int(text(default).split("(distance > 0.2) at step **")[1].split("**")[0])
    assert abs(left - predicted) <= 3


def test_one_verdict_where_an_eigenvalue_is_almost_zero():
    """x² + 5e−7·y² at the origin: λ = 1e−6 against a curvature of 2 is 0 for the classifier, so
    the list, the map, the verdict and the table all say degenerate, never "minimum"."""
    at = run_page(PAGE, {"cp_surface": "custom", "cp_surface_formula": "x**2 + 5e-7*y**2",
                         "cp_x": "0", "cp_y": "0"})  # fmt: skip
    assert not at.exception and not at.warning and not at.error
    assert verdicts(at) == ["**Degenerate"]
    pick = at.selectbox(key="cp_pick")
    assert pick.value != OTHER and "degenerate (0, 0)" in pick.options[pick.index]
    kinds = {t["meta"]["kind"] for t in role(titled(at)[MAP], "critical")}
    assert kinds == {"degenerate"}
    assert list(eigen(at)["λ"]) == ["1×10⁻⁶", "2"]  # the value itself is shown…
    assert list(eigen(at)["counts as"]) == ["0 (flat)", "> 0"]  # …and what it counts as
    assert "Local minimum" not in text(at)


def test_a_formula_without_critical_points_still_draws_the_page():
    at = run_page(PAGE, {"cp_surface": "custom", "cp_surface_formula": "x + 2*y"})
    assert not at.exception and not at.warning and not at.error
    assert "No critical point was found in the domain." in text(at)
    assert at.selectbox(key="cp_pick").options == ["— another point (clicked or typed)"]
    assert verdicts(at) == ["**Not a critical point**"] and "‖g‖ = 2.236" in text(at)  # √5


def test_a_search_cut_short_says_so(monkeypatch):
    """A user formula's search has a time budget; when it runs out the page shows the core's
    note and goes on with what was found."""
    monkeypatch.setattr("surfaces.critical.CRITICAL_BUDGET", 1e-3)
    at = run_page(PAGE, {"cp_surface": "custom", "cp_surface_formula": "x**2 - y**2 + 0.37*x"})
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and "The search for critical points" in at.warning[0].value
    assert len(titled(at)[MAP]["data"]) > 1  # the page goes on


def test_monkey_saddle_is_degenerate():
    at = run_page(PAGE, {"cp_surface": "monkey_saddle"})
    assert not at.exception and not at.warning
    assert verdicts(at) == ["**Degenerate"]
    pick = at.selectbox(key="cp_pick")
    assert pick.options[pick.index] == "1. degenerate (0, 0)"
    assert list(eigen(at)["λ"]) == ["0", "0"]
    clean(at)


def test_styblinski_tang_then_regression_then_rbf_does_not_crash():
    """The tracker's sequence: the step slider's range shrinks under a kept value."""
    at = run_page(PAGE)
    for surface in ("styblinski_tang", "regression", "rbf_neuron"):
        at.selectbox(key="cp_surface").set_value(surface).run()
        assert not at.exception and not at.warning, surface
    step = at.slider(key="cp_step")
    assert step.min <= step.value <= step.max == 1.1  # half the shorter side, 2.25, rounded
    assert metrics(at)["predicted change ½λ‖u‖²"]  # everything below the slider is drawn
    assert len(descent(at)) == 2
    assert "cp_step" not in at.query_params


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE)
    at.select_slider(key="cp_lr").set_value(0.1).run()
    at.slider(key="cp_steps").set_value(300).run()
    at.slider(key="cp_angle").set_value(45).run()
    at.slider(key="cp_zoom").set_value(0.1).run()
    at.slider(key="cp_step").set_value(0.8).run()
    at.select_slider(key="cp_offset").set_value(0.01).run()
    assert not at.exception and not at.warning
    assert link(at) == {
        "cp_lr": "0.1", "cp_steps": "300", "cp_angle": "45", "cp_zoom": "0.1",
        "cp_step": "0.8", "cp_offset": "0.01",
    }  # fmt: skip
    shared = run_page(PAGE, link(at))
    assert figures(shared) == figures(at)
    at.slider(key="cp_steps").set_value(200).run()  # back to the default: out of the link
    assert "cp_steps" not in at.query_params


def test_the_list_follows_the_point_however_it_is_chosen():
    at = run_page(PAGE, {"cp_surface": "himmelblau", "cp_x": "3", "cp_y": "2"})  # a link
    pick = at.selectbox(key="cp_pick")
    assert pick.options[pick.index] == "1. minimum (3, 2)" and verdicts(at) == ["**Local minimum**"]
    assert metrics(at)["minimum ratio"] == "1"
    maximum = next(int(o.split(".")[0]) - 1 for o in pick.options if "maximum" in o)
    pick.set_value(maximum).run()  # chosen from the list
    x, y = at.number_input(key="cp_x").value, at.number_input(key="cp_y").value
    assert (x, y) == pytest.approx((-0.270845, -0.923039), abs=1e-6)  # LECTURE.md
    assert verdicts(at) == ["**Local maximum**"] and metrics(at)["minimum ratio"] == "0"
    chosen = role(titled(at)[MAP], "chosen")[0]
    assert (chosen["x"][0], chosen["y"][0]) == (x, y)
    at.number_input(key="cp_x").set_value(2.5).run()  # typed off every critical point
    assert at.selectbox(key="cp_pick").value == OTHER
    assert verdicts(at) == ["**Not a critical point**"]
    at.number_input(key="cp_x").set_value(3.0)
    at.number_input(key="cp_y").set_value(2.0).run()  # typed onto one
    assert at.selectbox(key="cp_pick").value == 0
    assert not at.warning  # the list is never written behind Streamlit's back
    assert set(link(at)) == {"cp_surface", "cp_x", "cp_y"}  # the list is not in the link


def test_a_point_typed_to_six_digits_is_critical_and_says_why():
    """Himmelblau's maximum as LECTURE.md gives it, (−0.270845, −0.923039): ‖g‖ ≈ 2e−5 is not 0,
    but below 10⁻⁶ of the surface's typical gradient, so the point is the listed maximum."""
    at = run_page(PAGE, {"cp_surface": "himmelblau", "cp_x": "-0.270845", "cp_y": "-0.923039"})
    norm = np.linalg.norm(get_surface("himmelblau").grad(-0.270845, -0.923039))
    pick = at.selectbox(key="cp_pick")
    assert verdicts(at) == ["**Local maximum**"] and "maximum" in pick.options[pick.index]
    caption = f"‖g‖ = {norm:.4g} counts as 0: below 1×10⁻⁶".replace("e-05", "×10⁻⁵")
    assert caption in text(at)


def test_ackleys_list_is_short_and_every_point_stays_reachable():
    at = run_page(PAGE, {"cp_surface": "ackley"})
    assert not at.exception and not at.warning
    pick = at.selectbox(key="cp_pick")
    assert len(pick.options) == MAX_LISTED
    found = critical_points(get_surface("ackley"))
    assert "1 minimum at a kink, 120 minima, 220 saddles, 100 maxima" in text(at)
    assert len(found) == 441
    far = max((cp for cp in found if cp.kind == "maximum"), key=lambda cp: cp.x + cp.y)
    at.number_input(key="cp_x").set_value(round(far.x, 9))
    at.number_input(key="cp_y").set_value(round(far.y, 9)).run()  # typed: listed and chosen
    pick = at.selectbox(key="cp_pick")
    assert "maximum" in pick.options[pick.index] and len(pick.options) == MAX_LISTED
    assert verdicts(at) == ["**Local maximum**"]


def test_at_a_kink_gradient_descent_says_there_is_no_gradient():
    at = run_page(PAGE, {"cp_surface": "ackley", "cp_x": "0", "cp_y": "0"})
    assert not at.exception and not at.warning
    assert verdicts(at) == ["**No gradient, no Hessian"]
    assert "**exactly on the point**: no gradient at the start: a kink" in text(at)
    assert "diverged" not in text(at)
    animated, _ = descent(at)
    on, off = (t for t in animated["data"] if t["meta"]["role"] == "path")
    assert len(on["x"]) == 1 and len(off["x"]) == 201  # the run off the kink does descend
    clean(at)


def test_values_at_a_minimum_show_no_rounding_noise():
    at = run_page(PAGE, {"cp_surface": "himmelblau", "cp_x": "3", "cp_y": "2"})
    assert r"L = 0,\quad g = \begin{pmatrix}0 \\ 0\end{pmatrix}" in text(at)
    table = at.dataframe[1].value  # every critical point: Himmelblau's 4 + 4 + 1
    assert sorted(table["kind"].value_counts().items()) == [
        ("maximum", 1), ("minimum", 4), ("saddle", 4)
    ]  # fmt: skip
    assert list(table["loss"][:4]) == ["0"] * 4  # f = 0 at each minimum (7.9e−31 computed)
    assert "Every critical point found: 4 minima, 4 saddles, 1 maximum" in at.expander[0].label
    clean(at)


def test_preset_note_goes_when_its_view_is_changed():
    at = open_preset(PAGE, PRESETS, "Toy network: the saddle at the origin")
    assert "Toy network: the saddle at the origin" in at.info[0].value
    at.slider(key="cp_angle").set_value(45).run()
    assert "preset" not in at.query_params
    assert not any("Toy network: the saddle" in i.value for i in at.info)


def slice_of(at, angle: int) -> tuple[np.ndarray, np.ndarray]:
    line = role(titled(at)[SLICE.format(angle=angle)], "true")[0]
    return np.asarray(line["x"]), np.asarray(line["y"])


def story_saddle(at) -> None:
    assert r"H = \begin{pmatrix}0 & -2 \\ -2 & 0\end{pmatrix}" in text(at)
    np.testing.assert_allclose(shown(eigen(at)["λ"]), [-2.0, 2.0])
    assert metrics(at)["predicted change ½λ‖u‖²"] == "−0.25"
    assert metrics(at)["actual change L(θ′+u) − L(θ′)"] == "−0.2344"  # "0.234 in truth"
    assert "this slice **curves up**" in text(at) and "looks like a **minimum**" in text(at)
    t, loss = slice_of(at, 135)
    assert loss[np.argmin(np.abs(t))] == pytest.approx(loss.min())  # lowest at the saddle
    assert verdicts(at) == ["**Saddle point**"]


def story_valley(at) -> None:
    assert verdicts(at) == ["**On a valley of minima**"]
    np.testing.assert_allclose(shown(eigen(at)["λ"]), [0.0, 2 * (1 + 1)])  # 0 and 2(w₁² + w₂²)
    assert list(eigen(at)["counts as"]) == ["0 (flat)", "> 0"]
    assert "dᵀHd = **0**, so this slice **is flat to second order**" in text(at)
    pick = at.selectbox(key="cp_pick")
    assert "valley of minima" in pick.options[pick.index]


def story_maximum(at) -> None:
    assert verdicts(at) == ["**Local maximum**"]
    assert (shown(eigen(at)["λ"]) < 0).all() and metrics(at)["minimum ratio"] == "0"
    assert "L = 181.6165" in text(at) and "(−0.270845, −0.923039)" in titled_point(at)
    assert r"g = \begin{pmatrix}0 \\ 0\end{pmatrix}" in text(at)


def titled_point(at) -> str:
    """The chosen point's row of the table of every critical point, as shown: "(x, y)"."""
    table = at.dataframe[1].value
    x, y = at.number_input(key="cp_x").value, at.number_input(key="cp_y").value
    row = table[(shown(table["x"]) == round(x, 6)) & (shown(table["y"]) == round(y, 6))]
    return f"({row['x'].iloc[0]}, {row['y'].iloc[0]})"


def story_camel(at) -> None:
    assert verdicts(at) == ["**Saddle point**"]
    table = at.dataframe[1].value
    minima = table[table["loss"] == "−1.031628"]
    assert set(zip(minima["x"], minima["y"], strict=True)) == {
        ("−0.089842", "0.712656"), ("0.089842", "−0.712656")
    }  # fmt: skip
    assert "this slice **curves down**" in text(at) and "looks like a **maximum**" in text(at)
    t, loss = slice_of(at, 90)
    assert loss[t < 0].min() == pytest.approx(-1, abs=0.01)
    assert loss[t > 0].min() == pytest.approx(-1, abs=0.01)


def story_monkey(at) -> None:
    assert verdicts(at) == ["**Degenerate"]
    assert r"H = \begin{pmatrix}0 & 0 \\ 0 & 0\end{pmatrix}" in text(at)
    downhill = []
    for angle in (0, 60, 120):  # each slice holds two opposite directions
        at.slider(key="cp_angle").set_value(angle).run()
        t, loss = slice_of(at, angle)
        for side, name in ((t > 0, angle), (t < 0, angle + 180)):
            if (loss[side] < 0).all():
                downhill.append(name % 360)
    assert sorted(downhill) == [60, 180, 300]


def story_ackley(at) -> None:
    assert verdicts(at) == ["**No gradient, no Hessian"]
    assert "It is a minimum all the same" in text(at)
    t, loss = slice_of(at, 135)
    assert loss[np.argmin(np.abs(t))] == pytest.approx(0.0, abs=1e-12) == loss.min()
    # Linear, not quadratic: L ≈ a|t| + bt² near the tip, with the cone's slope a = 20·0.2/√2.
    near = np.argsort(np.abs(t))[1:9]
    a, _b = np.linalg.lstsq(np.column_stack([np.abs(t[near]), t[near] ** 2]), loss[near])[0]
    assert a == pytest.approx(4 / math.sqrt(2), rel=0.05)
    assert "**exactly on the point**: no gradient at the start" in text(at)
    _paths, curves = descent(at)
    distance = next(t for t in curves["data"] if t["yaxis"] == "y2" and t["name"] != "exactly "
                    "on the point")["y"]  # fmt: skip
    assert min(distance[-100:]) > 0.1  # 0.001 off the tip at first, then bouncing, not settling


STORIES = {
    "Toy network: the saddle at the origin": story_saddle,
    "Toy network: the valley of minima": story_valley,
    "Himmelblau: the one maximum": story_maximum,
    "Six-hump camel: a saddle between minima": story_camel,
    "Monkey saddle: the test is inconclusive": story_monkey,
    "Ackley: a kink at the minimum": story_ackley,
}


def test_every_preset_has_a_story():
    assert set(STORIES) == set(PRESETS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_tell_their_story(name):
    STORIES[name](open_preset(PAGE, PRESETS, name))  # the links themselves: test_presets.py
