"""The real-networks page through AppTest: its numbers against the core's survey read again with
NumPy (eigenvalues of the exact Hessian, the minimum-ratio rule written out), controls, links,
limits as messages, and every preset's note held to what the page computes."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT, figures, link, open_preset, run_page

import nets
from nets import report
from ui.catalogue import PAGES
from views.networks import PRESETS

PAGE = "views/networks.py"
SMALL = {"nw_runs": "4", "nw_steps": "300", "nw_refine": "10"}  # quick to survey


def by_role(at, role: str) -> dict:
    """The page's figure holding a trace with this ``meta.role``."""
    return next(f for f in figures(at) if any((t.get("meta") or {}).get("role") == role
                                              for t in f["data"]))  # fmt: skip


def traces(figure: dict, role: str) -> list[dict]:
    return [t for t in figure["data"] if (t.get("meta") or {}).get("role") == role]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def text(at) -> str:
    kinds = ("markdown", "info", "caption", "error", "header")
    return "\n".join(e.value for kind in kinds for e in at.get(kind))


def shown(value: str) -> float:
    return float(value.replace("−", "-").replace("×10", "e").translate(
        str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")))  # fmt: skip


def scatter(at) -> dict[int, tuple[float, float, str]]:
    """run index -> (minimum ratio, loss, "critical" or "stalled"), from the survey figure."""
    figure = by_role(at, "stalled")
    points = {}
    for role in ("critical", "stalled"):
        for t in traces(figure, role):
            for x, y, data in zip(t["x"], t["y"], t["customdata"], strict=True):
                points[data[0]] = (x, y, role)
    return points


def reference(widths=(1, 4, 4, 1), runs=20, seed=0, steps=2000, refine=100, **kw):
    """The survey the page should show, computed by the core, its ratios re-read with NumPy."""
    network = nets.mlp(widths, **kw)
    found = nets.survey(network, runs, seed=seed, steps=steps, refine_steps=refine)
    ratios = []
    for theta in found.thetas:
        lam = np.linalg.eigvalsh(network.hessian(theta))
        ratios.append(np.mean(lam > nets.RELATIVE_ZERO * np.abs(lam).max()))
    return network, found, np.array(ratios)


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE, timeout=600)


@pytest.fixture(scope="module")
def expected():
    return reference()


def test_default_survey_is_the_cores_read_with_numpy(default, expected):
    at = default
    assert not at.exception and not at.warning and not at.error
    _network, found, ratios = expected
    points = scatter(at)
    assert sorted(points) == list(range(20))
    for run, (x, y, role) in points.items():
        assert x == pytest.approx(ratios[run], abs=1e-12)
        assert y == pytest.approx(found.losses[run], rel=1e-9)
        assert role == ("critical" if found.grad_norms[run] <= nets.GRAD_TOL else "stalled")
    cards = metrics(at)
    critical = found.grad_norms <= 1e-8
    assert cards["true critical points"] == f"{critical.sum()} of 20"
    assert shown(cards["ratio, stalls"]) == pytest.approx(np.median(ratios[~critical]), abs=0.005)
    if not critical.any():  # the default: every run stalls, and the page says so
        assert cards["ratio, critical"] == "—" and cards["minima · flat · saddles"] == "0 · 0 · 0"
        assert "No run reached a critical point, so these minimum ratios are not the lecture's" in (
            text(at))  # fmt: skip
        assert "the band is reproduced" not in text(at)
    assert f"{critical.sum()} of 20 runs reach ‖∇L‖ ≤ 1×10⁻⁸" in text(at)
    assert f"{(~critical).sum()} stalled short of a critical point" in text(at)
    assert "|λ| ≤ 1×10⁻⁷·max|λ|" in text(at)
    for bad in ("None", "nan", "e-0", "e-1"):
        assert bad not in text(at) + str(cards), bad


def test_default_signs_and_sensitivity_are_the_surveys_counts(default, expected):
    """The bars count each point's eigenvalues by sign (NumPy's eigvalsh, the stated cutoff); the
    curves are the median ratios over the cutoffs and budgets, re-read here."""
    network, found, _ratios = expected
    bars = next(f for f in figures(default) if traces(f, "zero") and traces(f, "zero")[0]["meta"]
                .get("runs") is not None)  # fmt: skip
    runs = traces(bars, "negative")[0]["meta"]["runs"]
    assert sorted(runs) == list(range(20))
    for role, column in (("negative", 0), ("zero", 1), ("positive", 2)):
        for run, count in zip(runs, traces(bars, role)[0]["y"], strict=True):
            lam = np.linalg.eigvalsh(network.hessian(found.thetas[run]))
            tol = nets.RELATIVE_ZERO * np.abs(lam).max()
            expected_count = [np.sum(lam < -tol), np.sum(np.abs(lam) <= tol), np.sum(lam > tol)]
            assert count == expected_count[column]
    spread = by_role(default, "stalled-cutoff")
    curve = traces(spread, "stalled-cutoff")[0]
    for cutoff, y in zip(nets.CUTOFFS, curve["y"], strict=True):
        mine = [np.mean(lam > cutoff * np.abs(lam).max()) for lam in found.eigenvalues]
        assert y == pytest.approx(np.median(mine), abs=1e-12)
    low, high = min(curve["y"]), max(curve["y"])
    assert (f"The median ratio at stalls ranges from {low:.2g} to {high:.2g} over the zero "
            "cutoffs") in text(default)  # fmt: skip
    steps = traces(spread, "stalled-budget")[0]
    assert steps["x"] == list(found.budgets)


def test_default_spectrum_and_readout_are_run_ones_hessian(default, expected):
    network, found, _ratios = expected
    lam = np.linalg.eigvalsh(network.hessian(found.thetas[0]))
    tol = nets.RELATIVE_ZERO * np.abs(lam).max()
    spectrum = next(f for f in figures(default) if f["layout"].get("title"))
    counts = {
        role: sum(traces(spectrum, role)[0]["y"]) for role in ("negative", "zero", "positive")
    }
    assert counts == {"negative": np.sum(lam < -tol), "zero": np.sum(np.abs(lam) <= tol),
                      "positive": np.sum(lam > tol)}  # fmt: skip
    assert sum(counts.values()) == network.n_params == 33
    assert spectrum["layout"]["title"]["text"] == "Hessian eigenvalues of run 1 (33 parameters)"
    cards = metrics(default)
    assert shown(cards["λmin"]) == pytest.approx(lam[0], rel=5e-3)
    assert shown(cards["λmax"]) == pytest.approx(lam[-1], rel=5e-3)
    assert shown(cards["κ of the positive part"]) == pytest.approx(
        lam[-1] / lam[lam > tol].min(), rel=5e-3)  # fmt: skip
    assert shown(cards["‖∇L‖"]) == pytest.approx(
        np.linalg.norm(network.grad(found.thetas[0])), rel=5e-3)  # fmt: skip
    picked = traces(by_role(default, "picked"), "picked")[0]
    assert picked["y"] == [pytest.approx(found.losses[0], rel=1e-9)]
    stall = found.grad_norms[0] > nets.GRAD_TOL
    assert ("A stall, not a critical point" in text(default)) == stall


def test_default_plane_is_the_hessian_window_through_the_point(default, expected):
    network, found, _ratios = expected
    plane = by_role(default, "pick")
    assert plane["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert np.sum(lam_of(network, found.thetas[0]) < -tol_of(network, found.thetas[0])) > 0
    assert plane["layout"]["xaxis"]["title"]["text"] == "along u(λmin): the escape direction"
    marker = traces(plane, "marker")[0]
    assert (marker["x"], marker["y"]) == ([0.0], [0.0])
    escape = report.escape_plane(network, found.thetas[0])
    assert plane["layout"]["xaxis"]["range"] == pytest.approx(list(escape.slice.domain[0]))
    grid = traces(plane, "pick")[0]  # hovering reads the network's loss on the plane
    q = np.linalg.eigh(network.hessian(found.thetas[0]))[1]
    for k in (0, 312, 624):
        x, y = grid["x"][k], grid["y"][k]
        thetas = [
            found.thetas[0] + x * s * q[:, 0] + y * r * q[:, -1] for s in (-1, 1) for r in (-1, 1)
        ]  # an eigenvector's sign is arbitrary
        assert min(abs(network.loss(t) / grid["customdata"][k] - 1) for t in thetas) < 1e-6
    assert "Critical points of a slice are not the network's" in text(default)


def lam_of(network, theta) -> np.ndarray:
    return np.linalg.eigvalsh(network.hessian(theta))


def tol_of(network, theta) -> float:
    return nets.RELATIVE_ZERO * np.abs(lam_of(network, theta)).max()


def test_the_autoencoder_section_is_the_closed_form(default):
    """Every loss drawn is a closed-form level (written out here with NumPy), index 0 only at the
    lowest, and the sentence says what the points show."""
    import itertools

    ae = nets.mlp((4, 2, 4), activation="linear", task="autoencoder")
    x = ae.inputs - ae.inputs.mean(axis=0)
    s = np.linalg.eigvalsh(x.T @ x / len(x))
    levels = np.array([(s.sum() - sum(c)) / 4 for r in range(3)
                       for c in itertools.combinations(s, r)])  # fmt: skip
    figure = by_role(default, "found")
    found = traces(figure, "found")[0]
    assert len(found["y"]) == 28
    lines = sorted(shape["y0"] for shape in figure["layout"]["shapes"])
    np.testing.assert_allclose(lines, np.sort(levels), rtol=1e-12)
    index = [data[1] for data in found["customdata"]]
    for loss, i in zip(found["y"], index, strict=True):
        assert np.min(np.abs(levels - loss)) < 1e-12
        assert (i == 0) == (abs(loss - levels.min()) < 1e-12)
    cards = metrics(default)
    assert cards["converged"] == "28 of 28"
    assert shown(cards["largest gap to a level"]) < 1e-12
    above = sum(1 for loss in found["y"] if abs(loss - levels.min()) > 1e-12)
    assert (f"the {above} points above it are saddles with {min(i for i in index if i)} to "
            f"{max(index)} negative eigenvalues") in text(default)  # fmt: skip


def test_the_path_plane_holds_the_paths_principal_components():
    at = run_page(PAGE, SMALL | {"nw_plane": "path", "nw_run": "2"})
    assert not at.exception and not at.warning
    network = nets.mlp((1, 4, 4, 1))
    found = nets.survey(network, 4, steps=300, refine_steps=10)
    path = report.training_path(network, 1, runs=4, seed=0, steps=300, optimizer=None)
    thetas = np.vstack([path.thetas, found.thetas[1]])
    offsets = thetas - thetas[-1]
    sigma = np.linalg.svd(offsets - offsets.mean(axis=0), compute_uv=False)
    share = sigma[:2] ** 2 / np.sum(sigma**2)
    plane = by_role(at, "path")
    assert (
        plane["layout"]["xaxis"]["title"]["text"] == f"PC1 ({100 * share[0]:.3g} % of the variance)"
    )
    drawn = traces(plane, "path")[0]
    assert len(drawn["x"]) == len(thetas)
    assert (drawn["x"][-1], drawn["y"][-1]) == pytest.approx((0.0, 0.0), abs=1e-12)  # the point
    assert f"they hold {100 * share.sum():.3g} % of the path's variance" in text(at)
    steps = plane["layout"]["sliders"][0]["steps"]
    assert steps[-1]["label"] == "refined" and steps[0]["label"] == "0"


def test_the_tolerance_relabels_points_and_the_run_follows_the_selector():
    at = run_page(PAGE, SMALL)
    before = scatter(at)
    at.select_slider(key="nw_tol").set_value(1e-3).run()
    at.number_input(key="nw_run").set_value(3).run()
    after = scatter(at)
    assert {run: (x, y) for run, (x, y, _) in after.items()} == {
        run: (x, y) for run, (x, y, _) in before.items()}  # fmt: skip
    network = nets.mlp((1, 4, 4, 1))
    found = nets.survey(network, 4, steps=300, refine_steps=10)
    for run, (_x, _y, role) in after.items():
        assert role == ("critical" if found.grad_norms[run] <= 1e-3 else "stalled")
    assert metrics(at)["true critical points"] == f"{np.sum(found.grad_norms <= 1e-3)} of 4"
    assert f"{np.sum(found.grad_norms <= 1e-3)} of 4 runs reach ‖∇L‖ ≤ 0.001" in text(at)
    picked = traces(by_role(at, "picked"), "picked")[0]
    assert picked["y"] == [pytest.approx(found.losses[2], rel=1e-9)]
    assert "Run 3 up close" in text(at)
    kind = ("A true critical point (‖∇L‖ ≤ 0.001)." if found.grad_norms[2] <= 1e-3
            else "A stall, not a critical point (‖∇L‖ > 0.001).")  # fmt: skip
    assert kind in text(at)  # the point's words follow the chosen tolerance
    assert link(at) == SMALL | {"nw_tol": "0.001", "nw_run": "3"}


def test_url_restores_the_view_exactly():
    query = SMALL | {"nw_act": "sigmoid", "nw_width": "3", "nw_run": "2", "nw_plane": "random",
                     "nwo_opt": "rmsprop", "nwo_lr": "0.003", "nw_seed": "5"}  # fmt: skip
    shared = run_page(PAGE, query)
    assert not shared.exception and not shared.warning

    by_hand = run_page(PAGE, SMALL)
    by_hand.segmented_control(key="nw_act").set_value("sigmoid").run()
    by_hand.slider(key="nw_width").set_value(3).run()
    by_hand.selectbox(key="nwo_opt").set_value("rmsprop").run()
    by_hand.select_slider(key="nwo_lr").set_value(0.003).run()
    by_hand.number_input(key="nw_seed").set_value(5).run()
    by_hand.number_input(key="nw_run").set_value(2).run()
    by_hand.segmented_control(key="nw_plane").set_value("random").run()
    assert not by_hand.exception and not by_hand.warning
    assert figures(shared) == figures(by_hand)
    assert link(by_hand) == link(shared) == query


def test_changes_in_a_row_all_reach_the_link():
    at = run_page(PAGE, SMALL)
    at.slider(key="nw_steps").set_value(400).run()
    at.segmented_control(key="nw_depth").set_value(1).run()
    at.number_input(key="nw_run").set_value(4).run()
    at.select_slider(key="nw_tol").set_value(1e-6).run()
    at.segmented_control(key="nw_plane").set_value("random").run()
    at.slider(key="nw_refine").set_value(20).run()
    assert not at.exception and not at.warning
    assert link(at) == {"nw_runs": "4", "nw_steps": "400", "nw_depth": "1", "nw_run": "4",
                        "nw_tol": "1e-06", "nw_plane": "random", "nw_refine": "20"}  # fmt: skip
    shared = run_page(PAGE, link(at))
    assert figures(shared) == figures(at)
    at.slider(key="nw_refine").set_value(100).run()  # back to the default: out of the link
    assert "nw_refine" not in link(at)


def test_fewer_runs_keep_the_chosen_run_in_range():
    at = run_page(PAGE, SMALL | {"nw_run": "4"})
    at.slider(key="nw_runs").set_value(2).run()
    assert not at.exception and at.number_input(key="nw_run").value == 2
    assert "Run 2 up close" in text(at)


@pytest.mark.parametrize(
    "query, ignored",
    [
        ({"nw_width": "banana"}, "nw_width=banana"),
        ({"nw_runs": "1000"}, "nw_runs=1000"),
        ({"nw_task": "mnist"}, "nw_task=mnist"),
        ({"nw_tol": "0.5", "junk": "<b>"}, "junk=<b>"),
    ],
)
def test_bad_link_values_load_defaults_with_one_warning(query, ignored, default):
    at = run_page(PAGE, query)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and ignored in at.warning[0].value
    assert scatter(at) == scatter(default)  # the default view, whole
    assert link(at) == {}  # the bad values do not travel with a shared link


@pytest.mark.parametrize(
    "query, reason",
    [
        ({"nw_depth": "3", "nw_width": "16"}, "593 parameters; at most 500 are allowed"),
        ({"nw_width": "16", "nw_runs": "100", "nw_steps": "5000", "nw_refine": "500"},
         "the limit is 60 s"),
    ],
)  # fmt: skip
def test_limits_are_messages_not_exceptions(query, reason):
    at = run_page(PAGE, query)
    assert not at.exception and not at.warning
    assert len(at.error) == 1 and "refused" in at.error[0].value and reason in at.error[0].value
    # No survey chart; the autoencoder's section, which needs no survey, stays when the network
    # itself is allowed, and so does the share box.
    charts = figures(at)
    assert all(traces(f, "found") for f in charts) and at.expander
    assert len(charts) == (0 if "parameters" in reason else 1)
    assert link(at) == query


def test_diverged_runs_are_said_and_left_out():
    at = run_page(PAGE, SMALL | {"nwo_opt": "sgd", "nwo_lr": "10"})
    assert not at.exception and not at.error
    assert "4 of 4 runs diverged and are not drawn" in text(at)
    assert "Run 1 diverged at step" in text(at)
    assert metrics(at)["ratio, stalls"] == "—" and metrics(at)["ratio, critical"] == "—"
    assert scatter(at) == {}


def test_every_preset_has_a_story():
    assert set(STORIES) == set(PRESETS)


OUTSIDE = "outside the lecture's 0.5–0.6: the band is not reproduced here"  # the verdict


def spread_curve(at, role: str) -> list[float]:
    return traces(by_role(at, role), role)[0]["y"]


def story_homework(at) -> None:
    assert "Network 1–4–4–1, tanh: 33 parameters" in text(at)  # two hidden layers of 4
    cards = metrics(at)
    assert cards["true critical points"] == "0 of 20"  # every point is a stall
    assert all(role == "stalled" for _x, _y, role in scatter(at).values())
    assert 0.5 <= shown(cards["ratio, stalls"]) <= 0.65  # near the band
    by_cut = dict(zip(nets.CUTOFFS, spread_curve(at, "stalled-cutoff"), strict=True))
    assert by_cut[1e-7] >= 0.5 and by_cut[1e-4] < 0.3  # but it is the cutoff's
    assert "the band is reproduced" not in text(at)
    assert shown(cards["‖H∇L‖ / (λmax‖∇L‖)"]) < 0.1  # what is left lies along flat directions


def story_refinement(at) -> None:
    cards = metrics(at)
    assert cards["true critical points"] == "0 of 20"
    assert all(role == "stalled" for _x, _y, role in scatter(at).values())
    found = re.search(r"median ‖∇L‖ went from (\S+) \(before the Newton steps\) to (\S+)\.",
                      text(at))  # fmt: skip
    before, after = shown(found[1]), shown(found[2])
    assert before / 10 < after < before  # lower, by less than a factor of ten
    steps = spread_curve(at, "stalled-budget")
    assert steps[-1] < steps[0]  # drifts down as the steps go on


def story_relu(at) -> None:
    assert "Network 1–5–5–1, relu" in text(at)
    cards = metrics(at)
    critical = int(cards["true critical points"].split()[0])
    assert critical > 10
    assert cards["minima · flat · saddles"] == f"0 · {critical} · 0"  # every one of them flat
    assert shown(cards["ratio, critical"]) < 0.3 and OUTSIDE in text(at)
    assert scatter(at)[1][2] == "critical"  # run 2 is one of them
    spectrum = next(f for f in figures(at) if f["layout"].get("title"))
    counts = {t["meta"]["role"]: t["meta"]["count"] for t in spectrum["data"]}
    assert counts["zero"] > sum(counts.values()) / 2 and counts["negative"] == 0
    plane = by_role(at, "pick")
    assert "escape" not in plane["layout"]["xaxis"]["title"]["text"]  # λmin = 0: no way down
    # A unit whose input is negative on every sample (checked with NumPy on the run's point).
    network = nets.mlp((1, 5, 5, 1), activation="relu")
    theta = nets.survey(network, 20).thetas[1]
    h, dead, start = network.inputs, 0, 0
    for n_in, n_out in ((1, 5), (5, 5)):
        w = theta[start : start + n_in * n_out].reshape(n_out, n_in)
        b = theta[start + n_in * n_out : start + n_in * n_out + n_out]
        start += n_in * n_out + n_out
        z = h @ w.T + b
        dead += int(np.sum(np.all(z <= 0, axis=0)))
        h = np.maximum(z, 0)
    assert dead >= 1


def story_spirals(at) -> None:
    assert "Network 2–6–3, tanh" in text(at)  # one hidden layer of 6 tanh units
    cards = metrics(at)
    assert cards["true critical points"] == "20 of 20"
    losses = [y for _x, y, _role in scatter(at).values()]
    assert 1e-9 < np.median(losses) < 1e-7  # "about 10⁻⁸"
    ratios = [x for x, _y, _role in scatter(at).values()]
    assert min(ratios) > 0.6  # above the band
    minima, _flat, saddles = (int(k) for k in cards["minima · flat · saddles"].split(" · "))
    assert minima == 0 and saddles > 10


def story_finder(at) -> None:
    assert "no training" in text(at)
    cards = metrics(at)
    assert int(cards["true critical points"].split()[0]) > 10  # most runs
    network = nets.mlp((1, 4, 4, 1))
    variance = np.var(network.targets)
    critical = [(x, y) for x, y, role in scatter(at).values() if role == "critical"]
    assert all(abs(y / variance - 1) < 1e-6 for _x, y in critical)  # the targets' variance
    minima, flat, saddles = (int(k) for k in cards["minima · flat · saddles"].split(" · "))
    assert saddles == len(critical) and minima == flat == 0
    assert max(x for x, _y in critical) < 0.3 and OUTSIDE in text(at)


def story_descent(at) -> None:
    cards = metrics(at)
    assert cards["true critical points"] == "0 of 20"
    network = nets.mlp((1, 4, 4, 1))
    losses = [y for _x, y, _role in scatter(at).values()]
    trained = nets.train_network(network, nets.starts(network, 20)).thetas[-1]
    assert np.median(losses) < np.median(network.loss(trained)) / 100  # orders of magnitude
    steps = spread_curve(at, "stalled-budget")
    assert steps[-1] < steps[0] - 0.1  # the ratio keeps falling with the steps


STORIES = {
    "The homework's figure": story_homework,
    "More refinement does not reach zero": story_refinement,
    "ReLU: flat, degenerate stops": story_relu,
    "Spirals: a vanishing loss passes the test": story_spirals,
    "Newton from the starts: one saddle": story_finder,
    "Descending the loss: the ratio keeps falling": story_descent,
}


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_tell_their_story(name):
    STORIES[name](open_preset(PAGE, PRESETS, name))  # the links themselves: test_presets.py


def test_preset_note_goes_when_its_view_is_changed():
    at = open_preset(PAGE, PRESETS, "The homework's figure")
    at.select_slider(key="nw_tol").set_value(1e-6).run()
    assert "preset" not in link(at)
    assert not any("The homework's figure" in i.value for i in at.info)


OTHERS = ["views.home", *(e.path.removesuffix(".py").replace("/", ".") for e in PAGES
                          if e.path != PAGE)]  # fmt: skip


def test_only_this_page_pays_for_jax():
    """Importing every other page leaves jax unimported (nets imports it on first use)."""
    modules = "; ".join(f"import {name}" for name in OTHERS)
    code = f"{modules}; import sys; assert 'jax' not in sys.modules, 'jax imported'"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    mine = "import views.networks, sys; assert 'jax' not in sys.modules"  # importing draws nothing
    assert subprocess.run([sys.executable, "-c", mine], cwd=ROOT).returncode == 0
