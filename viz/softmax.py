"""How softmax turns logits into probabilities: two bar panels, logits and p = softmax(y)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from i18n import _
from surfaces.classification import soft_target, softmax
from viz.theme import base_layout, tick_text

LOGIT_VIEW = 12.0  # logits beyond ±12 are drawn cut off at the edge, their value written on the bar
TARGET_COLOR = "#ffbd45"
OTHER_COLOR = "#00c0f2"
GAP = 0.14  # between the two panels: room for the right panel's axis title


def softmax_figure(logits: Sequence[float], target: float, *, height: int = 300) -> go.Figure:
    """Logits y (left) and probabilities p = softmax(y) with the target ŷ marked (right).

    Probabilities are labelled in full (2.06×10⁻⁹ is not 0: it is why MSE's slope vanishes).
    Traces carry ``meta.role``: "logits", "probabilities", "target".
    """
    y = np.asarray(logits, dtype=float)
    p = softmax(y)
    q = np.asarray(soft_target(target))
    names = [_("class {i}").format(i=i) for i in range(1, len(y) + 1)]
    colors = [TARGET_COLOR if qi > 0 else OTHER_COLOR for qi in q]
    width = (1 - GAP) / 2
    bars = dict(marker_color=colors, showlegend=False)
    data = [
        go.Bar(
            x=names, y=np.clip(y, -LOGIT_VIEW, LOGIT_VIEW), text=[tick_text(v, 4) for v in y],
            # A short bar (a logit of 0) has no room inside: its value goes beside it.
            textposition=["inside" if abs(v) > LOGIT_VIEW / 2 else "outside" for v in y],
            name=_("logit"), meta=dict(role="logits"),
            hovertemplate="%{x}: y = %{text}<extra></extra>", **bars,
        ),
        go.Bar(
            x=names, y=p, text=[tick_text(v, 3) for v in p], textposition="outside",
            name="p", meta=dict(role="probabilities"), xaxis="x2", yaxis="y2",
            hovertemplate="%{x}: p = %{y:.6g}<extra></extra>", **bars,
        ),
        go.Scatter(
            x=names, y=q, mode="markers", name=_("target ŷ"), meta=dict(role="target"),
            xaxis="x2", yaxis="y2",
            marker=dict(symbol="line-ew-open", size=34, color="white", line=dict(width=3)),
            hovertemplate="%{x}: ŷ = %{y:.3g}<extra></extra>",
        ),
    ]  # fmt: skip
    titles = (_("logits y"), _("probabilities p = softmax(y)"))
    layout = base_layout(height, legend="top", top=60, bargap=0.35)
    layout["legend"] |= dict(x=1, xanchor="right", y=1.12)
    layout |= dict(
        xaxis=dict(domain=[0, width]),
        yaxis=dict(range=[-LOGIT_VIEW, LOGIT_VIEW], title=_("logit")),
        xaxis2=dict(domain=[1 - width, 1], anchor="y2"),
        yaxis2=dict(range=[0, 1.18], title=_("probability"), anchor="x2"),
        annotations=[
            dict(text=title, x=left + width / 2, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=15))
            for title, left in zip(titles, (0, 1 - width), strict=True)
        ],
    )  # fmt: skip
    return go.Figure(data=data, layout=layout)
