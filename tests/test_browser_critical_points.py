"""The critical-points page in Chromium: every chart draws, a click chooses a point, the tracker's
crash sequence stays whole, changes in a row all reach the link, a preset resets, Play escapes."""

import pytest
from helpers import choose, nudge, screenshot, view_in_new_browser, view_state, wait_idle

pytestmark = pytest.mark.browser

# The map, the Taylor panels, the slice, the escape line (where the loss curves down somewhere),
# the descent and its curves: wait for the five that every point has.
CHARTS = 5
PLOTS = "[...document.querySelectorAll('.js-plotly-plot')]"
MAP = f"{PLOTS}.find(p => (p.layout.title?.text || '').includes('Critical points'))"
DESCENT = f"{PLOTS}.find(p => p.layout.updatemenus && p.layout.updatemenus.length)"


def traced(page, plot: str, role: str, key: str = "role") -> list:
    """x[0], y[0] of the trace with this ``meta`` role in a plot (the map or the descent)."""
    return page.evaluate(
        f"""() => {{ const t = {plot}._fullData.filter(t => t.meta && t.meta.{key} === '{role}');
                    const last = t[t.length - 1]; return [last.x[0], last.y[0]]; }}"""
    )


def no_exception(page) -> bool:
    return not page.locator("[data-testid=stException]").count()


def test_every_chart_draws_and_a_click_chooses_a_point(app_url, page):
    page.goto(f"{app_url}/critical_points")
    wait_idle(page, charts=CHARTS)
    assert page.get_by_text("Saddle point", exact=False).first.is_visible()
    assert traced(page, MAP, "chosen") == [0, 0]
    assert page.evaluate(f"() => {MAP}.querySelectorAll('.imagelayer image').length") == 1
    assert page.evaluate(f"() => {PLOTS}.every(p => p.querySelectorAll('.trace').length > 0)")
    screenshot(page, "critical-points-default")

    # A click on the map (upper left, away from every critical point) chooses that point.
    box = page.evaluate(
        f"() => {{ const r = {MAP}.querySelector('.nsewdrag').getBoundingClientRect();"
        " return [r.x, r.y, r.width, r.height]; }"
    )
    page.mouse.click(box[0] + box[2] * 0.25, box[1] + box[3] * 0.125)  # about (−1, 1.5)
    page.wait_for_url("**cp_x=**")
    wait_idle(page, charts=CHARTS)
    x, y = traced(page, MAP, "chosen")
    assert -1.2 < x < -0.8 and 1.3 < y < 1.7
    assert f"cp_x={x:g}" in page.url and f"cp_y={y:g}" in page.url
    assert page.get_by_text("Not a critical point").first.is_visible()
    listed = page.locator("input[aria-label='Critical point']").input_value()
    assert listed == "— another point (clicked or typed)"  # the list follows the click
    screenshot(page, "critical-points-clicked")


def test_the_trackers_sequence_of_surfaces_stays_whole(app_url, page):
    """Styblinski–Tang, then Linear regression, then One RBF neuron once crashed the page with
    StreamlitValueAboveMaxError from the step-length slider."""
    page.goto(f"{app_url}/critical_points")
    wait_idle(page, charts=CHARTS)
    choose(page, "Surface", "Styblinski–Tang", "cp_surface=styblinski_tang", charts=CHARTS)
    choose(
        page, "Surface", "Linear regression", "cp_surface=regression", charts=CHARTS
    )  # no saddle
    choose(page, "Surface", "One RBF neuron", "cp_surface=rbf_neuron", charts=CHARTS)
    assert no_exception(page)
    step = page.locator("input[aria-label='step length ‖u‖ along the escape direction']")
    assert float(step.get_attribute("max")) == pytest.approx(1.1)
    assert page.get_by_text("actual change L(θ′+u) − L(θ′)").first.is_visible()
    assert "cp_surface=rbf_neuron" in page.url and "cp_step" not in page.url
    screenshot(page, "critical-points-rbf")


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    """The sidebar, the list, the fragments' sliders and a typed coordinate, mixed: the address
    bar holds every one, and a new browser opened on it shows the same controls and charts."""
    page.goto(f"{app_url}/critical_points")
    wait_idle(page, charts=CHARTS)
    choose(page, "Surface", "Himmelblau", "cp_surface=himmelblau", charts=CHARTS)  # a full rerun
    choose(
        page, "Critical point", "9. maximum (−0.2708, −0.923)", "cp_x=", charts=CHARTS
    )  # one more
    nudge(page, "learning rate η", charts=CHARTS)  # a fragment
    nudge(page, "steps", charts=CHARTS)  # the same fragment, right after
    nudge(page, "direction of the slice (degrees from the first axis)", key="ArrowLeft")
    nudge(page, "window: share of the domain on each side of the point", key="ArrowLeft")
    page.wait_for_url(lambda address: "cp_zoom=0.24" in address)
    for part in ("cp_surface=himmelblau", "cp_x=-0.27084459067", "cp_y=-0.92303855648",
                 "cp_lr=0.07", "cp_steps=210", "cp_angle=130", "cp_zoom=0.24"):  # fmt: skip
        assert part in page.url, (part, page.url)
    assert page.get_by_text("Local maximum").first.is_visible()
    screenshot(page, "critical-points-after-changes")

    assert view_in_new_browser(browser, page.url, CHARTS) == view_state(page)


def test_preset_link_resets_and_play_escapes(app_url, page):
    page.goto(f"{app_url}/critical_points?cp_surface=himmelblau&cp_lr=0.2")
    wait_idle(page, charts=CHARTS)
    page.get_by_role("link", name="Toy network: the saddle at the origin").click()
    page.wait_for_url("**preset=toy-network-the-saddle-at-the-origin**")
    wait_idle(page, charts=CHARTS)
    assert "cp_lr" not in page.url and "cp_surface" not in page.url  # the toy: the default
    assert page.get_by_text("and by 0.234 in truth").first.is_visible()
    assert traced(page, MAP, "chosen") == [0, 0]
    page.locator(".js-plotly-plot").last.scroll_into_view_if_needed()
    page.locator(".updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(300)
    early = traced(page, DESCENT, "marker")  # the run started just off the saddle
    page.wait_for_timeout(2500)
    later = traced(page, DESCENT, "marker")
    assert early != later
    assert page.evaluate(f"() => {DESCENT}.querySelectorAll('.imagelayer image').length") == 1
    screenshot(page, "critical-points-playing")
    nudge(page, "direction of the slice (degrees from the first axis)", charts=CHARTS)
    assert "preset=" not in page.url  # the view is no longer the preset's
    assert not page.get_by_text("and by 0.234 in truth").count()


def test_monkey_saddle_link(app_url, page):
    page.goto(f"{app_url}/critical_points?cp_surface=monkey_saddle")
    wait_idle(page, charts=CHARTS)
    assert page.get_by_text("the second-order test is inconclusive").first.is_visible()
    assert no_exception(page)
    screenshot(page, "critical-points-monkey")
