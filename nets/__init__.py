"""Small real networks (MLPs, optional batch norm) with exact derivatives, and the lecture's
measurements on them: where training stops (critical points, Hessian spectrum, minimum ratio),
curvature along a training path, smoothness along the gradient, loss-landscape slices.

>>> import nets
>>> net = nets.mlp((1, 6, 5, 1))            # tanh MLP fitting sin(5πx)/(5πx) on [0, 1]
>>> result = nets.survey(net, 12)           # train 12 runs, refine, Hessian eigenvalues

Pure: no Streamlit, and ``import nets`` does not import jax (the first computation does).
"""

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
    MAX_WIDTH,
    MAX_WORK,
    MIN_SAMPLES,
    TASKS,
    Network,
    mlp,
)
from nets.survey import (
    GRAD_TOL,
    MAX_REFINE_STEPS,
    MAX_RUNS,
    MAX_STEPS,
    ZERO_TOL,
    Refined,
    Survey,
    minimum_ratio,
    refine,
    starts,
    survey,
    train,
)

__all__ = [
    "ACTIVATION_NAMES",
    "GRAD_TOL",
    "MAX_ETAS",
    "MAX_LAYERS",
    "MAX_PARAMS",
    "MAX_REFINE_STEPS",
    "MAX_RUNS",
    "MAX_SAMPLES",
    "MAX_SLICE_POINTS",
    "MAX_STEPS",
    "MAX_WIDTH",
    "MAX_WORK",
    "MIN_SAMPLES",
    "TASKS",
    "ZERO_TOL",
    "Curvature",
    "Network",
    "Projection",
    "Refined",
    "Slice",
    "Smoothness",
    "Survey",
    "curvature",
    "filter_normalize",
    "hessian_plane",
    "minimum_ratio",
    "mlp",
    "plane",
    "project_path",
    "random_plane",
    "refine",
    "smoothness",
    "starts",
    "survey",
    "train",
]
