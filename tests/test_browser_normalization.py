"""The normalization page in Chromium: it draws, a preset changes it, Play animates."""

import pytest
from helpers import ROOT, screenshot, wait_idle


@pytest.mark.browser
def test_normalization_page_draws_changes_and_plays(app_url, page):
    page.goto(f"{app_url}/normalization")
    wait_idle(page)
    charts = page.locator(".js-plotly-plot")
    assert charts.count() >= 8
    first = charts.first.locator("image").first.get_attribute("href")
    screenshot(page, "normalization")
    page.get_by_role("link", name="Same scale, still stretched").click()
    page.wait_for_url("**preset=same-scale**")
    wait_idle(page)
    assert charts.first.locator("image").first.get_attribute("href") != first
    chart = charts.nth(1)
    chart.scroll_into_view_if_needed()
    marker = "el => el.data[el.data.length - 1].x[0]"  # the moving marker: the last trace
    end = chart.evaluate(marker)
    chart.get_by_text("▶ Play").click()
    page.wait_for_timeout(400)
    assert chart.evaluate(marker) != end  # the animation restarted from the start point
    for index in (0, 1, 5):
        charts.nth(index).screenshot(path=str(ROOT / "screenshots" / f"normalization_{index}.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
