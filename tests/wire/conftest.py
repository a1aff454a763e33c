"""Everything under tests/wire runs on the wire backend: the production motor client over TCP
against SecantusDB, from a real MONGO_URL, each test in a database of its own."""

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Backend, wire_backend
from tests.wire.server import WireServer


@pytest.fixture
async def backend(wire_server: WireServer) -> AsyncIterator[Backend]:
    async with wire_backend(wire_server) as wired:
        yield wired
