"""Fault injection on the wire server, and timed report requests, for the failure tests."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from bson import SON
from prometheus_client.parser import text_string_to_metric_families

from service.core.metrics import PREFIX
from service.keys import metrics_key
from tests.factories import MANAGER, room, seed_auth
from tests.wire.server import SERVICE_APP_NAME

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
QUERY = {"start": "2026-09-01", "end": "2026-09-30", "answered": "true"}
# Three departments, d1 > d2 > d3 — what `seed` stores, as the report shows it.
REPORT = {
    "departments": [
        {"_id": "d1", "rooms": 3},
        {"_id": "d2", "rooms": 2},
        {"_id": "d3", "rooms": 1},
    ],
    "count": 3,
    "offset": 0,
    "total": 3,
    "success": True,
}
UNAVAILABLE = {
    "success": False,
    "error": "The analytics database is unavailable, try again later [error-database-unavailable]",
    "errorType": "error-database-unavailable",
}
TIMED_OUT = {
    "success": False,
    "error": "The report took longer than the configured time limit; narrow the date range or "
    "try again later [error-database-timeout]",
    "errorType": "error-database-timeout",
}
NOT_READY = {"status": "unavailable", "mongo": "unreachable"}
# No single request may take this long in any failure scenario: a hang fails, never blocks.
HANG_GUARD_SECONDS = 30


async def seed(db: Any) -> None:
    """A manager and six answered livechat rooms in September 2026 (see REPORT)."""
    await seed_auth(db)
    when = datetime(2026, 9, 10, tzinfo=UTC)
    departments = ["d1", "d1", "d1", "d2", "d2", "d3"]
    await db.rocketchat_room.insert_many(
        [
            room(f"r{n}", when + timedelta(hours=n), department=department)
            for n, department in enumerate(departments)
        ]
    )


async def arm_failpoint(client: Any, mode: Any, **data: Any) -> None:
    """`failCommand` for the service's connections only (by app name)."""
    await client.admin.command(
        SON(
            [
                ("configureFailPoint", "failCommand"),
                ("mode", mode),
                ("data", {"appName": SERVICE_APP_NAME, **data}),
            ]
        )
    )


@contextlib.asynccontextmanager
async def failpoint(client: Any, mode: Any, **data: Any) -> AsyncIterator[None]:
    """`arm_failpoint`, switched off on exit."""
    await arm_failpoint(client, mode, **data)
    try:
        yield
    finally:
        await client.admin.command(SON([("configureFailPoint", "failCommand"), ("mode", "off")]))


async def wait_for_in_flight(in_flight: Callable[[], Awaitable[int]], count: int,
                             within: float = 10.0) -> None:  # fmt: skip
    """Until the service has accepted `count` requests that have not been answered yet.

    Asked of the service, not of the server: SecantusDB's `currentOp` lists every open
    connection with the last command it ran, idle pooled ones included, so a connection that
    finished an aggregate earlier looks like one in progress (real MongoDB lists only active
    operations). Counting those let a test signal before its own requests had even connected.
    With the `aggregate` failpoint armed, every accepted report request is held in MongoDB."""
    async with asyncio.timeout(within):
        while True:
            if await in_flight() >= count:
                return
            await asyncio.sleep(0.02)


def in_flight_of(client: TestClient) -> Callable[[], Awaitable[int]]:
    """The in-process service's count of requests in flight."""
    metrics = client.server.app[metrics_key]

    async def read() -> int:
        return metrics.requests_in_flight

    return read


def in_flight_over_http(base: str) -> Callable[[], Awaitable[int]]:
    """A service process's count of requests in flight, read from its /metrics (less the
    /metrics request itself)."""

    async def read() -> int:
        async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as answer:
            text = await answer.text()
        for family in text_string_to_metric_families(text):
            if family.name == f"{PREFIX}_http_requests_in_flight":
                return int(family.samples[0].value) - 1
        raise AssertionError("the service's /metrics has no in-flight gauge")

    return read


async def timed_report(client: TestClient, **query: str) -> tuple[int, Any, float]:
    """(status, JSON body, seconds) of one report request; a hang fails the test."""
    started = time.monotonic()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        response = await client.get(URL, params={**QUERY, **query}, headers=MANAGER)
        assert response.content_type == "application/json"
        body = await response.json()
    return response.status, body, time.monotonic() - started


async def until_ok(client: TestClient, within: float) -> float:
    """Seconds until a report request answers 200 (each failed try must be a clean 503)."""
    started = time.monotonic()
    async with asyncio.timeout(within):
        while True:
            status, body, _ = await timed_report(client)
            if status == 200:
                assert body == REPORT, body
                return time.monotonic() - started
            assert (status, body) == (503, UNAVAILABLE)
            await asyncio.sleep(0.1)


async def settle(tasks: list[asyncio.Future[Any]]) -> None:
    """Cancel what is still running and collect every outcome, so a test that fails half-way
    leaves no task whose exception is never retrieved (asyncio logs those at exit)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
