"""The MSE vs cross-entropy page in Chromium: both views draw, controls redraw them, Play animates
both together with the loss readout following, and the link restores the view."""

import pytest
from helpers import screenshot, wait_idle

pytestmark = pytest.mark.browser

ANIMATED = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.images && p.layout.images.length === 2)"
)


def views(page) -> list[dict]:
    """Per panel of the animated figure: the marker's position, the shared scrubber's current
    readout and the size of the panel's background image."""
    return page.evaluate(
        f"() => {{ const p = {ANIMATED}; const s = p._fullLayout.sliders[0];"
        " const readout = s.steps[s.active].label;"
        " return ['x', 'x2'].map((axis, i) => { const m = p._fullData.find(t => t.xaxis === axis"
        " && t.mode === 'markers' && t.legendgroup === '0');"
        " return {x: m.x[0], y: m.y[0], readout: readout,"
        " image: p.layout.images[i].source.length}; }); }"
    )


def test_two_views_controls_play_and_share(app_url, page, browser):
    page.goto(f"{app_url}/loss_functions")
    wait_idle(page, charts=3)
    assert page.get_by_text("MSE vs cross-entropy").first.is_visible()
    mse, ce = views(page)
    assert mse["readout"].startswith("200 · MSE: loss 2, ‖g‖ 1.2e-08 · cross-entropy")
    assert (mse["x"], mse["y"]) == (pytest.approx(-10), pytest.approx(10)) and ce["x"] > 0
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "2"
    screenshot(page, "loss_functions-default")

    page.get_by_test_id("stSidebar").get_by_text("2", exact=True).click()  # target class 2
    wait_idle(page)
    assert "lf_target=2" in page.url
    changed = views(page)
    assert changed[0]["readout"] != mse["readout"]
    assert changed[0]["image"] != mse["image"] and changed[1]["image"] != ce["image"]

    page.get_by_role("link", name="Adam gets off the plateau").click()
    page.wait_for_url("**preset=adam-gets**")
    wait_idle(page)
    assert "lf_r_opt=adam" in page.url and page.get_by_text("Adam divides").is_visible()
    page.get_by_text("▶ Play").first.click()
    page.wait_for_timeout(500)
    early = views(page)
    page.wait_for_timeout(1500)
    late = views(page)
    assert early[0]["readout"] != late[0]["readout"]
    assert (early[0]["x"], early[1]["x"]) != (late[0]["x"], late[1]["x"])
    screenshot(page, "loss_functions-adam")

    shared = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    shared.goto(page.url)
    wait_idle(shared, charts=3)  # the animated pair, the curves, the softmax bars
    last = f"() => {{ const s = {ANIMATED}._fullLayout.sliders[0]; return s.steps.at(-1).label; }}"
    assert views(shared)[0]["readout"] == page.evaluate(last)  # the same run, at its end
    shared.context.close()
