"""The normalization page in Chromium: every chart draws, Play animates the raw and standardized
panels together over steady backgrounds, a preset link tells its story, and changes in a row
across the sidebar, the run's popover, the batch-norm controls and both fragments all reach the
link, which a new browser opens to the same view. The real-network section likewise, cold: its
five charts draw (median lines and seed bands), its sentences show in English and Chinese,
changes to it and the sidebar reach the link, and a network preset's link works."""

import pytest
from helpers import choose, nudge, screenshot, view_in_new_browser, view_state, wait_idle

pytestmark = pytest.mark.browser

CHARTS = 13  # 8, then the real-network section's sharpness, scale-free λmax, losses, smoothness
# along the gradient and slices
COLD = 180_000  # ms: the first load trains and compiles the section's two networks (~10 s idle)
PAIR = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.images && p.layout.images.length === 2)"
)


def pair(page) -> dict:
    """The raw and standardized panels: each run marker, the number of images drawn, the first
    image's source length (it changes with the data)."""
    return page.evaluate(
        f"""() => {{ const p = {PAIR};
            const at = axis => p._fullData.find(t => t.meta && t.meta.role === 'marker'
                                                && (t.xaxis || 'x') === axis);
            return {{raw: [at('x').x[0], at('x').y[0]], std: [at('x2').x[0], at('x2').y[0]],
                     images: p.querySelectorAll('.imagelayer image').length,
                     source: p.layout.images[0].source.length}}; }}"""
    )


def test_every_chart_draws_and_play_moves_both_panels(app_url, page):
    page.goto(f"{app_url}/normalization")
    wait_idle(page, charts=CHARTS, timeout=COLD)
    assert page.get_by_text("Normalization changes the landscape").first.is_visible()
    assert page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                         ".every(p => p.querySelectorAll('.trace').length > 0)")  # fmt: skip
    assert page.get_by_text("κ = λmax/λmin, raw").first.is_visible()
    end = pair(page)
    assert end["images"] == 2
    screenshot(page, "normalization-default")

    page.locator(".updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(300)
    early = pair(page)
    page.wait_for_timeout(1200)
    late = pair(page)
    assert early["std"] != late["std"] and late["images"] == 2
    assert page.locator("[data-testid=stException]").count() == 0


def test_a_preset_link_tells_its_story(app_url, page):
    page.goto(f"{app_url}/normalization?bn_gamma=2")
    wait_idle(page, charts=CHARTS, timeout=COLD)
    before = pair(page)["source"]
    page.get_by_role("link", name="Same scale, still stretched").click()
    page.wait_for_url("**preset=same-scale-still-stretched**")
    wait_idle(page, charts=CHARTS)
    assert "bn_scale=1" in page.url and "bn_gamma" not in page.url  # nothing old leaks
    assert page.get_by_text("the raw κ is still about 55").first.is_visible()
    assert pair(page)["source"] != before  # the surfaces follow the data
    screenshot(page, "normalization-same-scale")


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    page.goto(f"{app_url}/normalization")
    wait_idle(page, charts=CHARTS, timeout=COLD)
    nudge(page, "scale of x₂ (x₂ ~ U[s, 2s])", key="ArrowLeft", charts=CHARTS)  # sidebar
    choose(page, "Optimizer", "momentum", charts=CHARTS, exact=True)
    nudge(page, "momentum λ", key="ArrowLeft", charts=CHARTS)
    page.get_by_role("button", name="more settings").click()  # the run's popover
    nudge(page, "dampening τ", charts=CHARTS)
    page.keyboard.press("Escape")
    nudge(page, "batch size", charts=CHARTS)  # batch-norm section: a full rerun
    nudge(page, "γ (scale)", charts=CHARTS)
    nudge(page, "learning rate η", 1, charts=CHARTS)  # the scale-invariance fragment
    nudge(page, "training steps (SGD on w, γ, β; batch size from above)", charts=CHARTS)
    nudge(page, "β (shift)", key="ArrowLeft", charts=CHARTS)  # a full rerun after fragments
    for part in ("bn_scale=50", "bn_run_opt=momentum", "bn_run_momentum=0.89",
                 "bn_run_dampening=0.05", "bn_batch=32", "bn_gamma=1.1", "bn_sgd_lr=1",
                 "bn_train_steps=210", "bn_beta=-0.1"):  # fmt: skip
        assert part in page.url, (part, page.url)
    assert page.locator("[data-testid=stException]").count() == 0
    screenshot(page, "normalization-after-changes")

    assert view_in_new_browser(browser, page.url, CHARTS) == view_state(page)


# ---- On a real network ---------------------------------------------------------------------------


def section(page) -> dict:
    """What the section drew: each of its charts' traces and the slices' images."""
    return page.evaluate(
        """() => { const plots = [...document.querySelectorAll('.js-plotly-plot')];
            const role = r => plots.find(p => p._fullData.some(t => t.meta && t.meta.role === r));
            const slices = plots.filter(p => p.layout.images && p.layout.images.length === 2)
                                .find(p => JSON.stringify(p.layout).includes('random direction'));
            return {charts: ['sharpness', 'effective', 'loss', 'range_relative'].map(r => role(r)
                                 && role(r).querySelectorAll('.trace').length),
                    images: slices && slices.querySelectorAll('.imagelayer image').length}; }"""
    )


def test_the_network_section_draws_and_its_changes_reach_the_link(app_url, page, browser):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{app_url}/normalization")
    wait_idle(page, charts=CHARTS, timeout=COLD)
    drawn = section(page)
    assert all(count and count >= 6 for count in drawn["charts"]) and drawn["images"] == 2
    assert page.get_by_text("over 5 seeds (0–4)").first.is_visible()
    page.get_by_role("heading", name="On a real network").scroll_into_view_if_needed()
    screenshot(page, "normalization-network")
    page.get_by_text("At the last step, along −∇L").first.scroll_into_view_if_needed()
    screenshot(page, "normalization-network-smoothness")
    nudge(page, "training steps", charts=CHARTS, expect="bnn_steps=250")  # the fragment
    choose(page, "η to look at", "0.01", then="bnn_look=0.01", charts=CHARTS, exact=True)
    nudge(page, "steps", charts=CHARTS)  # the sidebar: a full rerun after the fragment
    for part in ("bnn_steps=250", "bnn_look=0.01", "bn_steps=310"):
        assert part in page.url, (part, page.url)
    assert page.get_by_text("**At η = 0.01**").count() == 0  # markdown, not asterisks
    assert page.get_by_text("At η = 0.01, after 250 steps").first.is_visible()
    assert page.locator("[data-testid=stException]").count() == 0

    assert view_in_new_browser(browser, page.url, CHARTS, viewport=(1366, 768)) == view_state(page)


def test_a_network_preset_link_tells_its_story(app_url, page):
    page.set_viewport_size({"width": 1366, "height": 2400})
    page.goto(f"{app_url}/normalization")
    wait_idle(page, charts=CHARTS, timeout=COLD)
    page.get_by_role("link", name="A real network: the step size sets the sharpness").click()
    page.wait_for_url("**preset=a-real-network-the-step-size-sets-the-sharpness**")
    wait_idle(page, charts=CHARTS, timeout=COLD)
    assert "bnn_steps=400" in page.url
    assert page.get_by_text("Cohen et al.'s edge of stability").first.is_visible()
    assert page.get_by_text("At η = 0.3, after 400 steps").first.is_visible()
    assert page.get_by_text("at the limit (within 20 %) in every seed").first.is_visible()
    page.get_by_role("heading", name="On a real network").scroll_into_view_if_needed()
    screenshot(page, "normalization-network-sharpness")


def test_the_network_section_in_chinese(app_url, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{app_url}/normalization?lang=zh")
    wait_idle(page, charts=CHARTS, timeout=COLD)
    assert all(count and count >= 6 for count in section(page)["charts"])
    assert page.locator("[data-testid=stException]").count() == 0
    page.locator(".js-plotly-plot").nth(8).scroll_into_view_if_needed()  # the section's first
    screenshot(page, "normalization-network-zh")
