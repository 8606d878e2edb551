"""scripts/serve.sh survives a crashed replica: killed (SIGKILL) while a few students load pages
through nginx, the service goes on answering, the replica is back within 30 s, and no page load
fails 5 s after the kill; a browser whose cookie names the dead replica is moved to a live one.
A replica that cannot start, or one that keeps exiting (a crash loop), stops the service with a
message saying so. Loopback only; every loop is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.streamlit_client import ROOT, Processes, Tab, free_port, healthy, load_page

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")

BACK_WITHIN = 30.0  # seconds from the kill until the replica answers its health check again
SETTLED = 5.0  # seconds after the kill from which no page load may fail
STUDENTS = 3  # page loads at once


class Served:
    """serve.sh on free loopback ports, its output kept (to read its messages)."""

    def __init__(self, replicas: int, **env: str) -> None:
        self.port = free_port(replicas + 1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="serve-restart-", suffix=".log")[1])
        environment = os.environ | {"PORT": str(self.port), "REPLICAS": str(replicas),
                                    "ADDRESS": "127.0.0.1", "PYTHON": sys.executable}  # fmt: skip
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                ["bash", "scripts/serve.sh"], cwd=ROOT, env=environment | env, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.processes = Processes([self.process.pid])

    def replica_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.port + i}"

    def replica_pid(self, i: int) -> int | None:
        """The Streamlit process of replica ``i`` (1-based), if it is running."""
        flag = f"--server.port\0{self.port + i}\0".encode()
        for pid in self.processes.pids():
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"streamlit\0run\0" in command and flag in command:
                    return pid
        return None

    def wait_until(self, condition, timeout: float, step: float = 0.2) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(step)
        return condition()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> list[int]:
        """SIGTERM to serve.sh, then whatever is left of its tree (what was left)."""
        left = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        left = self.processes.pids()
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.log.unlink(missing_ok=True)
        return left


@pytest.fixture
def served(request):
    servers: list[Served] = []

    def start(replicas: int, **env: str) -> Served:
        servers.append(Served(replicas, **env))
        return servers[-1]

    yield start
    for server in servers:
        assert server.stop() == []  # nothing of the service outlives it


def run(coroutine):
    """asyncio.run in a thread of its own (the browser tests keep a loop in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def students(server: Served, victim: int) -> tuple[list, float, float]:
    """STUDENTS loops of page loads (a new tab each); replica 1 is killed once 2 × STUDENTS
    loads have finished, and watched until it answers again. The loads stop SETTLED + 5 s after
    the kill once it is back, or BACK_WITHIN + SETTLED s after the kill if it is not. Returns
    every load as (start, PageLoad), the moment of the kill and the replica's return (0 if
    it did not return)."""
    loads: list = []
    killed, back = [0.0], [0.0]
    began = time.monotonic()

    def over() -> bool:
        if not killed[0]:
            return time.monotonic() - began > 120  # no kill: something else is wrong
        since = time.monotonic() - killed[0]
        return since > BACK_WITHIN + SETTLED or (back[0] > 0 and since > SETTLED + 5)

    async def student() -> None:
        while not over():
            start = time.monotonic()
            result = await load_page(server.url, "", timeout=60)
            loads.append((start, result))
            if not killed[0] and sum(r.finished for _s, r in loads) >= 2 * STUDENTS:
                killed[0] = time.monotonic()
                os.kill(victim, signal.SIGKILL)

    async def watch() -> None:
        while not killed[0] and not over():
            await asyncio.sleep(0.1)
        while not over() and not back[0]:
            if await asyncio.to_thread(healthy, server.replica_url(1)):
                back[0] = time.monotonic()
            else:
                await asyncio.sleep(0.2)

    await asyncio.gather(watch(), *(student() for _ in range(STUDENTS)))
    return loads, killed[0], back[0]


def test_a_killed_replica_is_restarted_while_the_others_serve(served):
    server = served(2)
    assert server.wait_until(lambda: healthy(server.url), 180), server.output()
    victim = server.replica_pid(1)
    assert victim is not None
    loads, killed, back = run(students(server, victim))
    assert killed, "no page load finished before the kill"
    assert back, f"replica 1 not back within {BACK_WITHIN:g} s:\n{server.output()}"
    assert back - killed <= BACK_WITHIN
    assert server.replica_pid(1) not in (None, victim)  # a new process
    assert server.process.poll() is None  # the service never stopped
    after = [(s - killed, r) for s, r in loads if s >= killed]
    settled = [r for since, r in after if since >= SETTLED]
    assert len(after) >= STUDENTS and settled  # loads went on after the kill
    assert all(r.finished and r.error is None for r in settled), [r.error for r in settled]
    print(f"\nreplica back {back - killed:.1f} s after SIGKILL; loads after the kill: "
          f"{len(after)}, failed: {sum(not r.finished for _since, r in after)}, failed "
          f"≥ {SETTLED:g} s after: {sum(not r.finished for r in settled)}")  # fmt: skip
    assert "replica 1" in server.output() and "starting it again" in server.output()


def test_a_cookie_naming_a_dead_replica_moves_to_a_live_one(served):
    server = served(2)
    assert server.wait_until(lambda: healthy(server.url), 180), server.output()
    dead, live = f"127.0.0.1:{server.port + 1}", f"127.0.0.1:{server.port + 2}"

    async def visit():
        tab = Tab(server.url)
        tab.cookies["st_replica"] = dead
        replies = [await tab.get("/_stcore/health"), await tab.get("/")]
        tab.close()
        return replies, tab.cookies

    os.kill(server.replica_pid(1), signal.SIGKILL)
    (health, page), cookies = run(visit())
    assert health.status == 200 and health.body == b"ok" and page.status == 200
    assert cookies["st_replica"] == live  # moved, so its websocket and media go there too
    assert server.wait_until(lambda: healthy(server.replica_url(1)), 60), server.output()


def test_a_crash_loop_stops_the_service_with_its_message(served):
    server = served(1, RESTART_LIMIT="3", RESTART_WINDOW="120")
    assert server.wait_until(lambda: healthy(server.url), 180), server.output()
    killed: list[int] = []
    for _ in range(3):  # each time the replica is started again, it dies at once
        assert server.wait_until(lambda: server.replica_pid(1) not in (None, *killed), 60)
        pid = server.replica_pid(1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    assert server.wait_until(lambda: server.process.poll() is not None, 60), server.output()
    assert server.process.returncode != 0
    output = server.output()
    assert "replica 1" in output and "exited 3 times within 120 s" in output, output
    assert "crash loop" in output and "stopping the service" in output


def test_a_replica_that_cannot_start_stops_the_service(served, tmp_path):
    server = served(2, APP=str(tmp_path / "missing.py"))
    assert server.wait_until(lambda: server.process.poll() is not None, 120), server.output()
    assert server.process.returncode != 0
    assert "failed to start" in server.output(), server.output()
    assert not healthy(server.url)
