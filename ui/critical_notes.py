"""Why a search for critical points stopped early, in the page's words (surfaces.critical gives a
code: ``CriticalPoints.stopped``)."""

from __future__ import annotations

from collections.abc import Callable

from i18n import N_
from surfaces import CriticalPoints

# Per reason: the sentence when nothing was found yet, and when some points were.
SENTENCES = {
    "busy": (N_("The search for critical points could not start: the server is busy; try "
                "again."),) * 2,
    "time": (N_("The search for critical points reached its time limit of {budget} s before it "
                "found any."),
             N_("The search for critical points reached its time limit of {budget} s at a "
                "{n}×{n} grid of starts: these are the points found so far, and there may be "
                "more.")),
    "crashed": (N_("The search for critical points ran out of memory or time before it found "
                   "any."),
                N_("The search for critical points ran out of memory or time at a {n}×{n} grid "
                   "of starts: these are the points found so far, and there may be more.")),
    "failed": (N_("The search for critical points failed ({error}) before it found any."),
               N_("The search for critical points failed ({error}) at a {n}×{n} grid of starts: "
                  "these are the points found so far, and there may be more.")),
}  # fmt: skip


def search_note(points: CriticalPoints, translate: Callable[[str], str] = str) -> str:
    """Why the search stopped early ("" when it ran to its end), through ``translate`` (the
    page's ``_``; English without it)."""
    if points.complete:
        return ""
    template = SENTENCES[points.stopped][bool(points)]
    return translate(template).format(n=points.grid, budget=f"{points.budget:g}",
                                      error=points.error)  # fmt: skip
