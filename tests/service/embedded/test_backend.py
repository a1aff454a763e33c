"""The embedded backend's client: off the event loop, and the same answers as before.

"Before" is the embedded backend as it was: mongomock wrapped by mongomock-motor, run on the
loop. Speed is measured by `make bench` (its "embedded" section), not here.
"""

import asyncio
import copy
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import mongomock
import pytest
from aiohttp.test_utils import TestClient
from mongomock_motor import AsyncMongoMockClient

from service.app import create_app
from service.embedded import DEMO_TOKEN, DEMO_USER_ID, embedded_client_factory, generate_demo_data
from service.keys import metrics_key
from service.rocketchat.reports import REPORTS
from service.routes import DEPARTMENTS
from service.settings import Settings

NOW = datetime.now(UTC)
HEADERS = {"X-User-Id": DEMO_USER_ID, "X-Auth-Token": DEMO_TOKEN}
LAST_MONTH = {
    "start": (NOW - timedelta(days=30)).date().isoformat(),
    "end": NOW.date().isoformat(),
}
WHOLE_DEMO = {
    "start": (NOW - timedelta(days=121)).date().isoformat(),
    "end": NOW.date().isoformat(),
}
Collections = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def demo() -> Collections:
    return generate_demo_data(NOW)


def _before(collections: Collections) -> Any:
    """The client factory the embedded backend used before it ran off the loop."""

    def factory(settings: Settings) -> Any:
        backend = mongomock.MongoClient()
        for name, documents in collections.items():
            if documents:
                backend[settings.mongo_database][name].insert_many(copy.deepcopy(documents))
        return AsyncMongoMockClient(mock_mongo_client=backend)

    return factory


async def test_every_report_answers_as_before(aiohttp_client: Any) -> None:
    # A smaller workspace: the backend before joins transfers in quadratic time.
    collections = generate_demo_data(NOW, rooms=500)
    now_client = await aiohttp_client(
        create_app(Settings(), client_factory=embedded_client_factory(collections))
    )
    before_client = await aiohttp_client(
        create_app(Settings(), client_factory=_before(collections))
    )
    queries = [
        {**LAST_MONTH, "count": "3"},
        {**WHOLE_DEMO, "count": "0"},
        {**WHOLE_DEMO, "offset": "2", "count": "2"},
    ]
    for report in REPORTS:
        for query in queries:
            url = report.path
            now = await now_client.get(url, params=query, headers=HEADERS)
            before = await before_client.get(url, params=query, headers=HEADERS)
            assert now.status == before.status == 200
            assert await now.read() == await before.read(), (report.name, query)
    for path in ("/readyz", "/healthz"):
        assert (await now_client.get(path)).status == 200


async def test_healthz_and_cached_answers_come_before_the_slow_reports_running(
    aiohttp_client: Any, demo: Collections
) -> None:
    client: TestClient = await aiohttp_client(
        create_app(Settings(), client_factory=embedded_client_factory(demo))
    )
    cached_url = f"{DEPARTMENTS}/amount-of-chats"
    assert (await client.get(cached_url, params=LAST_MONTH, headers=HEADERS)).status == 200

    finished: list[str] = []

    async def fetch(label: str, path: str, params: dict[str, str] | None = None) -> int:
        response = await client.get(path, params=params, headers=HEADERS)
        await response.read()
        finished.append(label)
        return response.status

    # Distinct windows of the heaviest reports: every one is a cache miss over the whole demo.
    slow = [
        asyncio.create_task(
            fetch(f"miss {n}", f"{DEPARTMENTS}/{name}", {**WHOLE_DEMO, "count": str(n)})
        )
        for n, name in enumerate(["average-service-time", "total-service-time"] * 4, start=1)
    ]
    metrics = client.app[metrics_key]
    async with asyncio.timeout(120):  # until they are all inside the service, or one is done
        while True:
            if metrics.requests_in_flight >= len(slow) or finished:
                break
            await asyncio.sleep(0.005)
    running = [f"miss {n}" for n in range(1, len(slow) + 1) if f"miss {n}" not in finished]
    assert len(running) >= len(slow) // 2, finished

    assert await fetch("healthz", "/healthz") == 200
    assert await fetch("cached", cached_url, LAST_MONTH) == 200
    assert await asyncio.gather(*slow) == [200] * len(slow)
    answered_first = finished[: finished.index("cached") + 1]
    assert not set(running) & set(answered_first), finished


def _embedded_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("embedded-")]


async def test_worker_threads_end_when_the_app_stops(aiohttp_client: Any) -> None:
    client: TestClient = await aiohttp_client(
        create_app(
            Settings(), client_factory=embedded_client_factory(generate_demo_data(NOW, rooms=50))
        )
    )
    assert (
        await client.get(f"{DEPARTMENTS}/amount-of-chats", params=LAST_MONTH, headers=HEADERS)
    ).status == 200
    assert _embedded_threads()
    await client.close()
    async with asyncio.timeout(30):
        while True:
            if not _embedded_threads():
                break
            await asyncio.sleep(0.01)
