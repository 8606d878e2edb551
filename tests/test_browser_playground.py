"""The playground in Chromium: sliders redraw, Play animates over a steady background, links
share."""

import pytest
from helpers import screenshot, wait_idle

pytestmark = pytest.mark.browser

# The animated 2-D view is the chart with a layout image (the surface); read its live state.
FLAT = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.images && p.layout.images.length)"
)


def run_path(page, run: int) -> list:
    """x coordinates of run `run`'s faint full path (trace 1 + run)."""
    return page.evaluate(f"() => Array.from({FLAT}._fullData[1 + {run}].x)")


def marker(page, run: int, n_runs: int) -> list:
    """The animated marker of a run (the last traces: tail, marker per run)."""
    return page.evaluate(
        f"() => {{ const d = {FLAT}._fullData;"
        f" const m = d[d.length - 2 * {n_runs} + 2 * {run} + 1]; return [m.x[0], m.y[0]]; }}"
    )


def background_drawn(page) -> bool:
    return page.evaluate(
        f"() => {FLAT}.layout.images.length === 1 && "
        f"{FLAT}.querySelectorAll('.imagelayer image').length === 1"
    )


def test_slider_play_and_share(app_url, page, browser):
    page.goto(f"{app_url}/playground?steps=400")
    wait_idle(page)
    assert page.get_by_text("Optimizer playground").first.is_visible()
    assert background_drawn(page)
    before = run_path(page, 0)
    screenshot(page, "playground-default")

    # Move run 1's learning-rate slider one notch with the keyboard, as a user would.
    slider = page.locator("input[aria-label='learning rate η']").first  # run 1's
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    after = run_path(page, 0)
    assert len(after) == len(before) and after != before
    # Only the runs rerun (a fragment); the sidebar's settings stay in the link.
    assert "r0_lr=" in page.url and "steps=400" in page.url

    # Play: the markers move, the background stays on screen the whole time.
    page.locator(".updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(400)
    early = marker(page, 2, 3)
    assert background_drawn(page)
    page.wait_for_timeout(1200)
    later = marker(page, 2, 3)
    assert background_drawn(page)
    assert early != later
    screenshot(page, "playground-playing")

    # The address bar is the share link: a fresh page shows the same view.
    shared = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    shared.goto(page.url)
    wait_idle(shared)
    assert run_path(shared, 0) == after
    screenshot(shared, "playground-shared")
    shared.context.close()


def test_click_on_the_surface_picks_the_start(app_url, page):
    page.goto(f"{app_url}/playground")
    wait_idle(page)
    box = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    wait_idle(page)
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
    wait_idle(page)
    page.get_by_role("link", name="Stalling at a saddle").click()
    page.wait_for_url("**preset=stalling-at-a-saddle**")
    wait_idle(page)
    assert "r4_opt" not in page.url and "steps=400" in page.url  # nothing of the old view leaks
    assert page.get_by_text("has a saddle at the origin").first.is_visible()
    assert page.evaluate(f"() => {FLAT}._fullData.filter(t => t.mode === 'lines').length") >= 3
    screenshot(page, "playground-preset")
