"""ui.cache's shared work and ui.memory, outside a page: a class asking for one heavy result at
once gets it computed once; a failed computation is tried again by the next who asks."""

from __future__ import annotations

import threading
import time

import pytest

from ui import memory
from ui.cache import computed_once


def test_many_users_at_once_share_one_computation():
    calls, results = [], []

    def compute():
        calls.append(1)
        time.sleep(0.2)  # long enough for every other user to be waiting
        return object()

    users = [threading.Thread(target=lambda: results.append(
        computed_once("test", "same", compute))) for _ in range(5)]  # fmt: skip
    for user in users:
        user.start()
    for user in users:
        user.join()
    assert len(calls) == 1 and len({id(result) for result in results}) == 1
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
