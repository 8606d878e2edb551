"""Loss surfaces with exact derivatives, their critical points, and safe user formulas.

>>> from surfaces import get_surface, critical_points
>>> s = get_surface("himmelblau")
>>> s.grad(3.0, 2.0)
array([0., 0.])
"""

# Importing a module registers its surfaces, and the pickers list them in registration order:
# surfaces.networks imports analytic and data (registering theirs) before its own; classification
# comes last.
import surfaces.networks  # noqa: F401
from surfaces import analytic, classification, data  # noqa: F401
from surfaces.base import CriticalPoint, Param, Surface
from surfaces.critical import CriticalPoints, critical_points
from surfaces.expression import ExpressionError, parse_expression
from surfaces.registry import get_surface, list_surfaces

__all__ = [
    "CriticalPoint",
    "CriticalPoints",
    "ExpressionError",
    "Param",
    "Surface",
    "critical_points",
    "get_surface",
    "list_surfaces",
    "parse_expression",
]
