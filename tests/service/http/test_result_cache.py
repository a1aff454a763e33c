"""The result cache: staleness bound, single-flight, eviction, disabled mode, errors."""

import asyncio
from typing import Any

import pytest

from service.http.result_cache import ENTRY_OVERHEAD_BYTES, CacheKey, ResultCache


class SameHash:
    """Values of one hash that are not equal: a key must compare values, not only hashes."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __hash__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SameHash) and other.name == self.name


def test_keys_are_equal_when_their_values_are_and_only_then() -> None:
    key = CacheKey(("amount-of-chats", "/x?start=1"))
    assert key == key
    assert key == CacheKey(("amount-of-chats", "/x?start=1"))
    assert hash(key) == hash(CacheKey(("amount-of-chats", "/x?start=1")))
    assert key != CacheKey(("average-chat-duration-time", "/x?start=1"))
    assert key != ("amount-of-chats", "/x?start=1")  # a key is not its bare value
    assert CacheKey(SameHash("a")) != CacheKey(SameHash("b"))
    assert CacheKey(SameHash("a")) == CacheKey(SameHash("a"))
    # A dictionary finds an equal key built anew (the memo hands over new keys after eviction).
    assert {CacheKey(("r", "/q")): 1}[CacheKey(("r", "/q"))] == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingCompute:
    """A computation that counts its runs and can be held open to overlap callers."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> int:
        self.runs += 1
        run = self.runs
        await self.release.wait()
        return run


async def test_answer_is_reused_within_the_ttl_and_recomputed_after() -> None:
    clock = FakeClock()
    cache: ResultCache[int] = ResultCache(ttl_seconds=30, max_entries=10, clock=clock)
    compute = CountingCompute()
    assert await cache.get_or_compute("k", compute) == 1
    clock.now += 29.9
    assert await cache.get_or_compute("k", compute) == 1
    clock.now += 0.2  # 30.1 s after the answer was stored: past the staleness bound
    assert await cache.get_or_compute("k", compute) == 2
    assert compute.runs == 2


async def test_concurrent_identical_misses_share_one_computation() -> None:
    cache: ResultCache[int] = ResultCache(ttl_seconds=30, max_entries=10)
    compute = CountingCompute()
    compute.release.clear()
    waiters = [asyncio.create_task(cache.get_or_compute("k", compute)) for _ in range(50)]
    await asyncio.sleep(0)
    compute.release.set()
    assert await asyncio.gather(*waiters) == [1] * 50
    assert compute.runs == 1


async def test_different_keys_do_not_share() -> None:
    cache: ResultCache[int] = ResultCache(ttl_seconds=30, max_entries=10)
    compute = CountingCompute()
    await asyncio.gather(cache.get_or_compute("a", compute), cache.get_or_compute("b", compute))
    assert compute.runs == 2


async def test_least_recently_used_entry_is_evicted_when_full() -> None:
    cache: ResultCache[str] = ResultCache(ttl_seconds=30, max_entries=2)
    runs: list[str] = []

    def compute(key: str) -> Any:
        async def run() -> str:
            runs.append(key)
            return key

        return run

    await cache.get_or_compute("a", compute("a"))
    await cache.get_or_compute("b", compute("b"))
    await cache.get_or_compute("a", compute("a"))  # a is now the most recently used
    await cache.get_or_compute("c", compute("c"))  # evicts b
    assert len(cache) == 2
    await cache.get_or_compute("a", compute("a"))
    await cache.get_or_compute("b", compute("b"))
    assert runs == ["a", "b", "c", "b"]


async def test_zero_ttl_disables_caching_and_sharing() -> None:
    cache: ResultCache[int] = ResultCache(ttl_seconds=0, max_entries=10)
    compute = CountingCompute()
    assert [await cache.get_or_compute("k", compute) for _ in range(3)] == [1, 2, 3]
    assert len(cache) == 0


async def test_errors_are_shared_by_waiters_but_never_cached() -> None:
    cache: ResultCache[int] = ResultCache(ttl_seconds=30, max_entries=10)
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise RuntimeError("database down")

    results = await asyncio.gather(
        cache.get_or_compute("k", failing),
        cache.get_or_compute("k", failing),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert calls == 1
    with pytest.raises(RuntimeError):
        await cache.get_or_compute("k", failing)
    assert calls == 2


async def test_a_caller_hanging_up_does_not_cancel_the_others_answer() -> None:
    cache: ResultCache[int] = ResultCache(ttl_seconds=30, max_entries=10)
    compute = CountingCompute()
    compute.release.clear()
    first = asyncio.create_task(cache.get_or_compute("k", compute))
    second = asyncio.create_task(cache.get_or_compute("k", compute))
    await asyncio.sleep(0)
    first.cancel()
    compute.release.set()
    assert await second == 1
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await cache.get_or_compute("k", compute) == 1


def _value(size: int) -> Any:
    async def run() -> bytes:
        return b"x" * size

    return run


async def test_bytes_are_bounded_as_well_as_entries() -> None:
    cache: ResultCache[bytes] = ResultCache(
        ttl_seconds=30, max_entries=100, max_bytes=100_000, weigh=len
    )
    for number in range(50):
        await cache.get_or_compute(number, _value(10_000))
    # 50 answers of 10 kB would fit the entry bound; the byte bound keeps the newest that fit.
    assert 0 < len(cache) < 10
    assert cache.size_bytes <= 100_000
    assert await cache.get_or_compute(49, _value(1)) == b"x" * 10_000  # the newest is kept


async def test_small_entries_are_still_bounded_by_count() -> None:
    cache: ResultCache[bytes] = ResultCache(
        ttl_seconds=30, max_entries=10, max_bytes=10_000_000, weigh=len
    )
    for number in range(50):
        await cache.get_or_compute(number, _value(1))
    assert len(cache) == 10


async def test_key_bytes_count_against_the_budget() -> None:
    cache: ResultCache[bytes] = ResultCache(
        ttl_seconds=30, max_entries=100, max_bytes=100_000, weigh=len
    )
    for number in range(50):
        await cache.get_or_compute(f"{number}{'k' * 10_000}", _value(1), key_bytes=10_000)
    assert 0 < len(cache) < 10
    assert cache.size_bytes <= 100_000


async def test_an_answer_larger_than_the_budget_is_served_but_not_kept() -> None:
    cache: ResultCache[bytes] = ResultCache(
        ttl_seconds=30, max_entries=10, max_bytes=1_000, weigh=len
    )
    await cache.get_or_compute("small", _value(10))
    assert await cache.get_or_compute("big", _value(5_000)) == b"x" * 5_000
    assert len(cache) == 1  # the big one was not kept, and did not evict the small one
    assert await cache.get_or_compute("big", _value(7)) == b"x" * 7


async def test_refreshing_an_answer_counts_its_bytes_once() -> None:
    clock = FakeClock()
    budget = 3 * (ENTRY_OVERHEAD_BYTES + 300)  # three answers of 300 bytes fit
    cache: ResultCache[bytes] = ResultCache(
        ttl_seconds=30, max_entries=10, max_bytes=budget, weigh=len, clock=clock
    )
    # Two sizes, so that "the refreshed entry's bytes" and "everything else" differ.
    await cache.get_or_compute("other", _value(100))
    await cache.get_or_compute("k", _value(300))
    once = cache.size_bytes
    assert once == 2 * ENTRY_OVERHEAD_BYTES + 100 + 300  # keys of a fixed size add nothing
    for _ in range(20):  # the same answer recomputed after each expiry
        clock.now += 31
        await cache.get_or_compute("k", _value(300))
        assert cache.size_bytes == once <= budget
    assert len(cache) == 2  # refreshes replaced "k" in place and pushed nothing out
    # Exactly the budget fits; one byte more does not.
    exact: ResultCache[bytes] = ResultCache(ttl_seconds=30, max_entries=1, max_bytes=1_000)
    await exact.get_or_compute("k", _value(5))
    assert len(exact) == 1


async def test_every_lookup_is_observed_as_a_hit_or_a_miss() -> None:
    seen: list[bool] = []
    cache: ResultCache[int] = ResultCache(ttl_seconds=30, max_entries=10, observe=seen.append)
    compute = CountingCompute()
    compute.release.clear()
    # One miss computes; the two callers that join it are hits (they cost no aggregation).
    waiters = [asyncio.create_task(cache.get_or_compute("k", compute)) for _ in range(3)]
    await asyncio.sleep(0)
    compute.release.set()
    assert await asyncio.gather(*waiters) == [1, 1, 1]
    assert await cache.get_or_compute("k", compute) == 1  # the stored answer: a hit
    assert seen == [False, True, True, True]

    disabled_seen: list[bool] = []
    disabled: ResultCache[int] = ResultCache(0, 10, observe=disabled_seen.append)
    await disabled.get_or_compute("k", compute)
    await disabled.get_or_compute("k", compute)
    assert disabled_seen == [False, False]


@pytest.mark.parametrize(("ttl", "entries"), [(30, 0), (0, 10), (-1, 10)])
async def test_no_entries_or_no_ttl_caches_nothing(ttl: float, entries: int) -> None:
    # With a byte budget too, as the service builds it: zero entries still means off.
    for budget in (None, 1_000_000):
        cache: ResultCache[int] = ResultCache(
            ttl_seconds=ttl, max_entries=entries, max_bytes=budget, weigh=lambda value: 8
        )
        compute = CountingCompute()
        compute.release.set()
        assert [await cache.get_or_compute("k", compute) for _ in range(2)] == [1, 2]
        assert len(cache) == 0


async def test_the_warm_path_lookup_returns_only_a_fresh_stored_answer() -> None:
    """`fresh` is what a request tries first: the stored answer while it is fresh (a hit),
    else None and nothing counted, so that `get_or_compute` decides."""
    clock = FakeClock()
    seen: list[bool] = []
    cache: ResultCache[bytes] = ResultCache(
        ttl_seconds=30, max_entries=10, clock=clock, observe=seen.append
    )
    await cache.get_or_compute("k", _value(3))
    await cache.get_or_compute("other", _value(5))
    assert cache.fresh("k") == b"xxx"
    assert cache.fresh("missing") is None
    clock.now += 30
    assert cache.fresh("k") is None  # expired at exactly the TTL
    assert seen == [False, False, True]
    assert await cache.get_or_compute("k", _value(4)) == b"xxxx"  # so it is computed again


def test_distinct_keys_spread_over_the_table() -> None:
    """A key hashes as what it holds (computed once), not as one constant for all keys."""
    assert len({hash(CacheKey(("report", n))) for n in range(100)}) == 100


async def test_without_a_byte_budget_entries_alone_bound_the_cache() -> None:
    """Values are not weighed when no byte budget is set, a single-entry cache holds one, and
    a TTL under a second still caches."""
    by_entries: ResultCache[bytes] = ResultCache(ttl_seconds=30, max_entries=3, weigh=len)
    for key in "abc":
        await by_entries.get_or_compute(key, _value(100))
    assert len(by_entries) == 3
    single: ResultCache[bytes] = ResultCache(ttl_seconds=30, max_entries=1)
    for key in "ab":
        await single.get_or_compute(key, _value(1))
    assert len(single) == 1
    brief: ResultCache[int] = ResultCache(ttl_seconds=0.5, max_entries=10)
    compute = CountingCompute()
    compute.release.set()
    assert [await brief.get_or_compute("k", compute) for _ in range(2)] == [1, 1]
