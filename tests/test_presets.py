"""Every page's presets, generically: each is a link on its page, and following it loads a view
that takes every setting in it, with the preset's note. Page tests check each preset's story."""

import importlib
from urllib.parse import urlencode

import pytest
from helpers import run_page

from ui.catalogue import PAGES
from ui.presets import preset_query

PRESETS = [
    (entry.path, name, values)
    for entry in PAGES
    for module in [importlib.import_module(entry.path.removesuffix(".py").replace("/", "."))]
    for name, (_, values) in getattr(module, "PRESETS", {}).items()
]


def test_every_page_with_presets_is_covered():
    assert {path for path, _, _ in PRESETS} == {entry.path for entry in PAGES}


@pytest.fixture(scope="module")
def sidebars():
    return {}


@pytest.mark.parametrize(("path", "name", "values"), PRESETS, ids=lambda v: str(v)[:40])
def test_preset_is_a_link_that_loads_exactly(path, name, values, sidebars):
    if path not in sidebars:
        sidebars[path] = [md.value for md in run_page(path).sidebar.markdown]
    query = preset_query(name, values)
    link = f"?{urlencode(query, doseq=True)}".replace("&", "&amp;")
    assert any(link in markdown for markdown in sidebars[path])

    at = run_page(path, {k: v for k, v in query.items() if not isinstance(v, list)})
    assert not at.exception and not at.warning  # every setting in the link was taken
    assert name in at.info[0].value
    for key, value in values.items():
        if not isinstance(value, list):  # AppTest's query params hold one value per key
            assert at.session_state[key] == value, key
