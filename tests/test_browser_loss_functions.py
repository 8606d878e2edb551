"""The MSE vs cross-entropy page in Chromium: both views and every chart draw, Play animates both
panels together, a preset link tells its story, and changes in a row across the sidebar and the
optimizer's popover all reach the link, which a new browser opens to the same view."""

import pytest
from helpers import nudge, screenshot, view_in_new_browser, view_state, wait_idle

pytestmark = pytest.mark.browser

CHARTS = 3  # the two surfaces, the step curves, the softmax bars
PAIR = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.images && p.layout.images.length === 2)"
)


def markers(page) -> dict:
    """Where each panel's run marker is (MSE on x, cross-entropy on x2) and the scrubber's label."""
    return page.evaluate(
        f"""() => {{ const p = {PAIR}; const s = p._fullLayout.sliders[0];
            const at = axis => p._fullData.find(t => t.meta && t.meta.role === 'marker'
                                                && (t.xaxis || 'x') === axis);
            return {{mse: [at('x').x[0], at('x').y[0]], ce: [at('x2').x[0], at('x2').y[0]],
                     readout: s.steps[s.active].label,
                     images: p.querySelectorAll('.imagelayer image').length}}; }}"""
    )


def test_every_chart_draws_and_play_moves_both_panels(app_url, page):
    page.goto(f"{app_url}/loss_functions")
    wait_idle(page, charts=CHARTS)
    assert page.get_by_text("MSE vs cross-entropy").first.is_visible()
    end = markers(page)
    assert end["images"] == 2
    assert end["mse"] == [pytest.approx(-10), pytest.approx(10)] and end["ce"][0] > 0
    assert end["readout"].startswith("200 · MSE 2, ‖g‖ 1.2×10⁻⁸ · cross-entropy ")
    assert page.get_by_text("MSE at the start").first.is_visible()
    screenshot(page, "loss_functions-default")

    page.locator(".updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(400)
    early = markers(page)
    page.wait_for_timeout(1500)
    late = markers(page)
    assert early["ce"] != late["ce"] and early["readout"] != late["readout"]
    assert late["mse"] == [pytest.approx(-10), pytest.approx(10)]  # stuck on the plateau
    assert late["images"] == 2  # the backgrounds stay on screen while it plays
    screenshot(page, "loss_functions-playing")


def test_a_preset_link_tells_its_story(app_url, page):
    page.goto(f"{app_url}/loss_functions?lf_steps=500")
    wait_idle(page, charts=CHARTS)
    page.get_by_role("link", name="Adam gets off the plateau").click()
    page.wait_for_url("**preset=adam-gets-off-the-plateau**")
    wait_idle(page, charts=CHARTS)
    assert "lf_r_opt=adam" in page.url and "lf_steps" not in page.url  # 500 did not leak
    assert page.get_by_text("Adam divides by the gradient's own size").first.is_visible()
    assert markers(page)["mse"][0] > 0  # Adam left MSE's plateau
    screenshot(page, "loss_functions-adam")
    nudge(page, "steps", charts=CHARTS)  # the view is no longer the preset's
    assert "preset=" not in page.url
    assert not page.get_by_text("Adam divides by the gradient's own size").count()


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    page.goto(f"{app_url}/loss_functions")
    wait_idle(page, charts=CHARTS)
    sidebar = page.get_by_test_id("stSidebar")
    nudge(page, "steps", charts=CHARTS)
    sidebar.get_by_text("2", exact=True).click()  # target class 2
    wait_idle(page, charts=CHARTS)
    nudge(page, "learning rate η", key="ArrowLeft", charts=CHARTS)
    nudge(page, "momentum λ", charts=CHARTS)
    page.get_by_role("button", name="more settings").click()  # the optimizer's popover
    nudge(page, "weight decay (L2) λ", charts=CHARTS)
    page.keyboard.press("Escape")
    sidebar.get_by_text("linear", exact=True).click()  # colour scale
    wait_idle(page, charts=CHARTS)
    for part in ("lf_steps=210", "lf_target=2", "lf_r_lr=0.3", "lf_r_momentum=0.01",
                 "lf_r_weight_decay=0.0001", "lf_color=linear"):  # fmt: skip
        assert part in page.url, (part, page.url)
    assert page.locator("[data-testid=stException]").count() == 0
    screenshot(page, "loss_functions-after-changes")

    assert view_in_new_browser(browser, page.url, CHARTS) == view_state(page)
