"""Presets are links: each opens its page afresh from a URL, exactly as a shared link would.

A page declares ``PRESETS = {name: Preset(note, {control key: value})}`` with values as the
controls hold them. Links are built from those values alone (``ui.specs.url_query``), so they do
not depend on anything a page does when it runs. Opening one shows its note, for as long as the
view is still the one the preset set up.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

import streamlit as st

from i18n import _
from ui import url
from ui.specs import url_query


class Preset(NamedTuple):
    note: str  # what to look at, shown while the preset's view stands
    values: Mapping[str, Any]  # control key -> value; every other control at its default


Presets = Mapping[str, Preset]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def preset_query(name: str, values: Mapping[str, Any]) -> dict[str, str | list[str]]:
    return {url.PRESET: slug(name)} | url_query(dict(values))


def preset_href(name: str, preset: Preset) -> str:
    return "?" + urlencode(preset_query(name, preset.values), doseq=True)


def preset_links(presets: Presets) -> None:
    """One link per preset, in the current container, with its note as a tooltip (one element,
    so a page rerun has one thing less to redraw per preset)."""
    chosen = url.preset()
    links = []
    for name, preset in presets.items():
        style = "preset-link chosen" if slug(name) == chosen else "preset-link"
        links.append(
            f'<a class="{style}" href="{html.escape(preset_href(name, preset))}" target="_self" '
            f'title="{html.escape(_(preset.note))}">{html.escape(_(name))}</a>'
        )
    st.markdown(
        "<style>a.preset-link{display:block;padding:.45rem .8rem;margin:0 0 .5rem;"
        "border:1px solid rgba(250,250,250,.2);border-radius:.5rem;text-decoration:none;"
        "color:inherit}a.preset-link:hover{border-color:#ff6b4b;color:#ff6b4b}"
        "a.preset-link.chosen{border-color:#ff6b4b}</style>" + "".join(links),
        unsafe_allow_html=True,
    )


def preset_note(presets: Presets) -> None:
    """A place for the chosen preset's note, filled at the end of the run if the view is still
    the preset's (after any change to it, the note no longer describes what is on screen)."""
    chosen = url.preset()
    name = next((name for name in presets if slug(name) == chosen), None)
    if name is not None:
        slot = st.empty()
        text = _("**{name}.** {note}").format(name=_(name), note=_(presets[name].note))
        url.on_preset_holds(lambda: slot.info(text, icon="📖"))
