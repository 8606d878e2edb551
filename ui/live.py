"""Live sliders on a page: drag a value and the charts follow on every pointer move, with no
message to the server; on release the value becomes its control's and the page reruns once.

``viz/live.py`` computes every run a slider can reach and packs what each value shows; the
browser side is ``ui/live/live.js`` (a Streamlit components v2 module, shipped here: no CDN) and
redraws the page's own Plotly charts with ``Plotly.restyle``. A released value is written into
the session state of the control that owns it (``url.assign``), so the rerun draws that control
at the value and records it in the URL exactly as if it had been moved itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from ui import url
from viz.live import Slider

ASSETS = Path(__file__).resolve().parent / "live"
_component = st.components.v2.component(
    "error_surface_lab.live",
    js=(ASSETS / "live.js").read_text(encoding="utf-8"),
    css=(ASSETS / "live.css").read_text(encoding="utf-8"),
)


def chart_selector(key: str) -> str:
    """The CSS selector of the container of the chart drawn with ``key`` (Streamlit's class)."""
    return ".st-key-" + "".join(c if c.isalnum() or c in "_-" else "-" for c in key.strip())


def live_sliders(
    key: str, message: bytes, sliders: list[Slider], controls: Mapping[str, str]
) -> None:
    """The live sliders of ``message`` (built by ``viz.live.pack`` from ``sliders``).

    ``controls`` maps each slider's key to the key of the control that owns the value: on
    release, a value the slider offers is assigned to that control before the rerun.
    """

    def released() -> None:
        values = (st.session_state.get(key) or {}).get("release")
        if not isinstance(values, dict):
            return
        for slider in sliders:
            value = values.get(slider.key)
            if value is None or slider.key not in controls:
                continue
            # Only a value the slider offers: a crafted message cannot set anything else.
            exact = [v for v in slider.values if v == value]
            if exact:
                url.assign(controls[slider.key], float(exact[0]))

    _component(key=key, data=message, on_release_change=released)
