"""The server's memory, kept near what it uses: a class opening the network pages makes JAX
compile and NumPy allocate hundreds of MB that are freed again, but glibc's malloc keeps freed
memory in its heaps (one per thread that allocated, and Streamlit runs every script in a new
thread) instead of giving it back. What the settings here save is measured by bench_load's pages
and memory scenarios (figures in the README's Deploy section)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import time

_M_ARENA_MAX = -8  # mallopt's parameters (glibc's malloc.h): the number of heaps,
_M_MMAP_THRESHOLD = -3  # the size from which a block is mapped on its own (and unmapped when freed)
ARENAS = 2
# glibc raises its threshold (up to 32 MB) each time a large block is freed, after which NumPy's
# arrays come from the heaps and fragment them; fixed at 1 MB, they are returned when freed.
MMAP_THRESHOLD = 1 << 20
TRIM_EVERY = 10.0  # seconds: a trim costs milliseconds, not worth paying on every rerun


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (macOS, musl): nothing to do
        return None


_LIBC = _glibc()
_last_trim = 0.0


def limit_heaps() -> None:
    """At most ``ARENAS`` malloc heaps from now on (MALLOC_ARENA_MAX set before the server starts
    does it from the first thread: scripts/serve.sh sets it), blocks of ``MMAP_THRESHOLD`` and
    more mapped on their own."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_ARENA_MAX, ARENAS)
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def trim(*, now: bool = False) -> None:
    """Give freed heap memory back to the system: ``now``, or if ``TRIM_EVERY`` seconds have
    passed since the last time."""
    global _last_trim
    if _LIBC is not None and (now or time.monotonic() - _last_trim >= TRIM_EVERY):
        _last_trim = time.monotonic()
        _LIBC.malloc_trim(0)


def release_compiled() -> None:
    """Drop JAX's compiled functions (if JAX is loaded and its persistent compilation cache is
    on): tens of MB after a network page, kept for the life of the process otherwise. The next
    network computation loads them back from the cache (nets/jaxcache.py), a second or two;
    without the cache it would compile them all again, so they are kept."""
    jax, cache = sys.modules.get("jax"), sys.modules.get("nets.jaxcache")
    if jax is not None and getattr(cache, "DIRECTORY", None) is not None:
        jax.clear_caches()
