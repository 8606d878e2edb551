"""In Chromium: time from moving the learning-rate slider to the redrawn chart, playground vs a
minimal page with only the same contour and slider (issue 3's target: at most 1.5×).

Both pages are served side by side (`streamlit run` on two free ports), each in its own browser,
and measured in alternating turns, so the machine's load falls on both alike; the ratio is taken
per pair of turns. Every batch starts fresh servers, so no simulation is ever a cache hit.

    python -m bench.bench_browser [batches]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, _free_port  # noqa: E402
from helpers import wait_idle  # noqa: E402

ROUNDS = 11  # η steps down from 0.001 to the slider's floor, 1e-5
BATCHES = 3
SLIDER = "input[aria-label='learning rate η']"  # the playground's first is run 1's
# What changes on screen when the slider moves: run 1's path, or the minimal page's title.
PLAYGROUND_STATE = (
    "() => { const p = [...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.images && p.layout.images.length);"
    " return p ? Array.from(p._fullData[1].x).slice(0, 400).join(',') : ''; }"
)
MINIMAL_STATE = (
    "() => { const p = document.querySelector('.js-plotly-plot');"
    " return p && p._fullLayout.title ? String(p._fullLayout.title.text) : ''; }"
)


def serve(script: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.read() == b"ok":
                    return server, url
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{script} did not start")


def slider_to_redraw(page, state_js: str) -> float:
    """Milliseconds from one ArrowLeft on the learning-rate slider to the chart showing it."""
    page.bring_to_front()  # a background tab gets no animation frames
    page.locator(SLIDER).first.focus()
    before = page.evaluate(state_js)
    start = page.evaluate("performance.now()")
    page.keyboard.press("ArrowLeft")  # smaller η: every value is new and none diverges
    page.wait_for_function(
        f"before => ({state_js})() !== before", arg=before, polling="raf", timeout=60_000
    )
    elapsed = page.evaluate("performance.now()") - start
    wait_idle(page)
    return elapsed


def batch(playwright) -> tuple[list[float], list[float]]:
    """One batch: fresh servers and browsers, ROUNDS slider moves on each page in turn."""
    servers = [serve("app.py"), serve("bench/minimal_contour.py")]
    browsers = [playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for _ in servers]  # fmt: skip
    try:
        ours, base = (b.new_page(viewport={"width": 1400, "height": 1000}) for b in browsers)
        ours.goto(f"{servers[0][1]}/playground")
        base.goto(servers[1][1])
        for page in (ours, base):
            wait_idle(page)
        ours_ms, base_ms = [], []
        for round_ in range(ROUNDS):
            turns = [(ours, PLAYGROUND_STATE, ours_ms), (base, MINIMAL_STATE, base_ms)]
            for page, state_js, times in turns[:: 1 if round_ % 2 else -1]:
                times.append(slider_to_redraw(page, state_js))
        return ours_ms, base_ms
    finally:
        for browser in browsers:
            browser.close()
        for server, _ in servers:
            server.terminate()


def main(batches: int = BATCHES) -> None:
    ours_ms, base_ms = [], []
    with sync_playwright() as playwright:
        for _ in range(batches):
            ours, base = batch(playwright)
            ours_ms += ours
            base_ms += base
    ratios = [a / b for a, b in zip(ours_ms, base_ms, strict=True)]
    low, high = statistics.quantiles(ratios, n=4)[0::2]
    print(f"slider release to redrawn chart, {len(ratios)} pairs: playground "
          f"{statistics.median(ours_ms):.0f} ms, minimal contour page "
          f"{statistics.median(base_ms):.0f} ms; ratio median {statistics.median(ratios):.2f}× "
          f"(quartiles {low:.2f}–{high:.2f}; target ≤ 1.5×)")  # fmt: skip


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
