"""A short-lived memo of rendered reports, with single-flight for concurrent identical misses.

Dashboards poll the same report from many browsers; Rocket.Chat's own enterprise reports keep a
60-second in-process memo for the same reason. Keys are the validated report parameters (never a
token: permission is checked on every request before the cache is consulted). An answer is served
for at most `ttl_seconds` after its aggregation finished; errors are never cached.

The memo is bounded twice, by entries and by bytes: callers choose the keys, so a flood of
distinct requests with large answers (or large keys) must not be able to fill the process.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, NamedTuple, TypeVar

from cachetools import TTLCache

Value = TypeVar("Value")

# What an entry costs besides the bytes it is weighed at: the key's and value's objects, the
# cache's own links. Rough, and on the generous side.
ENTRY_OVERHEAD_BYTES = 512


class _Entry(NamedTuple, Generic[Value]):
    value: Value
    cost: int


class ResultCache(Generic[Value]):
    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
        observe: Callable[[bool], None] = lambda hit: None,
        *,
        max_bytes: int | None = None,
        weigh: Callable[[Value], int] = lambda value: 0,
    ) -> None:
        """`observe(hit)` is told of every lookup (for the metrics); `weigh(value)` gives the
        bytes a value holds, counted against `max_bytes` (None: bounded by entries only)."""
        self.ttl_seconds = ttl_seconds
        self._observe = observe
        # Without a byte budget every entry costs the same share: a bound by entries alone.
        self._weigh = weigh if max_bytes is not None else None
        self._enabled = ttl_seconds > 0 and max_entries > 0
        capacity = max_bytes if max_bytes is not None else max_entries * ENTRY_OVERHEAD_BYTES
        # One budget enforces both bounds: every entry costs at least an equal share of it, so
        # no more than `max_entries` fit, and never more than `max_bytes` in all.
        self._share = max(1, capacity // max(1, max_entries))
        # TTLCache evicts the least recently used entry when full, and expired ones first.
        self._entries: TTLCache[Hashable, _Entry[Value]] = TTLCache(
            maxsize=capacity if self._enabled else 1,
            ttl=ttl_seconds or 1,
            timer=clock,
            getsizeof=lambda entry: entry.cost,
        )
        self._in_flight: dict[Hashable, asyncio.Task[Value]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """What the entries are counted at, against `max_bytes`."""
        return int(self._entries.currsize)

    async def get_or_compute(
        self, key: Hashable, compute: Callable[[], Awaitable[Value]], *, key_bytes: int = 0
    ) -> Value:
        """The cached value for `key`, or the result of one `compute()` shared by every caller
        that asks for `key` while it runs. `key_bytes` is what the key holds beyond a small
        fixed size (the length of a caller's string in it), so that keys count as well."""
        if not self._enabled:
            self._observe(False)
            return await compute()
        try:
            entry = self._entries[key]
        except KeyError:
            pass
        else:
            self._observe(True)
            return entry.value
        task = self._in_flight.get(key)
        if task is None:
            self._observe(False)
            # A task of its own, so one caller hanging up does not cancel the others' answer.
            task = asyncio.ensure_future(self._fill(key, compute, key_bytes))
            self._in_flight[key] = task
        else:
            self._observe(True)
        return await asyncio.shield(task)

    async def _fill(
        self, key: Hashable, compute: Callable[[], Awaitable[Value]], key_bytes: int
    ) -> Value:
        try:
            value = await compute()
            cost = self._share
            if self._weigh is not None:
                cost = max(cost, ENTRY_OVERHEAD_BYTES + key_bytes + self._weigh(value))
            # An answer larger than the whole budget is served but not kept.
            if cost <= self._entries.maxsize:
                self._entries[key] = _Entry(value, cost)
            return value
        finally:
            del self._in_flight[key]
