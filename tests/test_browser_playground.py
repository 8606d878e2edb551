"""The playground in Chromium: sliders redraw, changes in a row all reach the link, Play animates
over a steady background, a click picks the start, links share."""

import pytest
from helpers import nudge, screenshot, trace_xy, view_in_new_browser, view_state, wait_idle

pytestmark = pytest.mark.browser

FLAT = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.images && p.layout.images.length)"
)


def run_path(page, run: int) -> list:
    return trace_xy(page, "path", run)[0]


def marker(page, run: int) -> list:
    x, y = trace_xy(page, "marker", run)
    return [x[0], y[0]]


def background_drawn(page) -> bool:
    return page.evaluate(
        f"() => {FLAT}.layout.images.length === 1 && "
        f"{FLAT}.querySelectorAll('.imagelayer image').length === 1"
    )


def test_slider_play_and_share(app_url, page, browser):
    page.goto(f"{app_url}/playground?steps=400")
    wait_idle(page, charts=2)
    assert page.get_by_text("Optimizer playground").first.is_visible()
    assert background_drawn(page)
    before = run_path(page, 0)
    screenshot(page, "playground-default")

    nudge(page, "learning rate η", charts=2)  # run 1's η: a fragment rerun
    after = run_path(page, 0)
    assert len(after) == len(before) and after != before
    assert "r0_lr=" in page.url and "steps=400" in page.url

    # Play: the markers move, the background stays on screen the whole time.
    page.locator(".updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(400)
    early = marker(page, 2)
    assert background_drawn(page)
    page.wait_for_timeout(1200)
    later = marker(page, 2)
    assert background_drawn(page)
    assert early != later
    screenshot(page, "playground-playing")


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    """Sidebar, fragment and popover changes, mixed: the address bar holds every one of them,
    and a new browser opened on it shows the same controls and charts."""
    page.goto(f"{app_url}/playground")
    wait_idle(page, charts=2)
    nudge(page, "steps", charts=2)  # sidebar: a full rerun
    nudge(page, "learning rate η", 0, charts=2)  # run 1: a fragment rerun
    nudge(page, "learning rate η", 1, charts=2)  # run 2
    nudge(page, "momentum λ", 1, "ArrowLeft", charts=2)
    page.get_by_role("button", name="more settings").nth(2).click()  # run 3's popover
    nudge(page, "β₁ (average of g)", charts=2)
    page.keyboard.press("Escape")
    nudge(page, "number of runs", charts=2)  # sidebar again
    nudge(page, "learning rate η", 3, "ArrowLeft", charts=2)  # the new run 4, a fragment
    for part in ("steps=510", "r0_lr=0.0015", "r1_lr=0.0015", "r1_momentum=0.89",
                 "r2_betas1=0.95", "runs=4", "r3_lr=0.007"):  # fmt: skip
        assert part in page.url, (part, page.url)
    assert "r2_betas2" not in page.url and "r2_eps" not in page.url  # untouched: defaults
    screenshot(page, "playground-after-changes")

    assert view_in_new_browser(browser, page.url, 2) == view_state(page)


def test_click_on_the_surface_picks_the_start(app_url, page):
    page.goto(f"{app_url}/playground")
    wait_idle(page, charts=2)
    box = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    page.wait_for_url("**start_x=**")  # the click reruns the runs, then the whole page
    wait_idle(page, charts=2)
    assert "start_x=" in page.url and "start_y=" in page.url
    x = float(page.url.split("start_x=")[1].split("&")[0])
    y = float(page.url.split("start_y=")[1].split("&")[0])
    assert x > 0.5 and y > 0.5  # upper right of [-2.048, 2.048]²
    # The runs start there, and the sidebar's start inputs say so.
    assert run_path(page, 0)[0] == pytest.approx(x)
    assert float(page.locator("input[aria-label='start x']").input_value()) == pytest.approx(x)
    screenshot(page, "playground-clicked-start")


def test_preset_link_opens_a_clean_view(app_url, page):
    page.goto(f"{app_url}/playground?runs=5&r4_opt=adagrad&steps=800")
    wait_idle(page, charts=2)
    page.get_by_role("link", name="Stalling at a saddle").click()
    page.wait_for_url("**preset=stalling-at-a-saddle**")
    wait_idle(page, charts=2)
    assert "r4_opt" not in page.url and "steps=400" in page.url  # nothing of the old view leaks
    assert page.get_by_text("has a saddle at the origin").first.is_visible()
    assert len(run_path(page, 2)) > 1
    screenshot(page, "playground-preset")
    nudge(page, "learning rate η", 0, charts=2)  # the view is no longer the preset's
    assert "preset=" not in page.url
    assert not page.get_by_text("has a saddle at the origin").count()
