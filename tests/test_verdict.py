"""optimizers.verdict: a run's outcome from its own numbers, on runs whose fate is known in
closed form (gradient descent on a bowl: each eigen-component is multiplied by 1 − ηλ per step),
and ui.verdicts' words for every code."""

import numpy as np
import pytest

from optimizers import make_optimizer, simulate
from optimizers.verdict import (
    CODES,
    CONVERGING,
    DIVERGED,
    OSCILLATING,
    STUCK,
    UNDEFINED,
    Verdict,
    verdict,
)
from surfaces import get_surface, parse_expression

BOWL = get_surface("quadratic", condition=100.0, angle=30.0)
START = (-1.6, 1.2)


def _largest_curvature() -> float:
    return float(np.linalg.eigvalsh(BOWL.hessian(0.0, 0.0))[-1])


@pytest.mark.parametrize(
    "factor, code",
    [(0.75, CONVERGING), (1.0, OSCILLATING), (1.5, DIVERGED)],
)
def test_gradient_descent_below_at_and_above_two_over_lambda_max(factor, code):
    """|1 − ηλmax| < 1 shrinks the steep component, = 1 keeps it bouncing for ever (the loss
    stays where it was), > 1 grows it."""
    lr = factor * 2 / _largest_curvature()
    run = simulate(BOWL, make_optimizer("sgd", lr=lr), START, 200)
    assert verdict(run).code == code
    if code == OSCILLATING:  # the playground's "never moves from 169.1"
        assert run.losses[-1] > 0.99 * run.losses[0]
    if code == DIVERGED:
        assert verdict(run) == Verdict(DIVERGED, run.diverged_at)


def test_a_start_on_a_saddle_does_not_move():
    run = simulate(get_surface("toy_network"), make_optimizer("sgd", lr=0.02), (0.0, 0.0), 50)
    assert np.all(run.points == 0.0)
    assert verdict(run) == Verdict(STUCK)


def test_a_plateau_whose_gradient_is_negligible_does_not_move():
    """exp(−40) ≈ 4×10⁻¹⁸: every step is far below the loss's resolution."""
    run = simulate(parse_expression("1 - exp(-(x**2 + y**2))"), make_optimizer("sgd", lr=0.1),
                   (6.0, 6.0), 100)  # fmt: skip
    assert verdict(run) == Verdict(STUCK)


def test_a_kink_at_the_start_is_undefined_at_step_zero():
    run = simulate(get_surface("ackley"), make_optimizer("sgd", lr=0.02), (0.0, 0.0), 50)
    assert verdict(run) == Verdict(UNDEFINED, 0)


def test_momentum_spiralling_in_is_converging_not_oscillating():
    """Heavy-ball momentum on a bowl reverses direction often, but its steps die out."""
    run = simulate(BOWL, make_optimizer("momentum", lr=0.01, momentum=0.9), START, 400)
    assert verdict(run).code == CONVERGING


def test_every_code_has_words_and_an_unknown_one_is_refused():
    from ui.verdicts import words

    said = {code: words(Verdict(code, 3)) for code in CODES}
    assert len(set(said.values())) == len(CODES)
    assert said[DIVERGED] == "diverged at step 3"
    assert words(Verdict(UNDEFINED, 0)) != said[UNDEFINED]  # a kink at the start
    with pytest.raises(ValueError):
        words(Verdict("lost"))
