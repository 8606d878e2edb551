"""In Chromium: time from moving the learning-rate slider to the redrawn chart, playground vs a
minimal page with only the same contour and slider (issue 3's target: at most 1.5×).

Both pages are served side by side (`streamlit run` on two free ports) and measured in turns,
so the machine's load falls on both alike.

    python -m bench.bench_browser
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


def main() -> None:
    servers = [serve("app.py"), serve("bench/minimal_contour.py")]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ours = browser.new_page(viewport={"width": 1400, "height": 1000})
            ours.goto(f"{servers[0][1]}/playground")
            base = browser.new_page(viewport={"width": 1400, "height": 1000})
            base.goto(servers[1][1])
            for page in (ours, base):
                wait_idle(page)
            times = {"playground": [], "minimal": []}
            for _ in range(ROUNDS):
                times["playground"].append(slider_to_redraw(ours, PLAYGROUND_STATE))
                times["minimal"].append(slider_to_redraw(base, MINIMAL_STATE))
            browser.close()
    finally:
        for server, _ in servers:
            server.terminate()
    ours_ms, base_ms = (statistics.median(times[k]) for k in ("playground", "minimal"))
    print(f"slider release to redrawn chart: playground {ours_ms:.0f} ms, minimal contour page "
          f"{base_ms:.0f} ms, ratio {ours_ms / base_ms:.2f}× (target ≤ 1.5×)")  # fmt: skip


if __name__ == "__main__":
    main()
