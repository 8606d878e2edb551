"""The critical-points page in Chromium: a click chooses a point, a preset resets, Play escapes."""

import pytest
from helpers import screenshot, wait_idle

pytestmark = pytest.mark.browser

PLOTS = "[...document.querySelectorAll('.js-plotly-plot')]"
MAP = f"{PLOTS}.find(p => (p.layout.title?.text || '').includes('Critical points'))"
DESCENT = f"{PLOTS}.find(p => p.layout.updatemenus && p.layout.updatemenus.length)"


def chosen(page) -> list:
    """The chosen-point ring on the map (its last trace)."""
    return page.evaluate(f"() => {{ const d = {MAP}._fullData; const c = d[d.length - 1];"
                         " return [c.x[0], c.y[0]]; }")  # fmt: skip


def off_marker(page) -> list:
    """The animated marker of the run started ε off the point (the last trace)."""
    return page.evaluate(f"() => {{ const d = {DESCENT}._fullData; const m = d[d.length - 1];"
                         " return [m.x[0], m.y[0]]; }")  # fmt: skip


def test_click_preset_and_play(app_url, page):
    page.goto(f"{app_url}/critical_points")
    wait_idle(page, charts=5)  # the map, Taylor panels, slice, escape, descent
    assert page.get_by_text("Saddle point", exact=False).first.is_visible()
    assert chosen(page) == [0, 0]
    assert page.evaluate(f"() => {MAP}.querySelectorAll('.imagelayer image').length") == 1
    page.get_by_text("minimum ratio").first.wait_for()
    screenshot(page, "critical-points-default")

    # A click on the map (upper left, away from every critical point) chooses that point.
    box = page.evaluate(
        f"() => {{ const r = {MAP}.querySelector('.nsewdrag').getBoundingClientRect();"
        " return [r.x, r.y, r.width, r.height]; }"
    )
    page.mouse.click(box[0] + box[2] * 0.25, box[1] + box[3] * 0.125)  # about (−1, 1.5)
    wait_idle(page)
    x, y = chosen(page)
    assert -1.2 < x < -0.8 and 1.3 < y < 1.7
    assert "cp_x=" in page.url and "cp_y=" in page.url
    assert page.get_by_text("Not a critical point").first.is_visible()
    screenshot(page, "critical-points-clicked")

    # A preset brings back the saddle; Play moves the run started just off it.
    page.get_by_role("link", name="Toy network: the saddle at the origin").click()
    page.wait_for_url("**preset=toy-network-the-saddle-at-the-origin**")
    wait_idle(page, charts=5)
    assert chosen(page) == [0, 0] and "cp_x=" not in page.url
    page.locator(".js-plotly-plot").last.scroll_into_view_if_needed()
    page.locator(".updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(300)
    early = off_marker(page)
    page.wait_for_timeout(2500)
    later = off_marker(page)
    assert early != later
    assert page.evaluate(f"() => {DESCENT}.querySelectorAll('.imagelayer image').length") == 1
    screenshot(page, "critical-points-playing")


def test_monkey_saddle_link(app_url, page):
    page.goto(f"{app_url}/critical_points?cp_surface=Monkey+saddle+x%C2%B3+%E2%88%92+3xy%C2%B2")
    wait_idle(page)
    assert page.get_by_text("the second-order test is inconclusive").first.is_visible()
    assert not page.locator('[data-testid="stException"]').count()
    page.get_by_text("minimum ratio").first.wait_for()
    screenshot(page, "critical-points-monkey")
