"""An unreachable MongoDB: clear 503s within the configured timeout, never a hang or a 500."""

import logging
import socket
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.core.db import OutageGate, motor_client
from service.http.errors import DatabaseUnavailable
from service.settings import Settings
from tests.factories import MANAGER

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
UNAVAILABLE = {
    "success": False,
    "error": "The analytics database is unavailable, try again later [error-database-unavailable]",
    "errorType": "error-database-unavailable",
}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: connections to it are refused


async def test_unreachable_database_answers_503_within_the_selection_timeout(
    aiohttp_client: Any,
) -> None:
    settings = Settings(
        mongo_url=f"mongodb://127.0.0.1:{closed_port()}/rocketchat",
        server_selection_timeout_ms=300,
        readiness_timeout_ms=1000,
    )
    client: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))

    started = time.monotonic()
    response = await client.get(
        URL, params={"start": "2026-09-01", "end": "2026-09-30"}, headers=MANAGER
    )
    elapsed = time.monotonic() - started
    assert (response.status, await response.json()) == (503, UNAVAILABLE)
    assert elapsed < 5, "a hang guard, not a performance assertion"

    health = await client.get("/healthz")
    ready = await client.get("/readyz")
    assert health.status == 200
    assert (ready.status, await ready.json()) == (
        503,
        {"status": "unavailable", "mongo": "unreachable"},
    )


async def test_readiness_log_says_what_timed_out_and_after_how_long(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # The driver would wait 30 s to select a server; readiness gives up first.
    settings = Settings(
        mongo_url=f"mongodb://127.0.0.1:{closed_port()}/rocketchat",
        server_selection_timeout_ms=30_000,
        readiness_timeout_ms=150,
    )
    client: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))
    caplog.set_level(logging.WARNING, logger="service.core.db")
    assert (await client.get("/readyz")).status == 503
    assert [r.getMessage() for r in caplog.records if r.name == "service.core.db"] == [
        "mongodb ping failed: no answer within 150 ms"
    ]


async def test_readiness_log_names_the_driver_error(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        mongo_url=f"mongodb://127.0.0.1:{closed_port()}/rocketchat",
        server_selection_timeout_ms=100,
        readiness_timeout_ms=5000,
    )
    client: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))
    caplog.set_level(logging.WARNING, logger="service.core.db")
    assert (await client.get("/readyz")).status == 503
    (message,) = [r.getMessage() for r in caplog.records if r.name == "service.core.db"]
    assert message.startswith("mongodb ping failed: ServerSelectionTimeoutError: 127.0.0.1:")


def test_while_unreachable_one_operation_at_a_time_goes_through() -> None:
    gate = OutageGate()
    with gate.admit(), gate.admit():  # reachable: no limit
        pass
    gate.unreachable = True
    # The first is the probe; the second is turned away at once while the probe runs.
    with gate.admit(), pytest.raises(DatabaseUnavailable), gate.admit():
        pass
    with gate.admit():  # the probe is over: the next request probes
        pass
