"""Safe parsing of user formulas in x and y into Surfaces, within a time budget.

Nothing a user types is evaluated as Python, and no formula can hold the server:

1. Cheap checks, here, in microseconds: the text's length and characters, ``ast.parse`` (which
   only builds a tree), and a walk of the tree against an allow-list of names, functions and
   operators, with limits on bracket depth and on how deeply functions and powers nest. The walk
   computes every constant subexpression in floats, so a huge constant (``exp(exp(exp(20)))``), a
   division by zero (``x/0``) or a complex number (``(-8)**(1/3)``) is refused, with its column,
   before SymPy sees it.
2. In a worker process that is killed at the deadline (``surfaces.sandbox``, ``PARSE_BUDGET``):
   the same walk builds the SymPy expression node by node; SymPy differentiates it and the trees
   of the Hessian are measured (``MAX_TERMS``); value, gradient and Hessian are printed as NumPy
   source (SymPy's lambdify, with common-subexpression elimination) and tried on a grid of the
   domain: a formula that is not real there, or real and finite on too little of it, is refused.
3. Back here, that source, which SymPy printed from the allow-listed tree, is checked against an
   allow-list of its own (x, y, its temporaries, numbers, arithmetic and NumPy's elementary
   functions, at most ``MAX_OPERATIONS`` operations, which bounds one evaluation's cost) and
   compiled into a ``FormulaSurface``, without any SymPy work in this process. The surface
   evaluates ``CHUNK`` points at a time, so one call's memory is bounded too.

Every failure, whatever raised it, reaches the caller as an ``ExpressionError`` whose message says
what to change; names in messages are quoted with backticks (they are shown as Markdown).
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import sympy as sp

from surfaces import sandbox
from surfaces.base import Domain, Surface, X, Y

MAX_LENGTH = 500  # characters
MAX_DEPTH = 50  # brackets inside brackets
MAX_NESTING = 8  # functions and powers of x or y inside one another
MAX_CONSTANT = 1e9  # a number as typed
MAX_MAGNITUDE = 1e100  # any constant subexpression
MAX_EXPONENT = 100  # a constant exponent
MAX_TERMS = 20_000  # tree nodes of the value, gradient or Hessian (the Hessian's are the most)
MAX_OPERATIONS = 2_000  # operations in the printed NumPy code of the value, gradient or Hessian
CHUNK = 4096  # points per call of the printed code
MIN_FINITE_FRACTION = 0.5
CHECK_GRID = 41
PARSE_BUDGET = 2.0  # seconds a formula's worker may take (wall clock)
DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))


class ExpressionError(ValueError):
    """A formula that is refused; the message says what is wrong and where."""


def _sigmoid(t: float) -> float:
    return math.exp(min(t, 0.0)) / (1.0 + math.exp(-abs(t)))


def _softplus(t: float) -> float:
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


NAMES = {"x": (X, None), "y": (Y, None), "pi": (sp.pi, math.pi), "e": (sp.E, math.e)}
# name: (SymPy function, the same in floats for constant arguments)
FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    name: (getattr(sp, name), getattr(math, name))
    for name in ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "atan",
                 "asin", "acos")
}  # fmt: skip
FUNCTIONS |= {f"arc{name[1:]}": FUNCTIONS[name] for name in ("atan", "asin", "acos")}
FUNCTIONS |= {
    "abs": (sp.Abs, abs),
    "sigmoid": (lambda t: 1 / (1 + sp.exp(-t)), _sigmoid),
    "softplus": (lambda t: sp.log(1 + sp.exp(t)), _softplus),
}
NAMES_HINT = "the names are `x`, `y`, `pi` and `e`"
FUNCTIONS_HINT = "the functions are " + ", ".join(f"`{name}`" for name in FUNCTIONS)
ALLOWED = (
    "use numbers, `x`, `y`, `pi`, `e`, `+ - * / ** ^`, brackets and functions such as `sin(x)`"
)
_OPERATORS = {
    ast.Add: ("+", lambda a, b: a + b),
    ast.Sub: ("-", lambda a, b: a - b),
    ast.Mult: ("*", lambda a, b: a * b),
    ast.Div: ("/", lambda a, b: a / b),
    ast.Pow: ("**", lambda a, b: a**b),
}
_REFUSED_OPERATORS = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Not: "not",
}
_CONSTRUCTS = {
    ast.Attribute: "attribute access (`.`)",
    ast.Subscript: "indexing (`[...]`)",
    ast.Lambda: "a `lambda`",
    ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "`and` / `or`",
    ast.IfExp: "`if ... else`",
    ast.NamedExpr: "an assignment (`:=`)",
    ast.Tuple: "a comma",
    ast.List: "a list (`[...]`)",
    ast.Set: "a set (`{...}`)",
    ast.Dict: "a dict (`{...}`)",
    ast.JoinedStr: "an f-string",
    ast.Starred: "a starred argument",
    ast.Await: "`await`",
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield`",
}
_CHARACTER_HINTS = {"−": "-", "×": "*", "·": "*", "÷": "/", "²": "**2", "³": "**3", "π": "pi"}


def _fail(message: str, column: int | None = None, hint: str = "") -> ExpressionError:
    where = f" at column {column}" if column is not None else ""
    return ExpressionError(message + where + (f"; {hint}" if hint else ""))


def _quote(text: str, limit: int = 40) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"`{text}`"


class _Term(NamedTuple):
    """One node of the formula: its float value if constant (else None), how deeply functions
    and powers nest in it, and (when building) its SymPy expression."""

    value: float | None
    nesting: int
    expr: sp.Expr | None


class _Reader:
    """Walks the parsed tree against the allow-list; ``columns`` maps source offsets to the user's
    columns. With ``symbolic`` it also builds the SymPy expression (in the worker only)."""

    def __init__(self, source: str, columns: list[int], symbolic: bool) -> None:
        self.source = source
        self.columns = columns
        self.symbolic = symbolic

    def column(self, node: ast.AST) -> int:
        return self.columns[min(getattr(node, "col_offset", 0), len(self.columns) - 1)]

    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or "?"

    def read(self, node: ast.AST) -> _Term:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            sign = -1 if isinstance(node.op, ast.USub) else 1
            return self.apply(node, lambda a: sign * a, [self.read(node.operand)])
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(node)

    def refuse(self, node: ast.AST) -> ExpressionError:
        op = getattr(node, "op", None)
        if type(op) in _REFUSED_OPERATORS:
            what = f"the operator `{_REFUSED_OPERATORS[type(op)]}`"
        else:
            what = _CONSTRUCTS.get(type(node), f"`{type(node).__name__}`")
        return _fail(f"{what} is not allowed", self.column(node), ALLOWED)

    def number(self, node: ast.Constant) -> _Term:
        value = node.value
        if isinstance(value, complex):
            raise _fail(
                f"the imaginary number {_quote(self.text(node))} is not allowed",
                self.column(node),
                "the formula must be real",
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(f"{_quote(self.text(node))} is not a number", self.column(node), ALLOWED)
        if not abs(value) <= MAX_CONSTANT:  # ints compare exactly; NaN and inf fail too
            raise _fail(
                f"the number {_quote(self.text(node))} is too large (the limit is "
                f"{MAX_CONSTANT:g})",
                self.column(node),
            )
        exact = sp.Integer(value) if isinstance(value, int) else sp.Float(value)
        return _Term(float(value), 0, exact if self.symbolic else None)

    def name(self, node: ast.Name) -> _Term:
        if node.id in FUNCTIONS:
            raise _fail(
                f"the function `{node.id}` needs an argument",
                self.column(node),
                f"write `{node.id}(...)`",
            )
        if node.id not in NAMES:
            raise _fail(f"unknown name `{node.id}`", self.column(node), NAMES_HINT)
        symbol, value = NAMES[node.id]
        return _Term(value, 0, symbol if self.symbolic else None)

    def binary(self, node: ast.BinOp) -> _Term:
        symbol, operation = _OPERATORS[type(node.op)]
        left, right = self.read(node.left), self.read(node.right)
        if symbol == "/" and right.value == 0:
            raise _fail("division by zero", self.column(node.right))
        if symbol == "**" and right.value is not None and abs(right.value) > MAX_EXPONENT:
            raise _fail(
                f"the exponent {_quote(self.text(node.right))} is too large (the limit is "
                f"{MAX_EXPONENT})",
                self.column(node.right),
            )
        return self.apply(node, operation, [left, right], nests=symbol == "**")

    def call(self, node: ast.Call) -> _Term:
        if not isinstance(node.func, ast.Name):
            raise _fail(
                f"calling {_quote(self.text(node.func))} is not allowed",
                self.column(node),
                ALLOWED,
            )
        name = node.func.id
        if name not in FUNCTIONS:
            hint = f"write `{name}*(...)` for a product" if name in NAMES else FUNCTIONS_HINT
            raise _fail(f"unknown function `{name}`", self.column(node), hint)
        if node.keywords:
            raise _fail("keyword arguments are not allowed", self.column(node.keywords[0].value))
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.refuse(argument)
        if len(node.args) != 1:
            raise _fail(
                f"`{name}` takes exactly one argument, as in `{name}(x)`", self.column(node)
            )
        symbolic, numeric = FUNCTIONS[name]
        return self.apply(
            node,
            lambda a: (numeric if isinstance(a, float) else symbolic)(a),
            [self.read(node.args[0])],
            nests=True,
        )

    def apply(
        self, node: ast.AST, operation: Callable, terms: list[_Term], nests: bool = False
    ) -> _Term:
        """An allowed operation on read terms: in floats when they are all constant (refusing
        what is not a moderate real number), symbolically when building."""
        value = None
        if all(t.value is not None for t in terms):
            value = self.constant(node, operation, [t.value for t in terms])
        nesting = max(t.nesting for t in terms) + (nests and value is None)
        if nesting > MAX_NESTING:
            raise _fail(
                f"functions and powers are nested more than {MAX_NESTING} deep",
                self.column(node),
                "simplify the formula",
            )
        expr = operation(*[t.expr for t in terms]) if self.symbolic else None
        return _Term(value, nesting, expr)

    def constant(self, node: ast.AST, operation: Callable, values: list[float]) -> float:
        where = self.column(node)
        try:
            value = operation(*values)
        except ZeroDivisionError:
            raise _fail(f"{_quote(self.text(node))} divides by zero", where) from None
        except OverflowError:
            value = math.inf
        except ValueError:  # outside a function's domain: log(0), sqrt(-1), asin(2)
            raise _fail(f"{_quote(self.text(node))} is not a real number", where) from None
        if isinstance(value, complex):
            raise _fail(f"{_quote(self.text(node))} is not a real number", where)
        if not abs(value) <= MAX_MAGNITUDE:
            raise _fail(
                f"the constant {_quote(self.text(node))} is too large (the limit is "
                f"{MAX_MAGNITUDE:g})",
                where,
            )
        return float(value)


def _prepare(text: str) -> tuple[str, list[int]]:
    """Python source for ``text`` (``^`` as power, any whitespace as a space) and, per source
    character, its 1-based column in ``text``. Refuses what cannot be a formula at all."""
    if not isinstance(text, str):
        raise ExpressionError("the formula must be a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    if not text.strip():
        raise ExpressionError("the formula is empty")
    out, columns, depth = [], [], 0
    for column, char in enumerate(text, start=1):
        if char.isspace():
            char = " "
        elif not (char.isascii() and char.isprintable()):
            hint = f"write `{_CHARACTER_HINTS[char]}`" if char in _CHARACTER_HINTS else ALLOWED
            raise _fail(f"the character `{char}` (U+{ord(char):04X}) is not allowed", column, hint)
        depth += (char in "([{") - (char in ")]}")
        if depth > MAX_DEPTH:
            raise _fail(f"brackets are nested deeper than {MAX_DEPTH}", column)
        piece = "**" if char == "^" else char
        out.append(piece)
        columns.extend([column] * len(piece))
    columns.append(len(text) + 1)
    source = "".join(out)
    indent = len(source) - len(source.lstrip())  # Python reads a leading space as an indent
    return source[indent:], columns[indent:]


def _parse(source: str, columns: list[int]) -> ast.expr:
    """The tree of ``source``; a syntax error says where, in words."""
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence" in a refused string
            warnings.simplefilter("ignore")
            return ast.parse(source, mode="eval").body
    except SyntaxError as error:
        raise _syntax(error, source, columns) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("the formula cannot be read") from None


def _syntax(error: SyntaxError, source: str, columns: list[int]) -> ExpressionError:
    message = (error.msg or "invalid syntax").split(" (detected")[0].split(". Perhaps")[0]
    offset = error.offset or 0
    if offset < 1 or offset > len(source.rstrip()):
        return _fail("the formula ends too soon", columns[-1], "something is missing at the end")
    start = offset - 1 + len(source[offset - 1 :]) - len(source[offset - 1 :].lstrip())
    column = columns[start]
    if "never closed" in message or message.startswith("unmatched"):
        bracket = source[start]
        return _fail(
            f"the bracket `{bracket}` is never closed"
            if "never" in message
            else f"the bracket `{bracket}` was never opened",
            column,
        )
    token = re.match(r"[A-Za-z0-9_.]+|\*\*|\S", source[start:]).group()
    before = source[:start].rstrip()[-1:]
    hint = ""
    if message == "invalid decimal literal":
        hint = "write `2*x`, not `2x`, for a product"
    elif (before.isalnum() or before in ")._") and (token[0].isalnum() or token[0] in "(_."):
        hint = "is an operator missing before it, such as `*`?"
    return _fail(f"syntax error ({message}): unexpected {_quote(token)}", column, hint)


def _read(text: str, *, symbolic: bool = False) -> _Term:
    """The cheap checks (and, with ``symbolic``, the SymPy expression) of a formula."""
    source, columns = _prepare(text)
    tree = _parse(source, columns)
    try:
        term = _Reader(source, columns, symbolic).read(tree)
    except RecursionError:
        raise ExpressionError("the formula is nested too deeply; simplify it") from None
    if term.value is not None:
        raise ExpressionError("the formula must depend on `x` or `y`")
    return term


class Formula(NamedTuple):
    """A derived formula as plain data (what the worker sends back): the text, its LaTeX, the
    domain, and the NumPy source of its value, gradient and Hessian (hxx, hxy, hyy)."""

    text: str
    latex: str
    domain: Domain
    code: tuple[str, str, str]


class FormulaSurface(Surface):
    """A user formula's Surface, compiled from the NumPy source its worker printed.

    Surface.__init__ would differentiate in this process, where time cannot be bounded; the
    worker already did, so the fields are set here from the plain ``Formula``. Where a value,
    gradient or Hessian entry is not real or not finite it is NaN (a gap in a plot, a diverged
    run), never its real part. Pickles as its Formula, so a worker can search it too.
    """

    def __init__(self, formula: Formula) -> None:
        self.formula = formula
        self.key, self.title, self.expr, self.latex = "custom", formula.text, None, formula.latex
        self.domain, self.default_start = formula.domain, _start(formula.domain)
        self.params, self.known_critical, self.complete, self.kinks = {}, (), False, ()
        self.smooth, self.axis_labels, self._declared_minima = True, ("x", "y"), None
        self._f, self._g, self._h = (_compile_numpy(code) for code in formula.code)

    def __reduce__(self) -> tuple:
        return FormulaSurface, (self.formula,)

    def _parts(self, fn: Callable, x: np.ndarray, y: np.ndarray, idx: np.ndarray | None) -> list:
        """``CHUNK`` points at a time: the printed code keeps all its temporaries alive, so this
        bounds the memory of one call at about MAX_OPERATIONS · CHUNK floats."""
        x, y = np.broadcast_arrays(x, y)
        if x.size <= CHUNK:
            parts = fn(x, y)
        else:
            xs, ys = x.reshape(-1), y.reshape(-1)
            pieces = []
            for start in range(0, xs.size, CHUNK):
                chunk = slice(start, start + CHUNK)
                values = fn(xs[chunk], ys[chunk])
                pieces.append([np.broadcast_to(p, xs[chunk].shape) for p in values])
            parts = [
                np.concatenate(column).reshape(x.shape) for column in zip(*pieces, strict=True)
            ]
        return [_real(p) for p in parts]


def _real(part: np.ndarray) -> np.ndarray:
    """NaN wherever ``part`` is not real or not finite."""
    if np.iscomplexobj(part):
        part = np.where(np.imag(part) == 0, np.real(part), np.nan)
    return np.where(np.isfinite(part), part, np.nan)


_NUMPY = {
    name: getattr(np, name)
    for name in ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "sign", "tanh", "sinh", "cosh",
                 "arctan", "arcsin", "arccos", "pi", "e")
}  # fmt: skip
_CODE = (
    ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.Return, ast.List,
    ast.Name, ast.Load, ast.Store, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Call, ast.Add,
    ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
)  # fmt: skip


def _compile_numpy(code: str) -> Callable:
    """The function ``code`` defines, once it is known to use nothing but x, y, its own
    temporaries, numbers, arithmetic and NumPy's elementary functions."""
    tree = ast.parse(code)
    function = tree.body[0]
    arguments = [a.arg for a in function.args.args] if isinstance(function, ast.FunctionDef) else []
    assigned = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    known = {*_NUMPY, *assigned, "x", "y"}
    operations = 0
    for node in ast.walk(tree):
        if (
            not isinstance(node, _CODE)
            or (isinstance(node, ast.Name) and node.id not in known)
            or (
                isinstance(node, ast.Call)
                and (node.keywords or not isinstance(node.func, ast.Name))
            )
            or (isinstance(node, ast.Constant) and type(node.value) not in (int, float, complex))
        ):
            raise ExpressionError(
                f"the formula was compiled to unexpected code ({_quote(ast.dump(node))})"
            )
        operations += isinstance(node, ast.BinOp | ast.UnaryOp | ast.Call)
    if len(tree.body) != 1 or arguments != ["x", "y"]:
        raise ExpressionError("the formula was compiled to unexpected code")
    if operations > MAX_OPERATIONS:
        raise ExpressionError(
            f"the formula's derivatives take {operations} operations to evaluate "
            f"(the limit is {MAX_OPERATIONS}); simplify it"
        )
    namespace = {"__builtins__": {}, **_NUMPY}
    exec(compile(tree, "<formula>", "exec"), namespace)
    return namespace[function.name]


class _Printer(Surface):
    """In the worker: a Surface whose compiled parts are NumPy source text. Surface.__init__
    derives the gradient and Hessian exactly as for every built-in surface; each list is measured
    before it is printed (printing, with common-subexpression elimination, is the slow part)."""

    def _compile(self, exprs: list[sp.Expr]) -> str:
        terms, infinite = _measure(exprs)
        if infinite:
            raise ExpressionError("the formula divides by zero, or its derivatives do")
        if terms > MAX_TERMS:
            raise ExpressionError(
                f"the formula's derivatives have {terms} terms (the limit is "
                f"{MAX_TERMS}); simplify it"
            )
        return inspect.getsource(sp.lambdify((X, Y), exprs, modules="numpy", cse=True))


_INFINITE = (sp.zoo, sp.oo, sp.nan, -sp.oo)


def _measure(exprs: list[sp.Expr]) -> tuple[int, bool]:
    """The number of nodes of ``exprs`` as trees (a shared subexpression counts every time it is
    used), computed over the shared graph, and whether an infinity or NaN is among them."""
    sizes: dict[sp.Basic, int] = {}
    stack = list(exprs)
    while stack:
        node = stack[-1]
        pending = [a for a in node.args if a not in sizes]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        sizes[node] = 1 + sum(sizes[a] for a in node.args)
    return sum(sizes[e] for e in exprs), any(n in _INFINITE for n in sizes)


def _derive(_report: Callable, text: str, domain: Domain) -> Formula:
    """The worker's job: the formula derived, printed and tried on a grid of the domain."""
    try:
        expr = _read(text, symbolic=True).expr
        printer = _Printer(
            key="custom", title=text, expr=expr, domain=domain, default_start=_start(domain)
        )
        if not expr.free_symbols & {X, Y}:  # after the printer has refused infinities
            raise ExpressionError(
                f"the formula must depend on `x` or `y`; it simplifies to {_quote(str(expr))}"
            )
        formula = Formula(text.strip(), printer.latex, domain, (printer._f, printer._g, printer._h))
        _check_values(FormulaSurface(formula))
        return formula
    except ExpressionError:
        raise
    except RecursionError:
        raise ExpressionError("the formula is nested too deeply to derive; simplify it") from None
    except MemoryError:
        raise ExpressionError("the formula needs too much memory to derive; simplify it") from None
    except Exception as error:  # whatever SymPy raises, the user gets a message
        raise ExpressionError(
            f"the formula cannot be derived ({type(error).__name__}); simplify it"
        ) from None


def _check_values(surface: FormulaSurface) -> None:
    """Refuse a formula that is not real on the grid, or finite on too little of it."""
    (x0, x1), (y0, y1) = surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, CHECK_GRID), np.linspace(y0, y1, CHECK_GRID))
    with np.errstate(all="ignore"):
        for fn, what in ((surface._f, "value"), (surface._g, "gradient"), (surface._h, "Hessian")):
            for part in fn(gx, gy):
                imaginary = np.broadcast_to(np.imag(part), gx.shape) != 0
                if imaginary.any():
                    i = np.flatnonzero(imaginary)[0]
                    raise ExpressionError(
                        f"the formula is not real at x = {gx.flat[i]:.4g}, y = {gy.flat[i]:.4g} "
                        f"(its {what} has an imaginary part there)"
                    )
        fraction = np.isfinite(surface.f(gx, gy)).mean()
    if fraction < MIN_FINITE_FRACTION:
        raise ExpressionError(
            f"the formula is real and finite on only {fraction:.0%} of the domain; "
            "check logs and square roots of negative numbers, and divisions by zero"
        )


def parse_expression(
    text: str, domain: Domain = DEFAULT_DOMAIN, *, time_budget: float = PARSE_BUDGET
) -> Surface:
    """A Surface for the formula ``text`` in x and y (e.g. ``x**2 - y**2 + 0.1*x^4``).

    Returns within about ``time_budget`` seconds (the worker's; waiting for a free worker is not
    counted, see ``surfaces.sandbox``), or raises ExpressionError saying what to change: too
    long or too deeply nested, outside the allow-list, a constant too large, not real, no x or y,
    too expensive to derive or evaluate, or not real and finite on most of ``domain``.
    """
    domain = _check_domain(domain)
    _read(text)  # the cheap checks, here: most refusals never start a worker
    try:
        outcome = sandbox.run(_derive, text, domain, budget=time_budget)
    except sandbox.Busy:
        raise ExpressionError(
            "the server is busy with other formulas; try again in a moment"
        ) from None
    except sandbox.Crashed:
        raise ExpressionError(
            "the formula needs more memory or time than allowed; simplify it"
        ) from None
    if not outcome.complete:
        raise ExpressionError(
            f"the formula takes too long to derive (more than {time_budget:g} s); simplify it"
        )
    return FormulaSurface(outcome.value)


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
