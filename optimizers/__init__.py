"""Optimizers (torch.optim 2.x semantics, plus the lecture's Adagrad and RMSProp, and Lion),
learning-rate schedules, and the one stepping loop behind its three batch forms:
``simulate_many`` (a few 2-D runs, every step), ``sweep`` (thousands of 2-D runs, a summary each)
and ``train`` (any number of parameters). Pure NumPy; never imports streamlit."""

from optimizers import schedules
from optimizers.rules import OPTIMIZERS, Control, Optimizer, State, hyper_controls, make_optimizer
from optimizers.simulate import Trajectory, simulate, simulate_many
from optimizers.sweep import Sweep, sweep
from optimizers.train import Training, train

__all__ = [
    "OPTIMIZERS",
    "Control",
    "Optimizer",
    "State",
    "Sweep",
    "Training",
    "Trajectory",
    "hyper_controls",
    "make_optimizer",
    "schedules",
    "simulate",
    "simulate_many",
    "sweep",
    "train",
]
