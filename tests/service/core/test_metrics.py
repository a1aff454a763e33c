"""What a Prometheus scrape of a fresh app holds: the standard process and Python series, every
error kind at 0, and no `_created` series."""

import re
from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry, Counter, generate_latest

from service.app import create_app
from service.core.db import motor_client
from service.settings import Settings
from tests.service.core.test_db_failure import closed_port


async def _scrape(client: TestClient, **params: str) -> str:
    response = await client.get("/metrics", params=params)
    assert response.status == 200
    return await response.text()


def _series(text: str) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1].isalpha()}


async def _fresh_app(aiohttp_client: Any) -> TestClient:
    # A MongoDB that is not there: the scrape must not need it.
    settings = Settings(mongo_url=f"mongodb://127.0.0.1:{closed_port()}/rocketchat")
    client: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))
    return client


async def test_scrape_has_the_standard_process_and_python_series(aiohttp_client: Any) -> None:
    series = _series(await _scrape(await _fresh_app(aiohttp_client)))
    assert {
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
        "python_info",
        "python_gc_objects_collected_total",
        "python_gc_collections_total",
    } <= series


async def test_error_kinds_are_exported_at_zero_before_any_error(aiohttp_client: Any) -> None:
    text = await _scrape(await _fresh_app(aiohttp_client))
    errors = re.findall(
        r'^livechat_analytics_mongodb_errors_total\{kind="(\w+)"\} (\S+)$', text, re.M
    )
    assert sorted(errors) == [("timeout", "0.0"), ("unavailable", "0.0")]


async def test_scrape_has_no_created_series_even_when_filtered_by_name(
    aiohttp_client: Any,
) -> None:
    client = await _fresh_app(aiohttp_client)
    assert (await client.get("/healthz")).status == 200  # counters and histograms get children
    everything = await _scrape(client)
    assert "livechat_analytics_http_requests_total{" in everything
    assert not [name for name in _series(everything) if name.endswith("_created")]
    only = await _scrape(client, **{"name[]": "livechat_analytics_mongodb_errors_created"})
    assert _series(only) == set()
    errors = await _scrape(client, **{"name[]": "livechat_analytics_mongodb_errors_total"})
    assert _series(errors) == {"livechat_analytics_mongodb_errors_total"}


async def test_other_registries_in_the_process_keep_their_created_series(
    aiohttp_client: Any,
) -> None:
    await _scrape(await _fresh_app(aiohttp_client))
    elsewhere = CollectorRegistry()
    Counter("elsewhere", "A counter that is not the service's.", registry=elsewhere)
    assert b"elsewhere_created" in generate_latest(elsewhere)
