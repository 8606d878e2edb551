"""Every page's presets, generically: each is a link on its page, and following it loads a view
that takes every setting in it, with the preset's note. Page tests check each preset's story."""

import html
import importlib

import pytest
from helpers import link, run_page

from ui.catalogue import PAGES
from ui.presets import Preset, preset_href, preset_query

PRESETS = [
    (entry.path, name, preset)
    for entry in PAGES
    for module in [importlib.import_module(entry.path.removesuffix(".py").replace("/", "."))]
    for name, preset in getattr(module, "PRESETS", {}).items()
]


def test_every_page_with_presets_is_covered():
    assert {path for path, _, _ in PRESETS} == {entry.path for entry in PAGES}
    assert all(isinstance(preset, Preset) for _, _, preset in PRESETS)


@pytest.fixture(scope="module")
def sidebars():
    return {}


@pytest.mark.parametrize(("path", "name", "preset"), PRESETS, ids=lambda v: str(v)[:40])
def test_preset_is_a_link_that_loads_exactly(path, name, preset, sidebars):
    if path not in sidebars:
        sidebars[path] = [md.value for md in run_page(path).sidebar.markdown]
    assert any(html.escape(preset_href(name, preset)) in md for md in sidebars[path])

    query = preset_query(name, preset.values)
    at = run_page(path, {k: v for k, v in query.items() if not isinstance(v, list)})
    assert not at.exception and not at.warning  # every setting in the link was taken
    assert name in at.info[0].value
    for key, value in preset.values.items():
        if not isinstance(value, list):  # AppTest's query params hold one value per key
            assert at.session_state[key] == value, key
    assert "preset" in link(at)  # the view is the preset's, so its name stays
