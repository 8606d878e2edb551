"""The Chinese catalog: every string the app shows has a translation that keeps its placeholders,
the compiled .mo and the .pot are current with the code, and no page in Chinese shows English."""

from __future__ import annotations

import gettext
import re
import string
import threading

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from google.protobuf.message import Message
from helpers import ROOT, figures, run_page

import i18n
from optimizers import OPTIMIZERS
from ui.catalogue import PAGES

I18N = ROOT / "i18n"
POT = I18N / "messages.pot"
PO = I18N / "locale" / "zh" / "LC_MESSAGES" / "messages.po"


def catalog(path):
    with path.open("rb") as file:
        return read_po(file)


def test_every_string_has_a_chinese_translation():
    chinese = {m.id: m.string for m in catalog(PO) if m.id}
    missing = [m.id for m in catalog(POT) if m.id and not chinese.get(m.id)]
    fuzzy = [m.id for m in catalog(PO) if m.id and m.fuzzy]
    assert not missing, f"untranslated (run scripts/translations.sh, translate): {missing}"
    assert not fuzzy, fuzzy


def placeholders(text: str) -> list[str]:
    """str.format fields (name, conversion, format spec), Plotly's %{...} and printf-style
    formats; "1 % of" is prose, not the format "% o"."""
    fields = [f"{{{name}!{conv}:{spec}}}" for _, name, spec, conv in string.Formatter().parse(text)
              if name is not None]  # fmt: skip
    return sorted(fields + re.findall(r"%\{[^}]*\}|%(?:\(\w+\))?[-#0+]?\d*(?:\.\d+)?[dfgs]", text))


def test_translations_keep_every_placeholder():
    changed = [(m.id, m.string) for m in catalog(PO)
               if m.id and m.string and placeholders(m.id) != placeholders(m.string)]  # fmt: skip
    assert not changed, changed


def test_the_compiled_catalog_is_the_po():
    """The .mo the app reads, read back by gettext, holds exactly the .po's translations."""
    with PO.with_suffix(".mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)._catalog
    expected = {m.id: m.string for m in catalog(PO) if m.id and m.string}
    assert {k: v for k, v in compiled.items() if k} == expected, "run scripts/translations.sh"


def test_the_template_holds_every_string_of_the_code():
    """A new _("...") or N_("...") not yet extracted (or one removed) fails here."""
    with (I18N / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = DEFAULT_KEYWORDS | {"N_": None}
    found = {message for _, _, message, *_ in extract_from_dir(ROOT, method_map, options_map,
                                                                keywords=keywords)}  # fmt: skip
    assert found == {m.id for m in catalog(POT) if m.id}, "run scripts/translations.sh"


def in_a_fresh_thread(function):
    """``function()`` run as a Streamlit fragment rerun is: in a new thread, its own context."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_a_run_without_its_own_language_speaks_the_sessions(monkeypatch):
    """A fragment rerun or a callback runs without app.py's set_language: _() asks the session
    (ui.language registers it), and a run that set its own language keeps it."""
    monkeypatch.setattr(i18n, "_session_language", None)
    i18n.follow(lambda: "zh")
    assert in_a_fresh_thread(lambda: i18n._("Home")) == "主页"

    def set_english():
        i18n.set_language("en")
        return i18n._("Home")

    assert in_a_fresh_thread(set_english) == "Home"
    i18n.follow(lambda: None)  # no session (a test's own thread): the default
    assert in_a_fresh_thread(lambda: i18n._("Home")) == "Home"


# ---- Pages in Chinese ----------------------------------------------------------------------------

# Words that stay in Latin letters: optimizer names (and their keys in the app), library, layer
# and activation names, people's names (authors, test functions), file formats, formula
# functions, and the language switch itself, which names English in English.
KEEP = {
    *OPTIMIZERS, "AMSGrad", "RMSProp", "Adagrad", "AdamW", "SGD", "Nesterov", "noam",
    "PyTorch", "torch", "dampening", "BatchNorm", "NumPy", "Transformer", "ResNet",
    "softmax", "logit", "tanh", "ReLU", "sigmoid", "RBF",
    "Polyak", "Frye", "Baldi", "Hornik", "GPU", "MLP", "Dinh",
    "Santurkar", "Cohen", "Himmelblau", "Rosenbrock", "Beale", "Booth", "Matyas",
    "McCormick", "Goldstein", "Price", "Styblinski", "Tang", "Rastrigin", "Ackley",
    "CSV", "HTML", "GIF", "sin", "cos", "exp", "log", "sqrt", "abs", "min", "max",
    "English", "Language",
}  # fmt: skip
KEEP = {word.lower() for word in KEEP}
STRIP = re.compile(
    r"<style.*?</style>|<[^>]+>"  # HTML
    r"|\$\$.*?\$\$|\$[^$]*\$"  # LaTeX
    r"|\w+(?:[._=]\w+)+",  # code and subscripted names: torch.optim, nesterov=True, θ_final
    re.S,
)
TEXT_FIELDS = {"label", "help", "body", "options", "content", "placeholder", "delta"}
NOT_PROSE = {"Html", "Code", "Latex", "PlotlyChart"}  # styles, the share link, formulas, figures


def proto_texts(message: Message):
    """Every label, help, body and option in an element's protobuf, nested ones included."""
    for field, value in message.ListFields():
        for item in value if type(value).__name__.startswith("Repeated") else [value]:
            if isinstance(item, Message):
                yield from proto_texts(item)
            elif isinstance(item, str) and field.name in TEXT_FIELDS:
                yield item


def element_texts(node):
    for child in getattr(node, "children", {}).values():
        proto = getattr(child, "proto", None)
        if proto is not None and type(proto).__name__ not in NOT_PROSE:
            yield from proto_texts(proto)
        yield from element_texts(child)


def figure_texts(figure: dict):
    """Titles, axis titles, legend entries, annotations and the Play buttons of a figure."""

    def title(part):
        text = (part or {}).get("title")
        return text.get("text") if isinstance(text, dict) else text

    layout = figure.get("layout", {})
    parts = [layout, layout.get("legend")]
    parts += [axis for key, axis in layout.items() if re.fullmatch(r"[xy]axis\d*", key)]
    for key, scene in layout.items():
        if key.startswith("scene"):
            parts += [scene.get(axis) for axis in ("xaxis", "yaxis", "zaxis")]
    for trace in figure.get("data", []):
        parts += [trace.get("colorbar"), (trace.get("marker") or {}).get("colorbar")]
        if trace.get("showlegend", True):
            yield trace.get("name")
    yield from (title(part) for part in parts)
    yield from (note.get("text") for note in layout.get("annotations", []))
    yield from (button.get("label") for menu in layout.get("updatemenus", [])
                for button in menu.get("buttons", []))  # fmt: skip
    for slider in layout.get("sliders", []):
        yield (slider.get("currentvalue") or {}).get("prefix")


def table_texts(at):
    for element in [*at.table, *at.dataframe]:
        frame = element.value
        yield from map(str, [*frame.columns, *(n for n in frame.index.names if n is not None)])
        for column in frame.columns:
            if frame[column].dtype == object:
                yield from map(str, frame[column])


def english(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z]{3,}", STRIP.sub(" ", text))
    return {word for word in words if word.lower() not in KEEP}


@pytest.mark.parametrize("page", ["views/home.py", *(entry.path for entry in PAGES)])
def test_a_page_in_chinese_shows_no_english(page):
    at = run_page(page, {"lang": "zh"}, timeout=300)
    assert not at.exception, at.exception
    texts = [*element_texts(at._tree), *table_texts(at)]
    texts += [text for figure in figures(at) for text in figure_texts(figure) if text]
    found = {text: words for text in texts if (words := english(str(text)))}
    assert not found, "\n".join(f"{sorted(words)} in {text!r}" for text, words in found.items())
