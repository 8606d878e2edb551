"""The lab's pages, in lecture order: one entry each, read by app.py and the home page."""

from __future__ import annotations

from typing import NamedTuple

from i18n import N_


class PageEntry(NamedTuple):
    path: str
    title: str  # marked for translation: shown as _(title)
    icon: str
    blurb: str


PAGES: tuple[PageEntry, ...] = (
    PageEntry(
        "views/playground.py", N_("Optimizer playground"), "🎢",
        N_("Pick a surface and up to six optimizers with schedules; watch them race, share "
           "the view."),
    ),
    PageEntry(
        "views/sweeps.py", N_("Sweeps: whole ranges"), "📈",
        N_("Every learning rate at once, each optimizer at its best; basins of attraction: where "
           "every start ends."),
    ),
    PageEntry(
        "views/critical_points.py", N_("1 · Critical points"), "⛰️",
        N_("Local minimum or saddle point? The Hessian's eigenvalues decide, and show the way "
           "out."),
    ),
    PageEntry(
        "views/networks.py", N_("1b · Real networks"), "🕸️",
        N_("Beyond 2-D: where trained networks stop, their Hessian spectrum and minimum ratio, "
           "and the loss on planes through them."),
    ),
    PageEntry(
        "views/batch_momentum.py", N_("2 · Batch size and momentum"), "🎱",
        N_("Small batches make noisy steps that escape; momentum rolls through a shallow "
           "minimum."),
    ),
    PageEntry(
        "views/adaptive.py", N_("3 · Adaptive learning rates"), "📉",
        N_("Why Adagrad bursts on a convex surface, and how RMSProp, Adam, warm-up and decay "
           "fix it."),
    ),
    PageEntry(
        "views/loss_functions.py", N_("4 · MSE vs cross-entropy"), "🎯",
        N_("The loss changes the surface: MSE after softmax is a plateau where cross-entropy "
           "slopes."),
    ),
    PageEntry(
        "views/normalization.py", N_("5 · Normalization"), "⚖️",
        N_("Feature scaling and batch normalization turn a long valley round."),
    ),
)  # fmt: skip
