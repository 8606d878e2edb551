"""AppTests of the batch size and momentum page (views/batch_momentum.py)."""

import numpy as np
import pytest
from helpers import figures, open_preset, run_page

from surfaces import get_surface
from views.batch_momentum import PRESETS

PAGE = "views/batch_momentum.py"
RBF, WELL = get_surface("rbf_neuron"), get_surface("double_well")


def _ridge(surface):
    (x,) = [x for kind, x, _ in surface.known_critical if kind == "saddle"]
    return x


def _path(fig, name):
    """The full path of a run in a trajectory view (its faint line trace)."""
    (trace,) = [d for d in fig["data"] if d.get("name") == name and d.get("mode") == "lines"][:1]
    return np.array([trace["x"], trace["y"]]).T


def _by_title(figs, start):
    return [f for f in figs if f["layout"].get("title", {}).get("text", "").startswith(start)]


def _preset(label):
    at = open_preset(PAGE, PRESETS, label)
    assert not at.exception, at.exception
    assert not at.warning  # every setting in the link was taken
    return at


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_default_view_has_every_chart(default):
    assert not default.exception, default.exception
    assert not default.warning and not default.error
    figs = figures(default)
    names = [{d.get("name") for d in f["data"]} for f in figs]
    assert {"batch 1", "full batch", "end of an epoch"} <= names[0]
    assert _by_title(figs, "Minibatch surface at step 0")
    assert {"B = 1", "B = 40"} <= names[2]
    assert {"gradient descent", "momentum, lecture form", "momentum, PyTorch form"} <= names[3]
    assert _by_title(figs, "1-D cut") and _by_title(figs, "Step 0 taken apart")
    assert _by_title(figs, "Weight of each past gradient")
    (table,) = default.dataframe
    assert list(table.value["batch size"]) == [1, 40]
    assert list(table.value["updates per epoch"]) == [40, 1]
    assert (table.value["time per update (µs)"] > 0).all()


def test_widgets_change_the_view_and_the_url_restores_it():
    at = run_page(PAGE)
    at.slider(key="bm_batch_rbf_neuron").set_value(4)
    at.number_input(key="bm_seed").set_value(7).run()
    at.slider(key="bm_step").set_value(12).run()
    assert not at.exception, at.exception
    figs = figures(at)
    assert _by_title(figs, "Minibatch surface at step 12")
    before = _path(figures(run_page(PAGE))[0], "batch 1")
    after = _path(figs[0], "batch 4")
    assert len(after) == 25 * 10 + 1 and len(before) == 25 * 40 + 1

    linked = run_page(PAGE, {"bm_batch_rbf_neuron": "4", "bm_seed": "7", "bm_step": "12"})
    assert not linked.warning
    assert figures(linked)[:2] == figs[:2]


def test_a_bad_link_warns_and_falls_back():
    at = run_page(PAGE, {"bm_seed": "banana", "bm_lambda": "7"})
    assert not at.exception, at.exception
    assert at.warning and "bm_seed" in at.warning[0].value
    assert at.number_input(key="bm_seed").value == 2


def test_batch_preset_small_batch_escapes_where_full_batch_stalls():
    at = _preset("A small batch escapes where full batch stalls")
    assert at.info  # the preset's note
    trajectory = figures(at)[0]
    noisy, full = (
        _path(trajectory, "batch 1"),
        _path(trajectory, "full batch"),
    )
    shallow = min((x, y) for k, x, y in RBF.known_critical if k == "minimum")
    assert np.hypot(*(full[-1] - shallow)) < 1e-6  # stalled in the shallow minimum
    assert np.all(noisy[-200:, 0] > _ridge(RBF))  # over the ridge, and staying there


def test_momentum_preset_rolls_through_where_gradient_descent_stops():
    at = _preset("Momentum rolls through the shallow minimum")
    trajectory = figures(at)[3]
    left, right = sorted(x for k, x, _ in WELL.known_critical if k == "minimum")
    gd = _path(trajectory, "gradient descent")
    assert gd[-1, 0] == pytest.approx(right, abs=1e-3)  # stopped in the first, shallow minimum
    for form in ("lecture", "PyTorch"):
        rolled = _path(trajectory, f"momentum, {form} form")
        assert rolled[-1, 0] == pytest.approx(left, abs=1e-3)
        assert rolled[:, 0].min() < _ridge(WELL) < rolled[0, 0]
    (gap,) = [m for m in at.metric if m.label.startswith("largest gap")]
    assert gap.value.startswith("0 ")  # constant η: the same path, up to rounding


def test_schedule_preset_parts_the_two_forms():
    at = _preset("The two momentum forms under a schedule")
    (gap,) = [m for m in at.metric if m.label.startswith("largest gap")]
    assert float(gap.value) > 0.01
    trajectory = figures(at)[3]
    lecture = _path(trajectory, "momentum, lecture form")
    torch_form = _path(trajectory, "momentum, PyTorch form")
    np.testing.assert_allclose(lecture[:41], torch_form[:41], rtol=1e-9)  # same until η drops
    assert np.abs(lecture[60] - torch_form[60]).max() > 1e-3
