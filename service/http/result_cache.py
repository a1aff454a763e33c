"""A short-lived memo of rendered reports, with single-flight for concurrent identical misses.

Dashboards poll the same report from many browsers; Rocket.Chat's own enterprise reports keep a
60-second in-process memo for the same reason. Keys are the validated report parameters (never a
token: permission is checked on every request before the cache is consulted). An answer is served
for at most `ttl_seconds` after its aggregation finished; errors are never cached.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

Value = TypeVar("Value")


class ResultCache(Generic[Value]):
    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
        observe: Callable[[bool], None] = lambda hit: None,
    ) -> None:
        """`observe(hit)` is told of every lookup (for the metrics)."""
        self.ttl_seconds = ttl_seconds
        self._observe = observe
        self._enabled = ttl_seconds > 0 and max_entries > 0
        # TTLCache evicts the least recently used entry when full, and expired ones first.
        self._entries: TTLCache[Hashable, Value] = TTLCache(
            maxsize=max_entries if self._enabled else 1, ttl=ttl_seconds or 1, timer=clock
        )
        self._in_flight: dict[Hashable, asyncio.Task[Value]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get_or_compute(self, key: Hashable, compute: Callable[[], Awaitable[Value]]) -> Value:
        """The cached value for `key`, or the result of one `compute()` shared by every caller
        that asks for `key` while it runs."""
        if not self._enabled:
            self._observe(False)
            return await compute()
        try:
            value = self._entries[key]
        except KeyError:
            pass
        else:
            self._observe(True)
            return value
        task = self._in_flight.get(key)
        if task is None:
            self._observe(False)
            # A task of its own, so one caller hanging up does not cancel the others' answer.
            task = asyncio.ensure_future(self._fill(key, compute))
            self._in_flight[key] = task
        else:
            self._observe(True)
        return await asyncio.shield(task)

    async def _fill(self, key: Hashable, compute: Callable[[], Awaitable[Value]]) -> Value:
        try:
            value = await compute()
            self._entries[key] = value
            return value
        finally:
            del self._in_flight[key]
