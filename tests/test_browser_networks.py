"""The real-networks page in Chromium: every chart draws, a click on the survey picks a run and the
spectrum and slice follow, a preset link works, changes in a row across the sidebar, the page and
a popover all reach the link, which reopens the same view in a new browser."""

import re

import pytest
from helpers import nudge, screenshot, view_in_new_browser, view_state, wait_idle

pytestmark = pytest.mark.browser

CHARTS = 6  # the survey, the signs, the ratios' spread, the spectrum, the plane, the autoencoder
SMALL = "nw_runs=4&nw_steps=300&nw_refine=10"
PLOTS = "[...document.querySelectorAll('.js-plotly-plot')]"
SURVEY = f"{PLOTS}.find(p => p._fullData.some(t => t.meta && t.meta.role === 'stalled'))"
SPECTRUM = (
    f"{PLOTS}.find(p => p.layout.title && p.layout.title.text && "
    "p._fullData.some(t => t.meta && t.meta.role === 'zero'))"
)
PLANE = f"{PLOTS}.find(p => p.layout.images && p.layout.images.length)"
LONG = 300_000  # a cold survey on a loaded machine


def settle(page) -> None:
    wait_idle(page, timeout=LONG, charts=CHARTS)


def title(page, plot: str) -> str:
    """A chart's title as shown (Streamlit wraps it in <b>)."""
    return re.sub("<[^>]+>", "", page.evaluate(f"() => {plot}.layout.title.text"))


def picked_loss(page) -> float:
    return page.evaluate(f"() => {SURVEY}._fullData.find(t => t.meta.role === 'picked').y[0]")


def every_chart_drawn(page) -> bool:
    return page.evaluate(
        f"() => {PLOTS}.length === {CHARTS} && {PLOTS}.every(p => p.querySelectorAll('.trace')"
        f".length > 0) && {PLANE}.querySelectorAll('.imagelayer image').length === 1"
    )


def segment(page, label: str) -> None:
    """Choose a segment of a segmented control by its text."""
    page.locator("[data-testid=stButtonGroup] button", has_text=label).first.click()


def click_run(page, run: int) -> None:
    """Click run ``run``'s point on the survey (found by its customdata), as a user would."""
    x, y = page.evaluate(
        f"""(run) => {{ const p = {SURVEY};
            for (const t of p._fullData.filter(t => ['critical', 'stalled'].includes(t.meta.role)))
              for (let i = 0; i < t.x.length; i++) if (t.customdata[i][0] === run) {{
                const xa = p._fullLayout.xaxis, ya = p._fullLayout.yaxis;
                const box = p.querySelector('.nsewdrag').getBoundingClientRect();
                return [box.x + xa.c2p(t.x[i]) , box.y + ya.c2p(t.y[i])]; }} }}""",
        run,
    )
    page.mouse.click(x, y)


def test_every_chart_draws_and_a_click_picks_a_run(app_url, page):
    page.goto(f"{app_url}/networks?{SMALL}")
    settle(page)
    assert every_chart_drawn(page)
    assert title(page, SPECTRUM) == "Hessian eigenvalues of run 1 (33 parameters)"
    first_plane = page.evaluate(f"() => {PLANE}.layout.images[0].source")
    before = picked_loss(page)
    screenshot(page, "networks-default")

    click_run(page, 2)  # run 3
    page.wait_for_url("**nw_run=3**")
    settle(page)
    assert title(page, SPECTRUM) == "Hessian eigenvalues of run 3 (33 parameters)"
    assert page.get_by_text("Run 3 up close").first.is_visible()
    assert picked_loss(page) != before
    assert page.evaluate(f"() => {PLANE}.layout.images[0].source") != first_plane
    assert page.locator("input[aria-label='run to look at']").input_value() == "3"
    screenshot(page, "networks-clicked")


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    """The sidebar, the survey's controls, the plane's segments and the optimizer's popover,
    mixed: the address bar holds every change, and a new browser opened on it shows the same."""
    page.goto(f"{app_url}/networks?{SMALL}")
    settle(page)
    nudge(page, "units per hidden layer", key="ArrowLeft", charts=CHARTS)  # a full rerun
    nudge(page, "‖∇L‖ counted as 0 at or below", charts=CHARTS)
    segment(page, "random directions (Li et al.)")
    page.wait_for_url("**nw_plane=random**")
    settle(page)
    page.get_by_role("button", name="more settings").click()  # the optimizer's popover
    nudge(page, "β₁ (average of g)", charts=CHARTS)
    page.keyboard.press("Escape")
    nudge(page, "training steps", charts=CHARTS)
    page.wait_for_url("**nw_steps=400**")
    for part in ("nw_runs=4", "nw_width=3", "nw_tol=1e-06", "nw_plane=random", "nwo_betas1=0.95",
                 "nw_steps=400", "nw_refine=10"):  # fmt: skip
        assert part in page.url, (part, page.url)
    assert every_chart_drawn(page)
    screenshot(page, "networks-after-changes")

    assert view_in_new_browser(browser, page.url, settle=settle) == view_state(page)


def test_a_preset_link_opens_its_view(app_url, page):
    page.goto(f"{app_url}/networks?{SMALL}")
    settle(page)
    page.get_by_role("link", name="The homework's figure").click()
    page.wait_for_url("**preset=the-homework-s-figure**")
    settle(page)
    assert "nw_runs" not in page.url and "nw_seed=1" in page.url  # nothing of the old view
    assert page.get_by_text("Twenty tanh networks").first.is_visible()
    assert every_chart_drawn(page)
    screenshot(page, "networks-preset")
    segment(page, "the training path's principal components")
    page.wait_for_url("**nw_plane=path**")
    settle(page)
    assert "preset=" not in page.url  # the view is no longer the preset's
    frames = page.evaluate(f"() => {PLANE}._transitionData._frames.length")
    assert frames > 50  # the training path, animated
    screenshot(page, "networks-path")
