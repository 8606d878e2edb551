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
)  # fmt: skip
