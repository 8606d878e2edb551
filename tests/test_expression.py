"""parse_expression: formulas become Surfaces; anything else is an ExpressionError, never code."""

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surfaces import ExpressionError, Surface, critical_points, parse_expression


@pytest.mark.parametrize(
    ("text", "point", "value"),
    [
        ("x**2 - y**2 + 0.1*x**4", (1.0, 2.0), 1 - 4 + 0.1),
        ("sin(x)*cos(y)", (0.5, 0.25), np.sin(0.5) * np.cos(0.25)),
        ("log(1+exp(x*y))", (1.0, -2.0), np.log1p(np.exp(-2.0))),
        ("x^2 + 2*y^3", (1.5, -1.0), 2.25 - 2.0),
        ("sigmoid(x) + pi*e*y", (0.0, 1.0), 0.5 + np.pi * np.e),
        ("abs(x) + sqrt(y**2 + 1)", (-2.0, 0.0), 3.0),
    ],
)
def test_formulas_evaluate_like_numpy(text, point, value):
    s = parse_expression(text)
    assert isinstance(s, Surface) and s.key == "custom"
    assert float(s.f(*point)) == pytest.approx(value, rel=1e-12)
    assert s.domain == ((-3.0, 3.0), (-3.0, 3.0))


def test_parsed_surface_has_exact_derivatives_and_critical_points():
    s = parse_expression("x^2 - y^2", domain=((-1, 2), (-2, 1)))
    assert s.domain == ((-1.0, 2.0), (-2.0, 1.0))
    np.testing.assert_array_equal(s.grad(1.0, 2.0), [2.0, -4.0])
    np.testing.assert_array_equal(s.hessian(np.zeros(3), 0.0)[2], [[2, 0], [0, -2]])
    (p,) = critical_points(s)
    assert p.kind == "saddle" and (p.x, p.y) == (0.0, 0.0)
    assert s.minima == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function '__import__' at column 1"),
        ("__import__('os').system('echo hi')", "calling attribute access is not allowed"),
        ("x.__class__", "attribute access is not allowed at column 1"),
        ("(lambda: 1)()", "calling a lambda is not allowed"),
        ("lambda: x", "lambda is not allowed"),
        ("[x for x in y]", "comprehension is not allowed"),
        ("'x'", "not a real number"),
        ("x[0]", "subscripting is not allowed"),
        ("sin(x=1)", "exactly one argument"),
        ("sin(x, y)", "exactly one argument"),
        ("x + foo", "unknown name 'foo' at column 5; allowed: x, y, pi, e, sin"),
        ("exp", "function 'exp' without an argument"),
        ("x if y else 1", "conditional is not allowed"),
        ("x < y", "comparison is not allowed"),
        ("x % 2", "operator Mod is not allowed"),
        ("9**9**9", "exponent"),
        ("10**10**10", "exponent"),
        ("x**1000", "exponent"),
        ("(2**50)**(2**50)", "exponent"),
        ("1e300 * x", "too large"),
        ("1e9**100 + x", "too large"),
        ("1j*x", "not a real number"),
        ("x +* 2", "syntax error"),
        ("", "empty"),
        ("3 + 4", "must depend on x or y"),
        ("log(-x**2 - 1)", "real and finite on only 0% of the domain"),
        ("x" * 501, "limit is 500"),
        ("(" * 60 + "x" + ")" * 60, "nested deeper than 50 at column 51"),
        ("(" * 10_000 + "x" + ")" * 10_000, "characters long"),
        ("x" * 1_000_000, "characters long"),
    ],
)
def test_refusals_say_what_and_where(text, message):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_columns_count_in_the_users_text_even_after_caret():
    with pytest.raises(ExpressionError, match="unknown name 'z' at column 7"):
        parse_expression("x^2 + z")


@pytest.mark.parametrize("domain", [((1, 0), (0, 1)), ((0, np.inf), (0, 1)), "nope"])
def test_bad_domains_are_refused(domain):
    with pytest.raises(ExpressionError, match="domain"):
        parse_expression("x", domain=domain)


def test_non_string_is_refused():
    with pytest.raises(ExpressionError):
        parse_expression(3)


UNARY = ["sin", "cos", "tanh", "exp", "sigmoid", "atan", "softplus"]


@st.composite
def formulas(draw, depth=3):
    """Random allowed formulas whose derivatives stay moderate on [−1, 1]²."""
    if depth == 0 or draw(st.booleans()):
        leaf = draw(st.sampled_from(["x", "y", "pi", "e", "number"]))
        if leaf == "number":
            return repr(draw(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3))))
        return leaf
    op = draw(st.sampled_from(["+", "-", "*", "^", "unary", "neg"]))
    a = draw(formulas(depth=depth - 1))
    if op == "unary":
        return f"{draw(st.sampled_from(UNARY))}({a})"
    if op == "neg":
        return f"-({a})"
    if op == "^":
        return f"({a})^{draw(st.integers(1, 3))}"
    return f"({a}) {op} ({draw(formulas(depth=depth - 1))})"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas(), st.floats(-0.9, 0.9), st.floats(-0.9, 0.9))
def test_random_formulas_parse_and_match_central_differences(text, px, py):
    try:
        s = parse_expression(text, domain=((-1, 1), (-1, 1)))
    except ExpressionError as error:
        assert "must depend on x or y" in str(error)
        return
    h = 1e-6
    g = s.grad(px, py)
    if not np.all(np.isfinite(g)) or np.abs(g).max() > 1e6:
        return
    fd = [
        (s.f(px + h, py) - s.f(px - h, py)) / (2 * h),
        (s.f(px, py + h) - s.f(px, py - h)) / (2 * h),
    ]
    np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-4 * (1 + np.abs(g).max()))


ALPHABET = "xy()+-*/^.,0123456789e_ijsincoexplgaqrt[]{}:'\"=<>!@#$%&|~ \t\n\\λ"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=ALPHABET, max_size=80), st.text(max_size=40)))
def test_garbage_only_ever_raises_expression_error(text):
    with contextlib.suppress(ExpressionError):
        parse_expression(text)
