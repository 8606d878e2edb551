"""Exports of an animated view: the CSV holds every run's steps exactly, the HTML plays offline
with its frames, the GIF is drawn on the page's background with each run where it is."""

import csv
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from optimizers import make_optimizer, simulate_many
from surfaces import get_surface
from viz import background_image, trajectory_figure
from viz.export import GifPanel, figure_html, trajectories_csv, trajectory_gif
from viz.theme import run_color


@pytest.fixture(scope="module")
def runs():
    surface = get_surface("himmelblau")
    optimizers = [make_optimizer("sgd", lr=0.01), make_optimizer("adam", lr=0.1)]
    trajectories = simulate_many(surface, optimizers, [(-1.0, -1.0), (-3.0, 3.0)], 60)
    return surface, [("1: sgd", trajectories[0]), ("2: adam", trajectories[1])]


def test_csv_holds_every_step_of_every_run(runs):
    _, labelled = runs
    rows = list(csv.DictReader(io.StringIO(trajectories_csv(labelled, ("w₁", "w₂")))))
    assert len(rows) == 2 * 61
    assert list(rows[0]) == ["step", "run", "optimizer", "w₁", "w₂", "loss", "grad_norm", "lr"]
    adam = [r for r in rows if r["run"] == "2"]
    run = labelled[1][1]
    np.testing.assert_array_equal([float(r["w₁"]) for r in adam], run.points[:, 0])
    np.testing.assert_array_equal([float(r["loss"]) for r in adam], run.losses)
    np.testing.assert_array_equal([float(r["grad_norm"]) for r in adam], np.hypot(*run.grads.T))
    assert [float(r["lr"]) for r in adam[:-1]] == list(run.lrs) and adam[-1]["lr"] == ""


def test_html_is_self_contained_and_keeps_its_frames(runs):
    surface, labelled = runs
    figure = trajectory_figure(surface, labelled)
    page = figure_html(figure, "playground")
    assert "<script src=" not in page  # Plotly is inline: it plays offline
    assert "data:image/png;base64," in page  # the surface too
    spec = json.loads(re.search(r"Plotly\.newPlot\(\s*\"view\",\s*(\[.*?\]),\s*(\{.*?\}),", page,
                                re.S).group(1))  # fmt: skip
    assert len(spec) == len(figure.data)
    assert '"frames"' in page or "addFrames" in page
    assert page.count('"name":"') >= len(figure.to_dict()["frames"])


def test_gif_moves_each_run_over_the_background(runs):
    surface, labelled = runs
    image, _scale = background_image(surface)
    gif = Image.open(io.BytesIO(trajectory_gif([GifPanel("Himmelblau", image, surface.domain,
                                                         labelled)], width=300)))  # fmt: skip
    assert gif.n_frames == 61  # every step of a 61-point run (≤ 90 frames)
    gif.seek(gif.n_frames - 1)
    last = np.asarray(gif.convert("RGB"))
    (x0, x1), (y0, y1) = surface.domain
    for number, (_name, run) in enumerate(labelled):
        x, y = run.points[-1]
        px = int((x - x0) / (x1 - x0) * 300)
        py = 28 + int((y1 - y) / (y1 - y0) * 270)
        color = np.array([int(run_color(number)[i : i + 2], 16) for i in (1, 3, 5)])
        assert np.abs(last[py, px].astype(int) - color).max() < 40  # the marker is there
    gif.seek(0)
    first = np.asarray(gif.convert("RGB"))
    assert not np.array_equal(first, last)


@pytest.mark.parametrize(
    "page", ["views/playground.py", "views/critical_points.py", "views/loss_functions.py"]
)
def test_every_animated_view_offers_its_exports(page):
    from helpers import run_page

    at = run_page(page)
    assert not at.exception
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels.count("runs as CSV") >= 1 and labels.count("animation as GIF") >= 1
    assert len(labels) % 3 == 0 and "figure as HTML (plays offline)" in labels
