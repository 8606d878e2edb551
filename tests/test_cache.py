"""ui.cache's shared work and ui.memory, outside a page: a class asking for one heavy result at
once gets it computed once; a failed computation is tried again by the next who asks."""

from __future__ import annotations

import threading

import pytest

from ui import cache, memory
from ui.cache import computed_once


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
