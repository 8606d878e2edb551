"""Live sliders (issue 24): pointer move → redrawn chart in Chromium, beside today's round trip
(a key press on the run card's η slider → the server reruns → the chart shows it), measured in
the same browser in alternating turns; the websocket frames sent while dragging; the payload and
server CPU the live sliders add to a playground load at the default link.

    python -m bench.bench_live [rounds]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from helpers import wait_idle  # noqa: E402

from bench.bench_browser import PLAYGROUND_STATE, serve, slider_to_redraw  # noqa: E402

ROUNDS = 6
MOVES = 12  # values crossed per drag
LIVE = "input[type=range][aria-label='run 1 · learning rate η']"


def drag_latencies(page, sent: list[int]) -> tuple[list[float], int]:
    """One drag across MOVES values of run 1's live η: per move, the time from the pointer event
    to the frame after the redraw (``live-drawn``); and the websocket frames sent meanwhile."""
    box = page.locator(LIVE).bounding_box()
    values = int(page.locator(LIVE).get_attribute("max")) + 1
    index = int(page.locator(LIVE).input_value())
    direction = 1 if index + MOVES < values else -1
    spacing = (box["width"] - 16) / (values - 1)
    y = box["y"] + box["height"] / 2
    page.evaluate("() => { window.__drawn = []; }")
    page.mouse.move(box["x"] + 8 + index * spacing, y)
    page.mouse.down()
    quiet = len(sent)
    latencies = []
    for k in range(1, MOVES + 1):
        done = len(latencies)
        page.mouse.move(box["x"] + 8 + (index + direction * k) * spacing, y)
        page.wait_for_function("n => window.__drawn.length > n", arg=done, polling="raf")
        latencies = page.evaluate("() => window.__drawn.map(d => d.painted - d.since)")
    during = len(sent) - quiet
    page.mouse.up()
    released = page.locator(LIVE).get_attribute("data-value")
    page.wait_for_url(lambda address: f"r0_lr={released}" in address)  # after the debounce
    wait_idle(page, charts=2)
    return latencies, during


def payload_and_cpu() -> tuple[int, int, float, float]:
    """Bytes the live sliders add to a playground load at the default link (their message, their
    JS and CSS), and the server CPU of building the message: new to the cache, and cached."""
    from helpers import run_page

    at = run_page("views/playground.py")
    (component,) = [e for e in at.main if e.type == "bidi_component"]
    code = len(component.proto.js_content.encode()) + len(component.proto.css_content.encode())

    from views import playground

    race = playground.Race(*_default_race(at))
    fresh = []
    for k in range(5):
        moved = race._replace(start=(race.start[0] + 1e-6 * (k + 1), race.start[1]))
        playground.animated_view(moved)  # the page has it before the live sliders ask
        moved.simulate()
        start = time.process_time()
        playground.live_message(moved, 0, "en")
        fresh.append(time.process_time() - start)
    start = time.process_time()
    for _ in range(20):
        playground.live_message(moved, 0, "en")
    cached = (time.process_time() - start) / 20
    return component.proto.ByteSize(), code, statistics.median(fresh), cached


def _default_race(_at):
    """The playground's default race: its first three cards, every hyperparameter at default."""
    from optimizers import make_optimizer
    from ui.specs import RunSpec, SurfaceSpec
    from views.playground import DEFAULT_RUNS

    runs = tuple(
        RunSpec(name, lr, tuple((k, v) for k, v in make_optimizer(name).hyper.items() if k != "lr"))
        for name, lr in DEFAULT_RUNS[:3]
    )
    return SurfaceSpec("rosenbrock"), runs, (-1.2, 1.0), 500, None, 0


def main(rounds: int = ROUNDS) -> None:
    server, url = serve("app.py")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            sent: list[int] = []
            page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(1)))
            page.goto(f"{url}/playground")
            wait_idle(page, charts=2)
            page.evaluate("""() => { window.__drawn = [];
                document.addEventListener('live-drawn', e => window.__drawn.push(e.detail)); }""")
            live_ms, trip_ms, frames = [], [], 0
            for _round in range(rounds):
                latencies, during = drag_latencies(page, sent)
                live_ms += latencies
                frames += during
                trip_ms.append(slider_to_redraw(page, PLAYGROUND_STATE))
            browser.close()
    finally:
        server.terminate()
    live_q = statistics.quantiles(live_ms, n=4)
    print(f"pointer move → chart redrawn (live η, {len(live_ms)} moves): median "
          f"{statistics.median(live_ms):.0f} ms, quartiles {live_q[0]:.0f}–{live_q[2]:.0f} ms, "
          f"range {min(live_ms):.0f}–{max(live_ms):.0f} ms (target median ≤ 50 ms)")  # fmt: skip
    ratio = statistics.median(live_ms) / statistics.median(trip_ms)
    print(f"today's round trip (card η key press → rerun → chart, {len(trip_ms)} presses): median "
          f"{statistics.median(trip_ms):.0f} ms, range {min(trip_ms):.0f}–{max(trip_ms):.0f} ms; "
          f"live / round trip {ratio:.2f}×")  # fmt: skip
    print(f"websocket frames sent while dragging: {frames} (target 0)")
    size, code, fresh, cached = payload_and_cpu()
    print(f"extra per playground load at the default: {size / 1e6:.2f} MB (message and "
          f"component, of which JS and CSS {code / 1e3:.1f} kB; target ≤ 1.5 MB); server CPU to "
          f"build it {fresh * 1e3:.0f} ms for a new link, {cached * 1e3:.2f} ms cached "
          f"(target ≤ 50 ms per load)")  # fmt: skip


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
