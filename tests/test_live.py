"""Live sliders' data (viz.live, and the messages the playground and the momentum section build):
every run a slider can reach is the core's own run at that value, bit for bit, and what the
browser draws of it is a subset of its points, never anything in between."""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from ui.specs import RunSpec, SurfaceSpec
from viz.live import (
    FramesUpdate,
    Slider,
    TraceUpdate,
    drawn_indices,
    pack,
    positive,
    trajectories,
    unpack,
)

FIELDS = ("points", "losses", "grads", "lrs")
MAX_PAYLOAD = 1_500_000  # issue 24: extra bytes per page load at the default


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def assert_same_run(path, run) -> None:
    for field in FIELDS:
        assert same_bits(getattr(path, field), getattr(run, field)), field
    assert path.diverged_at == run.diverged_at
    assert path.undefined_at == run.undefined_at


@pytest.mark.parametrize(
    ("surface", "start", "optimizers", "steps", "batch"),
    [
        # η over the playground's 37 values: small ones crawl, large ones diverge
        ("rosenbrock", (-1.2, 1.0),
         [make_optimizer("momentum", lr=v, momentum=0.9) for v in
          (1e-5, 1.5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.1, 1.0, 10.0)], 500, None),
        # momentum over its slider's 100 values, lecture form, under a schedule
        ("double_well", (2.0, 1.0),
         [make_optimizer("momentum", lr=0.01, momentum=k / 100, convention="lecture")
          for k in range(100)], 300, None),
        # Adam's β₁ and a minibatch run with its seed
        ("regression", None,
         [make_optimizer("adam", lr=0.05, betas=(b, 0.999)) for b in (0.0, 0.5, 0.9, 0.99)],
         200, 2),
        # Ackley's kink: a run stops where the gradient is not finite
        ("ackley", (0.0, 0.0), [make_optimizer("sgd", lr=v) for v in (0.01, 0.1)], 50, None),
    ],
)  # fmt: skip
def test_every_run_equals_simulate_bit_for_bit(surface, start, optimizers, steps, batch):
    surface = get_surface(surface)
    start = surface.default_start if start is None else start
    paths = trajectories(surface, optimizers, start, steps, batch_size=batch, seed=3)
    assert len(paths) == len(optimizers)
    for optimizer, path in zip(optimizers, paths, strict=True):
        assert_same_run(path, simulate(surface, optimizer, start, steps, batch_size=batch, seed=3))


def test_runs_that_stop_early_are_included():
    surface = get_surface("rosenbrock")
    optimizers = [make_optimizer("sgd", lr=v) for v in (1e-3, 0.1)]
    calm, wild = trajectories(surface, optimizers, (-1.2, 1.0), 500)
    assert calm.diverged_at is None and len(calm.points) == 501
    assert wild.diverged_at is not None and len(wild.points) == wild.diverged_at


def test_drawn_indices_keep_the_ends_and_every_required_point():
    drawn = drawn_indices(1001, 50, required=[3, 997, 5000])
    assert drawn[0] == 0 and drawn[-1] == 1000
    assert {3, 997} <= set(drawn.tolist()) and 5000 not in drawn
    assert np.all(np.diff(drawn) > 0) and 50 <= len(drawn) <= 53
    assert drawn_indices(30, 50).tolist() == list(range(30))


def test_pack_round_trip_is_exact_and_shares_equal_arrays():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=7), np.abs(rng.normal(size=5)) * 1e-300
    steps = np.arange(7.0)
    slider = Slider("lr", "run 1 · learning rate η", [0.1, 0.2], ["0.1", "0.2"], 1)
    updates = [[[TraceUpdate(0, 3, steps, a, {"name": "x"})],
                [TraceUpdate(1, 2, steps, positive(np.r_[b, -1.0, 0.0])),
                 FramesUpdate(0, 5, 6, steps, a, a, 6)]]]  # fmt: skip
    message = pack([slider], updates, [".st-key-a", ".st-key-b"], {"hint": "中文"})
    header, floats = unpack(message)
    assert header["sliders"][0]["values"] == [0.1, 0.2] and header["texts"]["hint"] == "中文"
    first, second = header["updates"][0]
    ref = first[0]
    assert same_bits(floats[ref["y"][0] : sum(ref["y"])], a)
    assert first[0]["x"] == second[0]["x"] == second[1]["s"]  # the step axis is stored once
    drawn = floats[second[0]["y"][0] : sum(second[0]["y"])]
    assert same_bits(drawn[:5], b) and np.isnan(drawn[5:]).all()
    assert second[1]["y"] == second[1]["x"] == first[0]["y"]
    assert (len(message) - floats.nbytes) % 8 == 0  # the arrays start aligned


# ---- The pages' messages -----------------------------------------------------------------------


def playground_race(runs: tuple[RunSpec, ...], steps: int = 500):
    from views import playground

    return playground.Race(SurfaceSpec("rosenbrock"), runs, (-1.2, 1.0), steps, None, 0)


def card(name: str, lr: float, **changes) -> RunSpec:
    """A run as the playground's card gives it: every hyperparameter, at its default."""
    hyper = {k: v for k, v in make_optimizer(name).hyper.items() if k != "lr"} | changes
    return RunSpec(name, lr, tuple(hyper.items()))


def drawn_path(header: dict, floats: np.ndarray, slider: int, value: int, chart: int, trace: int):
    op = next(
        o for o in header["updates"][slider][value] if o["c"] == chart and o.get("t") == trace
    )
    return (floats[op["x"][0] : sum(op["x"])], floats[op["y"][0] : sum(op["y"])])


def assert_subset_of(points: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The drawn points are points of the run, in order, first and last included: their indices."""
    rows = {tuple(p.tobytes() for p in point): i for i, point in enumerate(points)}
    found = [rows.get((a.tobytes(), b.tobytes())) for a, b in zip(x, y, strict=True)]
    assert None not in found, "a drawn point is not a point of the run"
    assert found[0] == 0 and found[-1] == len(points) - 1
    assert np.all(np.diff(found) > 0)
    return np.array(found)


def test_playground_message_draws_simulate_at_every_value_and_fits_the_budget():
    from views import playground

    runs = (card("sgd", 0.001), card("momentum", 0.001), card("adam", 0.05))
    race = playground_race(runs)
    surface = get_surface("rosenbrock")
    message, sliders, controls = playground.live_message(race, 0, "en")
    assert len(message) <= MAX_PAYLOAD
    assert controls == {"lr": "r0_lr", "momentum": "r0_momentum"}
    rates, momenta = sliders
    assert len(rates.values) == 37 and rates.values[rates.index] == 0.001
    assert rates.values[-1] / rates.values[0] >= 10 and "learning rate" in rates.label
    assert set(playground.LIVE_MOMENTA) <= set(momenta.values) and "momentum" in momenta.label
    header, floats = unpack(message)
    figure = playground.animated_view(race).to_dict()
    path_trace = next(
        i for i, t in enumerate(figure["data"]) if t["meta"] == {"role": "path", "run": 0}
    )
    for s, slider in enumerate(sliders):
        for v, value in enumerate(slider.values):
            spec = (
                runs[0]._replace(lr=value)
                if s == 0
                else playground._with(runs[0], "momentum", value)
            )
            run = simulate(surface, spec.build(), race.start, race.steps)
            x, y = drawn_path(header, floats, s, v, 0, path_trace)
            drawn = assert_subset_of(run.points, x, y)
            steps, losses = drawn_path(header, floats, s, v, 1, 0)  # its loss curve: L − L*
            assert same_bits(steps, drawn.astype(float))
            floor = float(surface.f(1.0, 1.0))
            assert same_bits(losses, positive(run.losses[drawn] - floor))
    # At the values on show, the drawn run is the page's own run.
    x, y = drawn_path(header, floats, 0, rates.index, 0, path_trace)
    assert_subset_of(race.simulate()[0][1].points, x, y)


def test_playground_message_follows_the_picked_run():
    from views import playground

    runs = (card("sgd", 0.001), card("nesterov", 0.002), card("adam", 0.05, betas=(0.8, 0.999)))
    race = playground_race(runs, steps=200)
    _message, sliders, controls = playground.live_message(race, 1, "en")
    rates, momenta = sliders
    assert rates.label == "run 2 · learning rate η" and momenta.label == "run 2 · momentum λ"
    assert 0.0 not in momenta.values  # torch refuses Nesterov without momentum
    assert controls == {"lr": "r1_lr", "momentum": "r1_momentum"}
    _message, sliders, controls = playground.live_message(race, 2, "en")
    rates, betas = sliders
    assert betas.values == [0.0, 0.5, 0.8, 0.9, 0.95, 0.99] and betas.values[betas.index] == 0.8
    assert controls["beta1"] == "r2_betas1" and "momentum" in betas.label


def test_momentum_section_message_draws_both_forms_at_every_lambda():
    from views import batch_momentum as bm

    m = bm.Momentum(0.01, 0.9, 300, "lecture", "constant", ())
    message, sliders, controls = bm.live_message(m, 4, "en")
    assert len(message) <= MAX_PAYLOAD and controls == {"momentum": "bm_lambda"}
    (slider,) = sliders
    assert set(bm.LIVE_MOMENTA) <= set(slider.values) and slider.values[slider.index] == 0.9
    header, floats = unpack(message)
    well = get_surface("double_well")
    figure = bm.momentum_paths_chart(m, 4).to_dict()
    roles = bm._roles(figure)
    for v, value in enumerate(slider.values[::7]):
        v *= 7
        for form_index, form in enumerate(bm.FORMS):
            spec = RunSpec("momentum", 0.01, (("momentum", value), ("convention", form)))
            run = simulate(well, spec.build(), well.default_start, 300)
            x, y = drawn_path(header, floats, 0, v, 0, roles["path", 1 + form_index])
            assert_subset_of(run.points, x, y)
            mx, my = drawn_path(header, floats, 0, v, 0, roles["marker", 1 + form_index])
            assert same_bits(np.r_[mx, my], run.points[4])


@pytest.mark.parametrize("surface", [SurfaceSpec("custom", (), "x*y"), SurfaceSpec("himmelblau")])
def test_playground_message_names_the_animated_views_own_traces(surface):
    """With known minima (their trace shifts the moving ones) and without."""
    from views import playground

    race = playground.Race(surface, (card("sgd", 0.01), card("adam", 0.05)), (0.5, 0.3), 300,
                           None, 0)  # fmt: skip
    figure = playground.animated_view(race).to_dict()
    header, _floats = unpack(playground.live_message(race, 1, "en")[0])
    for per_slider in header["updates"]:
        for ops in per_slider:
            roles = [figure["data"][op["t"]]["meta"] for op in ops if op["c"] == 0 and "t" in op]
            assert roles == [{"role": r, "run": 1} for r in ("path", "tail", "marker")]
            (frames,) = [op for op in ops if "tail" in op]
            assert figure["data"][frames["tail"]]["meta"]["role"] == "tail"
            assert figure["data"][frames["marker"]]["meta"]["role"] == "marker"
