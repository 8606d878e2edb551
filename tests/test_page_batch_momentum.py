"""The batch size and momentum page (views/batch_momentum.py), driven through AppTest: its charts
are the core's runs, one step control drives every view of a section, links restore the view,
and every preset's note is true of the page's own numbers.

Independent references: torch.optim.SGD (PyTorch's momentum form, autograd gradients) and the
lecture's update m ← λm − ηg, θ ← θ + m written out by hand."""

import re
from functools import partial

import numpy as np
import pytest
from helpers import figures, open_preset, run_page
from reference import reference

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from views.batch_momentum import PRESETS
from viz.momentum import CARRIED_COLOR, GRADIENT_COLOR, close_up, step_parts

PAGE = "views/batch_momentum.py"
RBF, WELL, REGRESSION = (get_surface(k) for k in ("rbf_neuron", "double_well", "regression"))


def _ridge(surface) -> float:
    (x,) = [x for kind, x, _ in surface.known_critical if kind == "saddle"]
    return x


def _minima(surface) -> list[tuple[float, float]]:
    """The declared minima, deepest first."""
    found = [(x, y) for kind, x, y in surface.known_critical if kind == "minimum"]
    return sorted(found, key=lambda p: float(surface.f(*p)))


def _figure(at, title: str) -> dict:
    (found,) = [f for f in figures(at) if f["layout"].get("title", {}).get("text", "")
                .startswith(title)]  # fmt: skip
    return found


def _comparison(at) -> dict:
    (found,) = [f for f in figures(at) if any(_role(t) == "by update" for t in f["data"])]
    return found


def _role(trace: dict) -> str | None:
    return (trace.get("meta") or {}).get("role")


def _trace(fig: dict, role: str, name: str | None = None) -> dict:
    (found,) = [t for t in fig["data"] if _role(t) == role and name in (None, t.get("name"))]
    return found


def _xy(trace: dict) -> np.ndarray:
    return np.column_stack([trace["x"], trace["y"]]).astype(float)


def _value(text: str) -> float:
    """A number as the page prints it (ui.format.number): 1.219×10⁴, −0.5, 45 %."""
    digits = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    text = text.replace("−", "-").replace("%", "").strip()
    if "×10" in text:
        mantissa, exponent = text.split("×10")
        return float(mantissa) * 10.0 ** int(exponent.translate(digits))
    return float(text)


def _table(at) -> dict[str, dict[str, str]]:
    """The batch-size table: {column (a batch size): {row: cell}}."""
    return at.table[0].value.to_dict()


def _row(at, start: str) -> dict[str, str]:
    table = _table(at)
    (row,) = {r for column in table.values() for r in column if r.startswith(start)}
    return {column: cells[row] for column, cells in table.items()}


def _link(at) -> dict[str, list[str]]:
    """The page's URL query, every value as a list (a key repeats once per chosen batch size;
    helpers.link keeps one value per key, and AppTest's own form depends on its version)."""
    return {k: v if isinstance(v, list) else [v] for k, v in dict(at.query_params).items()}


def _markdown(at, start: str) -> str:
    (found,) = [md.value for md in at.markdown if md.value.startswith(start)]
    return found


def _lecture_momentum(grad, start, lr: float, lam: float, steps: int) -> np.ndarray:
    """LECTURE.md part 2: m⁰ = 0, mᵗ⁺¹ = λmᵗ − ηgᵗ, θᵗ⁺¹ = θᵗ + mᵗ⁺¹."""
    theta, m = np.array(start, float), np.zeros(2)
    points = [theta.copy()]
    for _step in range(steps):
        m = lam * m - lr * grad(*theta)
        theta = theta + m
        points.append(theta.copy())
    return np.array(points)


def _torch_momentum(start, lr: float, lam: float, steps: int) -> np.ndarray:
    """torch.optim.SGD with momentum on the double well, gradients by autograd."""
    import torch

    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=lr, momentum=lam)
    points = [theta.detach().numpy().copy()]
    for _step in range(steps):
        optimizer.zero_grad()
        x, y = theta
        ((x**2 - 1) ** 2 + 0.3 * x + y**2).backward()
        optimizer.step()
        points.append(theta.detach().numpy().copy())
    return np.array(points)


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_default_view_has_every_part(default):
    assert not default.exception, default.exception
    assert not default.warning and not default.error
    assert len(figures(default)) == 7
    paths = _figure(default, "Both runs on the full-batch surface, step 999")
    assert {t["name"] for t in paths["data"] if _role(t) == "marker"} == {"B = 1", "full batch"}
    assert len(_trace(paths, "epochs")["x"]) == 25  # the end of every epoch
    assert _figure(default, "Minibatch surface at step 999: samples [")
    names = {t["name"] for t in _comparison(default)["data"]}
    assert names == {"B = 1", "B = 40 (full batch)"}  # one notation throughout
    assert list(_table(default)) == ["B = 1", "B = 40 (full batch)"]
    assert _row(default, "updates per epoch") == {"B = 1": "40", "B = 40 (full batch)": "1"}
    momentum = _figure(default, "Same start, same η: the three runs at step 4")
    assert [t["name"] for t in momentum["data"] if _role(t) == "marker"] == [
        "gradient descent", "momentum, lecture form", "momentum, PyTorch form"
    ]  # fmt: skip
    for title in ("1-D cut along y = 0", "Step 4 taken apart", "Past gradients' weights"):
        assert _figure(default, title)


def test_the_charts_are_the_runs_of_the_lecture_and_of_torch(default):
    """Both momentum paths against independent references, and the batch paths against the core
    simulation with the shuffling seed the page shows."""
    momentum = _figure(default, "Same start, same η")
    lecture = _xy(_trace(momentum, "path", "momentum, lecture form"))
    pytorch = _xy(_trace(momentum, "path", "momentum, PyTorch form"))
    start = WELL.default_start
    np.testing.assert_allclose(lecture, _lecture_momentum(WELL.grad, start, 0.01, 0.9, 300),
                               rtol=1e-9, atol=1e-12)  # fmt: skip
    args = (start, 0.01, 0.9, 300)
    expected = reference(f"momentum{args}", partial(_torch_momentum, *args))
    np.testing.assert_allclose(pytorch, expected, rtol=1e-9, atol=1e-12)
    paths = _figure(default, "Both runs on the full-batch surface")
    sgd = make_optimizer("sgd", lr=1.0)
    noisy = simulate(RBF, sgd, RBF.default_start, 1000, batch_size=1, seed=2)
    np.testing.assert_array_equal(_xy(_trace(paths, "path", "B = 1")), noisy.points)
    full = simulate(RBF, sgd, RBF.default_start, 1000)
    np.testing.assert_array_equal(_xy(_trace(paths, "path", "full batch")), full.points)


def test_every_figure_says_after_how_many_updates(default):
    """Like with like: the runs above after the same updates, the sizes below after the same
    epochs, and every label says which."""
    labels = [m.label for m in default.metric]
    assert labels == ["full-batch loss after 1000 updates, B = 1",
                      "full-batch loss after 1000 updates, full batch"]  # fmt: skip
    assert "Both runs make the same 1000 updates" in default.caption[0].value
    assert any(s.value.startswith("Batch sizes side by side: the same 25 epochs")
               for s in default.subheader)  # fmt: skip
    assert _row(default, "updates in 25 epochs") == {"B = 1": "1000", "B = 40 (full batch)": "25"}
    comparison = _comparison(default)
    for name, updates in (("B = 1", 1000), ("B = 40 (full batch)", 25)):
        by_epoch = _trace(comparison, "by epoch", name)
        assert by_epoch["x"][-1] == 25 and len(by_epoch["x"]) == updates + 1
    losses = _row(default, "full-batch loss after 25 epochs")
    assert _value(losses["B = 40 (full batch)"]) == pytest.approx(
        float(RBF.f(*simulate(RBF, make_optimizer("sgd", lr=1.0), RBF.default_start,
                              25).points[-1])), rel=1e-3)  # fmt: skip


def test_the_time_note_is_the_tables_update_counts(default):
    """No live timing: the note's ratio is the epoch's update counts, B = 1 against B = 40."""
    per_epoch = {k: int(v) for k, v in _row(default, "updates per epoch").items()}
    assert per_epoch == {"B = 1": 40, "B = 40 (full batch)": 1}
    note = next(c.value for c in default.caption if c.value.startswith("An epoch is"))
    assert "An epoch is 40 updates with B = 1 and 1 with B = 40." in note
    assert "an epoch with B = 40 is then about 40× faster" in note
    assert "measured" not in note.lower()
    assert not any("µs" in row for column in _table(default).values() for row in column)


def test_one_step_control_drives_both_batch_views():
    at = run_page(PAGE, {"bm_batch_rbf_neuron": "4", "bm_seed": "7", "bm_step": "12"})
    assert not at.exception and not at.warning
    run = simulate(RBF, make_optimizer("sgd", lr=1.0), RBF.default_start, 250, batch_size=4,
                   seed=7)  # fmt: skip
    paths = _figure(at, "Both runs on the full-batch surface, step 12")
    assert _xy(_trace(paths, "marker", "B = 4"))[0] == pytest.approx(run.points[12])
    samples = ", ".join(str(i) for i in run.batches[12])
    minibatch = _figure(at, f"Minibatch surface at step 12: samples [{samples}]")
    assert _xy(_trace(minibatch, "marker"))[0] == pytest.approx(run.points[12])
    np.testing.assert_allclose(_xy(_trace(minibatch, "step")), run.points[12:14])
    assert at.caption[1].value.startswith("At step 12 the full-batch gradient")

    at.slider(key="bm_step").set_value(40).run()
    assert _figure(at, "Both runs on the full-batch surface, step 40")
    assert _figure(at, "Minibatch surface at step 40")


def test_one_step_control_drives_every_momentum_view():
    at = run_page(PAGE, {"bm_mstep": "30"})
    momentum = _figure(at, "Same start, same η: the three runs at step 30")
    cut = _figure(at, "1-D cut along y = 0: where each run is at step 30")
    parts = _figure(at, "Step 30 taken apart")
    for name in ("gradient descent", "momentum, lecture form", "momentum, PyTorch form"):
        path = _xy(_trace(momentum, "path", name))
        assert _xy(_trace(momentum, "marker", name))[0] == pytest.approx(path[30])
        assert _trace(cut, "marker", name)["x"][0] == pytest.approx(path[30, 0])
    lecture = _xy(_trace(momentum, "path", "momentum, lecture form"))
    assert _xy(_trace(parts, "origin"))[0] == pytest.approx(lecture[30])
    np.testing.assert_allclose(_xy(_trace(parts, "step")), lecture[30:32])
    assert _figure(at, "Past gradients' weights in step 30")


def test_both_momentum_forms_stay_visible_and_their_gap_is_stated(default):
    momentum = _figure(default, "Same start, same η")
    ring = _trace(momentum, "marker", "momentum, lecture form")["marker"]
    dot = _trace(momentum, "marker", "momentum, PyTorch form")["marker"]
    assert ring["symbol"] == "circle-open" and dot["symbol"] != ring["symbol"]
    assert ring["size"] > 2 * dot["size"]  # the diamond fits inside the ring, both in sight
    lines = [_trace(momentum, "path", name)["line"]["dash"] for name in
             ("momentum, lecture form", "momentum, PyTorch form")]  # fmt: skip
    assert lines[0] != lines[1]
    lecture, pytorch = (_xy(_trace(momentum, "path", f"momentum, {form} form"))
                        for form in ("lecture", "PyTorch"))  # fmt: skip
    gap = np.hypot(*(lecture - pytorch).T).max()
    note = _markdown(default, "The lecture form (ring)")
    assert "one path" in note and gap < 1e-12
    assert _value(re.search(r"is ([^,]+), rounding", note).group(1)) == pytest.approx(gap, rel=0.05)


def test_every_step_of_a_run_is_drawn_at_its_own_scale():
    """Late steps are thousands of times shorter than early ones: the close-up follows, so the
    longest part always spans most of it and every part lies inside it."""
    run = simulate(WELL, make_optimizer("momentum", lr=0.01, momentum=0.9, convention="lecture"),
                   WELL.default_start, 300)  # fmt: skip
    lengths = []
    for t in range(300):
        parts = step_parts(run.points, run.grads, run.lrs, t)
        centre, half = close_up(parts, WELL.domain)
        tips = np.array([parts.origin, parts.origin + parts.carried, parts.origin + parts.total])
        assert np.all(np.abs(tips - centre) <= half * (1 + 1e-9))
        longest = max(np.hypot(*v) for v in (parts.carried, parts.gradient, parts.total))
        assert 0.6 <= longest / (2 * half) <= 1.0
        lengths.append(longest)
    assert max(lengths) / min(lengths) > 1e4  # a single scale could not show them all

    at = run_page(PAGE, {"bm_mstep": "250"})
    close = _figure(at, "Step 250 taken apart: a close-up")
    width = np.diff(close["layout"]["xaxis"]["range"])[0]
    stated = re.search(r"close-up (\S+) wide", close["layout"]["title"]["text"]).group(1)
    assert _value(stated) == pytest.approx(width, rel=5e-3)  # the title says the scale
    step = _xy(_trace(close, "step"))
    assert np.hypot(*(step[1] - step[0])) > 0.5 * width  # not a dot in a wide view
    legend = {t["name"].split(": ")[0]: _value(t["name"].split(": ")[1]) for t in close["data"]
              if _role(t) in ("carried", "gradient", "step")}  # fmt: skip
    assert legend["sum"] == pytest.approx(np.hypot(*(step[1] - step[0])), rel=5e-3)
    assert set(legend) == {"sum", "λ·m", "−η·g"}  # every part's length is in the legend


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE)
    at.slider(key="bm_batch_rbf_neuron").set_value(4).run()
    at.slider(key="bm_epochs_rbf_neuron").set_value(30).run()  # epochs after B
    at.slider(key="bm_step").set_value(100).run()
    at.multiselect(key="bm_sizes_rbf_neuron").set_value([1, 4, 40]).run()
    at.slider(key="bm_lambda").set_value(0.8).run()
    at.radio(key="bm_form").set_value("pytorch").run()
    at.selectbox(key="bm_msched").set_value("step_decay").run()
    at.slider(key="bm_mstep").set_value(20).run()
    assert not at.exception and not at.warning
    assert _link(at) == {
        "bm_batch_rbf_neuron": ["4"], "bm_epochs_rbf_neuron": ["30"], "bm_step": ["100"],
        "bm_sizes_rbf_neuron": ["1", "4", "40"], "bm_lambda": ["0.8"], "bm_form": ["pytorch"],
        "bm_msched": ["step_decay"], "bm_mstep": ["20"],
    }  # fmt: skip
    shared = run_page(PAGE, _link(at))
    assert not shared.warning and figures(shared) == figures(at)

    at.number_input(key="bm_seed").set_value(7).run()
    at.selectbox(key="bm_surface").set_value("regression").run()  # the surface after the seed
    query = _link(at)
    assert query["bm_seed"] == ["7"] and query["bm_surface"] == ["regression"]
    assert not any(key.endswith("rbf_neuron") for key in query)  # not shown, not in the link
    assert figures(run_page(PAGE, query)) == figures(at)


def test_odd_choices_draw_without_error():
    """One update in all (no step to choose), no batch size to compare, a rate that diverges."""
    at = run_page(PAGE, {"bm_batch_rbf_neuron": "40", "bm_epochs_rbf_neuron": "1"})
    assert not at.exception and not at.error
    assert _figure(at, "Full-batch surface at step 0")
    at.multiselect(key="bm_sizes_rbf_neuron").set_value([]).run()
    assert not at.exception and "No batch size chosen" in " ".join(c.value for c in at.caption)
    at = run_page(PAGE, {"bm_mlr": "0.1", "bm_lambda": "0.99", "bm_msteps": "1000"})
    assert not at.exception and not at.error
    assert len(figures(at)) == 7


def _small_batch_escapes(at):
    deep, shallow = _minima(RBF)
    paths = _figure(at, "Both runs on the full-batch surface")
    full, noisy = _xy(_trace(paths, "path", "full batch")), _xy(_trace(paths, "path", "B = 1"))
    assert len(full) == len(noisy) == 1001  # the same 1,000 updates
    assert np.hypot(*(full[-1] - shallow)) < 1e-6  # slid into the shallow minimum, stays
    assert np.hypot(*(full[-200] - shallow)) < 1e-6
    assert np.all(noisy[-200:, 0] > _ridge(RBF))  # over the ridge, towards the deeper one
    assert np.hypot(*(noisy[-200:].mean(axis=0) - deep)) < np.hypot(*(noisy[-200:].mean(axis=0)
                                                                      - shallow))  # fmt: skip
    # Below, after the same 25 epochs: B = 4 and 10 in the shallow minimum, the full batch short.
    losses = {k: _value(v) for k, v in _row(at, "full-batch loss after 25 epochs").items()}
    updates = _row(at, "updates in 25 epochs")
    at_shallow = float(RBF.f(*shallow))
    assert losses["B = 4"] == pytest.approx(at_shallow, abs=5e-4)
    assert losses["B = 10"] == pytest.approx(at_shallow, abs=5e-4)
    assert updates["B = 40 (full batch)"] == "25"
    assert losses["B = 40 (full batch)"] > at_shallow + 0.01


def _noisy_small_batches_steady_full_batch(at):
    rises = {k: _value(v) / 100 for k, v in _row(at, "updates that raised").items()}
    assert rises["B = 10 (full batch)"] == 0
    assert 0.35 <= rises["B = 1"] <= 0.48  # "about 4 updates in 10"
    full = _trace(_comparison(at), "by update", "B = 10 (full batch)")["y"]
    assert np.all(np.diff(full) < 0)  # every update lowers the loss
    losses = {k: _value(v) for k, v in _row(at, "full-batch loss after 50 epochs").items()}
    assert max(losses, key=losses.get) == "B = 1"  # ends highest ...
    updates = _row(at, "updates in 50 epochs")
    assert (updates["B = 1"], updates["B = 10 (full batch)"]) == ("500", "50")  # ... with 10×


def _momentum_rolls_over_the_ridge(at):
    deep, shallow = _minima(WELL)
    momentum = _figure(at, "Same start, same η")
    gd = _xy(_trace(momentum, "path", "gradient descent"))
    assert np.hypot(*(gd[-1] - shallow)) < 1e-2  # stopped in the first, shallow minimum
    assert gd[:, 0].min() > _ridge(WELL)
    for form in ("lecture", "PyTorch"):
        rolled = _xy(_trace(momentum, "path", f"momentum, {form} form"))
        assert np.hypot(*(rolled[-1] - deep)) < 1e-3  # settled in the deeper minimum
    assert "nearest the deeper minimum" in _markdown(at, "After 300 steps")
    # Step 4: the gradient points back, the movement kept is far longer and carries it over.
    close = _figure(at, "Step 4 taken apart")
    kept, push, step = (_xy(_trace(close, role)) for role in ("carried", "gradient", "step"))
    kept, push = kept[1] - kept[0], push[1] - push[0]
    assert _trace(close, "carried")["line"]["color"] == CARRIED_COLOR  # blue
    assert _trace(close, "gradient")["line"]["color"] == GRADIENT_COLOR  # red
    assert kept @ push < 0 and push[0] > 0  # back towards the shallow minimum
    assert np.hypot(*kept) > 10 * np.hypot(*push)
    assert step[0, 0] > _ridge(WELL) > step[1, 0]  # this step crosses the ridge


def _a_schedule_parts_the_two_forms(at):
    momentum = _figure(at, "Same start, same η: the three runs at step 47")
    lecture = _xy(_trace(momentum, "path", "momentum, lecture form"))
    pytorch = _xy(_trace(momentum, "path", "momentum, PyTorch form"))
    np.testing.assert_allclose(lecture[:41], pytorch[:41], rtol=1e-12)  # one until step 40
    gaps = np.hypot(*(lecture - pytorch).T)
    assert gaps[41] > 0 and gaps.max() > 0.05
    marks = [_xy(_trace(momentum, "marker", f"momentum, {form} form"))[0]
             for form in ("lecture", "PyTorch")]  # fmt: skip
    assert np.hypot(*(marks[0] - marks[1])) > 0.05  # the diamond leaves the ring's centre
    note = _markdown(at, "The lecture form (ring)")
    stated = re.search(r"part: ([^ ]+) apart at most \(step (\d+)\)", note)
    assert _value(stated.group(1)) == pytest.approx(gaps.max(), rel=1e-3)
    assert int(stated.group(2)) == int(gaps.argmax())
    # In step 47 every gradient from before step 40 weighs twice as much in the lecture's form.
    bars = _figure(at, "Past gradients' weights in step 47")
    lecture_w, torch_w = (np.array(_trace(bars, form)["y"]) for form in ("lecture", "pytorch"))
    np.testing.assert_allclose(lecture_w[:8], torch_w[:8], rtol=1e-12)  # steps 40…47
    np.testing.assert_allclose(lecture_w[8:], 2 * torch_w[8:], rtol=1e-12)  # steps 0…39
    deep, _shallow = _minima(WELL)
    assert np.hypot(*(lecture[-1] - deep)) < 1e-3 and np.hypot(*(pytorch[-1] - deep)) < 1e-3


STORIES = {
    "A small batch escapes where full batch stalls": _small_batch_escapes,
    "Small batches are noisy, large ones steady": _noisy_small_batches_steady_full_batch,
    "Momentum rolls through the shallow minimum": _momentum_rolls_over_the_ridge,
    "The two momentum forms under a schedule": _a_schedule_parts_the_two_forms,
}


def test_every_preset_has_a_story():
    assert set(STORIES) == set(PRESETS)


@pytest.mark.parametrize("name", sorted(STORIES))
def test_presets_tell_their_story(name):
    STORIES[name](open_preset(PAGE, PRESETS, name))
