"""The page's language: the link's ``lang`` if it has one, else the browser's, switchable in the
sidebar; a shared link keeps it (``lang`` is in the URL whenever it is not English)."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import i18n
from ui import url
from ui.controls import choice

KEY = url.LANGUAGE


def _session_language() -> str | None:
    """The language the session's last full run chose: a fragment rerun or a callback runs in a
    fresh thread, without ``choose``, and would otherwise speak the default."""
    if get_script_run_ctx(suppress_warning=True) is None:  # no session here (a test's own thread)
        return None
    return st.session_state.get(KEY)


i18n.follow(_session_language)


def choose() -> str:
    """Decide this run's language before anything is drawn, and use it."""
    language = url.peek(KEY)
    if language is not None and language not in i18n.LANGUAGES:
        url.refuse(KEY, language)
    if language not in i18n.LANGUAGES:
        locale = (st.context.locale or "").lower()
        language = next((code for code in i18n.LANGUAGES if locale.startswith(code)), i18n.DEFAULT)
    url.assign(KEY, language)  # so the switch shows it, and the link holds it unless "en"
    i18n.set_language(language)
    return language


def switch() -> None:
    """中文 / English, in the sidebar."""
    choice(
        "Language / 语言", KEY, list(i18n.LANGUAGES), i18n.DEFAULT,
        labels=i18n.LANGUAGES.get, widget="segmented", label_visibility="collapsed",
    )  # fmt: skip
