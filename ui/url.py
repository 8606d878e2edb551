"""The address bar is the state: every control's value lives in the URL, written by us.

Streamlit 1.67's own ``bind="query-params"`` loses changes made in a row: after a full rerun, a
bound widget inside a fragment still changes the view but no longer the URL (seen in Chromium: move
"steps" in the sidebar, then run 1's η, and the link still says only ``steps=510``). So no widget is
bound; this module keeps the URL itself, on the server:

- ``begin_run`` (app.py, before the page) notices a link that is new to the session: a first visit,
  a preset link, the browser's back button. Then every control takes its value from that link
  (``bind``), or its default where the link says nothing; values a control refuses are reported.
- Otherwise the widgets' session state is the truth, and each control records what it shows.
- ``end_run`` (app.py, after the page) and every ``fragment`` (after its body) write the recorded
  non-default values back to the address bar, so the link is always exactly the view.

Values travel as plain strings (``ui.specs.url_value``), the same for a preset link, a share link
and the address bar, so links can be built without running a page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from i18n import _
from ui.specs import url_value

# The preset a link came from (not a control), and the language control's key.
PRESET, LANGUAGE = "preset", "lang"
KNOWN = (PRESET,)
STATE = "_url_state"


class _State:
    """Per session: what this run reads from the link and what it shows."""

    def __init__(self) -> None:
        self.written: dict[str, list[str]] = {}  # the query we last wrote (or the link opened)
        self.seeds: dict[str, list[str]] | None = None  # a new link's values, this run only
        self.refused: list[str] = []  # "key=value" of the new link that no control took
        self.shown: dict[str, tuple[list[str] | None, str | None]] = {}  # key -> (URL, fragment)
        self.fragment: str | None = None
        self.in_fragment: set[str] = set()
        self.slot: Any = None
        self.opened: dict[str, list[str]] | None = None  # the view a preset link opened
        self.note: Callable[[], None] | None = None  # shows the preset's note while it holds
        self.defaults: dict[str, Any] = {}  # each control's default when it was last drawn
        self.assigned: set[str] = set()  # controls a callback set before this run (``assign``)


def _state() -> _State:
    if STATE not in st.session_state:
        st.session_state[STATE] = _State()
    return st.session_state[STATE]


def _incoming() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def begin_run() -> None:
    """Start a full run: read the link if it is new to this session. Call before the page."""
    state = _state()
    incoming = _incoming()
    state.shown = {}
    state.refused = []
    state.seeds = incoming if incoming != state.written else None
    state.slot = st.empty()
    state.note = None


def peek(key: str) -> str | None:
    """What control ``key`` will show, before it is drawn: a new link's value, else the
    session's (the language must be known before the navigation is drawn)."""
    state = _state()
    if state.seeds is not None:
        return state.seeds.get(key, [None])[0]
    value = st.session_state.get(key)
    return None if value is None else str(value)


def bind(
    key: str,
    default: Any,
    parse: Callable[[str | list[str]], Any],
    normalize: Callable[[Any], Any],
) -> bool:
    """Put the value control ``key`` must show into its session state, before its widget.

    ``parse`` turns the link's text into a value or raises ValueError (the value is then refused
    and the default shown). ``normalize`` moves a kept value into a range that has since changed
    (a surface with a smaller domain), so no widget ever receives a value it cannot hold.
    Returns whether the session state was written in this run.
    """
    state = _state()
    previous, state.defaults[key] = state.defaults.get(key, default), default
    if key in state.assigned:
        state.assigned.discard(key)
        return True
    if state.seeds is not None:
        raw = state.seeds.get(key)
        value = default
        if raw is not None:
            try:
                value = parse(raw if len(raw) > 1 else raw[0])
            except (TypeError, ValueError):
                state.refused.append(f"{key}={','.join(raw)[:40]}")
        st.session_state[key] = value
        return True
    if key not in st.session_state or st.session_state[key] == previous != default:
        st.session_state[key] = default  # new, or left at a default that has moved
        return True
    try:
        kept = normalize(st.session_state[key])
    except (TypeError, ValueError):
        kept = default
    if kept != st.session_state[key]:
        st.session_state[key] = kept
        return True
    return False


def refuse(key: str, text: str) -> None:
    """Report a link's value for ``key`` that could not be used (shown with the others)."""
    _state().refused.append(f"{key}={text[:40]}")


def assign(key: str, value: Any) -> None:
    """Set control ``key`` from a callback (a click on a chart chooses a start point)."""
    st.session_state[key] = value
    _state().assigned.add(key)


def show(key: str, value: Any, default: Any) -> None:
    """Record what control ``key`` shows; the URL holds it unless it is the default."""
    state = _state()
    text = None if value == default else url_value(value)
    state.shown[key] = (None if text is None else text if isinstance(text, list) else [text],
                        state.fragment)  # fmt: skip
    if state.fragment is not None:
        state.in_fragment.add(key)


def _query(state: _State) -> dict[str, list[str]]:
    query = {key: text for key, (text, _owner) in state.shown.items() if text is not None}
    current = _incoming()
    # A preset's name stays in the link only while the view is still the one it opened (in
    # whichever language).
    if PRESET in current and _view(query) == state.opened:
        query[PRESET] = current[PRESET]
    return dict(sorted(query.items()))


def _view(query: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in query.items() if k not in (PRESET, LANGUAGE)}


def preset_holds() -> bool:
    """Whether the view is still the one its preset link opened (so its note still applies)."""
    return PRESET in _query(_state())


def on_preset_holds(show_note: Callable[[], None]) -> None:
    """Call ``show_note`` at the end of the run if the preset link's view still stands."""
    _state().note = show_note


def _write(state: _State) -> None:
    query = _query(state)
    if query != _incoming():
        st.query_params.from_dict({k: v[0] if len(v) == 1 else v for k, v in query.items()})
    state.written = query


def end_run() -> None:
    """Finish a full run: say which settings of a new link were not used, write the URL."""
    state = _state()
    if state.seeds is not None:
        unused = [
            f"{key}={','.join(raw)[:40]}"
            for key, raw in state.seeds.items()
            if key not in state.shown and key not in KNOWN
        ]
        refused = state.refused + unused
        if refused:
            shown = ", ".join(f"`{item}`" for item in refused[:12])
            more = " …" if len(refused) > 12 else ""
            state.slot.warning(
                _("Some settings in the link were not valid here and were ignored (defaults used "
                  "instead): {settings}").format(settings=shown + more),
                icon="⚠️",
            )  # fmt: skip
        state.opened = _view(_query(state))
    state.seeds = None
    if state.note is not None and preset_holds():
        state.note()
    _write(state)


def fragment(body: Callable[..., None]) -> Callable[..., None]:
    """``st.fragment`` whose controls keep the URL up to date when only the fragment reruns."""

    @st.fragment
    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> None:
        state = _state()
        state.fragment, state.in_fragment = body.__qualname__, set()
        try:
            body(*args, **kwargs)
        finally:
            # Controls the fragment drew last time but not now (another optimizer's settings).
            for key in [k for k, (_, owner) in state.shown.items() if owner == state.fragment]:
                if key not in state.in_fragment:
                    del state.shown[key]
            state.fragment = None
        if state.seeds is None:  # a fragment rerun; a full run writes the URL at its end
            held = PRESET in state.written
            _write(state)
            if held and PRESET not in state.written:
                st.rerun()  # the preset's note, outside the fragment, no longer applies

    return run


def current_query() -> dict[str, list[str]]:
    """The view's query parameters as they stand in this run."""
    return _query(_state())


def share_link() -> None:
    """The current view as a link, in a code box with a copy button."""
    base = st.context.url.split("?")[0] if st.context.url else ""
    query = urlencode(current_query(), doseq=True)
    st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
