"""Streamlit helpers shared by the pages: URL-bound controls, share links, cached core calls.

Everything that touches Streamlit and is used by more than one page lives here, so the pages stay
thin and the core (surfaces/, optimizers/, viz/) stays free of Streamlit.
"""
