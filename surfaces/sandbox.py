"""Run work whose cost a user controls in a child process that is killed at a deadline.

A Streamlit script thread cannot be stopped, so SymPy work on a user's formula, and the
critical-point search of one, run here: in a process forked from a "forkserver" (not plain fork:
the server is multi-threaded, and a fork of it may inherit a lock some other thread holds), which
has the ``surfaces`` package and SymPy preloaded (see ``_preload``), so a job starts in
milliseconds. The parent waits at most ``budget`` seconds, then kills the child. The child also
caps its own address space (``MEMORY_HEADROOM`` above what it inherited) and CPU time (budget +
``CPU_GRACE``), so even a worker orphaned by a crashed server cannot run away. Linux only
(RLIMIT_AS, /proc).

A job is ``job(report, *args) -> result``; it may call ``report(partial)`` as it goes, and at the
deadline the caller gets the last partial result instead of the final one. At most
``MAX_WORKERS`` jobs run at once per server process; others wait up to ``QUEUE_LIMIT`` seconds for
a slot (not counted in their budget), then get ``Busy``.

The forkserver starts on the first job, which then waits for the preload (a second or two, not
counted in its budget); call ``warm_up()`` when the app starts to pay that before anyone waits.

Children never run a main script: multiprocessing would re-run whatever ``sys.modules
["__main__"]`` is when a child starts, and inside Streamlit that is the app's script (Streamlit
runs every page as ``__main__``), so the forkserver would draw the app without a runtime. A job is
a module-level function of ``surfaces``, importable as it is, so each child starts from the
preload alone (``_without_main``).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

# SymPy, NumPy, SciPy and this package, imported once by the forkserver; ``surfaces.preload``
# last, which freezes that heap so that workers do not pay for garbage-collecting it.
PRELOAD = ["surfaces", "surfaces.preload"]
MAX_WORKERS = max(2, os.cpu_count() or 1)
QUEUE_LIMIT = 10.0
MEMORY_HEADROOM = 256 * 2**20  # a formula's worker needs ~20 MiB; a class shares the server
CPU_GRACE = 1.0

_CONTEXT = multiprocessing.get_context("forkserver")
_SLOTS = threading.BoundedSemaphore(MAX_WORKERS)
_MAIN = threading.Lock()


class SandboxError(RuntimeError):
    """The job could not run to a result (see the subclasses)."""


class Busy(SandboxError):
    """Every worker slot stayed taken for ``QUEUE_LIMIT`` seconds."""


class Crashed(SandboxError):
    """The worker died without a result: out of memory, out of CPU time, or a signal.

    ``partial`` is the last partial result it reported (None if none).
    """

    def __init__(self, message: str, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


class Outcome(NamedTuple):
    """``value`` is the job's result if ``complete``, else its last partial result (or None)."""

    value: Any
    complete: bool


def warm_up() -> None:
    """Start the forkserver (and its preload) now rather than on the first job."""
    from multiprocessing import forkserver

    _CONTEXT.set_forkserver_preload(PRELOAD)
    with _without_main():
        forkserver.ensure_running()


@contextmanager
def _without_main() -> Iterator[None]:
    """While a child process starts, no main script for it to run again (module docstring)."""
    with _MAIN:
        saved = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = saved


def run(job: Callable[..., Any], *args: Any, budget: float) -> Outcome:
    """Run ``job(report, *args)`` in a fresh worker for at most ``budget`` seconds.

    An exception raised by the job is raised here (the job should raise picklable ones).
    """
    if not _SLOTS.acquire(timeout=QUEUE_LIMIT):
        raise Busy("every worker is busy")
    try:
        return _supervise(job, args, budget)
    finally:
        _SLOTS.release()


def _supervise(job: Callable[..., Any], args: tuple, budget: float) -> Outcome:
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    cpu = math.ceil(budget + CPU_GRACE)
    worker = _CONTEXT.Process(target=_work, args=(sender, job, args, cpu), daemon=True)
    partial = None
    try:
        _CONTEXT.set_forkserver_preload(PRELOAD)  # read only when the forkserver starts
        with _without_main():
            worker.start()  # returns once the child exists; the budget starts now
        sender.close()
        deadline = time.monotonic() + budget
        while receiver.poll(max(0.0, deadline - time.monotonic())):
            try:
                kind, value = receiver.recv()
            except EOFError:
                code = _exit_code(worker)
                raise Crashed(f"the worker stopped (exit code {code})", partial) from None
            if kind == "done":
                return Outcome(value, True)
            if kind == "error":
                raise value
            partial = value
        return Outcome(partial, False)
    finally:
        if worker.pid is not None:
            worker.kill()
            worker.join()
            worker.close()
        receiver.close()


def _exit_code(worker: multiprocessing.process.BaseProcess) -> int | None:
    worker.join(1.0)
    return worker.exitcode


def _work(sender, job: Callable[..., Any], args: tuple, cpu_seconds: int) -> None:
    """The child: cap memory and CPU, run the job, send ("partial" | "done" | "error", value)."""
    _limit(cpu_seconds)
    try:
        message = ("done", job(lambda partial: sender.send(("partial", partial)), *args))
    except Exception as error:
        message = ("error", error)
    try:
        sender.send(message)
    except Exception as error:  # an unpicklable result or exception
        sender.send(("error", SandboxError(f"{type(error).__name__}: {error}")))


def _limit(cpu_seconds: int) -> None:
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    _lower(resource.RLIMIT_AS, mapped + MEMORY_HEADROOM)
    _lower(resource.RLIMIT_CPU, cpu_seconds)


def _lower(which: int, soft: int) -> None:
    """Set a soft limit, never above the hard one (an unprivileged process cannot raise it)."""
    _, hard = resource.getrlimit(which)
    resource.setrlimit(which, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
