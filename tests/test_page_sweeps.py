"""The Sweeps page, driven through AppTest: the sweep shown is the runs done one by one, the basin
maps are the runs' ends classified independently (brentq, scipy), links restore the view, bad
links and limits give messages, and every preset's note holds for the page's own numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import figures, link, open_preset, paths, run_page, traces
from scipy.optimize import brentq, minimize

from optimizers import make_optimizer, schedules, simulate
from optimizers.sweep import DIVERGED, NOT_CONVERGED, WORK_BUDGET
from surfaces import get_surface
from views.sweeps import PRESETS

PAGE = "views/sweeps.py"
HIMMELBLAU_MINIMA = [
    (3.0, 2.0),
    (-2.805118, 3.131312),
    (-3.779310, -3.283186),
    (3.584428, -1.848126),
]  # fmt: skip  (published, LECTURE.md)


def with_role(at, role: str) -> dict:
    """The first chart holding a trace of this role."""
    return next(f for f in figures(at) if any((t.get("meta") or {}).get("role") == role
                                              for t in f["data"]))  # fmt: skip


def sweep_figure(at) -> dict:
    return with_role(at, "sweep")


def maps_figure(at) -> dict:
    return with_role(at, "map")


def trajectory_figures(at) -> list[dict]:
    """The run on show (one path), then the runs from one start (two)."""
    return [f for f in figures(at) if f.get("frames")]


def curve(figure: dict, name: str, role: str = "sweep") -> dict:
    return next(t for t in traces(figure, role) if t["name"] == name)


def same(a: list[dict], b: list[dict]) -> bool:
    """Figures equal, NaN included (a diverged run has no value on the sweep's curve)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def map_codes(figure: dict) -> list[np.ndarray]:
    """Each map's basin code per cell, [y, x]: the heatmap holds the position of the cell's
    category in the legend, whose swatches carry the codes."""
    order = [t["meta"]["run"] for t in figure["data"] if t["meta"]["role"] == "category"]
    return [np.array(order)[np.rint(np.array(t["z"])).astype(int)] for t in traces(figure, "map")]


def best_table(at):
    return at.table[0].value


def shares_table(at):
    return at.table[1].value


def share(at, row: int, column: str) -> float:
    """A share of the starts from the table, as a fraction (“57.5 % (920)”)."""
    return float(shares_table(at).iloc[row][column].split(" %")[0]) / 100


# ---- The learning-rate sweep -------------------------------------------------------------------


def test_default_view_has_every_part():
    at = run_page(PAGE)
    assert not at.exception and not at.warning and not at.error
    sweep = sweep_figure(at)
    assert [t["name"] for t in traces(sweep, "sweep")] == ["sgd", "momentum", "adam"]
    rates = np.array(curve(sweep, "sgd")["x"])
    np.testing.assert_allclose(rates, np.geomspace(1e-4, 1.0, 48), rtol=5e-3)  # 3 digits
    assert len(traces(sweep, "best")) == 3 and len(traces(sweep, "chosen")) == 1
    assert not traces(sweep, "limit")  # Himmelblau's Hessian is not constant
    run_view, cell_view = trajectory_figures(at)
    assert len(paths(run_view)) == 1 and len(paths(cell_view)) == 2
    maps = maps_figure(at)
    assert [np.shape(t["z"]) for t in traces(maps, "map")] == [(40, 40), (40, 40)]
    assert list(best_table(at).index) == ["sgd", "momentum", "adam"]
    assert list(shares_table(at).index) == ["A: sgd (lr 0.01)", "B: momentum (lr 0.01)"]


def test_the_sweep_is_the_runs_done_one_by_one():
    at = run_page(PAGE)
    surface, start = get_surface("himmelblau"), (-1.0, 0.0)
    sweep = sweep_figure(at)
    for name in ("sgd", "momentum", "adam"):
        line, strip = curve(sweep, name), curve(sweep, name, "diverged")
        rates = line["x"]
        runs = {i: simulate(surface, make_optimizer(name, lr=rates[i]), start, 500)
                for i in range(0, 48, 5)}  # fmt: skip
        for i, run in runs.items():
            if run.diverged_at is not None:
                assert rates[i] in strip["x"] and np.isnan(line["y"][i])
            elif run.losses[-1] > 1e-6:  # L* = 0: the final loss itself, bit for bit
                assert line["y"][i] == run.losses[-1]
            else:  # at the minimum to rounding: on the axis's floor
                assert line["y"][i] <= 1e-6
        diverged = [i for i, run in runs.items() if run.diverged_at is not None]
        assert name != "sgd" or diverged  # gradient descent diverges at the large rates


def test_the_table_gives_each_optimizer_its_best_rate():
    """Best: the lowest final loss (ties: fewer steps to L* + 10⁻⁴), never a diverged run."""
    at = run_page(PAGE)
    surface, rates = get_surface("himmelblau"), curve(sweep_figure(at), "momentum")["x"]
    runs = [simulate(surface, make_optimizer("momentum", lr=r), (-1.0, 0.0), 500) for r in rates]
    finals = [np.inf if r.diverged_at is not None else r.losses[-1] for r in runs]
    steps = [int(np.argmax(r.losses <= 1e-4)) if (r.losses <= 1e-4).any() else np.inf
             for r in runs]  # fmt: skip
    best = min(range(len(rates)), key=lambda i: (finals[i], steps[i]))
    row = best_table(at).loc["momentum"]
    assert row["best η"] == f"{rates[best]:.3g}"
    assert row["steps to L* + 0.0001"] == str(steps[best])
    first = next(r for r, run in zip(rates, runs, strict=True) if run.diverged_at is not None)
    assert row["diverges from η ="] == f"{first:.3g}"
    star = curve(sweep_figure(at), "momentum", "best")
    assert star["x"] == [rates[best]]


def test_a_run_named_in_the_link_is_shown_exactly():
    at = run_page(PAGE, {"sw_run_opt": "adam", "sw_run_lr": "0.0134"})
    assert not at.warning
    expected = simulate(get_surface("himmelblau"), make_optimizer("adam", lr=0.0134),
                        (-1.0, 0.0), 500).points  # fmt: skip
    np.testing.assert_array_equal(paths(trajectory_figures(at)[0])[0], expected)
    ring = traces(sweep_figure(at), "chosen")[0]
    assert ring["x"] == [0.0134] and ring["meta"]["run"] == 2  # adam, the third curve


def test_steps_to_target_is_a_measure_of_its_own():
    at = run_page(PAGE, {"sw_measure": "steps", "sw_tol": "0.01"})
    sweep = sweep_figure(at)
    assert sweep["layout"]["yaxis"]["title"]["text"] == "steps to reach L* + tolerance"
    adam = curve(sweep, "adam")
    for i in (0, 20, 40):
        run = simulate(get_surface("himmelblau"), make_optimizer("adam", lr=adam["x"][i]),
                       (-1.0, 0.0), 500)  # fmt: skip
        hits = np.flatnonzero(run.losses <= 0.01)
        if hits.size:
            assert adam["y"][i] == hits[0]
        else:
            assert np.isnan(adam["y"][i]) and adam["x"][i] in curve(sweep, "adam", "missing")["x"]


def test_no_optimizer_and_no_minimum_are_said_not_crashed():
    at = run_page(PAGE)
    at.multiselect(key="sw_opts").set_value([]).run()
    assert not at.exception and "Choose at least one optimizer" in at.info[0].value
    assert not any((t.get("meta") or {}).get("role") == "sweep" for f in figures(at)
                   for t in f["data"])  # fmt: skip
    plane = run_page(PAGE, {"sw_surface": "custom", "sw_surface_formula": "x + 0.5*y"})
    plane.segmented_control(key="sw_measure").set_value("steps").run()
    assert not plane.exception
    assert "No minimum is known" in plane.warning[0].value
    assert traces(sweep_figure(plane), "sweep")  # the final loss is shown instead


# ---- Links ------------------------------------------------------------------------------------


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE)
    at.slider(key="sw_steps").set_value(400).run()  # sidebar: a full run
    at.select_slider(key="sw_tol").set_value(0.01).run()  # the sweep's fragment
    at.slider(key="sw_rates").set_value(20).run()  # its popover
    at.selectbox(key="sw_run_opt").set_value("adam").run()
    at.slider(key="sw_grid").set_value(30).run()  # the basins' fragment
    at.selectbox(key="sw_a_opt").set_value("adam").run()
    at.select_slider(key="sw_a_betas1").set_value(0.8).run()  # A's popover
    at.number_input(key="sw_cell_x").set_value(2.5).run()
    assert link(at) == {
        "sw_steps": "400", "sw_tol": "0.01", "sw_rates": "20", "sw_run_opt": "adam",
        "sw_grid": "30", "sw_a_opt": "adam", "sw_a_betas1": "0.8", "sw_cell_x": "2.5",
    }  # fmt: skip
    shared = run_page(PAGE, link(at))
    assert same(figures(shared), figures(at))
    at.slider(key="sw_grid").set_value(40).run()  # back to the default: out of the link
    assert "sw_grid" not in link(at)


def test_a_request_sent_before_a_moved_value_arrived_keeps_it():
    """A value the server moves (the start follows the grid's centres) may cross a request the
    browser sent before it arrived: Streamlit queues a fragment's reruns, so that request runs
    with the value the move replaced (seen in Chromium). The moved value is kept, once, and the
    link says what is shown; the same value set again is the user's own change, and kept."""
    at = run_page(PAGE)
    before = at.number_input(key="sw_cell_x").value
    at.slider(key="sw_grid").set_value(11).run()
    moved = at.number_input(key="sw_cell_x").value
    assert moved != before and "sw_cell_x" not in link(at)  # it follows its default
    at.number_input(key="sw_cell_x").set_value(before)  # the crossing request, with a change
    at.slider(key="sw_bsteps").set_value(60).run()
    assert at.number_input(key="sw_cell_x").value == moved
    assert link(at) == {"sw_grid": "11", "sw_bsteps": "60"}
    at.number_input(key="sw_cell_x").set_value(before).run()  # typed in by the user
    assert at.number_input(key="sw_cell_x").value == before
    assert float(link(at)["sw_cell_x"]) == before


def test_the_work_limit_is_a_message_and_a_range():
    """A 60×60 map allows at most 1,200,000 / 3,600 = 333 steps: more is refused with a
    message, and the caption states the budget."""
    assert 60**2 * 333 <= WORK_BUDGET < 60**2 * 334
    at = run_page(PAGE, {"sw_grid": "60", "sw_bsteps": "500"})
    assert not at.exception and "sw_bsteps=500" in at.warning[0].value
    assert at.slider(key="sw_bsteps").max == 333 and at.slider(key="sw_bsteps").value == 300
    caption = next(c.value for c in at.caption if c.value.startswith("Each map"))
    assert "3,600 runs × 300 steps = 1,080,000 run-steps, of the 1,200,000" in caption
    at.slider(key="sw_bsteps").set_value(330).run()
    assert not at.exception and link(at)["sw_bsteps"] == "330"
    at.slider(key="sw_grid").set_value(40).run()  # the range grows again; the value stays
    assert at.slider(key="sw_bsteps").max == 750 and at.slider(key="sw_bsteps").value == 330


def test_a_formula_error_keeps_the_last_good_surface():
    at = run_page(PAGE, {"sw_surface": "custom", "sw_surface_formula": "(x**2 - 1)**2 + y**2"})
    before = figures(at)
    at.text_input(key="sw_surface_formula").input("x*__import__('os')").run()
    assert not at.exception and at.error
    assert same(figures(at), before)


# ---- Basins of attraction ---------------------------------------------------------------------


def test_himmelblau_basins_against_the_runs_and_scipy():
    """Cells of both default maps, each run one by one: its end, polished by scipy, names the
    published minimum it lies in; the map says that one if the run ended within 1 % of the
    domain of it, else "not converged"."""
    at = run_page(PAGE)
    surface, span = get_surface("himmelblau"), np.array([10.0, 10.0])
    maps = maps_figure(at)
    stars = next(t for t in maps["data"] if t["meta"] == {"role": "critical", "kind": "minimum"})
    numbered = np.column_stack([stars["x"], stars["y"]])  # basin k + 1 is star k + 1
    assert all(np.hypot(*(numbered - m).T).min() < 1e-5 for m in HIMMELBLAU_MINIMA)
    xs, ys = traces(maps, "map")[0]["x"], traces(maps, "map")[0]["y"]
    optimizers = (make_optimizer("sgd", lr=0.01), make_optimizer("momentum", lr=0.01))
    for codes, optimizer in zip(map_codes(maps), optimizers, strict=True):
        for j, i in [(3, 5), (10, 30), (20, 20), (35, 8), (39, 39), (0, 0), (25, 14)]:
            run = simulate(surface, optimizer, (xs[i], ys[j]), 300)
            if run.diverged_at is not None:
                assert codes[j, i] == DIVERGED
                continue
            end = minimize(lambda p: surface.f(*p), run.points[-1], method="BFGS").x
            arrived = np.hypot(*((run.points[-1] - end) / span)) <= 0.01
            nearest = int(np.argmin(np.hypot(*(numbered - end).T)))
            assert codes[j, i] == (nearest if arrived else NOT_CONVERGED), (j, i)
    counts = shares_table(at).map(lambda v: int(v.split("(")[1].rstrip(")")))
    assert counts.sum(axis=1).tolist() == [1600, 1600]
    assert counts.iloc[0].tolist()[:4] == [int((map_codes(maps)[0] == k).sum()) for k in range(4)]


def test_rosenbrock_maps_start_at_a_rate_that_does_not_blow_up():
    """At the maps' usual η = 0.01 every run on Rosenbrock diverges (a blank map): its maps start
    at 0.001, where most runs stay finite and some reach the minimum."""
    rosenbrock, corners = get_surface("rosenbrock"), [(-1.9, -1.9), (0.0, 0.0), (1.9, 2.9)]
    for name in ("sgd", "momentum"):
        runs = [simulate(rosenbrock, make_optimizer(name, lr=0.01), p, 300) for p in corners]
        assert all(run.diverged_at is not None for run in runs)
    at = run_page(PAGE, {"sw_surface": "rosenbrock"})
    assert list(shares_table(at).index) == ["A: sgd (lr 0.001)", "B: momentum (lr 0.001)"]
    for codes in map_codes(maps_figure(at)):
        assert (codes == 0).any() and (codes == DIVERGED).mean() < 0.5


def test_a_clicked_cell_shows_its_two_runs():
    at = run_page(PAGE, {"sw_surface": "double_well", "sw_cell_x": "2.10625",
                         "sw_cell_y": "0.6375"})  # fmt: skip
    assert not at.warning
    well = get_surface("double_well")
    start = (2.10625, 0.6375)  # a cell centre of the 40×40 grid: x = −2 + (i + ½)·4.5/40
    runs = [simulate(well, make_optimizer(n, lr=0.01), start, 300) for n in ("sgd", "momentum")]
    for drawn, run in zip(paths(trajectory_figures(at)[1]), runs, strict=True):
        np.testing.assert_array_equal(drawn, run.points)
    note = next(m.value for m in at.markdown if m.value.startswith("- **A:"))
    codes = map_codes(maps_figure(at))
    xs, ys = traces(maps_figure(at), "map")[0]["x"], traces(maps_figure(at), "map")[0]["y"]
    i, j = xs.index(start[0]), ys.index(start[1])
    assert [c[j, i] for c in codes] == [1, 0]  # the shallow minimum, then the deeper
    assert note.splitlines() == ["- **A: sgd (lr 0.01)**: ends in basin 2",
                                 "- **B: momentum (lr 0.01)**: ends in basin 1"]  # fmt: skip


# ---- Presets ----------------------------------------------------------------------------------


def limit_lines(at) -> list[float]:
    return [t["x"][0] for t in traces(sweep_figure(at), "limit")]


def diverged_rates(at, name: str) -> list[float]:
    return curve(sweep_figure(at), name, "diverged")["x"]


def _preset_too_large_a_step_diverges(at):
    bowl = get_surface("quadratic", condition=100.0, angle=30.0)
    top = np.linalg.eigvalsh(bowl.hessian(0.3, -0.2))[-1]
    assert top == pytest.approx(100.0)
    assert limit_lines(at) == pytest.approx([2 / top, 3.8 / top])  # 0.02 and 0.038
    rates = np.array(curve(sweep_figure(at), "sgd")["x"])
    below = rates[rates < 0.02]
    assert best_table(at).loc["sgd", "best η"] == "0.0163" == f"{below[-2]:.3g}"
    assert diverged_rates(at, "sgd") == rates[rates > 0.02].tolist()  # every rate above
    assert diverged_rates(at, "momentum") == rates[rates > 0.038].tolist()
    sgd = np.array(curve(sweep_figure(at), "sgd")["y"][: len(below)], dtype=float)
    assert (np.diff(sgd[:-1]) < 0).all() and sgd[-1] > sgd[-2]  # falls, then swings at the edge
    swing = abs(1 - below[-1] * top)  # per step, at the last rate below the cliff
    assert swing > 0.98


def _preset_a_fair_race(at):
    table = best_table(at)
    assert table.loc["adam", "steps to L* + 0.0001"] == "274"
    assert table.loc["momentum", "steps to L* + 0.0001"] == "318"
    rates = curve(sweep_figure(at), "sgd")["x"]
    assert len(rates) == 48 and rates[0] == 1e-5 and rates[-1] == 10.0
    strip = diverged_rates(at, "sgd") + curve(sweep_figure(at), "sgd", "missing")["x"]
    assert sorted(strip) == rates  # ○ or ✕ for every rate of gradient descent
    assert table.loc["sgd", "best η"] == "—"
    # Adam's best η, run by hand: 274 steps to L* + 10⁻⁴ (L* = 0 at (1, 1))
    best = float(table.loc["adam", "best η"])
    run = simulate(get_surface("rosenbrock"), make_optimizer("adam", lr=best), (-1.2, 1.0), 1000)
    assert int(np.argmax(run.losses <= 1e-4)) == 274


def _preset_convex_yet_gradient_descent_crawls(at):
    regression = get_surface("regression")
    top = np.linalg.eigvalsh(regression.hessian(-150.0, 0.0))[-1]
    assert f"{top:.3g}" == "1.75e+05" and f"{2 / top:.3g}" == "1.14e-05"
    assert limit_lines(at)[0] == pytest.approx(2 / top)
    caption = next(c.value for c in at.caption if "Hessian is the same" in c.value)
    assert "1.75×10⁵" in caption and "1.14×10⁻⁵" in caption
    rates = np.array(curve(sweep_figure(at), "sgd")["x"])
    assert diverged_rates(at, "sgd") == rates[rates > 2 / top].tolist()
    table = best_table(at)
    assert float(table.loc["sgd", "best η"].replace("×10⁻⁵", "e-5")) == rates[rates < 2 / top][-1]
    assert table.loc["sgd", "final L − L*"] == "1.29×10³"
    assert table.loc["adam", "final L − L*"] == "0"


def _preset_momentum_rolls_past_the_shallow_minimum(at):
    ridge = brentq(lambda x: 4 * x**3 - 4 * x + 0.3, -0.5, 0.5)  # the saddle's x
    maps = maps_figure(at)
    xs = np.array(traces(maps, "map")[0]["x"])
    gd, momentum = map_codes(maps)
    assert np.array_equal(gd == 0, np.broadcast_to(xs < ridge, gd.shape))  # left of the ridge
    assert share(at, 0, "basin 1") == pytest.approx(np.mean(xs < ridge)) == 0.45
    assert share(at, 1, "basin 1") == pytest.approx(0.575)
    assert (momentum == 0).mean() == 0.575
    legend = [t["name"] for t in traces(maps, "category")]
    assert legend[0].startswith("1: minimum (−1.04, 0), L = −0.305")  # the deeper one


def _preset_a_small_batch_changes_the_basins(at):
    a, b = shares_table(at).index
    assert a == "A: sgd (lr 2, cosine annealing)" and b.endswith(", B = 2")
    assert share(at, 0, "basin 2") == pytest.approx(0.468)
    assert share(at, 1, "basin 2") == pytest.approx(0.166)
    assert share(at, 0, "basin 1") == pytest.approx(0.528)
    assert share(at, 1, "basin 1") == pytest.approx(0.618)
    assert share(at, 1, "not converged") > 0
    # A few cells of the small-batch map, run one by one with the same batches
    rbf = get_surface("rbf_neuron")
    maps = maps_figure(at)
    xs, ys = traces(maps, "map")[1]["x"], traces(maps, "map")[1]["y"]
    codes = map_codes(maps)[1]
    sgd = make_optimizer("sgd", lr=schedules.cosine_annealing(2.0, t_max=300))
    minima = sorted(rbf.minima, key=lambda p: float(rbf.f(*p)))
    for j, i in [(5, 5), (20, 10), (30, 33), (12, 27)]:
        end = simulate(rbf, sgd, (xs[i], ys[j]), 300, batch_size=2, seed=0).points[-1]
        unit = np.array([7.0, 2.25])  # distances in units of the domain, as the maps count
        near = [np.hypot(*((end - m) / unit)) for m in minima]
        expected = int(np.argmin(near)) if min(near) <= 0.01 else NOT_CONVERGED
        assert codes[j, i] == expected, (j, i)


STORIES = {
    "Too large a step diverges: the cliff sits at 2/λmax": _preset_too_large_a_step_diverges,
    "A fair race: each optimizer at its own best η": _preset_a_fair_race,
    "Convex, yet gradient descent crawls": _preset_convex_yet_gradient_descent_crawls,
    "Momentum rolls past the shallow minimum": _preset_momentum_rolls_past_the_shallow_minimum,
    "A small batch changes the basins": _preset_a_small_batch_changes_the_basins,
}


def test_every_preset_has_a_story():
    assert set(STORIES) == set(PRESETS)


@pytest.mark.parametrize("name", sorted(STORIES))
def test_presets_tell_their_story(name):
    STORIES[name](open_preset(PAGE, PRESETS, name))
