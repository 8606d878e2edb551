"""A run's outcome in words: the pages' "status" for optimizers.verdict's codes."""

from __future__ import annotations

from i18n import _
from optimizers.verdict import (
    CONVERGING,
    DIVERGED,
    OSCILLATING,
    STUCK,
    UNDEFINED,
    Verdict,
    verdict,
)


def status(run) -> str:
    """How ``run`` (an ``optimizers.Trajectory``) went, in a few words."""
    return words(verdict(run))


def words(found: Verdict) -> str:
    if found.code == UNDEFINED:
        if found.step == 0:
            return _("no gradient at the start: a kink, so not a single step")
        return _("reached a kink at step {step}, where there is no gradient").format(
            step=found.step)  # fmt: skip
    if found.code == DIVERGED:
        return _("diverged at step {step}").format(step=found.step)
    if found.code == OSCILLATING:
        return _("oscillating: each step reverses the last and the loss no longer falls")
    if found.code == STUCK:
        return _("not moving: the loss is unchanged")
    if found.code == CONVERGING:
        return _("stable, converging")
    raise ValueError(f"unknown verdict {found.code!r}")
