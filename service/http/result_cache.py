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
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, NamedTuple, TypeVar

Value = TypeVar("Value")

# What an entry costs besides the bytes it is weighed at: the key's and value's objects, the
# cache's own links. Rough, and on the generous side.
ENTRY_OVERHEAD_BYTES = 512


class CacheKey:
    """A key whose hash is computed once. Keys built from validated parameters (dataclasses of
    timezone-aware datetimes) cost microseconds to hash; a caller that keeps its `CacheKey`
    (the memo of validated URLs does) pays that once instead of on every lookup."""

    __slots__ = ("_hash", "value")

    def __init__(self, value: Hashable) -> None:
        self.value = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, CacheKey) and self._hash == other._hash and self.value == other.value
        )

    def __repr__(self) -> str:
        return f"CacheKey({self.value!r})"


class _Entry(NamedTuple, Generic[Value]):
    value: Value
    cost: int
    expires_at: float


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
        self._clock = clock
        self._observe = observe
        # Without a byte budget every entry costs the same share: a bound by entries alone.
        self._weigh = weigh if max_bytes is not None else None
        self._enabled = ttl_seconds > 0 and max_entries > 0
        self._capacity = max_bytes if max_bytes is not None else max_entries * ENTRY_OVERHEAD_BYTES
        # One budget enforces both bounds: every entry costs at least an equal share of it, so
        # no more than `max_entries` fit, and never more than `max_bytes` in all.
        self._share = max(1, self._capacity // max(1, max_entries))
        # Least recently used first.
        self._entries: OrderedDict[Hashable, _Entry[Value]] = OrderedDict()
        self._size = 0
        self._in_flight: dict[Hashable, asyncio.Task[Value]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """What the entries are counted at, against `max_bytes`."""
        return self._size

    def fresh(self, key: Hashable) -> Value | None:
        """The value stored for `key` if it is still fresh (a hit, counted), else None (not
        counted: `get_or_compute` follows). No coroutine: the warm path's lookup."""
        entry = self._entries.get(key)
        if entry is None or entry.expires_at <= self._clock():
            return None
        self._entries.move_to_end(key)
        self._observe(True)
        return entry.value

    async def get_or_compute(
        self, key: Hashable, compute: Callable[[], Awaitable[Value]], *, key_bytes: int = 0
    ) -> Value:
        """The cached value for `key`, or the result of one `compute()` shared by every caller
        that asks for `key` while it runs. `key_bytes` is what the key holds beyond a small
        fixed size (the length of a caller's string in it), so that keys count as well."""
        if not self._enabled:
            self._observe(False)
            return await compute()
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > self._clock():
            self._entries.move_to_end(key)
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
            self._store(key, value, cost)
            return value
        finally:
            del self._in_flight[key]

    def _store(self, key: Hashable, value: Value, cost: int) -> None:
        stale = self._entries.pop(key, None)
        if stale is not None:
            self._size -= stale.cost
        if cost > self._capacity:
            return  # larger than the whole budget: served, not kept
        while self._entries and self._size + cost > self._capacity:
            self._size -= self._entries.popitem(last=False)[1].cost
        # The staleness bound counts from when the answer was computed.
        self._entries[key] = _Entry(value, cost, self._clock() + self.ttl_seconds)
        self._size += cost
