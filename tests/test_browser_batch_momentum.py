"""The batch size and momentum page in Chromium: charts drawn, a preset and a slider change them,
Play animates."""

import pytest
from helpers import screenshot, wait_idle

pytestmark = pytest.mark.browser

CHARTS = ".js-plotly-plot"


def _wait_title(page, start, timeout=30_000):
    """Wait until a chart's title (Streamlit wraps it in <b>) starts with ``start``; return it."""
    handle = page.wait_for_function(
        """start => [...document.querySelectorAll('.js-plotly-plot')]
            .map(e => ((e.layout && e.layout.title && e.layout.title.text) || '')
                      .replace(/<[^>]*>/g, ''))
            .find(t => t.startsWith(start))""",
        arg=start,
        timeout=timeout,
    )
    return handle.json_value()


def _marker_x(page, chart, name):
    return page.evaluate(
        "([i, name]) => { const d = document.querySelectorAll('.js-plotly-plot')[i].data;"
        " const t = d.filter(t => t.name === name && t.mode === 'markers'); return t[0].x[0]; }",
        [chart, name],
    )


def test_page_draws_every_chart_and_a_preset_changes_them(app_url, page):
    page.goto(f"{app_url}/batch_momentum")
    wait_idle(page)
    assert page.locator(CHARTS).count() == 7
    assert page.locator('[data-testid="stException"]').count() == 0
    _wait_title(page, "Minibatch surface at step 0")
    screenshot(page, "batch_momentum_default")

    page.get_by_role("link", name="Momentum rolls through the shallow minimum").click()
    page.wait_for_url("**preset=momentum-rolls-through**")
    wait_idle(page)
    assert page.get_by_text("rolls over the ridge").count() >= 1
    # The animated momentum view: Play moves the gradient-descent marker from the last step.
    chart = page.locator(CHARTS).nth(3)
    chart.scroll_into_view_if_needed()
    end = _marker_x(page, 3, "gradient descent")
    chart.get_by_text("▶ Play").click()
    page.wait_for_timeout(400)
    assert _marker_x(page, 3, "gradient descent") != end
    page.wait_for_timeout(6000)
    screenshot(page, "batch_momentum_momentum_preset")


def test_batch_size_slider_changes_the_minibatch_surface(app_url, page):
    page.goto(f"{app_url}/batch_momentum?bm_batch_rbf_neuron=4&bm_step=12")
    wait_idle(page)
    title = _wait_title(page, "Minibatch surface at step 12")
    slider = page.get_by_role("slider", name="batch size B")
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    assert "bm_batch_rbf_neuron=5" in page.url
    assert _wait_title(page, "Minibatch surface at step") != title
    screenshot(page, "batch_momentum_batch5")
