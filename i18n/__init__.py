"""The app's languages: English (the source strings) and Chinese, from gettext catalogs.

Mark every user-visible string with ``_()`` where it is shown, with placeholders filled after
translation: ``_("{n} critical points found").format(n=n)``, never ``_(f"...")``. Strings defined
before a language is known (declarations, constants) are marked with ``N_()`` and translated
with ``_()`` where they are shown. The language is per script run (a context variable), so two
students on one server each see their own; a cached function whose result holds text takes the
language as an argument. Where a run has set none (a Streamlit fragment rerun or a callback runs
in a fresh thread, without app.py), the session's language is asked for (``follow``).

Catalogs: ``i18n/locale/<language>/LC_MESSAGES/messages.po`` (and the compiled ``.mo``).
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
_language: ContextVar[str] = ContextVar("language")
_session_language: Callable[[], str | None] | None = None  # the UI's, given to follow()


@functools.cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation("messages", LOCALES, languages=[language], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language (itself where no translation exists)."""
    return _catalog(language()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; ``_()`` translates it when shown."""
    return message


def language() -> str:
    """This run's language, else the session's (``follow``), else the default."""
    code = _language.get(None)
    if code is None and _session_language is not None:
        code = _session_language()
    return code if code in LANGUAGES else DEFAULT


def follow(session_language: Callable[[], str | None]) -> None:
    """Where to find the language when the running context set none: the UI's session."""
    global _session_language
    _session_language = session_language


def set_language(code: str) -> None:
    """Use ``code`` (a key of LANGUAGES) for the rest of this script run."""
    _language.set(code if code in LANGUAGES else DEFAULT)


@contextmanager
def use(code: str) -> Iterator[None]:
    """Use ``code`` inside the block (cached functions building text for a given language)."""
    token = _language.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _language.reset(token)
