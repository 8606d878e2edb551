"""Every page of the app runs without exception, through app.py's navigation; pages run nothing
when imported."""

import importlib
from pathlib import Path

import pytest
from helpers import run_page

from ui.catalogue import PAGES

ALL = ["views/home.py", *(entry.path for entry in PAGES)]


@pytest.mark.parametrize("path", ALL)
def test_page_runs_without_exception(path):
    at = run_page(path)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]  # no URL given, nothing to warn about


@pytest.mark.parametrize("path", ALL)
def test_a_page_is_a_function_and_importing_it_draws_nothing(path):
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(module.page)


def test_home_links_every_page():
    at = run_page("views/home.py")
    linked = [link.proto.page for link in at.get("page_link")]
    assert linked == [Path(entry.path).stem for entry in PAGES]
