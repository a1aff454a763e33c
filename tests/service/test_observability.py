"""What an operator sees: request ids, Prometheus metrics, JSON access logs without secrets."""

import asyncio
import json
import logging
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.db import motor_client
from service.logs import MaskCredentials, formatter
from service.settings import Settings
from tests.factories import MANAGER, room, seed_auth
from tests.service.test_amount_of_chats_http import START_AT

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
QUERY = {"start": "2026-09-01", "end": "2026-09-30", "answered": "true"}
ROUTE = URL
ROOT = Path(__file__).resolve().parents[2]


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


async def test_metrics_count_database_errors_by_kind(aiohttp_client: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(mongo_url=f"mongodb://127.0.0.1:{port}", server_selection_timeout_ms=200)
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


async def test_start_up_log_masks_the_mongo_url_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "MONGO_URL": "mongodb://reader:s3cret@127.0.0.1:1/rocketchat",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_FORMAT": "json",
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
    finally:
        process.terminate()
        await process.wait()
    text = "".join(lines)
    assert "s3cret" not in text
    assert "mongodb://***@127.0.0.1:1/rocketchat" in text
    assert all(json.loads(line) for line in lines)
