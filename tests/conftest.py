"""Fixtures shared by the test layers: an in-process database and the app built through the
production factory with that database injected (no patching)."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mongomock_motor import AsyncMongoMockClient

from service.app import create_app
from service.settings import Settings

DATABASE = "rocketchat"

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def mongo_client() -> AsyncMongoMockClient:
    return AsyncMongoMockClient()


@pytest.fixture
def db(mongo_client: AsyncMongoMockClient) -> Any:
    return mongo_client[DATABASE]


@pytest.fixture
def make_client(aiohttp_client: Any, mongo_client: AsyncMongoMockClient) -> MakeClient:
    """`await make_client(**settings)`: the app on the test database. The result cache is off
    unless a test turns it on, so each request shows the database as it is now."""

    async def make(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {"mongo_database": DATABASE, "result_cache_ttl_seconds": 0}
        values.update(overrides)
        app = create_app(Settings(**values), client_factory=lambda _: mongo_client)
        client: TestClient = await aiohttp_client(app)
        return client

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()
