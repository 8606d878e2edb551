"""Links, on every page at once (AppTest): a shared link restores exactly the view it was made
from, and a bad link warns once, naming what it ignored, shows the page's default view whole and
does not pass the bad values on. (Each page's own tests drive its widgets into the link; the
networks page's and the normalization page's network section's links are tested with them.)"""

from __future__ import annotations

import json
from functools import cache
from typing import NamedTuple

import pytest
from helpers import figures, link, run_page


class Links(NamedTuple):
    shared: dict[str, str | list[str]]  # a view away from the defaults in every control it names
    bad: list[tuple[dict[str, str | list[str]], str]]  # a bad link, and what its warning names


LINKS = {
    "views/playground.py": Links(
        {"surface": "himmelblau", "start_x": "-2", "start_y": "-1", "steps": "300", "runs": "2",
         "r0_opt": "rmsprop", "r0_lr": "0.01", "r1_opt": "nesterov", "r1_lr": "0.003",
         "r1_momentum": "0.8"},
        [({"surface": "banana"}, "surface=banana"),
         ({"r0_lr": "banana"}, "r0_lr=banana"),
         ({"steps": str(10**9)}, "steps="),
         ({"start_x": "nan"}, "start_x=nan"),
         ({"r5_lr": "0.1"}, "r5_lr=0.1"),  # a run that is not shown
         ({"runs": "-3", "hack": "<script>"}, "hack=<script>")],
    ),
    "views/sweeps.py": Links(
        {"sw_surface": "double_well", "sw_opts": ["sgd", "nesterov"], "sw_steps": "300",
         "sw_rates": "30", "sw_lr_high": "0.5", "sw_grid": "20", "sw_b_lr": "0.02",
         "sw_b_momentum": "0.8"},
        [({"sw_surface": "banana"}, "sw_surface=banana"),
         ({"sw_opts": ["sgd", "banana"]}, "sw_opts=sgd,banana"),
         ({"sw_steps": str(10**9)}, "sw_steps="),
         ({"sw_lr_low": "1e-09"}, "sw_lr_low=1e-09"),
         ({"sw_run_lr": "banana"}, "sw_run_lr=banana"),
         ({"sw_cell_x": "nan"}, "sw_cell_x=nan"),
         ({"sw_grid": "1000"}, "sw_grid=1000"),
         ({"sw_batch_b": "2"}, "sw_batch_b=2"),  # Himmelblau has no batches
         ({"sw_measure": "fastest", "hack": "<script>"}, "hack=<script>")],
    ),
    "views/critical_points.py": Links(
        {"cp_surface": "six_hump_camel", "cp_x": "0.5", "cp_y": "-0.25", "cp_angle": "60",
         "cp_zoom": "0.1", "cp_lr": "0.01", "cp_steps": "300", "cp_offset": "0.01"},
        [({"cp_angle": "banana"}, "cp_angle=banana"),
         ({"cp_x": "1e9"}, "cp_x=1e9"),
         ({"cp_surface": "nowhere"}, "cp_surface=nowhere"),
         ({"cp_lr": "0.0123"}, "cp_lr=0.0123"),  # not one of the slider's values
         ({"cp_y": "nan", "junk": "<b>"}, "junk=<b>")],
    ),
    "views/batch_momentum.py": Links(
        {"bm_surface": "regression", "bm_batch_regression": "2", "bm_seed": "5", "bm_step": "30",
         "bm_mlr": "0.02", "bm_lambda": "0.5", "bm_msteps": "200", "bm_mstep": "7"},
        [({"bm_seed": "banana"}, "bm_seed=banana"),
         ({"bm_lambda": "7"}, "bm_lambda=7"),
         ({"bm_step": "-5"}, "bm_step=-5"),
         ({"bm_surface": "himmelblau"}, "bm_surface=himmelblau"),  # not a data surface
         ({"bm_sizes_rbf_neuron": "3"}, "bm_sizes_rbf_neuron=3"),  # not one of the sizes
         ({"bm_form": "<script>"}, "bm_form=<script>")],
    ),
    "views/adaptive.py": Links(
        {"ad_steps": "800", "ad_adagrad_conv": "lecture", "ad_adagrad_lr": "3",
         "ad_adam_on": "false", "ad_sched": "step_decay", "ad_sched_step_size": "200",
         "ad_compare": "true", "ad_alpha": "0.9", "ad_start_x": "-150"},
        [({"ad_adagrad_lr": "banana"}, "ad_adagrad_lr=banana"),
         ({"ad_steps": str(10**9)}, "ad_steps="),
         ({"ad_sched": "bogus"}, "ad_sched=bogus"),
         ({"ad_rmsprop_conv": "sum"}, "ad_rmsprop_conv=sum"),
         ({"ad_start_x": "nan"}, "ad_start_x=nan"),
         ({"ad_alpha": "0.42"}, "ad_alpha=0.42"),
         ({"hack": "<script>"}, "hack=<script>")],
    ),
    "views/loss_functions.py": Links(
        {"lf_target": "3", "lf_y3": "0", "lf_start_x": "2", "lf_start_y": "-3", "lf_steps": "60",
         "lf_r_opt": "adam", "lf_r_lr": "0.1", "lf_color": "linear"},
        [({"lf_target": "banana"}, "lf_target=banana"),
         ({"lf_y3": "-5000"}, "lf_y3=-5000"),
         ({"lf_start_x": "nan"}, "lf_start_x=nan"),
         ({"lf_r_opt": "lbfgs", "hack": "<b>"}, "lf_r_opt=lbfgs")],
    ),
    "views/normalization.py": Links(
        {"bn_scale": "10", "bn_run_opt": "momentum", "bn_run_lr": "0.001", "bn_gamma": "1.5",
         "bn_batch": "32", "bn_seed": "4", "bn_samples": "200"},
        [({"bn_scale": "banana"}, "bn_scale=banana"),
         ({"bn_gamma": "99"}, "bn_gamma=99"),
         ({"bn_batch": "3"}, "bn_batch=3"),
         ({"bn_batch_index": "100"}, "bn_batch_index=100"),  # 16 batches of 16
         ({"bn_run_opt": "adagrad", "x": "<b>"}, "bn_run_opt=adagrad")],
    ),
}  # fmt: skip

BAD = [(page, query, ignored) for page, links in LINKS.items() for query, ignored in links.bad]


def drawn(at) -> str:
    """Every chart of the page as JSON (NaN included: a diverged run has no value)."""
    return json.dumps(figures(at), sort_keys=True)


@cache
def default_view(page: str) -> str:
    at = run_page(page)
    assert not at.exception and not at.warning
    return drawn(at)


def test_every_page_with_links_is_here():
    from ui.catalogue import PAGES

    elsewhere = {"views/networks.py"}  # tests/test_page_networks.py
    assert set(LINKS) == {entry.path for entry in PAGES} - elsewhere


@pytest.mark.parametrize("page", list(LINKS))
def test_a_shared_link_restores_the_view_exactly(page):
    query = LINKS[page].shared
    shared = run_page(page, query)
    assert not shared.exception and not shared.warning
    assert link(shared) == query  # every value taken, and none of them a default
    assert drawn(shared) != default_view(page)
    reopened = run_page(page, link(shared))
    assert link(reopened) == query and drawn(reopened) == drawn(shared)


@pytest.mark.parametrize(("page", "query", "ignored"), BAD)
def test_a_bad_link_warns_once_shows_the_default_view_and_is_not_passed_on(page, query, ignored):
    at = run_page(page, query)
    assert not at.exception, at.exception
    assert len(at.warning) == 1 and ignored in at.warning[0].value
    assert drawn(at) == default_view(page)  # the default view, whole
    assert link(at) == {}
