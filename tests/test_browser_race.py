"""No change is ever silently undone (issue 24): on every page, controls in the sidebar and in the
page (inside a fragment where the page has one) are changed one after another at random gaps of
0 to 2.5 s (seeded; ``RACE_SEED`` draws other gaps), the second while the first change's rerun is
still running (this server pauses every run on purpose, before the page and in each fragment:
``LAB_TEST_RUN_PAUSE`` in ui/url.py). Afterwards every control shows the value
it was moved to, the address bar holds every change, and the link opened in a new browser shows
the same view."""

from __future__ import annotations

import contextlib
import os
import random
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import served_app
from helpers import IDLE, pick, press, shown, view_in_new_browser, view_state, wait_idle
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ui.catalogue import PAGES

pytestmark = pytest.mark.browser

PAUSE = "0.5"  # s: each run of this file's server pauses, before the page and in fragments
COLD = 300_000  # ms: a page's first load computes everything on a loaded machine
LONGEST_GAP = 2.5  # s: between two changes
FIRST_GAP = 0.3  # s at most: the second change lands in the first one's (paused) rerun


class Move(NamedTuple):
    """One change, as a user makes it: a slider one notch from the keyboard, an option clicked
    in a segmented control (``click``), or an option picked in a select box (``option``)."""

    label: str  # the control's label (for a click: the option's)
    key: str  # the start of its URL parameter's name, which is also its widget's key
    arrow: str = "ArrowRight"
    click: bool = False
    option: str = ""


class Case(NamedTuple):
    path: str  # the page, as ui.catalogue lists it
    address: str  # what the test opens: a link, with light settings where a page computes much
    charts: int  # the page's charts, drawn when it is idle
    moves: tuple[Move, ...]  # the first one reruns the whole page (the paused kind)


CASES = (
    Case("views/playground.py", "playground", 2, (
        Move("steps", "steps"),  # sidebar: a full rerun
        Move("steps", "steps"),
        Move("learning rate η", "r0_lr"),  # run 1's card: the fragment
        Move("momentum λ", "r1_momentum", "ArrowLeft"),
        Move("number of runs", "runs"),  # sidebar again
    )),
    Case("views/sweeps.py", "sweeps?sw_rates=10&sw_grid=10&sw_bsteps=50", 4, (
        Move("steps per run", "sw_steps"),  # sidebar
        Move("steps per run", "sw_steps"),
        Move("steps to target", "sw_measure", click=True),  # the sweep's fragment
        Move("grid (starts per side)", "sw_grid"),  # the basins' fragment
        Move("steps per start", "sw_bsteps"),
    )),
    Case("views/critical_points.py", "critical_points", 5, (
        Move("Surface", "cp_surface", option="Himmelblau"),  # sidebar
        Move("learning rate η", "cp_lr"),  # the descent's fragment
        Move("steps", "cp_steps"),
        Move("direction of the slice (degrees from the first axis)", "cp_angle",
             arrow="ArrowLeft"),  # the slice's fragment
    )),
    Case("views/networks.py", "networks?nw_runs=4&nw_steps=300&nw_refine=10", 3, (
        Move("training steps", "nw_steps"),  # sidebar (the page has no fragment)
        Move("‖∇L‖ counted as 0 at or below", "nw_tol"),  # in the page
        Move("units per hidden layer", "nw_width"),  # sidebar
    )),
    Case("views/batch_momentum.py", "batch_momentum", 7, (
        Move("batch size B", "bm_batch_"),  # the page is one fragment, with no sidebar control
        Move("epochs", "bm_epochs_"),
        Move("momentum λ", "bm_lambda", arrow="ArrowLeft"),
        Move("step t", "bm_mstep"),
    )),
    Case("views/adaptive.py", "adaptive", 7, (
        Move("steps", "ad_steps", arrow="ArrowLeft"),  # sidebar
        Move("large η", "ad_gd_hi"),  # section 1: a full rerun
        Move("η", "ad_adagrad_lr", "ArrowLeft"),  # section 2: the fragment
        Move("RMSProp α", "ad_alpha", arrow="ArrowLeft"),  # section 3, the same fragment
    )),
    Case("views/loss_functions.py", "loss_functions", 3, (
        Move("steps", "lf_steps"),  # sidebar (the page has no fragment)
        Move("learning rate η", "lf_r_lr", arrow="ArrowLeft"),
        Move("momentum λ", "lf_r_momentum"),
    )),
    Case("views/normalization.py", "normalization", 12, (
        Move("steps", "bn_steps"),  # sidebar
        Move("γ (scale)", "bn_gamma"),  # in the page: a full rerun
        Move("learning rate η", "bn_sgd_lr", "ArrowLeft"),  # the invariance fragment
        Move("steps", "bn_sgd_steps"),
    )),
)  # fmt: skip


@pytest.fixture(scope="module")
def slow_app(tmp_path_factory):
    """The app on its own server whose runs pause; its log holds no defect at the end."""
    with served_app(tmp_path_factory.mktemp("race") / "streamlit.log",
                    {"LAB_TEST_RUN_PAUSE": PAUSE}) as url:  # fmt: skip
        yield url


def changed(address: str) -> set[str]:
    """The parameters in an address (a control not at its default)."""
    return set(parse_qs(urlsplit(address).query))


def test_every_page_is_covered():
    assert {case.path for case in CASES} == {entry.path for entry in PAGES}


def make(tab, move: Move) -> str:
    """Make the change; returns what the control shows right after it."""
    if move.option:
        pick(tab, move.label, move.option)
        tab.wait_for_function(
            "([l, o]) => document.querySelector(`input[aria-label='${l}']`)?.value === o",
            arg=[move.label, move.option],
        )
        return move.option
    if move.click:
        tab.get_by_role("radio", name=move.label).first.click()
        return current(tab, move)
    return press(tab, move.label, key=move.arrow, scope=scope(move))


def current(tab, move: Move) -> str:
    """What the moved control shows now."""
    if move.click:
        return tab.get_by_role("radio", name=move.label).first.get_attribute("aria-checked")
    return shown(tab, move.label, scope=scope(move))


def scope(move: Move) -> str:
    """The control's own container (Streamlit gives it the class ``st-key-<key>``): a label
    alone can be ambiguous, the more so while a rerun briefly holds a replaced slider twice."""
    return f"[class*='st-key-{move.key}']"


def _param(case: Case):
    return pytest.param(case, id=case.path.split("/")[-1][:-3])


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_changes_in_quick_succession_are_all_kept(slow_app, page, browser, case):
    rng = random.Random(f"issue 24: {case.path}{os.environ.get('RACE_SEED', '')}")
    page.goto(f"{slow_app}/{case.address}")
    wait_idle(page, timeout=COLD, charts=case.charts)
    intended: dict[tuple, str] = {}  # control -> what it showed right after its last change
    during = 0  # changes made while a rerun was running
    for index, move in enumerate(case.moves):
        if index:
            gap = rng.uniform(0, FIRST_GAP if index == 1 else LONGEST_GAP)
            page.wait_for_timeout(gap * 1000)  # the user's pause, not a wait for the app
        during += page.locator(IDLE).count() == 0
        intended[move.label, move.key, move.click] = make(page, move)
    assert during, "no change arrived during a rerun: the test did not test the race"

    def has_every_change(address: str) -> bool:
        return all(any(p.startswith(m.key) for p in changed(address)) for m in case.moves)

    wait_idle(page, timeout=COLD, charts=case.charts)
    with contextlib.suppress(PlaywrightTimeout):  # asserted below, with what is missing
        page.wait_for_url(has_every_change, timeout=10_000)  # the last write, if still on its way
    on_show = {(m.label, m.key, m.click): current(page, m) for m in case.moves}
    assert on_show == intended, page.url
    missing = [m.key for m in case.moves if not any(p.startswith(m.key) for p in changed(page.url))]
    assert not missing, (missing, page.url)

    def settle(tab) -> None:
        wait_idle(tab, timeout=COLD, charts=case.charts)

    assert view_in_new_browser(browser, page.url, settle=settle) == view_state(page)
