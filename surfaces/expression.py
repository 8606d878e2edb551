"""Safe parsing of user formulas in x and y into Surfaces.

Nothing is ever evaluated as Python. The text is size-checked, parsed with ``ast.parse`` (which
only builds a tree), and the tree is walked against an allow-list; the SymPy expression is built
node by node from that walk. Constant exponents and constant powers are bounded before SymPy sees
them, so ``9**9**9`` is refused at once instead of being computed.
"""

from __future__ import annotations

import ast
import math
import warnings

import numpy as np
import sympy as sp

from surfaces.base import Domain, Surface, X, Y

MAX_LENGTH = 500
MAX_DEPTH = 50
MAX_CONSTANT = 1e9
MAX_EXPONENT = 100
MIN_FINITE_FRACTION = 0.5
DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))


class ExpressionError(ValueError):
    """A formula that is refused; the message says what is wrong and where."""


def _sigmoid(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


NAMES = {"x": X, "y": Y, "pi": sp.pi, "e": sp.E}
FUNCTIONS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "tanh": sp.tanh,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "atan": sp.atan,
    "arctan": sp.atan,
    "asin": sp.asin,
    "arcsin": sp.asin,
    "acos": sp.acos,
    "arccos": sp.acos,
    "sigmoid": _sigmoid,
    "softplus": lambda t: sp.log(1 + sp.exp(t)),
}
ALLOWED = ", ".join([*NAMES, *FUNCTIONS])
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def _fail(message: str, column: int, hint: str = "") -> ExpressionError:
    return ExpressionError(f"{message} at column {column}" + (f"; {hint}" if hint else ""))


def _check_nesting(text: str) -> None:
    depth = 0
    for column, char in enumerate(text, start=1):
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(f"brackets nested deeper than {MAX_DEPTH}", column)
        elif char in ")]}":
            depth -= 1


class _Builder:
    """Walks the tree; ``columns`` maps the parsed text's offsets back to the user's."""

    def __init__(self, columns: list[int]) -> None:
        self.columns = columns

    def column(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return self.columns[min(offset, len(self.columns) - 1)]

    def build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _fail(
                    f"function {node.id!r} without an argument",
                    self.column(node),
                    f"write {node.id}(...)",
                )
            if node.id not in NAMES:
                raise _fail(f"unknown name {node.id!r}", self.column(node), f"allowed: {ALLOWED}")
            return NAMES[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return self.power(node)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self.build(node.left), self.build(node.right))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _fail(
            f"{_describe(node)} is not allowed",
            self.column(node),
            f"use numbers, + - * / ** ^ and {ALLOWED}",
        )

    def constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(f"constant {value!r} is not a real number", self.column(node))
        if not math.isfinite(value) or abs(value) > MAX_CONSTANT:
            raise _fail(
                f"number {value!r} is too large (limit {MAX_CONSTANT:g})", self.column(node)
            )
        return sp.Integer(value) if isinstance(value, int) else sp.Float(value)

    def power(self, node: ast.BinOp) -> sp.Expr:
        base = self.build(node.left)
        exponent = self.build(node.right)
        if exponent.free_symbols:
            return base**exponent
        value = _finite(exponent)
        if value is None or abs(value) > MAX_EXPONENT:
            raise _fail(
                f"exponent must be a number of size at most {MAX_EXPONENT}", self.column(node.right)
            )
        if not base.free_symbols:
            magnitude = _finite(base)
            # log10|result| = value·log10|base|; refuse before SymPy computes a giant number.
            if (
                magnitude is not None
                and magnitude != 0
                and value * math.log10(abs(magnitude)) > 300
            ):
                raise _fail("constant power is too large", self.column(node))
        return base**exponent

    def call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise _fail(f"calling {_describe(node.func)} is not allowed", self.column(node))
        if node.func.id not in FUNCTIONS:
            raise _fail(
                f"unknown function {node.func.id!r}",
                self.column(node),
                f"allowed functions: {', '.join(FUNCTIONS)}",
            )
        if node.keywords or len(node.args) != 1:
            raise _fail(f"{node.func.id}() takes exactly one argument", self.column(node))
        return FUNCTIONS[node.func.id](self.build(node.args[0]))


def _finite(expr: sp.Expr) -> float | None:
    try:
        value = complex(sp.N(expr, 17))
    except (TypeError, ValueError, OverflowError):
        return None
    if value.imag != 0 or not math.isfinite(value.real):
        return None
    return value.real


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscripting",
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.Compare: "a comparison",
        ast.BoolOp: "a boolean operator",
        ast.IfExp: "a conditional",
        ast.NamedExpr: "an assignment",
    }
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        return f"operator {type(node.op).__name__}"
    return names.get(type(node), type(node).__name__)


def _to_python(text: str) -> tuple[str, list[int]]:
    """Read ``^`` as power; return the text and, per character, its 1-based column in ``text``."""
    out, columns = [], []
    for column, char in enumerate(text, start=1):
        pieces = "**" if char == "^" else char
        out.append(pieces)
        columns.extend([column] * len(pieces))
    columns.append(len(text) + 1)
    return "".join(out), columns


def parse_expression(text: str, domain: Domain = DEFAULT_DOMAIN) -> Surface:
    """A Surface for the formula ``text`` in x and y (e.g. ``x**2 - y**2 + 0.1*x^4``).

    Raises ExpressionError if the formula is too long, too deeply nested, uses anything outside
    the allow-list, has no x or y, or is not real and finite on most of ``domain``.
    """
    if not isinstance(text, str):
        raise ExpressionError("the formula must be a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("the formula is empty")
    _check_nesting(text)
    domain = _check_domain(domain)
    source, columns = _to_python(text)
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence" in a refused string
            warnings.simplefilter("ignore")
            tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        offset = error.offset or 1
        column = columns[min(offset - 1 + len(source) - len(source.lstrip()), len(columns) - 1)]
        raise _fail(f"syntax error ({error.msg})", column) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("the formula cannot be read") from None
    strip_offset = len(source) - len(source.lstrip())
    expr = _Builder(columns[strip_offset:]).build(tree.body)
    if not expr.free_symbols & {X, Y}:
        raise ExpressionError("the formula must depend on x or y")
    surface = Surface(
        key="custom",
        title=text.strip(),
        expr=expr,
        domain=domain,
        default_start=_start(domain),
    )
    _check_finite(surface)
    return surface


def _check_domain(domain: Domain) -> Domain:
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in domain)
    except (TypeError, ValueError):
        raise ExpressionError("domain must be ((xmin, xmax), (ymin, ymax))") from None
    bounds = (x0, x1, y0, y1)
    if not all(math.isfinite(v) and abs(v) <= 1e6 for v in bounds) or x0 >= x1 or y0 >= y1:
        raise ExpressionError("domain needs finite bounds within ±1e6 with min < max")
    return (x0, x1), (y0, y1)


def _start(domain: Domain) -> tuple[float, float]:
    (x0, x1), (y0, y1) = domain
    return x0 + 0.8 * (x1 - x0), y0 + 0.7 * (y1 - y0)


def _check_finite(surface: Surface) -> None:
    (x0, x1), (y0, y1) = surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    fraction = np.isfinite(surface.f(gx, gy)).mean()
    if fraction < MIN_FINITE_FRACTION:
        raise ExpressionError(
            f"the formula is real and finite on only {fraction:.0%} of the domain; "
            "check logs and square roots of negative numbers"
        )
