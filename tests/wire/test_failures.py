"""MongoDB failing under the service, through the real driver: every failure is a quick,
Rocket.Chat-shaped JSON 503 or 504 (never a hang, a 500 or a traceback), and the service
recovers by itself when MongoDB does.

Timings are recorded (`record_property("seconds ...")`) and printed at the end of the run.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from motor.motor_asyncio import AsyncIOMotorClient

from service.app import create_app
from service.core.db import motor_client
from service.settings import load_settings
from tests.conftest import Backend, MakeClient
from tests.factories import room
from tests.wire.faults import (
    HANG_GUARD_SECONDS,
    NOT_READY,
    REPORT,
    TIMED_OUT,
    UNAVAILABLE,
    arm_failpoint,
    failpoint,
    in_flight_of,
    seed,
    settle,
    timed_report,
    until_ok,
    wait_for_in_flight,
)
from tests.wire.server import TEST_APP_NAME, WireServer

pytestmark = pytest.mark.wire

SELECTION_MS = 1000
# Headroom over a configured timeout. The wall-time bounds below say "bounded by the
# configuration, not a hang" (a hang is HANG_GUARD_SECONDS); they are not benchmarks, and they
# must hold on a 2-core machine running other suites at the same time, whose event loop and
# driver threads can stall for seconds. Where a tighter claim matters, the test asserts an
# outcome instead: which answer came (a timeout's 503 rather than the blocked command's 200),
# or how many server selections ran (the outage gate's one, not one per request).
SLACK_SECONDS = 5.0

Record = Callable[[str, object], None]


@pytest.fixture
async def seeded(db: Any) -> Any:
    await seed(db)
    return db


async def _service(aiohttp_client: Any, mongo_url: str, **environ: str) -> TestClient:
    """The service from its environment, as in production: a MONGO_URL and the real driver."""
    settings = load_settings(
        {
            "MONGO_URL": mongo_url,
            "MONGO_SERVER_SELECTION_TIMEOUT_MS": str(SELECTION_MS),
            "READINESS_TIMEOUT_MS": "1000",
            "RESULT_CACHE_TTL_SECONDS": "0",
            **environ,
        }
    )
    client: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))
    return client


@pytest.fixture
async def own_server(tmp_path: Path) -> AsyncIterator[WireServer]:
    """A wire server of this test's own (not yet started) that the test may kill: storage on
    disk, synced on every commit (as a journaled write is on mongod), so the data survives a
    kill -9 and a restart on the same port."""
    server = WireServer(tmp_path, storage=str(tmp_path / "data"), options=("--sync-on-commit",))
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def _json(client: TestClient, path: str) -> tuple[int, Any]:
    response = await client.get(path)
    return response.status, await response.json()


# ----------------------------------------------------------------------------- down at start-up


async def test_mongodb_down_at_start_up_then_back_without_a_restart(
    aiohttp_client: Any,
    own_server: WireServer,
    record_property: Record,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on the server's port yet: the service must start anyway.
    client = await _service(aiohttp_client, f"{own_server.url}/rocketchat")

    assert await _json(client, "/healthz") == (200, {"status": "ok"})
    assert await _json(client, "/readyz") == (503, NOT_READY)
    status, body, seconds = await timed_report(client)
    assert (status, body) == (503, UNAVAILABLE)
    assert seconds < SELECTION_MS / 1000 + SLACK_SECONDS
    record_property("seconds to 503 while down", seconds)

    # A dashboard's worth of requests at once: none waits behind the others for its 503. The
    # outage gate lets one request at a time wait out a server selection and turns the others
    # away at once; each selection that ran is one logged failure. Without the gate all 40
    # would select (and queue on the driver's 10 threads: 4 s and more here).
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="service.core.db"):
        burst = await asyncio.gather(*(timed_report(client, offset=str(n)) for n in range(40)))
    assert {(status, str(body)) for status, body, _ in burst} == {(503, str(UNAVAILABLE))}
    selections = [r for r in caplog.records if "ServerSelectionTimeoutError" in r.getMessage()]
    # One, or a second if the machine stalled the burst past the first probe's timeout.
    assert 1 <= len(selections) <= 2, len(selections)
    slowest = max(seconds for _, _, seconds in burst)
    assert slowest < len(selections) * SELECTION_MS / 1000 + SLACK_SECONDS
    record_property("seconds to the slowest 503 of 40 concurrent requests while down", slowest)

    await asyncio.to_thread(own_server.start)
    seeding = AsyncIOMotorClient(own_server.url, appname=TEST_APP_NAME)
    try:
        await seed(seeding.rocketchat)
    finally:
        seeding.close()
    record_property("seconds to 200 once up", await until_ok(client, within=15))
    assert await _json(client, "/readyz") == (200, {"status": "ok"})
    await client.close()  # before the server stops, so the driver's goodbye finds it


# ----------------------------------------------------------------------------- killed mid-run


async def test_mongodb_killed_mid_run_fails_fast_and_recovers_after_restart(
    aiohttp_client: Any, own_server: WireServer, record_property: Record
) -> None:
    await asyncio.to_thread(own_server.start)
    # Short server selection: closing this client after the kill looks for the server too.
    control = AsyncIOMotorClient(
        own_server.url, appname=TEST_APP_NAME, serverSelectionTimeoutMS=SELECTION_MS
    )
    try:
        await seed(control.rocketchat)
        client = await _service(aiohttp_client, f"{own_server.url}/rocketchat")
        assert (await timed_report(client))[:2] == (200, REPORT)

        # Three requests held inside MongoDB (the server sits on their aggregates) ...
        await arm_failpoint(
            control,
            "alwaysOn",
            failCommands=["aggregate"],
            blockConnection=True,
            blockTimeMS=10_000,
        )
        in_flight = [asyncio.ensure_future(timed_report(client, offset=str(n))) for n in range(3)]
        try:
            await wait_for_in_flight(in_flight_of(client), 3)
            # ... when it dies (and its failpoint with it).
            killed_at = time.monotonic()
            await asyncio.to_thread(own_server.kill)
            answers = await asyncio.gather(*in_flight)
            in_flight_seconds = time.monotonic() - killed_at
        finally:
            await settle(in_flight)
    finally:
        control.close()

    for status, body, _ in answers:
        assert (status, body) == (503, UNAVAILABLE)
    assert in_flight_seconds < SELECTION_MS / 1000 + SLACK_SECONDS
    record_property("seconds to 503 for in-flight requests after kill -9", in_flight_seconds)

    status, body, seconds = await timed_report(client)
    assert (status, body) == (503, UNAVAILABLE)
    assert seconds < SELECTION_MS / 1000 + SLACK_SECONDS
    record_property("seconds to 503 while down", seconds)
    assert await _json(client, "/readyz") == (503, NOT_READY)

    await asyncio.to_thread(own_server.start)  # same port, same data
    record_property("seconds to 200 after restart", await until_ok(client, within=15))
    assert await _json(client, "/readyz") == (200, {"status": "ok"})
    await client.close()


# ----------------------------------------------------------------------------- maxTimeMS


@pytest.mark.usefixtures("seeded")
async def test_max_time_ms_expired_is_a_504(
    make_client: MakeClient, backend: Backend, record_property: Record
) -> None:
    client = await make_client()
    async with failpoint(backend.client, {"times": 1}, failCommands=["aggregate"], errorCode=50):
        status, body, seconds = await timed_report(client)
    assert (status, body) == (504, TIMED_OUT)
    record_property("seconds to 504 (failCommand code 50)", seconds)
    assert (await timed_report(client))[:2] == (200, REPORT)


async def test_a_report_slower_than_max_time_ms_is_a_504(
    db: Any, make_client: MakeClient, record_property: Record
) -> None:
    # Real server-side enforcement, no failpoint: 20 000 rooms take the wire server far longer
    # than 50 ms to group (the manager's point lookups take well under a millisecond).
    await seed(db)
    when = datetime(2026, 9, 1, tzinfo=UTC)
    await db.rocketchat_room.insert_many(
        [
            room(f"bulk{n}", when + timedelta(seconds=n * 97), department=f"bulk{n % 40}")
            for n in range(20_000)
        ]
    )
    limited = await make_client(max_time_ms=50)
    status, body, seconds = await timed_report(limited)
    assert (status, body) == (504, TIMED_OUT)
    record_property("seconds to 504 (MONGO_MAX_TIME_MS=50, 20 000 rooms)", seconds)

    unlimited = await make_client(max_time_ms=60_000)
    status, body, _ = await timed_report(unlimited)
    assert (status, body["total"]) == (200, 43)


# ----------------------------------------------------------------------------- resets and errors


@pytest.mark.usefixtures("seeded")
async def test_connection_closed_once_is_retried_to_a_200(
    make_client: MakeClient, backend: Backend, record_property: Record
) -> None:
    client = await make_client()
    async with failpoint(
        backend.client, {"times": 1}, failCommands=["aggregate"], closeConnection=True
    ):
        status, body, seconds = await timed_report(client)
    # The driver retries a read once on a network error (retryable reads).
    assert (status, body) == (200, REPORT)
    record_property("seconds to 200 (connection closed once, retried)", seconds)


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("command", ["aggregate", "find"])
async def test_connection_closed_every_time_is_a_503(
    make_client: MakeClient, backend: Backend, record_property: Record, command: str
) -> None:
    client = await make_client()
    # `find` is the manager's lookup: a failure before the report is the same clean 503.
    async with failpoint(backend.client, "alwaysOn", failCommands=[command], closeConnection=True):
        status, body, seconds = await timed_report(client)
    assert (status, body) == (503, UNAVAILABLE)
    record_property(f"seconds to 503 (connection closed on every {command})", seconds)
    assert (await timed_report(client))[:2] == (200, REPORT)


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (11600, (503, UNAVAILABLE)),  # InterruptedAtShutdown
        (189, (503, UNAVAILABLE)),  # PrimarySteppedDown
        (13436, (503, UNAVAILABLE)),  # NotPrimaryOrSecondary
        (50, (504, TIMED_OUT)),  # MaxTimeMSExpired
    ],
)
async def test_server_errors_are_503_or_504_never_500(
    make_client: MakeClient,
    backend: Backend,
    record_property: Record,
    code: int,
    expected: tuple[int, Any],
) -> None:
    client = await make_client()
    async with failpoint(backend.client, "alwaysOn", failCommands=["aggregate"], errorCode=code):
        status, body, seconds = await timed_report(client)
    assert (status, body) == expected
    # The "node is recovering" codes make the driver rediscover the server and retry once,
    # within the server selection timeout (2 s on the wire backend).
    record_property(f"seconds to {status} (error code {code} on every aggregate)", seconds)


# ----------------------------------------------------------------------------- client-side timeouts


@pytest.mark.usefixtures("seeded")
async def test_a_reply_slower_than_the_socket_timeout_is_a_503(
    backend: Backend, aiohttp_client: Any, record_property: Record
) -> None:
    """MONGO_SOCKET_TIMEOUT_MS exceeded: the server holds the aggregate for 30 s (its reply
    would be the report, a 200), the driver gives up on the socket after 0.5 s (and once more
    on its retry), and the caller gets the clean 503 — the outcome shows which came first."""
    client = await _service(
        aiohttp_client, backend.settings.mongo_url or "", MONGO_SOCKET_TIMEOUT_MS="500"
    )
    assert (await timed_report(client))[:2] == (200, REPORT)
    async with failpoint(
        backend.client,
        "alwaysOn",
        failCommands=["aggregate"],
        blockConnection=True,
        blockTimeMS=30_000,
    ):
        status, body, seconds = await timed_report(client)
    assert (status, body) == (503, UNAVAILABLE)
    # Two socket timeouts (the read is retried once) and a reconnection, with the slack above;
    # far below the 30 s the server held the command.
    assert seconds < 2 * 0.5 + SELECTION_MS / 1000 + SLACK_SECONDS
    record_property("seconds to 503 (reply held past MONGO_SOCKET_TIMEOUT_MS=500)", seconds)
    assert (await timed_report(client))[:2] == (200, REPORT)
    await client.close()


@pytest.mark.usefixtures("seeded")
async def test_readiness_fails_when_mongodb_answers_slower_than_the_readiness_timeout(
    backend: Backend, aiohttp_client: Any, record_property: Record
) -> None:
    """READINESS_TIMEOUT_MS exceeded: the server holds `ping` for 30 s; /readyz answers 503
    after the readiness timeout (0.3 s) instead of waiting, and 200 again once pings are
    quick. Reports are not affected by a slow ping."""
    client = await _service(
        aiohttp_client, backend.settings.mongo_url or "", READINESS_TIMEOUT_MS="300"
    )
    assert await _json(client, "/readyz") == (200, {"status": "ok"})
    async with failpoint(
        backend.client, "alwaysOn", failCommands=["ping"], blockConnection=True, blockTimeMS=30_000
    ):
        started = time.monotonic()
        async with asyncio.timeout(HANG_GUARD_SECONDS):
            answer = await _json(client, "/readyz")
        seconds = time.monotonic() - started
        assert answer == (503, NOT_READY)
        assert seconds < 0.3 + SLACK_SECONDS
        record_property("seconds to /readyz 503 (ping held past READINESS_TIMEOUT_MS=300)", seconds)
        assert (await timed_report(client))[:2] == (200, REPORT)
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        while True:
            if await _json(client, "/readyz") == (200, {"status": "ok"}):
                break
            await asyncio.sleep(0.1)
    await client.close()
