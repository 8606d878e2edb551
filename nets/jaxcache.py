"""JAX's persistent compilation cache, so that a fresh process (a restarted replica, a new
container) loads the networks' compiled functions from disk instead of compiling them again.

Set up once, on import, by ``nets.kernels`` (before anything is compiled). The directory is the
app's own, per user: ``$ERROR_SURFACE_LAB_JAX_CACHE`` if set ("off" turns the cache off), else
``$XDG_CACHE_HOME/error-surface-lab/jax`` (``~/.cache/...`` without XDG_CACHE_HOME). It is
created with mode 0700 and used only if it belongs to this user and no one else may write to
it: the cache holds executables this process would load and run, so a directory another user
can write to is refused (the cache is then off, nothing else changes). Every compilation is
stored (``jax_persistent_cache_min_compile_time_secs = 0``): the networks' functions each
compile in well under JAX's default threshold of a second, yet together they are most of a cold
start. ``stats()`` counts the cache's requests and hits in this process (the benchmarks report
its hit rate).
"""

from __future__ import annotations

import importlib.util
import os
import stat
import threading
from pathlib import Path

import jax

ENV = "ERROR_SURFACE_LAB_JAX_CACHE"
MAX_BYTES = 512 * 2**20  # least recently used entries are evicted past this (with filelock)
REQUESTS = "/jax/compilation_cache/compile_requests_use_cache"
HITS = "/jax/compilation_cache/cache_hits"

_counts = {REQUESTS: 0, HITS: 0}
_lock = threading.Lock()


def directory() -> Path | None:
    """Where the cache lives (None: turned off)."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "error-surface-lab" / "jax"


def _private(path: Path) -> bool:
    """``path`` made (mode 0700, with an app directory above it when the default is used) or
    found as a directory of this user's that only this user may write to."""
    if not os.environ.get(ENV, "").strip():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o022:  # group or others may write: tighten it (it is ours)
        path.chmod(0o700)
    return True


def _count(event: str, **_metadata) -> None:
    if event in _counts:
        with _lock:
            _counts[event] += 1


def enable() -> Path | None:
    """Point JAX at the cache directory (see the module docstring); the directory in use, or
    None if the cache is off or the directory was refused."""
    path = directory()
    try:
        if path is None or not _private(path):
            return None
    except OSError:  # a read-only home, a file in the way: run without the cache
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)  # every size
    if importlib.util.find_spec("filelock") is not None:  # JAX needs it to bound the size
        jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
    return path


def stats() -> tuple[int, int]:
    """(compilations that asked the cache, of them answered from it) in this process so far."""
    with _lock:
        return _counts[REQUESTS], _counts[HITS]


jax.monitoring.register_event_listener(_count)
DIRECTORY = enable()
