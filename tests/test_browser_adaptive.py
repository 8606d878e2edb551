"""The adaptive page in Chromium: every chart drawn, presets and Play, and changes in a row across
the sidebar, the full-page section and the fragment all reach the link that a new browser opens
to the same view."""

import pytest
from helpers import nudge, screenshot, trace_xy, view_in_new_browser, view_state, wait_idle

pytestmark = pytest.mark.browser

CHARTS = 7  # section 1: view + curves; 2: view + curves + σ; 3: view + first steps
SECTION_2 = 1  # the animated views in page order: GD, adaptive runs, conventions
FIRST_LOAD = 180_000  # ms: a fresh server simulates and draws every section once


def drawn(page) -> dict:
    """How many charts are drawn, and how many of them show the surface as their background."""
    return page.evaluate(
        """() => { const plots = [...document.querySelectorAll('.js-plotly-plot')];
                   return {charts: plots.filter(p => p._fullLayout).length,
                           backgrounds: plots.filter(p => p.querySelectorAll(
                               '.imagelayer image').length === 1).length}; }"""
    )


def runs_shown(page) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')]
                 .filter(p => p.layout.images && p.layout.images.length)[1]._fullData
                 .filter(t => t.meta && t.meta.role === 'path').length"""
    )


def reaches_the_link(page, part: str, present: bool = True) -> None:
    """Wait until the address bar has (or no longer has) ``part``: a rerun may finish after
    ``wait_idle`` on a busy machine."""
    page.wait_for_url(lambda link: (part in link) == present, timeout=60_000)


def test_every_chart_is_drawn_and_a_preset_plays(app_url, page):
    page.goto(f"{app_url}/adaptive")
    wait_idle(page, FIRST_LOAD, charts=CHARTS)
    assert page.get_by_text("Adaptive learning rates and schedules").first.is_visible()
    assert drawn(page) == {"charts": CHARTS, "backgrounds": 3}
    assert runs_shown(page) == 3
    screenshot(page, "adaptive-default")

    page.get_by_role("link", name="fixed by learning-rate decay").click()
    page.wait_for_url("**preset=fixed-by-learning-rate-decay**")
    wait_idle(page, FIRST_LOAD, charts=CHARTS)
    assert runs_shown(page) == 2  # the decayed run and the same run at constant η
    assert "ad_sched=exponential_decay" in page.url and "ad_sched_gamma=0.9995" in page.url
    assert page.get_by_text("stays below the stability line").first.is_visible()
    assert not page.get_by_text("were not valid").count()  # the link loaded cleanly
    screenshot(page, "adaptive-decay")

    page.locator(".updatemenu-button", has_text="Play").nth(SECTION_2).click()
    page.wait_for_timeout(400)
    early = trace_xy(page, "marker", 0, chart=SECTION_2)
    page.wait_for_timeout(1200)
    assert trace_xy(page, "marker", 0, chart=SECTION_2) != early

    page.get_by_role("link", name="Adam needs warm-up").click()
    page.wait_for_url("**preset=adam-needs-warm-up**")
    wait_idle(page, FIRST_LOAD, charts=CHARTS)
    assert "ad_sched=noam" in page.url and not page.get_by_text("were not valid").count()
    screenshot(page, "adaptive-warmup")
    nudge(page, "η", 2, charts=CHARTS)  # Adam's η: the view is no longer the preset's
    reaches_the_link(page, "preset=", present=False)
    wait_idle(page, charts=CHARTS)
    assert "ad_adam_lr=3" in page.url and not page.get_by_text("thirtyfold").count()


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    page.goto(f"{app_url}/adaptive")
    wait_idle(page, FIRST_LOAD, charts=CHARTS)
    nudge(page, "steps", charts=CHARTS)  # sidebar: a full rerun
    reaches_the_link(page, "ad_steps=3010")
    nudge(page, "large η", charts=CHARTS)  # section 1: a full rerun
    reaches_the_link(page, "ad_gd_hi=1.5e-05")
    nudge(page, "small η", charts=CHARTS)
    reaches_the_link(page, "ad_gd_lo=1.5e-06")
    nudge(page, "η", 0, charts=CHARTS)  # section 2, Adagrad: the fragment
    reaches_the_link(page, "ad_adagrad_lr=3")
    page.get_by_text("lecture", exact=True).first.click()  # Adagrad's σ convention
    reaches_the_link(page, "ad_adagrad_conv=lecture")
    wait_idle(page, charts=CHARTS)
    page.get_by_role("combobox", name="schedule").click()
    page.get_by_role("option", name="exponential decay").click()
    reaches_the_link(page, "ad_sched=exponential_decay")
    wait_idle(page, charts=CHARTS)
    page.get_by_text("also show each run at constant η").click()
    reaches_the_link(page, "ad_compare=true")
    wait_idle(page, charts=CHARTS)
    nudge(page, "RMSProp α", key="ArrowLeft", charts=CHARTS)  # section 3, the fragment
    reaches_the_link(page, "ad_alpha=0.95")
    nudge(page, "large η", key="ArrowLeft", charts=CHARTS)  # section 1 again, back to default
    reaches_the_link(page, "ad_gd_hi", present=False)
    wait_idle(page, charts=CHARTS)
    for part in ("ad_steps=3010", "ad_gd_lo=1.5e-06", "ad_adagrad_lr=3",
                 "ad_adagrad_conv=lecture", "ad_sched=exponential_decay", "ad_compare=true",
                 "ad_alpha=0.95"):  # fmt: skip
        assert part in page.url, (part, page.url)  # every change is still there
    assert runs_shown(page) == 6
    screenshot(page, "adaptive-after-changes")

    assert view_in_new_browser(browser, page.url, CHARTS) == view_state(page)
