"""The address bar is the state: every control's value lives in the URL, written by us.

Streamlit 1.67's own ``bind="query-params"`` loses changes made in a row: after a full rerun, a
bound widget inside a fragment still changes the view but no longer the URL (seen in Chromium: move
"steps" in the sidebar, then run 1's η, and the link still says only ``steps=510``). So no widget is
bound; this module keeps the URL itself, on the server, with one source of truth per value:

- A link is *read* only when it is new to the session: the session's first run (a first visit, a
  shared or preset link, a reload, a new browser) and the browser's back and forward buttons
  (Streamlit flags those runs). Each control then takes its value from the link (``bind``), or its
  default where the link says nothing; values a control refuses are reported. The link is read
  until a run has drawn the page to its end, each control taking its value once, so a run cut
  short by the next change leaves the rest of the link to the next run.
- Otherwise the widgets' session state is the truth, and the query string that comes with a rerun
  is never read: it can be stale. The browser sends the address it holds, and it applies our
  write only after drawing the run that made it, often half a second later; comparing it with
  what we wrote once re-read an old address as a new link and undid the changes since.
- ``end_run`` (app.py, after the page) and every ``fragment`` rerun (after its body) write what
  the controls show back to the address bar, so the link is always exactly the view.
- Runs overlap: on a change, Streamlit starts the next run at once in a new thread and stops the
  old one only at its next Streamlit call, so for a moment both execute. Each run therefore
  records what it draws (and each control's default) in its own ``_Run`` (per thread), and only
  the session's newest run may commit them, finish reading a link or write the URL.
- A value the server moves (a default that follows another control, a range that shrank, a
  click on a chart) is *pushed* to the browser, which may have sent its next request before it
  received the push: Streamlit queues a fragment's reruns, so that request then runs with the
  value the push replaced. Until a request carries the pushed value, every run pushes the value
  it records again (``_Pushed``), so what the browser shows always ends equal to the record and
  the URL. A request still carrying the replaced value left before the push arrived: the pushed
  value is kept, once; any other value is the user's change since, and is kept.

Values travel as plain strings (``ui.specs.url_value``), the same for a preset link, a share link
and the address bar, so links can be built without running a page.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlencode

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from i18n import _
from ui.specs import url_value

# The preset a link came from (not a control), and the language control's key.
PRESET, LANGUAGE = "preset", "lang"
KNOWN = (PRESET,)
STATE = "_url_state"

Query = dict[str, list[str]]
# What the controls show: key -> (its URL text, None at the default; the fragment that drew it)
Record = dict[str, tuple[list[str] | None, str | None]]

# Tests only (test_browser_race.py): every run pauses this long (s) before the page and in each
# fragment, as a slow computation would, so that changes arrive while a run executes.
_PAUSE = float(os.environ.get("LAB_TEST_RUN_PAUSE", "0"))
_LOCK = threading.Lock()  # makes "am I the newest run?" and what follows from it one step
_THREAD = threading.local()  # the run this script thread is executing


class _Pushed(NamedTuple):
    """A value the server set on a control the browser already held, not yet seen in a request."""

    replaced: Any  # what the browser held before
    value: Any  # what was pushed
    again: bool = False  # pushed again for a request that left before the push arrived


class _Run:
    """One run of the page (or of fragments alone): what it has drawn so far."""

    def __init__(self, drawing: Record | None = None) -> None:
        self.drawing: Record = drawing or {}
        self.defaults: dict[str, Any] = {}  # each control's default in this run
        self.fragment: str | None = None  # the fragment whose body is running
        self.slot: Any = None  # where a link's refused settings are reported
        self.note: Callable[[], None] | None = None  # shows the preset's note while it holds


class _State:
    """Per session: the link being read, what the controls showed, what the address bar holds."""

    def __init__(self) -> None:
        self.link: Query | None = None  # the link being read: its values no control took yet
        self.taken: set[str] = set()  # controls already set from that link (or to a default)
        self.refused: list[str] = []  # "key=value" of that link that no control took
        self.preset: list[str] | None = None  # the preset the last link read came from
        self.opened: Query | None = None  # the view that link opened
        self.shown: Record = {}  # what the controls showed when the newest run ended
        self.written: Query | None = None  # the query last sent to the address bar
        self.current: _Run | None = None  # the session's newest run
        self.defaults: dict[str, Any] = {}  # each control's default in the last committed run
        self.assigned: set[str] = set()  # controls a callback set before this run (``assign``)
        self.pushed: dict[str, _Pushed] = {}  # values pushed to the browser, not yet seen back


def _state() -> _State:
    if STATE not in st.session_state:
        st.session_state[STATE] = _State()
    return st.session_state[STATE]


def _run() -> _Run:
    """The run this thread is executing (a fresh record if it has not begun one)."""
    if getattr(_THREAD, "run", None) is None:
        _THREAD.run = _Run()
    return _THREAD.run


def _start(state: _State, run: _Run) -> None:
    """Make ``run`` the session's newest: an older run still executing can no longer commit."""
    _THREAD.run = run
    with _LOCK:
        state.current = run


def _newest(state: _State, run: _Run) -> bool:
    return state.current is run


def _incoming() -> Query:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _fragment_alone() -> bool:
    """Whether this run reruns fragments only (not the page around them)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _back_or_forward() -> bool:
    """Whether the browser's back or forward button started this run."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and getattr(ctx, "is_history_navigation", False))


def begin_run() -> None:
    """Start a full run: read the link if it is new to this session. Call before the page."""
    new_session = STATE not in st.session_state
    state, run = _state(), _Run()
    _start(state, run)
    if new_session or _back_or_forward():
        incoming = _incoming()
        state.preset = incoming.pop(PRESET, None)
        state.link, state.taken, state.refused, state.opened = incoming, set(), [], None
    run.slot = st.empty()
    if _PAUSE:
        time.sleep(_PAUSE)


def _reading(state: _State, key: str) -> bool:
    """Whether control ``key`` is still to take its value from the link being read."""
    return state.link is not None and key not in state.taken


def peek(key: str) -> str | None:
    """What control ``key`` will show, before it is drawn: a new link's value, else the
    session's (the language must be known before the navigation is drawn)."""
    state = _state()
    if _reading(state, key):
        return state.link.get(key, [None])[0]
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
    state, run = _state(), _run()
    if not _newest(state, run):
        return True  # an older run, stopped at its next Streamlit call (this widget): touch nothing
    previous = state.defaults.get(key, default)
    run.defaults[key] = default
    if key in state.assigned:  # set by a callback (pushed, in ``assign``)
        state.assigned.discard(key)
        return True
    held = key in st.session_state
    browser = st.session_state.get(key)  # what this run's request says the control shows
    wrote, again = False, False
    pushed = state.pushed.pop(key, None)
    if held and pushed is not None and browser != pushed.value:
        stale = browser == pushed.replaced and not pushed.again  # left before the push arrived
        st.session_state[key] = pushed.value if stale else browser
        wrote, again = True, True
    if _reading(state, key):
        state.taken.add(key)
        raw = state.link.pop(key, None)
        value = default
        if raw is not None:
            try:
                value = parse(raw if len(raw) > 1 else raw[0])
            except (TypeError, ValueError):
                state.refused.append(f"{key}={','.join(raw)[:40]}")
        st.session_state[key], wrote = value, True
    elif key not in st.session_state or st.session_state[key] == previous != default:
        st.session_state[key], wrote = default, True  # new, or left at a default that has moved
    else:
        try:
            kept = normalize(st.session_state[key])
        except (TypeError, ValueError):
            kept = default
        if kept != st.session_state[key]:
            st.session_state[key], wrote = kept, True
    if wrote and held:
        state.pushed[key] = _Pushed(browser, st.session_state[key], again)
    return wrote


def refuse(key: str, text: str) -> None:
    """Report a link's value for ``key`` that could not be used (shown with the others)."""
    state = _state()
    if _newest(state, _run()):
        state.refused.append(f"{key}={text[:40]}")


def assign(key: str, value: Any) -> None:
    """Set control ``key`` from a callback (a click on a chart chooses a start point); the
    value wins over a link still being read."""
    state = _state()
    if key in st.session_state:
        state.pushed[key] = _Pushed(st.session_state[key], value)
    st.session_state[key] = value
    state.assigned.add(key)
    if state.link is not None:
        state.taken.add(key)
        state.link.pop(key, None)


def show(key: str, value: Any, default: Any) -> None:
    """Record what control ``key`` shows; the URL holds it unless it is the default."""
    run = _run()
    text = None if value == default else url_value(value)
    run.drawing[key] = (None if text is None else text if isinstance(text, list) else [text],
                        run.fragment)  # fmt: skip


def _query(state: _State, drawn: Record) -> Query:
    query = {key: text for key, (text, _owner) in drawn.items() if text is not None}
    # A preset's name stays in the link only while the view is still the one it opened (in
    # whichever language).
    if state.preset is not None and _view(query) == state.opened:
        query[PRESET] = state.preset
    return dict(sorted(query.items()))


def _view(query: Query) -> Query:
    return {k: v for k, v in query.items() if k not in (PRESET, LANGUAGE)}


def preset() -> str | None:
    """The preset the view came from, while it is still that preset's view (as the address bar
    last said), or while its link is being opened."""
    state = _state()
    if state.preset is None or (state.link is None and PRESET not in (state.written or {})):
        return None
    return state.preset[0]


def preset_holds() -> bool:
    """Whether the view is still the one its preset link opened (so its note still applies)."""
    return PRESET in _query(_state(), _run().drawing)


def on_preset_holds(show_note: Callable[[], None]) -> None:
    """Call ``show_note`` at the end of the run if the preset link's view still stands."""
    _run().note = show_note


def _write(state: _State, run: _Run) -> None:
    """Send the view's query to the address bar (unless it is there already), if ``run`` is
    the newest. A run stopped by the next change raises in ``from_dict`` before anything is
    sent, and ``written`` stays as it was."""
    with _LOCK:
        if not _newest(state, run):
            return
        query = _query(state, run.drawing)
        if query != state.written or query != _incoming():
            st.query_params.from_dict({k: v[0] if len(v) == 1 else v for k, v in query.items()})
        state.written = query


def end_run() -> None:
    """Finish a full run: say which settings of a new link were not used, write the URL."""
    state, run = _state(), _run()
    if not _newest(state, run):
        return
    if state.link is not None:
        unused = [f"{key}={','.join(raw)[:40]}" for key, raw in state.link.items()
                  if key not in KNOWN]  # fmt: skip
        refused = state.refused + unused
        if refused:
            shown = ", ".join(f"`{item}`" for item in refused[:12])
            more = " …" if len(refused) > 12 else ""
            run.slot.warning(
                _("Some settings in the link were not valid here and were ignored (defaults used "
                  "instead): {settings}").format(settings=shown + more),
                icon="⚠️",
            )  # fmt: skip
    with _LOCK:
        if not _newest(state, run):
            return
        if state.link is not None:  # read to its end: from now on the session is the truth
            state.link, state.opened = None, _view(_query(state, run.drawing))
        state.shown = run.drawing
        state.defaults.update(run.defaults)
    if run.note is not None and preset_holds():
        run.note()
    _write(state, run)


def fragment(body: Callable[..., None]) -> Callable[..., None]:
    """``st.fragment`` whose controls keep the URL up to date when only the fragment reruns."""
    owner = body.__qualname__

    @st.fragment
    @functools.wraps(body)
    def run_fragment(*args: Any, **kwargs: Any) -> None:
        state = _state()
        alone = _fragment_alone()
        if alone:  # the rest of the page keeps what it showed; this fragment redraws its part
            run = _Run({k: v for k, v in state.shown.items() if v[1] != owner})
            _start(state, run)
        else:
            run = _run()
        run.fragment = owner
        try:
            if _PAUSE:
                time.sleep(_PAUSE)
            body(*args, **kwargs)
        finally:
            run.fragment = None
        if alone and state.link is None:  # in a full run, end_run writes the URL
            with _LOCK:
                if not _newest(state, run):
                    return
                state.shown = run.drawing
                state.defaults.update(run.defaults)
            held = PRESET in (state.written or {})
            _write(state, run)
            if held and PRESET not in (state.written or {}):
                st.rerun()  # the preset's note, outside the fragment, no longer applies

    return run_fragment


def current_query() -> dict[str, list[str]]:
    """The view's query parameters as they stand in this run (before a run has begun in this
    thread, a callback say: as the last run left them)."""
    state, run = _state(), getattr(_THREAD, "run", None)
    return _query(state, state.shown if run is None else run.drawing)


def share_link() -> None:
    """The current view as a link, in a code box with a copy button."""
    base = st.context.url.split("?")[0] if st.context.url else ""
    query = urlencode(current_query(), doseq=True)
    st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
