"""The MSE vs cross-entropy page in Chromium: both views draw, controls redraw them, Play animates
both with the loss readout following, and the link restores the view."""

import pytest
from helpers import screenshot, wait_idle

pytestmark = pytest.mark.browser

VIEWS = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".filter(p => p.layout.images && p.layout.images.length)"
)


def views(page) -> list[dict]:
    """Per animated view: the marker's position and the scrubber's current readout."""
    return page.evaluate(
        f"() => {VIEWS}.map(p => {{ const m = p._fullData[p._fullData.length - 1];"
        " const s = p._fullLayout.sliders[0];"
        " return {x: m.x[0], y: m.y[0], readout: s.steps[s.active].label,"
        " image: p.layout.images[0].source.length}; })"
    )


def test_two_views_controls_play_and_share(app_url, page, browser):
    page.goto(f"{app_url}/loss_functions")
    wait_idle(page)
    assert page.get_by_text("MSE vs cross-entropy").first.is_visible()
    mse, ce = views(page)
    assert mse["readout"] == "200: loss 2, ‖g‖ 1.2e-08"
    assert (mse["x"], mse["y"]) == (pytest.approx(-10), pytest.approx(10)) and ce["x"] > 0
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "2"
    screenshot(page, "loss_functions-default")

    page.get_by_test_id("stSidebar").get_by_text("2", exact=True).click()  # target class 2
    wait_idle(page)
    assert "lf_target=2" in page.url
    changed = views(page)
    assert changed[0]["readout"] != mse["readout"] and changed[1]["readout"] != ce["readout"]

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
    wait_idle(shared)
    assert [v["readout"] for v in views(shared)] == [v["readout"] for v in views(page)]
    shared.context.close()
