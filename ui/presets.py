"""Presets are links: each opens its page afresh from a URL, exactly as a shared link would.

Writing a preset into ``st.session_state`` cannot reset the controls it does not name: a bound
widget whose state is cleared re-reads the link the session started from, so old settings leak
back and the address bar no longer matches the view. A preset link starts a clean view instead,
and is itself a link that can be shared.

A page declares ``PRESETS = {name: (note, {widget key: value})}`` with values as the widgets hold
them; ``preset_links`` turns them into links and ``preset_note`` shows the chosen one's note.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import streamlit as st

PARAM = "preset"
# How a widget writes its value into the URL, where that is not str(value): select boxes with a
# format_func write the label they show. Filled in by the controls that create such widgets.
URL_FORMATS: dict[str, Callable[[Any], str]] = {}

Presets = Mapping[str, tuple[str, Mapping[str, Any]]]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def url_value(key: str, value: Any) -> str | list[str]:
    if isinstance(value, list | tuple):  # a multiselect: the key repeats in the URL
        return [str(url_value(key, item)) for item in value]
    if key in URL_FORMATS:
        return URL_FORMATS[key](value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def preset_query(name: str, values: Mapping[str, Any]) -> dict[str, str | list[str]]:
    return {PARAM: slug(name)} | {key: url_value(key, value) for key, value in values.items()}


def preset_links(presets: Presets) -> None:
    """One link per preset, in the current container, with its note as a tooltip (one element,
    so a page rerun has one thing less to redraw per preset)."""
    chosen = st.query_params.get(PARAM)
    links = []
    for name, (note, values) in presets.items():
        style = "preset-link chosen" if slug(name) == chosen else "preset-link"
        query = html.escape(urlencode(preset_query(name, values), doseq=True))
        links.append(
            f'<a class="{style}" href="?{query}" target="_self" '
            f'title="{html.escape(note)}">{html.escape(name)}</a>'
        )
    st.markdown(
        "<style>a.preset-link{display:block;padding:.45rem .8rem;margin:0 0 .5rem;"
        "border:1px solid rgba(250,250,250,.2);border-radius:.5rem;text-decoration:none;"
        "color:inherit}a.preset-link:hover{border-color:#ff6b4b;color:#ff6b4b}"
        "a.preset-link.chosen{border-color:#ff6b4b}</style>" + "".join(links),
        unsafe_allow_html=True,
    )


def preset_note(presets: Presets) -> None:
    """The chosen preset's note: what to look at."""
    chosen = st.query_params.get(PARAM)
    for name, (note, _) in presets.items():
        if slug(name) == chosen:
            st.info(f"**{name}.** {note}", icon="📖")
