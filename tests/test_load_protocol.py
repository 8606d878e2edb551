"""The load benchmark's tab (bench/streamlit_client.py) against real servers: it must see what a
browser sees, or its figures mean nothing; and scripts/serve.sh must serve it through nginx."""

from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import streamlit

from bench.streamlit_client import Processes, Tab, load_page, serve

STATIC = Path(streamlit.__file__).parent / "static"


def run(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop
    running in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_tab_loads_the_playground_until_script_finished():
    with serve() as server:
        result = run(load_page(server.url, "playground"))
    assert result.finished, result.error
    assert result.error is None and result.alerts == ()
    assert "playground" in result.pages  # the app's navigation arrived
    assert result.received > 50_000  # and so did the figures, not only the page's frame


def test_a_tab_reports_the_exception_a_page_shows(tmp_path):
    app = tmp_path / "broken.py"
    app.write_text("import streamlit as st\nst.warning('careful')\nraise ValueError('boom')\n")
    with serve(app=str(app)) as server:
        result = run(load_page(server.url))
    assert result.finished
    assert result.error == "ValueError: boom"
    assert result.alerts == ("warning: careful",)


async def _visit_twice(url: str, bundle: str):
    """Two new browsers, then the first one again: its page, a bundle, the health check; and
    two page loads at once (the home page: the replicas are cold)."""
    first, second = Tab(url), Tab(url)
    await first.get("/")
    await second.get("/")
    static = await first.get(f"/static/js/{bundle}")
    health = await first.get("/_stcore/health")
    loads = await asyncio.gather(load_page(url), load_page(url))
    return first, second, static, health, loads


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_serve_sh_balances_keeps_browsers_sticky_compresses_and_stops_cleanly():
    bundle = next((STATIC / "static" / "js").glob("index.*.js"))
    with serve(replicas=2) as server:
        first, second, static, health, loads = run(_visit_twice(server.url, bundle.name))
        pids = server.processes.pids()
    assert all(load.finished and load.error is None for load in loads)
    # Two new browsers go to the two replicas, each told which by a cookie it then keeps.
    port = int(server.url.rsplit(":", 1)[1])
    replicas = {f"127.0.0.1:{port + 1}", f"127.0.0.1:{port + 2}"}
    assert {first.cookies["st_replica"], second.cookies["st_replica"]} == replicas
    assert "st_replica" not in health.headers.get("set-cookie", "")
    # Hashed bundles come gzipped (unzipped, the bytes on disk) and may be cached for a year.
    assert static.headers["content-encoding"] == "gzip"
    assert static.body == bundle.read_bytes()
    assert "immutable" in static.headers["cache-control"]
    # SIGTERM to serve.sh stopped nginx, both replicas and whatever they had started.
    assert len(pids) >= 5  # serve.sh, two replicas, nginx and its worker
    assert Processes(pids).pids() == []
