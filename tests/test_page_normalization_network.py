"""The normalization page's section "On a real network" through AppTest: what it shows is the
core's comparison over SEEDS starts (nets.compare, itself tested against torch), each figure a
median and a range; every sentence it prints says what holds over the seeds, checked against
the numbers worked out here; its controls reach the link and a link restores the view; bad values
and limits are messages; every network preset has a story that holds."""

import json

import numpy as np
import pytest
from helpers import figures, link, open_preset, run_page

from nets import compare
from optimizers import make_optimizer
from ui.format import number
from views.normalization import ARCHS, CHECKPOINTS, DEFAULT_RATES, PRESETS, SEEDS

PAGE = "views/normalization.py"
NETS = ("without batch norm", "with batch norm")
NETWORK_PRESETS = [name for name, preset in PRESETS.items()
                   if any(key.startswith("bnn_") for key in preset.values)]  # fmt: skip
ROLES = ("sharpness", "effective", "loss", "range_relative")


def comparison(arch="8-8-8", activation="relu", optimizer="sgd", rates=DEFAULT_RATES, steps=200,
               seed=0) -> compare.Comparison:  # fmt: skip
    """The core's comparison for these settings (the page's)."""
    return compare.compare(ARCHS[arch], make_optimizer(optimizer), activation=activation,
                           rates=rates, steps=steps, checkpoints=CHECKPOINTS,
                           seeds=tuple(range(seed, seed + SEEDS)))  # fmt: skip


def table(at):
    return next(t.value for t in at.table if "loss at the end" in t.value.columns)


def markdown(at, start: str) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(start))


def reading(at) -> str:
    return markdown(at, "**At η =")


def section_figures(at) -> dict[str, dict]:
    """The section's figures by the role of their traces (compare them with ``as_text``: a
    diverged run's NaN is not equal to itself)."""
    out = {}
    for figure in figures(at):
        roles = {(t.get("meta") or {}).get("role") for t in figure["data"]}
        for role in ROLES:
            if role in roles:
                out[role] = figure
        if len(figure["layout"].get("images", [])) == 2 and "random direction 1" in str(
            figure["layout"]
        ):
            out["slices"] = figure
    return out


def as_text(shown: dict[str, dict]) -> str:
    return json.dumps(shown, sort_keys=True)


def trace(figure: dict, role: str, net: int, run: int) -> np.ndarray:
    found = [t for t in figure["data"] if (t.get("meta") or {}).get("role") == role
             and t["meta"].get("net") == net and t["meta"].get("run") == run]  # fmt: skip
    assert len(found) == 1, (role, net, run)
    return np.array(found[0]["y"], dtype=float)


def same(shown: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(shown, expected, rtol=1e-9, equal_nan=True)


def by_seeds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, least and largest over the seeds (last axis), each column's finite values."""
    columns = [
        v[np.isfinite(v)] for v in np.asarray(values, dtype=float).reshape(-1, values.shape[-1])
    ]
    pick = [[f(c) if c.size else np.nan for c in columns] for f in (np.median, np.min, np.max)]
    return tuple(np.array(p).reshape(values.shape[:-1]) for p in pick)  # fmt: skip


def spans(values: np.ndarray) -> str:
    middle, low, high = (number(float(v[0]), 3) for v in by_seeds(values[None]))
    return middle if low == high else f"{middle} ({low}–{high})"


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE, timeout=300)


@pytest.fixture(scope="module")
def expected():
    return comparison()


def test_every_figure_is_the_median_and_range_over_the_seeds(default, expected):
    assert not default.exception and not default.warning and not default.error
    shown = section_figures(default)
    assert set(shown) == {*ROLES, "slices"}
    look = DEFAULT_RATES.index(0.1)
    for n, run in enumerate(expected):
        assert run.losses.shape[1] == SEEDS == 5
        for r, rate in enumerate(DEFAULT_RATES):
            for role, values in (("sharpness", rate * run.top[:, :, r]),
                                 ("effective", run.effective_top[:, :, r]),
                                 ("loss", run.losses[:, :, r])):  # fmt: skip
                middle, low, high = by_seeds(values)
                same(trace(shown[role], role, n, r), middle)
                same(trace(shown[role], f"{role}_low", n, r), low)
                same(trace(shown[role], f"{role}_high", n, r), high)
        middle, low, high = by_seeds(run.loss_range(relative=True)[:, :, look])
        same(trace(shown["range_relative"], "range_relative", n, 0), middle)
        same(trace(shown["range_relative"], "range_relative_high", n, 0), high)
        same(
            trace(shown["range_relative"], "range", n, 1), by_seeds(run.loss_range()[:, :, look])[0]
        )
        same(trace(shown["range_relative"], "beta", n, 2), by_seeds(run.beta[:, :, look])[0])
    # the step's limit, 2 for gradient descent, in every panel of the sharpness figure
    limits = [t for t in shown["sharpness"]["data"] if (t.get("meta") or {}).get("role") == "limit"]
    assert [t["y"] for t in limits] == [[2, 2]] * len(DEFAULT_RATES)


def test_the_table_gives_each_figure_by_rate_and_network(default, expected):
    rows = table(default)
    for n, run in enumerate(expected):
        for r, rate in enumerate(DEFAULT_RATES):
            row = rows.loc[f"η = {rate:g}, {NETS[n]}"]
            assert row["loss at the start"] == spans(run.losses[0, :, r])
            assert row["loss at the end"] == spans(run.losses[-1, :, r])
            assert row["η·λmax at the end"] == spans(rate * run.top[-1, :, r])
            assert row["λmax, scale fixed"] == spans(run.effective_top[-1, :, r])
            assert row["loss range ÷ loss"] == spans(run.loss_range(relative=True)[-1, :, r])
            gone = sum(stops[r] is not None for stops in run.diverged_at)
            assert row["diverged"] == f"{gone} of {SEEDS}"
            assert row["dead units, start → end"] == (
                f"{spans(run.dead[0, :, r])} → {spans(run.dead[-1, :, r])}")  # fmt: skip


def said(count: int, total: int, *, smaller: bool) -> str:
    """What the page must say when batch norm's value is the smaller in ``count`` of ``total``
    seeds (``smaller``), or the larger."""
    words = ("smaller", "larger") if smaller else ("larger", "smaller")
    if count in (0, total):
        return f"{words[count == 0]} with batch norm in every seed"
    return f"{words[0]} with batch norm in {count} of {total} seeds"


def wins(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    both = np.isfinite(a) & np.isfinite(b)
    return int(np.sum(a[both] < b[both])), int(both.sum())


def test_the_sentences_say_only_what_holds_over_the_seeds(default, expected):
    plain, bn = expected
    r = DEFAULT_RATES.index(0.1)
    text = reading(default)
    assert text.startswith("**At η = 0.1**, after 200 steps, over 5 seeds (0–4):")
    ends = [0.1 * run.top[-1, :, r] for run in expected]
    assert f"ends at {spans(ends[0])} without batch norm" in text
    # every seed's η·λmax against 2, worked out here
    assert np.all(ends[0] < 1.6) and "without batch norm, below the limit in every seed" in text
    assert ends[1].min() < 1.6 <= ends[1].max() <= 2.4
    assert f"{spans(ends[1])} with it, below the limit in some seeds and at or above it" in text
    losses = [run.losses[-1, :, r] for run in expected]
    assert np.all(losses[1] < losses[0])
    factors = losses[0] / losses[1]
    assert (f"lower in every seed that finished, by a factor of {number(factors.min(), 2)} to "
            f"{number(factors.max(), 2)}") in text  # fmt: skip
    assert "Diverged" not in text  # none does at η = 0.1
    eff = [run.effective_top[-1, :, r] for run in expected]
    assert said(*wins(eff[0], eff[1]), smaller=False) in text
    assert np.all(eff[1] > eff[0]) and np.any(bn.top[-1, :, r] > eff[1])
    smooth = markdown(default, "At the last step")
    for values, where in (
        ([run.loss_range(relative=True)[-1, :, r] for run in expected], "rel"),
        ([run.loss_range()[-1, :, r] for run in expected], "abs"),
        ([run.beta[-1, :, r] for run in expected], "beta"),
    ):
        assert f"({said(*wins(values[1], values[0]), smaller=True)})" in smooth, where
    # relative to the loss, batch norm is not smaller in every seed; in absolute terms it is
    assert wins(*[run.loss_range(relative=True)[-1, :, r] for run in (bn, plain)])[0] < SEEDS
    assert wins(*[run.loss_range()[-1, :, r] for run in (bn, plain)])[0] == SEEDS
    dead = markdown(default, "Dead ReLU units")
    assert f"without batch norm {spans(plain.dead[0, :, r])} at the start" in dead
    assert np.all(plain.dead[0, :, r] > bn.dead[0, :, r]) and "Every seed starts" in dead


def test_changes_in_a_row_reach_the_link_which_restores_the_view():
    by_hand = run_page(PAGE, timeout=300)
    by_hand.slider(key="bnn_steps").set_value(400).run()
    by_hand.multiselect(key="bnn_lrs").set_value([0.03, 0.3]).run()
    by_hand.selectbox(key="bnn_look").set_value(0.03).run()
    assert not by_hand.exception and not by_hand.warning and not by_hand.error
    query = {"bnn_steps": "400", "bnn_lrs": ["0.03", "0.3"], "bnn_look": "0.03"}
    assert link(by_hand) == query
    shared = run_page(PAGE, query, timeout=300)
    assert not shared.exception and not shared.warning
    assert as_text(section_figures(shared)) == as_text(section_figures(by_hand))
    found = comparison(rates=(0.03, 0.3), steps=400)
    same(trace(section_figures(shared)["sharpness"], "sharpness", 1, 0),
         by_seeds(0.03 * found.normalized.top[:, :, 0])[0])  # fmt: skip
    assert "**At η = 0.03**, after 400 steps" in reading(shared)


@pytest.mark.parametrize(
    "query, ignored",
    [({"bnn_lrs": "0.5"}, "bnn_lrs=0.5"), ({"bnn_steps": "5000"}, "bnn_steps=5000"),
     ({"bnn_arch": "64-64"}, "bnn_arch=64-64")],
)  # fmt: skip
def test_bad_link_values_load_defaults_with_one_warning(query, ignored, default):
    at = run_page(PAGE, query, timeout=300)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and ignored in at.warning[0].value
    assert as_text(section_figures(at)) == as_text(section_figures(default))
    assert link(at) == {}


def test_limits_are_messages_not_exceptions():
    every = [f"{rate:g}" for rate in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)]
    at = run_page(PAGE, {"bnn_lrs": every}, timeout=300)
    assert not at.exception and not at.warning
    assert len(at.error) == 1 and "refused" in at.error[0].value
    assert "1 to 6 learning rates" in at.error[0].value
    assert link(at) == {"bnn_lrs": every}
    at.multiselect(key="bnn_lrs").set_value([]).run()
    assert not at.exception and not at.error
    assert any("at least one learning rate" in i.value for i in at.info)


def test_adam_draws_no_limit_and_says_why():
    at = run_page(PAGE, {"bnn_opt": "adam", "bnn_lrs": ["0.01"], "bnn_steps": "50"}, timeout=300)
    assert not at.exception and not at.warning and not at.error
    shown = section_figures(at)["sharpness"]
    assert not [t for t in shown["data"] if (t.get("meta") or {}).get("role") == "limit"]
    assert "Adam's step is not bounded by it" in reading(at)


# ---- Every network preset has a story, and it holds over the seeds ------------------------------


def opened(name: str):
    """The preset's page (no exception, its note shown) and the core's comparison for it."""
    at = open_preset(PAGE, PRESETS, name)
    values = PRESETS[name].values
    found = comparison(activation=values.get("bnn_act", "relu"), rates=values["bnn_lrs"],
                       steps=values.get("bnn_steps", 200))  # fmt: skip
    rate = values["bnn_lrs"][0]
    same(trace(section_figures(at)["sharpness"], "sharpness", 1, 0),
         by_seeds(rate * found.normalized.top[:, :, 0])[0])  # fmt: skip
    return at, found


def batch_norm_trains_faster(at, found):
    plain, bn = found
    ends = [compare.outcomes(run) for run in found]
    for r in (0, 1):  # η = 0.01 and 0.1: every seed, at least 20 times lower
        assert all(row[r].trained for e in ends for row in e)
        assert np.all(bn.losses[-1, :, r] * 20 < plain.losses[-1, :, r])
        assert np.all(bn.effective_top[-1, :, r] > plain.effective_top[-1, :, r])
    assert plain.dead[0, :, 0].min() == 8 and plain.dead[0, :, 0].max() == 11
    assert np.all(bn.dead[0] == 0) and plain.network.widths[1:-1] == (8, 8, 8)
    # η = 1: the plain net never diverges, never trains, and ends with an output blind to x
    assert all(stops[2] is None for stops in plain.diverged_at)
    assert not any(row[2].trained for row in ends[0])
    for end in plain.ends[:, 2]:
        assert np.ptp(plain.network.outputs(end)) < 1e-12
    np.testing.assert_allclose(plain.top[-1, :, 2], 2.0, rtol=1e-9)
    assert sum(stops[2] is not None for stops in bn.diverged_at) == 2
    assert not any(row[2].trained for row in ends[1])
    assert "2 of 5" in table(at).loc["η = 1, with batch norm", "diverged"]


def step_size_sets_the_sharpness(at, found):
    plain, bn = found
    later = plain.checkpoints >= 200
    for run in found:
        assert np.all(np.abs(0.3 * run.top[later, :, 1] / 2 - 1) < 0.2)
        assert np.all(0.03 * run.top[-1, :, 0] < 2)
    # from step 200, not 100: at step 100 the plain net is not there yet in every seed
    assert not np.all(np.abs(0.3 * plain.top[plain.checkpoints == 100, :, 1] / 2 - 1) < 0.2)
    for r in (0, 1):
        assert np.all(bn.losses[-1, :, r] * 10 < plain.losses[-1, :, r])
    assert "at the limit (within 20 %) in every seed" in reading(at)
    # with the scale fixed, the batch-norm net is the flatter one at η = 0.3, in every seed
    assert np.all(bn.effective_top[-1, :, 1] < plain.effective_top[-1, :, 1])
    assert "smaller with batch norm in every seed" in reading(at)


def tanh_units(at, found):
    plain, bn = found
    ratios = plain.losses[-1, :, :2] / bn.losses[-1, :, :2]
    assert np.all((ratios[:, 0] > 1) & (ratios[:, 0] < 3))
    assert 0 < np.sum(ratios[:, 1] > 1) < SEEDS
    assert np.all(bn.effective_top[-1, :, :2] > plain.effective_top[-1, :, :2])
    relative = [run.loss_range(relative=True)[-1, :, 0] for run in found]
    assert np.all(relative[1] > relative[0])
    assert all(stops[2] is not None for run in found for stops in run.diverged_at)
    assert not [m for m in at.markdown if m.value.startswith("Dead ReLU units")]


STORIES = {
    "A real network: batch norm trains faster": batch_norm_trains_faster,
    "A real network: the step size sets the sharpness": step_size_sets_the_sharpness,
    "A real network: tanh units": tanh_units,
}


def test_every_network_preset_has_a_story():
    assert sorted(STORIES) == sorted(NETWORK_PRESETS)


@pytest.mark.parametrize("name", NETWORK_PRESETS)
def test_the_preset_tells_its_story(name):
    STORIES[name](*opened(name))
