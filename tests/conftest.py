"""Shared fixtures: the live app on a free port and headless Chromium, for browser tests."""

from __future__ import annotations

import os

# One BLAS thread, as in app.py: set before anything loads NumPy (the browser tests' server
# inherits it).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# ---- Browser -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Server log lines that mean a defect, whatever page the browser was on.
LOG_DEFECTS = ("Traceback", "WARNING", "ERROR")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> Iterator[str]:
    """`streamlit run app.py` on a free port, healthy before the first test uses it; when the
    session ends, its log must hold no traceback and no warning (a widget set two ways, say)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the README says how)")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("the app did not become healthy within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    defects = [line for line in log_path.read_text().splitlines() if any(
        word in line for word in LOG_DEFECTS)]  # fmt: skip
    assert not defects, f"the server logged ({log_path}):\n" + "\n".join(defects[:20])


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


def pytest_sessionfinish(session, exitstatus) -> None:
    """A run under tests/make_references.py writes the reference values it computed."""
    import reference

    if reference.REGENERATE:
        for path in reference.write_computed():
            print(f"wrote {path.relative_to(ROOT)}")
