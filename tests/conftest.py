"""Shared fixtures: the live app on a free port and headless Chromium, for browser tests."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def served_app(log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free port (with ``env`` added to this process's), healthy
    before it is yielded; when it stops, its log must hold no traceback and no warning (a widget
    set two ways, say)."""
    port = _free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ | (env or {}),
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while not healthy(url):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the app did not become healthy within 60 s")
                time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)
    defects = [line for line in log_path.read_text().splitlines() if any(
        word in line for word in LOG_DEFECTS)]  # fmt: skip
    assert not defects, f"the server logged ({log_path}):\n" + "\n".join(defects[:20])


def healthy(url: str) -> bool:
    """Whether the server at ``url`` says it is healthy."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.read().decode().strip() == "ok"
    except OSError:
        return False


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> Iterator[str]:
    """The app for every browser test (``served_app``)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the README says how)")
    with served_app(tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


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
