"""What an operator sees: request ids, Prometheus metrics, JSON access logs without secrets."""

import asyncio
import json
import logging
import re
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from pymongo.errors import ExecutionTimeout
from pythonjsonlogger.json import JsonFormatter

from service.app import create_app
from service.core.db import motor_client
from service.core.logs import MaskCredentials, formatter, setup_logging
from service.settings import Settings
from tests.factories import MANAGER, room, seed_auth
from tests.service.core.test_db_failure import closed_port
from tests.service.rocketchat.test_amount_of_chats_http import START_AT

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
QUERY = {"start": "2026-09-01", "end": "2026-09-30", "answered": "true"}
ROUTE = URL
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def seeded(db: Any) -> Any:
    await seed_auth(db)
    await db.rocketchat_room.insert_one(room("r1", START_AT, department="d1"))
    return db


@pytest.mark.usefixtures("seeded")
async def test_request_id_is_echoed_or_generated_on_every_answer(client: TestClient) -> None:
    given = await client.get(URL, params=QUERY, headers={**MANAGER, "X-Request-Id": "req-42.a:b"})
    assert given.headers["X-Request-Id"] == "req-42.a:b"
    for response in (
        await client.get(URL, params=QUERY, headers=MANAGER),
        await client.get(URL, params=QUERY),  # 401
        await client.get("/nowhere"),  # 404
        await client.get(URL, params=QUERY, headers={**MANAGER, "X-Request-Id": "x" * 500}),
        await client.get(URL, params=QUERY, headers={**MANAGER, "X-Request-Id": "a b\tc"}),
    ):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])


def _samples(text: str, name: str) -> dict[str, float]:
    """`{labels: value}` of one metric in the exposition text."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(\{{[^}}]*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


@pytest.mark.usefixtures("seeded")
async def test_metrics_count_requests_aggregations_and_cache_lookups(make_client: Any) -> None:
    client = await make_client(result_cache_ttl_seconds=30)
    for _ in range(3):
        assert (await client.get(URL, params=QUERY, headers=MANAGER)).status == 200
    assert (await client.get(URL, params={"start": "x"}, headers=MANAGER)).status == 400
    assert (await client.get(URL, params=QUERY)).status == 401
    scrape = await client.get("/metrics")
    assert scrape.status == 200
    text = await scrape.text()
    requests = _samples(text, "livechat_analytics_http_requests_total")
    assert requests[f'{{method="GET",route="{ROUTE}",status="200"}}'] == 3
    assert requests[f'{{method="GET",route="{ROUTE}",status="400"}}'] == 1
    assert requests[f'{{method="GET",route="{ROUTE}",status="401"}}'] == 1
    latency = _samples(text, "livechat_analytics_http_request_duration_seconds_count")
    assert latency[f'{{route="{ROUTE}",status="200"}}'] == 3
    aggregations = _samples(text, "livechat_analytics_mongodb_aggregation_duration_seconds_count")
    assert aggregations['{collection="rocketchat_room"}'] == 1  # then two cache hits
    results = _samples(text, "livechat_analytics_result_cache_lookups_total")
    assert (results['{result="hit"}'], results['{result="miss"}']) == (2, 1)
    auth = _samples(text, "livechat_analytics_auth_cache_lookups_total")
    assert (auth['{result="hit"}'], auth['{result="miss"}']) == (3, 1)  # 3 after the first miss
    in_flight = _samples(text, "livechat_analytics_http_requests_in_flight")
    assert in_flight[""] == 1  # the scrape itself


@pytest.mark.usefixtures("seeded")
async def test_same_named_reports_of_both_families_are_labelled_and_cached_apart(
    make_client: Any,
) -> None:
    client = await make_client(result_cache_ttl_seconds=30)
    window = {"start": "2026-09-01", "end": "2026-09-30"}
    routes = [
        f"/api/v1/livechat/analytics/{family}/average-service-time"
        for family in ("departments", "agents")
    ]
    for route, family in zip(routes, ("departments", "agents"), strict=True):
        response = await client.get(route, params=window, headers=MANAGER)
        assert response.status == 200
        assert family in await response.json()
    text = await (await client.get("/metrics")).text()
    requests = _samples(text, "livechat_analytics_http_requests_total")
    for route in routes:
        assert requests[f'{{method="GET",route="{route}",status="200"}}'] == 1
    results = _samples(text, "livechat_analytics_result_cache_lookups_total")
    assert results['{result="miss"}'] == 2


async def test_metrics_count_database_errors_by_kind(aiohttp_client: Any) -> None:
    settings = Settings(
        mongo_url=f"mongodb://127.0.0.1:{closed_port()}", server_selection_timeout_ms=200
    )
    client: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))
    assert (await client.get(URL, params=QUERY, headers=MANAGER)).status == 503
    text = await (await client.get("/metrics")).text()
    assert _samples(text, "livechat_analytics_mongodb_errors_total")['{kind="unavailable"}'] == 1


@pytest.mark.usefixtures("seeded")
async def test_access_log_is_json_with_request_id_and_never_a_token(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await client.get(URL, params=QUERY, headers={**MANAGER, "X-Request-Id": "trace-1"})
    await client.get(
        URL, params=QUERY, headers={"X-User-Id": "manager", "X-Auth-Token": "bad-token"}
    )
    access = [r for r in caplog.records if r.name == "service.access"]
    assert len(access) == 2
    lines = [formatter("json").format(record) for record in caplog.records]
    first = json.loads(lines[[r.name for r in caplog.records].index("service.access")])
    assert first["request_id"] == "trace-1"
    assert (first["method"], first["route"], first["status"]) == ("GET", ROUTE, 200)
    assert first["duration_ms"] >= first["db_ms"] >= 0
    for line in lines:
        assert "manager-token" not in line
        assert "bad-token" not in line


def test_credentials_are_masked_in_any_log_message() -> None:
    record = logging.LogRecord(
        "service",
        logging.ERROR,
        __file__,
        1,
        "cannot reach %s",
        ("mongodb://u:s3cret@db:27017/rc",),
        None,
    )
    MaskCredentials().filter(record)
    assert record.getMessage() == "cannot reach mongodb://***@db:27017/rc"


async def test_the_running_service_logs_json_lines_without_secrets() -> None:
    """`python -m service` as deployed: the start-up line masks MONGO_URL's password, and no
    token sent in a header or the query string reaches any log line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "MONGO_URL": "mongodb://reader:s3cret@127.0.0.1:1/rocketchat",
        "MONGO_SERVER_SELECTION_TIMEOUT_MS": "200",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    try:
        lines = []
        async with asyncio.timeout(30):
            while not any("Running on" in line for line in lines):
                line = (await process.stderr.readline()).decode()
                assert line, "the service exited early"
                lines.append(line)
        base = f"http://127.0.0.1:{port}{URL}"
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            for params, headers in [
                (QUERY, {"X-User-Id": "manager", "X-Auth-Token": "header-token-1"}),  # 503
                ({**QUERY, "X-Auth-Token": "query-token-2"}, {}),  # 401
                ({**QUERY, "token": "query-token-3"}, MANAGER),  # 503
            ]:
                async with session.get(base, params=params, headers=headers) as response:
                    assert response.status in (401, 503)
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            lines += (await process.stderr.read()).decode().splitlines(keepends=True)
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = "".join(lines)
    assert "s3cret" not in text
    assert "mongodb://***@127.0.0.1:1/rocketchat" in text
    for secret in ("header-token-1", "query-token-2", "query-token-3", "manager-token"):
        assert secret not in text
    logged = [json.loads(line) for line in lines]
    access = [line for line in logged if line["logger"] == "service.access"]
    assert [line["status"] for line in access] == [503, 401, 503]
    assert all(line["route"] == ROUTE for line in access)


@pytest.mark.usefixtures("seeded")
async def test_a_token_in_the_query_string_never_reaches_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    leaked = {**QUERY, "X-Auth-Token": "query-token-1", "token": "query-token-2"}
    response = await client.get(URL, params=leaked, headers=MANAGER)
    assert response.status == 400  # unknown parameters, as in Rocket.Chat
    await client.get("/nowhere", params={"X-Auth-Token": "query-token-3"})
    assert any(r.name == "service.access" for r in caplog.records)
    # aiohttp.access is the test server's own log; `python -m service` turns it off (checked end
    # to end in test_the_running_service_logs_json_lines_without_secrets).
    for record in (r for r in caplog.records if r.name != "aiohttp.access"):
        for log_format in ("json", "text"):
            assert "query-token" not in formatter(log_format).format(record)


@pytest.mark.usefixtures("seeded")
async def test_access_line_carries_what_an_operator_greps_for_in_either_format(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await client.get(URL, params=QUERY, headers={"X-Request-Id": "trace-2"})  # 401
    (record,) = [r for r in caplog.records if r.name == "service.access"]
    line = json.loads(formatter("json").format(record))
    assert (line["level"], line["logger"], line["status"]) == ("INFO", "service.access", 401)
    assert line["time"].endswith("+00:00")  # ISO 8601, UTC
    text = formatter("text").format(record)
    assert re.search(rf"GET {re.escape(ROUTE)} 401 \d+\.\dms trace-2$", text)


def test_log_level_and_format_come_from_the_settings() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(Settings(log_level="WARNING", log_format="json"))
        assert root.level == logging.WARNING
        (handler,) = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        assert any(isinstance(f, MaskCredentials) for f in handler.filters)
        setup_logging(Settings(log_level="DEBUG", log_format="text"))
        assert root.level == logging.DEBUG
        assert not isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


class _TimingOutRooms:
    """Rocket.Chat's database as mongomock serves it, except that every aggregation on
    `rocketchat_room` ends as MongoDB ends one that runs past maxTimeMS (error code 50)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getitem__(self, name: str) -> Any:
        return _TimingOutDatabase(self._client[name])

    def close(self) -> None:
        self._client.close()


class _TimingOutDatabase:
    def __init__(self, db: Any) -> None:
        self._db = db

    def get_collection(self, name: str, **options: Any) -> Any:
        collection = self._db.get_collection(name, **options)
        return _TimingOutCollection() if name == "rocketchat_room" else collection


class _TimingOutCollection:
    def aggregate(self, pipeline: Any, **options: Any) -> Any:
        assert options["maxTimeMS"] > 0
        return self

    async def to_list(self, length: Any) -> Any:
        raise ExecutionTimeout("operation exceeded time limit", 50)


@pytest.mark.usefixtures("seeded")
async def test_metrics_count_aggregation_timeouts_apart_from_outages(
    aiohttp_client: Any, mongo_client: Any
) -> None:
    settings = Settings(mongo_database="rocketchat", result_cache_ttl_seconds=0)
    app = create_app(settings, client_factory=lambda _: _TimingOutRooms(mongo_client))
    client: TestClient = await aiohttp_client(app)
    response = await client.get(URL, params=QUERY, headers=MANAGER)
    # Written out, not the project's own constant: a changed message must fail here too.
    assert (response.status, await response.json()) == (
        504,
        {
            "success": False,
            "error": "The report took longer than the configured time limit; narrow the date "
            "range or try again later [error-database-timeout]",
            "errorType": "error-database-timeout",
        },
    )
    text = await (await client.get("/metrics")).text()
    errors = _samples(text, "livechat_analytics_mongodb_errors_total")
    assert errors == {'{kind="timeout"}': 1, '{kind="unavailable"}': 0}
    aggregations = _samples(text, "livechat_analytics_mongodb_aggregation_duration_seconds_count")
    assert aggregations == {'{collection="rocketchat_room"}': 1}
    requests = _samples(text, "livechat_analytics_http_requests_total")
    assert requests[f'{{method="GET",route="{ROUTE}",status="504"}}'] == 1
