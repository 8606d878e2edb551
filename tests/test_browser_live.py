"""The live sliders in Chromium: a drag redraws the run on every move with nothing sent to the
server, and what is drawn is the core's run at the value shown; a release puts the value in the
link, which opens the same view elsewhere; arrow keys and a touch drag work too."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT, trace_xy, view_state, wait_idle

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from ui.specs import RunSpec

pytestmark = pytest.mark.browser

CHART = ".st-key-playground_chart .js-plotly-plot"
PATHS = ".st-key-bm_paths .js-plotly-plot"
RATE = "run 1 · learning rate η"
MOMENTUM = "run 1 · momentum λ"
LAMBDA = "momentum λ (drag: live)"
BM_CHARTS = 6


def live(tab, label: str):
    return tab.locator(f"input[type=range][aria-label='{label}']")


def shown_value(tab, label: str) -> float:
    return float(live(tab, label).get_attribute("data-value"))


def card_run(name: str, lr: float, **changes) -> RunSpec:
    hyper = {k: v for k, v in make_optimizer(name).hyper.items() if k != "lr"} | changes
    return RunSpec(name, lr, tuple(hyper.items()))


def assert_drawn_is_run(x, y, points: np.ndarray) -> None:
    """Every drawn point is a point of the run (exactly), in order, the first and last included:
    thinned, never interpolated."""
    rows = {(a, b): i for i, (a, b) in enumerate(points.tolist())}
    found = [rows.get((a, b)) for a, b in zip(x, y, strict=True)]
    assert None not in found, "a drawn point is not a point of the core's run"
    assert found[0] == 0 and found[-1] == len(points) - 1 and np.all(np.diff(found) > 0)


def track_sent(tab) -> list[float]:
    """Every websocket frame the page sends, from now on."""
    sent: list[float] = []
    tab.on("websocket", lambda ws: ws.on("framesent", lambda _payload: sent.append(1.0)))
    return sent


def next_frame(tab) -> None:
    tab.evaluate("() => new Promise(done => requestAnimationFrame(() => done()))")


def drag(tab, label: str, fractions) -> None:
    """Press the live slider's thumb with the mouse and drag it through these fractions of its
    track (still pressed at the end)."""
    box = live(tab, label).bounding_box()
    y = box["y"] + box["height"] / 2
    at = [box["x"] + 8 + f * (box["width"] - 16) for f in fractions]
    tab.mouse.move(at[0], y)
    tab.mouse.down()
    for x in at[1:]:
        tab.mouse.move(x, y, steps=2)
        next_frame(tab)


def wait_drawn(tab, selector: str, run: int, end: np.ndarray) -> None:
    """Until run ``run``'s path in the chart ends at ``end`` (what the value shown must draw)."""
    tab.wait_for_function(
        """([s, run, end]) => { const p = document.querySelector(s);
            const t = p && p._fullData.find(t => t.meta && t.meta.role === 'path'
                                             && t.meta.run === run);
            return t && t.x[t.x.length - 1] === end[0] && t.y[t.y.length - 1] === end[1]; }""",
        arg=[selector, run, end.tolist()],
    )


def playground_path(value_lr: float, momentum: float) -> np.ndarray:
    surface = get_surface("rosenbrock")
    spec = card_run("sgd", value_lr, momentum=momentum)
    return simulate(surface, spec.build(), surface.default_start, 500).points


def test_drag_redraws_the_exact_run_with_nothing_sent_then_the_link_follows(app_url, page, browser):
    sent = track_sent(page)
    page.goto(f"{app_url}/playground")
    wait_idle(page, charts=2)
    quiet = len(sent)
    drag(page, RATE, [0.6, 0.65, 0.7, 0.75, 0.8])
    rate = shown_value(page, RATE)
    assert rate != 0.001
    wait_drawn(page, CHART, 0, playground_path(rate, 0.0)[-1])
    assert len(sent) == quiet, "the page wrote to the server while dragging"
    x, y = trace_xy(page, "path", 0)
    assert_drawn_is_run(x, y, playground_path(rate, 0.0))
    # Play animates the run on show: every frame's marker is the new run at that frame's step.
    frames = page.evaluate(
        "s => { const p = document.querySelector(s); const m = p._fullData.findIndex(t =>"
        " t.meta && t.meta.role === 'marker' && t.meta.run === 0);"
        " return p._transitionData._frames.map(f => { const i = f.traces.indexOf(m);"
        " return [Number(f.name), f.data[i].x[0], f.data[i].y[0]]; }); }",
        CHART,
    )
    points = playground_path(rate, 0.0)
    assert len(frames) > 10
    for step, x, y in frames:
        assert [x, y] == points[min(step, len(points) - 1)].tolist()
    page.mouse.up()
    page.wait_for_url(f"**r0_lr={rate:g}**")
    wait_idle(page, charts=2)
    assert len(sent) > quiet  # one release, one rerun
    # The card took the value, and the page's own figure draws it.
    x, y = trace_xy(page, "path", 0)
    assert np.array_equal(np.column_stack([x, y]), playground_path(rate, 0.0))
    mine = view_state(page)
    # A browser that shares nothing opens the link on the same view and the same live sliders.
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = context.new_page()
    other.goto(page.url)
    wait_idle(other, charts=2)
    assert shown_value(other, RATE) == rate and shown_value(other, MOMENTUM) == 0.0
    assert view_state(other) == mine
    context.close()


def test_keyboard_moves_one_value_and_both_sliders_keep_each_other(app_url, page):
    page.goto(f"{app_url}/playground")
    wait_idle(page, charts=2)
    assert int(live(page, RATE).get_attribute("max")) + 1 >= 25  # at least 25 values
    live(page, RATE).focus()
    page.keyboard.press("ArrowRight")
    rate = shown_value(page, RATE)
    assert rate == 0.0015  # the next of the card's values after 0.001
    wait_drawn(page, CHART, 0, playground_path(rate, 0.0)[-1])
    page.wait_for_url("**r0_lr=0.0015**")
    wait_idle(page, charts=2)
    # Then momentum, by keyboard: η stays where it was released.
    live(page, MOMENTUM).focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_url("**r0_momentum=0.03**")
    wait_idle(page, charts=2)
    assert shown_value(page, RATE) == 0.0015 and shown_value(page, MOMENTUM) == 0.03
    x, y = trace_xy(page, "path", 0)
    assert np.array_equal(np.column_stack([x, y]), playground_path(0.0015, 0.03))


def well_path(value: float, form: str = "lecture") -> np.ndarray:
    well = get_surface("double_well")
    spec = RunSpec("momentum", 0.01, (("momentum", value), ("convention", form)))
    return simulate(well, spec.build(), well.default_start, 300).points


# Per page: the live momentum slider, its chart, the run it moves there, that run's path at a
# value, the URL key, and the charts the page draws.
TOUCHED = {
    "playground": (MOMENTUM, CHART, 0, lambda v: playground_path(0.001, v), "r0_momentum", 2),
    "batch_momentum": (LAMBDA, PATHS, 1, well_path, "bm_lambda", BM_CHARTS),
}


@pytest.mark.parametrize("page_name", list(TOUCHED))
def test_touch_drag_moves_the_momentum(app_url, browser, page_name):
    label, selector, run, path_at, key, charts = TOUCHED[page_name]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, has_touch=True)
    tab = context.new_page()
    sent = track_sent(tab)
    tab.goto(f"{app_url}/{page_name}")
    wait_idle(tab, charts=charts)
    live(tab, label).scroll_into_view_if_needed()
    box = live(tab, label).bounding_box()
    y = box["y"] + box["height"] / 2
    cdp = context.new_cdp_session(tab)
    quiet = len(sent)

    def touch(kind: str, fraction: float | None) -> None:
        points = [] if fraction is None else [{"x": box["x"] + 8 + fraction * (box["width"] - 16),
                                               "y": y}]  # fmt: skip
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 0.1)
    for fraction in (0.2, 0.3, 0.4, 0.5):
        touch("touchMove", fraction)
        next_frame(tab)
    value = shown_value(tab, label)
    assert 0.4 <= value <= 0.6
    wait_drawn(tab, selector, run, path_at(value)[-1])
    assert len(sent) == quiet
    x, y_ = tab.evaluate(
        "([s, run]) => { const t = document.querySelector(s)._fullData.find(t => t.meta &&"
        " t.meta.role === 'path' && t.meta.run === run);"
        " return [Array.from(t.x), Array.from(t.y)]; }",
        [selector, run],
    )
    assert_drawn_is_run(x, y_, path_at(value))
    touch("touchEnd", None)
    tab.wait_for_url(f"**{key}={value:g}**")
    context.close()


def test_momentum_section_lambda_drag_rolls_the_ball(app_url, page, browser):
    sent = track_sent(page)
    page.goto(f"{app_url}/batch_momentum")
    wait_idle(page, charts=BM_CHARTS)
    live(page, LAMBDA).scroll_into_view_if_needed()
    quiet = len(sent)
    drag(page, LAMBDA, [0.9, 0.8, 0.7, 0.6, 0.55])
    value = shown_value(page, LAMBDA)
    points = well_path(value)
    wait_drawn(page, PATHS, 1, points[-1])
    assert len(sent) == quiet
    lecture = page.evaluate(
        "s => { const p = document.querySelector(s); const t = p._fullData.find(t => t.meta &&"
        " t.meta.role === 'path' && t.meta.run === 1);"
        " return [Array.from(t.x), Array.from(t.y)]; }",
        PATHS,
    )
    assert_drawn_is_run(*lecture, points)
    page.mouse.up()
    page.wait_for_url(f"**bm_lambda={value:g}**")
    wait_idle(page, charts=BM_CHARTS)
    mine = view_state(page)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = context.new_page()
    other.goto(page.url)
    wait_idle(other, charts=BM_CHARTS)
    assert shown_value(other, LAMBDA) == value and view_state(other) == mine
    context.close()
    # The keyboard: one value per key, drawn at once, in the link after the release's quiet time.
    live(page, LAMBDA).focus()
    page.keyboard.press("ArrowLeft")
    lower = shown_value(page, LAMBDA)
    assert lower == round(value - 0.01, 2)
    wait_drawn(page, PATHS, 1, well_path(lower)[-1])
    page.wait_for_url(f"**bm_lambda={lower:g}**")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_screenshots_and_labels(app_url, browser, language):
    """What a person sees, both languages, 1366×768 and a tall window (screenshots/); every live
    slider's accessible name says what it moves in the page's language (issue 24's contract)."""
    folder = ROOT / "screenshots"
    folder.mkdir(exist_ok=True)
    words = {"en": ("learning rate", "momentum"), "zh": ("学习率", "动量")}[language]
    seen = {}
    for width, height in ((1366, 768), (1366, 2400)):
        context = browser.new_context(viewport={"width": width, "height": height})
        tab = context.new_page()
        for page_name, charts, query in (("playground", 2, "live=1"),
                                         ("batch_momentum", BM_CHARTS, "bm_mstep=8")):  # fmt: skip
            tab.goto(f"{app_url}/{page_name}?lang={language}&{query}")
            wait_idle(tab, charts=charts)
            seen[page_name] = tab.evaluate("""() => [...document.querySelectorAll('*')]
                .map(e => e.shadowRoot).filter(Boolean)
                .flatMap(r => [...r.querySelectorAll('input[type=range]')])
                .map(i => i.getAttribute('aria-label'))""")
            if page_name != "playground":
                live(tab, seen[page_name][0]).scroll_into_view_if_needed()
            tab.screenshot(path=str(folder / f"live_{page_name}_{language}_{width}x{height}.png"))
        context.close()
    rate, momentum = seen["playground"]
    assert words[0] in rate and words[1] in momentum
    (live_lambda,) = seen["batch_momentum"]
    assert words[1] in live_lambda
