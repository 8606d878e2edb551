"""Small real networks (MLPs, optional batch norm) with exact derivatives, and the lecture's
measurements on them: where training stops (critical points, Hessian spectrum, minimum ratio),
curvature along a training path, smoothness along the gradient, loss-landscape slices.

>>> import nets
>>> net = nets.mlp((1, 6, 5, 1))            # tanh MLP fitting sin(5πx)/(5πx) on [0, 1]
>>> result = nets.survey(net, 12)           # train 12 runs, refine, Hessian eigenvalues
>>> ae = nets.mlp((4, 2, 4), activation="linear", task="autoencoder")
>>> found = nets.find_critical(ae, nets.starts(ae, 8))   # Newton on ∇L = 0 from 8 starts

Pure: no Streamlit, and ``import nets`` does not import jax (the first computation does).
"""

from nets.critical import (
    CRITICAL_TOL,
    Critical,
    Levels,
    autoencoder_levels,
    find_critical,
    nearest_level,
)
from nets.curvature import Curvature, curvature
from nets.landscape import (
    MAX_ETAS,
    MAX_SLICE_POINTS,
    Projection,
    Slice,
    Smoothness,
    filter_normalize,
    hessian_plane,
    plane,
    project_path,
    random_plane,
    smoothness,
)
from nets.model import (
    ACTIVATION_NAMES,
    MAX_LAYERS,
    MAX_PARAMS,
    MAX_SAMPLES,
    MAX_SECONDS,
    MAX_WIDTH,
    MAX_WORK,
    MIN_SAMPLES,
    TASKS,
    Network,
    mlp,
)
from nets.survey import (
    BUDGETS,
    CUTOFFS,
    GRAD_TOL,
    MAX_REFINE_STEPS,
    MAX_RUNS,
    MAX_STEPS,
    PROCEDURES,
    RELATIVE_ZERO,
    Survey,
    default_optimizer,
    relative_minimum_ratio,
    starts,
    survey,
    train_network,
)

__all__ = [
    "ACTIVATION_NAMES",
    "BUDGETS",
    "CRITICAL_TOL",
    "CUTOFFS",
    "GRAD_TOL",
    "MAX_ETAS",
    "MAX_LAYERS",
    "MAX_PARAMS",
    "MAX_REFINE_STEPS",
    "MAX_RUNS",
    "MAX_SAMPLES",
    "MAX_SECONDS",
    "MAX_SLICE_POINTS",
    "MAX_STEPS",
    "MAX_WIDTH",
    "MAX_WORK",
    "MIN_SAMPLES",
    "PROCEDURES",
    "RELATIVE_ZERO",
    "TASKS",
    "Critical",
    "Curvature",
    "Levels",
    "Network",
    "Projection",
    "Slice",
    "Smoothness",
    "Survey",
    "autoencoder_levels",
    "curvature",
    "default_optimizer",
    "filter_normalize",
    "find_critical",
    "hessian_plane",
    "mlp",
    "nearest_level",
    "plane",
    "project_path",
    "random_plane",
    "relative_minimum_ratio",
    "smoothness",
    "starts",
    "survey",
    "train_network",
]
