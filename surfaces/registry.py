"""The registry of named surfaces: ``get_surface(key, **params)`` and ``list_surfaces()``."""

from __future__ import annotations

import functools
from typing import Protocol

from surfaces.base import Param, Surface


class Buildable(Protocol):
    key: str

    def build(self, params: dict[str, Param]) -> Surface: ...

    @property
    def params(self) -> tuple[Param, ...]: ...


_DECLARATIONS: dict[str, Buildable] = {}


def register(declaration: Buildable) -> Buildable:
    """Add a declaration; keys are unique and keep their registration order."""
    if declaration.key in _DECLARATIONS:
        raise ValueError(f"surface {declaration.key!r} is declared twice")
    _DECLARATIONS[declaration.key] = declaration
    return declaration


def list_surfaces() -> list[str]:
    """Keys of every registered surface, in registration order."""
    return list(_DECLARATIONS)


def get_surface(key: str, **params: float) -> Surface:
    """The surface ``key`` with its adjustable parameters set (others at their defaults)."""
    if key not in _DECLARATIONS:
        raise ValueError(f"unknown surface {key!r}; known: {', '.join(_DECLARATIONS)}")
    return _build(key, tuple(sorted((name, float(v)) for name, v in params.items())))


@functools.lru_cache(maxsize=64)
def _build(key: str, values: tuple[tuple[str, float], ...]) -> Surface:
    # Lambdifying costs tens of milliseconds; a Surface is immutable, so it is shared.
    declaration = _DECLARATIONS[key]
    given = dict(values)
    declared = {p.name: p for p in declaration.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        allowed = ", ".join(declared) or "none"
        raise ValueError(f"surface {key!r} has no parameter {unknown[0]!r}; parameters: {allowed}")
    resolved = {
        name: p.with_value(given[name]) if name in given else p for name, p in declared.items()
    }
    return declaration.build(resolved)
