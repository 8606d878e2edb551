"""The address bar is the share link: every control is bound to a query parameter.

Streamlit drops a bound parameter whose value it cannot use (``steps=banana``) silently; this
module notices, after the page has run, which parameters of the link were not honoured and says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import streamlit as st

from ui.presets import url_value

# Not widgets: Streamlit's own, and the name of the preset a link came from (ui.presets).
KNOWN_PARAMS = frozenset({"embed", "embed_options", "preset"})


@contextmanager
def checked_url_params(page: str) -> Iterator[None]:
    """Run a page; then warn, at the top of it, about link parameters it ignored.

    Only on the page's first run in a session, when the link has just been opened: later the
    page itself may move a value (a new surface, a new start) and that is no fault of the link.
    """
    checked = st.session_state.setdefault("_url_checked", set())
    if page in checked:
        yield
        return
    checked.add(page)
    requested = st.query_params.to_dict()
    slot = st.empty()
    yield
    kept = st.query_params.to_dict()  # Streamlit has removed the values it rejected
    ignored = [
        f"`{key}={value[:40]}`"
        for key, value in requested.items()
        if key not in KNOWN_PARAMS and not _honoured(key, value, kept.get(key))
    ]
    if ignored:
        slot.warning(
            "Some settings in the link were not valid here and were ignored (defaults used "
            "instead): " + ", ".join(ignored[:12]) + (" …" if len(ignored) > 12 else ""),
            icon="⚠️",
        )


def _honoured(key: str, raw: str, kept: str | None) -> bool:
    """A parameter counts as used if a widget took it: the URL kept it, or the widget holds it."""
    if key not in st.session_state:
        return False  # no widget of that name on this page
    if kept == raw:
        return True  # e.g. a select box whose URL value is its label, not its option
    value = st.session_state[key]
    if isinstance(value, bool):
        return raw.lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            return math.isclose(float(raw), float(value), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    if isinstance(value, list | tuple):
        return True  # multi-valued widgets: Streamlit validates each value itself
    return raw == url_value(key, value)  # a select box's label, say, when it equals the default


def share_link() -> None:
    """The current view as a link, in a code box with a copy button."""
    base = st.context.url.split("?")[0] if st.context.url else ""
    query = urlencode(st.query_params.to_dict())
    st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
