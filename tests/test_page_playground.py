"""The playground page, driven through AppTest: figures, controls, presets and share links."""

import numpy as np
import pytest
from helpers import figures, link, open_preset, paths, run_page, traces

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from views.playground import PRESETS
from viz import background_image
from viz.trajectory import SCRUBBER_STOPS

PAGE = "views/playground.py"


def contour(at) -> dict:
    """The animated 2-D view: the figure with frames."""
    return next(fig for fig in figures(at) if fig.get("frames"))


def curves(at) -> dict:
    """The step curves: the figure with panel titles."""
    return next(fig for fig in figures(at) if fig["layout"].get("annotations"))


def test_default_view_has_every_part():
    at = run_page(PAGE)
    assert not at.exception
    flat = contour(at)
    assert len(traces(flat, "path")) == len(traces(flat, "marker")) == 3
    assert traces(flat, "minima")[0]["x"] == [1.0]  # Rosenbrock's minimum (1, 1)
    assert flat["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    moving = [i for i, t in enumerate(flat["data"]) if t["meta"]["role"] in ("tail", "marker")]
    assert all(frame["traces"] == moving for frame in flat["frames"])
    assert len(flat["frames"]) > 50
    titles = [a["text"] for a in curves(at)["layout"]["annotations"]]
    assert titles == ["loss", "gradient norm ‖g‖", "learning rate η"]
    assert len(curves(at)["data"]) == 3 * 3  # every panel has every run
    table = at.table[0].value
    assert list(table) == ["run 1", "run 2", "run 3"]
    assert list(table.loc["optimizer"]) == [
        "sgd (lr 0.001)",
        "momentum (lr 0.001)",
        "adam (lr 0.05)",
    ]
    assert list(table.loc["status"]) == ["stable, converging"] * 3


def test_scrubber_stops_are_frames_from_first_to_last():
    flat = contour(run_page(PAGE))
    frames = [frame["name"] for frame in flat["frames"]]
    scrubber = flat["layout"]["sliders"][0]
    stops = [step["args"][0][0] for step in scrubber["steps"]]
    assert len(stops) == SCRUBBER_STOPS < len(frames)  # Play shows every frame
    assert set(stops) <= set(frames) and stops[0] == "0" and stops[-1] == frames[-1] == "500"
    assert [int(s) for s in stops] == sorted(int(s) for s in stops)
    assert scrubber["active"] == len(stops) - 1  # the view opens at the last step


def test_background_follows_the_surface_across_reruns():
    """The image is kept between reruns; it must still be the chosen surface's own."""
    at = run_page(PAGE)
    at.selectbox(key="surface").set_value("quadratic").run()
    for condition in (10.0, 100.0, 10.0):
        at.select_slider(key="surface_condition").set_value(condition).run()
        drawn = contour(at)["layout"]["images"][0]["source"]
        surface = get_surface("quadratic", condition=condition)
        assert drawn == background_image(surface)[0]["source"]


def test_3d_view_shows_the_surface_with_every_run():
    at = run_page(PAGE, {"view": "3d"})
    assert not at.exception and not at.warning
    solid = next(fig for fig in figures(at) if "scene" in fig["layout"])
    assert [t["type"] for t in solid["data"]] == ["surface"] + ["scatter3d"] * 3
    assert len(curves(at)["data"]) == 9


def test_trajectory_is_the_core_simulation():
    at = run_page(PAGE)
    adam_path = paths(contour(at))[2]
    expected = simulate(
        get_surface("rosenbrock"), make_optimizer("adam", lr=0.05), (-1.2, 1.0), 500
    ).points
    np.testing.assert_allclose(adam_path, expected)


def test_learning_rate_slider_changes_the_trajectory_and_the_link():
    at = run_page(PAGE)
    before = paths(contour(at))[0]
    at.select_slider(key="r0_lr").set_value(0.002).run()
    after = paths(contour(at))[0]
    assert not at.exception
    assert before.shape == after.shape and not np.allclose(before, after)
    assert at.table[0].value.loc["optimizer", "run 1"] == "sgd (lr 0.002)"
    assert link(at) == {"r0_lr": "0.002"}


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE)
    at.slider(key="steps").set_value(510).run()
    at.select_slider(key="r0_lr").set_value(0.002).run()
    at.selectbox(key="r1_opt").set_value("adam").run()
    at.select_slider(key="tolerance").set_value(0.01).run()
    assert link(at) == {
        "r0_lr": "0.002", "r1_opt": "adam", "steps": "510", "tolerance": "0.01"
    }  # fmt: skip
    shared = run_page(PAGE, link(at))
    assert figures(shared) == figures(at)
    at.slider(key="steps").set_value(500).run()  # back to the default: out of the link
    assert "steps" not in link(at)


def test_links_made_with_labels_still_open():
    """Before options were written by value, links held the labels (surface=Himmelblau)."""
    at = run_page(PAGE, {"surface": "Himmelblau"})
    assert not at.warning and at.session_state["surface"] == "himmelblau"
    assert link(at)["surface"] == "himmelblau"


def test_another_surface_starts_from_its_own_start():
    at = run_page(PAGE, {"start_x": "1.5"})
    at.selectbox(key="surface").set_value("himmelblau").run()
    assert (at.session_state["start_x"], at.session_state["start_y"]) == get_surface(
        "himmelblau"
    ).default_start


def test_formula_error_keeps_the_last_good_surface():
    at = run_page(PAGE, {"surface": "custom", "surface_formula": "sin(x)*cos(y)"})
    good = contour(at)["layout"]["images"][0]["source"]
    at.text_input(key="surface_formula").input("sin(x)*__import__('os')").run()
    assert not at.exception
    assert "not allowed" in at.error[0].value or "unknown" in at.error[0].value
    assert contour(at)["layout"]["images"][0]["source"] == good


def test_loss_panel_shows_the_gap_to_the_minimum_where_the_loss_goes_negative():
    at = open_preset(PAGE, PRESETS, "Momentum rolls through a local minimum")
    title = curves(at)["layout"]["annotations"][0]["text"]
    assert title.startswith("loss − L*")  # the deeper minimum's loss is negative
    loss_axis = curves(at)["layout"]["yaxis"]
    assert loss_axis["type"] == "log"
    momentum = curves(at)["data"][1]["y"]
    assert np.isfinite(np.asarray(momentum[100:], dtype=float)).all()  # the curve does not vanish


def test_preset_note_goes_when_its_view_is_changed():
    at = open_preset(PAGE, PRESETS, "Stalling at a saddle")
    assert "Stalling at a saddle" in at.info[0].value and link(at)["preset"]
    at.slider(key="steps").set_value(450).run()
    assert not at.info and "preset" not in link(at)


def _table(at):
    return at.table[0].value


def _adam_ends_much_closer_to_the_minimum(at) -> None:
    distance = [float(d) for d in _table(at).loc["to nearest minimum"]]
    assert distance[1] < 0.1 * distance[0]


def _momentum_ends_in_the_deeper_left_minimum(at) -> None:
    ends = [path[-1] for path in paths(contour(at))]
    assert ends[0][0] > 0 > ends[1][0]


def _momentum_first_three_times_sooner_adam_last(at) -> None:
    steps = [int(r) if r.isdigit() else 10**9 for r in _table(at).iloc[3]]
    assert 3 * steps[1] <= steps[0] < steps[2] <= 400


def _only_the_step_below_two_over_lambda_max_converges(at) -> None:
    """2/λmax = 0.02 on this bowl: 0.015 converges, 0.02 bounces at the edge with its loss where
    it started, 0.03 diverges."""
    status = list(_table(at).loc["status"])
    assert status[0] == "stable, converging"
    assert status[1].startswith("oscillating")
    losses = [float(v) for v in _table(at).loc["final loss"][:2]]
    surface = get_surface("quadratic", condition=100.0, angle=30.0)
    assert losses[1] > 0.99 * float(surface.f(-1.6, 1.2)) and losses[0] < 1e-2
    assert status[2].startswith("diverged at step")


STORIES = {
    "Adam vs SGD on Rosenbrock": _adam_ends_much_closer_to_the_minimum,
    "Momentum rolls through a local minimum": _momentum_ends_in_the_deeper_left_minimum,
    "Stalling at a saddle": _momentum_first_three_times_sooner_adam_last,
    "Too large a step diverges": _only_the_step_below_two_over_lambda_max_converges,
}


def test_every_preset_has_a_story():
    assert set(STORIES) == set(PRESETS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_tell_their_story(name):
    STORIES[name](open_preset(PAGE, PRESETS, name))  # the links themselves: test_presets.py


def test_a_run_started_on_a_kink_says_it_has_no_gradient():
    at = run_page(PAGE, {"surface": "ackley", "start_x": "0", "start_y": "0", "runs": "1"})
    assert not at.exception and not at.warning
    assert at.table[0].value.loc["status", "run 1"] == (
        "no gradient at the start: a kink, so not a single step"
    )
    still = next(fig for fig in figures(at) if fig["layout"].get("images"))  # one frame: no Play
    assert "no gradient at step 0" in traces(still, "marker")[0]["name"]
