"""The batch size and momentum page in Chromium: preset links work on a fresh server, every chart
is drawn, one step control moves both batch views, and a sequence of changes across both
sections (sliders, a number box, a multiselect, a radio, a select box in an expander) all reach
the address bar, which a new browser then opens to the same view."""

import pytest
from helpers import choose, nudge, screenshot, trace_xy, view_in_new_browser, view_state, wait_idle

from ui.presets import preset_href
from views.batch_momentum import PRESETS

pytestmark = pytest.mark.browser

CHARTS = 7
REFUSED = "Some settings in the link were not valid"


def _surface_views(page) -> list[int]:
    """Per chart with a surface image: how many images Plotly drew (one each when drawn)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')]
            .filter(p => p.layout.images && p.layout.images.length)
            .map(p => p.querySelectorAll('.imagelayer image').length)"""
    )


def _titles(page) -> list[str]:
    """Every chart's title, without the <b> Streamlit wraps it in."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')]
            .map(p => ((p.layout.title && p.layout.title.text) || '').replace(/<[^>]*>/g, ''))"""
    )


ONCE_BROKEN = ["A small batch escapes where full batch stalls",
               "The two momentum forms under a schedule"]  # fmt: skip


@pytest.mark.parametrize("name", ONCE_BROKEN)
def test_preset_links_load_cleanly_on_a_fresh_server(app_url, page, name):
    """These two links once warned on their first render ("Some settings … were not valid")."""
    page.goto(f"{app_url}/batch_momentum{preset_href(name, PRESETS[name])}")
    wait_idle(page, charts=CHARTS)
    assert page.get_by_text(REFUSED).count() == 0
    assert page.get_by_text(name + ".").first.is_visible()  # the note, in bold
    assert "preset=" in page.url


def test_every_chart_is_drawn_and_a_preset_link_works(app_url, page):
    page.goto(f"{app_url}/batch_momentum")
    wait_idle(page, charts=CHARTS)
    assert page.locator(".js-plotly-plot").count() == CHARTS
    assert page.locator('[data-testid="stException"]').count() == 0
    assert _surface_views(page) == [1, 1, 1, 1]  # both batch views, the well, the close-up
    assert all(n > 0 for n in page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullData.length)"
    ))  # fmt: skip
    screenshot(page, "batch_momentum-default")

    page.get_by_role("link", name="Momentum rolls through the shallow minimum").click()
    page.wait_for_url("**preset=momentum-rolls-through**")
    wait_idle(page, charts=CHARTS)
    assert page.get_by_text("carries the ball over the ridge").first.is_visible()
    assert any(t.startswith("Step 4 taken apart") for t in _titles(page))
    page.locator(".js-plotly-plot").nth(5).scroll_into_view_if_needed()
    screenshot(page, "batch_momentum-momentum-preset")


def test_one_step_control_moves_both_batch_views(app_url, page):
    page.goto(f"{app_url}/batch_momentum?bm_step=500")
    wait_idle(page, charts=CHARTS)
    path = trace_xy(page, "path", 0, chart=0)
    for key, step in (("ArrowRight", 501), ("ArrowLeft", 500), ("ArrowLeft", 499)):
        nudge(page, "step t", 0, key, charts=CHARTS)
        assert f"bm_step={step}" in page.url
        expected = [path[0][step], path[1][step]]
        assert [v[0] for v in trace_xy(page, "marker", 0, chart=0)] == pytest.approx(expected)
        assert [v[0] for v in trace_xy(page, "marker", 0, chart=1)] == pytest.approx(expected)
        assert f"Minibatch surface at step {step}:" in " ".join(_titles(page))


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    page.goto(f"{app_url}/batch_momentum")
    wait_idle(page, charts=CHARTS)
    nudge(page, "batch size B", charts=CHARTS)
    nudge(page, "epochs", charts=CHARTS)  # epochs after B
    nudge(page, "step t", 0, "ArrowLeft", charts=CHARTS)
    seed = page.locator("input[aria-label='seed (shuffling)']")
    seed.fill("7")
    seed.press("Enter")
    wait_idle(page, charts=CHARTS)
    page.locator('[data-testid="stMultiSelect"] input').click()
    page.keyboard.type("4")  # the options filter to 4 and 40; Enter takes the first
    page.get_by_role("option", name="4", exact=True).wait_for()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_idle(page, charts=CHARTS)
    nudge(page, "momentum λ", 0, "ArrowLeft", charts=CHARTS)
    page.locator('[data-testid="stRadio"]').get_by_text("PyTorch").click()
    wait_idle(page, charts=CHARTS)
    page.get_by_text("learning-rate schedule (the two forms").click()
    choose(page, "schedule", "step decay", charts=CHARTS)
    nudge(page, "step t", 1, charts=CHARTS)
    for part in ("bm_batch_rbf_neuron=2", "bm_epochs_rbf_neuron=26", "bm_step=518", "bm_seed=7",
                 "bm_sizes_rbf_neuron=4", "bm_lambda=0.89", "bm_form=pytorch",
                 "bm_msched=step_decay", "bm_mstep=5"):  # fmt: skip
        assert part in page.url, (part, page.url)
    assert page.get_by_text(REFUSED).count() == 0
    screenshot(page, "batch_momentum-after-changes")

    def settle(tab):
        wait_idle(tab, charts=CHARTS)
        tab.get_by_text("learning-rate schedule (the two forms").click()  # as in the first one
        tab.wait_for_timeout(500)

    assert view_in_new_browser(browser, page.url, settle=settle) == view_state(page)
