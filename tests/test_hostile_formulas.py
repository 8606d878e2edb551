"""Formulas a student (or a URL) can throw at the hosted app: each is refused with an
ExpressionError or accepted as a well-behaved Surface, within its time budget, and no worker
process outlives its job. Timings are asserted generously (3× the budget), never tightly."""

from __future__ import annotations

import os
import pickle
import resource
import threading
import time
from multiprocessing import active_children, forkserver

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surfaces import ExpressionError, critical_points, get_surface, parse_expression, sandbox
from surfaces.critical import CRITICAL_BUDGET, CriticalPoints
from surfaces.expression import FUNCTIONS, PARSE_BUDGET
from ui.critical_notes import search_note

TOO_LONG = 3 * PARSE_BUDGET


@pytest.fixture(scope="module", autouse=True)
def _warm_workers():
    """The forkserver's first start (its SymPy preload) is not any formula's doing."""
    parse_expression("x")


def _workers() -> list[int]:
    """Live children of the forkserver: the workers not yet reaped."""
    server = forkserver._forkserver._forkserver_pid
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == server:
                children.append(int(entry))
    return children


def _no_workers_left() -> None:
    assert active_children() == []
    assert _workers() == []


# (category, formula, part of the message: "a|b" for either); every one must be refused.
REFUSED = [
    ("huge constant", "x+exp(exp(exp(20)))", "too large"),
    ("huge constant", "x*1e9**12", "too large"),
    ("huge constant", "x + 10**101", "too large"),
    ("huge constant", "x*" + "9" * 400, "too large"),
    ("huge constant", "x + cosh(1000)", "too large"),
    ("huge constant", "x*exp(700)", "too large"),
    ("huge constant", "1e308*10*x", "too large"),
    ("huge constant", "x*1_000_000_000_0", "too large"),
    ("tower", "9**9**9", "exponent"),
    ("tower", "2**2**2**2**2*x", "exponent"),
    ("tower", "**".join(["x"] * 10), "nested more than"),
    ("tower", "^".join(["x"] * 250), "nested more than"),
    ("tower", "(x**2)**50**2", "exponent"),
    ("tower", "x**-1000", "exponent"),
    ("nest", "cos(" * 50 + "x" + ")" * 50, "nested more than"),
    ("nest", "sigmoid(" * 9 + "x" + ")" * 9, "nested more than"),
    ("nest", "tanh(" * 40 + "x*y" + ")" * 40, "nested more than"),
    ("nest", "log(" * 8 + "x" + ")" * 8, "real and finite on only"),
    ("long product", "*".join(f"(x+{i})" for i in range(70)), "too long to derive|terms"),
    ("long product", "*".join(f"(x*y+{i})" for i in range(55)), "too long to derive|terms"),
    ("long sum", "+".join(f"exp(sin({i}*x*y))" for i in range(60)), "characters long"),
    ("deep brackets", "(" * 51 + "x" + ")" * 51, "brackets are nested deeper than 50"),
    ("deep brackets", "[" * 60, "brackets are nested deeper"),
    ("deep brackets", ")" * 60 + "x", "was never opened"),
    ("unicode", "x²", "U+00B2"),
    ("unicode", "√x", "U+221A"),
    ("unicode", "𝑥**2", "U+1D465"),
    ("unicode", "ｘ+y", "U+FF58"),
    ("unicode", "x\u200b+y", "U+200B"),
    ("unicode", "\u202ex", "U+202E"),
    ("unicode", "x\x00", "U+0000"),
    ("unicode", "x\x1b[2J", "U+001B"),
    ("dunder", "x.__class__.__bases__[0].__subclasses__()", "not allowed"),
    ("dunder", "__import__('os').system('true')", "not allowed"),
    ("dunder", "().__class__", "attribute access"),
    ("dunder", "getattr(x, '__class__')", "unknown function `getattr`"),
    ("dunder", "__builtins__", "unknown name `__builtins__`"),
    ("dunder", "globals()", "unknown function `globals`"),
    ("dunder", "eval('1+1')", "unknown function `eval`"),
    ("dunder", "open('/etc/passwd')", "unknown function `open`"),
    ("dunder", "x.real", "attribute access"),
    ("string", "'a'*x", "is not a number"),
    ("string", "b'x'", "is not a number"),
    ("string", "f'{x}'", "f-string"),
    ("string", "'''x'''+x", "is not a number"),
    ("string", "'\\N{foo}'", "syntax error"),
    ("string", "'unterminated", "syntax error"),
    ("lambda", "(lambda: x)()", "not allowed"),
    ("lambda", "lambda x: x", "`lambda`"),
    ("comprehension", "[x for x in range(10**9)]", "comprehension"),
    ("comprehension", "sum(x for x in y)", "unknown function `sum`"),
    ("comprehension", "{x: y}", "dict"),
    ("comprehension", "{x}", "set"),
    ("call of a non-function", "x(1)", "write `x*(...)` for a product"),
    ("call of a non-function", "2(x)", "calling `2` is not allowed"),
    ("call of a non-function", "(x+1)(y)", "calling `x+1` is not allowed"),
    ("call of a non-function", "sin(x)(y)", "calling `sin(x)` is not allowed"),
    ("keyword argument", "sin(x=x)", "keyword arguments"),
    ("keyword argument", "exp(x, base=2)", "keyword arguments"),
    ("keyword argument", "sin(**{})", "keyword arguments"),
    ("starred argument", "sin(*[x])", "starred argument"),
    ("complex result", "x*(-1)**0.5", "is not a real number"),
    ("complex result", "(-8)**(1/3)*x", "is not a real number"),
    ("complex result", "sqrt(-x**2)", "not real at"),
    ("complex result", "sqrt(-x**2) + y", "not real at"),
    ("complex result", "log(-1)*x", "is not a real number"),
    ("complex result", "x*asin(2)", "is not a real number"),
    ("complex result", "1j + x", "imaginary"),
    ("division by zero", "x/0", "division by zero"),
    ("division by zero", "x/0.0", "division by zero"),
    ("division by zero", "1/(x-x)", "divides by zero"),
    ("division by zero", "x/(y*0)", "divides by zero"),
    ("division by zero", "x*0**-1", "divides by zero"),
    ("division by zero", "tan(pi/2)*x", "divides by zero"),
    ("division by zero", "x/(1-1)", "division by zero"),
    ("overflow", "cosh(x*1e9)", "real and finite on only"),
    ("overflow", "exp(exp(exp(x+3)))", "real and finite on only"),
    ("NaN everywhere", "log(-x**2-1)", "real and finite on only 0%"),
    ("NaN everywhere", "sqrt(-1-y**2)", "real and finite on only 0%"),
    ("NaN everywhere", "acos(2+x**2)", "real and finite on only 0%"),
    ("NaN everywhere", "0*log(-1-x**2)", "must depend on `x` or `y`"),
    ("no x or y", "pi*e", "must depend"),
    ("no x or y", "1e-400*x", "must depend"),
    ("no x or y", "x - x", "must depend"),
    ("empty", "", "empty"),
    ("whitespace", "   ", "empty"),
    ("whitespace", "\t\n\r", "empty"),
    ("whitespace", "\u3000", "empty"),
    ("long line", "x" * 501, "characters long"),
    ("long line", "x+" * 250 + "x", "characters long"),
    ("long line", "x" * 10**7, "characters long"),
    ("operators", "x if True else y", "`if ... else`"),
    ("operators", "x and y", "`and` / `or`"),
    ("operators", "not x", "`not`"),
    ("operators", "x == y", "comparison"),
    ("operators", "x @ y", "`@`"),
    ("operators", "x // y", "`//`"),
    ("operators", "x << 2", "`<<`"),
    ("operators", "~x", "`~`"),
    ("operators", "(x := 1)", "assignment"),
    ("operators", "x, y", "a comma"),
    ("statements", "x; import os", "syntax error"),
    ("statements", "x\nimport os", "syntax error"),
    ("statements", "yield x", "syntax error"),
    ("statements", "await x", "`await`"),
    ("statements", "import os", "syntax error"),
    ("constants", "True*x", "is not a number"),
    ("constants", "None", "is not a number"),
    ("constants", "...", "is not a number"),
    ("syntax", "x**", "ends too soon"),
    ("syntax", "x +* y", "syntax error"),
    ("syntax", "\\ 0", "syntax error"),
]


@pytest.mark.parametrize(("category", "text", "message"), REFUSED, ids=lambda v: repr(v)[:40])
def test_hostile_formula_is_refused_in_time_with_a_message(category, text, message):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert time.perf_counter() - start < TOO_LONG, category
    assert any(part in str(info.value) for part in message.split("|")), category
    _no_workers_left()


# Accepted, however odd; what matters is a Surface that behaves.
ACCEPTED = [
    "+".join(f"exp(sin({i}*x*y))" for i in range(1, 30)),
    "10**100 + x",
    "sigmoid(" * 8 + "x" + ")" * 8,
    "softplus(" * 8 + "x*y" + ")" * 8,
    "((((x**2)**2)**2)**2)**2",
    "(" * 50 + "x" + ")" * 50,
    "-" * 300 + "x",
    "+-" * 150 + "y",
    "x" + "*x" * 249,
    "1+" * 249 + "x",
    "x*y+" * 99 + "x",
    "exp(1000*x)",
    "1/x + y",
    "x**0.5 + y",
    "abs(x)**0.5 + y**2",
    "sigmoid(x*1e9) + y",
    "x*1e-300*1e-300",
    "x\u00a0+\u2003y",  # no-break and em spaces are spaces
    "0x10*x",
]


@pytest.mark.parametrize("text", ACCEPTED, ids=lambda v: repr(v)[:40])
def test_odd_but_valid_formula_is_a_surface_that_behaves(text):
    start = time.perf_counter()
    surface = _parse_in_time(text)
    assert time.perf_counter() - start < TOO_LONG
    _behaves(surface or parse_expression(text, time_budget=60.0))
    _no_workers_left()


def _parse_in_time(text: str):
    """The Surface, or None if the deadline came first (on a loaded machine, heavy formulas may
    not derive in time: that refusal is the only one a valid formula may get)."""
    try:
        return parse_expression(text)
    except ExpressionError as error:
        assert "too long to derive" in str(error)
        return None


def _behaves(surface) -> None:
    """f, ∇f and H on a grid are real float arrays, finite or NaN, computed quickly."""
    (x0, x1), (y0, y1) = surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
    start = time.perf_counter()
    for values, shape in (
        (surface.f(gx, gy), gx.shape),
        (surface.grad(gx, gy), (*gx.shape, 2)),
        (surface.hessian(gx, gy), (*gx.shape, 2, 2)),
    ):
        assert values.dtype == np.float64 and values.shape == shape
        assert not np.isinf(values).any()
    assert time.perf_counter() - start < 5.0


def test_a_slow_formula_is_refused_at_its_deadline_and_its_worker_killed():
    text = "+".join(f"exp(sin({i}*x*y))" for i in range(1, 30))
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match=r"takes too long to derive \(more than 0.05 s\)"):
        parse_expression(text, time_budget=0.05)
    assert time.perf_counter() - start < 3 * 0.05 + 1.0
    _no_workers_left()


def test_other_users_are_served_while_a_hostile_formula_runs():
    hostile = "*".join(f"(x+{i})" for i in range(70))  # runs until its deadline
    errors = []
    worker = threading.Thread(target=lambda: errors.append(_refusal(hostile)))
    worker.start()
    _wait_until(lambda: _workers() != [])  # the hostile formula's worker is running
    surface = parse_expression("x^2 - y^2")
    assert worker.is_alive()  # served while the hostile formula still runs
    assert float(surface.f(1.0, 2.0)) == -3.0
    worker.join()
    assert "too long to derive" in errors[0] or "terms" in errors[0]
    _no_workers_left()


def _wait_until(condition, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.01)


def _refusal(text: str) -> str:
    try:
        parse_expression(text)
    except ExpressionError as error:
        return str(error)
    return "accepted"


@st.composite
def formulas(draw, leaves, functions, operators, depth: int):
    """Random formulas from a grammar: leaves, functions of a formula, −formula, and
    ``operators``, each a function of two formulas that writes them combined."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaves)
    kind = draw(st.sampled_from(["binary", "binary", "function", "negative"]))
    inner = draw(formulas(leaves, functions, operators, depth - 1))
    if kind == "function":
        return f"{draw(st.sampled_from(functions))}({inner})"
    if kind == "negative":
        return f"-({inner})"
    return draw(operators)(inner, draw(formulas(leaves, functions, operators, depth - 1)))


NUMBERS = st.one_of(
    st.integers(-12, 12).map(str),
    st.sampled_from(["0", "0.5", "1e9", "1e-9", "100", "2.5", "pi", "e", "(-1)", "(-8)"]),
    st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: repr(round(v, 3))),
)
EVERYTHING = formulas(
    st.one_of(st.sampled_from(["x", "y"]), NUMBERS),
    sorted(FUNCTIONS),
    st.sampled_from(["+", "-", "*", "/", "**", "^"]).map(lambda op: lambda a, b: f"({a}){op}({b})"),
    depth=5,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EVERYTHING)
def test_random_formulas_are_surfaces_or_refusals_in_time(text):
    start = time.perf_counter()
    try:
        surface = parse_expression(text)
    except ExpressionError:
        surface = None
    assert time.perf_counter() - start < TOO_LONG
    if surface is not None:
        _behaves(surface)


def test_no_worker_is_left_after_any_of_it():
    _no_workers_left()


# ---- The sandbox itself --------------------------------------------------------------------


def _limits(report):
    return resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CPU)[0]


def _hog(report):
    return len(bytearray(2 * sandbox.MEMORY_HEADROOM))


def _die(report):
    report("halfway")
    os._exit(3)


def _spin(report):
    report(1)
    report(2)
    while True:
        pass


# Budgets here are generous: each worker first imports this test module, to find its job.


def test_a_worker_has_capped_memory_and_cpu():
    memory, cpu = sandbox.run(_limits, budget=20.0).value
    assert 0 < memory < 4 * 2**30
    assert cpu == 21  # ⌈budget + CPU_GRACE⌉ seconds: it dies even if nobody kills it
    with pytest.raises(MemoryError):
        sandbox.run(_hog, budget=20.0)
    _no_workers_left()


def test_a_dead_worker_reports_its_last_partial_result():
    with pytest.raises(sandbox.Crashed) as info:
        sandbox.run(_die, budget=20.0)
    assert info.value.partial == "halfway"
    _no_workers_left()


def test_a_spinning_worker_is_killed_at_its_deadline_with_its_last_partial_result():
    start = time.perf_counter()
    outcome = sandbox.run(_spin, budget=5.0)
    assert time.perf_counter() - start < 3 * 5.0
    assert outcome == sandbox.Outcome(2, False)
    _no_workers_left()


# ---- Critical points under a deadline --------------------------------------------------------


def test_a_formulas_search_returns_what_it_found_by_its_deadline():
    # ~3,000 critical points: a full search takes ~1.7 s on a quiet machine, six times the budget
    surface = parse_expression("sin(20*x)*sin(20*y) + 0.01*x")
    start = time.perf_counter()
    found = critical_points(surface, time_budget=0.3)
    assert time.perf_counter() - start < 3 * 0.3 + 1.0
    assert not found.complete and "time limit of 0.3 s" in search_note(found)
    for cp in found:  # what was found is right
        assert np.linalg.norm(surface.grad(cp.x, cp.y)) < 1e-6
    _no_workers_left()


def test_a_search_without_time_for_one_grid_says_so():
    found = critical_points(parse_expression("sin(7*x)*sin(7*y)"), time_budget=0.001)
    assert found == [] and not found.complete
    assert "time limit of 0.001 s before it found any" in search_note(found)
    _no_workers_left()


def test_a_formulas_search_by_default_finishes_within_its_budget():
    surface = parse_expression("(x**2 + y**2 - 1)**2")
    start = time.perf_counter()
    found = critical_points(surface)
    assert time.perf_counter() - start < 3 * CRITICAL_BUDGET
    assert found.complete and search_note(found) == ""
    assert sorted(cp.kind for cp in found) == ["maximum", "minimum"]


def test_a_heavy_formulas_search_is_bounded():
    text = "+".join(f"exp(sin({i}*x*y))" for i in range(1, 12))
    surface = parse_expression(text, time_budget=60.0)
    start = time.perf_counter()
    found = critical_points(surface)
    assert time.perf_counter() - start < 3 * CRITICAL_BUDGET
    assert found.complete or "time limit" in search_note(found)
    _no_workers_left()


def test_a_built_in_surface_stops_between_grids_only_when_asked():
    rastrigin = get_surface("rastrigin")
    found = critical_points(rastrigin, time_budget=0.0)
    assert not found.complete and "at a 24×24 grid" in search_note(found)
    assert 0 < len(found) < 441  # the coarsest grid alone misses some of its 21 × 21 points
    assert critical_points(rastrigin).complete


def test_the_result_keeps_its_note_through_pickling():
    # The page caches results with st.cache_data, which pickles them.
    found = CriticalPoints([], stopped="failed", error="ValueError")
    copy = pickle.loads(pickle.dumps(found))
    assert isinstance(copy, CriticalPoints) and not copy.complete
    assert search_note(copy) == (
        "The search for critical points failed (ValueError) before it found any."
    )


def test_the_core_gives_a_reason_code_and_refuses_an_unknown_one():
    assert CriticalPoints([], stopped="time", budget=0.5).stopped == "time"
    with pytest.raises(ValueError):
        CriticalPoints([], stopped="bored")


def test_the_note_is_translated_where_it_is_shown_with_its_numbers():
    from i18n import _, use

    found = CriticalPoints([object()], stopped="time", grid=24, budget=0.5)
    with use("zh"):
        shown = search_note(found, _)
    assert shown != search_note(found) and "0.5" in shown and "24×24" in shown
