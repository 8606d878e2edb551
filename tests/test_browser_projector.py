"""Every page as a class sees it on a projector: 1280×720 at 150 % zoom (853×480 CSS pixels at a
device scale of 1.5, which is what the zoom does to the layout), sidebar open, in English and
Chinese. No metric, label or button text may be cut: an element cut by ``overflow: hidden``
(with or without an ellipsis) is wider inside (``scrollWidth``) than its box (``clientWidth``)."""

from pathlib import Path

import pytest
from helpers import screenshot, wait_idle

from optimizers import OPTIMIZERS
from ui.catalogue import PAGES

pytestmark = pytest.mark.browser

# Text a reader needs whole: metrics (label, value, delta), widget labels, button captions.
TEXT = ", ".join((
    "[data-testid=stMetricValue]", "[data-testid=stMetricLabel]", "[data-testid=stMetricDelta]",
    "[data-testid=stWidgetLabel]", "button [data-testid=stMarkdownContainer]",
))  # fmt: skip

# The elements (or their descendants) whose text is cut; KaTeX's MathML copy, hidden by design
# in a 1-pixel box for screen readers, is left out.
CUT = """selector => {
    const cut = [];
    for (const element of document.querySelectorAll(selector)) {
        for (const inner of [element, ...element.querySelectorAll('*')]) {
            if (inner.closest('.katex-mathml') || inner.clientWidth === 0) continue;
            const style = getComputedStyle(inner);
            const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
            if (clips && inner.scrollWidth > inner.clientWidth + 1) {
                cut.push(`${element.dataset.testid || element.tagName}: "${element.innerText}"`
                         + ` (${inner.scrollWidth} px in ${inner.clientWidth})`);
                break;
            }
        }
    }
    return cut;
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("entry", PAGES, ids=lambda entry: Path(entry.path).stem)
def test_no_text_is_cut_at_1280x720_and_150_percent(browser, app_url, entry, lang):
    context = browser.new_context(viewport={"width": 853, "height": 480}, device_scale_factor=1.5)
    tab = context.new_page()
    name = Path(entry.path).stem
    tab.goto(f"{app_url}/{name}" + ("?lang=zh" if lang == "zh" else ""))
    wait_idle(tab, charts=1, timeout=180_000)
    sidebar = tab.locator("[data-testid=stSidebar]").bounding_box()
    assert sidebar and sidebar["width"] > 200  # open, as in class
    cut = tab.evaluate(CUT, TEXT)
    screenshot(tab, f"projector-{name}-{lang}")
    context.close()
    assert not cut, "\n".join(cut)


# Each chosen option's chip in a multiselect: its text colour, and the colour it sits on (the
# first opaque background among its ancestors).
CHIPS = """() => [...document.querySelectorAll('[data-testid=stMultiSelect] [role=group] > span')]
    .map(chip => {
        const text = chip.querySelector('span') || chip;
        let box = text, background = 'rgba(0, 0, 0, 0)';
        while (box && /rgba\\(.*, 0\\)$/.test(background)) {
            background = getComputedStyle(box).backgroundColor;
            box = box.parentElement;
        }
        return [text.innerText, getComputedStyle(text).color, background];
    })"""


def _luminance(css: str) -> float:
    """WCAG 2's relative luminance of an rgb()/rgba() colour."""
    inside = css[css.index("(") + 1 : css.index(")")]
    red, green, blue = (float(v) / 255 for v in inside.split(",")[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
              for c in (red, green, blue)]  # fmt: skip
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_wcag_contrast_is_what_the_formula_says():
    assert contrast("rgb(255, 255, 255)", "rgb(0, 0, 0)") == pytest.approx(21)
    assert contrast("rgb(255, 255, 255)", "rgb(255, 107, 75)") == pytest.approx(2.81, abs=0.01)


def test_every_optimizer_chip_is_on_show(app_url, page):
    """With every optimizer chosen, each chip is on screen (they wrap onto more rows), none
    hidden in a row that scrolls sideways."""
    page.goto(f"{app_url}/sweeps?" + "&".join(f"sw_opts={name}" for name in OPTIMIZERS))
    wait_idle(page)
    assert not page.evaluate(CUT, "[data-testid=stMultiSelectTagsContainer]")
    # ... and inside the select box, which grows with its rows (not over the controls below).
    assert page.evaluate("""() => {
        const tags = document.querySelector('[data-testid=stMultiSelectTagsContainer]');
        const box = tags.closest('[role=group]').getBoundingClientRect();
        return [...tags.querySelectorAll('[role=group] > span')].every(chip => {
            const r = chip.getBoundingClientRect();
            return r.top >= box.top && r.bottom <= box.bottom;
        });
    }""")
    shown = page.evaluate(CHIPS)
    assert [name for name, *_ in shown] == list(OPTIMIZERS)
    screenshot(page, "sweeps-every-optimizer")


def test_the_sweeps_optimizer_chips_are_readable(app_url, page):
    """WCAG AA asks 4.5:1 for text; white on the theme's #ff6b4b was 2.81:1."""
    page.goto(f"{app_url}/sweeps")
    wait_idle(page)
    chips = page.evaluate(CHIPS)
    assert len(chips) >= 2
    for name, color, background in chips:
        assert background != "rgba(0, 0, 0, 0)"
        assert contrast(color, background) >= 4.5, (name, color, background)
