"""The lab's pages, in lecture order: one entry each, read by app.py and the home page."""

from __future__ import annotations

from typing import NamedTuple


class PageEntry(NamedTuple):
    path: str
    title: str
    icon: str
    blurb: str


PAGES: tuple[PageEntry, ...] = (
    PageEntry(
        "views/playground.py", "Optimizer playground", "🎢",
        "Pick a surface and up to six optimizers with schedules; watch them race, share the view.",
    ),
    PageEntry(
        "views/critical_points.py", "1 · Critical points", "⛰️",
        "Local minimum or saddle point? The Hessian's eigenvalues decide, and show the way out.",
    ),
    PageEntry(
        "views/batch_momentum.py", "2 · Batch size and momentum", "🎱",
        "Small batches make noisy steps that escape; momentum rolls through a shallow minimum.",
    ),
    PageEntry(
        "views/adaptive.py", "3 · Adaptive learning rates", "📉",
        "Why Adagrad bursts on a convex surface, and how RMSProp, Adam, warm-up and decay fix it.",
    ),
    PageEntry(
        "views/loss_functions.py", "4 · MSE vs cross-entropy", "🎯",
        "The loss changes the surface: MSE after softmax is a plateau where cross-entropy slopes.",
    ),
    PageEntry(
        "views/normalization.py", "5 · Normalization", "⚖️",
        "Feature scaling and batch normalization turn a long valley round.",
    ),
)  # fmt: skip
