"""A Babel extractor for the names the core declares as data, not as ``_()`` calls: surface titles,
axis and parameter labels, schedule names and their parameters, optimizers' hyperparameter
labels. The core stays free of the
app's languages; the app shows these names through ``_()`` (``ui.controls``, ``viz``), so they
belong in the catalog. ``i18n/babel.cfg`` maps this file to ``core_names``, so every extraction
reads the registries as they are now: a new surface, schedule or optimizer gets its msgids at
once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def core_names(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple]:
    """Babel's extractor protocol: ``(lineno, function, message, comments)`` per name."""
    from optimizers import OPTIMIZERS, hyper_controls, schedules
    from surfaces import get_surface, list_surfaces

    names: dict[str, None] = {}  # ordered, once each
    for key in list_surfaces():
        surface = get_surface(key)
        names |= dict.fromkeys([surface.title, *surface.axis_labels])
        names |= dict.fromkeys(param.label for param in surface.params.values())
    for schedule in schedules.SCHEDULES:
        names[schedule.replace("_", " ")] = None  # as ui.controls shows them
        for param in schedules.shape_params(schedule):  # the controls the picker shows
            names[param.name.replace("_", " ")] = None
            names |= dict.fromkeys(param.choices or ())
    for optimizer in OPTIMIZERS:
        for control in hyper_controls(optimizer).values():  # as ui.controls shows them
            names |= dict.fromkeys(part.label for part in control.parts or (control,))
    for name in names:
        yield 1, "N_", name, []
