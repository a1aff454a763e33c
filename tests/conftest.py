"""Fixtures shared by the test layers: a database backend and the app built through the
production factory on it (no patching).

Two backends (see the README's "Testing"):
- `mongomock`: an in-process fake of motor's client, injected through `client_factory`.
- `wire`: SecantusDB's MongoDB wire server in its own process (one per session), reached by the
  production `motor_client` over TCP from a real `MONGO_URL`; every test gets a database of its
  own, dropped afterwards.
Tests run on `mongomock` unless they parametrize `backend` (indirectly) over both.
"""

import contextlib
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings
from mongomock_motor import AsyncMongoMockClient
from motor.motor_asyncio import AsyncIOMotorClient

from service.app import create_app
from service.core.db import ClientFactory, motor_client
from service.settings import Settings, load_settings
from tests.wire.server import TEST_APP_NAME, WireServer

# Property tests take their example counts from a profile: `default` for `make test`, and a
# smaller, derandomized one for `make mutants`, which runs the in-process tier once per mutant
# (HYPOTHESIS_PROFILE=mutants): the same examples every run, so a survivor is reproducible,
# and no shrinking, since a killed mutant needs no minimal example.
hypothesis_settings.register_profile("default", max_examples=60, deadline=None)
hypothesis_settings.register_profile(
    "mutants",
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DATABASE = "rocketchat"
BACKENDS = ["mongomock", pytest.param("wire", marks=pytest.mark.wire)]

MakeClient = Callable[..., Awaitable[TestClient]]


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    # A motor-compatible client the test seeds and inspects through.
    client: Any
    # What the app is configured with; `make_client` adds a test's own settings to it.
    settings: Settings
    client_factory: ClientFactory

    @property
    def db(self) -> Any:
        return self.client[self.settings.mongo_database]


@pytest.fixture(scope="session")
def wire_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WireServer]:
    """One SecantusDB process for the session. If it cannot start, every test that needs it
    errors with the server's log: the wire tier is part of `make test`, never skipped."""
    server = WireServer(Path(tmp_path_factory.mktemp("wire")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def wire_backend(server: WireServer) -> AsyncIterator[Backend]:
    """A fresh database on `server`, the service configured from a MONGO_URL naming it (as in
    production), and a motor client to seed it with. The database is dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    settings = load_settings(
        {"MONGO_URL": f"{server.url}/{name}", "MONGO_SERVER_SELECTION_TIMEOUT_MS": "2000"}
    )
    client = AsyncIOMotorClient(server.url, tz_aware=True, appname=TEST_APP_NAME)
    try:
        yield Backend("wire", client, settings, motor_client)
    finally:
        await client.drop_database(name)
        client.close()


@pytest.fixture
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    kind = getattr(request, "param", "mongomock")
    if kind == "wire":
        async with wire_backend(request.getfixturevalue("wire_server")) as wired:
            yield wired
        return
    client = AsyncMongoMockClient()
    yield Backend("mongomock", client, Settings(mongo_database=DATABASE), lambda _: client)


@pytest.fixture
def mongo_client(backend: Backend) -> Any:
    return backend.client


@pytest.fixture
def db(backend: Backend) -> Any:
    return backend.db


@pytest.fixture
def make_client(aiohttp_client: Any, backend: Backend) -> MakeClient:
    """`await make_client(**settings)`: the app on the test database. The result cache is off
    unless a test turns it on, so each request shows the database as it is now."""

    async def make(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {"result_cache_ttl_seconds": 0, **overrides}
        settings = dataclasses.replace(backend.settings, **values)
        app = create_app(settings, client_factory=backend.client_factory)
        client: TestClient = await aiohttp_client(app)
        return client

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()
