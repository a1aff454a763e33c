"""The report handler as a whole process sees it: what a permitted caller can make it keep."""

import asyncio
import gc
import re
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from tests.conftest import MakeClient
from tests.factories import MANAGER, seed_auth

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
WINDOW = "start=2026-09-01&end=2026-09-30&answered=true"
MIB = 1024 * 1024
# The Deployment's memory limit is 256 Mi and the service idles near 100 MiB; what a caller can
# add must stay a small part of the rest.
RSS_GROWTH_BOUND = 32 * MIB


def rss_bytes() -> int:
    """This process's resident set size, as the kernel (and an OOM killer) counts it."""
    found = re.search(r"^VmRSS:\s+(\d+) kB$", Path("/proc/self/status").read_text(), re.MULTILINE)
    assert found is not None
    return int(found.group(1)) * 1024


async def _send_distinct_sorts(session: ClientSession, first: int, count: int) -> None:
    """`count` permitted requests, each with its own ~60 KB `sort` (accepted and ignored, so
    every one is answered from the result cache and costs the database nothing)."""
    padding = "x" * 60_000
    limit = asyncio.Semaphore(8)

    async def one(number: int) -> None:
        async with limit:
            url = f"{URL}?{WINDOW}&sort={number:08d}{padding}"
            async with session.get(url, headers=MANAGER) as response:
                assert response.status == 200
                await response.read()

    await asyncio.gather(*(one(number) for number in range(first, first + count)))


async def test_thousands_of_distinct_huge_queries_do_not_grow_memory(
    make_client: MakeClient, db: Any
) -> None:
    """Before the byte bounds, 4 200 such requests took the service from 101 to 614 MB."""
    await seed_auth(db)
    client = await make_client(result_cache_ttl_seconds=300)
    # A plain session: the test client keeps every response (and its URL) until it closes,
    # which would measure the test instead of the service.
    async with ClientSession(str(client.make_url(""))) as session:
        # Warm up first: the allocator's arenas, aiohttp's buffers and the bounded caches
        # (yarl's URL caches hold the last 128) are full before the measurement starts.
        await _send_distinct_sorts(session, 0, 200)
        gc.collect()
        before = rss_bytes()
        await _send_distinct_sorts(session, 200, 3000)
        gc.collect()
        grown = rss_bytes() - before
    assert grown < RSS_GROWTH_BOUND, f"RSS grew {grown / MIB:.1f} MiB over 3000 requests"


async def test_a_repeated_token_header_is_a_401_even_when_the_first_is_valid(
    make_client: MakeClient, db: Any
) -> None:
    await seed_auth(db)
    client = await make_client()
    repeated = [*MANAGER.items(), ("X-Auth-Token", "wrong")]
    response = await client.get(f"{URL}?{WINDOW}", headers=repeated)
    assert response.status == 401
    assert await response.json() == {
        "success": False,
        "error": "You must be logged in to do this.",
        "status": "error",
        "message": "You must be logged in to do this.",
    }


async def test_bare_numbers_are_dates_as_in_rocketchat(make_client: MakeClient, db: Any) -> None:
    """Node's Date.parse reads `0` as 2000-01-01 and `-1` as 2001-01-01, so Rocket.Chat answers
    200 (an empty window here: the end is before the start)."""
    await seed_auth(db)
    client = await make_client()
    response = await client.get(f"{URL}?start=0&end=-1", headers=MANAGER)
    assert response.status == 200
    assert await response.json() == {
        "departments": [],
        "count": 0,
        "offset": 0,
        "total": 0,
        "success": True,
    }
