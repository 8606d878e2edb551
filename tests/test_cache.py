"""ui.cache's shared work and ui.memory, outside a page: a class asking for one heavy result at
once gets it computed once; a failed computation is tried again by the next who asks. And JAX's
persistent compilation cache (nets/jaxcache.py): a private directory, filled and read."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ui import cache, memory
from ui.cache import computed_once

ROOT = Path(__file__).resolve().parent.parent


def test_many_users_at_once_share_one_computation(monkeypatch):
    """The first user computes while the four others wait on the slot's lock (counted as they
    arrive): one computation, one result for all."""
    arrived, calls, results = threading.Condition(), [], []
    waiting = [0]

    class Slot(cache._Slot):
        def __init__(self) -> None:
            super().__init__()
            self.lock = Counted(self.lock)

    class Counted:
        def __init__(self, lock) -> None:
            self.inner = lock

        def __enter__(self):
            with arrived:
                waiting[0] += 1
                arrived.notify_all()
            return self.inner.__enter__()

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

    slots: dict = {}
    monkeypatch.setattr(cache, "_slot", lambda kind, key: slots.setdefault((kind, key), Slot()))

    def compute():
        calls.append(1)
        with arrived:  # every other user is at the lock before this one finishes
            assert arrived.wait_for(lambda: waiting[0] == 5, timeout=60)
        return object()

    users = [threading.Thread(target=lambda: results.append(
        computed_once("test", "same", compute))) for _ in range(5)]  # fmt: skip
    for user in users:
        user.start()
    for user in users:
        user.join(60)
    assert len(calls) == 1 and len(results) == 5 and len({id(result) for result in results}) == 1
    assert computed_once("test", "other", object) is not results[0]  # another key: its own


def test_a_refused_computation_is_not_kept():
    def refuse():
        raise ValueError("too large")

    with pytest.raises(ValueError, match="too large"):
        computed_once("test", "refused", refuse)
    assert computed_once("test", "refused", lambda: 3) == 3


def test_memory_calls_are_safe_anywhere():
    memory.limit_heaps()
    memory.trim(now=True)
    memory.trim()  # within TRIM_EVERY: nothing to do


@pytest.mark.parametrize("directory", ["/some/cache", None])
def test_compiled_functions_are_dropped_only_with_the_persistent_cache(monkeypatch, directory):
    import types

    cleared = []
    monkeypatch.setitem(sys.modules, "jax", types.SimpleNamespace(
        clear_caches=lambda: cleared.append(1)))  # fmt: skip
    monkeypatch.setitem(sys.modules, "nets.jaxcache", types.SimpleNamespace(DIRECTORY=directory))
    memory.release_compiled()
    assert cleared == ([1] if directory else [])  # without the cache, all would be compiled again


# ---- JAX's persistent compilation cache (nets/jaxcache.py) ---------------------------------------


def test_the_compilation_cache_directory_is_private(monkeypatch, tmp_path):
    from nets import jaxcache

    monkeypatch.delenv(jaxcache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = jaxcache.directory()
    assert path == tmp_path / "xdg" / "error-surface-lab" / "jax"
    assert jaxcache._private(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # the app's directory too
    path.chmod(0o777)  # found writable by others: tightened, it is ours
    assert jaxcache._private(path) and stat.S_IMODE(path.stat().st_mode) == 0o700
    monkeypatch.setenv(jaxcache.ENV, "off")
    assert jaxcache.directory() is None and jaxcache.enable() is None
    monkeypatch.setenv(jaxcache.ENV, str(tmp_path / "chosen"))
    assert jaxcache.directory() == tmp_path / "chosen"
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):  # a file in the way (enable() then runs without the cache)
        jaxcache._private(tmp_path / "file")


@pytest.mark.skipif(os.getuid() != 0, reason="giving a directory to another user needs root")
def test_a_directory_of_another_user_is_refused(tmp_path):
    from nets import jaxcache

    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    assert not jaxcache._private(theirs)


def test_a_fresh_process_loads_what_an_earlier_one_compiled(tmp_path):
    """The hook in nets.kernels points JAX at the directory before anything compiles; every
    compilation is stored (none is too quick), and a second process finds them all there."""
    program = (
        "import json, jax, jax.numpy as jnp\n"
        "from nets import jaxcache, kernels\n"
        "assert jax.config.jax_compilation_cache_dir == str(jaxcache.DIRECTORY)\n"
        "jax.jit(lambda a: jnp.tanh(a) @ a.T)(jnp.ones((3, 3))).block_until_ready()\n"
        "print(json.dumps(jaxcache.stats()))\n"
    )
    env = os.environ | {"ERROR_SURFACE_LAB_JAX_CACHE": str(tmp_path / "jax")}
    runs = [subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                           text=True, check=True, cwd=ROOT) for _ in range(2)]  # fmt: skip
    (asked, hits), (asked_again, hits_again) = (json.loads(r.stdout) for r in runs)
    assert asked >= 1 and hits == 0
    assert len(list((tmp_path / "jax").iterdir())) >= asked  # every one was stored
    assert asked_again == asked and hits_again == asked
