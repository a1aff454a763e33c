"""Caching as a client sees it: fresh-enough answers, one aggregation for a burst, ETag/304,
and the permission checked on every request, cached answer or not."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mongomock_motor import AsyncMongoMockClient

from service.app import create_app
from service.settings import Settings
from tests.factories import AGENT, MANAGER, room, seed_auth

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
QUERY = {"start": "2026-11-01", "end": "2026-11-30", "answered": "true"}
WHEN = datetime(2026, 11, 20, tzinfo=UTC)


class CountingClient:
    """A database client that counts the aggregations it is sent (the service is not mocked:
    every call goes on to the in-process database)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.aggregations = 0

    def __getitem__(self, name: str) -> "CountingClient._Database":
        return CountingClient._Database(self, self._client[name])

    def close(self) -> None:
        self._client.close()

    class _Database:
        def __init__(self, owner: "CountingClient", database: Any) -> None:
            self._owner, self._database = owner, database

        def __getattr__(self, name: str) -> Any:
            return getattr(self._database, name)

        def get_collection(self, *args: Any, **kwargs: Any) -> Any:
            owner, collection = self._owner, self._database.get_collection(*args, **kwargs)

            class Counted:
                def __getattr__(self, name: str) -> Any:
                    return getattr(collection, name)

                def aggregate(self, *a: Any, **k: Any) -> Any:
                    owner.aggregations += 1
                    return collection.aggregate(*a, **k)

            return Counted()


async def _room(db: Any, number: int) -> None:
    await db.rocketchat_room.insert_one(
        room(f"r{number}", WHEN + timedelta(minutes=number), department="d1")
    )


@pytest.fixture
async def database(mongo_client: AsyncMongoMockClient, db: Any) -> Any:
    await seed_auth(db)
    await _room(db, 1)
    return mongo_client


async def _client(
    aiohttp_client: Any, database: Any, **settings: Any
) -> tuple[TestClient, CountingClient]:
    counting = CountingClient(database)
    app = create_app(Settings(**settings), client_factory=lambda _: counting)
    client: TestClient = await aiohttp_client(app)
    return client, counting


async def _rooms(client: TestClient, headers: dict[str, str] = MANAGER) -> int:
    response = await client.get(URL, params=QUERY, headers=headers)
    assert response.status == 200
    body = await response.json()
    return sum(row["rooms"] for row in body["departments"])


async def test_answers_within_the_ttl_come_from_the_cache(
    aiohttp_client: Any, database: Any
) -> None:
    client, counting = await _client(aiohttp_client, database, result_cache_ttl_seconds=300)
    assert await _rooms(client) == 1
    await _room(database["rocketchat"], 2)
    assert await _rooms(client) == 1  # still the cached answer: at most the TTL old
    assert counting.aggregations == 1


async def test_zero_ttl_answers_every_request_from_the_database(
    aiohttp_client: Any, database: Any
) -> None:
    client, counting = await _client(aiohttp_client, database, result_cache_ttl_seconds=0)
    assert await _rooms(client) == 1
    await _room(database["rocketchat"], 2)
    assert await _rooms(client) == 2
    assert counting.aggregations == 2


async def test_a_burst_of_identical_requests_runs_one_aggregation(
    aiohttp_client: Any, database: Any
) -> None:
    client, counting = await _client(aiohttp_client, database, result_cache_ttl_seconds=300)
    answers = await asyncio.gather(*(_rooms(client) for _ in range(20)))
    assert answers == [1] * 20
    assert counting.aggregations == 1


async def test_different_parameters_are_different_answers(
    aiohttp_client: Any, database: Any
) -> None:
    client, counting = await _client(aiohttp_client, database, result_cache_ttl_seconds=300)
    first = await client.get(URL, params=QUERY, headers=MANAGER)
    unanswered = await client.get(URL, params={**QUERY, "answered": "false"}, headers=MANAGER)
    assert (await first.json())["total"] == 1
    assert (await unanswered.json())["total"] == 0
    assert counting.aggregations == 2


async def test_permission_is_checked_on_every_request_even_when_cached(
    aiohttp_client: Any, database: Any
) -> None:
    client, _ = await _client(aiohttp_client, database, result_cache_ttl_seconds=300)
    assert await _rooms(client) == 1
    forbidden = await client.get(URL, params=QUERY, headers=AGENT)
    assert forbidden.status == 403
    anonymous = await client.get(URL, params=QUERY)
    assert anonymous.status == 401


async def test_answers_carry_cache_control_and_an_etag_that_gives_304(
    aiohttp_client: Any, database: Any
) -> None:
    client, counting = await _client(aiohttp_client, database, result_cache_ttl_seconds=30)
    first = await client.get(URL, params=QUERY, headers=MANAGER)
    body = await first.read()
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, max-age=30"
    assert etag[0] == etag[-1] == '"'  # a strong validator, quoted
    for validator in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await client.get(URL, params=QUERY, headers={**MANAGER, "If-None-Match": validator})
        assert again.status == 304, validator
        assert await again.read() == b""
        assert again.headers["ETag"] == etag
    changed = await client.get(URL, params=QUERY, headers={**MANAGER, "If-None-Match": '"other"'})
    assert changed.status == 200
    assert await changed.read() == body
    assert counting.aggregations == 1


async def test_304_still_requires_the_permission(aiohttp_client: Any, database: Any) -> None:
    client, _ = await _client(aiohttp_client, database, result_cache_ttl_seconds=30)
    etag = (await client.get(URL, params=QUERY, headers=MANAGER)).headers["ETag"]
    response = await client.get(URL, params=QUERY, headers={**AGENT, "If-None-Match": etag})
    assert response.status == 403


async def test_answers_report_server_timing(aiohttp_client: Any, database: Any) -> None:
    client, _ = await _client(aiohttp_client, database, result_cache_ttl_seconds=0)
    response = await client.get(URL, params=QUERY, headers=MANAGER)
    timing = dict(
        part.strip().split(";dur=") for part in response.headers["Server-Timing"].split(",")
    )
    assert set(timing) == {"db", "app"}
    assert 0 < float(timing["db"]) <= float(timing["app"])
    error = await client.get(URL)
    assert "app;dur=" in error.headers["Server-Timing"]


async def test_a_cached_answer_reports_no_database_time(aiohttp_client: Any, database: Any) -> None:
    """`Server-Timing` names the database only when the database was asked."""
    client, counting = await _client(aiohttp_client, database, result_cache_ttl_seconds=30)
    first = await client.get(URL, params=QUERY, headers=MANAGER)
    assert first.headers["Server-Timing"].startswith("db;dur=")
    again = await client.get(URL, params=QUERY, headers=MANAGER)
    assert counting.aggregations == 1
    assert again.headers["Server-Timing"].startswith("app;dur=")
    assert "db;" not in again.headers["Server-Timing"]
