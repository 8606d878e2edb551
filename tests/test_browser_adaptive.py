"""The adaptive page in Chromium: presets redraw the runs, Play animates, the link restores it."""

import pytest
from helpers import screenshot, wait_idle

pytestmark = pytest.mark.browser

# The animated 2-D views are the charts with a layout image; section 2's is the second one.
FLAT = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".filter(p => p.layout.images && p.layout.images.length)[1]"
)


def paths(page) -> list[str]:
    """Every faint full path in section 2's animated view, as JSON of (x, y): the arrays may be
    plain, typed, or Plotly 7's base64 form."""
    return page.evaluate(
        f"() => {FLAT}.data.filter(t => t.mode === 'lines' && t.opacity)"
        ".map(t => JSON.stringify([t.x, t.y]))"
    )


def settle(page, runs: int) -> list[str]:
    """Wait for the rerun to finish with ``runs`` paths in section 2, then read them."""
    wait_idle(page)
    page.wait_for_function(  # section 2's chart may not be drawn yet: a fresh page draws top-down
        f"() => {{ const p = {FLAT};"
        f" return p && p.data.filter(t => t.mode === 'lines' && t.opacity).length === {runs}; }}"
    )
    wait_idle(page)
    return paths(page)


def marker(page) -> list:
    return page.evaluate(f"() => {{ const d = {FLAT}.data; const m = d[d.length - 1];"
                         " return [m.x[0], m.y[0]]; }")  # fmt: skip


def test_presets_play_and_share(app_url, page, browser):
    page.goto(f"{app_url}/adaptive")
    wait_idle(page, charts=6)  # every section drawn before reading section 2
    assert page.get_by_text("Adaptive learning rates and schedules").first.is_visible()
    assert len(settle(page, 3)) == 3  # the default: Adagrad, RMSProp and Adam
    screenshot(page, "adaptive-default")

    page.get_by_role("link", name="Adagrad bursts").click()
    page.wait_for_url("**preset=adagrad-bursts**")
    burst = settle(page, 1)
    assert len(burst) == 1 and "ad_adagrad_conv=lecture" in page.url
    screenshot(page, "adaptive-burst")

    page.get_by_role("link", name="fixed by learning-rate decay").click()
    page.wait_for_url("**preset=*fixed*")
    fixed = settle(page, 2)
    assert len(fixed) == 2 and fixed[1] == burst[0] and fixed[0] != burst[0]
    assert "ad_sched=cosine+annealing" in page.url
    screenshot(page, "adaptive-decay")

    page.get_by_text("▶ Play").nth(1).click()
    page.wait_for_timeout(400)
    early = marker(page)
    page.wait_for_timeout(1200)
    assert marker(page) != early

    shared = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    shared.goto(page.url)
    assert settle(shared, 2) == fixed
    shared.context.close()

    page.get_by_role("link", name="Adam needs warm-up").click()
    page.wait_for_url("**preset=adam-needs**")
    wait_idle(page)
    assert "ad_sched=warmup+cosine" in page.url or "ad_sched=warmup%20cosine" in page.url
    screenshot(page, "adaptive-warmup")
