"""How softmax turns logits into probabilities: two bar panels, logits and p = softmax(y)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from surfaces.classification import soft_target, softmax

LOGIT_VIEW = 12.0  # logits beyond ±12 are drawn cut off at the edge, their value written on the bar
TARGET_COLOR = "#ffbd45"
OTHER_COLOR = "#00c0f2"


def softmax_figure(logits: Sequence[float], target: float, *, height: int = 300) -> go.Figure:
    """Logits y (left) and probabilities p = softmax(y) with the target ŷ marked (right).

    Probabilities are labelled in full (2.1e-09 is not 0: it is why MSE's slope vanishes).
    """
    y = np.asarray(logits, dtype=float)
    p = softmax(y)
    q = np.asarray(soft_target(target))
    names = [f"class {i}" for i in range(1, len(y) + 1)]
    colors = [TARGET_COLOR if qi > 0 else OTHER_COLOR for qi in q]
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.12,
        subplot_titles=("logits y", "probabilities p = softmax(y)"),
    )  # fmt: skip
    fig.add_trace(
        go.Bar(
            x=names, y=np.clip(y, -LOGIT_VIEW, LOGIT_VIEW), marker_color=colors,
            text=[f"{v:.4g}" for v in y], textposition="auto", name="logit",
            hovertemplate="%{x}: y = %{text}<extra></extra>", showlegend=False,
        ),
        row=1, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Bar(
            x=names, y=p, marker_color=colors, text=[f"{v:.3g}" for v in p],
            textposition="outside", name="p", showlegend=False,
            hovertemplate="%{x}: p = %{y:.6g}<extra></extra>",
        ),
        row=1, col=2,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=names, y=q, mode="markers", name="target ŷ",
            marker=dict(symbol="line-ew-open", size=34, color="white", line=dict(width=3)),
            hovertemplate="%{x}: ŷ = %{y:.3g}<extra></extra>",
        ),
        row=1, col=2,
    )  # fmt: skip
    fig.update_yaxes(range=[-LOGIT_VIEW, LOGIT_VIEW], title="logit", row=1, col=1)
    fig.update_yaxes(range=[0, 1.18], title="probability", row=1, col=2)
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.08, x=1, xanchor="right"),
        bargap=0.35,
    )
    return fig
