"""The batch-size timing of part 2 (surfaces.data.time_batch_gradients): what it times, how it
turns one update into an epoch, and what it refuses. No wall-clock assertions: a fake clock
makes the arithmetic exact, and real timings are only checked for being measurements. The page
itself shows no live timing: a link reads the same on every load."""

from functools import partial

import numpy as np
import pytest
from reference import reference

from surfaces import get_surface
from surfaces.data import time_batch_gradients

RBF = get_surface("rbf_neuron")


class SlowSurface:
    """A stand-in data surface whose gradient "takes" 1 µs per sample on a fake clock, plus a
    1 ms hiccup on every third call (another process taking the core)."""

    n_samples = 40
    default_start = (0.5, -0.25)

    def __init__(self) -> None:
        self.now, self.calls, self.seen = 0.0, 0, []

    def clock(self) -> float:
        return self.now

    def batch_grad(self, x, y, idx):
        self.calls += 1
        self.seen.append(((x, y), np.array(idx)))
        self.now += 1e-6 * len(idx) + (1e-3 if self.calls % 3 == 0 else 0.0)
        return np.zeros(2)


def test_an_update_is_the_best_of_its_repeats_and_an_epoch_is_n_over_b_updates():
    surface = SlowSurface()
    rows = time_batch_gradients(surface, [1, 4, 40], repeats=5, clock=surface.clock)
    assert [r.batch_size for r in rows] == [1, 4, 40]
    assert [r.updates_per_epoch for r in rows] == [40, 10, 1]
    for row in rows:  # the hiccups are not the measurement
        assert row.seconds_per_update == pytest.approx(1e-6 * row.batch_size, rel=1e-9)
        assert row.seconds_per_epoch == pytest.approx(
            row.seconds_per_update * (40 // row.batch_size)
        )
    assert surface.calls == 15
    for (point, idx), size in zip(surface.seen, [1] * 5 + [4] * 5 + [40] * 5, strict=True):
        assert point == surface.default_start  # timed where the runs start
        assert len(set(idx.tolist())) == size and idx.min() >= 0 and idx.max() < 40


def torch_batches(n: int, size: int) -> np.ndarray:
    """How many batches torch's DataLoader gives over n samples with drop_last=True."""
    import torch

    return np.array(len(torch.utils.data.DataLoader(range(n), batch_size=size, drop_last=True)))


@pytest.mark.parametrize("size", [1, 3, 7, 40])
def test_updates_per_epoch_match_a_torch_data_loader_that_drops_the_last_partial_batch(size):
    """The simulator drops an epoch's partial batch (torch's drop_last=True); so does the count."""
    (row,) = time_batch_gradients(RBF, [size], repeats=1)
    batches = reference(f"DataLoader(range({RBF.n_samples}), {size}, drop_last=True)",
                        partial(torch_batches, RBF.n_samples, size))  # fmt: skip
    assert row.updates_per_epoch == batches


def test_a_real_surface_is_timed_with_its_own_batch_gradient():
    rows = time_batch_gradients(RBF, [1, 40], repeats=3)
    assert all(np.isfinite(r.seconds_per_update) and r.seconds_per_update > 0 for r in rows)
    assert rows[0].seconds_per_epoch == pytest.approx(40 * rows[0].seconds_per_update)


@pytest.mark.parametrize(
    "sizes, repeats",
    [([0], 10), ([41], 10), ([], 10), ([1] * 17, 10), ([1], 0), ([1], 10**6)],
)
def test_sizes_and_repeats_a_link_could_ask_for_are_refused(sizes, repeats):
    with pytest.raises(ValueError):
        time_batch_gradients(RBF, sizes, repeats=repeats)


def _texts(at) -> list[str]:
    """Everything the page says in words and tables, in page order."""
    parts = [e.value for kind in ("markdown", "caption", "info", "subheader", "header")
             for e in at.get(kind)]  # fmt: skip
    parts += [t.value.to_csv() for t in at.table]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return parts


@pytest.mark.parametrize("query", [{}, {"bm_sizes_rbf_neuron": ["1", "4", "40"]}])
def test_a_link_reads_the_same_on_every_load(query):
    """The batch page says what a batch size costs from update counts, not from a live timing
    (which read 0.69×, 0.77× and 1.1× on three loads of one link): three loads, one text."""
    from helpers import run_page

    loads = [_texts(run_page("views/batch_momentum.py", query)) for _load in range(3)]
    assert loads[0] and loads[0] == loads[1] == loads[2]
    assert any(text.startswith("An epoch is") for text in loads[0])
