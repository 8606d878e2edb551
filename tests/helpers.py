"""Helpers for app and browser tests: run a page with AppTest, decode its figures, wait for the
live app to settle, keep screenshots."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def run_page(page: str, query: dict[str, str] | None = None, timeout: float = 60):
    """Run one page through app.py (navigation, shared sidebar, URL checks) with AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(page)
    at.run()
    return at


def open_preset(page: str, presets, name: str):
    """Follow a preset's link (ui.presets): the page run from the link's query parameters. It
    opens cleanly: no exception, no error, every setting taken (no warning), its note shown."""
    from ui.presets import preset_query

    at = run_page(page, preset_query(name, presets[name].values))
    assert not at.exception, at.exception
    assert not at.error and not at.warning, [e.value for e in (*at.error, *at.warning)]
    assert at.info and name in at.info[0].value, "the preset's note is not shown first"
    return at


def decode_arrays(node):
    """Plotly 7 sends arrays as {"dtype", "bdata", "shape"}; turn them back into lists."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            data = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
            if node.get("shape"):
                data = data.reshape([int(s) for s in str(node["shape"]).split(",")])
            return data.tolist()
        return {key: decode_arrays(value) for key, value in node.items()}
    if isinstance(node, list):
        return [decode_arrays(value) for value in node]
    return node


def link(at) -> dict[str, str | list[str]]:
    """The page's URL query after a run: a string per key, a list where the key repeats
    (AppTest keeps query values as strings or lists, nested or not, depending on the Streamlit
    version)."""

    def flat(value) -> list[str]:
        return [v for item in value for v in flat(item)] if isinstance(value, list) else [value]

    values = {key: flat(value) for key, value in dict(at.query_params).items()}
    return {key: items[0] if len(items) == 1 else items for key, items in values.items()}


def traces(figure: dict, role: str) -> list[dict]:
    """The traces of a trajectory figure with this role (viz.trajectory's ``meta``), run order."""
    found = [t for t in figure["data"] if (t.get("meta") or {}).get("role") == role]
    return sorted(found, key=lambda t: t["meta"].get("run", 0))


def paths(figure: dict) -> list[np.ndarray]:
    """Each run's full path in a trajectory figure, as an (n, 2) array."""
    return [np.column_stack([t["x"], t["y"]]) for t in traces(figure, "path")]


def figures(at) -> list[dict]:
    """Every plotly chart on the page, as decoded figure dicts."""
    return [decode_arrays(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def wait_idle(tab, timeout: float = 60_000, charts: int = 1) -> None:
    """Wait until Streamlit has finished the current script run and its charts are drawn: at
    least ``charts`` of them (0 for a page without any), their number steady for half a second
    (charts further down a page arrive after the first ones)."""
    tab.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    tab.wait_for_timeout(300)  # a rerun may start just after an interaction
    tab.wait_for_selector(IDLE, timeout=timeout)
    tab.wait_for_function(
        """n => { const plots = [...document.querySelectorAll('.js-plotly-plot')];
                  const drawn = plots.filter(p => p._fullLayout && p.layout).length;
                  const now = Date.now(), w = window;
                  if (drawn !== w.__drawnCharts) { w.__drawnCharts = drawn; w.__drawnSince = now; }
                  return drawn >= n && drawn === plots.length && now - w.__drawnSince >= 500; }""",
        arg=charts,
        polling=100,
        timeout=timeout,
    )


def screenshot(tab, name: str) -> Path:
    """Keep a screenshot of what the test saw, for a person to look at (screenshots/)."""
    folder = ROOT / "screenshots"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


# ---- Browser ---------------------------------------------------------------------------------

# The animated charts: Plotly plots with a layout image (the surface), in page order.
ANIMATED = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".filter(p => p.layout && p.layout.images && p.layout.images.length)"
)


def trace_xy(tab, role: str, run: int = 0, chart: int = 0) -> list[list[float]]:
    """x and y of the trace with this ``meta`` role and run in the nth animated chart."""
    return tab.evaluate(
        """([chart, role, run, animated]) => {
            const plot = eval(animated)[chart];
            const t = plot._fullData.find(t => t.meta && t.meta.role === role
                                          && (t.meta.run === undefined || t.meta.run === run));
            return [Array.from(t.x), Array.from(t.y)]; }""",
        [chart, role, run, ANIMATED],
    )


def nudge(
    tab, label: str, nth: int = 0, key: str = "ArrowRight", charts: int = 1, expect: str = ""
) -> None:
    """Move the nth slider labelled ``label`` one notch with the keyboard, as a user would; with
    ``expect``, wait until the address bar holds it (a busy machine may start the rerun late)."""
    slider = tab.locator(f"input[aria-label='{label}']").nth(nth)
    slider.focus()
    tab.keyboard.press(key)
    if expect:
        tab.wait_for_url(f"**{expect}**")
    wait_idle(tab, charts=charts)


def pick(tab, label: str, option: str, exact: bool = False) -> None:
    """Pick ``option`` in the select box labelled ``label``, without waiting for the rerun: open
    its list from the keyboard (ArrowDown; Streamlit's combobox may miss the first key, or close
    its list again, while the section it sits in is still settling: so again until the option
    is clicked, closing any other list)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    field = tab.locator("[data-testid=stSelectbox]", has_text=label).first.locator("input").first
    wanted = tab.get_by_role("option", name=option, exact=exact).first
    for attempt in range(10):
        field.focus()
        tab.keyboard.press("ArrowDown")
        try:
            wanted.click(timeout=2000)
            return
        except PlaywrightTimeout:
            tab.keyboard.press("Escape")
            if attempt == 9:
                raise


def choose(
    tab, label: str, option: str, then: str = "", charts: int = 1, exact: bool = False
) -> None:
    """``pick``, then wait for the page; with ``then``, until the address bar holds it."""
    pick(tab, label, option, exact)
    if then:
        tab.wait_for_url(lambda address: then in address)
    wait_idle(tab, charts=charts)


def view_in_new_browser(
    browser, address: str, charts: int = 1, settle=None, viewport=(1400, 1000)
) -> dict:
    """What a browser that shares nothing with the first one shows at ``address`` (its
    ``view_state``), once idle with ``charts`` charts, or once ``settle(tab)`` has waited for
    the page as the test waited for the first."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    tab = context.new_page()
    tab.goto(address)
    (settle or (lambda tab: wait_idle(tab, charts=charts)))(tab)
    seen = view_state(tab)
    context.close()
    return seen


def view_state(tab) -> dict:
    """What a person sees, to compare two browsers: every control's shown value and every chart's
    data (traces' x/y, frames' count), in page order. An element on the page but not drawn (an
    old copy Streamlit keeps hidden, at zero height, after a rerun replaced it) is not seen."""
    return tab.evaluate(
        """() => {
            const drawn = e => {
                const box = (e.closest('[data-testid=stElementContainer]') || e)
                    .getBoundingClientRect();
                return box.height > 0 && box.width > 0;
            };
            const all = selector => [...document.querySelectorAll(selector)].filter(drawn);
            return {
            controls: all(
                '[data-testid=stSlider] [role=slider], [data-testid=stSelectSlider] [role=slider],'
                + ' [data-testid=stNumberInput] input, [data-testid=stTextInput] input,'
                + ' [data-testid=stSelectbox] [data-baseweb=select] div[value],'
                + ' [data-testid=stSelectbox] [data-baseweb=select] input,'
                + ' [data-testid=stSelectbox] input[role=combobox],'
                + ' [data-testid=stCheckbox] input, [data-testid=stRadio] input:checked'
              ).map(e => [e.getAttribute('aria-label'),
                          e.getAttribute('aria-valuetext') || e.value || e.checked
                          || e.getAttribute('value') || e.textContent]),
            charts: all('.js-plotly-plot').map(p => ({
                traces: p._fullData.filter(t => !(t.meta && t.meta.role === 'pick'))
                              .map(t => [t.name || '', Array.from(t.x || []).slice(0, 400),
                                         Array.from(t.y || []).slice(0, 400)]),
                frames: (p._transitionData && p._transitionData._frames || []).length,
            })),
        }; }"""
    )


# ---- Changes in quick succession (test_browser_race.py) ------------------------------------


def _control_query(label: str, scope: str) -> str:
    return f"{scope} input[aria-label='{label}']".strip()


def shown(tab, label: str, nth: int = 0, scope: str = "") -> str:
    """What the nth control labelled ``label`` (inside ``scope``, a CSS selector) shows: a
    slider's value text, a box's value."""
    return (
        tab.locator(_control_query(label, scope))
        .nth(nth)
        .evaluate("e => e.getAttribute('aria-valuetext') || e.value")
    )


def press(tab, label: str, nth: int = 0, key: str = "ArrowRight", scope: str = "") -> str:
    """Move the nth slider labelled ``label`` (inside ``scope``) one notch from the keyboard and
    return what it shows then, without waiting for the rerun (a rerun may be running: that is
    the point). The key is pressed only once the slider holds the focus: while a rerun replaces
    a slider, the page briefly holds the old one too, and a key sent then goes to whatever had
    the focus before. If the key went nowhere, press again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    query = _control_query(label, scope)
    slider = tab.locator(query).nth(nth)
    before = shown(tab, label, nth, scope)
    for _attempt in range(5):
        slider.focus()
        if not slider.evaluate("e => e === document.activeElement"):
            tab.wait_for_timeout(100)
            continue
        tab.keyboard.press(key)
        try:
            tab.wait_for_function(
                """([query, nth, before]) => {
                    const e = document.querySelectorAll(query)[nth];
                    return e && (e.getAttribute('aria-valuetext') || e.value) !== before; }""",
                arg=[query, nth, before],
                timeout=3000,
            )
            return shown(tab, label, nth, scope)
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the slider {label!r} did not move")
