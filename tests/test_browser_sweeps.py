"""The Sweeps page in Chromium: every chart draws, a click on the learning-rate sweep animates
that run (the core's run at that η), a click on a basin map shows the cell's two runs (the
core's, ending where the map says), changes in a row across the sidebar, both sections and a
popover all reach the link, which reopens the same view in a new browser; a preset link tells its
story."""

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from helpers import choose, nudge, screenshot, trace_xy, view_in_new_browser, view_state, wait_idle

from optimizers import make_optimizer, simulate
from surfaces import get_surface
from ui.presets import slug

pytestmark = pytest.mark.browser

CHARTS = 4  # the sweep, the run on show, the basin maps, the runs from one start
LONG = 300_000  # a cold sweep and two 40×40 maps on a loaded machine
PLOTS = "[...document.querySelectorAll('.js-plotly-plot')]"
SWEEP = f"{PLOTS}.find(p => p._fullData.some(t => t.meta && t.meta.role === 'sweep'))"
MAPS = f"{PLOTS}.find(p => p._fullData.some(t => t.meta && t.meta.role === 'map'))"
HIMMELBLAU, START, STEPS = get_surface("himmelblau"), (-1.0, 0.0), 500  # the page's defaults


def settle(page) -> None:
    wait_idle(page, timeout=LONG, charts=CHARTS)


def query(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def every_chart_drawn(page) -> bool:
    """Four charts with traces; both animated ones over the surface's image, with frames."""
    return page.evaluate(
        f"""() => {PLOTS}.length === {CHARTS}
            && {PLOTS}.every(p => p.querySelectorAll('.trace').length > 0)
            && {SWEEP}.querySelectorAll('.scatterlayer .point').length > 100
            && {MAPS}.querySelectorAll('.heatmaplayer image, .hm image').length === 2
            && {PLOTS}.filter(p => p.layout.images && p.layout.images.length).every(p =>
                   p.querySelectorAll('.imagelayer image').length === 1
                   && p._transitionData._frames.length > 10)"""
    )


def follow_preset(page, name: str) -> None:
    """Click a preset's link in the sidebar, as a user would, and wait for its view."""
    page.get_by_role("link", name=name).click()
    page.wait_for_url(f"**preset={slug(name)}**")
    settle(page)


def points(page, plot: str, role: str, xaxis: str = "xaxis", yaxis: str = "yaxis") -> list:
    """Every point of the traces with this ``meta`` role: [screen x, screen y, x, y, run, data]
    (screen coordinates of the viewport, for a click)."""
    return page.evaluate(
        f"""() => {{ const p = {plot}, box = p.getBoundingClientRect(), out = [];
            const xa = p._fullLayout.{xaxis}, ya = p._fullLayout.{yaxis};
            for (const t of p._fullData.filter(t => t.meta && t.meta.role === '{role}'))
              for (let i = 0; i < t.x.length; i++) if (Number.isFinite(t.y[i]))
                out.push([box.left + xa._offset + xa.c2p(t.x[i]),
                          box.top + ya._offset + ya.c2p(t.y[i]), t.x[i], t.y[i], t.meta.run,
                          t.customdata ? t.customdata[i] : t.text[i]]);
            return out; }}"""
    )


def click_sweep_point(page) -> tuple[str, float]:
    """Click a point of the sweep clear (on screen) of every other, as a user would, of another
    optimizer than the one on show: the run it names (optimizer, η)."""
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    shown = points(page, SWEEP, "sweep")
    marked = shown + points(page, SWEEP, "best") + points(page, SWEEP, "chosen")
    screen = np.array([p[:2] for p in marked])
    apart = [p for p in shown if np.sort(np.hypot(*(screen - p[:2]).T))[1] > 7]
    apart = [p for p in apart if p[5][0] != "sgd"]  # sgd is on show
    chosen = apart[len(apart) // 2]
    page.mouse.click(chosen[0], chosen[1])
    name, rate = chosen[5]
    return name, rate


def click_cell(page, i: int, j: int) -> tuple[float, float, str]:
    """Click cell (i, j) of map A (by its invisible pick point): its start and its label."""
    page.evaluate(f"() => {MAPS}.scrollIntoView({{block: 'center'}})")
    page.wait_for_timeout(300)
    cells = points(page, MAPS, "pick")
    size = round(np.sqrt(len(cells) / 2))
    x, y, cx, cy, _run, label = cells[j * size + i]  # map A's points come first, row after row
    page.mouse.click(x, y)
    return cx, cy, label


def test_every_chart_draws_and_clicks_show_those_runs(app_url, page):
    """A click on the sweep animates the core's run at that η; a click on a basin map shows the
    cell's two runs, the core's, ending where map A says."""
    page.goto(f"{app_url}/sweeps")
    settle(page)  # cold: the sweep's 144 runs and two 40×40 maps
    assert every_chart_drawn(page)
    assert page.get_by_text("144 runs of 500 steps from (−1, 0)").first.is_visible()
    screenshot(page, "sweeps-default")

    name, rate = click_sweep_point(page)
    page.wait_for_url(lambda address: "sw_run_lr=" in address)
    settle(page)
    assert query(page) == {"sw_run_opt": name, "sw_run_lr": f"{rate:g}"}
    run = simulate(HIMMELBLAU, make_optimizer(name, lr=rate), START, STEPS)
    x, y = trace_xy(page, "path", 0, chart=0)  # the run on show, animated
    np.testing.assert_array_equal(np.column_stack([x, y]), run.points)
    assert [p[2] for p in points(page, SWEEP, "chosen")] == [rate]  # ringed on the chart
    assert page.locator("input[aria-label='run on show']").input_value() == name
    assert page.evaluate(f"() => {PLOTS}.filter(p => p.layout.images?.length)[0]"
                         "._transitionData._frames.length") > 10  # fmt: skip
    screenshot(page, "sweeps-clicked-run")

    x, y, label = click_cell(page, 31, 9)
    page.wait_for_url(lambda address: "sw_cell_x=" in address and "sw_cell_y=" in address)
    settle(page)
    assert float(query(page)["sw_cell_x"]) == x and float(query(page)["sw_cell_y"]) == y
    for run, optimizer in enumerate(("sgd", "momentum")):  # the maps' defaults: η 0.01, 300 steps
        expected = simulate(HIMMELBLAU, make_optimizer(optimizer, lr=0.01), (x, y), 300).points
        drawn = np.column_stack(trace_xy(page, "path", run, chart=1))
        np.testing.assert_array_equal(drawn, expected)
    assert label.startswith("basin")  # where map A says the run ends, the note says so too
    assert page.get_by_text(f"A: sgd (lr 0.01): ends in {label}").first.is_visible()
    screenshot(page, "sweeps-clicked-cell")


def test_changes_in_a_row_all_reach_the_link(app_url, page, browser):
    """The sidebar, the sweep's select box and popover, the basins' slider and a click on a map,
    mixed: the address bar holds every change, and a new browser opened on it shows the same."""
    page.goto(f"{app_url}/sweeps")
    settle(page)
    nudge(page, "steps per run", charts=CHARTS, expect="sw_steps=510")  # a full rerun
    choose(page, "run on show", "adam", "sw_run_opt=adam", charts=CHARTS, exact=True)
    page.get_by_role("button", name="η range").click()  # the sweep's popover
    nudge(page, "number of rates", charts=CHARTS, expect="sw_rates=49")
    page.keyboard.press("Escape")
    nudge(page, "“arrived”: this close to a minimum", charts=CHARTS, expect="sw_radius=0.03")
    x, y, _label = click_cell(page, 5, 30)
    page.wait_for_url(lambda address: "sw_cell_x=" in address)
    settle(page)
    expected = {"sw_steps": "510", "sw_run_opt": "adam", "sw_rates": "49", "sw_radius": "0.03"}
    assert query(page) == expected | {"sw_cell_x": query(page)["sw_cell_x"],
                                      "sw_cell_y": query(page)["sw_cell_y"]}  # fmt: skip
    assert (float(query(page)["sw_cell_x"]), float(query(page)["sw_cell_y"])) == (x, y)
    assert every_chart_drawn(page)
    screenshot(page, "sweeps-after-changes")

    assert view_in_new_browser(browser, page.url, settle=settle) == view_state(page)


def test_a_preset_link_opens_its_view(app_url, page):
    page.goto(f"{app_url}/sweeps?sw_radius=0.03")
    settle(page)
    follow_preset(page, "Momentum rolls past the shallow minimum")
    assert "sw_radius" not in page.url and "sw_surface=double_well" in page.url
    assert page.get_by_text("Momentum (λ = 0.9) ends there from 57.5 %").first.is_visible()
    assert page.get_by_role("cell", name="57.5 % (920)").first.is_visible()  # the shares table
    assert every_chart_drawn(page)
    screenshot(page, "sweeps-preset")
    nudge(page, "“arrived”: this close to a minimum", charts=CHARTS, expect="sw_radius=0.03")
    assert "preset=" not in page.url  # the view is no longer the preset's: no note
    assert not page.get_by_text("Momentum (λ = 0.9) ends there from 57.5 %").count()
