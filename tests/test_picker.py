"""The optimizer picker on every page that lists optimizers, with every optimizer it offers: the
page runs without an exception, the link holds the choice and every hyperparameter, and a new
session opened on that link shows the same controls. An optimizer added to ``OPTIMIZERS`` is
exercised here at once, and so is the picker's fallback for a hyperparameter the core leaves
bare."""

from __future__ import annotations

import pytest
from helpers import link, run_page

from optimizers import OPTIMIZERS, Control, hyper_controls, make_optimizer
from ui.catalogue import PAGES
from ui.specs import url_value

# page -> the optimizer pickers' keys on it (ui.controls.optimizer_picker writes key + "_opt"),
# and the rest of the link: the sweeps' chosen optimizers (all of them, so the run on show can be
# any), the networks page's small survey (tests/test_page_networks.py)
PICKERS = {
    "views/playground.py": (("r0", "r1", "r2"), {}),
    "views/sweeps.py": (("sw_a", "sw_b"), {"sw_opts": list(OPTIMIZERS)}),
    "views/loss_functions.py": (("lf_r",), {}),
    "views/networks.py": (("nwo",), {"nw_runs": "4", "nw_steps": "300", "nw_refine": "10"}),
    "views/normalization.py": (("bn_run",), {}),
}
# choices of an optimizer that are not optimizer_picker's: the sweeps' run on show (among the
# swept ones) and the normalization network's optimizer (three of them, torch's defaults)
OTHER_CHOICES = {"views/sweeps.py": ("sw_run_opt",), "views/normalization.py": ("bnn_opt",)}


def controls(at, prefixes) -> dict[str, object]:
    """Every keyed widget of the pickers with these key prefixes, by key: what a person sees."""
    found = {}
    for kind in ("selectbox", "slider", "select_slider", "number_input", "checkbox", "radio"):
        for widget in at.get(kind):
            key = getattr(widget, "key", None)
            if key and any(key.startswith(f"{p}_") for p in prefixes):
                found[key] = widget.value
    return found


def other_values(key: str, name: str) -> dict[str, str]:
    """A link's entries giving every hyperparameter of ``name`` a value other than its default
    (one of the control's own values), for the picker ``key``."""
    query = {}
    defaults = make_optimizer(name).hyper
    for field, control in hyper_controls(name).items():
        parts = control.parts or (control,)
        values = defaults[field] if control.parts else (defaults[field],)
        for i, (part, default) in enumerate(zip(parts, values, strict=True)):
            url_key = f"{key}_{field}{i + 1}" if control.parts else f"{key}_{field}"
            if isinstance(default, bool):
                other = not default
            elif part.choices:
                other = next(c for c in part.choices if c != default)
            else:
                other = part.high if default != part.high else part.low
            query[url_key] = url_value(other)
    return query


def test_every_page_that_lists_optimizers_is_here():
    """A page given an optimizer picker (a select box of optimizer names) joins PICKERS."""
    names = set(OPTIMIZERS)
    for entry in PAGES:
        at = run_page(entry.path, timeout=300)
        assert not at.exception, entry.path
        found = {box.key for box in at.selectbox if box.key and set(box.options) <= names}
        pickers, _ = PICKERS.get(entry.path, ((), {}))
        expected = {f"{key}_opt" for key in pickers} | set(OTHER_CHOICES.get(entry.path, ()))
        assert found == expected, entry.path


@pytest.mark.parametrize("page", PICKERS)
def test_the_picker_shows_every_optimizer_and_the_link_round_trips(page):
    keys, query = PICKERS[page]
    at = run_page(page, query, timeout=300)
    assert not at.exception
    offered = at.selectbox(key=f"{keys[0]}_opt").options
    if page != "views/normalization.py":  # it keeps to SGD, momentum and Adam on purpose
        assert offered == list(OPTIMIZERS)
    for name in offered:
        for key in keys:  # chosen by hand, as a person does
            at.selectbox(key=f"{key}_opt").set_value(name)
        at.run(timeout=300)
        assert not at.exception, name
        for key in keys:
            assert at.selectbox(key=f"{key}_opt").value == name
            assert link(at).get(f"{key}_opt", name) == name  # a default is left out
        # a new session on the link, with every hyperparameter changed, shows them all and
        # keeps them in its own link
        changed = other_values(keys[0], name)
        shared = link(at) | changed
        again = run_page(page, shared, timeout=300)
        assert not again.exception, name
        assert link(again) == shared, name
        shown = controls(again, keys)
        for key in keys:
            assert shown[f"{key}_opt"] == name
        for url_key, value in changed.items():
            assert url_value(shown[url_key]) == value, (name, url_key)


def test_a_hyperparameter_the_core_leaves_bare_gets_a_number_box(monkeypatch):
    """The picker reads every control from the core; one declared without values (a new
    hyperparameter nobody described) still shows, as a plain number box named after it."""
    import optimizers.rules as rules

    bare = rules._DECLARED["adadelta"]
    monkeypatch.setitem(
        rules._DECLARED,
        "adadelta",
        bare._replace(controls=bare.controls | {"rho": Control("rho")}),
    )
    at = run_page("views/loss_functions.py", {"lf_r_opt": "adadelta", "lf_r_rho": "0.5"})
    assert not at.exception
    box = at.number_input(key="lf_r_rho")
    assert box.label == "rho" and box.value == 0.5
    assert link(at)["lf_r_rho"] == "0.5"


# ---- In a browser: the run cards on a projector --------------------------------------------------

# Per label, select box value and button in the run cards: cut (its text wider than its box) or
# broken inside a word (a word whose characters lie on more than one line).
CARD_DEFECTS = """() => {
    const out = [];
    const cards = document.querySelectorAll('.st-key-run_cards [data-testid=stVerticalBlock]');
    for (const card of cards) {
        const texts = card.querySelectorAll('[data-testid=stWidgetLabel] p, '
            + '[data-testid=stPopover] button p, [data-baseweb=select] div[value], '
            + '[data-testid=stMarkdownContainer] p');
        for (const el of texts) {
            if (el.scrollWidth > el.clientWidth + 1) out.push(['cut', el.textContent]);
            const node = [...el.childNodes].find(n => n.nodeType === Node.TEXT_NODE);
            if (!node) continue;
            let at = 0;
            for (const word of node.textContent.split(' ')) {
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                if (word.length > 1 && lines.size > 1) out.push(['broken', word]);
                at += word.length + 1;
            }
        }
    }
    return [cards.length, out];
}"""


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("viewport", "scale"),
    [((853, 480), 1.5), ((1366, 768), 1.0)],
    ids=["1280x720 at 150 %", "1366x768"],
)
def test_run_cards_keep_their_labels_whole(app_url, browser, viewport, scale, lang):
    """A projector at 1280×720 and 150 % zoom (853×480 CSS pixels at scale 1.5) and a laptop:
    no label, optimizer name or button text in the playground's run cards is cut or broken
    inside a word, with the longest optimizer names on show."""
    from helpers import screenshot, wait_idle

    from views.playground import MAX_RUNS

    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=scale
    )
    tab = context.new_page()
    longest = sorted(OPTIMIZERS, key=len, reverse=True)[:MAX_RUNS]
    names = {f"r{i}_opt": name for i, name in enumerate(longest)}
    query = "&".join(f"{key}={name}" for key, name in names.items())
    tab.goto(f"{app_url}/playground?lang={lang}&runs={len(names)}&{query}")
    wait_idle(tab)
    count, defects = tab.evaluate(CARD_DEFECTS)
    screenshot(tab, f"run_cards_{viewport[0]}_{lang}")
    context.close()
    assert count == len(names) and defects == []
