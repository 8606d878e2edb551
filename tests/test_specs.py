"""The plain specs behind every page (no Streamlit): how values travel in links, and how a run
spec becomes the core's optimizer."""

import ast
from pathlib import Path

import numpy as np
import pytest

from optimizers import make_optimizer, schedules, simulate
from surfaces import ExpressionError, get_surface
from ui.specs import RunSpec, SurfaceSpec, nice_values, url_query, url_value

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"), (False, "false"), (np.bool_(True), "true"), (0.1, "0.1"), (1e-05, "1e-05"),
        (3.0, "3"), (2.5e-7, "2.5e-07"), (np.float64(0.3), "0.3"), (7, "7"), (np.int64(4), "4"),
        ("sgd", "sgd"), ([1, 4.0], ["1", "4"]),
    ],
)  # fmt: skip
def test_values_travel_as_short_exact_text(value, text):
    assert url_value(value) == text


def test_floats_round_trip_exactly():
    for value in np.random.default_rng(0).lognormal(size=200):
        assert float(url_value(float(value))) == value


def test_a_query_is_its_values_as_text():
    assert url_query({"r0_lr": 0.002, "on": True, "sizes": [1, 40]}) == {
        "r0_lr": "0.002", "on": "true", "sizes": ["1", "40"]
    }  # fmt: skip


def test_a_run_spec_builds_the_core_optimizer():
    spec = RunSpec("momentum", 0.01, (("momentum", 0.8),))
    surface = get_surface("rosenbrock")
    ours = simulate(surface, spec.build(), (-1.0, 1.0), 100).points
    core = simulate(surface, make_optimizer("momentum", lr=0.01, momentum=0.8), (-1.0, 1.0), 100)
    np.testing.assert_array_equal(ours, core.points)
    assert spec.label == "momentum (lr 0.01)"


def test_noam_is_scaled_to_peak_at_the_runs_rate():
    spec = RunSpec("sgd", 0.05, (), "noam", (("d_model", 64), ("warmup_steps", 40)))
    rates = simulate(get_surface("quadratic"), spec.build(), (0.5, 0.5), 200).lrs
    assert rates.max() == pytest.approx(0.05, rel=1e-12)
    assert int(rates.argmax()) == 40 - 1  # the end of warm-up
    reference = schedules.noam(64, 40)(np.arange(200))
    np.testing.assert_allclose(rates / rates.max(), reference / reference.max())


def test_a_refused_combination_raises_value_error():
    with pytest.raises(ValueError):
        RunSpec("nesterov", 0.01, (("momentum", 0.0),)).build()


def test_surface_specs_build_registry_surfaces_and_formulas():
    assert (
        SurfaceSpec("quadratic", (("condition", 100.0),)).build().params["condition"].value == 100.0
    )
    assert SurfaceSpec("custom", formula="x**2 + y**2").build().f(1.0, 2.0) == 5.0
    with pytest.raises(ExpressionError):
        SurfaceSpec("custom", formula="import os").build()


def test_nice_values_are_round_and_in_range():
    assert nice_values(0.001, 0.05) == [0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05]


@pytest.mark.parametrize("name", ["specs.py", "format.py"])
def test_plain_modules_do_not_import_streamlit(name):
    path = ROOT / "ui" / name
    tree = ast.parse(path.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert "streamlit" not in imported


def test_numbers_read_cleanly():
    from ui.format import count, latex_number, number

    assert number(-0.000123456) == "−0.0001235"
    assert number(5.82e-17, zero_below=1e-12) == "0"
    assert number(float("nan")) == number(None) == "—"
    assert number(1.4e5, 2) == "1.4×10⁵"
    assert latex_number(2.5e-7) == r"2.5\times 10^{-7}"
    assert latex_number(-4.16e-17, zero_below=1e-12) == "0"
    assert count(1, "critical point") == "1 critical point"
    assert count(4, "critical point") == "4 critical points"
