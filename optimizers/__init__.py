"""Optimizers (torch.optim 2.x semantics, plus the lecture's Adagrad and RMSProp), learning-rate
schedules and the vectorized trajectory simulator. Pure NumPy; never imports streamlit."""

from optimizers import schedules
from optimizers.rules import OPTIMIZERS, Optimizer, State, make_optimizer
from optimizers.simulate import Trajectory, simulate, simulate_many

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "State",
    "Trajectory",
    "make_optimizer",
    "schedules",
    "simulate",
    "simulate_many",
]
